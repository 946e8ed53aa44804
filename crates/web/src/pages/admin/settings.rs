//! Settings and branding (`/admin/settings`): one form for the organisation, language and time
//! zone, tickets and the portal; the logo has its own upload form. Also the public branding
//! routes every page links to: the logo and the theme of the organisation's colours (a tiny
//! stylesheet, since the pages' CSP allows no inline style).

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, RawForm, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::settings::{MAX_LOGO_BYTES, SettingsInput, SiteSettings};
use tikal_core::{DomainError, NumberFormat, Reason};
use tikal_service::ServiceError;

use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/settings", get(show).post(save))
        .route("/admin/settings/logo", post(upload_logo))
        .route("/admin/settings/logo/delete", post(delete_logo))
        .route("/branding/logo", get(current_logo))
        .route("/branding/logo/{version}", get(versioned_logo))
        .route("/branding/theme/{file}", get(theme))
}

/// A refused setting in the user's language: the field's label and why. Reasons the domain
/// states in its own words (a time zone, a contrast...) have a message of their own here.
fn refusal(c: &Chrome, e: ServiceError) -> Result<FormError, PageError> {
    if let ServiceError::Domain(DomainError::Invalid { field, reason: Reason::Other(why) }) = &e {
        let key = match *field {
            "logo" if why.contains("512") => "settings-why-logo-size".to_string(),
            "logo" => "settings-why-logo-type".to_string(),
            _ if why.contains("#rrggbb") => "settings-why-colour".to_string(),
            "brand_colour" => "settings-why-brand_colour-white".to_string(),
            f => format!("settings-why-{f}"),
        };
        let label = c.t(&format!("admin-field-{field}"));
        return Ok(FormError { field: field.to_string(), message: format!("{label}: {}", c.t(&key)) });
    }
    FormError::from_service(c, e)
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    c: Chrome,
    v: SettingsInput,
    /// The next ticket's number in the format shown (none when the format is not valid).
    preview: Option<String>,
    logo: Option<String>,
    logo_bytes: u64,
    error: Option<FormError>,
    modes: Vec<(&'static str, String)>,
    max_mb: u32,
}

impl SettingsPage {
    fn bad(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.is(field))
    }
}

