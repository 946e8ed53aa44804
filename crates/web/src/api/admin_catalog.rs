//! Administration of the service catalogue over the API: help topics and custom fields, for
//! administrators' keys and full-access keys. `GET /help-topics` (in `catalog.rs`) stays the
//! integrations' list of what they may open tickets under; these calls see everything,
//! retired topics and fields included.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::catalog::{CustomField, FieldSpec, RequiredFor, TopicInput};
use tikal_core::fields::FieldKind;
use tikal_core::org::HelpTopic;
use tikal_core::{CustomFieldId, DepartmentId, DomainError, HelpTopicId, Priority, Reason, SlaPlanId, TicketType};
use utoipa::{OpenApi, ToSchema};

use super::AdminCaller;
use super::admin::id_of;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/help-topics", post(create_topic))
        .route("/help-topics/{id}", get(show_topic).put(replace_topic))
        .route("/custom-fields", get(list_fields).post(create_field))
        .route("/custom-fields/{id}", get(show_field).put(replace_field))
}

#[derive(OpenApi)]
#[openapi(
    paths(create_topic, show_topic, replace_topic, list_fields, create_field, show_field, replace_field),
    tags((name = "catalogue administration", description = "Help topics and the custom fields of their forms (administrators and full-access keys); every change is in the audit log"))
)]
pub struct Doc;

const TAG: &str = "catalogue administration";

fn yes() -> bool {
    true
}

/// A help topic with everything an administrator sets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminHelpTopicDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    /// "Parent / Child" path.
    #[serde(default)]
    #[schema(read_only)]
    pub path: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// Where its tickets go (`null`: the desk's default department).
    #[serde(default)]
    pub department_id: Option<i64>,
    /// 1 (very low) to 5 (very high); `null`: from impact and urgency.
    #[serde(default)]
    pub default_priority: Option<u8>,
    /// incident, service_request, problem or major_incident.
    #[serde(default)]
    pub default_type: Option<String>,
    #[serde(default)]
    pub sla_plan_id: Option<i64>,
    /// `false`: only agents register tickets under it.
    #[serde(default = "yes")]
    pub portal_visible: bool,
    /// `false` retires it: not offered for new tickets, its tickets keep it.
    #[serde(default = "yes")]
    pub active: bool,
    /// Its place among its siblings (lower first, then by name), 0-100000.
    #[serde(default)]
    pub sort: i32,
    #[serde(default)]
    pub description: String,
}

fn topic_dto(t: &HelpTopic, all: &[HelpTopic]) -> AdminHelpTopicDto {
    AdminHelpTopicDto {
        id: t.id.get(),
        name: t.name.clone(),
        path: t.path(all),
        parent_id: t.parent_id.map(HelpTopicId::get),
        department_id: t.department_id.map(DepartmentId::get),
        default_priority: t.default_priority.map(|p| p.level()),
        default_type: t.default_type.map(|k| k.to_string()),
        sla_plan_id: t.sla_plan_id.map(|p| p.get()),
        portal_visible: t.portal_visible,
        active: t.active,
        sort: t.sort,
        description: t.description.clone(),
    }
}

fn topic_input(dto: AdminHelpTopicDto) -> Result<TopicInput, ApiError> {
    let default_priority = dto
        .default_priority
        .map(Priority::try_from)
        .transpose()
        .map_err(|_| ApiError::from(DomainError::invalid("default_priority", Reason::OutOfRange { min: 1, max: 5 })))?;
    let default_type = dto
        .default_type
        .as_deref()
        .map(str::parse::<TicketType>)
        .transpose()
        .map_err(|_| ApiError::from(DomainError::invalid("default_type", Reason::NotAnOption)))?;
    Ok(TopicInput {
        name: dto.name,
        parent_id: dto.parent_id.map(HelpTopicId),
        department_id: dto.department_id.map(DepartmentId),
        default_priority,
        default_type,
        sla_plan_id: dto.sla_plan_id.map(SlaPlanId),
        portal_visible: dto.portal_visible,
        active: dto.active,
        sort: dto.sort,
        description: dto.description,
    })
}

async fn topic_reply(state: &AppState, by: &tikal_service::Principal, id: HelpTopicId) -> Result<AdminHelpTopicDto, ApiError> {
    let all = state.desk.help_topics_for_admin(by).await?;
    let t = all.iter().find(|t| t.id == id).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "help topic not found"))?;
    Ok(topic_dto(t, &all))
}

/// Create a help topic.
#[utoipa::path(post, path = "/help-topics", tag = TAG, request_body = AdminHelpTopicDto,
    responses((status = 201, body = AdminHelpTopicDto), (status = 403), (status = 422)))]
pub async fn create_topic(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<AdminHelpTopicDto>, JsonRejection>,
) -> Result<(StatusCode, Json<AdminHelpTopicDto>), ApiError> {
    let Json(dto) = body?;
    let t = state.desk.save_help_topic(&by, None, topic_input(dto)?).await?;
    Ok((StatusCode::CREATED, Json(topic_reply(&state, &by, t.id).await?)))
}

/// A help topic with its settings, retired or not.
#[utoipa::path(get, path = "/help-topics/{id}", tag = TAG, params(("id" = i64, Path)),
    responses((status = 200, body = AdminHelpTopicDto), (status = 403), (status = 404)))]
