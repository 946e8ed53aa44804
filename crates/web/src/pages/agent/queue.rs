//! Queues (`/agent/tickets`): the built-in and saved views, filters as URL parameters (so a
//! view can be bookmarked), keyset pages, bulk actions, and rows that refresh themselves
//! (htmx polling) without losing the agent's page or selection.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::Access;
use tikal_core::org::Agent;
use tikal_core::queue::{BuiltinView, Cursor, DueState, QueueError, QueueFilter, QueueSort, ViewId, ViewName, encode, query_pairs};
use tikal_core::{Priority, StateCategory, TicketNumber, TicketType};
use tikal_service::{BulkAction, BulkResult, Catalog, ServiceError, ViewInput};

use super::Staff;
use super::dashboard::Line;
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new().route("/agent/tickets", get(queue)).route("/agent/tickets/bulk", post(bulk)).route("/agent/views", post(save_view))
}

/// Tickets per page.
const PAGE: u64 = 50;

/// A row of the queue: the ticket line plus who asked and who works it.
struct Row {
    line: Line,
    requester: String,
    owner: String,
    /// Where its resolution target stands (response first while that one is unmet).
    due: Option<crate::pages::DueView>,
    /// Marked overdue by an SLA escalation.
    overdue: bool,
}

/// One choice of a filter's select: (value, label, selected).
type Choice = (String, String, bool);

/// One select of the filter form.
struct Select {
    name: &'static str,
    label: String,
    choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "agent/queue.html")]
struct QueuePage {
    c: Chrome,
    title: String,
    /// (href, name, current)
    views: Vec<(String, String, bool)>,
    rows: Vec<Row>,
    /// This page's own URL (the refresh reads it again).
    this: String,
    next: Option<String>,
    first: Option<String>,
    /// The filter as a query string, for saving it as a view.
    query: String,
    error: Option<String>,
    form: FilterForm,
    text: String,
    /// Bulk targets: (value, label) per kind.
    assignees: Vec<(String, String)>,
    bulk_departments: Vec<(String, String)>,
    bulk_statuses: Vec<(String, String)>,
    may_share: bool,
}

/// The page's query split into the view chosen, the cursor, and the filter parameters.
struct Request {
    view: Option<String>,
    cursor: Option<String>,
    filter: Vec<(String, String)>,
}

fn split_query(raw: &str) -> Request {
    let mut r = Request { view: None, cursor: None, filter: Vec::new() };
    for (k, v) in query_pairs(raw) {
        match k.as_str() {
            "view" => r.view = Some(v).filter(|v| !v.is_empty()),
            "cursor" => r.cursor = Some(v).filter(|v| !v.is_empty()),
            _ => r.filter.push((k, v)),
        }
    }
    r
}

fn query_of(view: Option<&str>, filter: &QueueFilter) -> String {
    let mut q = filter.to_query();
    if let Some(v) = view {
        q = if q.is_empty() { format!("view={}", encode(v)) } else { format!("view={}&{q}", encode(v)) };
    }
    q
}

