//! Accounts: sign in, sign out, register, forgotten password, language choice.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::{EmailAddress, PersonName};
use tikal_service::{Confirmed, LoginError, Refusal, Registered, ServiceError};
use tikal_store::SessionOwner;

use super::session::{LANG_COOKIE, SESSION_COOKIE, set_cookie};
use super::{Chrome, Lang, PageError, Visitor, page};
use crate::AppState;
use crate::limits::ClientIp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/register", get(register_form).post(register_submit))
        .route("/register/confirm/{token}", get(confirm_form).post(confirm_submit))
        .route("/password/forgot", get(forgot_form).post(forgot_submit))
        .route("/password/reset/{token}", get(reset_form).post(reset_submit))
        .route("/language", post(language))
}

/// Errors shown next to form fields: (field name, message).
pub type FieldErrors = Vec<(String, String)>;

pub fn error_for<'a>(errors: &'a FieldErrors, field: &str) -> Option<&'a str> {
    errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
}

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    email: String,
    password: String,
}

async fn login_form(v: Visitor) -> Response {
    page(&LoginPage { c: v.c, email: String::new(), error: None })
}

pub(super) async fn start_session(state: &AppState, owner: SessionOwner, to: &str) -> Result<Response, ServiceError> {
    start_session_with(state, owner, to, SESSION_COOKIE).await
}

/// Starts a session whose token goes into `cookie`, and sends the browser on to `to`.
pub(super) async fn start_session_with(state: &AppState, owner: SessionOwner, to: &str, cookie: &str) -> Result<Response, ServiceError> {
    let session = state.desk.start_session(owner).await?;
    let mut resp = Redirect::to(to).into_response();
    let max_age = state.desk.session_lifetime().num_seconds();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(state, cookie, &session.token, max_age));
    Ok(resp)
}

