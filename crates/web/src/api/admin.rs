//! Administration over the API: what `/admin` does, for scripts (administrators' sessions are
//! pages; here an administrator's own key or a full-access key). Each section's handlers
//! parse, call one `Desk` use case (which checks the caller and writes the audit log) and
//! render. Sections describe themselves in their own OpenAPI document, merged into the API's.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::admin::{AdminEntity, AuditEntry, AuditQuery, AutoAssign, DepartmentInput, TeamInput};
use tikal_core::desk::DepartmentRules;
use tikal_core::org::{Department, Team};
use tikal_core::{AgentId, DepartmentId, DomainError, Reason, SlaPlanId, TeamId};
use utoipa::{OpenApi, ToSchema};

use super::AdminCaller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/departments", axum::routing::post(create_department))
        .route("/departments/{id}", get(show_department).put(replace_department))
        .route("/teams", get(teams).post(create_team))
        .route("/teams/{id}", put(replace_team))
        .route("/audit-log", get(audit_log))
        .route(
            "/configuration",
            get(export_configuration).post(import_configuration).layer(axum::extract::DefaultBodyLimit::max(tikal_service::MAX_DOCUMENT)),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(create_department, show_department, replace_department, teams, create_team, replace_team, audit_log, export_configuration, import_configuration),
    tags((name = "administration", description = "Configuration of the desk (administrators and full-access keys); every change is in the audit log"))
)]
pub struct AdminDoc;

/// A positive id from the path; anything else is "not found" (ids cannot be probed).
pub(super) fn id_of(path: Result<Path<i64>, PathRejection>, what: &str) -> Result<i64, ApiError> {
    match path {
        Ok(Path(id)) if id > 0 => Ok(id),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))),
    }
}

/// A department as an administrator sees it, with its desk rules.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminDepartmentDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// The agent who answers for the department.
    #[serde(default)]
    pub manager_id: Option<i64>,
    /// Its From address and where its alerts go.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub sla_plan_id: Option<i64>,
    /// `off`, `round_robin` or `least_open`.
    #[serde(default = "off")]
    pub auto_assign: String,
    /// `false` retires it: no new tickets, history kept.
    #[serde(default = "yes")]
    pub active: bool,
    /// Where escalation sends its tickets.
    #[serde(default)]
    pub next_level_id: Option<i64>,
    /// `true`/`false`: its resolutions need (or not) a supervisor's review; `null`: the desk-wide rule.
    #[serde(default)]
    pub review_required: Option<bool>,
}

fn off() -> String {
    "off".into()
}

fn yes() -> bool {
    true
}

fn department_dto(d: &Department, r: &DepartmentRules) -> AdminDepartmentDto {
    AdminDepartmentDto {
        id: d.id.get(),
        name: d.name.clone(),
        parent_id: d.parent_id.map(DepartmentId::get),
        manager_id: d.manager_id.map(AgentId::get),
        email: d.email.as_ref().map(|e| e.as_str().to_string()),
        sla_plan_id: d.sla_plan_id.map(|p| p.get()),
        auto_assign: d.auto_assign.as_str().into(),
        active: d.active,
        next_level_id: r.next_level.map(DepartmentId::get),
        review_required: r.review_required,
    }
}

fn department_input(dto: AdminDepartmentDto) -> Result<(DepartmentInput, DepartmentRules), ApiError> {
    let auto_assign =
        dto.auto_assign.parse::<AutoAssign>().map_err(|_| ApiError::from(DomainError::invalid("auto_assign", Reason::NotAnOption)))?;
    let input = DepartmentInput {
        name: dto.name,
        parent_id: dto.parent_id.map(DepartmentId),
        manager_id: dto.manager_id.map(AgentId),
        email: dto.email.unwrap_or_default(),
        sla_plan_id: dto.sla_plan_id.map(SlaPlanId),
        auto_assign: Some(auto_assign),
        active: dto.active,
    };
    Ok((input, DepartmentRules { next_level: dto.next_level_id.map(DepartmentId), review_required: dto.review_required }))
}