fn choice(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Choice {
    (value.into(), label.into(), selected)
}

fn queue_error(c: &Chrome, e: &QueueError) -> String {
    c.t1("queue-bad-filter", "param", e.param())
}

async fn queue(State(state): State<AppState>, s: Staff, RawQuery(raw): RawQuery) -> Result<Response, PageError> {
    let c = &s.v.c;
    let fail = |e| PageError::from_service(c, e);
    let req = split_query(raw.as_deref().unwrap_or_default());
    let views = state.desk.views(s.principal()).await.map_err(fail)?;
    let lang = c.lang.code();
    // The view names the filter unless the URL narrows it itself.
    let (mut title, view_filter) = match req.view.as_deref() {
        Some(v) => match v.parse::<BuiltinView>() {
            Ok(b) => (b.name(lang).to_string(), Some(b.filter())),
            Err(_) => {
                let id = v.parse::<i64>().map_err(|_| PageError::not_found(c))?;
                let saved = state.desk.view(s.principal(), ViewId(id)).await.map_err(fail)?;
                (saved.name.as_str().to_string(), Some(saved.filter))
            }
        },
        None => (c.t("queue-all"), None),
    };
    let mut error = None;
    let filter = if req.filter.iter().any(|(_, v)| !v.trim().is_empty()) || view_filter.is_none() {
        match QueueFilter::from_pairs(req.filter.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(f) => {
                if view_filter.is_some() {
                    title = c.t1("queue-filtered", "view", &title);
                }
                f
            }
            Err(e) => {
                error = Some(queue_error(c, &e));
                view_filter.clone().unwrap_or_default()
            }
        }
    } else {
        view_filter.clone().unwrap_or_default()
    };
    let cursor = match req.cursor.as_deref().map(|raw| Cursor::decode(raw, filter.sort)) {
        Some(Ok(cur)) => Some(cur),
        Some(Err(e)) => {
            error = Some(queue_error(c, &e));
            None
        }
        None => None,
    };
    let listing = match state.desk.queue(s.principal(), filter.clone(), cursor, PAGE).await {
        Ok(l) => l,
        Err(ServiceError::Domain(e)) => {
            error = Some(e.to_string());
            tikal_service::Listing { tickets: Vec::new(), next: None, cursor: None }
        }
        Err(e) => return Err(fail(e)),
    };
    let catalog = state.desk.catalog().await.map_err(fail)?;
    let agents = state.desk.store().agents().await.map_err(|e| fail(e.into()))?;
    let agent_names: HashMap<_, _> = agents.iter().map(|a| (a.id, a.name.as_str().to_string())).collect();
    let ids: Vec<_> = listing.tickets.iter().map(|t| t.requester_id).collect();
    let requesters = state.desk.store().requesters_by_ids(&ids).await.map_err(|e| fail(e.into()))?;
    let now = tikal_store::now();
    let rows = listing
        .tickets
        .iter()
        .map(|t| Row {
            line: Line::of(c, &catalog, t),
            requester: requesters.iter().find(|r| r.id == t.requester_id).map(|r| r.name.as_str().to_string()).unwrap_or_default(),
            owner: t.owner_id.and_then(|o| agent_names.get(&o).cloned()).unwrap_or_default(),
            due: queue_badge(t, now).map(|b| c.due(b)),
            overdue: t.overdue && t.status.category().is_active(),
        })
        .collect();
    let view_param = req.view.as_deref();
    let query = query_of(view_param, &filter);
    let this = if query.is_empty() { "/agent/tickets".to_string() } else { format!("/agent/tickets?{query}") };
    let with_cursor =
        |cur: &str| if query.is_empty() { format!("/agent/tickets?cursor={cur}") } else { format!("/agent/tickets?{query}&cursor={cur}") };
    let next = listing.cursor.map(|cur| with_cursor(&cur.encode()));
    let first = req.cursor.is_some().then(|| this.clone());
    let this = match &req.cursor {
        Some(cur) => with_cursor(&encode(cur)),
        None => this,
    };

    let mut view_links: Vec<(String, String, bool)> = vec![("/agent/tickets".into(), c.t("queue-all"), req.view.is_none())];
    view_links.extend(
        views
            .builtin
            .iter()
            .map(|b| (format!("/agent/tickets?view={}", b.as_str()), b.name(lang).to_string(), view_param == Some(b.as_str()))),
    );
    view_links.extend(views.saved.iter().map(|v| {
        let id = v.id.get().to_string();
        (format!("/agent/tickets?view={id}"), v.name.as_str().to_string(), view_param == Some(id.as_str()))
    }));
    let assignees = agents.iter().filter(|a| a.active).map(|a| (a.id.get().to_string(), a.name.as_str().to_string())).collect();
    let bulk_departments = catalog.departments.iter().map(|d| (d.id.get().to_string(), d.name.clone())).collect();
    let bulk_statuses =
        catalog.statuses.iter().filter(|d| d.active).map(|d| (d.status.as_str().to_string(), d.name(lang).to_string())).collect();
    let may_share = s.access().is_some_and(|a| a.all || a.grants.values().any(|p| p.contains(&tikal_core::Permission::TicketApprove)));
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let p = QueuePage {
        c: c.clone(),
        title,
        views: view_links,
        rows,
        this,
        next,
        first,
        query: filter.to_query(),
        error,
        form: filter_form(c, &catalog, &agents, s.access(), &filter),
        text: filter.text.clone().unwrap_or_default(),
        assignees,
        bulk_departments,
        bulk_statuses,
        may_share,
    };
    let mut resp = page(&p);
    *resp.status_mut() = status;
    Ok(resp)
}

/// The filter form of a queue: every select with the filter's choice selected, the sort and
/// the date ranges.
struct FilterForm {
    selects: Vec<Select>,
    sorts: Vec<Choice>,
    created_from: String,
    created_to: String,
    updated_from: String,
    updated_to: String,
}

fn filter_form(c: &Chrome, catalog: &Catalog, agents: &[Agent], access: Option<&Access>, filter: &QueueFilter) -> FilterForm {
    let lang = c.lang.code();
    let visible: Vec<_> =
        catalog.departments.iter().filter(|d| access.is_some_and(|a| a.allows(d.id, tikal_core::Permission::TicketView))).collect();
    let one_state = (filter.states.len() == 1).then(|| filter.states[0]);
    let mut states = vec![choice("", c.t("queue-any"), filter.states.is_empty())];
    states.push(choice("new,open,pending", c.t("queue-state-active"), filter.states.len() == 3 && filter.active_only()));
    for st in StateCategory::ALL {
        states.push(choice(st.as_str(), c.t(&format!("queue-state-{}", st.as_str())), one_state == Some(*st)));
    }
    let one_status = (filter.statuses.len() == 1).then(|| filter.statuses[0].as_str().to_string());
    let mut statuses = vec![choice("", c.t("queue-any"), filter.statuses.is_empty())];
    statuses
        .extend(catalog.statuses.iter().map(|d| choice(d.status.as_str(), d.name(lang), one_status.as_deref() == Some(d.status.as_str()))));
    let one_priority = (filter.priorities.len() == 1).then(|| filter.priorities[0]);
    let mut priorities = vec![choice("", c.t("queue-any"), filter.priorities.is_empty())];
    priorities.extend(Priority::ALL.iter().rev().map(|p| choice(p.level().to_string(), c.priority(catalog, *p), one_priority == Some(*p))));
    let one_type = (filter.types.len() == 1).then(|| filter.types[0]);
    let mut types = vec![choice("", c.t("queue-any"), filter.types.is_empty())];
    types.extend(TicketType::ALL.iter().map(|t| choice(t.as_str(), c.ticket_type(catalog, t.as_str()), one_type == Some(*t))));
    let one_channel = (filter.channels.len() == 1).then(|| filter.channels[0]);
    let mut channels = vec![choice("", c.t("queue-any"), filter.channels.is_empty())];
    channels.extend(
        tikal_core::Channel::ALL
            .iter()
            .map(|ch| choice(ch.as_str(), c.t(&format!("queue-channel-{}", ch.as_str())), one_channel == Some(*ch))),
    );
    let mut departments = vec![choice("", c.t("queue-any"), filter.department.is_none())];
    departments.extend(visible.iter().map(|d| choice(d.id.get().to_string(), d.name.clone(), filter.department == Some(d.id))));
    use tikal_core::queue::OwnerFilter;
    let mut owners = vec![
        choice("", c.t("queue-any"), filter.owner.is_none()),
        choice("me", c.t("queue-owner-me"), filter.owner == Some(OwnerFilter::Me)),
        choice("none", c.t("queue-owner-none"), filter.owner == Some(OwnerFilter::Nobody)),
    ];
    owners.extend(
        agents
            .iter()
            .filter(|a| a.active)
            .map(|a| choice(a.id.get().to_string(), a.name.as_str(), filter.owner == Some(OwnerFilter::Agent(a.id)))),
    );
    let mut topics = vec![choice("", c.t("queue-any"), filter.help_topic.is_none())];
    topics.extend(
        catalog
            .topics
            .iter()
            .filter(|t| t.active)
            .map(|t| choice(t.id.get().to_string(), t.path(&catalog.topics), filter.help_topic == Some(t.id))),
    );
    let mut dues = vec![choice("", c.t("queue-any"), filter.due.is_none())];
    dues.extend(DueState::ALL.iter().map(|d| choice(d.as_str(), c.t(&format!("queue-due-{}", d.as_str())), filter.due == Some(*d))));
    let sorts = QueueSort::ALL.iter().map(|o| choice(o.as_str(), c.t(&format!("queue-sort-{}", o.as_str())), filter.sort == *o)).collect();
    let range = |r: &tikal_core::queue::TimeRange| -> (String, String) {
        let day = |b: Option<chrono::DateTime<chrono::Utc>>| b.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default();
        let (from, to) = r.bounds();
        (day(from), day(to.map(|t| t - chrono::Duration::seconds(1))))
    };
    let (created_from, created_to) = range(&filter.created);
    let (updated_from, updated_to) = range(&filter.updated);

    let selects = [
        ("state", "queue-f-state", states),
        ("status", "col-status", statuses),
        ("priority", "agent-col-priority", priorities),
        ("type", "queue-f-type", types),
        ("channel", "queue-f-channel", channels),
        ("department", "col-department", departments),
        ("owner", "queue-f-owner", owners),
        ("help_topic", "col-topic", topics),
        ("due", "queue-f-due", dues),
    ]
    .into_iter()
    .map(|(name, key, choices)| Select { name, label: c.t(key), choices })
    .collect();
    FilterForm { selects, sorts, created_from, created_to, updated_from, updated_to }
}

#[derive(Template)]
#[template(path = "agent/bulk.html")]
struct BulkPage {
    c: Chrome,
    back: String,
    done: usize,
    /// (number, reason)
    refused: Vec<(String, String)>,
}

/// Reads a urlencoded form with repeated fields (the ticket checkboxes).
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    query_pairs(&String::from_utf8_lossy(body)).collect()
}

