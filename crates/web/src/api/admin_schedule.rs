//! The schedule over the API (administrators' and full-access keys): the recurring tasks (SLA
//! sweep, automation) with their last run and error, and "run now".

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use tikal_core::schedule::Task;
use tikal_core::{DomainError, Reason};
use tikal_store::TaskInfo;
use utoipa::{OpenApi, ToSchema};

use super::AdminCaller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/schedule", get(list)).route("/schedule/{task}/run", post(run))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, run),
    tags((name = "schedule", description = "Recurring tasks every node shares under leases: the SLA sweep (escalations), auto-close, reminders to requesters and time rules; when each ran, when it runs next, the error it last failed with, and running one now"))
)]
pub struct Doc;

/// A recurring task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    /// `sla.sweep`, `automation.auto_close`, `automation.reminders` or `automation.time_rules`.
    pub task: String,
    pub next_run_at: chrono::DateTime<chrono::Utc>,
    /// The node running it now (its lease), if any.
    pub running_on: Option<String>,
    pub lease_until: Option<chrono::DateTime<chrono::Utc>>,
    pub last_started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the last run failed; none after a run that succeeded.
    pub last_error: Option<String>,
    /// Failed runs in a row (each waits longer before the next: 15 s doubled, at most 1 h).
    pub failures: u32,
    pub runs: u64,
}

fn dto(t: TaskInfo) -> TaskDto {
    TaskDto {
        task: t.task.as_str().into(),
        next_run_at: t.next_run_at,
        running_on: t.lease_owner,
        lease_until: t.lease_until,
        last_started_at: t.last_started_at,
        last_finished_at: t.last_finished_at,
        last_error: t.last_error,
        failures: t.failures,
        runs: t.runs,
    }
}

/// Every recurring task.
#[utoipa::path(get, path = "/schedule", tag = "schedule", responses((status = 200, body = [TaskDto]), (status = 403)))]
pub async fn list(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<TaskDto>>, ApiError> {
    Ok(Json(state.desk.schedule(&by).await?.into_iter().map(dto).collect()))
}

/// Make a task due now: the next tick of any node (within seconds) runs it. Recorded in the
/// audit log.
#[utoipa::path(post, path = "/schedule/{task}/run", tag = "schedule", params(("task" = String, Path)),
    responses((status = 200, body = TaskDto), (status = 403), (status = 404)))]
pub async fn run(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<TaskDto>, ApiError> {
    let Path(raw) = path?;
    let task: Task = raw.parse().map_err(|_| DomainError::invalid("task", Reason::NotFound))?;
    Ok(Json(dto(state.desk.run_task_now(&by, task).await?)))
}