async fn settings_page(state: &AppState, a: &Admin, v: Option<SettingsInput>, error: Option<FormError>) -> Result<SettingsPage, PageError> {
    let current = state.desk.settings_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let v = v.unwrap_or_else(|| current.to_input());
    let preview = match NumberFormat::parse(&v.ticket_number_format) {
        Ok(f) => Some(state.desk.next_number_preview(&f).await.map_err(|e| a.fail(e))?.to_string()),
        Err(_) => None,
    };
    let c = a.c().clone();
    let modes = ["open", "domains", "staff_only"].into_iter().map(|m| (m, c.t(&format!("settings-registration-{m}")))).collect();
    Ok(SettingsPage {
        logo: current.logo.as_ref().map(|l| format!("/branding/logo/{}", l.version)),
        logo_bytes: current.logo.as_ref().map_or(0, |l| l.bytes.div_ceil(1024)),
        c,
        v,
        preview,
        error,
        modes,
        max_mb: state.desk.attachment_ceiling_mb(),
    })
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn show(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let mut p = settings_page(&state, &a, None, None).await?;
    if saved.saved.is_some() {
        p.c.notice = Some(p.c.t("admin-saved"));
    }
    Ok(page(&p))
}

fn input_of(f: &Fields) -> SettingsInput {
    SettingsInput {
        organisation_name: f.get("organisation_name").into(),
        brand_colour: f.get("brand_colour").into(),
        brand_ink: f.get("brand_ink").into(),
        default_language: f.get("default_language").into(),
        time_zone: f.get("time_zone").into(),
        ticket_number_format: f.get("ticket_number_format").into(),
        reopen_window_days: f.get("reopen_window_days").into(),
        auto_close_days: f.get("auto_close_days").into(),
        reminder_days: f.get("reminder_days").into(),
        mail_subject_tag: f.get("mail_subject_tag").into(),
        autoreplies_per_hour: f.get("autoreplies_per_hour").into(),
        max_attachment_mb: f.get("max_attachment_mb").into(),
        max_attachments: f.get("max_attachments").into(),
        registration: f.get("registration").into(),
        allowed_domains: f.get("allowed_domains").into(),
        guests_may_open: f.checked("guests_may_open"),
        organisation_tickets: f.checked("organisation_tickets"),
    }
}

async fn save(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let input = input_of(&f);
    match state.desk.save_settings(a.principal(), input.clone()).await {
        Ok(_) => Ok(Redirect::to("/admin/settings?saved=1").into_response()),
        Err(e) => {
            let error = refusal(a.c(), e)?;
            Ok(refused(&settings_page(&state, &a, Some(input), Some(error)).await?))
        }
    }
}

/// Reads the logo form: its token first, then the image (past the limit the rest is read and
/// dropped, so the browser gets the answer rather than a broken connection).
async fn read_logo(a: &Admin, mut multipart: Multipart) -> Result<Result<Vec<u8>, DomainError>, PageError> {
    let bad_form = || PageError::Status(Box::new(a.c().clone()), StatusCode::BAD_REQUEST, a.c().t("error-upload-failed"));
    let mut checked = false;
    let mut data = Vec::new();
    let mut too_large = false;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| bad_form())? {
        let name = field.name().unwrap_or_default().to_string();
        if !checked {
            let token = if name == "csrf" { field.text().await.map_err(|_| bad_form())? } else { String::new() };
            a.check_form(&token)?;
            checked = true;
            continue;
        }
        if name != "logo" {
            continue;
        }
        while let Some(chunk) = field.chunk().await.map_err(|_| bad_form())? {
            if data.len() + chunk.len() > MAX_LOGO_BYTES {
                too_large = true;
                data.clear();
            } else if !too_large {
                data.extend_from_slice(&chunk);
            }
        }
    }
    if !checked {
        return Err(PageError::csrf(a.c()));
    }
    Ok(if too_large { Err(DomainError::invalid("logo", "is larger than 512 KB")) } else { Ok(data) })
}

async fn upload_logo(State(state): State<AppState>, a: Admin, multipart: Multipart) -> Result<Response, PageError> {
    let saved = match read_logo(&a, multipart).await? {
        Ok(data) => state.desk.set_logo(a.principal(), data).await.map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match saved {
        Ok(()) => Ok(Redirect::to("/admin/settings?saved=1").into_response()),
        Err(e) => {
            let error = refusal(a.c(), e)?;
            Ok(refused(&settings_page(&state, &a, None, Some(error)).await?))
        }
    }
}

async fn delete_logo(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    state.desk.remove_logo(a.principal()).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/settings?saved=1").into_response())
}

/// The logo as an image that can never run as a page: its sniffed type, no script or style
/// even if opened directly, never sniffed as anything else.
fn logo_response(content_type: &str, data: Vec<u8>, cache: &'static str) -> Response {
    let ct = HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut r = data.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, ct);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; script-src 'none'; style-src 'none'; sandbox"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline; filename=\"logo\""));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

async fn current_logo(State(state): State<AppState>) -> Response {
    match state.desk.logo().await {
        Ok(Some((l, data))) => logo_response(&l.content_type, data, "public, max-age=300"),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "logo unreadable");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn versioned_logo(State(state): State<AppState>, Path(version): Path<String>) -> Response {
    match state.desk.logo().await {
        Ok(Some((l, data))) if l.version == version => logo_response(&l.content_type, data, "public, max-age=31536000, immutable"),
        Ok(_) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "logo unreadable");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The organisation's colours over the built-in ones.
pub fn theme_css(s: &SiteSettings) -> String {
    format!(":root {{ --brand: {}; --brand-ink: {}; }}\n", s.brand_colour.hex(), s.brand_ink.hex())
}

async fn theme(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let s = state.desk.settings_or_defaults().await;
    if file.strip_suffix(".css") != Some(s.theme_version().as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], theme_css(&s))
        .into_response()
}