/// Create a department (with its desk rules).
#[utoipa::path(post, path = "/departments", tag = "administration", request_body = AdminDepartmentDto,
    responses((status = 201, body = AdminDepartmentDto), (status = 403), (status = 422)))]
pub async fn create_department(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<AdminDepartmentDto>, JsonRejection>,
) -> Result<(StatusCode, Json<AdminDepartmentDto>), ApiError> {
    let Json(dto) = body?;
    let (input, rules) = department_input(dto)?;
    let d = state.desk.save_department(&by, None, input, Some(rules)).await?;
    let (d, r) = state.desk.department_for_admin(&by, d.id).await?;
    Ok((StatusCode::CREATED, Json(department_dto(&d, &r))))
}

/// A department with its settings and desk rules.
#[utoipa::path(get, path = "/departments/{id}", tag = "administration", params(("id" = i64, Path)),
    responses((status = 200, body = AdminDepartmentDto), (status = 403), (status = 404)))]
pub async fn show_department(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<AdminDepartmentDto>, ApiError> {
    let id = DepartmentId(id_of(path, "department")?);
    let (d, r) = state.desk.department_for_admin(&by, id).await?;
    Ok(Json(department_dto(&d, &r)))
}

/// Replace a department's settings and desk rules (fields left out take their defaults).
#[utoipa::path(put, path = "/departments/{id}", tag = "administration", params(("id" = i64, Path)), request_body = AdminDepartmentDto,
    responses((status = 200, body = AdminDepartmentDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_department(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<AdminDepartmentDto>, JsonRejection>,
) -> Result<Json<AdminDepartmentDto>, ApiError> {
    let id = DepartmentId(id_of(path, "department")?);
    let Json(dto) = body?;
    let (input, rules) = department_input(dto)?;
    state.desk.save_department(&by, Some(id), input, Some(rules)).await?;
    let (d, r) = state.desk.department_for_admin(&by, id).await?;
    Ok(Json(department_dto(&d, &r)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub department_id: Option<i64>,
    /// Agent ids.
    #[serde(default)]
    pub members: Vec<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn team_dto(t: &Team) -> TeamDto {
    TeamDto {
        id: t.id.get(),
        name: t.name.clone(),
        department_id: t.department_id.map(DepartmentId::get),
        members: t.members.iter().map(|m| m.get()).collect(),
        active: t.active,
    }
}

fn team_input(dto: TeamDto) -> TeamInput {
    TeamInput {
        name: dto.name,
        department_id: dto.department_id.map(DepartmentId),
        members: dto.members.into_iter().map(AgentId).collect(),
        active: dto.active,
    }
}

/// Teams and their members.
#[utoipa::path(get, path = "/teams", tag = "administration", responses((status = 200, body = Vec<TeamDto>), (status = 403)))]
pub async fn teams(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<TeamDto>>, ApiError> {
    Ok(Json(state.desk.teams(&by).await?.iter().map(team_dto).collect()))
}

/// Create a team.
#[utoipa::path(post, path = "/teams", tag = "administration", request_body = TeamDto,
    responses((status = 201, body = TeamDto), (status = 403), (status = 422)))]
pub async fn create_team(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<TeamDto>, JsonRejection>,
) -> Result<(StatusCode, Json<TeamDto>), ApiError> {
    let Json(dto) = body?;
    let t = state.desk.save_team(&by, None, team_input(dto)).await?;
    Ok((StatusCode::CREATED, Json(team_dto(&t))))
}

/// Replace a team's name, department, members and state.
#[utoipa::path(put, path = "/teams/{id}", tag = "administration", params(("id" = i64, Path)), request_body = TeamDto,
    responses((status = 200, body = TeamDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_team(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<TeamDto>, JsonRejection>,
) -> Result<Json<TeamDto>, ApiError> {
    let id = TeamId(id_of(path, "team")?);
    let Json(dto) = body?;
    let t = state.desk.save_team(&by, Some(id), team_input(dto)).await?;
    Ok(Json(team_dto(&t)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// Words of the summary, the actor's name or the entity id.
    q: Option<String>,
    /// department, team, help_topic, custom_field, status, priority, ticket_type, sla_plan,
    /// calendar, agent, role, requester, organisation, template, routing_rule, settings,
    /// configuration, mail_account, outbox_job, scheduled_task, kb_article.
    entity: Option<String>,
    entity_id: Option<String>,
    /// Entries at or after this instant (RFC 3339).
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Entries before this instant (RFC 3339).
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// Entries older than this id (the `id` of the last entry of the previous page).
    before: Option<i64>,
    /// At most 200 (default 50).
    limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `agent`, `api_key` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// create, update, retire, restore, delete, merge, import, retry.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub summary: String,
    /// The entity before and after, as JSON documents (null when it did not exist).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

fn audit_dto(e: AuditEntry) -> AuditEntryDto {
    let doc = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    AuditEntryDto {
        id: e.id,
        at: e.at,
        actor_kind: e.actor_kind,
        actor_id: e.actor_id,
        actor_name: e.actor_name,
        action: e.action.to_string(),
        entity: e.entity.to_string(),
        entity_id: e.entity_id,
        summary: e.summary,
        before: doc(e.before),
        after: doc(e.after),
    }
}

/// The audit log of administrative changes, newest first.
#[utoipa::path(get, path = "/audit-log", tag = "administration", params(AuditParams),
    responses((status = 200, body = Vec<AuditEntryDto>), (status = 400), (status = 403)))]
pub async fn audit_log(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<Vec<AuditEntryDto>>, ApiError> {
    let Query(p) = params?;
    let entity = p
        .entity
        .as_deref()
        .map(str::parse::<AdminEntity>)
        .transpose()
        .map_err(|_| ApiError::from(DomainError::invalid("entity", Reason::NotAnOption)))?;
    let q = AuditQuery {
        q: p.q,
        entity,
        entity_id: p.entity_id,
        since: p.since,
        until: p.until,
        before: p.before,
        limit: p.limit.unwrap_or(50),
        ..Default::default()
    };
    Ok(Json(state.desk.audit_log(&by, &q).await?.into_iter().map(audit_dto).collect()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportParams {
    /// `true` (the default): check the document and list the changes without making them.
    dry_run: Option<bool>,
}

/// The desk's configuration (departments, teams...) as a TOML document, by name and e-mail
/// (never ids), to import into another instance.
#[utoipa::path(get, path = "/configuration", tag = "administration",
    responses((status = 200, content_type = "application/toml", body = String), (status = 403)))]
pub async fn export_configuration(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let text = state.desk.export_configuration(&by).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/toml; charset=utf-8")], text).into_response())
}

/// Import a configuration document (TOML body). A dry run (the default) validates the whole
/// document and lists what would change; `dry_run=false` makes the changes, each audited.
/// Entities the document does not name are left as they are.
#[utoipa::path(post, path = "/configuration", tag = "administration", params(ImportParams),
    request_body(content = String, content_type = "application/toml"),
    responses((status = 200, body = Object), (status = 403), (status = 413), (status = 422)))]
pub async fn import_configuration(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    params: Result<Query<ImportParams>, QueryRejection>,
    body: Result<String, axum::extract::rejection::StringRejection>,
) -> Result<Json<tikal_service::ConfigReport>, ApiError> {
    let Query(p) = params?;
    let text = body.map_err(|e| ApiError::new(e.status(), "bad_body", e.body_text()))?;
    Ok(Json(state.desk.import_configuration(&by, &text, !p.dry_run.unwrap_or(true)).await?))
}
