//! The desk's statuses: listed for pages and the API, chosen by key, added, renamed, retired.
//! Who may manage them is decided by the caller's role once the administration pages exist;
//! today the command line (an operator on the machine) and the system do it.

use tikal_core::{DomainError, Reason, StateCategory, Status, StatusDef, StatusKey};
use tikal_store::StatusChange;

use crate::{Desk, Principal, Result, ServiceError};

/// A status to add.
#[derive(Debug, Clone)]
pub struct NewStatus {
    pub key: String,
    pub category: StateCategory,
    pub awaits_requester: bool,
    pub name_es: String,
    pub name_en: String,
    pub position: Option<i32>,
}

impl Desk {
    /// Every status in list order, retired ones included (tickets may still have them).
    pub async fn statuses(&self) -> Result<Vec<StatusDef>> {
        Ok(self.catalog().await?.statuses.clone())
    }

    /// The status a caller names, which must exist and not be retired.
    pub async fn status_to_choose(&self, key: &str) -> Result<Status> {
        let catalog = self.catalog().await?;
        match catalog.status(key) {
            Some(d) if d.active => Ok(d.status.clone()),
            Some(_) => Err(DomainError::invalid("status", "is retired and can no longer be chosen").into()),
            None => Err(DomainError::invalid("status", Reason::NotFound).into()),
        }
    }

    pub(crate) fn require_admin(by: &Principal) -> Result<()> {
        Self::admin_actor(by).map(|_| ())
    }

    pub async fn create_status(&self, by: &Principal, new: NewStatus) -> Result<StatusDef> {
        Self::require_admin(by)?;
        let key = StatusKey::parse(new.key.trim())?;
        let status = Status::new(key, new.category, new.awaits_requester)?;
        let position = match new.position {
            Some(p) => p,
            None => self.statuses().await?.iter().map(|s| s.position).max().unwrap_or(0).saturating_add(10),
        };
        let def = StatusDef {
            status,
            name_es: StatusDef::validate_name("name_es", &new.name_es)?,
            name_en: StatusDef::validate_name("name_en", &new.name_en)?,
            position,
            active: true,
        };
        self.store.create_status(&def).await.map_err(|e| match e {
            tikal_store::StoreError::Conflict(_) => ServiceError::Conflict(format!("a status `{}` exists already", def.status)),
            other => other.into(),
        })?;
        Ok(def)
    }

    /// Renames, reorders or retires (`active: Some(false)`) a status. Built-in statuses can be
    /// renamed but not retired: the status machine moves tickets to them on its own.
    pub async fn change_status(&self, by: &Principal, key: &str, mut change: StatusChange) -> Result<StatusDef> {
        Self::require_admin(by)?;
        let key = StatusKey::parse(key)?;
        if change.active == Some(false) && Status::builtin(key.as_str()).is_some() {
            return Err(DomainError::invalid("status", "a built-in status can be renamed but not retired").into());
        }
        change.name_es = change.name_es.map(|n| StatusDef::validate_name("name_es", &n)).transpose()?;
        change.name_en = change.name_en.map(|n| StatusDef::validate_name("name_en", &n)).transpose()?;
        Ok(self.store.change_status(&key, change).await?)
    }
}
