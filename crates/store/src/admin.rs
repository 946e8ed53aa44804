//! Administrative writes and the audit log. Every administrative change is committed in one
//! transaction with its audit entry (`Store::audited`): there is no change without its record,
//! nor a record of a change that did not happen.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use tikal_core::admin::{AdminEntity, AuditAction, AuditActor, AuditEntry, AuditQuery, DepartmentSettings, TeamInput};
use tikal_core::desk::DepartmentRules;
use tikal_core::org::{Department, Team};
use tikal_core::{AgentId, DepartmentId, TeamId};

use crate::convert::{contains_pattern, lower_like, micros, time};
use crate::desk::upsert_department_rules;
use crate::directory::to_department;
use crate::entity::{audit_log, department, team, team_member};
use crate::{Result, Store};

/// An audit entry to write with a change. For a creation, `entity_id` is filled in from what
/// the change returns.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    pub action: AuditAction,
    pub entity: AdminEntity,
    pub entity_id: String,
    pub summary: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The work of an audited change, run inside its transaction. It returns its result and, for
/// a creation, the new entity's id for the audit entry.
pub type AuditedWork<'c, T> = Pin<Box<dyn Future<Output = Result<(T, Option<String>)>> + Send + 'c>>;

fn to_entry(m: audit_log::Model) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: m.id,
        at: time(m.at)?,
        actor_kind: m.actor_kind,
        actor_id: m.actor_id,
        actor_name: m.actor_name,
        action: m.action.parse()?,
        entity: m.entity.parse()?,
        entity_id: m.entity_id,
        summary: m.summary,
        before: m.before,
        after: m.after,
    })
}

pub(crate) async fn insert_audit(conn: &impl ConnectionTrait, a: &NewAudit) -> Result<()> {
    audit_log::Entity::insert(audit_row(a)).exec_without_returning(conn).await?;
    Ok(())
}

/// Writes many audit entries (a bulk change records each thing it changed), in batches that
/// stay under the databases' limits on bound values.
pub(crate) async fn insert_audits(conn: &impl ConnectionTrait, entries: &[NewAudit]) -> Result<()> {
    for batch in entries.chunks(500) {
        audit_log::Entity::insert_many(batch.iter().map(audit_row)).exec_without_returning(conn).await?;
    }
    Ok(())
}

fn audit_row(a: &NewAudit) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        id: NotSet,
        at: Set(micros(a.at)),
        actor_kind: Set(a.actor.kind().to_string()),
        actor_id: Set(a.actor.id()),
        actor_name: Set(a.actor.name().to_string()),
        action: Set(a.action.as_str().to_string()),
        entity: Set(a.entity.as_str().to_string()),
        entity_id: Set(a.entity_id.clone()),
        summary: Set(a.summary.chars().take(500).collect()),
        before: Set(a.before.clone()),
        after: Set(a.after.clone()),
    }
}

impl Store {
    /// Runs `work` and writes `audit` in one transaction; the catalogue caches are told.
    pub async fn audited<T, F>(&self, mut audit: NewAudit, work: F) -> Result<T>
    where
        T: Send,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> AuditedWork<'c, T> + Send,
    {
        let txn = self.write.begin().await?;
        let (value, id) = work(&txn).await?;
        if let Some(id) = id {
            audit.entity_id = id;
        }
        insert_audit(&txn, &audit).await?;
        txn.commit().await?;
        self.catalog_changed();
        Ok(value)
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut find = audit_log::Entity::find();
        if let Some(e) = q.entity {
            find = find.filter(audit_log::Column::Entity.eq(e.as_str()));
        }
        if let Some(id) = &q.entity_id {
            find = find.filter(audit_log::Column::EntityId.eq(id.as_str()));
        }
        if let Some(a) = q.actor_id {
            find = find.filter(audit_log::Column::ActorKind.eq("agent")).filter(audit_log::Column::ActorId.eq(a.get()));
        }
        if let Some(t) = q.since {
            find = find.filter(audit_log::Column::At.gte(micros(t)));
        }
        if let Some(t) = q.until {
            find = find.filter(audit_log::Column::At.lt(micros(t)));
        }
        if let Some(b) = q.before {
            find = find.filter(audit_log::Column::Id.lt(b));
        }
        if let Some(p) = q.q.as_deref().and_then(contains_pattern) {
            find = find.filter(
                Condition::any()
                    .add(lower_like(audit_log::Column::Summary, &p))
                    .add(lower_like(audit_log::Column::ActorName, &p))
                    .add(lower_like(audit_log::Column::EntityId, &p)),
            );
        }
        find.order_by_desc(audit_log::Column::Id).limit(q.limit()).all(&self.read).await?.into_iter().map(to_entry).collect()
    }

