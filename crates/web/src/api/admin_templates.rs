//! E-mail templates over the API: list, read, replace, restore the default and preview with
//! the sample ticket (administrators' and full-access keys only; changes are audited).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::template::{Language, TemplateKind, TemplateSource};
use tikal_service::{MailTemplate, RenderedMail};
use utoipa::{OpenApi, ToSchema};

use super::AdminCaller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mail-templates", get(list))
        .route("/mail-templates/{kind}/{lang}", get(show).put(replace).delete(restore))
        .route("/mail-templates/{kind}/{lang}/preview", post(preview))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, show, replace, restore, preview),
    tags((name = "mail templates", description = "The e-mails the desk sends, per kind and language: subject, text and optional HTML, with the variables each may use; validated on save, audited"))
)]
pub struct Doc;

/// A variable a template may use.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateVariableDto {
    /// As written in a template: `{{ ticket.number }}`.
    pub name: &'static str,
    pub description: &'static str,
}

/// A template of one kind in one language.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailTemplateDto {
    /// new_ticket_autoreply, new_ticket_alert, assignment, agent_reply, resolution,
    /// satisfaction_survey, overdue_alert, password_reset, access_link, confirm_address, account_exists.
    pub kind: String,
    /// `es` or `en`.
    pub language: String,
    /// `false`: the template shipped with Tikal is in effect.
    pub customised: bool,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    pub variables: Vec<TemplateVariableDto>,
}

fn dto(t: &MailTemplate) -> MailTemplateDto {
    MailTemplateDto {
        kind: t.kind.to_string(),
        language: t.language.to_string(),
        customised: t.customised(),
        updated_at: t.updated_at,
        subject: t.source.subject.clone(),
        text_body: t.source.text_body.clone(),
        html_body: t.source.html_body.clone(),
        variables: t.kind.variables().iter().map(|v| TemplateVariableDto { name: v.name, description: v.describe(t.language) }).collect(),
    }
}

/// A template's source, as written.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateSourceDto {
    pub subject: String,
    pub text_body: String,
    /// Optional; cleaned of scripts and event handlers when rendered. Empty or null: none.
    #[serde(default)]
    pub html_body: Option<String>,
}

impl From<TemplateSourceDto> for TemplateSource {
    fn from(d: TemplateSourceDto) -> TemplateSource {
        TemplateSource { subject: d.subject, text_body: d.text_body, html_body: d.html_body }
    }
}

/// A mail as a template renders it with the sample ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedMailDto {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

impl From<RenderedMail> for RenderedMailDto {
    fn from(m: RenderedMail) -> RenderedMailDto {
        RenderedMailDto { subject: m.subject, text: m.text, html: m.html }
    }
}

fn key_of(path: Result<Path<(String, String)>, PathRejection>) -> Result<(TemplateKind, Language), ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "mail template not found");
    let Path((kind, lang)) = path.map_err(|_| not_found())?;
    Ok((kind.parse().map_err(|_| not_found())?, lang.parse().map_err(|_| not_found())?))
}

/// Every template, each kind in Spanish and English, customised or default.
#[utoipa::path(get, path = "/mail-templates", tag = "mail templates", responses((status = 200, body = Vec<MailTemplateDto>), (status = 403)))]
pub async fn list(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<MailTemplateDto>>, ApiError> {
    Ok(Json(state.desk.mail_templates(&by).await?.iter().map(dto).collect()))
}

/// One template, with the variables it may use.
#[utoipa::path(get, path = "/mail-templates/{kind}/{lang}", tag = "mail templates", params(("kind" = String, Path), ("lang" = String, Path)),
    responses((status = 200, body = MailTemplateDto), (status = 403), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<MailTemplateDto>, ApiError> {
    let (kind, lang) = key_of(path)?;
    Ok(Json(dto(&state.desk.mail_template(&by, kind, lang).await?)))
}

/// Replace a template. It must compile and render with the sample ticket: an unknown
/// variable, a syntax error or a loop that does too much is refused (422, with the line).
#[utoipa::path(put, path = "/mail-templates/{kind}/{lang}", tag = "mail templates", params(("kind" = String, Path), ("lang" = String, Path)),
    request_body = TemplateSourceDto, responses((status = 200, body = MailTemplateDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<TemplateSourceDto>, JsonRejection>,
) -> Result<Json<MailTemplateDto>, ApiError> {
    let (kind, lang) = key_of(path)?;
    let Json(src) = body?;
    Ok(Json(dto(&state.desk.save_mail_template(&by, kind, lang, src.into()).await?)))
}

/// Restore the template shipped with Tikal (the stored one is deleted).
#[utoipa::path(delete, path = "/mail-templates/{kind}/{lang}", tag = "mail templates", params(("kind" = String, Path), ("lang" = String, Path)),
    responses((status = 200, body = MailTemplateDto), (status = 403), (status = 404)))]
pub async fn restore(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<MailTemplateDto>, ApiError> {
    let (kind, lang) = key_of(path)?;
    Ok(Json(dto(&state.desk.restore_mail_template(&by, kind, lang).await?)))
}

/// Render a template as given (not saved) with the sample ticket.
#[utoipa::path(post, path = "/mail-templates/{kind}/{lang}/preview", tag = "mail templates", params(("kind" = String, Path), ("lang" = String, Path)),
    request_body = TemplateSourceDto, responses((status = 200, body = RenderedMailDto), (status = 403), (status = 404), (status = 422)))]
pub async fn preview(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<TemplateSourceDto>, JsonRejection>,
) -> Result<Json<RenderedMailDto>, ApiError> {
    let (kind, lang) = key_of(path)?;
    let Json(src) = body?;
    Ok(Json(state.desk.preview_mail_template(&by, kind, lang, src.into())?.into()))
}
