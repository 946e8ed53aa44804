//! Automation the system does on its own: automatic assignment (when a ticket opens or moves
//! to a department that assigns), marking agents away, closing resolved tickets after the
//! configured days, reminding requesters of tickets waiting on them, and time rules (their
//! administration too). Each ticket is changed through the normal change path, as the system:
//! history event, notices, optimistic concurrency. The scheduler (`sla.rs`, the jobs crate)
//! calls the `run`-like functions; each is bounded per call and safe to run again.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction, AutoAssign};
use tikal_core::automation::{self, Candidate, TimeAction, TimeRule, TimeRuleInput};
use tikal_core::job::AlertReason;
use tikal_core::notice;
use tikal_core::*;
use tikal_store::{CursorMove, NewJob, StoreError, TicketChange as Change};

use crate::admin::json;
use crate::tickets::STALE_RETRIES;
use crate::{Desk, Principal, Result, ServiceError};

/// Tickets one run of a task looks at (per time rule): the next run takes the rest.
pub const BATCH: u64 = 500;

/// A time rule as the audit log records it.
#[derive(Serialize)]
struct RuleDoc<'a> {
    name: &'a str,
    department_id: Option<i64>,
    condition: &'a str,
    minutes: u32,
    action: &'a str,
    target_department_id: Option<i64>,
    active: bool,
}

fn rule_doc(r: &TimeRule) -> Option<String> {
    json(&RuleDoc {
        name: &r.name,
        department_id: r.department_id.map(DepartmentId::get),
        condition: r.condition.as_str(),
        minutes: r.minutes,
        action: r.action.as_str(),
        target_department_id: r.target_department_id.map(DepartmentId::get),
        active: r.active,
    })
}

/// Whether a run leaves the ticket alone and goes on: it changed since it was selected, or the
/// rule refuses the change on it (logged). Other errors (the database) end the run.
fn skipped(e: &ServiceError, number: &TicketNumber) -> bool {
    match e {
        ServiceError::Domain(DomainError::NoChange) | ServiceError::NotFound(_) | ServiceError::Conflict(_) => true,
        ServiceError::Domain(d) => {
            tracing::warn!(%number, error = %d, "automation left a ticket as it is");
            true
        }
        _ => false,
    }
}

