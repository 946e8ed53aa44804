//! "Ver Estado de un Ticket": e-mail + number sends a single-use, expiring link to that address;
//! the link shows a button, and the button opens a session that sees that ticket only.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::{EmailAddress, TicketNumber};

use super::super::auth::{LinkPage, start_session};
use super::super::{Chrome, PageError, Visitor, page};
use crate::AppState;
use crate::limits::ClientIp;

pub fn router() -> Router<AppState> {
    Router::new().route("/status", get(form).post(submit)).route("/status/{token}", get(open_form).post(open))
}

#[derive(Template)]
#[template(path = "portal/status.html")]
struct StatusPage {
    c: Chrome,
    email: String,
    number: String,
    message: Option<String>,
}

#[derive(Deserialize)]
struct FormParams {
    /// Set after a guest opened a ticket: its number.
    created: Option<String>,
}

async fn form(mut v: Visitor, axum::extract::Query(p): axum::extract::Query<FormParams>) -> Response {
    let created = p.created.and_then(|n| TicketNumber::parse(&n).ok());
    if let Some(n) = &created {
        v.c.notice = Some(format!("{} {}", v.c.t1("created-lead", "number", n.as_str()), v.c.t("status-lead")));
    }
    let number = created.map(|n| n.to_string()).unwrap_or_default();
    page(&StatusPage { c: v.c, email: String::new(), number, message: None })
}

#[derive(Deserialize)]
struct StatusForm {
    csrf: String,
    email: String,
    number: String,
}

async fn submit(
    State(state): State<AppState>,
    v: Visitor,
    ClientIp(client_ip): ClientIp,
    Form(f): Form<StatusForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    if let (Ok(email), Ok(number)) = (EmailAddress::parse(&f.email), TicketNumber::parse(&f.number)) {
        let base = state.desk.config().portal.public_url.trim_end_matches('/').to_string();
        let client = client_ip.to_string();
        state.desk.request_ticket_link(&email, &number, &base, &client).await.map_err(|e| PageError::from_service(&v.c, e))?;
    }
    // The same answer whether or not they match: the form must not confirm who has tickets.
    let message = Some(v.c.t("status-sent"));
    Ok(page(&StatusPage { c: v.c, email: f.email, number: f.number, message }))
}

fn invalid(c: Chrome) -> Response {
    let message = Some(c.t("status-invalid"));
    let mut resp = page(&StatusPage { c, email: String::new(), number: String::new(), message });
    *resp.status_mut() = axum::http::StatusCode::NOT_FOUND;
    resp
}

/// The link's page: which ticket it opens, and a button. Following the link uses nothing.
async fn open_form(State(state): State<AppState>, v: Visitor, Path(token): Path<String>) -> Result<Response, PageError> {
    let Some(number) = state.desk.ticket_link_target(&token).await.map_err(|e| PageError::from_service(&v.c, e))? else {
        return Ok(invalid(v.c));
    };
    Ok(page(&LinkPage {
        title: v.c.t1("status-open-title", "number", number.as_str()),
        lead: v.c.t("status-open-lead"),
        action: format!("/status/{token}"),
        button: v.c.t("status-open-submit"),
        password: false,
        error: None,
        c: v.c,
    }))
}

#[derive(Deserialize)]
struct OpenForm {
    csrf: String,
}

/// The button: uses the link once and opens a session that sees its ticket only.
async fn open(
    State(state): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
    Form(f): Form<OpenForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let Some((owner, number)) = state.desk.open_ticket_link(&token).await.map_err(|e| PageError::from_service(&v.c, e))? else {
        return Ok(invalid(v.c));
    };
    start_session(&state, owner, &format!("/tickets/{number}")).await.map_err(|e| PageError::from_service(&v.c, e))
}