async fn bulk(State(state): State<AppState>, s: Staff, RawForm(body): RawForm) -> Result<Response, PageError> {
    let c = &s.v.c;
    let pairs = form_pairs(&body);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    s.check_form(&get("csrf"))?;
    let back = Some(get("back"))
        .filter(|b| b.starts_with("/agent/tickets") && crate::pages::local_path(b))
        .unwrap_or_else(|| "/agent/tickets".into());
    let bad = |key: &str| PageError::Status(Box::new(c.clone()), StatusCode::UNPROCESSABLE_ENTITY, c.t(key));
    let numbers: Vec<TicketNumber> = pairs.iter().filter(|(k, _)| k == "n").filter_map(|(_, v)| TicketNumber::parse(v).ok()).collect();
    if numbers.is_empty() {
        return Err(bad("queue-bulk-none"));
    }
    let action = match get("action").as_str() {
        "assign" => match get("owner").as_str() {
            "none" => BulkAction::Assign(None),
            o => BulkAction::Assign(Some(tikal_core::AgentId(o.parse().map_err(|_| bad("queue-bulk-choose"))?))),
        },
        "transfer" => BulkAction::Transfer(tikal_core::DepartmentId(get("department").parse().map_err(|_| bad("queue-bulk-choose"))?)),
        "status" => {
            let key = get("status");
            if key.is_empty() {
                return Err(bad("queue-bulk-choose"));
            }
            BulkAction::SetStatus(tikal_core::StatusKey::parse(&key).map_err(|_| bad("queue-bulk-choose"))?)
        }
        "priority" => BulkAction::SetPriority(
            get("priority").parse::<u8>().ok().and_then(|p| Priority::try_from(p).ok()).ok_or_else(|| bad("queue-bulk-choose"))?,
        ),
        _ => return Err(bad("queue-bulk-choose")),
    };
    let outcomes = state.desk.bulk(s.principal(), action, numbers).await.map_err(|e| PageError::from_service(c, e))?;
    let done = outcomes.iter().filter(|o| o.result == BulkResult::Done).count();
    if done == outcomes.len() {
        return Ok(Redirect::to(&back).into_response());
    }
    let refused = outcomes
        .into_iter()
        .filter_map(|o| match o.result {
            BulkResult::Done => None,
            BulkResult::Refused { code, .. } => Some((o.number.to_string(), c.t(&format!("queue-refused-{}", code.replace('_', "-"))))),
        })
        .collect();
    Ok(page(&BulkPage { c: c.clone(), back, done, refused }))
}

