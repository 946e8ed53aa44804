//! The outbox over the API (administrators' and full-access keys): list the mail waiting to be
//! sent and the mail given up on, send a dead job back to the queue, or all of them.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::{DomainError, JobId, JobKind, Reason};
use tikal_service::{OutboxJob, OutboxQuery};
use tikal_store::JobState;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::AdminCaller;
use super::admin::id_of;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/outbox", get(list)).route("/outbox/{id}/retry", post(retry)).route("/outbox/retry-dead", post(retry_dead))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, retry, retry_dead),
    tags((name = "outbox", description = "Outgoing mail: notices and links waiting to be sent, deliveries given up on after the maximum number of attempts (dead) with their last error, and sending them back to the queue"))
)]
pub struct Doc;

/// A job of the outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxJobDto {
    pub id: i64,
    /// e.g. `notify.agent_reply`, `mail.password_reset`.
    pub kind: String,
    /// `pending` or `dead`.
    pub state: String,
    /// Attempts so far (0 after a retry).
    pub attempts: i32,
    /// When a pending job runs next.
    pub run_at: chrono::DateTime<chrono::Utc>,
    /// Why the last attempt failed (kept after a retry until the next attempt).
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The ticket the job is about, if any (id and number).
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
    /// The job's data as stored.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

fn dto(o: OutboxJob) -> OutboxJobDto {
    let (j, ticket) = (o.job, o.ticket);
    // A payload that is not JSON is shown as the text it is.
    let payload = serde_json::from_str(&j.payload).unwrap_or(serde_json::Value::String(j.payload));
    OutboxJobDto {
        id: j.id,
        kind: j.kind,
        state: j.state.as_str().into(),
        attempts: j.attempts,
        run_at: j.run_at,
        last_error: j.last_error,
        created_at: j.created_at,
        ticket_id: ticket.as_ref().map(|(id, _)| id.get()),
        ticket_number: ticket.map(|(_, n)| n.to_string()),
        payload,
    }
}

fn kind_of(raw: Option<&str>) -> Result<Option<JobKind>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(k) => Ok(Some(k.parse::<JobKind>().map_err(|_| DomainError::invalid("kind", Reason::NotAnOption))?)),
        None => Ok(None),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// `pending` or `dead` (none: both).
    state: Option<String>,
    /// Only jobs of this kind, e.g. `mail.ticket_link`.
    kind: Option<String>,
    /// Cursor: jobs older than this id (the `id` of the last job of the previous page).
    before: Option<i64>,
}

/// Jobs not yet sent, pending and dead, newest first, 50 a page.
#[utoipa::path(get, path = "/outbox", tag = "outbox", params(ListParams),
    responses((status = 200, body = [OutboxJobDto]), (status = 400), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Vec<OutboxJobDto>>, ApiError> {
    let Query(p) = params?;
    let job_state = match p.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => match s.parse::<JobState>() {
            Ok(s @ (JobState::Pending | JobState::Dead)) => Some(s),
            _ => return Err(DomainError::invalid("state", Reason::NotAnOption).into()),
        },
        None => None,
    };
    let q = OutboxQuery { state: job_state, kind: kind_of(p.kind.as_deref())?, before: p.before.filter(|b| *b > 0).map(JobId) };
    Ok(Json(state.desk.outbox_jobs(&by, q).await?.into_iter().map(dto).collect()))
}

/// Send a dead job back to the queue: due now, attempts from 0. A job that is pending or was
/// sent is refused with 409.
#[utoipa::path(post, path = "/outbox/{id}/retry", tag = "outbox", params(("id" = i64, Path)),
    responses((status = 200, body = OutboxJobDto), (status = 403), (status = 404), (status = 409)))]
pub async fn retry(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<OutboxJobDto>, ApiError> {
    let id = JobId(id_of(path, "job")?);
    Ok(Json(dto(state.desk.retry_job(&by, id).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RetryDeadParams {
    /// Only dead jobs of this kind (none: all of them).
    kind: Option<String>,
}

/// How many dead jobs went back to the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetriedDto {
    pub retried: u64,
}

/// Send every dead job (of `kind`, if given) back to the queue; each one is recorded in the
/// audit log.
#[utoipa::path(post, path = "/outbox/retry-dead", tag = "outbox", params(RetryDeadParams),
    responses((status = 200, body = RetriedDto), (status = 400), (status = 403)))]
pub async fn retry_dead(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    params: Result<Query<RetryDeadParams>, QueryRejection>,
) -> Result<Json<RetriedDto>, ApiError> {
    let Query(p) = params?;
    let retried = state.desk.retry_dead_jobs(&by, kind_of(p.kind.as_deref())?).await?;
    Ok(Json(RetriedDto { retried }))
}
