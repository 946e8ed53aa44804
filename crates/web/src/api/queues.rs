//! Queues over the API: saved views, the dashboard's counts and bulk actions. The queue itself
//! is `GET /tickets` with the queue parameters (`tickets.rs`).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::queue::{BuiltinView, QueueFilter, SavedView, ViewId, ViewName};
use tikal_core::*;
use tikal_service::{BulkAction, BulkResult, Dashboard, ViewInput};
use utoipa::ToSchema;

use super::ApiCaller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/views", get(list_views).post(create_view))
        .route("/views/{id}", get(show_view).patch(update_view).delete(delete_view))
        .route("/tickets/bulk", post(bulk))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BuiltinViewDto {
    /// `mine`, `unassigned`, `overdue` or `review`.
    pub key: &'static str,
    pub name_es: &'static str,
    pub name_en: &'static str,
    /// The view's queue parameters, for `GET /tickets?<query>`.
    pub query: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewDto {
    pub id: i64,
    pub name: String,
    /// The view's queue parameters, for `GET /tickets?<query>`.
    pub query: String,
    /// The agent who saved it; `null` for a view an integration saved.
    pub owner_id: Option<i64>,
    pub shared: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&SavedView> for ViewDto {
    fn from(v: &SavedView) -> Self {
        let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        ViewDto {
            id: v.id.get(),
            name: v.name.as_str().to_string(),
            query: v.filter.to_query(),
            owner_id: v.owner.map(AgentId::get),
            shared: v.shared,
            created_at: time(v.created_at),
            updated_at: time(v.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewsDto {
    pub builtin: Vec<BuiltinViewDto>,
    pub saved: Vec<ViewDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateView {
    pub name: String,
    /// Queue parameters as in `GET /tickets` (e.g. `state=open&priority=4,5&sort=due_asc`).
    pub query: String,
    /// Shared with every agent (needs `ticket.approve` in some department); default personal.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateView {
    pub name: Option<String>,
    pub query: Option<String>,
    pub shared: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentCountDto {
    pub department_id: i64,
    pub name: String,
    pub active: u64,
    pub unassigned: u64,
    /// Tickets per status key.
    pub by_status: std::collections::BTreeMap<String, u64>,
}

/// A count that stops at 100: `capped` means "99+".
#[derive(Debug, Serialize, ToSchema)]
pub struct BoundedDto {
    pub count: u64,
    pub capped: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardDto {
    pub my_open: u64,
    pub unassigned: u64,
    pub due_soon: BoundedDto,
    pub overdue: BoundedDto,
    /// `null` when the caller may approve nowhere.
    pub awaiting_review: Option<BoundedDto>,
    pub departments: Vec<DepartmentCountDto>,
}

impl From<Dashboard> for DashboardDto {
    fn from(d: Dashboard) -> Self {
        let bounded = |b: tikal_core::queue::BoundedCount| BoundedDto { count: b.count, capped: b.capped() };
        DashboardDto {
            my_open: d.my_open,
            unassigned: d.unassigned,
            due_soon: bounded(d.due_soon),
            overdue: bounded(d.overdue),
            awaiting_review: d.awaiting_review.map(bounded),
            departments: d
                .departments
                .into_iter()
                .map(|q| DepartmentCountDto {
                    department_id: q.department.get(),
                    name: q.name,
                    active: q.active,
                    unassigned: q.unassigned,
                    by_status: q.by_status.into_iter().map(|(k, n)| (k.as_str().to_string(), n)).collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// Ticket numbers, at most 100.
    pub tickets: Vec<String>,
    /// `assign`, `transfer`, `status` or `priority`.
    pub action: String,
    /// For `assign`: the new owner; `null` unassigns.
    #[serde(default)]
    pub owner_id: Option<i64>,
    /// For `transfer`.
    pub department_id: Option<i64>,
    /// For `status`: a status key.
    pub status: Option<String>,
    /// For `priority`: 1-5.
    pub priority: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItemDto {
    pub number: String,
    /// `done` or `refused`.
    pub result: &'static str,
    /// Why it was refused (`not_found`, `forbidden`, `invalid_transition`, ...).
    pub code: Option<&'static str>,
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResponse {
    pub done: usize,
    pub refused: usize,
    pub results: Vec<BulkItemDto>,
}

fn filter(query: &str) -> Result<QueueFilter, ApiError> {
    QueueFilter::parse_query(query).map_err(|e| DomainError::from(e).into())
}

fn view_id(path: Result<Path<i64>, PathRejection>) -> Result<ViewId, ApiError> {
    let Path(id) = path.map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "view not found"))?;
    Ok(ViewId(id))
}

/// The dashboard's counts: my open tickets, unassigned, due soon, overdue, awaiting my review,
/// and each department's queue.
#[utoipa::path(get, path = "/dashboard", tag = "queues", responses((status = 200, body = DashboardDto)))]
pub async fn dashboard(State(state): State<AppState>, ApiCaller(by): ApiCaller) -> Result<Json<DashboardDto>, ApiError> {
    Ok(Json(state.desk.dashboard(&by).await?.into()))
}

/// The built-in views and the saved ones the caller can open.
#[utoipa::path(get, path = "/views", tag = "queues", responses((status = 200, body = ViewsDto)))]
pub async fn list_views(State(state): State<AppState>, ApiCaller(by): ApiCaller) -> Result<Json<ViewsDto>, ApiError> {
    let views = state.desk.views(&by).await?;
    Ok(Json(ViewsDto {
        builtin: views
            .builtin
            .iter()
            .map(|v: &BuiltinView| BuiltinViewDto { key: v.as_str(), name_es: v.name("es"), name_en: v.name("en"), query: v.query() })
            .collect(),
        saved: views.saved.iter().map(ViewDto::from).collect(),
    }))
}

/// Save a view.
#[utoipa::path(post, path = "/views", tag = "queues", request_body = CreateView,
    responses((status = 201, body = ViewDto), (status = 403), (status = 422)))]
pub async fn create_view(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    body: Result<Json<CreateView>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(dto) = body?;
    let input = ViewInput { name: ViewName::parse(&dto.name)?, filter: filter(&dto.query)?, shared: dto.shared };
    let v = state.desk.create_view(&by, input).await?;
    Ok((StatusCode::CREATED, Json(ViewDto::from(&v))).into_response())
}

/// One saved view.
#[utoipa::path(get, path = "/views/{id}", tag = "queues", params(("id" = i64, Path)), responses((status = 200, body = ViewDto), (status = 404)))]
pub async fn show_view(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<ViewDto>, ApiError> {
    Ok(Json(ViewDto::from(&state.desk.view(&by, view_id(path)?).await?)))
}

/// Change a saved view's name, parameters or sharing.
#[utoipa::path(patch, path = "/views/{id}", tag = "queues", params(("id" = i64, Path)), request_body = UpdateView,
    responses((status = 200, body = ViewDto), (status = 403), (status = 404), (status = 422)))]
pub async fn update_view(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<UpdateView>, JsonRejection>,
) -> Result<Json<ViewDto>, ApiError> {
    let id = view_id(path)?;
    let Json(dto) = body?;
    let v = state.desk.view(&by, id).await?;
    let input = ViewInput {
        name: dto.name.as_deref().map(ViewName::parse).transpose()?.unwrap_or(v.name),
        filter: dto.query.as_deref().map(filter).transpose()?.unwrap_or(v.filter),
        shared: dto.shared.unwrap_or(v.shared),
    };
    Ok(Json(ViewDto::from(&state.desk.update_view(&by, id, input).await?)))
}

/// Delete a saved view.
#[utoipa::path(delete, path = "/views/{id}", tag = "queues", params(("id" = i64, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_view(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    state.desk.delete_view(&by, view_id(path)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Assign, transfer, change the status or the priority of up to 100 tickets. Each ticket is
/// checked and changed on its own; the answer says what happened to every one.
#[utoipa::path(post, path = "/tickets/bulk", tag = "queues", request_body = BulkRequest,
    responses((status = 200, body = BulkResponse), (status = 422)))]
pub async fn bulk(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    body: Result<Json<BulkRequest>, JsonRejection>,
) -> Result<Json<BulkResponse>, ApiError> {
    let Json(dto) = body?;
    let missing = |field: &'static str| ApiError::from(DomainError::invalid(field, Reason::Required));
    let action = match dto.action.as_str() {
        "assign" => BulkAction::Assign(dto.owner_id.map(AgentId)),
        "transfer" => BulkAction::Transfer(DepartmentId(dto.department_id.ok_or_else(|| missing("department_id"))?)),
        "status" => BulkAction::SetStatus(StatusKey::parse(dto.status.as_deref().ok_or_else(|| missing("status"))?)?),
        "priority" => BulkAction::SetPriority(Priority::try_from(dto.priority.ok_or_else(|| missing("priority"))?)?),
        _ => return Err(DomainError::invalid("action", "must be assign, transfer, status or priority").into()),
    };
    // A malformed number is a ticket that does not exist: refused like one.
    let mut numbers = Vec::new();
    let mut malformed = Vec::new();
    for raw in &dto.tickets {
        match TicketNumber::parse(raw) {
            Ok(n) => numbers.push(n),
            Err(_) => malformed.push(raw.chars().take(40).collect::<String>()),
        }
    }
    if dto.tickets.len() > tikal_service::MAX_BULK {
        return Err(DomainError::invalid("tickets", format!("at most {} tickets at once", tikal_service::MAX_BULK)).into());
    }
    let outcomes = if numbers.is_empty() && !malformed.is_empty() { Vec::new() } else { state.desk.bulk(&by, action, numbers).await? };
    let mut results: Vec<BulkItemDto> = outcomes
        .into_iter()
        .map(|o| match o.result {
            BulkResult::Done => BulkItemDto { number: o.number.to_string(), result: "done", code: None, message: None },
            BulkResult::Refused { code, message } => {
                BulkItemDto { number: o.number.to_string(), result: "refused", code: Some(code), message: Some(message) }
            }
        })
        .collect();
    results.extend(malformed.into_iter().map(|n| BulkItemDto {
        number: n,
        result: "refused",
        code: Some("not_found"),
        message: Some("ticket not found".into()),
    }));
    let done = results.iter().filter(|r| r.result == "done").count();
    Ok(Json(BulkResponse { done, refused: results.len() - done, results }))
}
