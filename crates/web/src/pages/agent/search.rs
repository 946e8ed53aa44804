//! The workspace's search (`/agent/search?q=`), behind the search box of every agent page:
//! tickets the agent may see (subject, messages and internal notes, numbers and requesters'
//! addresses), the people of the directory and knowledge-base articles, with the words found
//! marked.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tikal_core::search::Segment;

use super::Staff;
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new().route("/agent/search", get(search))
}

struct TicketRow {
    number: String,
    subject: Vec<Segment>,
    snippet: Vec<Segment>,
    in_note: bool,
    status: String,
    department: String,
    updated: String,
}

struct PersonRow {
    name: String,
    email: String,
    phone: String,
}

struct ArticleRow {
    id: i64,
    title: String,
    state: String,
}

#[derive(Template)]
#[template(path = "agent/search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    searched: bool,
    tickets: Vec<TicketRow>,
    /// The page shows the first `MAX_TICKET_HITS`; there may be more.
    more: bool,
    people: Option<Vec<PersonRow>>,
    articles: Vec<ArticleRow>,
}

#[derive(Deserialize, Default)]
struct Params {
    q: Option<String>,
}

async fn search(State(state): State<AppState>, s: Staff, Query(p): Query<Params>) -> Result<Response, PageError> {
    let c = &s.v.c;
    let fail = |e| PageError::from_service(c, e);
    let q: String = p.q.unwrap_or_default().chars().take(tikal_core::search::MAX_QUERY_CHARS).collect();
    let searched = !q.trim().is_empty();
    let (tickets, people, articles) = if searched {
        let found = state.desk.search_all(s.principal(), &q).await.map_err(fail)?;
        let catalog = state.desk.catalog().await.map_err(fail)?;
        let tickets = found
            .tickets
            .into_iter()
            .map(|h| TicketRow {
                number: h.ticket.number.to_string(),
                status: c.status(&catalog, h.ticket.status.as_str()),
                department: catalog.department(h.ticket.department_id).map(|d| d.name.clone()).unwrap_or_default(),
                updated: c.when(&h.ticket.updated_at),
                subject: h.subject,
                snippet: h.snippet,
                in_note: h.in_note,
            })
            .collect();
        let people = found.requesters.map(|list| {
            list.into_iter()
                .map(|p| PersonRow {
                    name: p.requester.name.as_str().to_string(),
                    email: p.requester.email.as_str().to_string(),
                    phone: p.phone.unwrap_or_default(),
                })
                .collect()
        });
        let articles = found
            .articles
            .into_iter()
            .map(|a| ArticleRow { id: a.id.get(), title: a.title, state: c.t(&format!("kb-state-{}", a.state)) })
            .collect();
        (tickets, people, articles)
    } else {
        (Vec::new(), None, Vec::new())
    };
    let more = tickets.len() as u64 >= tikal_service::MAX_TICKET_HITS;
    Ok(page(&SearchPage { q, searched, tickets, more, people, articles, c: s.v.c }))
}
