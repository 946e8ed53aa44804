//! The agent's ticket desk over the API: transfer, escalate, resolve with a solution, the review
//! queue, merge, links, collaborators, time, history, presence, canned responses and the
//! departments' desk rules. Each handler parses, calls one `Desk` use case and renders.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::desk::{Activity, CannedOwner, Collaborator, DepartmentRules, LinkKind};
use tikal_core::*;
use tikal_service::{CANNED_VARIABLES, PresenceView};
use tikal_store::CannedRow;
use utoipa::{IntoParams, ToSchema};

use super::ApiCaller;
use super::dto::{EntryDto, TicketDto, TicketPage};
use super::tickets::{TicketPath, decode_cursor, encode_cursor, parse_number, render, render_one};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets/{number}/transfer", post(transfer))
        .route("/tickets/{number}/escalate", post(escalate))
        .route("/tickets/{number}/resolve", post(resolve))
        .route("/tickets/{number}/solution", get(solution))
        .route("/tickets/{number}/merge", post(merge).get(merged_into))
        .route("/tickets/{number}/links", get(links).post(link))
        .route("/tickets/{number}/links/{other}", delete(unlink))
        .route("/tickets/{number}/collaborators", get(collaborators).post(add_collaborator))
        .route("/tickets/{number}/collaborators/{kind}/{id}", delete(remove_collaborator))
        .route("/tickets/{number}/time", get(time_sheet))
        .route("/tickets/{number}/history", get(history))
        .route("/tickets/{number}/presence", get(presence).post(touch_presence))
        .route("/review-queue", get(review_queue))
        .route("/canned-responses", get(canned_list).post(canned_create))
        .route("/canned-responses/{id}", get(canned_show).patch(canned_update).delete(canned_delete))
        .route("/canned-responses/{id}/render", post(canned_render))
        .route("/departments/{id}/rules", get(department_rules).put(set_department_rules))
}

