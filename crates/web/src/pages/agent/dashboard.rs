//! The dashboard (`/agent`): what waits for this agent, and how full each queue is.

use askama::Template;
use axum::Router;
use axum::extract::{RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::{StateCategory, Ticket};
use tikal_service::{Catalog, Dashboard, TicketQuery};

use super::Staff;
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new().route("/agent", get(dashboard)).route("/agent/away", post(set_away))
}

/// A ticket as a line of a list.
pub struct Line {
    pub number: String,
    pub subject: String,
    pub status: String,
    pub priority: u8,
    pub department: String,
    pub updated: String,
}

impl Line {
    pub fn of(c: &Chrome, catalog: &Catalog, t: &Ticket) -> Line {
        Line {
            number: t.number.to_string(),
            subject: t.subject.as_str().to_string(),
            status: c.status(catalog, t.status.as_str()),
            priority: t.priority.level(),
            department: catalog.department(t.department_id).map(|d| d.name.clone()).unwrap_or_default(),
            updated: c.when(&t.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "agent/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    counts: Dashboard,
    mine: Vec<Line>,
    /// Marked away: the departments' automatic assignment skips them.
    away: bool,
}

async fn dashboard(State(state): State<AppState>, s: Staff) -> Result<Response, PageError> {
    let fail = |e| PageError::from_service(&s.v.c, e);
    let catalog = state.desk.catalog().await.map_err(fail)?;
    let q = TicketQuery {
        states: vec![StateCategory::New, StateCategory::Open, StateCategory::Pending],
        owner: Some(s.id),
        limit: 20,
        ..TicketQuery::default()
    };
    let mine = state.desk.list_tickets(s.principal(), q).await.map_err(fail)?;
    let mine = mine.tickets.iter().map(|t| Line::of(&s.v.c, &catalog, t)).collect();
    let counts = state.desk.dashboard(s.principal()).await.map_err(fail)?;
    let away = state.desk.is_away(s.id).await.map_err(fail)?;
    Ok(page(&DashboardPage { c: s.v.c, counts, mine, away }))
}

/// The agent marks themselves away (no automatic assignments) or back.
async fn set_away(State(state): State<AppState>, s: Staff, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = crate::pages::admin::Fields::parse(&body);
    s.check_form(f.get("csrf"))?;
    let away = f.get("away") == "on";
    state.desk.set_away(s.principal(), s.id, away).await.map_err(|e| PageError::from_service(&s.v.c, e))?;
    Ok(Redirect::to("/agent").into_response())
}
