//! The dashboard (`/agent`): what waits for this agent, and how full each queue is.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use tikal_core::{StateCategory, Ticket};
use tikal_service::{Catalog, Dashboard, TicketQuery};

use super::Staff;
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new().route("/agent", get(dashboard))
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
    Ok(page(&DashboardPage { c: s.v.c, counts, mine }))
}
