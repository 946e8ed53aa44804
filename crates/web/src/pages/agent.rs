//! The agent workspace under `/agent`: sign-in, the dashboard, queues and the ticket desk.
//! It has its own session cookie (`session::Workspace`): a requester's session never opens
//! these pages.

mod dashboard;
mod desk;
mod intake;
mod kb;

pub(super) use kb::serve_file as serve_kb_file;
mod queue;
mod search;

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::{Access, AgentId};
use tikal_service::{LoginError, Principal};
use tikal_store::SessionOwner;

use super::session::{AGENT_COOKIE, Workspace, set_cookie};
use super::{Chrome, PageError, Visitor, page};
use crate::AppState;
use crate::limits::ClientIp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agent/login", get(login_form).post(login_submit))
        .route("/agent/logout", post(logout))
        .route("/agent/language", post(language))
        .merge(dashboard::router())
        .merge(intake::router())
        .merge(queue::router())
        .merge(desk::router())
        .merge(kb::router())
        .merge(search::router())
}

/// A visitor of the workspace who may or may not be signed in (the sign-in page).
pub struct AgentVisitor(pub Visitor);

impl FromRequestParts<AppState> for AgentVisitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(AgentVisitor(Visitor::of(parts, state, Workspace::Agent).await?))
    }
}

/// A signed-in agent; any other visitor is sent to the sign-in page (and back here after).
pub struct Staff {
    pub v: Visitor,
    pub id: AgentId,
    /// Always `Principal::Agent` (the extractor builds nothing else).
    principal: Principal,
}

impl Staff {
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn access(&self) -> Option<&Access> {
        match &self.principal {
            Principal::Agent { access, .. } => Some(access),
            _ => None,
        }
    }

    pub fn check_form(&self, token: &str) -> Result<(), PageError> {
        self.v.check_form(token)
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let v = Visitor::of(parts, state, Workspace::Agent).await?;
        match v.principal.clone() {
            Some(principal @ Principal::Agent { id, .. }) => Ok(Staff { v, id, principal }),
            _ => Err(PageError::Redirect(login_path(&v.c.here))),
        }
    }
}

/// The sign-in page, coming back to `here` afterwards when it is a workspace page.
fn login_path(here: &str) -> String {
    if workspace_path(here) && here != "/agent/login" && super::local_path(here) {
        format!("/agent/login?next={}", urlencoding(here))
    } else {
        "/agent/login".into()
    }
}

/// A page of the workspace or of administration (both behind the agent sign-in).
fn workspace_path(p: &str) -> bool {
    ["/agent", "/admin"].iter().any(|w| p == *w || p.starts_with(&format!("{w}/")) || p.starts_with(&format!("{w}?")))
}

/// Percent-encodes a path for a query parameter (only what a local path can hold).
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after signing in: a workspace page named by `next`, else the dashboard.
fn after_login(next: Option<&str>) -> &str {
    match next {
        Some(n) if workspace_path(n) && super::local_path(n) && !n.starts_with("/agent/login") => n,
        _ => "/agent",
    }
}

#[derive(Template)]
#[template(path = "agent/login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

async fn login_form(AgentVisitor(v): AgentVisitor, Query(q): Query<NextParam>) -> Response {
    if matches!(v.principal, Some(Principal::Agent { .. })) {
        return Redirect::to(after_login(q.next.as_deref())).into_response();
    }
    let next = after_login(q.next.as_deref()).to_string();
    page(&LoginPage { c: v.c, email: String::new(), next, error: None })
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    AgentVisitor(v): AgentVisitor,
    ClientIp(client): ClientIp,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let to = after_login(f.next.as_deref()).to_string();
    match state.desk.agent_sign_in(&f.email, &f.password, &client.to_string()).await {
        Ok(id) => super::auth::start_session_with(&state, SessionOwner::Agent(id), &to, AGENT_COOKIE)
            .await
            .map_err(|e| PageError::from_service(&v.c, e)),
        Err(e) => {
            let (key, status) = match e {
                LoginError::Throttled => ("login-throttled", axum::http::StatusCode::TOO_MANY_REQUESTS),
                LoginError::Invalid | LoginError::Unconfirmed => ("login-invalid", axum::http::StatusCode::UNAUTHORIZED),
                LoginError::Failed(e) => return Err(PageError::from_service(&v.c, e)),
            };
            let mut resp = page(&LoginPage { error: Some(v.c.t(key)), c: v.c, email: f.email, next: to });
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn logout(State(state): State<AppState>, AgentVisitor(v): AgentVisitor, Form(f): Form<CsrfOnly>) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    if let Some(token) = &v.session_token {
        state.desk.end_session(token).await.map_err(|e| PageError::from_service(&v.c, e))?;
    }
    let mut resp = Redirect::to("/agent/login").into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&state, AGENT_COOKIE, "", 0));
    Ok(resp)
}

#[derive(Deserialize)]
struct LanguageForm {
    csrf: String,
    lang: String,
    back: Option<String>,
}

/// Chooses the workspace's language (a cookie shared with the portal).
async fn language(
    State(state): State<AppState>,
    AgentVisitor(v): AgentVisitor,
    Form(f): Form<LanguageForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let lang = super::Lang::parse(&f.lang).unwrap_or_default();
    let back = f.back.filter(|b| b.starts_with("/agent") && super::local_path(b)).unwrap_or_else(|| "/agent".into());
    let mut resp = Redirect::to(&back).into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&state, super::session::LANG_COOKIE, lang.code(), 60 * 60 * 24 * 365));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_workspace_pages() {
        assert_eq!(after_login(Some("/agent/tickets?view=mine")), "/agent/tickets?view=mine");
        assert_eq!(after_login(Some("//evil.example/agent")), "/agent");
        assert_eq!(after_login(Some("https://evil.example/agent")), "/agent");
        assert_eq!(after_login(Some("/tickets")), "/agent");
        assert_eq!(after_login(Some("/agent/login")), "/agent");
        assert_eq!(after_login(None), "/agent");
        assert_eq!(login_path("/agent/tickets?view=mine&page=2"), "/agent/login?next=/agent/tickets%3Fview%3Dmine%26page%3D2");
        assert_eq!(login_path("/tickets"), "/agent/login");
        assert_eq!(login_path("/admin/teams"), "/agent/login?next=/admin/teams");
        assert_eq!(after_login(Some("/admin/departments/3")), "/admin/departments/3");
        assert_eq!(after_login(Some("/administrator")), "/agent");
    }
}
