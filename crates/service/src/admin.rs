//! Administration use cases: who may configure the desk, the audit log every change writes,
//! departments and teams. The other sections of `/admin` follow the same shape: validate in
//! `tikal_core`, then one audited store write (the change and its record commit together).

use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction, AuditActor, AuditEntry, AuditQuery, DepartmentInput, TeamInput};
use tikal_core::desk::DepartmentRules;
use tikal_core::org::{Department, Team};
use tikal_core::{DepartmentId, DomainError, Reason, TeamId};
use tikal_store::NewAudit;

use crate::{Desk, Principal, Result, ServiceError};

/// One changed field of an audit entry: its name, the value before and after (as JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields that differ between an entry's `before` and `after` documents.
pub fn audit_changes(e: &AuditEntry) -> Vec<FieldChange> {
    let parse = |s: &Option<String>| -> serde_json::Map<String, serde_json::Value> {
        s.as_deref()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let (before, after) = (parse(&e.before), parse(&e.after));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    // A field absent on one side counts as null: a creation lists only what was set.
    let null = serde_json::Value::Null;
    keys.into_iter()
        .filter(|k| before.get(*k).unwrap_or(&null) != after.get(*k).unwrap_or(&null))
        .map(|k| FieldChange { field: k.clone(), before: before.get(k).map(|v| v.to_string()), after: after.get(k).map(|v| v.to_string()) })
        .collect()
}

/// A department as the audit log and the configuration file record it.
#[derive(Debug, Clone, Serialize)]
struct DepartmentDoc<'a> {
    name: &'a str,
    parent_id: Option<i64>,
    manager_id: Option<i64>,
    email: Option<&'a str>,
    sla_plan_id: Option<i64>,
    auto_assign: &'static str,
    active: bool,
    next_level_id: Option<i64>,
    review_required: Option<bool>,
}

fn department_doc(d: &Department, r: &DepartmentRules) -> Option<String> {
    json(&DepartmentDoc {
        name: &d.name,
        parent_id: d.parent_id.map(|p| p.get()),
        manager_id: d.manager_id.map(|m| m.get()),
        email: d.email.as_ref().map(|e| e.as_str()),
        sla_plan_id: d.sla_plan_id.map(|p| p.get()),
        auto_assign: d.auto_assign.as_str(),
        active: d.active,
        next_level_id: r.next_level.map(|n| n.get()),
        review_required: r.review_required,
    })
}

#[derive(Debug, Clone, Serialize)]
struct TeamDoc<'a> {
    name: &'a str,
    department_id: Option<i64>,
    active: bool,
    members: Vec<i64>,
}

fn team_doc(name: &str, department_id: Option<DepartmentId>, active: bool, members: &[tikal_core::AgentId]) -> Option<String> {
    json(&TeamDoc { name, department_id: department_id.map(|d| d.get()), active, members: members.iter().map(|m| m.get()).collect() })
}

/// JSON text of a document for the audit log (`None` only if it cannot be written, which a
/// plain struct of strings and numbers never is).
pub(crate) fn json<T: Serialize>(doc: &T) -> Option<String> {
    serde_json::to_string(doc).ok()
}

/// A department as the administration lists it: with its desk rules and how many tickets
/// it holds (so retiring it is an informed choice).
#[derive(Debug, Clone)]
pub struct DepartmentAdmin {
    pub department: Department,
    pub rules: DepartmentRules,
    pub tickets: u64,
}

