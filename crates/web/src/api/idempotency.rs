//! `Idempotency-Key`: the first response to a keyed POST is stored; a retry with the same key
//! and body gets it back instead of creating twice.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tikal_service::{Desk, Principal};
use tikal_store::IdempotentResponse;

use crate::ApiError;

pub enum Replay {
    /// No key: nothing to remember.
    None,
    /// A key seen for the first time: remember the response under this scope and key.
    Fresh { scope: String, key: String, request_hash: String },
    /// The stored first response.
    Stored(Response),
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
    match desk.store().idempotent_response(&scope, key).await.map_err(tikal_service::ServiceError::from)? {
        Some(stored) if stored.request_hash != request_hash => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request body",
        )),
        Some(stored) => Ok(Replay::Stored(replay(stored))),
        None => Ok(Replay::Fresh { scope, key: key.to_string(), request_hash }),
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

/// Remembers the response. Failing to remember is logged, not fatal: the ticket exists.
pub async fn finish(desk: &Desk, replay: Replay, status: StatusCode, body: &str, location: Option<&str>) {
    if let Replay::Fresh { scope, key, request_hash } = replay {
        let resp =
            IdempotentResponse { request_hash, status: status.as_u16(), body: body.to_string(), location: location.map(str::to_string) };
        if let Err(e) = desk.store().save_idempotent_response(&scope, &key, &resp, tikal_store::now()).await {
            tracing::warn!(error = %e, "could not store idempotent response");
        }
    }
}
