//! The schedule: each recurring task (SLA sweep, automation) with when it last ran, when it
//! runs next, the node running it and the error it last failed with; "run now" once the cause
//! is fixed. Failed mail (an alert that could not be sent) is in the outbox.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tikal_core::schedule::Task;
use tikal_core::{DomainError, Reason};
use tikal_service::ServiceError;

use super::{Admin, Fields};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/schedule", get(list)).route("/admin/schedule/{task}/run", post(run))
}

pub struct Row {
    pub task: &'static str,
    pub name: String,
    pub hint: String,
    pub next: String,
    pub last: String,
    pub running_on: Option<String>,
    pub last_error: Option<String>,
    pub failures: u32,
    pub runs: u64,
}

#[derive(Template)]
#[template(path = "admin/schedule.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct Params {
    ran: Option<String>,
}

fn name(c: &Chrome, t: Task) -> String {
    c.t(&format!("schedule-task-{}", t.as_str().replace('.', "-")))
}

async fn list(State(state): State<AppState>, a: Admin, Query(p): Query<Params>) -> Result<Response, PageError> {
    let c = a.c().clone();
    let tasks = state.desk.schedule(a.principal()).await.map_err(|e| a.fail(e))?;
    let rows = tasks
        .into_iter()
        .map(|t| Row {
            task: t.task.as_str(),
            name: name(&c, t.task),
            hint: c.t(&format!("schedule-task-{}-hint", t.task.as_str().replace('.', "-"))),
            next: c.when(&t.next_run_at),
            last: t.last_finished_at.map(|d| c.when(&d)).unwrap_or_else(|| c.t("schedule-never")),
            running_on: t.lease_owner,
            last_error: t.last_error,
            failures: t.failures,
            runs: t.runs,
        })
        .collect();
    let done = p.ran.as_deref().and_then(|r| r.parse::<Task>().ok()).map(|t| c.t1("schedule-ran", "task", &name(&c, t)));
    Ok(page(&ListPage { c, rows, done }).into_response())
}

async fn run(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let task: Task = raw.parse().map_err(|_| a.fail(ServiceError::Domain(DomainError::invalid("task", Reason::NotFound))))?;
    state.desk.run_task_now(a.principal(), task).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/admin/schedule?ran={}", task.as_str())).into_response())
}
