//! Inbound mail over the API: post one raw message (an integration relaying mail, the HTTP twin
//! of `tikal mail ingest`), list what arrived with its outcome, process a quarantined one again
//! (administrators' and full-access keys).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::mail_intake::InboundStatus;
use tikal_core::{DomainError, InboundMailId, Reason};
use tikal_service::{Ingested, MailSource};
use tikal_store::InboundMail;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::AdminCaller;
use crate::{ApiError, AppState};

/// Largest raw message taken (the intake's own limit).
const MAX_MESSAGE: usize = 30 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mail/inbound", get(list).post(ingest).layer(DefaultBodyLimit::max(MAX_MESSAGE + 1)))
        .route("/mail/inbound/{id}/process", post(process))
}

#[derive(OpenApi)]
#[openapi(
    paths(ingest, list, process),
    tags((name = "mail", description = "Inbound e-mail: post a raw message (RFC 5322) to be imported as a ticket or a reply, see what arrived and why a message waits in quarantine, and process it again"))
)]
pub struct Doc;

/// What became of a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestedDto {
    /// `opened`, `added`, `duplicate`, `delivery_failure`, `ignored` or `quarantined`.
    pub outcome: &'static str,
    /// The ticket it went to, if any.
    pub ticket: Option<String>,
    /// Why it was ignored or quarantined.
    pub reason: Option<String>,
}

fn ingested(i: Ingested) -> IngestedDto {
    let ticket = i.ticket().map(|n| n.to_string());
    let (outcome, reason) = match i {
        Ingested::Opened(_) => ("opened", None),
        Ingested::Added(_) => ("added", None),
        Ingested::Duplicate(_) => ("duplicate", None),
        Ingested::DeliveryFailure(_) => ("delivery_failure", None),
        Ingested::Ignored(r) => ("ignored", Some(r)),
        Ingested::Quarantined(r) => ("quarantined", Some(r)),
    };
    IngestedDto { outcome, ticket, reason }
}

/// An inbound message and its outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundDto {
    pub id: i64,
    /// `received`, `imported`, `ignored`, `duplicate` or `quarantined`.
    pub status: String,
    pub reason: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// The mailbox it was fetched from (none: piped or posted).
    pub account_id: Option<i64>,
    pub size: u64,
    pub ticket_id: Option<i64>,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub processed_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn dto(m: InboundMail) -> InboundDto {
    InboundDto {
        id: m.id.get(),
        status: m.status.as_str().into(),
        reason: m.reason,
        sender: m.sender,
        subject: m.subject,
        message_id: m.message_id,
        account_id: m.account.map(|a| a.get()),
        size: m.size,
        ticket_id: m.ticket.map(|t| t.get()),
        received_at: m.received_at,
        processed_at: m.processed_at,
    }
}

/// Import one raw message (`Content-Type: message/rfc822`, at most 30 MiB). It is stored
/// before anything else: every answer but an error means it is kept.
#[utoipa::path(post, path = "/mail/inbound", tag = "mail", request_body(content = String, content_type = "message/rfc822"),
    responses((status = 200, body = IngestedDto), (status = 403), (status = 413), (status = 503)))]
pub async fn ingest(
    State(state): State<AppState>,
    AdminCaller(_by): AdminCaller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestedDto>, ApiError> {
    let raw = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the message is larger than 30 MiB"),
        _ => r.into(),
    })?;
    if raw.is_empty() {
        return Err(DomainError::invalid("message", Reason::Required).into());
    }
    Ok(Json(ingested(state.desk.ingest_mail(MailSource::Http, raw).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Only messages with this status.
    status: Option<String>,
    /// Cursor: messages older than this id.
    before: Option<i64>,
}

/// Inbound messages, newest first, 50 a page.
#[utoipa::path(get, path = "/mail/inbound", tag = "mail", params(ListParams), responses((status = 200, body = [InboundDto]), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<InboundDto>>, ApiError> {
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<InboundStatus>().map_err(|_| DomainError::invalid("status", Reason::NotAnOption))?),
        None => None,
    };
    let rows = state.desk.inbound_mail(&by, status, p.before.map(InboundMailId)).await?;
    Ok(Json(rows.into_iter().map(dto).collect()))
}

/// Process a stored message again (after fixing what kept it in quarantine).
#[utoipa::path(post, path = "/mail/inbound/{id}/process", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = IngestedDto), (status = 403), (status = 404)))]
pub async fn process(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<IngestedDto>, ApiError> {
    let id = match path {
        Ok(Path(id)) if id > 0 => InboundMailId(id),
        _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "inbound mail not found")),
    };
    Ok(Json(ingested(state.desk.reprocess_mail(&by, id).await?)))
}
