//! REST API v1: JSON over HTTP, bearer API keys, described by an OpenAPI document.

mod admin;
mod admin_catalog;
mod admin_mail;
mod admin_outbox;
mod admin_people;
mod admin_priorities;
mod admin_rules;
mod admin_schedule;
mod admin_settings;
mod admin_templates;
mod automation;
mod catalog;
mod desk;
mod dto;
mod idempotency;
mod kb;
mod mail_in;
mod queues;
mod tickets;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tikal_service::Principal;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{ApiError, AppState};

pub fn router(state: &AppState) -> Router<AppState> {
    // Base64 makes attachments a third larger; leave room for a few of them plus the JSON.
    // The administrator's limit (at most the ceiling) is enforced per file by the service.
    let max = state.desk.config().max_attachment_bytes.max(u64::from(tikal_core::settings::ATTACHMENT_MB_CEILING) * 1024 * 1024);
    let body_limit = usize::try_from(max.saturating_mul(2).saturating_add(1024 * 1024)).unwrap_or(usize::MAX);
    Router::new()
        .merge(tickets::router())
        .merge(queues::router())
        .merge(catalog::router())
        .merge(admin::router())
        .merge(admin_catalog::router())
        .merge(admin_priorities::router())
        .merge(admin_people::router())
        .merge(admin_templates::router())
        .merge(admin_mail::router())
        .merge(admin_rules::router())
        .merge(admin_settings::router())
        .merge(automation::router())
        .merge(mail_in::router())
        .merge(admin_outbox::router())
        .merge(admin_schedule::router())
        .merge(desk::router())
        .merge(kb::router())
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// The caller of an API request, from `Authorization: Bearer <key>`.
pub struct ApiCaller(pub Principal);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(ApiError::unauthorized)?;
        let key = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).ok_or_else(ApiError::unauthorized)?;
        match state.desk.api_key_principal(key.trim()).await? {
            Some(p) => Ok(ApiCaller(p)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// An API caller who may administer the desk (an administrator's key or a full-access key),
/// checked before the request's body is read; others get 403.
pub struct AdminCaller(pub Principal);

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ApiCaller(p) = ApiCaller::from_request_parts(parts, state).await?;
        tikal_service::Desk::admin_actor(&p)?;
        Ok(AdminCaller(p))
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("api_key", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tikal REST API", version = "1", description = "Tickets, threads and the service catalogue of a Tikal helpdesk. Authenticate with `Authorization: Bearer <api key>` (create one with `tikal api-key create --name NAME`). Errors are `{\"error\": {\"code\", \"message\"}}`."),
    servers((url = "/api/v1")),
    paths(
        tickets::create, tickets::list, tickets::show, tickets::update, tickets::thread, tickets::post_message,
        tickets::resolution, tickets::log_time, tickets::attachment, catalog::departments, catalog::help_topics, catalog::form, catalog::statuses,
        desk::transfer, desk::escalate, desk::resolve, desk::solution, desk::merge, desk::merged_into, desk::links, desk::link, desk::unlink,
        desk::collaborators, desk::add_collaborator, desk::remove_collaborator, desk::time_sheet, desk::history, desk::presence,
        desk::touch_presence, desk::review_queue, desk::canned_list, desk::canned_create, desk::canned_show, desk::canned_update,
        desk::canned_delete, desk::canned_render, desk::department_rules, desk::set_department_rules,
        queues::dashboard, queues::list_views, queues::create_view, queues::show_view, queues::update_view, queues::delete_view, queues::bulk
    ),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    tags((name = "tickets"), (name = "desk", description = "The agent's ticket desk: transfer, escalation, solution and review, merge, links, collaborators, time, history, presence, canned responses"), (name = "queues", description = "Saved views, the dashboard's counts and bulk actions"), (name = "catalogue"))
)]
struct ApiDoc;

/// The whole API's document: the core one and each administration section's.
fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(admin::AdminDoc::openapi());
    doc.merge(admin_catalog::Doc::openapi());
    doc.merge(admin_priorities::Doc::openapi());
    doc.merge(admin_people::Doc::openapi());
    doc.merge(admin_templates::Doc::openapi());
    doc.merge(admin_mail::Doc::openapi());
    doc.merge(admin_rules::Doc::openapi());
    doc.merge(admin_settings::Doc::openapi());
    doc.merge(automation::Doc::openapi());
    doc.merge(mail_in::Doc::openapi());
    doc.merge(admin_outbox::Doc::openapi());
    doc.merge(admin_schedule::Doc::openapi());
    doc.merge(kb::Doc::openapi());
    // Sections may share a tag: list each once.
    if let Some(tags) = doc.tags.as_mut() {
        let mut seen = std::collections::BTreeSet::new();
        tags.retain(|t| seen.insert(t.name.clone()));
    }
    doc
}

/// The OpenAPI document as JSON text (`tikal openapi` writes docs/openapi.json with it).
pub fn openapi_json() -> String {
    document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

async fn openapi(State(_): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}

/// A browsable reference rendered on the server from the same document (no CDN, no script).
async fn docs() -> Html<String> {
    Html(dto::render_docs(&document()))
}
