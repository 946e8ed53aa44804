//! Server-rendered pages: the requester portal (this module), later the agent workspace and
//! administration. Every page works without JavaScript; htmx and a small script only improve.

mod admin;
mod agent;
mod assets;
mod auth;
pub mod i18n;
pub(crate) mod portal;
mod session;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use tikal_service::ServiceError;

pub use i18n::Lang;
pub use session::{Visitor, ensure_form_token as session_layer};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().merge(assets::router()).merge(auth::router()).merge(portal::router()).merge(agent::router()).merge(admin::router())
}

/// What every page shows around its content: language, organisation, who is signed in, the
/// form token.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub org: String,
    pub user: Option<String>,
    pub csrf: String,
    pub time_zone: chrono_tz::Tz,
    /// A one-time notice (saved, sent...), already translated.
    pub notice: Option<String>,
    /// The page's own path, to come back to after choosing a language.
    pub here: String,
    /// The visitor is an administrator (the workspace shows the way to `/admin`).
    pub admin: bool,
    /// The page belongs to the agent workspace or administration (its layout, not the portal's).
    pub staff: bool,
    /// The organisation's colours (`/branding/theme/...`), when they are not the built-in ones.
    pub theme: Option<String>,
    /// The organisation's logo (`/branding/logo/<version>`), when one was uploaded.
    pub logo: Option<String>,
}

impl Chrome {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        self.lang.t_with(key, &[(name, value.to_string().into())])
    }

    pub fn t2(&self, key: &str, a: &'static str, av: &str, b: &'static str, bv: &str) -> String {
        self.lang.t_with(key, &[(a, av.to_string().into()), (b, bv.to_string().into())])
    }

    /// A status's name in this language, as the desk configured it (statuses are data).
    pub fn status(&self, catalog: &tikal_service::Catalog, key: &str) -> String {
        catalog.status(key).map_or_else(|| key.to_string(), |d| d.name(self.lang.code()).to_string())
    }

    /// "5 · Crítica": a priority's level and the name the desk gave it in this language (the
    /// shipped name when the desk has not named it).
    pub fn priority(&self, catalog: &tikal_service::Catalog, p: tikal_core::Priority) -> String {
        let name = catalog
            .priority_levels
            .iter()
            .find(|l| l.priority == p)
            .map(|l| l.name(self.lang.code()).to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.t(&format!("desk-priority-{}", p.level())));
        format!("{} · {name}", p.level())
    }

    /// A ticket type's name as the desk configured it in this language (`key` as stored).
    pub fn ticket_type(&self, catalog: &tikal_service::Catalog, key: &str) -> String {
        catalog
            .ticket_types
            .iter()
            .find(|t| t.kind.as_str() == key)
            .map(|t| t.name(self.lang.code()).to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.t(&format!("desk-type-{key}")))
    }

    /// A due badge's words and class ("due in 2 h", "overdue by 35 min"): `late`, `soon`,
    /// `ok`, `met` or `paused`.
    pub fn due(&self, b: tikal_core::due::DueBadge) -> DueView {
        use tikal_core::due::{DueBadge, Unit, parts};
        let span = |minutes: i64| {
            parts(minutes)
                .into_iter()
                .map(|(n, u)| {
                    let unit = match u {
                        Unit::Day => "d",
                        Unit::Hour => "h",
                        Unit::Min => "min",
                    };
                    format!("{n} {unit}")
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (class, text) = match b {
            DueBadge::DueIn { minutes, soon } => (if soon { "soon" } else { "ok" }, self.t1("due-in", "time", &span(minutes))),
            DueBadge::Overdue { minutes } => ("late", self.t1("due-overdue", "time", &span(minutes))),
            DueBadge::Met => ("met", self.t("due-met")),
            DueBadge::MetLate { minutes } => ("late", self.t1("due-met-late", "time", &span(minutes))),
            DueBadge::Paused => ("paused", self.t("due-paused")),
        };
        DueView { class, text }
    }

    /// A date and time in the organisation's time zone.
    pub fn when(&self, t: &DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.time_zone);
        match self.lang {
            Lang::Es => local.format("%d/%m/%Y %H:%M").to_string(),
            Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

/// A due badge as pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueView {
    pub class: &'static str,
    pub text: String,
}

/// Renders a template as a page.
pub fn page<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template error");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    c: Chrome,
    message: String,
}

/// The same, in the workspace's layout (agents and administrators).
#[derive(Template)]
#[template(path = "agent/error.html")]
struct StaffErrorPage {
    c: Chrome,
    message: String,
}

/// A page-level failure: an error page in the visitor's language, or a redirect.
pub enum PageError {
    Status(Box<Chrome>, StatusCode, String),
    Redirect(String),
}

impl PageError {
    pub fn from_service(c: &Chrome, e: ServiceError) -> PageError {
        let (status, key) = match &e {
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "error-not-found"),
            ServiceError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            ServiceError::Conflict(_) => (StatusCode::CONFLICT, "error-conflict"),
            ServiceError::Domain(_) | ServiceError::TooLarge { .. } | ServiceError::Unsupported(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "error-form")
            }
            ServiceError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "error-busy"),
            ServiceError::Internal(source) => {
                let id = format!("{:08x}", rand::random::<u32>());
                tracing::error!(error = %source, error_id = %id, "internal error");
                return PageError::Status(Box::new(c.clone()), StatusCode::INTERNAL_SERVER_ERROR, c.t1("error-internal", "id", &id));
            }
        };
        PageError::Status(Box::new(c.clone()), status, c.t(key))
    }

    pub fn not_found(c: &Chrome) -> PageError {
        PageError::Status(Box::new(c.clone()), StatusCode::NOT_FOUND, c.t("error-not-found"))
    }

    pub fn csrf(c: &Chrome) -> PageError {
        PageError::Status(Box::new(c.clone()), StatusCode::FORBIDDEN, c.t("error-csrf"))
    }

    pub fn login() -> PageError {
        PageError::Redirect("/login".into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Redirect(to) => Redirect::to(&to).into_response(),
            PageError::Status(c, status, message) => {
                let mut resp = if c.staff { page(&StaffErrorPage { c: *c, message }) } else { page(&ErrorPage { c: *c, message }) };
                *resp.status_mut() = status;
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(BUSY_RETRY_AFTER));
                }
                resp
            }
        }
    }
}

