//! Outgoing mail: what waits in the outbox and what was given up on (dead jobs) with the error
//! that stopped it, and sending dead jobs back to the queue once the cause is fixed.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fluent_templates::fluent_bundle::FluentValue;
use serde::Deserialize;
use tikal_core::{JobId, JobKind};
use tikal_service::{OUTBOX_PAGE, OutboxJob, OutboxQuery, ServiceError};
use tikal_store::JobState;

use super::{Admin, Fields, path_id};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/outbox", get(list))
        .route("/admin/outbox/{id}/retry", post(retry))
        .route("/admin/outbox/retry-dead", post(retry_dead))
}

/// The states the page filters on (done jobs are not shown).
const STATES: [JobState; 2] = [JobState::Dead, JobState::Pending];

/// A job kind in words ("Agent reply to the requester"); a kind this version does not know is
/// shown as stored.
pub fn kind_label(c: &Chrome, kind: &str) -> String {
    match kind.parse::<JobKind>() {
        Ok(k) => c.t(&format!("outbox-kind-{}", k.as_str().replace('.', "-"))),
        Err(_) => kind.to_string(),
    }
}

/// "3 failed deliveries", said in the user's language.
pub fn dead_count(c: &Chrome, n: u64) -> String {
    c.lang.t_with("outbox-dead-count", &[("n", FluentValue::from(n))])
}

pub struct Row {
    pub id: i64,
    pub kind: String,
    pub kind_code: String,
    pub state: &'static str,
    pub state_label: String,
    pub ticket: Option<String>,
    pub attempts: i32,
    pub run_at: String,
    pub created: String,
    pub last_error: String,
    pub dead: bool,
}

impl Row {
    fn of(c: &Chrome, j: OutboxJob) -> Row {
        let info = j.job;
        Row {
            id: info.id,
            kind: kind_label(c, &info.kind),
            kind_code: info.kind,
            state: info.state.as_str(),
            state_label: c.t(&format!("outbox-state-{}", info.state)),
            ticket: j.ticket.map(|(_, n)| n.to_string()),
            attempts: info.attempts,
            run_at: c.when(&info.run_at),
            created: c.when(&info.created_at),
            last_error: info.last_error.unwrap_or_default(),
            dead: info.state == JobState::Dead,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct ListPage {
    c: Chrome,
    title: String,
    state: String,
    kind: String,
    states: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, String)>,
    rows: Vec<Row>,
    next: Option<i64>,
    /// Dead jobs of the kind filtered on (all kinds when none): the "retry all" button's.
    dead: u64,
    done: Option<String>,
}

#[derive(Deserialize)]
struct Params {
    state: Option<String>,
    kind: Option<String>,
    before: Option<i64>,
    /// What was just done, to say it: `retried`, `retried_all` or `not_dead`.
    done: Option<String>,
    job: Option<i64>,
    n: Option<u64>,
}

/// A filter value from the query string or a form: "" or an unknown value is no filter.
fn parse_opt<T: std::str::FromStr>(raw: Option<&str>) -> Option<T> {
    raw.map(str::trim).filter(|s| !s.is_empty()).and_then(|s| s.parse().ok())
}

async fn list(State(state): State<AppState>, a: Admin, Query(p): Query<Params>) -> Result<Response, PageError> {
    let c = a.c().clone();
    let job_state = parse_opt::<JobState>(p.state.as_deref()).filter(|s| STATES.contains(s));
    let kind = parse_opt::<JobKind>(p.kind.as_deref());
    let q = OutboxQuery { state: job_state, kind, before: p.before.filter(|b| *b > 0).map(JobId) };
    let jobs = state.desk.outbox_jobs(a.principal(), q).await.map_err(|e| a.fail(e))?;
    let all_dead = state.desk.dead_job_count(a.principal(), None).await.map_err(|e| a.fail(e))?;
    let dead = match kind {
        Some(_) => state.desk.dead_job_count(a.principal(), kind).await.map_err(|e| a.fail(e))?,
        None => all_dead,
    };
    let next = (jobs.len() as u64 == OUTBOX_PAGE).then(|| jobs.last().map_or(0, |j| j.job.id));
    let rows = jobs.into_iter().map(|j| Row::of(&c, j)).collect();
    let title = match all_dead {
        0 => c.t("admin-nav-outbox"),
        n => format!("{} ({})", c.t("admin-nav-outbox"), dead_count(&c, n)),
    };
    let done = p.done.as_deref().and_then(|d| {
        let args = [("job", FluentValue::from(p.job.unwrap_or_default())), ("n", FluentValue::from(p.n.unwrap_or_default()))];
        matches!(d, "retried" | "retried_all" | "not_dead").then(|| c.lang.t_with(&format!("outbox-done-{d}"), &args))
    });
    let states = STATES.iter().map(|s| (s.as_str(), c.t(&format!("outbox-state-{s}")))).collect();
    let kinds = JobKind::ALL.iter().map(|k| (k.as_str(), kind_label(&c, k.as_str()))).collect();
    let (state_s, kind_s) =
        (job_state.map(|s| s.as_str().to_string()).unwrap_or_default(), kind.map(|k| k.as_str().to_string()).unwrap_or_default());
    Ok(page(&ListPage { c, title, state: state_s, kind: kind_s, states, kinds, rows, next, dead, done }).into_response())
}

/// The list again, with the filters the form came from and what was done.
fn back(f: &Fields, done: &str) -> String {
    let state = parse_opt::<JobState>(Some(f.get("state"))).map(|s| s.as_str()).unwrap_or_default();
    let kind = parse_opt::<JobKind>(Some(f.get("kind"))).map(|k| k.as_str()).unwrap_or_default();
    format!("/admin/outbox?state={state}&kind={kind}&done={done}")
}

async fn retry(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let id = JobId(path_id(a.c(), &raw)?);
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let done = match state.desk.retry_job(a.principal(), id).await {
        Ok(_) => "retried",
        // Run or retried by someone else meanwhile: say so on the list rather than fail.
        Err(ServiceError::Conflict(_)) => "not_dead",
        Err(e) => return Err(a.fail(e)),
    };
    Ok(Redirect::to(&format!("{}&job={id}", back(&f, done))).into_response())
}

async fn retry_dead(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let kind = match f.get("kind") {
        "" => None,
        k => Some(k.parse::<JobKind>().map_err(|e| a.fail(ServiceError::Domain(e.into())))?),
    };
    let n = state.desk.retry_dead_jobs(a.principal(), kind).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("{}&n={n}", back(&f, "retried_all"))).into_response())
}
