//! What automation reads and writes besides the ticket row: the agents a department may hand
//! tickets to (not away), its round-robin cursor, open tickets per agent, the tickets due for
//! auto-close, a reminder or a time rule (each query bounded and walking an index: a big desk
//! has a million tickets), and the time rules themselves.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tikal_core::automation::{TimeCondition, TimeRule, TimeRuleSettings};
use tikal_core::{AgentId, DepartmentId, Permission, Status, TicketId};

use crate::convert::{micros, time};
use crate::entity::{agent, department, ticket, time_rule, time_rule_firing};
use crate::{NewAudit, Result, Store, StoreError};

/// A round-robin pick to record with the ticket's change: the department's cursor moves from
/// `from` (as read when choosing) to `to`, or the change fails as stale and is chosen again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorMove {
    pub department: DepartmentId,
    pub from: Option<AgentId>,
    pub to: AgentId,
}

fn keys(statuses: &[Status]) -> Vec<String> {
    statuses.iter().map(|s| s.as_str().to_string()).collect()
}

fn ids(rows: Vec<i64>) -> Vec<TicketId> {
    rows.into_iter().map(TicketId).collect()
}

fn to_rule(m: time_rule::Model) -> Result<TimeRule> {
    Ok(TimeRule {
        id: m.id,
        name: m.name,
        department_id: m.department_id.map(DepartmentId),
        condition: m.condition.parse()?,
        minutes: u32::try_from(m.minutes).map_err(|_| StoreError::Corrupt(format!("time rule minutes {}", m.minutes)))?,
        action: m.action.parse()?,
        target_department_id: m.target_department_id.map(DepartmentId),
        active: m.active,
        updated_at: time(m.updated_at)?,
    })
}

