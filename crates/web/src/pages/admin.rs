//! Administration under `/admin`: what an IT director configures. Administrators sign in at
//! `/agent/login` (the agent cookie); every page and form here is refused to anyone else, on
//! the server, before a form is read. Each section is a module; every change goes through a
//! `Desk` use case that writes the audit log in the same transaction.

mod audit;
mod catalog;
mod configuration;
mod departments;
mod inbound;
mod mail;
pub mod outbox;
mod people;
mod people_requesters;
mod priorities;
mod priorities_sla;
mod rules;
mod schedule;
mod settings;
mod templates;
mod time_rules;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, extract::State};
use tikal_core::DomainError;
use tikal_service::{Principal, ServiceError};

use super::agent::Staff;
use super::{Chrome, PageError, page};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .merge(audit::router())
        .merge(departments::router())
        .merge(configuration::router())
        .merge(catalog::router())
        .merge(priorities::router())
        .merge(people::router())
        .merge(people_requesters::router())
        .merge(templates::router())
        .merge(mail::router())
        .merge(rules::router())
        .merge(time_rules::router())
        .merge(settings::router())
        .merge(inbound::router())
        .merge(outbox::router())
        .merge(schedule::router())
}

/// A signed-in administrator. Other agents get 403; anyone not signed in goes to the sign-in
/// page and comes back.
pub struct Admin {
    pub s: Staff,
}

impl Admin {
    pub fn c(&self) -> &Chrome {
        &self.s.v.c
    }

    pub fn principal(&self) -> &Principal {
        self.s.principal()
    }

    pub fn check_form(&self, token: &str) -> Result<(), PageError> {
        self.s.check_form(token)
    }

    /// An error page for a failed use case.
    pub fn fail(&self, e: ServiceError) -> PageError {
        PageError::from_service(self.c(), e)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let s = Staff::from_request_parts(parts, state).await?;
        match s.access() {
            Some(a) if a.all => Ok(Admin { s }),
            _ => Err(PageError::Status(Box::new(s.v.c.clone()), StatusCode::FORBIDDEN, s.v.c.t("admin-forbidden"))),
        }
    }
}

/// A submitted form with repeated fields (multi-selects, checkbox lists).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Fields {
        Fields(tikal_core::queue::query_pairs(&String::from_utf8_lossy(body)).collect())
    }

    /// The first value of `key`, trimmed ("" when absent).
    pub fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.trim())
    }

    /// The first value of `key` exactly as sent (long texts, documents).
    pub fn all_raw(&self, key: &str) -> String {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect()
    }

    /// A checkbox: present (any value but "off"/"false") means checked.
    pub fn checked(&self, key: &str) -> bool {
        self.0.iter().any(|(k, v)| k == key && v != "off" && v != "false")
    }

    /// An optional id: "" is none; anything else must be a positive number.
    pub fn id(&self, key: &'static str) -> Result<Option<i64>, DomainError> {
        opt_id(key, self.get(key))
    }

    /// Every id of a multi-select.
    pub fn ids(&self, key: &'static str) -> Result<Vec<i64>, DomainError> {
        self.all(key)
            .into_iter()
            .map(|v| opt_id(key, v).map(|o| o.unwrap_or_default()))
            .filter(|r| r.as_ref().map_or(true, |v| *v > 0))
            .collect()
    }
}

/// An id from the path; anything else is "not found".
pub fn path_id(c: &Chrome, raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| PageError::not_found(c))
}

/// An optional id from a form: "" is none; anything else must be a positive number.
pub fn opt_id(field: &'static str, v: &str) -> Result<Option<i64>, DomainError> {
    match v.trim() {
        "" => Ok(None),
        v => match v.parse::<i64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(DomainError::invalid(field, tikal_core::Reason::NotAnOption)),
        },
    }
}

/// A refused form: the field it concerns (as the form names it) and why, in the user's
/// language. Other failures (not found, forbidden, internal) are error pages.
pub struct FormError {
    pub field: String,
    pub message: String,
}

