//! Settings and branding over the API: read and change the settings `/admin/settings` edits,
//! upload or remove the logo. Administrators' keys and full-access keys only; every change is
//! in the audit log.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::DomainError;
use tikal_core::settings::{LogoRef, MAX_LOGO_BYTES, SettingsInput, SiteSettings};
use utoipa::{OpenApi, ToSchema};

use super::AdminCaller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(show).put(replace))
        // A little over the limit, so a larger logo is told apart from a broken body.
        .route("/settings/logo", put(upload_logo).delete(delete_logo).layer(DefaultBodyLimit::max(MAX_LOGO_BYTES + 1)))
}

#[derive(OpenApi)]
#[openapi(
    paths(show, replace, upload_logo, delete_logo),
    tags((name = "settings", description = "The organisation, branding, language and time zone, ticket numbers, limits and portal registration (administrators and full-access keys); every change is in the audit log"))
)]
pub struct Doc;

/// The uploaded logo.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogoDto {
    /// Where pages load it from (changes with the image).
    pub url: String,
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    pub bytes: u64,
}

fn logo_dto(l: &LogoRef) -> LogoDto {
    LogoDto { url: format!("/branding/logo/{}", l.version), content_type: l.content_type.clone(), bytes: l.bytes }
}

/// The settings in effect: what an administrator saved, else the configuration file's.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsDto {
    pub organisation_name: String,
    /// `#rrggbb`: the header and buttons; also the colour of links on white.
    pub brand_colour: String,
    /// `#rrggbb`: text on the brand colour.
    pub brand_ink: String,
    /// `es` or `en`.
    pub default_language: String,
    /// IANA zone, e.g. `America/Guayaquil`.
    pub time_zone: String,
    /// E.g. `UIT-{year}-{seq:5}`.
    pub ticket_number_format: String,
    pub reopen_window_days: u32,
    /// 0: never.
    pub auto_close_days: u32,
    /// Days a ticket waits on its requester, unchanged, before one reminder (0: never).
    pub reminder_days: u32,
    /// The ticket tag in mail subjects, `{number}` once, e.g. `[#{number}]`.
    pub mail_subject_tag: String,
    /// Auto-responses one address gets per hour at most (0: none to mail).
    pub autoreplies_per_hour: u32,
    pub max_attachment_mb: u32,
    pub max_attachments: u32,
    /// `open`, `domains` or `staff_only`.
    pub registration: String,
    pub allowed_domains: Vec<String>,
    pub guests_may_open: bool,
    pub organisation_tickets: bool,
    pub logo: Option<LogoDto>,
}

fn dto(s: &SiteSettings) -> SettingsDto {
    SettingsDto {
        organisation_name: s.organisation_name.clone(),
        brand_colour: s.brand_colour.hex(),
        brand_ink: s.brand_ink.hex(),
        default_language: s.default_language.as_str().into(),
        time_zone: s.time_zone.clone(),
        ticket_number_format: s.ticket_number_format.clone(),
        reopen_window_days: s.reopen_window_days,
        auto_close_days: s.auto_close_days,
        reminder_days: s.reminder_days,
        mail_subject_tag: s.mail_subject_tag.clone(),
        autoreplies_per_hour: s.autoreplies_per_hour,
        max_attachment_mb: s.max_attachment_mb,
        max_attachments: s.max_attachments,
        registration: s.registration.as_str().into(),
        allowed_domains: s.allowed_domains.clone(),
        guests_may_open: s.guests_may_open,
        organisation_tickets: s.organisation_tickets,
        logo: s.logo.as_ref().map(logo_dto),
    }
}

/// A change of settings: the fields given replace the current values, the others stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdateDto {
    pub organisation_name: Option<String>,
    pub brand_colour: Option<String>,
    pub brand_ink: Option<String>,
    pub default_language: Option<String>,
    pub time_zone: Option<String>,
    pub ticket_number_format: Option<String>,
    pub reopen_window_days: Option<i64>,
    pub auto_close_days: Option<i64>,
    pub reminder_days: Option<i64>,
    pub mail_subject_tag: Option<String>,
    pub autoreplies_per_hour: Option<i64>,
    pub max_attachment_mb: Option<i64>,
    pub max_attachments: Option<i64>,
    pub registration: Option<String>,
    pub allowed_domains: Option<Vec<String>>,
    pub guests_may_open: Option<bool>,
    pub organisation_tickets: Option<bool>,
}