impl Desk {
    /// Every department, retired ones too (administrators only).
    pub async fn departments_for_admin(&self, by: &Principal) -> Result<Vec<DepartmentAdmin>> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let counts = self.store.ticket_counts(None).await?;
        Ok(catalog
            .departments
            .iter()
            .map(|d| DepartmentAdmin {
                department: d.clone(),
                rules: self.rules_of(&catalog, d.id),
                tickets: counts.iter().filter(|c| c.department == d.id).map(|c| c.n).sum(),
            })
            .collect())
    }

    /// Every agent, inactive ones too (administrators only).
    pub async fn agents_for_admin(&self, by: &Principal) -> Result<Vec<tikal_core::org::Agent>> {
        Self::admin_actor(by)?;
        Ok(self.store.agents().await?)
    }

    /// The administrator making a change, as the audit log records them; anyone else is refused.
    /// Administrators are agents with full access; full-access API keys script the same
    /// changes; the system (command line, first start) too.
    pub fn admin_actor(by: &Principal) -> Result<AuditActor> {
        match by {
            Principal::Agent { access, .. } if !access.all => Err(ServiceError::Forbidden),
            _ => Self::audit_actor(by),
        }
    }

    /// Anyone of the desk as the audit log records them (changes outside administration, such
    /// as a deleted knowledge-base article); requesters are refused.
    pub(crate) fn audit_actor(by: &Principal) -> Result<AuditActor> {
        match by {
            Principal::Agent { id, name, .. } => Ok(AuditActor::Agent { id: *id, name: name.clone() }),
            Principal::ApiKey { id, name } => Ok(AuditActor::ApiKey { id: id.get(), name: name.clone() }),
            Principal::System => Ok(AuditActor::System),
            _ => Err(ServiceError::Forbidden),
        }
    }

    /// An audit entry by `by`, now.
    pub(crate) fn audit_entry(
        by: &Principal,
        action: AuditAction,
        entity: AdminEntity,
        entity_id: impl ToString,
        summary: impl Into<String>,
        before: Option<String>,
        after: Option<String>,
    ) -> Result<NewAudit> {
        Ok(NewAudit {
            at: tikal_store::now(),
            actor: Self::admin_actor(by)?,
            action,
            entity,
            entity_id: entity_id.to_string(),
            summary: summary.into(),
            before,
            after,
        })
    }

    /// The audit log, newest first (administrators only).
    pub async fn audit_log(&self, by: &Principal, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        Self::admin_actor(by)?;
        Ok(self.store.audit_log(q).await?)
    }

    pub async fn audit_entry_by_id(&self, by: &Principal, id: i64) -> Result<AuditEntry> {
        Self::admin_actor(by)?;
        self.store.audit_entry(id).await?.ok_or(ServiceError::NotFound("audit entry"))
    }

    /// A department with its desk rules, for its edit form (administrators only).
    pub async fn department_for_admin(&self, by: &Principal, id: DepartmentId) -> Result<(Department, DepartmentRules)> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let d = catalog.department(id).cloned().ok_or(ServiceError::NotFound("department"))?;
        Ok((d, self.rules_of(&catalog, id)))
    }

    /// Creates (`id: None`) or updates a department and, when given, its desk rules.
    pub async fn save_department(
        &self,
        by: &Principal,
        id: Option<DepartmentId>,
        input: DepartmentInput,
        rules: Option<DepartmentRules>,
    ) -> Result<Department> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let before = match id {
            Some(id) => Some(catalog.department(id).cloned().ok_or(ServiceError::NotFound("department"))?),
            None => None,
        };
        let settings = input.validate(id, &catalog.departments)?;
        if let Some(m) = settings.manager_id
            && !self.store.agents().await?.iter().any(|a| a.id == m && a.active)
        {
            return Err(DomainError::invalid("manager_id", Reason::NotFound).into());
        }
        if let Some(plan) = settings.sla_plan_id
            && !catalog.sla_plans.iter().any(|p| p.id == plan && (p.active || before.as_ref().is_some_and(|b| b.sla_plan_id == Some(plan))))
        {
            return Err(DomainError::invalid("sla_plan_id", Reason::NotFound).into());
        }
        if let Some(rules) = rules {
            if let Some(next) = rules.next_level
                && catalog.department(next).is_none()
            {
                return Err(DomainError::invalid("next_level_id", Reason::NotFound).into());
            }
            if let Some(id) = id {
                rules.validate(id)?;
            }
        }
        let old_rules = id.map(|id| self.rules_of(&catalog, id)).unwrap_or_default();
        let new_rules = rules.unwrap_or(old_rules);
        let after_doc = Department {
            id: id.unwrap_or(DepartmentId(0)),
            name: settings.name.clone(),
            parent_id: settings.parent_id,
            manager_id: settings.manager_id,
            email: settings.email.clone(),
            sla_plan_id: settings.sla_plan_id,
            auto_assign: settings.auto_assign,
            active: settings.active,
        };
        let action = AuditAction::of_save(before.as_ref().map(|b| b.active), settings.active);
        let audit = Self::audit_entry(
            by,
            action,
            AdminEntity::Department,
            id.map(|i| i.get()).unwrap_or_default(),
            settings.name.clone(),
            before.as_ref().and_then(|b| department_doc(b, &old_rules)),
            department_doc(&after_doc, &new_rules),
        )?;
        self.store.save_department(id, settings, rules, audit).await.map_err(|e| match e {
            tikal_store::StoreError::Conflict(_) => ServiceError::Domain(DomainError::invalid("name", Reason::Duplicate)),
            other => other.into(),
        })
    }

    /// Sets a department's desk rules: administrators and integrations only.
    pub async fn set_department_rules(&self, by: &Principal, department: DepartmentId, new: DepartmentRules) -> Result<DepartmentRules> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let d = catalog.department(department).ok_or(ServiceError::NotFound("department"))?;
        if let Some(next) = new.next_level
            && catalog.department(next).is_none()
        {
            return Err(DomainError::invalid("next_level_id", Reason::NotFound).into());
        }
        new.validate(department)?;
        let old = self.rules_of(&catalog, department);
        let audit = Self::audit_entry(
            by,
            AuditAction::Update,
            AdminEntity::Department,
            department.get(),
            d.name.clone(),
            department_doc(d, &old),
            department_doc(d, &new),
        )?;
        self.store.set_department_rules(department, new, audit).await?;
        Ok(new)
    }

    /// Every team with its members (administrators only).
    pub async fn teams(&self, by: &Principal) -> Result<Vec<Team>> {
        Self::admin_actor(by)?;
        Ok(self.store.teams().await?)
    }

    /// Creates (`id: None`) or updates a team and its members.
    pub async fn save_team(&self, by: &Principal, id: Option<TeamId>, input: TeamInput) -> Result<Team> {
        Self::admin_actor(by)?;
        let teams = self.store.teams().await?;
        let before = match id {
            Some(id) => Some(teams.iter().find(|t| t.id == id).cloned().ok_or(ServiceError::NotFound("team"))?),
            None => None,
        };
        let names: Vec<(TeamId, String)> = teams.iter().map(|t| (t.id, t.name.clone())).collect();
        let input = input.validate(id, &names)?;
        if let Some(d) = input.department_id
            && self.catalog().await?.department(d).is_none()
        {
            return Err(DomainError::invalid("department_id", Reason::NotFound).into());
        }
        let agents = self.store.agents().await?;
        if input.members.iter().any(|m| !agents.iter().any(|a| a.id == *m)) {
            return Err(DomainError::invalid("members", Reason::NotFound).into());
        }
        let action = AuditAction::of_save(before.as_ref().map(|b| b.active), input.active);
        let audit = Self::audit_entry(
            by,
            action,
            AdminEntity::Team,
            id.map(|i| i.get()).unwrap_or_default(),
            input.name.clone(),
            before.as_ref().and_then(|b| team_doc(&b.name, b.department_id, b.active, &b.members)),
            team_doc(&input.name, input.department_id, input.active, &input.members),
        )?;
        self.store.save_team(id, input, audit).await.map_err(|e| match e {
            tikal_store::StoreError::Conflict(_) => ServiceError::Domain(DomainError::invalid("name", Reason::Duplicate)),
            other => other.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn entry(before: Option<&str>, after: Option<&str>) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: Utc::now(),
            actor_kind: "agent".into(),
            actor_id: Some(1),
            actor_name: "Ana".into(),
            action: AuditAction::Update,
            entity: AdminEntity::Department,
            entity_id: "1".into(),
            summary: "UIT".into(),
            before: before.map(str::to_string),
            after: after.map(str::to_string),
        }
    }

    #[test]
    fn changes_list_only_what_differs() {
        let e = entry(Some(r#"{"name":"UIT","active":true,"email":null}"#), Some(r#"{"name":"UIT","active":false,"email":"a@b.ec"}"#));
        let c = audit_changes(&e);
        assert_eq!(c.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), vec!["active", "email"]);
        assert_eq!(c[0].before.as_deref(), Some("true"));
        assert_eq!(c[1].after.as_deref(), Some("\"a@b.ec\""));
        // A creation lists the fields it set; unreadable documents count as empty.
        assert_eq!(audit_changes(&entry(None, Some(r#"{"name":"UIT","email":null}"#))).len(), 1);
        assert!(audit_changes(&entry(Some("not json"), None)).is_empty());
    }

    #[test]
    fn only_administrators_change_the_desk() {
        use tikal_core::{Access, AgentId, RequesterId};
        let admin = Principal::Agent { id: AgentId(1), name: "Ana".into(), access: Access::full() };
        let agent = Principal::Agent { id: AgentId(2), name: "Luis".into(), access: Access::default() };
        let requester = Principal::Requester { id: RequesterId(3), name: "Eva".into(), organisation: None };
        assert!(matches!(Desk::admin_actor(&admin), Ok(AuditActor::Agent { .. })));
        assert!(matches!(Desk::admin_actor(&agent), Err(ServiceError::Forbidden)));
        assert!(matches!(Desk::admin_actor(&requester), Err(ServiceError::Forbidden)));
        assert!(matches!(Desk::admin_actor(&Principal::System), Ok(AuditActor::System)));
    }
}
