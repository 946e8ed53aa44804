//! Automation over the API: time rules (administrators' and full-access keys; every change in
//! the audit log) and marking an agent away (the agent's own key, or an administrator's).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::automation::{TimeRule, TimeRuleInput};
use tikal_core::{AgentId, DepartmentId};
use utoipa::{OpenApi, ToSchema};

use super::admin::id_of;
use super::{AdminCaller, ApiCaller};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/time-rules", get(list).post(create))
        .route("/time-rules/{id}", get(show).put(replace))
        .route("/agents/{id}/away", put(set_away))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, replace, set_away),
    tags((name = "automation", description = "Time rules (a ticket unassigned, unanswered, waiting on its requester or unchanged for some minutes: alert the supervisors, the manager or the owner, raise the priority, or transfer it; each rule fires once per ticket) and agents marked away (no automatic assignments)"))
)]
pub struct Doc;

fn yes() -> bool {
    true
}

/// A time rule. Retire it by saving it with `active: false`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimeRuleDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    /// Only tickets of this department; none: every department.
    #[serde(default)]
    pub department_id: Option<i64>,
    /// `unassigned`, `no_first_response`, `pending_requester` (waiting on the requester,
    /// unchanged) or `not_updated`.
    pub condition: String,
    /// How long the condition holds before the rule fires (1 to 129600).
    pub minutes: u32,
    /// `notify_supervisors`, `notify_manager`, `notify_owner`, `raise_priority` or `transfer`.
    pub action: String,
    /// Where `transfer` moves the ticket (required for it, ignored otherwise).
    #[serde(default)]
    pub target_department_id: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn dto(r: &TimeRule) -> TimeRuleDto {
    TimeRuleDto {
        id: r.id,
        name: r.name.clone(),
        department_id: r.department_id.map(DepartmentId::get),
        condition: r.condition.as_str().into(),
        minutes: r.minutes,
        action: r.action.as_str().into(),
        target_department_id: r.target_department_id.map(DepartmentId::get),
        active: r.active,
    }
}

fn input(d: TimeRuleDto) -> TimeRuleInput {
    TimeRuleInput {
        name: d.name,
        department_id: d.department_id.map(DepartmentId),
        condition: d.condition,
        minutes: d.minutes.to_string(),
        action: d.action,
        target_department_id: d.target_department_id.map(DepartmentId),
        active: d.active,
    }
}

/// Every time rule, retired ones too, by name.
#[utoipa::path(get, path = "/time-rules", tag = "automation", responses((status = 200, body = Vec<TimeRuleDto>), (status = 403)))]
pub async fn list(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<TimeRuleDto>>, ApiError> {
    Ok(Json(state.desk.time_rules(&by).await?.iter().map(dto).collect()))
}

#[utoipa::path(post, path = "/time-rules", tag = "automation", request_body = TimeRuleDto,
    responses((status = 201, body = TimeRuleDto), (status = 403), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<TimeRuleDto>, JsonRejection>,
) -> Result<(StatusCode, Json<TimeRuleDto>), ApiError> {
    let Json(d) = body?;
    let r = state.desk.save_time_rule(&by, None, input(d)).await?;
    Ok((StatusCode::CREATED, Json(dto(&r))))
}

#[utoipa::path(get, path = "/time-rules/{id}", tag = "automation", params(("id" = i64, Path)),
    responses((status = 200, body = TimeRuleDto), (status = 403), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<TimeRuleDto>, ApiError> {
    let id = id_of(path, "time rule")?;
    Ok(Json(dto(&state.desk.time_rule(&by, id).await?)))
}

/// Replace a time rule (`active: false` retires it: it fires no more).
#[utoipa::path(put, path = "/time-rules/{id}", tag = "automation", params(("id" = i64, Path)), request_body = TimeRuleDto,
    responses((status = 200, body = TimeRuleDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<TimeRuleDto>, JsonRejection>,
) -> Result<Json<TimeRuleDto>, ApiError> {
    let id = id_of(path, "time rule")?;
    let Json(d) = body?;
    Ok(Json(dto(&state.desk.save_time_rule(&by, Some(id), input(d)).await?)))
}

/// Whether an agent is away: away agents get no automatic assignments.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AwayDto {
    pub away: bool,
}

/// Mark an agent away or back: an agent's own key for themselves, an administrator's or a
/// full-access key for anyone (audited).
#[utoipa::path(put, path = "/agents/{id}/away", tag = "automation", params(("id" = i64, Path)), request_body = AwayDto,
    responses((status = 200, body = AwayDto), (status = 403), (status = 404), (status = 422)))]
pub async fn set_away(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<AwayDto>, JsonRejection>,
) -> Result<Json<AwayDto>, ApiError> {
    let id = AgentId(id_of(path, "agent")?);
    let Json(d) = body?;
    state.desk.set_away(&by, id, d.away).await?;
    Ok(Json(AwayDto { away: state.desk.is_away(id).await? }))
}
