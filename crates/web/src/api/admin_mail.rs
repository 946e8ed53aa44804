//! E-mail accounts over the API: list, create, read, replace (deactivate with
//! `active: false`) and test the connection (administrators' and full-access keys only;
//! changes are audited). The password is write-only: sent to set it, never returned.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::mail_account::{AfterImport, MailAccount, MailAccountInput, ProbeOutcome, Protocol, Security};
use tikal_core::{DepartmentId, HelpTopicId, MailAccountId};
use utoipa::{OpenApi, ToSchema};

use super::AdminCaller;
use super::admin::id_of;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mail-accounts", get(list).post(create))
        .route("/mail-accounts/{id}", get(show).put(replace))
        .route("/mail-accounts/{id}/test", post(test))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, replace, test),
    tags((name = "mail accounts", description = "Mailboxes tickets are fetched from (IMAP, POP3) and servers mail is sent through (SMTP); passwords are write-only and stored encrypted; changes are audited"))
)]
pub struct Doc;

/// An e-mail account as the API shows it (never its password).
#[derive(Debug, Serialize, ToSchema)]
pub struct MailAccountDto {
    pub id: i64,
    pub name: String,
    /// imap, pop3 or smtp.
    pub protocol: String,
    pub host: String,
    pub port: u16,
    /// tls, starttls or none.
    pub security: String,
    pub username: String,
    /// Always true: a password is stored (it is never returned).
    pub password_set: bool,
    pub address: Option<String>,
    pub folder: Option<String>,
    /// mark_seen (POP3: keep on the server), move or delete.
    pub after_import: String,
    pub move_to: Option<String>,
    pub poll_seconds: u32,
    pub department_id: Option<i64>,
    pub help_topic_id: Option<i64>,
    pub active: bool,
    pub last_polled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn dto(m: &MailAccount) -> MailAccountDto {
    MailAccountDto {
        id: m.id.get(),
        name: m.name.clone(),
        protocol: m.protocol.to_string(),
        host: m.host.clone(),
        port: m.port,
        security: m.security.to_string(),
        username: m.username.clone(),
        password_set: true,
        address: m.address.clone(),
        folder: m.folder.clone(),
        after_import: m.after_import.to_string(),
        move_to: m.move_to.clone(),
        poll_seconds: m.poll_seconds,
        department_id: m.department_id.map(|d| d.get()),
        help_topic_id: m.help_topic_id.map(|t| t.get()),
        active: m.active,
        last_polled_at: m.last_polled_at,
        last_error: m.last_error.clone(),
        updated_at: m.updated_at,
    }
}

/// An account as written. Left out: the usual port, INBOX, mark_seen, 60 seconds, active.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailAccountInputDto {
    pub name: String,
    #[schema(value_type = String, example = "imap")]
    pub protocol: Protocol,
    pub host: String,
    #[serde(default)]
    pub port: Option<u32>,
    #[schema(value_type = String, example = "tls")]
    pub security: Security,
    pub username: String,
    /// Required for a new account; left out or empty on a replace, the stored one is kept.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub folder: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "mark_seen")]
    pub after_import: Option<AfterImport>,
    #[serde(default)]
    pub move_to: Option<String>,
    #[serde(default)]
    pub poll_seconds: Option<u32>,
    #[serde(default)]
    pub department_id: Option<i64>,
    #[serde(default)]
    pub help_topic_id: Option<i64>,
    #[serde(default)]
    pub active: Option<bool>,
}

impl From<MailAccountInputDto> for MailAccountInput {
    fn from(d: MailAccountInputDto) -> MailAccountInput {
        MailAccountInput {
            name: d.name,
            protocol: d.protocol,
            host: d.host,
            port: d.port,
            security: d.security,
            username: d.username,
            password: d.password,
            address: d.address.unwrap_or_default(),
            folder: d.folder.unwrap_or_default(),
            after_import: d.after_import.unwrap_or(AfterImport::MarkSeen),
            move_to: d.move_to.unwrap_or_default(),
            poll_seconds: d.poll_seconds.unwrap_or(60),
            department_id: d.department_id.map(DepartmentId),
            help_topic_id: d.help_topic_id.map(HelpTopicId),
            active: d.active.unwrap_or(true),
        }
    }
}

/// What a connection test found.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailTestDto {
    pub ok: bool,
    /// The step that failed: secret, connect, tls, greeting, login, folder, mailbox, send.
    pub step: Option<String>,
    /// The server's (or the system's) words about the failure.
    pub detail: Option<String>,
    /// Messages waiting (IMAP: in the folder; POP3: in the mailbox).
    pub messages: Option<u32>,
}

/// Every e-mail account, inactive ones too.
#[utoipa::path(get, path = "/mail-accounts", tag = "mail accounts", responses((status = 200, body = Vec<MailAccountDto>), (status = 403)))]
pub async fn list(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<MailAccountDto>>, ApiError> {
    Ok(Json(state.desk.mail_accounts(&by).await?.iter().map(dto).collect()))
}

/// Create an account (the password is stored encrypted).
#[utoipa::path(post, path = "/mail-accounts", tag = "mail accounts", request_body = MailAccountInputDto,
    responses((status = 201, body = MailAccountDto), (status = 403), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<MailAccountInputDto>, JsonRejection>,
) -> Result<(StatusCode, Json<MailAccountDto>), ApiError> {
    let Json(d) = body?;
    let m = state.desk.save_mail_account(&by, None, d.into()).await?;
    Ok((StatusCode::CREATED, Json(dto(&m))))
}

#[utoipa::path(get, path = "/mail-accounts/{id}", tag = "mail accounts", params(("id" = i64, Path)),
    responses((status = 200, body = MailAccountDto), (status = 403), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<MailAccountDto>, ApiError> {
    let id = MailAccountId(id_of(path, "mail account")?);
    Ok(Json(dto(&state.desk.mail_account(&by, id).await?)))
}

/// Replace an account's settings (`active: false` deactivates it; no password keeps it).
#[utoipa::path(put, path = "/mail-accounts/{id}", tag = "mail accounts", params(("id" = i64, Path)), request_body = MailAccountInputDto,
    responses((status = 200, body = MailAccountDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<MailAccountInputDto>, JsonRejection>,
) -> Result<Json<MailAccountDto>, ApiError> {
    let id = MailAccountId(id_of(path, "mail account")?);
    let Json(d) = body?;
    Ok(Json(dto(&state.desk.save_mail_account(&by, Some(id), d.into()).await?)))
}

/// Test the saved settings against the server: connect, TLS, sign in, open the folder
/// (IMAP) / STAT (POP3) / EHLO and AUTH (SMTP), in at most 10 seconds. A failure is an
/// answer (200 with `ok: false`), not an error.
#[utoipa::path(post, path = "/mail-accounts/{id}/test", tag = "mail accounts", params(("id" = i64, Path)),
    responses((status = 200, body = MailTestDto), (status = 403), (status = 404)))]
pub async fn test(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<MailTestDto>, ApiError> {
    let id = MailAccountId(id_of(path, "mail account")?);
    Ok(Json(match state.desk.test_mail_account(&by, id).await? {
        ProbeOutcome::Passed { messages } => MailTestDto { ok: true, step: None, detail: None, messages },
        ProbeOutcome::Failed { step, detail } => {
            MailTestDto { ok: false, step: Some(step.to_string()), detail: Some(detail), messages: None }
        }
    }))
}