fn invalid(field: &'static str, reason: impl Into<Reason>) -> ApiError {
    DomainError::invalid(field, reason).into()
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn parse_kind<T: std::str::FromStr>(field: &'static str, raw: &str) -> Result<T, ApiError> {
    raw.parse::<T>().map_err(|_| invalid(field, format!("unknown value `{}`", raw.chars().take(40).collect::<String>())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub department_id: i64,
    /// Why it goes there (required; kept on the `transferred` event, not shown to the requester).
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Required.
    pub reason: String,
}

/// Move the ticket to another department, with a reason.
#[utoipa::path(post, path = "/tickets/{number}/transfer", tag = "desk", params(("number" = String, Path)), request_body = TransferRequest,
    responses((status = 200, body = TicketDto), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn transfer(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<TransferRequest>, JsonRejection>,
) -> Result<Json<TicketDto>, ApiError> {
    let Json(dto) = body?;
    let t = state.desk.transfer(&by, &number, DepartmentId(dto.department_id), &dto.reason).await?;
    Ok(Json(render_one(&state.desk, &t).await?))
}

/// Move the ticket to its department's next level, with a reason (an `escalated` event).
///
/// 409 `no_next_level` when the department names none (see `PUT /departments/{id}/rules`).
#[utoipa::path(post, path = "/tickets/{number}/escalate", tag = "desk", params(("number" = String, Path)), request_body = ReasonRequest,
    responses((status = 200, body = TicketDto), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn escalate(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<ReasonRequest>, JsonRejection>,
) -> Result<Json<TicketDto>, ApiError> {
    let Json(dto) = body?;
    let t = state.desk.escalate(&by, &number, &dto.reason).await?;
    Ok(Json(render_one(&state.desk, &t).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What was done (required); the requester sees it.
    pub solution: String,
    /// A status of the resolved category; `resolved` when absent.
    pub status: Option<String>,
}

/// Resolve the ticket with its solution.
///
/// Where the department's resolutions need review, the ticket then waits in the review queue
/// until a supervisor approves or returns it (`POST /tickets/{number}/resolution`).
#[utoipa::path(post, path = "/tickets/{number}/resolve", tag = "desk", params(("number" = String, Path)), request_body = ResolveRequest,
    responses((status = 200, body = TicketDto), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn resolve(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<ResolveRequest>, JsonRejection>,
) -> Result<Json<TicketDto>, ApiError> {
    let Json(dto) = body?;
    let status = dto.status.as_deref().map(StatusKey::parse).transpose()?;
    let t = state.desk.resolve(&by, &number, &dto.solution, status.as_ref()).await?;
    Ok(Json(render_one(&state.desk, &t).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SolutionDto {
    pub body: String,
    pub author_name: Option<String>,
    pub recorded_at: String,
}

/// The recorded solution (404 while there is none).
#[utoipa::path(get, path = "/tickets/{number}/solution", tag = "desk", params(("number" = String, Path)),
    responses((status = 200, body = SolutionDto), (status = 404)))]
pub async fn solution(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<SolutionDto>, ApiError> {
    let s = state.desk.solution(&by, &number).await?.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no solution yet"))?;
    Ok(Json(SolutionDto { body: s.body, author_name: s.author_name, recorded_at: rfc3339(s.at) }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The number of the ticket that survives.
    pub into: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeInfoDto {
    /// The survivor's number, when this ticket was merged into another.
    pub merged_into: Option<String>,
}

/// Merge this ticket into another.
///
/// This ticket closes and points to the survivor, whose thread shows this one's messages,
/// replies, notes and attachments from then on; both get an event. Both tickets must be in
/// departments where the caller may merge.
#[utoipa::path(post, path = "/tickets/{number}/merge", tag = "desk", params(("number" = String, Path)), request_body = MergeRequest,
    responses((status = 200, body = TicketDto, description = "The survivor"), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn merge(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<MergeRequest>, JsonRejection>,
) -> Result<Json<TicketDto>, ApiError> {
    let Json(dto) = body?;
    let survivor = state.desk.merge(&by, &number, &parse_number(&dto.into)?).await?;
    Ok(Json(render_one(&state.desk, &survivor).await?))
}

/// Where this ticket was merged into, if it was.
#[utoipa::path(get, path = "/tickets/{number}/merge", tag = "desk", params(("number" = String, Path)),
    responses((status = 200, body = MergeInfoDto), (status = 404)))]
pub async fn merged_into(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<MergeInfoDto>, ApiError> {
    let into = state.desk.merged_into(&by, &number).await?;
    Ok(Json(MergeInfoDto { merged_into: into.map(|n| n.to_string()) }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The other ticket's number.
    pub ticket: String,
    /// How this ticket relates to the other: related, duplicate_of, duplicated_by, parent_of,
    /// child_of.
    pub kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkDto {
    /// As seen from this ticket: related, duplicate_of, duplicated_by, parent_of, child_of.
    pub kind: String,
    pub ticket: TicketDto,
}

/// The ticket's links, both directions (to tickets the caller may see).
#[utoipa::path(get, path = "/tickets/{number}/links", tag = "desk", params(("number" = String, Path)),
    responses((status = 200, body = Vec<LinkDto>), (status = 404)))]
pub async fn links(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<Vec<LinkDto>>, ApiError> {
    let list = state.desk.links(&by, &number).await?;
    let tickets: Vec<Ticket> = list.iter().map(|l| l.ticket.clone()).collect();
    let rendered = render(&state.desk, &tickets).await?;
    Ok(Json(list.iter().zip(rendered).map(|(l, ticket)| LinkDto { kind: l.kind.to_string(), ticket }).collect()))
}

/// Link this ticket to another (once per pair; never to itself).
#[utoipa::path(post, path = "/tickets/{number}/links", tag = "desk", params(("number" = String, Path)), request_body = LinkRequest,
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "`already_linked` or `same_ticket`"), (status = 422)))]
pub async fn link(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<LinkRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(dto) = body?;
    let kind: LinkKind = parse_kind("kind", &dto.kind)?;
    state.desk.link(&by, &number, &parse_number(&dto.ticket)?, kind).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove the link between this ticket and another.
#[utoipa::path(delete, path = "/tickets/{number}/links/{other}", tag = "desk", params(("number" = String, Path), ("other" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn unlink(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path((number, other)) = path?;
    state.desk.unlink(&by, &parse_number(&number)?, &parse_number(&other)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CollaboratorDto {
    /// `agent` or `requester`
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    pub name: String,
    pub email: String,
}

fn collaborator_parts(who: Collaborator) -> (&'static str, i64) {
    match who {
        Collaborator::Agent(a) => ("agent", a.get()),
        Collaborator::Requester(r) => ("requester", r.get()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCollaborator {
    /// Another agent...
    pub agent_id: Option<i64>,
    /// ... or a requester copied on the ticket (registered if the address is new).
    pub requester_email: Option<String>,
    pub requester_name: Option<String>,
}

/// The collaborators: other agents and requesters copied on the ticket.
#[utoipa::path(get, path = "/tickets/{number}/collaborators", tag = "desk", params(("number" = String, Path)),
    responses((status = 200, body = Vec<CollaboratorDto>), (status = 403), (status = 404)))]
pub async fn collaborators(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<Vec<CollaboratorDto>>, ApiError> {
    let list = state.desk.collaborators(&by, &number).await?;
    Ok(Json(
        list.into_iter()
            .map(|c| {
                let (kind, id) = collaborator_parts(c.who);
                CollaboratorDto { kind: kind.to_string(), id, name: c.name, email: c.email }
            })
            .collect(),
    ))
}

/// Add a collaborator: `agent_id`, or `requester_email` (not both).
#[utoipa::path(post, path = "/tickets/{number}/collaborators", tag = "desk", params(("number" = String, Path)), request_body = AddCollaborator,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn add_collaborator(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<AddCollaborator>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(dto) = body?;
    match (dto.agent_id, dto.requester_email.as_deref()) {
        (Some(a), None) => state.desk.add_collaborator(&by, &number, Collaborator::Agent(AgentId(a))).await?,
        (None, Some(email)) => {
            let name = dto.requester_name.as_deref().filter(|n| !n.trim().is_empty()).map(PersonName::parse).transpose()?;
            state.desk.add_cc(&by, &number, &EmailAddress::parse(email)?, name).await?;
        }
        _ => return Err(invalid("agent_id", "give agent_id or requester_email")),
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a collaborator (`kind` is `agent` or `requester`).
#[utoipa::path(delete, path = "/tickets/{number}/collaborators/{kind}/{id}", tag = "desk",
    params(("number" = String, Path), ("kind" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn remove_collaborator(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<(String, String, i64)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path((number, kind, id)) = path?;
    let who = match kind.as_str() {
        "agent" => Collaborator::Agent(AgentId(id)),
        "requester" => Collaborator::Requester(RequesterId(id)),
        _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "collaborator not found")),
    };
    state.desk.remove_collaborator(&by, &parse_number(&number)?, who).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeEntryDto {
    pub id: i64,
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    pub minutes: u32,
    pub note: Option<String>,
    pub logged_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeSheetDto {
    pub estimate_minutes: Option<u32>,
    pub spent_minutes: u32,
    pub entries: Vec<TimeEntryDto>,
}

/// The estimate and the time logged, entry by entry (log more with `POST /tickets/{number}/time`).
#[utoipa::path(get, path = "/tickets/{number}/time", tag = "desk", params(("number" = String, Path)),
    responses((status = 200, body = TimeSheetDto), (status = 403), (status = 404)))]
pub async fn time_sheet(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<TimeSheetDto>, ApiError> {
    let sheet = state.desk.time_sheet(&by, &number).await?;
    Ok(Json(TimeSheetDto {
        estimate_minutes: sheet.estimate_minutes,
        spent_minutes: sheet.spent_minutes,
        entries: sheet
            .entries
            .into_iter()
            .map(|(e, name)| TimeEntryDto {
                id: e.id,
                agent_id: e.agent.map(AgentId::get),
                agent_name: name,
                minutes: e.minutes,
                note: e.note,
                logged_at: rfc3339(e.at),
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDto {
    pub number: String,
    /// Every recorded change, oldest first: who, when, the event, before and after.
    pub events: Vec<EntryDto>,
}

/// The history of every change (events only; the full thread is `GET /tickets/{number}/thread`).
#[utoipa::path(get, path = "/tickets/{number}/history", tag = "desk", params(("number" = String, Path)),
    responses((status = 200, body = HistoryDto), (status = 404)))]
pub async fn history(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<HistoryDto>, ApiError> {
    let events = state.desk.history(&by, &number).await?;
    let n = number.to_string();
    Ok(Json(HistoryDto { events: events.iter().map(|e| EntryDto::new(&n, e, &[])).collect(), number: n }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceDto {
    pub agent_id: i64,
    pub agent_name: String,
    /// `viewing` or `replying`
    pub activity: String,
    pub seen_at: String,
}

impl From<PresenceView> for PresenceDto {
    fn from(p: PresenceView) -> Self {
        PresenceDto { agent_id: p.agent.get(), agent_name: p.name, activity: p.activity.to_string(), seen_at: rfc3339(p.seen_at) }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceRequest {
    /// `viewing` or `replying`
    pub activity: String,
}

/// The agents on the ticket within the last minute (collision notice), the caller included.
#[utoipa::path(get, path = "/tickets/{number}/presence", tag = "desk", params(("number" = String, Path)),
    responses((status = 200, body = Vec<PresenceDto>), (status = 403), (status = 404)))]
pub async fn presence(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<Vec<PresenceDto>>, ApiError> {
    Ok(Json(state.desk.presence(&by, &number).await?.into_iter().map(PresenceDto::from).collect()))
}

/// Say that the calling agent is viewing or replying to the ticket now (repeat it while the
/// ticket is open; a presence older than 60 s no longer counts). Agents' keys only.
#[utoipa::path(post, path = "/tickets/{number}/presence", tag = "desk", params(("number" = String, Path)), request_body = PresenceRequest,
    responses((status = 200, body = Vec<PresenceDto>), (status = 403), (status = 404), (status = 422)))]
pub async fn touch_presence(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<PresenceRequest>, JsonRejection>,
) -> Result<Json<Vec<PresenceDto>>, ApiError> {
    let Json(dto) = body?;
    let activity: Activity = parse_kind("activity", &dto.activity)?;
    state.desk.touch_presence(&by, &number, activity).await?;
    Ok(Json(state.desk.presence(&by, &number).await?.into_iter().map(PresenceDto::from).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// From `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1-200, default 50.
    limit: Option<u64>,
}

/// Resolved tickets waiting for a supervisor's review, in the departments where the caller
/// may approve; most recently changed first (the queue's `review=awaiting`).
#[utoipa::path(get, path = "/review-queue", tag = "desk", params(PageParams), responses((status = 200, body = TicketPage), (status = 403)))]
pub async fn review_queue(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<TicketPage>, ApiError> {
    let Query(p) = params?;
    let sort = tikal_core::queue::BuiltinView::AwaitingReview.filter().sort;
    let cursor = p.cursor.as_deref().map(|c| decode_cursor(c, sort)).transpose()?;
    let listing = state.desk.review_queue(&by, cursor, p.limit.unwrap_or(50)).await?;
    Ok(Json(TicketPage { tickets: render(&state.desk, &listing.tickets).await?, next_cursor: listing.cursor.as_ref().map(encode_cursor) }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CannedDto {
    pub id: i64,
    pub title: String,
    /// A template: `{{ requester_name }}`, `{{ requester_email }}`, `{{ ticket_number }}`,
    /// `{{ subject }}`, `{{ agent_name }}`, `{{ department }}`, `{{ status }}`.
    pub body: String,
    /// `personal` (the caller's own), `department` or `desk` (every agent).
    pub scope: String,
    pub department_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub updated_at: String,
}

impl From<CannedRow> for CannedDto {
    fn from(c: CannedRow) -> Self {
        let (scope, department_id, agent_id) = match c.owner {
            CannedOwner::Personal(a) => ("personal", None, Some(a.get())),
            CannedOwner::Department(d) => ("department", Some(d.get()), None),
            CannedOwner::Desk => ("desk", None, None),
        };
        CannedDto {
            id: c.id,
            title: c.text.title,
            body: c.text.body,
            scope: scope.to_string(),
            department_id,
            agent_id,
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedInput {
    pub title: String,
    /// A template; it must render with the documented variables (checked on save).
    pub body: String,
    /// Shared with the agents of this department ...
    pub department_id: Option<i64>,
    /// ... or, without a department, `true` shares it with every agent (administrators) and
    /// `false` (the default) keeps it the caller's own.
    #[serde(default)]
    pub shared: bool,
}

fn canned_owner(by: &tikal_service::Principal, dto: &CannedInput) -> Result<CannedOwner, ApiError> {
    match (dto.department_id, dto.shared, by) {
        (Some(d), _, _) => Ok(CannedOwner::Department(DepartmentId(d))),
        (None, true, _) => Ok(CannedOwner::Desk),
        (None, false, tikal_service::Principal::Agent { id, .. }) => Ok(CannedOwner::Personal(*id)),
        (None, false, _) => Err(invalid("shared", "only agents have personal responses: give department_id or shared")),
    }
}

/// The canned responses the caller may use: their own, the desk's and their departments'.
#[utoipa::path(get, path = "/canned-responses", tag = "desk", responses((status = 200, body = Vec<CannedDto>), (status = 403)))]
pub async fn canned_list(State(state): State<AppState>, ApiCaller(by): ApiCaller) -> Result<Json<Vec<CannedDto>>, ApiError> {
    Ok(Json(state.desk.canned_responses(&by).await?.into_iter().map(CannedDto::from).collect()))
}

/// Save a canned response.
#[utoipa::path(post, path = "/canned-responses", tag = "desk", request_body = CannedInput,
    responses((status = 201, body = CannedDto), (status = 403), (status = 422)))]
pub async fn canned_create(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    body: Result<Json<CannedInput>, JsonRejection>,
) -> Result<(StatusCode, Json<CannedDto>), ApiError> {
    let Json(dto) = body?;
    let owner = canned_owner(&by, &dto)?;
    let row = state.desk.create_canned(&by, owner, &dto.title, &dto.body).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

fn canned_id(path: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    path.map(|Path(id)| id).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "canned response not found"))
}

/// One canned response.
#[utoipa::path(get, path = "/canned-responses/{id}", tag = "desk", params(("id" = i64, Path)),
    responses((status = 200, body = CannedDto), (status = 404)))]
pub async fn canned_show(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<CannedDto>, ApiError> {
    Ok(Json(state.desk.canned_response(&by, canned_id(path)?).await?.into()))
}

/// Change a canned response (all fields).
#[utoipa::path(patch, path = "/canned-responses/{id}", tag = "desk", params(("id" = i64, Path)), request_body = CannedInput,
    responses((status = 200, body = CannedDto), (status = 403), (status = 404), (status = 422)))]
pub async fn canned_update(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<CannedInput>, JsonRejection>,
) -> Result<Json<CannedDto>, ApiError> {
    let id = canned_id(path)?;
    let Json(dto) = body?;
    let owner = canned_owner(&by, &dto)?;
    Ok(Json(state.desk.update_canned(&by, id, owner, &dto.title, &dto.body).await?.into()))
}

/// Delete a canned response.
#[utoipa::path(delete, path = "/canned-responses/{id}", tag = "desk", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn canned_delete(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    state.desk.delete_canned(&by, canned_id(path)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    /// The ticket to fill the variables from.
    pub ticket: String,
    /// `es` (default) or `en`: the language of the status name.
    pub lang: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedDto {
    pub body: String,
    /// The variables a template may use.
    pub variables: Vec<String>,
}

/// A canned response filled in for a ticket, ready to send as a reply.
#[utoipa::path(post, path = "/canned-responses/{id}/render", tag = "desk", params(("id" = i64, Path)), request_body = RenderRequest,
    responses((status = 200, body = RenderedDto), (status = 403), (status = 404), (status = 422)))]
pub async fn canned_render(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<RenderRequest>, JsonRejection>,
) -> Result<Json<RenderedDto>, ApiError> {
    let id = canned_id(path)?;
    let Json(dto) = body?;
    let lang = if dto.lang.as_deref() == Some("en") { "en" } else { "es" };
    let body = state.desk.render_canned(&by, id, &parse_number(&dto.ticket)?, lang).await?;
    Ok(Json(RenderedDto { body, variables: CANNED_VARIABLES.iter().map(|v| v.to_string()).collect() }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRulesDto {
    /// The department tickets are escalated to.
    pub next_level_id: Option<i64>,
    /// `true`: resolutions wait for a supervisor's review here; `null`: the desk-wide setting
    /// (`[desk.resolution] approval_required`) decides.
    pub review_required: Option<bool>,
}

fn department_id(path: Result<Path<i64>, PathRejection>) -> Result<DepartmentId, ApiError> {
    path.map(|Path(id)| DepartmentId(id)).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "department not found"))
}

/// A department's desk rules: next level and review of resolutions.
#[utoipa::path(get, path = "/departments/{id}/rules", tag = "desk", params(("id" = i64, Path)),
    responses((status = 200, body = DepartmentRulesDto), (status = 404)))]
pub async fn department_rules(
    State(state): State<AppState>,
    _: ApiCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<DepartmentRulesDto>, ApiError> {
    let r = state.desk.department_rules(department_id(path)?).await?;
    Ok(Json(DepartmentRulesDto { next_level_id: r.next_level.map(DepartmentId::get), review_required: r.review_required }))
}

/// Set a department's desk rules (administrators and full-access keys).
#[utoipa::path(put, path = "/departments/{id}/rules", tag = "desk", params(("id" = i64, Path)), request_body = DepartmentRulesDto,
    responses((status = 200, body = DepartmentRulesDto), (status = 403), (status = 404), (status = 422)))]
pub async fn set_department_rules(
    State(state): State<AppState>,
    super::AdminCaller(by): super::AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<DepartmentRulesDto>, JsonRejection>,
) -> Result<Json<DepartmentRulesDto>, ApiError> {
    let dept = department_id(path)?;
    let Json(dto) = body?;
    let rules = DepartmentRules { next_level: dto.next_level_id.map(DepartmentId), review_required: dto.review_required };
    let r = state.desk.set_department_rules(&by, dept, rules).await?;
    Ok(Json(DepartmentRulesDto { next_level_id: r.next_level.map(DepartmentId::get), review_required: r.review_required }))
}
