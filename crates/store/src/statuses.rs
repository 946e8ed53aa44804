//! The desk's statuses. Tickets store a status key; reading a ticket needs the status's
//! category, which never changes once the status exists, so each node keeps the keys it has
//! seen and reloads the table only when a ticket names one it does not know (a status another
//! node just added).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder};
use tikal_core::{StateCategory, Status, StatusDef, StatusKey};

use crate::entity::status;
use crate::{NewAudit, Result, Store, StoreError, convert::micros};

/// Statuses by key, as this node last read them.
#[derive(Clone, Default)]
pub(crate) struct StatusBook(Arc<RwLock<Arc<HashMap<String, Status>>>>);

impl StatusBook {
    fn snapshot(&self) -> Arc<HashMap<String, Status>> {
        self.0.read().map(|g| g.clone()).unwrap_or_default()
    }

    fn replace(&self, map: HashMap<String, Status>) {
        if let Ok(mut g) = self.0.write() {
            *g = Arc::new(map);
        }
    }
}

fn to_def(m: status::Model) -> Result<StatusDef> {
    let category: StateCategory = m.category.parse()?;
    Ok(StatusDef {
        status: Status::new(StatusKey::parse(&m.key)?, category, m.awaits_requester)?,
        name_es: m.name_es,
        name_en: m.name_en,
        position: m.position,
        active: m.active,
    })
}

/// A new status, or new names/order/retirement of an existing one. Key, category and
/// whether it waits on the requester are fixed once created: tickets and history rely on them.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub name_es: Option<String>,
    pub name_en: Option<String>,
    pub position: Option<i32>,
    pub active: Option<bool>,
}

/// Every status by key, read now (for paths that have no `Store`, such as the ticket writer).
pub(crate) async fn read_all(db: &impl sea_orm::ConnectionTrait) -> Result<HashMap<String, Status>> {
    let rows = status::Entity::find().all(db).await?;
    rows.into_iter().map(|m| to_def(m).map(|d| (d.status.as_str().to_string(), d.status))).collect()
}

impl Store {
    /// Every status, in list order (retired ones included: tickets may still have them).
    pub async fn statuses(&self) -> Result<Vec<StatusDef>> {
        let rows = status::Entity::find().order_by_asc(status::Column::Position).order_by_asc(status::Column::Key).all(&self.read).await?;
        let defs = rows.into_iter().map(to_def).collect::<Result<Vec<_>>>()?;
        self.status_book.replace(defs.iter().map(|d| (d.status.as_str().to_string(), d.status.clone())).collect());
        Ok(defs)
    }

    /// Resolves stored status keys, reloading the table once if one is new to this node.
    pub(crate) async fn status_map<'a>(&self, keys: impl IntoIterator<Item = &'a str>) -> Result<Arc<HashMap<String, Status>>> {
        let keys: Vec<&str> = keys.into_iter().collect();
        let book = self.status_book.snapshot();
        if keys.iter().all(|k| book.contains_key(*k)) {
            return Ok(book);
        }
        self.statuses().await?;
        let book = self.status_book.snapshot();
        match keys.iter().find(|k| !book.contains_key(**k)) {
            Some(k) => Err(StoreError::Corrupt(format!("unknown status `{}`", k.chars().take(64).collect::<String>()))),
            None => Ok(book),
        }
    }

    /// Adds a status, with its audit entry. Its key must be new.
    pub async fn create_status(&self, def: &StatusDef, audit: NewAudit) -> Result<()> {
        let row = status::ActiveModel {
            key: Set(def.status.as_str().to_string()),
            category: Set(def.status.category().as_str().to_string()),
            awaits_requester: Set(def.status.awaits_requester()),
            name_es: Set(def.name_es.clone()),
            name_en: Set(def.name_en.clone()),
            position: Set(def.position),
            active: Set(def.active),
            created_at: Set(micros(audit.at)),
        };
        self.audited(audit, move |txn| {
            Box::pin(async move {
                status::Entity::insert(row).exec_without_returning(txn).await?;
                Ok(((), None))
            })
        })
        .await
    }

    /// Renames, reorders, retires or brings back a status, with its audit entry.
    pub async fn change_status(&self, key: &StatusKey, change: StatusChange, audit: NewAudit) -> Result<StatusDef> {
        let key = key.as_str().to_string();
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = status::Entity::find_by_id(key).one(txn).await?.ok_or(StoreError::NotFound("status"))?;
                let mut am: status::ActiveModel = row.into();
                if let Some(v) = change.name_es {
                    am.name_es = Set(v);
                }
                if let Some(v) = change.name_en {
                    am.name_en = Set(v);
                }
                if let Some(v) = change.position {
                    am.position = Set(v);
                }
                if let Some(v) = change.active {
                    am.active = Set(v);
                }
                let saved = status::Entity::update(am).exec(txn).await?;
                Ok((to_def(saved)?, None))
            })
        })
        .await
    }
}