/// Writes what a change carries for automation, in its transaction: the cursor move (stale if
/// another pick moved it first), the time rule's firing (the key refuses a second one), and
/// the reminder mark (cleared by any change of status, so each pending period gets one).
pub(crate) async fn write_automation(
    txn: &DatabaseTransaction,
    ticket_id: TicketId,
    change: &crate::TicketChange,
    status_changed: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    if let Some(m) = change.cursor {
        let was = match m.from {
            Some(a) => department::Column::AssignCursor.eq(a.get()),
            None => department::Column::AssignCursor.is_null(),
        };
        let res = department::Entity::update_many()
            .col_expr(department::Column::AssignCursor, Expr::value(m.to.get()))
            .filter(department::Column::Id.eq(m.department.get()))
            .filter(was)
            .exec(txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(StoreError::Stale);
        }
    }
    if let Some(rule_id) = change.time_rule {
        let row = time_rule_firing::ActiveModel { rule_id: Set(rule_id), ticket_id: Set(ticket_id.get()), fired_at: Set(micros(at)) };
        time_rule_firing::Entity::insert(row).exec_without_returning(txn).await?;
    }
    let reminded = match (change.reminded, status_changed) {
        (true, _) => Some(Some(micros(at))),
        (false, true) => Some(None),
        (false, false) => None,
    };
    if let Some(value) = reminded {
        ticket::Entity::update_many()
            .col_expr(ticket::Column::RemindedAt, Expr::value(value))
            .filter(ticket::Column::Id.eq(ticket_id.get()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

async fn mark_away(txn: &DatabaseTransaction, id: AgentId, away: bool) -> Result<()> {
    let res = agent::Entity::update_many()
        .col_expr(agent::Column::Away, Expr::value(away))
        .filter(agent::Column::Id.eq(id.get()))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::NotFound("agent"));
    }
    Ok(())
}

impl Store {
    /// The agents who may get a department's tickets automatically: active, granted the right
    /// to reply there by a role (an administrator without a role there is not one), not away.
    pub async fn assignable_agents(&self, department: DepartmentId) -> Result<Vec<AgentId>> {
        let granted = self.department_agents_with(department, Permission::TicketReply).await?;
        if granted.is_empty() {
            return Ok(granted);
        }
        let away: Vec<i64> = agent::Entity::find()
            .select_only()
            .column(agent::Column::Id)
            .filter(agent::Column::Away.eq(true))
            .filter(agent::Column::Id.is_in(granted.iter().map(|a| a.get())))
            .into_tuple()
            .all(&self.read)
            .await?;
        Ok(granted.into_iter().filter(|a| !away.contains(&a.get())).collect())
    }

    /// The last agent the department's round robin picked.
    pub async fn assign_cursor(&self, department: DepartmentId) -> Result<Option<AgentId>> {
        let row = department::Entity::find_by_id(department.get()).one(&self.write).await?.ok_or(StoreError::NotFound("department"))?;
        Ok(row.assign_cursor.map(AgentId))
    }

    /// How many tickets in `statuses` (the active ones) each agent owns, from the counters kept
    /// by triggers (no ticket is read).
    pub async fn owned_counts(&self, agents: &[AgentId], statuses: &[Status]) -> Result<Vec<(AgentId, u64)>> {
        if agents.is_empty() || statuses.is_empty() {
            return Ok(agents.iter().map(|a| (*a, 0)).collect());
        }
        use crate::queues::ticket_count;
        let rows = ticket_count::Entity::find()
            .filter(ticket_count::Column::OwnerId.is_in(agents.iter().map(|a| a.get())))
            .filter(ticket_count::Column::Status.is_in(keys(statuses)))
            .all(&self.read)
            .await?;
        Ok(agents
            .iter()
            .map(|a| {
                let n: i64 = rows.iter().filter(|r| r.owner_id == a.get()).map(|r| r.n).sum();
                (*a, u64::try_from(n).unwrap_or(0))
            })
            .collect())
    }

    /// Whether an agent is marked away.
    pub async fn agent_away(&self, id: AgentId) -> Result<bool> {
        let row = agent::Entity::find_by_id(id.get()).one(&self.read).await?.ok_or(StoreError::NotFound("agent"))?;
        Ok(row.away)
    }

    /// The agents marked away.
    pub async fn away_agents(&self) -> Result<Vec<AgentId>> {
        let rows: Vec<i64> = agent::Entity::find()
            .select_only()
            .column(agent::Column::Id)
            .filter(agent::Column::Away.eq(true))
            .into_tuple()
            .all(&self.read)
            .await?;
        Ok(rows.into_iter().map(AgentId).collect())
    }

    /// Marks an agent away or back; audited when an administrator does it for someone else.
    pub async fn set_agent_away(&self, id: AgentId, away: bool, audit: Option<NewAudit>) -> Result<()> {
        match audit {
            Some(audit) => self.audited(audit, move |txn| Box::pin(async move { Ok((mark_away(txn, id, away).await?, None)) })).await,
            None => {
                let txn = self.write.begin().await?;
                mark_away(&txn, id, away).await?;
                txn.commit().await?;
                Ok(())
            }
        }
    }

    /// Up to `limit` resolved tickets (in `resolved`, the statuses of that category) resolved at
    /// or before `cutoff` with their resolution approved, oldest id first. Walks the status
    /// index: resolved tickets are few next to closed ones.
    pub async fn auto_close_candidates(&self, resolved: &[Status], cutoff: DateTime<Utc>, limit: u64) -> Result<Vec<TicketId>> {
        if resolved.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<i64> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::Status.is_in(keys(resolved)))
            .filter(ticket::Column::ResolutionApproved.eq(true))
            .filter(ticket::Column::ResolvedAt.lte(micros(cutoff)))
            .order_by_asc(ticket::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.read)
            .await?;
        Ok(ids(rows))
    }

    /// Up to `limit` tickets in `awaiting` (statuses that wait on the requester) unchanged
    /// since `cutoff` and not reminded in this pending period.
    pub async fn reminder_candidates(&self, awaiting: &[Status], cutoff: DateTime<Utc>, limit: u64) -> Result<Vec<TicketId>> {
        if awaiting.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<i64> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::Status.is_in(keys(awaiting)))
            .filter(ticket::Column::RemindedAt.is_null())
            .filter(ticket::Column::UpdatedAt.lte(micros(cutoff)))
            .order_by_asc(ticket::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.read)
            .await?;
        Ok(ids(rows))
    }

    /// Whether a ticket's requester was reminded in its current pending period.
    pub async fn reminded(&self, id: TicketId) -> Result<bool> {
        let row = ticket::Entity::find_by_id(id.get()).one(&self.read).await?.ok_or(StoreError::NotFound("ticket"))?;
        Ok(row.reminded_at.is_some())
    }

    /// Up to `limit` tickets `rule` matches at `now` and has not fired on: in `statuses` (the
    /// active ones; for "pending on the requester", those that wait on them), in the rule's
    /// department if it has one. The status index narrows to active tickets; the firing is
    /// looked up by its primary key.
    pub async fn time_rule_candidates(
        &self,
        rule: &TimeRule,
        statuses: &[Status],
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<TicketId>> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let cutoff = micros(rule.cutoff(now));
        let condition = match rule.condition {
            TimeCondition::Unassigned => Condition::all().add(ticket::Column::OwnerId.is_null()).add(ticket::Column::CreatedAt.lte(cutoff)),
            TimeCondition::NoFirstResponse => {
                Condition::all().add(ticket::Column::FirstResponseAt.is_null()).add(ticket::Column::CreatedAt.lte(cutoff))
            }
            TimeCondition::PendingRequester | TimeCondition::NotUpdated => Condition::all().add(ticket::Column::UpdatedAt.lte(cutoff)),
        };
        let fired = Query::select()
            .expr(Expr::val(1))
            .from(time_rule_firing::Entity)
            .and_where(Expr::col((time_rule_firing::Entity, time_rule_firing::Column::RuleId)).eq(rule.id))
            .and_where(
                Expr::col((time_rule_firing::Entity, time_rule_firing::Column::TicketId)).equals((ticket::Entity, ticket::Column::Id)),
            )
            .to_owned();
        let mut find = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::Status.is_in(keys(statuses)))
            .filter(condition)
            .filter(Expr::exists(fired).not());
        if let Some(d) = rule.department_id {
            find = find.filter(ticket::Column::DepartmentId.eq(d.get()));
        }
        let rows: Vec<i64> = find.order_by_asc(ticket::Column::Id).limit(limit).into_tuple().all(&self.read).await?;
        Ok(ids(rows))
    }

    /// Every time rule, by name.
    pub async fn time_rules(&self) -> Result<Vec<TimeRule>> {
        time_rule::Entity::find().order_by_asc(time_rule::Column::Name).all(&self.read).await?.into_iter().map(to_rule).collect()
    }

    /// Creates (`id: None`) or replaces a time rule, audited. A name another rule has is a
    /// conflict.
    pub async fn save_time_rule(&self, id: Option<i64>, s: TimeRuleSettings, now: DateTime<Utc>, audit: NewAudit) -> Result<TimeRule> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = time_rule::ActiveModel {
                    id: id.map_or(NotSet, Set),
                    name: Set(s.name),
                    department_id: Set(s.department_id.map(DepartmentId::get)),
                    condition: Set(s.condition.as_str().to_string()),
                    minutes: Set(i32::try_from(s.minutes).unwrap_or(i32::MAX)),
                    action: Set(s.action.as_str().to_string()),
                    target_department_id: Set(s.target_department_id.map(DepartmentId::get)),
                    active: Set(s.active),
                    updated_at: Set(micros(now)),
                };
                let saved = match id {
                    Some(_) => time_rule::Entity::update(row).exec(txn).await?,
                    None => {
                        let new_id = time_rule::Entity::insert(row).exec(txn).await?.last_insert_id;
                        time_rule::Entity::find_by_id(new_id).one(txn).await?.ok_or(StoreError::NotFound("time rule"))?
                    }
                };
                let created = id.is_none().then(|| saved.id.to_string());
                Ok((to_rule(saved)?, created))
            })
        })
        .await
    }
}