/// Whether `back` is a path on this site to return to: absolute, not protocol-relative, and
/// free of backslashes and control characters (which browsers and proxies read differently).
pub fn local_path(back: &str) -> bool {
    back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') && !back.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Percent-encodes a value for a URL's query or path segment (everything but unreserved).
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Seconds a visitor is asked to wait when the server is too busy.
pub const BUSY_RETRY_AFTER: &str = "5";

/// Turns the plain-text answers of axum's extractors (a form without its token or with a
/// missing field, a body too large, a wrong content type) into an error page in the visitor's
/// language.
pub async fn framework_errors_as_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (method, uri, headers) = (req.method().clone(), req.uri().clone(), req.headers().clone());
    let resp = next.run(req).await;
    let plain = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/plain"));
    if !plain || !resp.status().is_client_error() {
        return resp;
    }
    let too_large = resp.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let Ok(copy) = axum::http::Request::builder().method(method).uri(uri).body(()) else { return resp };
    let (mut parts, ()) = copy.into_parts();
    parts.headers = headers;
    match <Visitor as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state).await {
        Ok(v) => {
            let (status, key) = if too_large {
                (StatusCode::PAYLOAD_TOO_LARGE, "error-form-too-large")
            } else {
                (StatusCode::UNPROCESSABLE_ENTITY, "error-form-invalid")
            };
            PageError::Status(Box::new(v.c.clone()), status, v.c.t(key)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Security headers for every response: no inline script, no framing, no sniffing.
pub async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    resp
}

/// A file of a thread entry as the pages list it; pictures are also shown in the thread (a
/// mail's inline images among them). SVG is not: it can carry script.
pub struct FileView {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub image: bool,
}

impl FileView {
    pub fn of(a: &tikal_store::AttachmentMeta) -> FileView {
        let image = matches!(a.content_type.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp");
        FileView { id: a.id.get(), name: a.filename.clone(), size: format!("{} KB", a.size.div_ceil(1024)), image }
    }
}
