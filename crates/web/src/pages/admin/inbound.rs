//! Inbound mail: what arrived, what became of it, and the quarantine — download the original
//! to see what is wrong with it, fix the rule or setting, process it again.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tikal_core::InboundMailId;
use tikal_core::mail_intake::InboundStatus;
use tikal_service::Ingested;

use super::{Admin, Fields, path_id};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/inbound", get(list))
        .route("/admin/inbound/{id}/raw", get(raw))
        .route("/admin/inbound/{id}/process", post(process))
}

const PAGE: usize = 50;

pub struct Row {
    pub id: i64,
    pub when: String,
    pub sender: String,
    pub subject: String,
    pub status: &'static str,
    pub status_label: String,
    pub reason: String,
    pub ticket: Option<String>,
    pub may_process: bool,
    /// Its bytes are kept (not a message too large to download, left on its server).
    pub stored: bool,
}

#[derive(Template)]
#[template(path = "admin/inbound.html")]
struct ListPage {
    c: Chrome,
    status: String,
    statuses: Vec<(&'static str, String)>,
    rows: Vec<Row>,
    next: Option<i64>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct Params {
    status: Option<String>,
    before: Option<i64>,
    /// The outcome of a processing just done, to say it.
    done: Option<String>,
    ticket: Option<String>,
}

const STATUSES: [InboundStatus; 5] =
    [InboundStatus::Quarantined, InboundStatus::Received, InboundStatus::Imported, InboundStatus::Ignored, InboundStatus::Duplicate];

async fn list(State(state): State<AppState>, a: Admin, Query(p): Query<Params>) -> Result<Response, PageError> {
    let c = a.c().clone();
    let status = p.status.as_deref().and_then(|s| s.parse::<InboundStatus>().ok());
    let rows = state.desk.inbound_mail(a.principal(), status, p.before.map(InboundMailId)).await.map_err(|e| a.fail(e))?;
    let next = (rows.len() == PAGE).then(|| rows.last().map_or(0, |(r, _)| r.id.get()));
    let mut view = Vec::with_capacity(rows.len());
    for (r, ticket) in rows {
        let ticket = ticket.map(|n| n.to_string());
        view.push(Row {
            id: r.id.get(),
            when: c.when(&r.received_at),
            sender: r.sender.unwrap_or_default(),
            subject: r.subject.unwrap_or_default(),
            status: r.status.as_str(),
            status_label: c.t(&format!("inbound-status-{}", r.status)),
            reason: r.reason.unwrap_or_default(),
            ticket,
            may_process: !r.sha256.is_empty()
                && matches!(r.status, InboundStatus::Quarantined | InboundStatus::Received | InboundStatus::Ignored),
            stored: !r.sha256.is_empty(),
        });
    }
    let statuses = STATUSES.iter().map(|s| (s.as_str(), c.t(&format!("inbound-status-{s}")))).collect();
    let done = p.done.as_deref().map(|d| match &p.ticket {
        Some(n) => format!("{} {n}", c.t(&format!("inbound-done-{d}"))),
        None => c.t(&format!("inbound-done-{d}")),
    });
    let status = status.map(|s| s.as_str().to_string()).unwrap_or_default();
    Ok(page(&ListPage { c, status, statuses, rows: view, next, done }).into_response())
}

/// The original message, byte for byte, as a download (never shown inline: it is the
/// sender's, whatever it holds).
async fn raw(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = InboundMailId(path_id(a.c(), &raw)?);
    let (_, bytes) = state.desk.inbound_raw(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let disposition = format!("attachment; filename=\"mensaje-{}.eml\"", id.get());
    Ok(([(header::CONTENT_TYPE, "message/rfc822".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

async fn process(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let id = InboundMailId(path_id(a.c(), &raw)?);
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let outcome = state.desk.reprocess_mail(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let done = match &outcome {
        Ingested::Opened(_) => "opened",
        Ingested::Added(_) => "added",
        Ingested::Duplicate(_) => "duplicate",
        Ingested::DeliveryFailure(_) => "delivery_failure",
        Ingested::Ignored(_) => "ignored",
        Ingested::Quarantined(_) => "quarantined",
    };
    let ticket = outcome.ticket().map(|n| format!("&ticket={n}")).unwrap_or_default();
    Ok(Redirect::to(&format!("/admin/inbound?done={done}{ticket}")).into_response())
}