    /// One audit entry by id.
    pub async fn audit_entry(&self, id: i64) -> Result<Option<AuditEntry>> {
        audit_log::Entity::find_by_id(id).one(&self.read).await?.map(to_entry).transpose()
    }

    pub async fn department(&self, id: DepartmentId) -> Result<Option<Department>> {
        department::Entity::find_by_id(id.get()).one(&self.read).await?.map(to_department).transpose()
    }

    /// Creates (`id: None`) or updates a department, with its audit entry.
    /// With `rules`, the department's desk rules are set in the same transaction.
    pub async fn save_department(
        &self,
        id: Option<DepartmentId>,
        s: DepartmentSettings,
        rules: Option<DepartmentRules>,
        audit: NewAudit,
    ) -> Result<Department> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let mut row = department::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(s.name),
                    parent_id: Set(s.parent_id.map(DepartmentId::get)),
                    manager_id: Set(s.manager_id.map(AgentId::get)),
                    email: Set(s.email.map(|e| e.as_str().to_string())),
                    sla_plan_id: Set(s.sla_plan_id.map(|p| p.get())),
                    auto_assign: Set(s.auto_assign.as_str().to_string()),
                    active: Set(s.active),
                    created_at: NotSet,
                    ..Default::default()
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => {
                        row.created_at = Set(micros(at));
                        row.insert(txn).await?
                    }
                };
                if let Some(rules) = rules {
                    upsert_department_rules(txn, DepartmentId(saved.id), rules, at).await?;
                }
                let created = id.is_none().then(|| saved.id.to_string());
                Ok((to_department(saved)?, created))
            })
        })
        .await
    }

    /// Every team with its members, by name.
    pub async fn teams(&self) -> Result<Vec<Team>> {
        let teams = team::Entity::find().order_by_asc(team::Column::Name).all(&self.read).await?;
        let members = team_member::Entity::find().all(&self.read).await?;
        Ok(teams
            .into_iter()
            .map(|t| Team {
                id: TeamId(t.id),
                name: t.name,
                department_id: t.department_id.map(DepartmentId),
                active: t.active,
                members: members.iter().filter(|m| m.team_id == t.id).map(|m| AgentId(m.agent_id)).collect(),
            })
            .collect())
    }

    /// Creates (`id: None`) or updates a team and replaces its members, with its audit entry.
    pub async fn save_team(&self, id: Option<TeamId>, t: TeamInput, audit: NewAudit) -> Result<Team> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = team::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(t.name.clone()),
                    department_id: Set(t.department_id.map(DepartmentId::get)),
                    active: Set(t.active),
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => row.insert(txn).await?,
                };
                team_member::Entity::delete_many().filter(team_member::Column::TeamId.eq(saved.id)).exec(txn).await?;
                for a in &t.members {
                    let m = team_member::ActiveModel { team_id: Set(saved.id), agent_id: Set(a.get()) };
                    team_member::Entity::insert(m).exec_without_returning(txn).await?;
                }
                let created = id.is_none().then(|| saved.id.to_string());
                let team = Team {
                    id: TeamId(saved.id),
                    name: saved.name,
                    department_id: saved.department_id.map(DepartmentId),
                    active: saved.active,
                    members: t.members,
                };
                Ok((team, created))
            })
        })
        .await
    }

    /// How many tickets a department holds (to tell an administrator what retiring it means).
    pub async fn department_ticket_total(&self, id: DepartmentId) -> Result<u64> {
        let counts = self.ticket_counts(Some(&[id])).await?;
        Ok(counts.iter().map(|c| c.n).sum())
    }
}
