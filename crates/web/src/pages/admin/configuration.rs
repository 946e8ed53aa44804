//! The configuration file: download the desk's configuration as TOML; paste one to check it
//! (a dry run listing every change) and then apply it.

use askama::Template;
use axum::Router;
use axum::extract::{RawForm, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tikal_service::{ConfigReport, ImportAction};

use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/configuration", get(show).post(import)).route("/admin/configuration/export", get(export))
}

#[derive(Template)]
#[template(path = "admin/configuration.html")]
struct ConfigurationPage {
    c: Chrome,
    document: String,
    /// (entity, name, what happens) of the last check or import.
    changes: Vec<(String, String, String)>,
    applied: bool,
    checked: bool,
    error: Option<FormError>,
}

async fn show(a: Admin) -> Response {
    page(&ConfigurationPage { c: a.c().clone(), document: String::new(), changes: vec![], applied: false, checked: false, error: None })
}

async fn export(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let text = state.desk.export_configuration(a.principal()).await.map_err(|e| a.fail(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"tikal-configuration.toml\""),
        ],
        text,
    )
        .into_response())
}

fn rows(c: &Chrome, r: &ConfigReport) -> Vec<(String, String, String)> {
    r.changes
        .iter()
        .map(|ch| {
            let action = match ch.action {
                ImportAction::Create => "admin-config-create",
                ImportAction::Update => "admin-config-update",
                ImportAction::Unchanged => "admin-config-unchanged",
                ImportAction::NotInDocument => "admin-config-not-in-document",
            };
            (c.t(&format!("audit-entity-{}", ch.entity)), ch.name.clone(), c.t(action))
        })
        .collect()
}

async fn import(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let document = f.all_raw("document");
    let apply = f.get("apply") == "yes";
    let c = a.c().clone();
    match state.desk.import_configuration(a.principal(), &document, apply).await {
        Ok(report) => {
            let mut c = c;
            if report.applied {
                c.notice = Some(c.t("admin-config-applied"));
            }
            let changes = rows(&c, &report);
            Ok(page(&ConfigurationPage { c, document, changes, applied: report.applied, checked: true, error: None }))
        }
        Err(e) => {
            let error = FormError::from_service(&c, e)?;
            Ok(refused(&ConfigurationPage { c, document, changes: vec![], applied: false, checked: false, error: Some(error) }))
        }
    }
}
