//! The service catalogue: departments and help topics.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::{Json, Router, routing::get};

use tikal_core::catalog::Audience;

use super::ApiCaller;
use super::dto::{DepartmentDto, FieldDto, HelpTopicDto, StatusDto};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/departments", get(departments))
        .route("/help-topics", get(help_topics))
        .route("/help-topics/{id}/form", get(form))
        .route("/statuses", get(statuses))
}

/// Ticket statuses in list order: the built-in ones and those the desk added, retired ones
/// included (tickets may still have them).
#[utoipa::path(get, path = "/statuses", tag = "catalogue", responses((status = 200, body = Vec<StatusDto>)))]
pub async fn statuses(State(state): State<AppState>, _: ApiCaller) -> Result<Json<Vec<StatusDto>>, ApiError> {
    let all = state.desk.statuses().await?;
    Ok(Json(
        all.into_iter()
            .map(|d| StatusDto {
                key: d.status.to_string(),
                state: d.status.category().to_string(),
                awaits_requester: d.status.awaits_requester(),
                builtin: d.status.is_builtin(),
                active: d.active,
                name_es: d.name_es,
                name_en: d.name_en,
            })
            .collect(),
    ))
}

/// Departments (queues).
#[utoipa::path(get, path = "/departments", tag = "catalogue", responses((status = 200, body = Vec<DepartmentDto>)))]
pub async fn departments(State(state): State<AppState>, _: ApiCaller) -> Result<Json<Vec<DepartmentDto>>, ApiError> {
    let catalog = state.desk.catalog().await?;
    Ok(Json(
        catalog
            .departments
            .iter()
            .map(|d| DepartmentDto { id: d.id.get(), name: d.name.clone(), parent_id: d.parent_id.map(|p| p.get()) })
            .collect(),
    ))
}

/// Active help topics of the catalogue, with their full path.
#[utoipa::path(get, path = "/help-topics", tag = "catalogue", responses((status = 200, body = Vec<HelpTopicDto>)))]
pub async fn help_topics(State(state): State<AppState>, _: ApiCaller) -> Result<Json<Vec<HelpTopicDto>>, ApiError> {
    let catalog = state.desk.catalog().await?;
    let all = &catalog.topics;
    Ok(Json(
        all.iter()
            .filter(|t| t.active)
            .map(|t| HelpTopicDto {
                id: t.id.get(),
                name: t.name.clone(),
                path: t.path(all),
                parent_id: t.parent_id.map(|p| p.get()),
                department_id: t.department_id.map(|d| d.get()),
                default_priority: t.default_priority.map(|p| p.level()),
                default_type: t.default_type.map(|k| k.to_string()),
            })
            .collect(),
    ))
}

/// The form of a help topic: the custom fields a ticket opened under it takes (its own and its
/// ancestors', and those of every form), to send as `custom_fields` when opening a ticket.
#[utoipa::path(get, path = "/help-topics/{id}/form", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<FieldDto>), (status = 404)))]
pub async fn form(
    State(state): State<AppState>,
    _: ApiCaller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Vec<FieldDto>>, ApiError> {
    let Path(id) = id?;
    let catalog = state.desk.catalog().await?;
    let topic = catalog
        .topic(tikal_core::HelpTopicId(id))
        .filter(|t| catalog.offered(t, Audience::Staff))
        .ok_or_else(|| ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "help topic not found"))?;
    Ok(Json(
        catalog
            .fields_for(Some(topic), Audience::Staff)
            .into_iter()
            .map(|f| FieldDto { key: f.key, label: f.label, kind: f.kind.to_string(), options: f.options, required: f.required })
            .collect(),
    ))
}