impl Desk {
    /// Gives the ticket an agent of its department if the department assigns automatically
    /// and the ticket has no owner who may work there (a new ticket, or one just moved in).
    /// The pick is an `assigned` event by the system, and the agent gets the usual mail.
    /// `None`: nothing to do (mode off, nobody available, or an owner already).
    pub async fn auto_assign(&self, number: &TicketNumber) -> Result<Option<AgentId>> {
        let by = Principal::System;
        for _ in 0..STALE_RETRIES {
            let Some(mut t) = self.store.ticket_by_number(number).await? else { return Ok(None) };
            let catalog = self.catalog().await?;
            let Some(dept) = catalog.department(t.department_id) else { return Ok(None) };
            let mode = dept.auto_assign;
            if mode == AutoAssign::Off || !t.status.is_active() {
                return Ok(None);
            }
            if let Some(owner) = t.owner_id
                && self.store.department_agents_with(t.department_id, Permission::TicketReply).await?.contains(&owner)
            {
                return Ok(None);
            }
            let agents = self.store.assignable_agents(t.department_id).await?;
            let candidates: Vec<Candidate> = match mode {
                AutoAssign::LeastOpen => {
                    let active = catalog.statuses_in(&StateCategory::active());
                    let counts = self.store.owned_counts(&agents, &active).await?;
                    counts.into_iter().map(|(agent, open)| Candidate { agent, open }).collect()
                }
                _ => agents.iter().map(|a| Candidate { agent: *a, open: 0 }).collect(),
            };
            let cursor = match mode {
                AutoAssign::RoundRobin => self.store.assign_cursor(t.department_id).await?,
                _ => None,
            };
            let Some(pick) = automation::pick_agent(mode, &candidates, cursor) else { return Ok(None) };
            let now = tikal_store::now().max(t.updated_at);
            let policy = self.policy_for(&catalog, t.department_id);
            let update = TicketUpdate { owner_id: Some(Some(pick)), ..Default::default() };
            let events = t.apply(update, &Author::System, now, &policy, &self.priority_matrix(&catalog))?;
            let jobs: Vec<NewJob> = notice::change_notices(&events, &t, &Author::System);
            let moved = (mode == AutoAssign::RoundRobin).then_some(CursorMove { department: t.department_id, from: cursor, to: pick });
            let change = Change { events, jobs, actor_name: by.name().to_string(), cursor: moved, ..Default::default() };
            t.updated_at = now;
            match self.store.save_ticket_change(&mut t, &change).await {
                Ok(_) => {
                    tracing::info!(number = %t.number, agent = pick.get(), mode = %mode, "ticket assigned automatically");
                    return Ok(Some(pick));
                }
                Err(StoreError::Stale) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict("the ticket is being changed by someone else; try again".into()))
    }

    /// Auto-assigns after an opening or a transfer; a failure is logged, never the caller's
    /// (the ticket is saved and stays in the department's queue unassigned).
    pub(crate) async fn assign_after(&self, t: Ticket) -> Ticket {
        // Most departments assign by hand: they cost no read here (the catalogue is cached).
        let assigns = match self.catalog().await {
            Ok(c) => c.department(t.department_id).is_some_and(|d| d.auto_assign != AutoAssign::Off),
            Err(_) => true,
        };
        if !assigns {
            return t;
        }
        match self.auto_assign(&t.number).await {
            Ok(Some(_)) => self.store.ticket_by_number(&t.number).await.ok().flatten().unwrap_or(t),
            Ok(None) => t,
            Err(e) => {
                tracing::warn!(number = %t.number, error = %e, "automatic assignment failed");
                t
            }
        }
    }

    /// Marks an agent away (no automatic assignments) or back. Agents mark themselves;
    /// administrators mark anyone (audited).
    pub async fn set_away(&self, by: &Principal, agent: AgentId, away: bool) -> Result<()> {
        let own = matches!(by, Principal::Agent { id, .. } if *id == agent);
        let audit = if own {
            None
        } else {
            let who = self.store.agent(agent).await?.ok_or(ServiceError::NotFound("agent"))?;
            let before = json(&serde_json::json!({ "away": self.store.agent_away(agent).await? }));
            let after = json(&serde_json::json!({ "away": away }));
            Some(Self::audit_entry(by, AuditAction::Update, AdminEntity::Agent, agent.get(), who.name.as_str(), before, after)?)
        };
        Ok(self.store.set_agent_away(agent, away, audit).await?)
    }

    /// Whether an agent is marked away.
    pub async fn is_away(&self, agent: AgentId) -> Result<bool> {
        Ok(self.store.agent_away(agent).await?)
    }

    /// The agents marked away (the administration's list).
    pub async fn away_agents(&self) -> Result<Vec<AgentId>> {
        Ok(self.store.away_agents().await?)
    }

    /// Closes, as the system, resolved tickets whose resolution is older than the setting's
    /// `auto_close_days` (0: off) and approved; the requester gets the survey as on any close.
    /// At most `BATCH` tickets a call. Returns how many were closed.
    pub async fn auto_close(&self, now: DateTime<Utc>) -> Result<u64> {
        let days = self.settings().await?.auto_close_days;
        if days == 0 {
            return Ok(0);
        }
        let catalog = self.catalog().await?;
        let resolved = catalog.statuses_in(&[StateCategory::Resolved]);
        let cutoff = now - chrono::TimeDelta::days(i64::from(days));
        let mut closed = 0;
        for id in self.store.auto_close_candidates(&resolved, cutoff, BATCH).await? {
            let Some(t) = self.store.ticket_by_id(id).await? else { continue };
            let result = self
                .change(&Principal::System, &t.number, |t, _, at| {
                    if !automation::auto_close_due(t, days, now) {
                        return Err(DomainError::NoChange.into());
                    }
                    let policy = self.policy_for(&catalog, t.department_id);
                    let events = t.transition(Status::CLOSED, &Author::System, at, &policy)?;
                    let jobs = notice::change_notices(&events, t, &Author::System);
                    Ok(Change { events, jobs, ..Default::default() })
                })
                .await;
            match result {
                Ok(_) => closed += 1,
                Err(e) if skipped(&e, &t.number) => {}
                Err(e) => return Err(e),
            }
        }
        if closed > 0 {
            tracing::info!(closed, "resolved tickets closed automatically");
        }
        Ok(closed)
    }

    /// Reminds, once per pending period, the requesters of tickets that wait on them and have
    /// not changed for the setting's `reminder_days` (0: off): one mail each and an internal
    /// `reminder_sent` event. At most `BATCH` a call. Returns how many were reminded.
    pub async fn remind_pending(&self, now: DateTime<Utc>) -> Result<u64> {
        let days = self.settings().await?.reminder_days;
        if days == 0 {
            return Ok(0);
        }
        let catalog = self.catalog().await?;
        let awaiting: Vec<Status> = catalog.statuses.iter().map(|s| s.status.clone()).filter(Status::awaits_requester).collect();
        let cutoff = now - chrono::TimeDelta::days(i64::from(days));
        let mut reminded = 0;
        for id in self.store.reminder_candidates(&awaiting, cutoff, BATCH).await? {
            let Some(t) = self.store.ticket_by_id(id).await? else { continue };
            let result = self
                .change(&Principal::System, &t.number, |t, _, at| {
                    // `reminded` is false here: the query left reminded tickets out, and a
                    // reminder saved meanwhile changed the ticket (its update time fails this).
                    if !automation::reminder_due(t, days, false, now) {
                        return Err(DomainError::NoChange.into());
                    }
                    t.updated_at = at;
                    let event = TicketEvent::new(EventKind::ReminderSent, &Author::System, at, None, Some(days.to_string()));
                    let jobs = vec![TicketNotice::Reminder];
                    Ok(Change { events: vec![event], jobs, reminded: true, ..Default::default() })
                })
                .await;
            match result {
                Ok(_) => reminded += 1,
                Err(e) if skipped(&e, &t.number) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(reminded)
    }

    /// Applies the active time rules: each fires at most once per ticket (the firing's key,
    /// written in the ticket change's transaction, holds even with several nodes), on at most
    /// `BATCH` tickets per rule and call. Returns how many firings were recorded.
    pub async fn run_time_rules(&self, now: DateTime<Utc>) -> Result<u64> {
        let rules: Vec<TimeRule> = self.store.time_rules().await?.into_iter().filter(|r| r.active).collect();
        if rules.is_empty() {
            return Ok(0);
        }
        let catalog = self.catalog().await?;
        let active = catalog.statuses_in(&StateCategory::active());
        let awaiting: Vec<Status> = active.iter().filter(|s| s.awaits_requester()).cloned().collect();
        let mut fired = 0;
        for rule in &rules {
            if rule.action == TimeAction::Transfer && rule.target_department_id.and_then(|d| catalog.department(d)).is_none() {
                tracing::warn!(rule = %rule.name, "time rule transfers to a department that no longer exists: skipped");
                continue;
            }
            let statuses = if rule.condition == automation::TimeCondition::PendingRequester { &awaiting } else { &active };
            for id in self.store.time_rule_candidates(rule, statuses, now, BATCH).await? {
                let Some(t) = self.store.ticket_by_id(id).await? else { continue };
                match self.fire_time_rule(rule, &t.number, now).await {
                    Ok(t) => {
                        fired += 1;
                        if rule.action == TimeAction::Transfer {
                            self.assign_after(t).await;
                        }
                    }
                    Err(e) if skipped(&e, &t.number) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if fired > 0 {
            tracing::info!(fired, "time rules fired");
        }
        Ok(fired)
    }

    async fn fire_time_rule(&self, rule: &TimeRule, number: &TicketNumber, now: DateTime<Utc>) -> Result<Ticket> {
        let catalog = self.catalog().await?;
        let (t, _) = self
            .change(&Principal::System, number, |t, _, at| {
                if !rule.matches(t, now) {
                    return Err(DomainError::NoChange.into());
                }
                let by = Author::System;
                t.updated_at = at;
                let mut events = vec![TicketEvent::new(EventKind::TimeRuleFired, &by, at, None, Some(rule.name.clone()))];
                let mut jobs: Vec<NewJob> = Vec::new();
                match rule.action {
                    TimeAction::NotifySupervisors | TimeAction::NotifyManager | TimeAction::NotifyOwner => {
                        if let Some(to) = rule.action.alert_to() {
                            jobs.push(TicketNotice::Alert { to, reason: AlertReason::TimeRule { rule_id: rule.id } });
                        }
                    }
                    TimeAction::RaisePriority => {
                        // At the top already: the firing is still recorded (and not tried again).
                        if let Some(p) = automation::raised(t.priority) {
                            let policy = self.policy_for(&catalog, t.department_id);
                            let update = TicketUpdate { priority: Some(p), ..Default::default() };
                            events.extend(t.apply(update, &by, at, &policy, &self.priority_matrix(&catalog))?);
                        }
                    }
                    TimeAction::Transfer => {
                        let to = rule.target_department_id.ok_or(DomainError::invalid("target_department_id", Reason::Required))?;
                        if to != t.department_id {
                            let moved = t.transfer(to, &rule.name, false, &by, at)?;
                            jobs.extend(notice::change_notices(&moved, t, &by));
                            events.extend(moved);
                        }
                    }
                }
                Ok(Change { events, jobs, time_rule: Some(rule.id), ..Default::default() })
            })
            .await?;
        Ok(t)
    }

    /// Every time rule, retired ones too (administrators only).
    pub async fn time_rules(&self, by: &Principal) -> Result<Vec<TimeRule>> {
        Self::admin_actor(by)?;
        Ok(self.store.time_rules().await?)
    }

    pub async fn time_rule(&self, by: &Principal, id: i64) -> Result<TimeRule> {
        self.time_rules(by).await?.into_iter().find(|r| r.id == id).ok_or(ServiceError::NotFound("time rule"))
    }

    /// Creates (`id: None`) or replaces a time rule (retiring is saving it inactive), audited.
    pub async fn save_time_rule(&self, by: &Principal, id: Option<i64>, input: TimeRuleInput) -> Result<TimeRule> {
        Self::admin_actor(by)?;
        let rules = self.store.time_rules().await?;
        let before = match id {
            Some(id) => Some(rules.iter().find(|r| r.id == id).cloned().ok_or(ServiceError::NotFound("time rule"))?),
            None => None,
        };
        let s = input.validate()?;
        let catalog = self.catalog().await?;
        for (field, d) in [("department_id", s.department_id), ("target_department_id", s.target_department_id)] {
            if d.is_some_and(|d| catalog.department(d).is_none()) {
                return Err(DomainError::invalid(field, Reason::NotFound).into());
            }
        }
        let folded = s.name.to_lowercase();
        if rules.iter().any(|r| Some(r.id) != id && r.name.to_lowercase() == folded) {
            return Err(DomainError::invalid("name", "another time rule has this name").into());
        }
        let now = tikal_store::now();
        let after = TimeRule {
            id: id.unwrap_or_default(),
            name: s.name.clone(),
            department_id: s.department_id,
            condition: s.condition,
            minutes: s.minutes,
            action: s.action,
            target_department_id: s.target_department_id,
            active: s.active,
            updated_at: now,
        };
        let action = AuditAction::of_save(before.as_ref().map(|b| b.active), s.active);
        let audit = Self::audit_entry(
            by,
            action,
            AdminEntity::TimeRule,
            id.unwrap_or_default(),
            s.name.clone(),
            before.as_ref().and_then(rule_doc),
            rule_doc(&after),
        )?;
        Ok(self.store.save_time_rule(id, s, now, audit).await?)
    }

    /// Retires (inactive: it fires no more) or restores a rule.
    pub async fn set_time_rule_active(&self, by: &Principal, id: i64, active: bool) -> Result<TimeRule> {
        let r = self.time_rule(by, id).await?;
        if r.active == active {
            return Ok(r);
        }
        let input = TimeRuleInput {
            name: r.name,
            department_id: r.department_id,
            condition: r.condition.as_str().into(),
            minutes: r.minutes.to_string(),
            action: r.action.as_str().into(),
            target_department_id: r.target_department_id,
            active,
        };
        self.save_time_rule(by, Some(id), input).await
    }
}