impl FormError {
    /// Splits a use case's failure into a message for the form, or an error page.
    pub fn from_service(c: &Chrome, e: ServiceError) -> Result<FormError, PageError> {
        match e {
            ServiceError::Domain(d) => Ok(FormError::from_domain(c, &d)),
            ServiceError::Conflict(m) => Ok(FormError { field: String::new(), message: format!("{}: {m}", c.t("error-conflict")) }),
            other => Err(PageError::from_service(c, other)),
        }
    }

    pub fn from_domain(c: &Chrome, d: &DomainError) -> FormError {
        match c.lang.field_error(d) {
            Some((field, reason)) => {
                let label = c.t(&format!("admin-field-{field}"));
                // A rule's own explanation (English, from the domain) beats "not valid".
                let detail = match d {
                    DomainError::Invalid { reason: tikal_core::Reason::Other(why), .. } => format!(" ({why})"),
                    _ => String::new(),
                };
                FormError { message: format!("{label}: {reason}{detail}"), field }
            }
            None => FormError { field: String::new(), message: c.lang.domain_error(d) },
        }
    }

    /// Whether the error belongs to `field` (its input is marked invalid).
    pub fn is(&self, field: &str) -> bool {
        self.field == field
    }
}

/// A page answered with 422 (a refused form shown again with its values).
pub fn refused<T: Template>(t: &T) -> Response {
    let mut r = page(t);
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

/// One entry of the administration menu: its path, its label key.
pub const SECTIONS: &[(&str, &str)] = &[
    ("/admin/departments", "admin-nav-departments"),
    ("/admin/teams", "admin-nav-teams"),
    ("/admin/topics", "admin-nav-topics"),
    ("/admin/fields", "admin-nav-fields"),
    ("/admin/priorities", "admin-nav-priorities"),
    ("/admin/types", "admin-nav-types"),
    ("/admin/statuses", "admin-nav-statuses"),
    ("/admin/sla", "admin-nav-sla"),
    ("/admin/calendars", "admin-nav-calendars"),
    ("/admin/agents", "admin-nav-agents"),
    ("/admin/roles", "admin-nav-roles"),
    ("/admin/requesters", "admin-nav-requesters"),
    ("/admin/organisations", "admin-nav-organisations"),
    ("/admin/templates", "admin-nav-templates"),
    ("/admin/mail", "admin-nav-mail"),
    ("/admin/inbound", "admin-nav-inbound"),
    ("/admin/outbox", "admin-nav-outbox"),
    ("/admin/schedule", "admin-nav-schedule"),
    ("/admin/rules", "admin-nav-rules"),
    ("/admin/time-rules", "admin-nav-time-rules"),
    ("/admin/settings", "admin-nav-settings"),
    ("/admin/configuration", "admin-nav-configuration"),
    ("/admin/audit", "admin-nav-audit"),
];

/// Whether the page shown is `path` or one below it (the menu marks it).
pub fn is_here(c: &Chrome, path: impl AsRef<str>) -> bool {
    let path = path.as_ref();
    c.here == path || c.here.starts_with(&format!("{path}/")) || c.here.starts_with(&format!("{path}?"))
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    c: Chrome,
    sections: Vec<(&'static str, String, String)>,
    rows: Vec<audit::Row>,
}

async fn index(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let q = tikal_core::admin::AuditQuery { limit: 8, ..Default::default() };
    let recent = state.desk.audit_log(a.principal(), &q).await.map_err(|e| a.fail(e))?;
    // Failed mail is the one thing the index calls out: it is not sent unless someone acts.
    let dead = state.desk.dead_job_count(a.principal(), None).await.map_err(|e| a.fail(e))?;
    let c = a.c().clone();
    let hint = |key: &str| match (key, dead) {
        ("admin-nav-outbox", n) if n > 0 => c.lang.t_with("outbox-dead-hint", &[("n", n.into())]),
        _ => c.t(&format!("{key}-hint")),
    };
    let sections = SECTIONS.iter().map(|(path, key)| (*path, c.t(key), hint(key))).collect();
    let rows = recent.iter().map(|e| audit::Row::of(&c, e)).collect();
    Ok(page(&IndexPage { c, sections, rows }).into_response())
}
