//! The desk's statuses: listed for pages and the API, chosen by key, added, renamed, retired.
//! Administrators (pages, API), the command line and the system manage them; every change is
//! in the audit log.

use tikal_core::admin::{AdminEntity, AuditAction};
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

/// A status as the audit log records it.
fn status_doc(d: &StatusDef) -> Option<String> {
    crate::admin::json(&serde_json::json!({
        "category": d.status.category().as_str(),
        "awaits_requester": d.status.awaits_requester(),
        "name_es": d.name_es,
        "name_en": d.name_en,
        "position": d.position,
        "active": d.active,
    }))
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
        let audit = Self::audit_entry(
            by,
            AuditAction::Create,
            AdminEntity::Status,
            def.status.as_str(),
            def.name_es.clone(),
            None,
            status_doc(&def),
        )?;
        self.store.create_status(&def, audit).await.map_err(|e| match e {
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
        let before = self.catalog().await?.status(key.as_str()).cloned().ok_or(ServiceError::NotFound("status"))?;
        let mut after = before.clone();
        after.name_es = change.name_es.clone().unwrap_or(after.name_es);
        after.name_en = change.name_en.clone().unwrap_or(after.name_en);
        after.position = change.position.unwrap_or(after.position);
        after.active = change.active.unwrap_or(after.active);
        let action = AuditAction::of_save(Some(before.active), after.active);
        let audit = Self::audit_entry(
            by,
            action,
            AdminEntity::Status,
            key.as_str(),
            after.name_es.clone(),
            status_doc(&before),
            status_doc(&after),
        )?;
        Ok(self.store.change_status(&key, change, audit).await?)
    }
}
