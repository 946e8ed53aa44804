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
    before: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct LogPage {
    c: Chrome,
    q: String,
    entity: String,
    entities: Vec<(&'static str, String)>,
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
        s
    });
    let entities = AdminEntity::ALL.iter().map(|e| (e.as_str(), c.t(&format!("audit-entity-{e}")))).collect();
    let rows = entries.iter().map(|e| Row::of(&c, e)).collect();
    Ok(page(&LogPage {
        c,
        q: p.q.unwrap_or_default(),
        entity: entity.map(|e| e.as_str().to_string()).unwrap_or_default(),
        entities,
        rows,
        next,
    })
    .into_response())
}
