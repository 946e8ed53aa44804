//! People administration over the API: agents (a POST invites by e-mail), roles, requesters
//! (search, edit, merge, CSV import with a dry run) and organisations.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::people::{AgentInput, ImportAction, MAX_IMPORT_BYTES, OrganisationInput, RequesterInput, RoleInput};
use tikal_core::permission::Permission;
use tikal_core::{AgentId, DepartmentId, DomainError, OrganisationId, Reason, RequesterId, RoleId};
use tikal_service::{ImportReport, REQUESTER_PAGE};
use tikal_store::{AgentRow, OrganisationRow, RequesterRow, RoleRow};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::AdminCaller;
use super::admin::id_of;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agents", get(list_agents).post(invite_agent))
        .route("/agents/{id}", get(show_agent).put(replace_agent))
        .route("/roles", get(list_roles).post(create_role))
        .route("/roles/{id}", get(show_role).put(replace_role).delete(delete_role))
        .route("/requesters", get(list_requesters))
        .route("/requesters/import", post(import_requesters))
        .route("/requesters/{id}", get(show_requester).put(replace_requester))
        .route("/requesters/{id}/merge", post(merge_requester))
        .route("/organisations", get(list_organisations).post(create_organisation))
        .route("/organisations/{id}", get(show_organisation).put(replace_organisation))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_agents, invite_agent, show_agent, replace_agent, list_roles, create_role, show_role, replace_role, delete_role,
        list_requesters, show_requester, replace_requester, merge_requester, import_requesters, list_organisations,
        create_organisation, show_organisation, replace_organisation
    ),
    tags((name = "people", description = "Agents, roles, requesters and organisations (administrators and full-access keys); every change is in the audit log"))
)]
pub struct Doc;

fn yes() -> bool {
    true
}

/// The role an agent holds in one department.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantDto {
    pub department_id: i64,
    pub role_id: i64,
}

/// An agent. Creating one sends them an invitation by e-mail to choose their password.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgentDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub is_admin: bool,
    /// `false` deactivates: their sessions and keys stop working at once.
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub grants: Vec<GrantDto>,
    /// Whether they have chosen a password (an invited agent has not yet).
    #[serde(default)]
    #[schema(read_only)]
    pub has_password: bool,
    /// Marked away: no automatic assignments (`PUT /agents/{id}/away` changes it).
    #[serde(default)]
    #[schema(read_only)]
    pub away: bool,
}

fn agent_dto(r: &AgentRow) -> AgentDto {
    AgentDto {
        id: r.agent.id.get(),
        email: r.agent.email.as_str().into(),
        name: r.agent.name.as_str().into(),
        is_admin: r.agent.is_admin,
        active: r.agent.active,
        grants: r.grants.iter().map(|(d, role)| GrantDto { department_id: d.get(), role_id: role.get() }).collect(),
        has_password: r.has_password,
        away: r.away,
    }
}

fn agent_input(dto: AgentDto) -> AgentInput {
    AgentInput {
        email: dto.email,
        name: dto.name,
        is_admin: dto.is_admin,
        active: dto.active,
        grants: dto.grants.into_iter().map(|g| (DepartmentId(g.department_id), RoleId(g.role_id))).collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AgentParams {
    /// Words of the name or address.
    q: Option<String>,
    /// `true` or `false`; both when left out.
    active: Option<bool>,
}

/// Agents with their grants.
#[utoipa::path(get, path = "/agents", tag = "people", params(AgentParams), responses((status = 200, body = Vec<AgentDto>), (status = 403)))]
pub async fn list_agents(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    params: Result<Query<AgentParams>, QueryRejection>,
) -> Result<Json<Vec<AgentDto>>, ApiError> {
    let Query(p) = params?;
    Ok(Json(state.desk.agent_rows(&by, p.q.as_deref(), p.active).await?.iter().map(agent_dto).collect()))
}

/// Invite an agent: they are created and mailed a link to choose their password.
#[utoipa::path(post, path = "/agents", tag = "people", request_body = AgentDto,
    responses((status = 201, body = AgentDto), (status = 403), (status = 422)))]
pub async fn invite_agent(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<AgentDto>, JsonRejection>,
) -> Result<(StatusCode, Json<AgentDto>), ApiError> {
    let Json(dto) = body?;
    let a = state.desk.save_agent(&by, None, agent_input(dto)).await?;
    Ok((StatusCode::CREATED, Json(agent_dto(&state.desk.agent_row(&by, a.id).await?))))
}