fn merge(current: &SiteSettings, u: SettingsUpdateDto) -> SettingsInput {
    let c = current.to_input();
    let n = |v: Option<i64>, cur: String| v.map_or(cur, |v| v.to_string());
    SettingsInput {
        organisation_name: u.organisation_name.unwrap_or(c.organisation_name),
        brand_colour: u.brand_colour.unwrap_or(c.brand_colour),
        brand_ink: u.brand_ink.unwrap_or(c.brand_ink),
        default_language: u.default_language.unwrap_or(c.default_language),
        time_zone: u.time_zone.unwrap_or(c.time_zone),
        ticket_number_format: u.ticket_number_format.unwrap_or(c.ticket_number_format),
        reopen_window_days: n(u.reopen_window_days, c.reopen_window_days),
        auto_close_days: n(u.auto_close_days, c.auto_close_days),
        reminder_days: n(u.reminder_days, c.reminder_days),
        mail_subject_tag: u.mail_subject_tag.unwrap_or(c.mail_subject_tag),
        autoreplies_per_hour: n(u.autoreplies_per_hour, c.autoreplies_per_hour),
        max_attachment_mb: n(u.max_attachment_mb, c.max_attachment_mb),
        max_attachments: n(u.max_attachments, c.max_attachments),
        registration: u.registration.unwrap_or(c.registration),
        // One per line: a domain holding a separator is refused as a whole by validation.
        allowed_domains: u.allowed_domains.map_or(c.allowed_domains, |d| d.join("\n")),
        guests_may_open: u.guests_may_open.unwrap_or(c.guests_may_open),
        organisation_tickets: u.organisation_tickets.unwrap_or(c.organisation_tickets),
    }
}

/// The settings in effect.
#[utoipa::path(get, path = "/settings", tag = "settings", responses((status = 200, body = SettingsDto), (status = 403)))]
pub async fn show(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<SettingsDto>, ApiError> {
    Ok(Json(dto(&*state.desk.settings_for_admin(&by).await?)))
}

/// Change settings: the fields given replace the current values. A refused value (422)
/// changes nothing.
#[utoipa::path(put, path = "/settings", tag = "settings", request_body = SettingsUpdateDto,
    responses((status = 200, body = SettingsDto), (status = 403), (status = 422)))]
pub async fn replace(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<SettingsUpdateDto>, JsonRejection>,
) -> Result<Json<SettingsDto>, ApiError> {
    let Json(u) = body?;
    let current = state.desk.settings_for_admin(&by).await?;
    let saved = state.desk.save_settings(&by, merge(&current, u)).await?;
    Ok(Json(dto(&saved)))
}

/// Upload the logo: the image itself as the body (`Content-Type: image/png` or `image/jpeg`;
/// the bytes decide), at most 512 KB. SVG is refused.
#[utoipa::path(put, path = "/settings/logo", tag = "settings",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = LogoDto), (status = 403), (status = 413), (status = 422)))]
pub async fn upload_logo(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<LogoDto>, ApiError> {
    let data = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the logo is larger than 512 KB"),
        _ => r.into(),
    })?;
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    if !declared.is_empty() && !declared.starts_with("image/png") && !declared.starts_with("image/jpeg") {
        return Err(DomainError::invalid("logo", "must be a PNG or JPEG image").into());
    }
    let logo = state.desk.set_logo(&by, data.to_vec()).await?;
    Ok(Json(logo_dto(&logo)))
}

/// Remove the logo.
#[utoipa::path(delete, path = "/settings/logo", tag = "settings", responses((status = 204), (status = 403)))]
pub async fn delete_logo(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<StatusCode, ApiError> {
    state.desk.remove_logo(&by).await?;
    Ok(StatusCode::NO_CONTENT)
}