async fn login_submit(
    State(state): State<AppState>,
    v: Visitor,
    ClientIp(client): ClientIp,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    match state.desk.sign_in(&f.email, &f.password, &client.to_string()).await {
        Ok(id) => start_session(&state, SessionOwner::Requester(id), "/tickets").await.map_err(|e| PageError::from_service(&v.c, e)),
        Err(e) => {
            let (key, status) = match e {
                LoginError::Throttled => ("login-throttled", axum::http::StatusCode::TOO_MANY_REQUESTS),
                LoginError::Unconfirmed => ("login-unconfirmed", axum::http::StatusCode::UNAUTHORIZED),
                LoginError::Invalid => ("login-invalid", axum::http::StatusCode::UNAUTHORIZED),
                // A database error or a full hashing queue is never "wrong password".
                LoginError::Failed(e) => return Err(PageError::from_service(&v.c, e)),
            };
            let mut resp = page(&LoginPage { error: Some(v.c.t(key)), c: v.c, email: f.email });
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn logout(State(state): State<AppState>, v: Visitor, Form(f): Form<CsrfOnly>) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    if let Some(token) = &v.session_token {
        state.desk.end_session(token).await.map_err(|e| PageError::from_service(&v.c, e))?;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0));
    Ok(resp)
}

#[derive(Template)]
#[template(path = "portal/register.html")]
struct RegisterPage {
    c: Chrome,
    email: String,
    name: String,
    errors: FieldErrors,
    message: Option<String>,
    min: usize,
}

impl RegisterPage {
    fn err(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Deserialize)]
struct RegisterForm {
    csrf: String,
    email: String,
    name: String,
    password: String,
}

async fn register_form(v: Visitor) -> Response {
    page(&RegisterPage {
        c: v.c,
        email: String::new(),
        name: String::new(),
        errors: Vec::new(),
        message: None,
        min: tikal_service::MIN_PASSWORD,
    })
}

async fn register_submit(
    State(state): State<AppState>,
    v: Visitor,
    ClientIp(client_ip): ClientIp,
    Form(f): Form<RegisterForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let lang = v.c.lang;
    let mut errors = FieldErrors::new();
    let email = EmailAddress::parse(&f.email).map_err(|e| errors.extend(lang.field_error(&e))).ok();
    let name = PersonName::parse(&f.name).map_err(|e| errors.extend(lang.field_error(&e))).ok();
    let mut message = None;
    if let (Some(email), Some(name)) = (&email, &name) {
        let base = state.desk.config().portal.public_url.trim_end_matches('/').to_string();
        let client = client_ip.to_string();
        match state.desk.register(email, name, &f.password, Some(lang.code()), &base, &client).await {
            Ok(Registered::SignedIn(id)) => {
                return start_session(&state, SessionOwner::Requester(id), "/tickets").await.map_err(|e| PageError::from_service(&v.c, e));
            }
            Ok(Registered::CheckMail) => {
                let mut c = v.c;
                c.notice = Some(c.t("register-confirm-sent"));
                return Ok(page(&LoginPage { c, email: f.email, error: None }));
            }
            Ok(Registered::Refused(r)) => {
                message = Some(v.c.t(match r {
                    Refusal::Closed => "register-closed",
                    Refusal::OtherDomain => "register-domain",
                    Refusal::NeedsMail => "register-needs-mail",
                    Refusal::Known => "register-known",
                }))
            }
            Err(ServiceError::Domain(e)) => errors.extend(lang.field_error(&e)),
            Err(e) => return Err(PageError::from_service(&v.c, e)),
        }
    }
    let mut resp = page(&RegisterPage { c: v.c, email: f.email, name: f.name, errors, message, min: tikal_service::MIN_PASSWORD });
    *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

/// The page a single-use link opens: what it does, and a button (mail scanners follow links
/// but do not press buttons, and a link alone signs nobody in).
#[derive(Template)]
#[template(path = "portal/link.html")]
pub(super) struct LinkPage {
    pub c: Chrome,
    pub title: String,
    pub lead: String,
    pub action: String,
    pub button: String,
    pub password: bool,
    pub error: Option<String>,
}

fn confirm_page(c: Chrome, token: &str, error: Option<String>) -> Response {
    let status = if error.is_some() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    let mut resp = page(&LinkPage {
        title: c.t("confirm-title"),
        lead: c.t("confirm-lead"),
        action: format!("/register/confirm/{token}"),
        button: c.t("confirm-submit"),
        password: true,
        error,
        c,
    });
    *resp.status_mut() = status;
    resp
}

fn confirm_invalid(c: &Chrome) -> PageError {
    PageError::Status(Box::new(c.clone()), axum::http::StatusCode::NOT_FOUND, c.t("register-confirm-invalid"))
}

/// The link of the confirmation mail: asks for the password chosen when registering.
async fn confirm_form(State(state): State<AppState>, v: Visitor, Path(token): Path<String>) -> Result<Response, PageError> {
    if !state.desk.confirmation_link_live(&token).await.map_err(|e| PageError::from_service(&v.c, e))? {
        return Err(confirm_invalid(&v.c));
    }
    Ok(confirm_page(v.c, &token, None))
}

#[derive(Deserialize)]
struct ConfirmForm {
    csrf: String,
    password: String,
}

/// Activates the account (the link is used up) and signs it in.
async fn confirm_submit(
    State(state): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    match state.desk.confirm_email(&token, &f.password).await.map_err(|e| PageError::from_service(&v.c, e))? {
        Confirmed::SignedIn(id) => {
            start_session(&state, SessionOwner::Requester(id), "/tickets").await.map_err(|e| PageError::from_service(&v.c, e))
        }
        Confirmed::WrongPassword => {
            let error = Some(v.c.t("confirm-wrong-password"));
            Ok(confirm_page(v.c, &token, error))
        }
        Confirmed::Invalid => Err(confirm_invalid(&v.c)),
    }
}

#[derive(Template)]
#[template(path = "portal/forgot.html")]
struct ForgotPage {
    c: Chrome,
    sent: bool,
}

#[derive(Deserialize)]
struct EmailForm {
    csrf: String,
    email: String,
}

async fn forgot_form(v: Visitor) -> Response {
    page(&ForgotPage { c: v.c, sent: false })
}

async fn forgot_submit(
    State(state): State<AppState>,
    v: Visitor,
    ClientIp(client_ip): ClientIp,
    Form(f): Form<EmailForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    if let Ok(email) = EmailAddress::parse(&f.email) {
        let base = state.desk.config().portal.public_url.trim_end_matches('/').to_string();
        let client = client_ip.to_string();
        state.desk.request_password_reset(&email, &base, &client).await.map_err(|e| PageError::from_service(&v.c, e))?;
    }
    // The same answer whether or not the address has an account.
    Ok(page(&ForgotPage { c: v.c, sent: true }))
}

#[derive(Template)]
#[template(path = "portal/reset.html")]
struct ResetPage {
    c: Chrome,
    token: String,
    error: Option<String>,
    min: usize,
}

#[derive(Deserialize)]
struct ResetForm {
    csrf: String,
    password: String,
}

/// The reset link's page: the form (only its POST uses the link), or why the link is dead.
async fn reset_form(State(state): State<AppState>, v: Visitor, Path(token): Path<String>) -> Result<Response, PageError> {
    if !state.desk.reset_link_live(&token).await.map_err(|e| PageError::from_service(&v.c, e))? {
        return Err(PageError::Status(Box::new(v.c.clone()), axum::http::StatusCode::NOT_FOUND, v.c.t("reset-invalid")));
    }
    Ok(page(&ResetPage { c: v.c, token, error: None, min: tikal_service::MIN_PASSWORD }))
}

async fn reset_submit(
    State(state): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    match state.desk.reset_password(&token, &f.password).await {
        Ok(id) => start_session(&state, SessionOwner::Requester(id), "/tickets").await.map_err(|e| PageError::from_service(&v.c, e)),
        Err(ServiceError::Domain(e)) => {
            let error = v.c.lang.field_error(&e).map(|(_, m)| m);
            Ok(page(&ResetPage { c: v.c, token, error, min: tikal_service::MIN_PASSWORD }))
        }
        Err(ServiceError::NotFound(_)) => {
            let error = Some(v.c.t("reset-invalid"));
            Ok(page(&ResetPage { c: v.c, token, error, min: tikal_service::MIN_PASSWORD }))
        }
        Err(e) => Err(PageError::from_service(&v.c, e)),
    }
}

#[derive(Deserialize)]
struct LanguageForm {
    csrf: String,
    lang: String,
    back: Option<String>,
}

/// Chooses the language (a cookie; signed-in requesters also keep it in their profile).
async fn language(State(state): State<AppState>, v: Visitor, Form(f): Form<LanguageForm>) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let lang = Lang::parse(&f.lang).unwrap_or_default();
    if let Some(tikal_service::Principal::Requester { id, .. }) = &v.principal {
        let profile = state.desk.requester_profile(*id).await.map_err(|e| PageError::from_service(&v.c, e))?;
        state
            .desk
            .update_profile(*id, &profile.requester.name, profile.phone.as_deref(), Some(lang.code()))
            .await
            .map_err(|e| PageError::from_service(&v.c, e))?;
    }
    // Only local paths: the form must not become an open redirect.
    let back = f.back.filter(|b| super::local_path(b)).unwrap_or_else(|| "/".into());
    let mut resp = Redirect::to(&back).into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&state, LANG_COOKIE, lang.code(), 60 * 60 * 24 * 365));
    Ok(resp)
}