#[utoipa::path(get, path = "/agents/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = AgentDto), (status = 403), (status = 404)))]
pub async fn show_agent(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<AgentDto>, ApiError> {
    let id = AgentId(id_of(path, "agent")?);
    Ok(Json(agent_dto(&state.desk.agent_row(&by, id).await?)))
}

/// Replace an agent's address, name, grants, administrator flag and state.
#[utoipa::path(put, path = "/agents/{id}", tag = "people", params(("id" = i64, Path)), request_body = AgentDto,
    responses((status = 200, body = AgentDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_agent(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<AgentDto>, JsonRejection>,
) -> Result<Json<AgentDto>, ApiError> {
    let id = AgentId(id_of(path, "agent")?);
    let Json(dto) = body?;
    state.desk.save_agent(&by, Some(id), agent_input(dto)).await?;
    Ok(Json(agent_dto(&state.desk.agent_row(&by, id).await?)))
}

/// A named set of permissions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoleDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    /// E.g. `ticket.view`, `ticket.note`, `ticket.reply`.
    pub permissions: Vec<String>,
    /// Built-in roles keep their names and cannot be deleted.
    #[serde(default)]
    #[schema(read_only)]
    pub builtin: bool,
    /// How many grants hold it (a role in use cannot be deleted).
    #[serde(default)]
    #[schema(read_only)]
    pub grants: u64,
}

fn role_dto(r: &RoleRow) -> RoleDto {
    RoleDto {
        id: r.id.get(),
        name: r.name.clone(),
        permissions: r.permissions.iter().map(|p| p.as_str().to_string()).collect(),
        builtin: tikal_core::people::is_builtin_role(&r.name),
        grants: r.grants,
    }
}

fn role_input(dto: RoleDto) -> Result<RoleInput, ApiError> {
    let permissions = dto
        .permissions
        .iter()
        .map(|p| p.parse::<Permission>().map_err(|_| ApiError::from(DomainError::invalid("permissions", Reason::NotAnOption))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RoleInput { name: dto.name, permissions })
}

#[utoipa::path(get, path = "/roles", tag = "people", responses((status = 200, body = Vec<RoleDto>), (status = 403)))]
pub async fn list_roles(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<RoleDto>>, ApiError> {
    Ok(Json(state.desk.role_rows(&by).await?.iter().map(role_dto).collect()))
}

#[utoipa::path(post, path = "/roles", tag = "people", request_body = RoleDto,
    responses((status = 201, body = RoleDto), (status = 403), (status = 422)))]
pub async fn create_role(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<RoleDto>, JsonRejection>,
) -> Result<(StatusCode, Json<RoleDto>), ApiError> {
    let Json(dto) = body?;
    let r = state.desk.save_role(&by, None, role_input(dto)?).await?;
    Ok((StatusCode::CREATED, Json(role_dto(&r))))
}

#[utoipa::path(get, path = "/roles/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = RoleDto), (status = 403), (status = 404)))]
pub async fn show_role(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<RoleDto>, ApiError> {
    let id = RoleId(id_of(path, "role")?);
    Ok(Json(role_dto(&state.desk.role_row(&by, id).await?)))
}

/// Replace a role's name (not a built-in's) and permissions; agents holding it get them at once.
#[utoipa::path(put, path = "/roles/{id}", tag = "people", params(("id" = i64, Path)), request_body = RoleDto,
    responses((status = 200, body = RoleDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_role(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<RoleDto>, JsonRejection>,
) -> Result<Json<RoleDto>, ApiError> {
    let id = RoleId(id_of(path, "role")?);
    let Json(dto) = body?;
    Ok(Json(role_dto(&state.desk.save_role(&by, Some(id), role_input(dto)?).await?)))
}

/// Delete a role of the desk's own that no agent holds.
#[utoipa::path(delete, path = "/roles/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 422)))]
pub async fn delete_role(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = RoleId(id_of(path, "role")?);
    state.desk.delete_role(&by, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequesterDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub organisation_id: Option<i64>,
    /// `es`, `en`, or null for the desk's default.
    #[serde(default)]
    pub language: Option<String>,
    /// The requester this one was merged into (then it cannot change any more).
    #[serde(default)]
    #[schema(read_only)]
    pub merged_into: Option<i64>,
}

fn requester_dto(r: &RequesterRow) -> RequesterDto {
    RequesterDto {
        id: r.requester.id.get(),
        email: r.requester.email.as_str().into(),
        name: r.requester.name.as_str().into(),
        phone: r.phone.clone(),
        organisation_id: r.requester.organisation_id.map(|o| o.get()),
        language: r.language.clone(),
        merged_into: r.merged_into.map(|m| m.get()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RequesterParams {
    /// Words of the name, address or phone.
    q: Option<String>,
    /// Requesters after this id (the `id` of the last one of the previous page).
    after: Option<i64>,
    /// At most 200 (default 50).
    limit: Option<u64>,
}

/// Requesters (not merged ones) by id, a keyset page at a time.
#[utoipa::path(get, path = "/requesters", tag = "people", params(RequesterParams), responses((status = 200, body = Vec<RequesterDto>), (status = 403)))]
pub async fn list_requesters(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    params: Result<Query<RequesterParams>, QueryRejection>,
) -> Result<Json<Vec<RequesterDto>>, ApiError> {
    let Query(p) = params?;
    let rows = state.desk.requester_rows(&by, p.q.as_deref(), p.after.map(RequesterId), p.limit.unwrap_or(REQUESTER_PAGE)).await?;
    Ok(Json(rows.iter().map(requester_dto).collect()))
}

#[utoipa::path(get, path = "/requesters/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = RequesterDto), (status = 403), (status = 404)))]
pub async fn show_requester(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<RequesterDto>, ApiError> {
    let id = RequesterId(id_of(path, "requester")?);
    Ok(Json(requester_dto(&state.desk.requester_row(&by, id).await?)))
}

/// Replace a requester's address, name, phone, organisation and language.
#[utoipa::path(put, path = "/requesters/{id}", tag = "people", params(("id" = i64, Path)), request_body = RequesterDto,
    responses((status = 200, body = RequesterDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_requester(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<RequesterDto>, JsonRejection>,
) -> Result<Json<RequesterDto>, ApiError> {
    let id = RequesterId(id_of(path, "requester")?);
    let Json(dto) = body?;
    let input = RequesterInput {
        email: dto.email,
        name: dto.name,
        phone: dto.phone.unwrap_or_default(),
        organisation_id: dto.organisation_id.map(OrganisationId),
        language: dto.language.unwrap_or_default(),
    };
    Ok(Json(requester_dto(&state.desk.save_requester(&by, id, input).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeDto {
    /// The requester that absorbs this one.
    pub into: i64,
}

/// What a requester merge moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergedDto {
    pub merged_into: i64,
    pub tickets: u64,
    pub collaborations: u64,
    pub messages: u64,
    pub sessions_ended: u64,
}

/// Merge a duplicate requester into another: its tickets, collaborations and messages move; it
/// can no longer sign in, and its address leads to the other.
#[utoipa::path(post, path = "/requesters/{id}/merge", tag = "people", params(("id" = i64, Path)), request_body = MergeDto,
    responses((status = 200, body = MergedDto), (status = 403), (status = 404), (status = 422)))]
pub async fn merge_requester(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<MergeDto>, JsonRejection>,
) -> Result<Json<MergedDto>, ApiError> {
    let id = RequesterId(id_of(path, "requester")?);
    let Json(dto) = body?;
    let m = state.desk.merge_requester(&by, id, RequesterId(dto.into)).await?;
    Ok(Json(MergedDto {
        merged_into: dto.into,
        tickets: m.tickets,
        collaborations: m.collaborations,
        messages: m.messages,
        sessions_ended: m.sessions,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportParams {
    /// `true`: only check the file and report every row; nothing is saved.
    #[serde(default)]
    dry_run: bool,
}

/// One row of an import report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowDto {
    /// The line of the file (the header is line 1).
    pub line: usize,
    pub email: String,
    /// `create`, `update` or `error`.
    pub result: String,
    /// Why the row cannot be imported: `field: reason`.
    pub errors: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportDto {
    pub dry_run: bool,
    /// `utf-8` or `windows-1252`.
    pub encoding: String,
    pub valid: usize,
    pub refused: usize,
    pub created: u64,
    pub updated: u64,
    pub rows: Vec<ImportRowDto>,
}

fn report_dto(r: &ImportReport, dry_run: bool) -> ImportReportDto {
    let (created, updated) = r.applied.unwrap_or_default();
    ImportReportDto {
        dry_run,
        encoding: match r.encoding {
            tikal_core::people::Encoding::Utf8 => "utf-8",
            tikal_core::people::Encoding::Windows1252 => "windows-1252",
        }
        .into(),
        valid: r.valid(),
        refused: r.refused(),
        created,
        updated,
        rows: r
            .rows
            .iter()
            .map(|row| {
                let (result, errors) = match &row.outcome {
                    Ok((ImportAction::Create, _)) => ("create", Vec::new()),
                    Ok((ImportAction::Update(_), _)) => ("update", Vec::new()),
                    Err(e) => ("error", e.iter().map(ToString::to_string).collect()),
                };
                ImportRowDto { line: row.cells.line, email: row.cells.email.clone(), result: result.into(), errors }
            })
            .collect(),
    }
}

/// Import requesters from a CSV body (columns email, name, phone, organisation, language; at
/// most 2 MB and 10,000 rows). Valid rows are imported in one transaction; the report tells
/// every row's result. With `?dry_run=true` nothing is saved.
#[utoipa::path(post, path = "/requesters/import", tag = "people", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReportDto), (status = 403), (status = 413), (status = 422)))]
pub async fn import_requesters(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    params: Result<Query<ImportParams>, QueryRejection>,
    body: Bytes,
) -> Result<Json<ImportReportDto>, ApiError> {
    let Query(p) = params?;
    if body.len() > MAX_IMPORT_BYTES {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("the file is larger than {MAX_IMPORT_BYTES} bytes")));
    }
    match state.desk.import_requesters(&by, &body, !p.dry_run).await? {
        Ok(report) => Ok(Json(report_dto(&report, p.dry_run))),
        Err(e) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    /// New requesters with an address at this domain join the organisation.
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    pub requesters: u64,
}

fn organisation_dto(o: &OrganisationRow) -> OrganisationDto {
    OrganisationDto { id: o.organisation.id.get(), name: o.organisation.name.clone(), domain: o.domain.clone(), requesters: o.requesters }
}

#[utoipa::path(get, path = "/organisations", tag = "people", responses((status = 200, body = Vec<OrganisationDto>), (status = 403)))]
pub async fn list_organisations(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
) -> Result<Json<Vec<OrganisationDto>>, ApiError> {
    Ok(Json(state.desk.organisation_rows(&by).await?.iter().map(organisation_dto).collect()))
}

#[utoipa::path(post, path = "/organisations", tag = "people", request_body = OrganisationDto,
    responses((status = 201, body = OrganisationDto), (status = 403), (status = 422)))]
pub async fn create_organisation(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<OrganisationDto>, JsonRejection>,
) -> Result<(StatusCode, Json<OrganisationDto>), ApiError> {
    let Json(dto) = body?;
    let o = state.desk.save_organisation(&by, None, OrganisationInput { name: dto.name, domain: dto.domain.unwrap_or_default() }).await?;
    Ok((StatusCode::CREATED, Json(organisation_dto(&state.desk.organisation_row(&by, o.id).await?))))
}

#[utoipa::path(get, path = "/organisations/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = OrganisationDto), (status = 403), (status = 404)))]
pub async fn show_organisation(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<OrganisationDto>, ApiError> {
    let id = OrganisationId(id_of(path, "organisation")?);
    Ok(Json(organisation_dto(&state.desk.organisation_row(&by, id).await?)))
}

#[utoipa::path(put, path = "/organisations/{id}", tag = "people", params(("id" = i64, Path)), request_body = OrganisationDto,
    responses((status = 200, body = OrganisationDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_organisation(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<OrganisationDto>, JsonRejection>,
) -> Result<Json<OrganisationDto>, ApiError> {
    let id = OrganisationId(id_of(path, "organisation")?);
    let Json(dto) = body?;
    state.desk.save_organisation(&by, Some(id), OrganisationInput { name: dto.name, domain: dto.domain.unwrap_or_default() }).await?;
    Ok(Json(organisation_dto(&state.desk.organisation_row(&by, id).await?)))
}