pub async fn show_topic(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<AdminHelpTopicDto>, ApiError> {
    let id = HelpTopicId(id_of(path, "help topic")?);
    Ok(Json(topic_reply(&state, &by, id).await?))
}

/// Replace a help topic's settings (fields left out take their defaults).
#[utoipa::path(put, path = "/help-topics/{id}", tag = TAG, params(("id" = i64, Path)), request_body = AdminHelpTopicDto,
    responses((status = 200, body = AdminHelpTopicDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_topic(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<AdminHelpTopicDto>, JsonRejection>,
) -> Result<Json<AdminHelpTopicDto>, ApiError> {
    let id = HelpTopicId(id_of(path, "help topic")?);
    let Json(dto) = body?;
    state.desk.save_help_topic(&by, Some(id), topic_input(dto)?).await?;
    Ok(Json(topic_reply(&state, &by, id).await?))
}

/// A custom field of a form.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomFieldDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    /// `[a-z0-9_]`, the name of its value in a ticket's `custom_fields`; fixed once created.
    pub key: String,
    /// text, long_text, number, select, multi_select, checkbox or date; fixed once created.
    pub kind: String,
    /// The choices of a select or multi_select (1-50, distinct).
    #[serde(default)]
    pub options: Vec<String>,
    pub label_es: String,
    pub label_en: String,
    #[serde(default)]
    pub help_es: String,
    #[serde(default)]
    pub help_en: String,
    /// none, requester (required in the portal and for agents registering on a requester's
    /// behalf) or agent (required for staff only).
    #[serde(default = "none")]
    pub required_for: String,
    /// The topic whose form (and its subtopics') shows it; `null`: every form.
    #[serde(default)]
    pub help_topic_id: Option<i64>,
    /// `false` retires it: off the forms, values on tickets kept.
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub sort: i32,
}

fn none() -> String {
    "none".into()
}

fn field_dto(f: &CustomField) -> CustomFieldDto {
    CustomFieldDto {
        id: f.id.get(),
        key: f.key.clone(),
        kind: f.kind.to_string(),
        options: f.options.clone(),
        label_es: f.label_es.clone(),
        label_en: f.label_en.clone(),
        help_es: f.help_es.clone(),
        help_en: f.help_en.clone(),
        required_for: f.required_for.to_string(),
        help_topic_id: f.help_topic_id.map(HelpTopicId::get),
        active: f.active,
        sort: f.sort,
    }
}

fn field_spec(dto: CustomFieldDto) -> Result<FieldSpec, ApiError> {
    let kind = dto.kind.parse::<FieldKind>().map_err(|_| ApiError::from(DomainError::invalid("kind", Reason::NotAnOption)))?;
    let required_for =
        dto.required_for.parse::<RequiredFor>().map_err(|_| ApiError::from(DomainError::invalid("required_for", Reason::NotAnOption)))?;
    Ok(FieldSpec {
        key: dto.key,
        kind,
        options: dto.options,
        label_es: dto.label_es,
        label_en: dto.label_en,
        help_es: dto.help_es,
        help_en: dto.help_en,
        required_for,
        help_topic_id: dto.help_topic_id.map(HelpTopicId),
        active: dto.active,
        sort: dto.sort,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FieldParams {
    /// Only the fields of this topic's own form.
    topic: Option<i64>,
}

/// Every custom field, retired ones included.
#[utoipa::path(get, path = "/custom-fields", tag = TAG, params(FieldParams),
    responses((status = 200, body = Vec<CustomFieldDto>), (status = 400), (status = 403)))]
pub async fn list_fields(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    params: Result<Query<FieldParams>, QueryRejection>,
) -> Result<Json<Vec<CustomFieldDto>>, ApiError> {
    let Query(p) = params?;
    let all = state.desk.custom_fields_for_admin(&by).await?;
    Ok(Json(all.iter().filter(|f| p.topic.is_none_or(|t| f.help_topic_id == Some(HelpTopicId(t)))).map(field_dto).collect()))
}

/// Create a custom field.
#[utoipa::path(post, path = "/custom-fields", tag = TAG, request_body = CustomFieldDto,
    responses((status = 201, body = CustomFieldDto), (status = 403), (status = 422)))]
pub async fn create_field(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<CustomFieldDto>, JsonRejection>,
) -> Result<(StatusCode, Json<CustomFieldDto>), ApiError> {
    let Json(dto) = body?;
    let f = state.desk.save_custom_field(&by, None, field_spec(dto)?).await?;
    Ok((StatusCode::CREATED, Json(field_dto(&f))))
}

/// A custom field.
#[utoipa::path(get, path = "/custom-fields/{id}", tag = TAG, params(("id" = i64, Path)),
    responses((status = 200, body = CustomFieldDto), (status = 403), (status = 404)))]
pub async fn show_field(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<CustomFieldDto>, ApiError> {
    let id = CustomFieldId(id_of(path, "custom field")?);
    let all = state.desk.custom_fields_for_admin(&by).await?;
    let f = all.iter().find(|f| f.id == id).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "custom field not found"))?;
    Ok(Json(field_dto(f)))
}

/// Replace a custom field's definition (retire it with `"active": false`).
#[utoipa::path(put, path = "/custom-fields/{id}", tag = TAG, params(("id" = i64, Path)), request_body = CustomFieldDto,
    responses((status = 200, body = CustomFieldDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_field(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<CustomFieldDto>, JsonRejection>,
) -> Result<Json<CustomFieldDto>, ApiError> {
    let id = CustomFieldId(id_of(path, "custom field")?);
    let Json(dto) = body?;
    let f = state.desk.save_custom_field(&by, Some(id), field_spec(dto)?).await?;
    Ok(Json(field_dto(&f)))
}