async fn save_view(State(state): State<AppState>, s: Staff, RawForm(body): RawForm) -> Result<Response, PageError> {
    let c = &s.v.c;
    let pairs = form_pairs(&body);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.to_string()).unwrap_or_default();
    s.check_form(&get("csrf"))?;
    let bad = |msg: String| PageError::Status(Box::new(c.clone()), StatusCode::UNPROCESSABLE_ENTITY, msg);
    let name =
        ViewName::parse(&get("name")).map_err(|e| bad(c.lang.field_error(&e).map(|(_, m)| m).unwrap_or_else(|| c.t("error-form"))))?;
    let filter = QueueFilter::parse_query(&get("query")).map_err(|e| bad(queue_error(c, &e)))?;
    let input = ViewInput { name, filter, shared: get("shared") == "on" };
    let v = state.desk.create_view(s.principal(), input).await.map_err(|e| PageError::from_service(c, e))?;
    Ok(Redirect::to(&format!("/agent/tickets?view={}", v.id.get())).into_response())
}

/// The badge a queue row shows: the first response's while it is unmet, else the resolution's;
/// none once the ticket is done.
fn queue_badge(t: &tikal_core::Ticket, now: chrono::DateTime<chrono::Utc>) -> Option<tikal_core::due::DueBadge> {
    let active = t.status.category().is_active();
    if !active {
        return None;
    }
    let responded = t.first_response_at.or(t.resolved_at);
    match responded {
        None if t.response_due_at.is_some() => tikal_core::due::badge(t.response_due_at, None, true, now),
        _ => tikal_core::due::badge(t.resolution_due_at, t.resolved_at, true, now),
    }
}
