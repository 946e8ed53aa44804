//! `Idempotency-Key`: a create that carries one is recorded with its ticket, in the ticket's
//! transaction, so it happens exactly once; a retry with the same key and body gets the first
//! response (or, if that was never stored, the ticket it opened) instead of creating twice.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tikal_service::{Desk, Principal};
use tikal_store::{IdempotencyClaim, IdempotentRecord, IdempotentResponse};

use crate::ApiError;

fn reused() -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "this Idempotency-Key was used with a different request body")
}

/// The claim of a request's `Idempotency-Key`, if it has one.
pub fn claim(by: &Principal, headers: &HeaderMap, operation: &str, body: &[u8]) -> Result<Option<IdempotencyClaim>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 255).ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_idempotency_key", "Idempotency-Key must be 1-255 visible characters")
    })?;
    let scope = format!("{}:{}:{operation}", by.author().kind(), by.author().id().unwrap_or(0));
    Ok(Some(IdempotencyClaim { scope, key: key.to_string(), request_hash: hex::encode(Sha256::digest(body)) }))
}

/// What to answer a request whose key an earlier request used.
pub enum Replay {
    /// The stored first response.
    Stored(Response),
    /// Its response was never stored (the node stopped right after committing): show the
    /// ticket it opened.
    Ticket(tikal_core::TicketNumber),
}

pub fn replay(claim: &IdempotencyClaim, earlier: IdempotentRecord) -> Result<Replay, ApiError> {
    if earlier.request_hash != claim.request_hash {
        return Err(reused());
    }
    match (earlier.response, earlier.ticket) {
        (Some(stored), _) => Ok(Replay::Stored(stored_response(stored))),
        (None, Some(number)) => Ok(Replay::Ticket(number)),
        (None, None) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "request_in_progress",
            "a request with this Idempotency-Key is still being processed; retry shortly",
        )),
    }
}

fn stored_response(stored: IdempotentResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let resp = (status, [(header::CONTENT_TYPE, "application/json")], stored.body).into_response();
    mark_replayed(resp, stored.location.as_deref())
}

/// Adds `Location` (if any) and `idempotent-replayed: true`.
pub fn mark_replayed(mut resp: Response, location: Option<&str>) -> Response {
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}

/// Stores the first response of a committed create, for faithful replays. A failure is logged:
/// the key is recorded with its ticket either way, so a retry still cannot create twice.
pub async fn remember(desk: &Desk, claim: &IdempotencyClaim, status: StatusCode, body: &str, location: &str) {
    let resp = IdempotentResponse { status: status.as_u16(), body: body.to_string(), location: Some(location.to_string()) };
    if let Err(e) = desk.store().store_idempotent_response(&claim.scope, &claim.key, &resp).await {
        tracing::error!(error = %e, "could not store the first response of an idempotent create; retries will show the ticket");
    }
}
