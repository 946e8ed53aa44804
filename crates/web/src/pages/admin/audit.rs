//! The audit log: every administrative change, who made it, when, and what it changed.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tikal_core::admin::{AdminEntity, AuditEntry, AuditQuery};
use tikal_service::audit_changes;

use super::Admin;
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(log))
}

const PAGE: u32 = 50;

/// One entry as the pages show it.
pub struct Row {
    pub id: i64,
    pub when: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub summary: String,
    /// (field, before, after) of what changed.
    pub changes: Vec<(String, String, String)>,
}

impl Row {
    pub fn of(c: &Chrome, e: &AuditEntry) -> Row {
        Row {
            id: e.id,
            when: c.when(&e.at),
            actor: e.actor_name.clone(),
            action: c.t(&format!("audit-action-{}", e.action)),
            entity: c.t(&format!("audit-entity-{}", e.entity)),
            summary: e.summary.clone(),
            changes: audit_changes(e)
                .into_iter()
                .map(|ch| (ch.field, ch.before.unwrap_or_else(|| "—".into()), ch.after.unwrap_or_else(|| "—".into())))
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct Params {
    q: Option<String>,
    entity: Option<String>,
    id: Option<String>,
    /// Days (YYYY-MM-DD), in the organisation's time zone, both included.
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

/// The UTC instant a local day starts at; `None` for anything that is not a date.
fn day_start(c: &Chrome, day: Option<&str>, plus_days: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    let d = chrono::NaiveDate::parse_from_str(day?.trim(), "%Y-%m-%d").ok()? + chrono::Duration::days(plus_days);
    d.and_hms_opt(0, 0, 0)?.and_local_timezone(c.time_zone).earliest().map(|t| t.with_timezone(&chrono::Utc))
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct LogPage {
    c: Chrome,
    q: String,
    entity: String,
    entities: Vec<(&'static str, String)>,
    from: String,
    to: String,
    rows: Vec<Row>,
    next: Option<String>,
}

async fn log(State(state): State<AppState>, a: Admin, Query(p): Query<Params>) -> Result<Response, PageError> {
    let c = a.c().clone();
    let entity = p.entity.as_deref().filter(|e| !e.is_empty()).and_then(|e| e.parse::<AdminEntity>().ok());
    let q = AuditQuery {
        q: p.q.clone().filter(|q| !q.trim().is_empty()),
        entity,
        entity_id: p.id.clone().filter(|i| !i.is_empty()),
        before: p.before.as_deref().and_then(|b| b.parse().ok()),
        since: day_start(&c, p.from.as_deref(), 0),
        until: day_start(&c, p.to.as_deref(), 1),
        limit: PAGE,
        ..Default::default()
    };
    let entries = state.desk.audit_log(a.principal(), &q).await.map_err(|e| a.fail(e))?;
    let next = (entries.len() == PAGE as usize).then(|| {
        let last = entries.last().map_or(0, |e| e.id);
        let mut s = format!("before={last}");
        if let Some(t) = &q.q {
            s.push_str(&format!("&q={}", crate::pages::encode_component(t)));
        }
        if let Some(e) = entity {
            s.push_str(&format!("&entity={e}"));
        }
        if let Some(i) = &q.entity_id {
            s.push_str(&format!("&id={}", crate::pages::encode_component(i)));
        }
        for (k, v) in [("from", &p.from), ("to", &p.to)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                s.push_str(&format!("&{k}={}", crate::pages::encode_component(v)));
            }
        }
        s
    });
    let entities = AdminEntity::ALL.iter().map(|e| (e.as_str(), c.t(&format!("audit-entity-{e}")))).collect();
    let rows = entries.iter().map(|e| Row::of(&c, e)).collect();
    let (from, to) = (p.from.unwrap_or_default(), p.to.unwrap_or_default());
    let entity = entity.map(|e| e.as_str().to_string()).unwrap_or_default();
    Ok(page(&LogPage { c, q: p.q.unwrap_or_default(), entity, entities, from, to, rows, next }).into_response())
}
