//! `Idempotency-Key`: the key is reserved before the request runs and the first response is
//! stored; a retry with the same key and body gets that response instead of creating twice.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tikal_service::{Desk, Principal, ServiceError};
use tikal_store::{IdempotentResponse, Reservation};

use crate::ApiError;

pub enum Replay {
    /// No key: nothing to remember.
    None,
    /// A key reserved for this request: store its response under this scope and key.
    Fresh { scope: String, key: String, request_hash: String },
    /// The stored first response.
    Stored(Response),
}

fn reused() -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "this Idempotency-Key was used with a different request body")
}

pub async fn begin(desk: &Desk, by: &Principal, headers: &HeaderMap, operation: &str, body: &[u8]) -> Result<Replay, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(Replay::None);
    };
    let key = raw.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 255).ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_idempotency_key", "Idempotency-Key must be 1-255 visible characters")
    })?;
    let scope = format!("{}:{}:{operation}", by.author().kind(), by.author().id().unwrap_or(0));
    let request_hash = hex::encode(Sha256::digest(body));
    match desk.store().reserve_idempotent(&scope, key, &request_hash, tikal_store::now()).await.map_err(ServiceError::from)? {
        Reservation::Reserved => Ok(Replay::Fresh { scope, key: key.to_string(), request_hash }),
        Reservation::Done(stored) if stored.request_hash != request_hash => Err(reused()),
        Reservation::Done(stored) => Ok(Replay::Stored(replay(stored))),
        Reservation::InProgress { request_hash: other } if other != request_hash => Err(reused()),
        Reservation::InProgress { .. } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "request_in_progress",
            "a request with this Idempotency-Key is still being processed; retry shortly",
        )),
    }
}

fn replay(stored: IdempotentResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], stored.body).into_response();
    if let Some(loc) = stored.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}

/// Stores a success under the reserved key, or frees the key after a failure. A storage error
/// here is logged, not returned: the ticket exists either way.
pub async fn finish(desk: &Desk, replay: Replay, outcome: Result<(StatusCode, &str, Option<&str>), ()>) {
    let Replay::Fresh { scope, key, request_hash } = replay else {
        return;
    };
    let result = match outcome {
        Ok((status, body, location)) => {
            let resp = IdempotentResponse {
                request_hash,
                status: status.as_u16(),
                body: body.to_string(),
                location: location.map(str::to_string),
            };
            desk.store().complete_idempotent(&scope, &key, &resp).await
        }
        Err(()) => desk.store().release_idempotent(&scope, &key).await,
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record the idempotency key");
    }
}
