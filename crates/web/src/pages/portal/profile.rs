//! The requester's profile: name, phone, language and password.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::PersonName;
use tikal_service::{Principal, ServiceError};

use super::super::auth::{FieldErrors, error_for};
use super::super::{Chrome, PageError, Visitor, page};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/profile", get(show).post(save)).route("/profile/password", post(password))
}

#[derive(Template)]
#[template(path = "portal/profile.html")]
struct ProfilePage {
    c: Chrome,
    email: String,
    name: String,
    phone: String,
    language: String,
    errors: FieldErrors,
    min: usize,
}

impl ProfilePage {
    fn err(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn requester(v: &Visitor) -> Result<tikal_core::RequesterId, PageError> {
    match v.principal()? {
        Principal::Requester { id, .. } => Ok(*id),
        _ => Err(PageError::from_service(&v.c, ServiceError::Forbidden)),
    }
}

async fn render(
    state: &AppState,
    mut c: Chrome,
    id: tikal_core::RequesterId,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let a = state.desk.requester_profile(id).await.map_err(|e| PageError::from_service(&c, e))?;
    c.notice = notice;
    let status = if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let mut resp = page(&ProfilePage {
        language: a.language.clone().unwrap_or_else(|| c.lang.code().to_string()),
        c,
        email: a.requester.email.to_string(),
        name: a.requester.name.as_str().to_string(),
        phone: a.phone.unwrap_or_default(),
        errors,
        min: tikal_service::MIN_PASSWORD,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

async fn show(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let id = requester(&v)?;
    render(&state, v.c, id, Vec::new(), None).await
}

#[derive(Deserialize)]
struct ProfileForm {
    csrf: String,
    name: String,
    phone: String,
    language: String,
}

async fn save(State(state): State<AppState>, v: Visitor, Form(f): Form<ProfileForm>) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let id = requester(&v)?;
    let lang = v.c.lang;
    let mut errors = FieldErrors::new();
    if let Ok(name) = PersonName::parse(&f.name).map_err(|e| errors.extend(lang.field_error(&e))) {
        match state.desk.update_profile(id, &name, Some(&f.phone), Some(&f.language)).await {
            Ok(()) => {}
            Err(ServiceError::Domain(e)) => errors.extend(lang.field_error(&e)),
            Err(e) => return Err(PageError::from_service(&v.c, e)),
        }
    }
    let mut c = v.c.clone();
    if errors.is_empty() {
        // Show the saved page in the language just chosen.
        c.lang = super::super::Lang::parse(&f.language).unwrap_or(lang);
    }
    let notice = errors.is_empty().then(|| c.t("profile-saved"));
    render(&state, c, id, errors, notice).await
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

async fn password(State(state): State<AppState>, v: Visitor, Form(f): Form<PasswordForm>) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let id = requester(&v)?;
    let mut errors = FieldErrors::new();
    match state.desk.change_password(id, &f.current, &f.new).await {
        Ok(()) => {
            // Every session ended with the change; this one starts again.
            let resp = super::super::auth::start_session(&state, tikal_store::SessionOwner::Requester(id), "/profile").await;
            return resp.map_err(|e| PageError::from_service(&v.c, e));
        }
        Err(ServiceError::Domain(e)) => errors.extend(v.c.lang.field_error(&e)),
        Err(e) => return Err(PageError::from_service(&v.c, e)),
    }
    render(&state, v.c, id, errors, None).await
}
