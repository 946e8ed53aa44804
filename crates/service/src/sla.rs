//! The SLA clock wired to tickets: which plan holds a ticket, its due times when it opens and
//! after every change that moves them, and the sweep that fires the escalations that came due.
//!
//! The plan is the help topic's, else the department's, else the configuration's targets
//! around the clock with no escalation. Due times are counted from the opening in the plan's
//! business hours, pauses left out (`tikal_core::sla_clock`); each ticket stores when the sweep
//! next needs it (`sla_next_at`), so a sweep reads only the tickets whose threshold came.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use tikal_core::escalation::{DueFiring, Firing, Threshold, Watch};
use tikal_core::job::{AlertReason, AlertTo, TicketNotice};
use tikal_core::notice;
use tikal_core::sla_clock::{BusinessTime, DueTimes, SlaState, SlaTerms, TicketTimes, pauses};
use tikal_core::sla_plan::{EscalationAction, SlaPlan};
use tikal_core::*;
use tikal_store::{StoreError, TicketChange as Change};

use crate::tickets::STALE_RETRIES;
use crate::{Catalog, Desk, Result};

/// Tickets read per query of a sweep.
pub const SWEEP_BATCH: u64 = 200;
/// Tickets of a batch swept at once.
const SWEEP_PARALLEL: usize = 8;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Tickets looked at.
    pub tickets: u64,
    /// Thresholds fired (with their actions).
    pub fired: u64,
    /// Tickets that could not be swept (logged; tried again in five minutes).
    pub failed: u64,
    /// The first failure, for the schedule's page.
    pub first_error: Option<String>,
    /// The budget ran out with tickets still due: the next run goes on at once.
    pub more: bool,
}

/// The clock of one ticket: its plan and the business time the plan counts in.
struct Clock {
    plan: SlaPlan,
    business: BusinessTime,
}

impl Clock {
    fn watch(&self, priority: Priority) -> Watch<'_> {
        Watch { terms: SlaTerms::of_plan(&self.plan, priority, &self.business), warn_percent: self.plan.escalation.warn_percent }
    }
}

fn times<'a>(t: &Ticket, pauses: &'a [tikal_core::sla_clock::Pause]) -> TicketTimes<'a> {
    TicketTimes { opened_at: t.created_at, pauses, first_response_at: t.first_response_at, resolved_at: t.resolved_at }
}

/// Whether a change moved what the clock reads.
fn moves_the_clock(before: &Ticket, after: &Ticket) -> bool {
    before.priority != after.priority
        || before.department_id != after.department_id
        || before.help_topic_id != after.help_topic_id
        || before.status != after.status
        || before.first_response_at != after.first_response_at
        || before.resolved_at != after.resolved_at
}

impl Desk {
    /// The plan holding tickets of this help topic and department.
    fn clock_for(&self, catalog: &Catalog, topic: Option<HelpTopicId>, department: DepartmentId) -> Clock {
        let named = topic
            .and_then(|id| catalog.topic(id))
            .and_then(|t| t.sla_plan_id)
            .or_else(|| catalog.department(department).and_then(|d| d.sla_plan_id));
        let plan = named.and_then(|id| catalog.sla_plans.iter().find(|p| p.id == id)).cloned().unwrap_or_else(|| SlaPlan {
            id: SlaPlanId(0),
            name: String::new(),
            targets: self.config.sla.by_priority,
            calendar_id: None,
            pause_when_pending: true,
            active: true,
            escalation: Default::default(),
        });
        let calendar = plan.calendar_id.and_then(|id| catalog.calendars.iter().find(|c| c.id == id)).cloned();
        Clock { business: BusinessTime::new(calendar), plan }
    }

    /// Sets a new ticket's due times and first check from its plan, once routing rules chose
    /// its topic, department and priority.
    pub(crate) fn clock_opening(&self, catalog: &Catalog, o: &mut Opening) {
        let clock = self.clock_for(catalog, o.help_topic_id, o.department_id);
        let t = TicketTimes { opened_at: o.at, pauses: &[], first_response_at: None, resolved_at: None };
        match clock.watch(o.priority).schedule(&t, None, &[]) {
            Ok(s) => {
                o.response_due_at = s.due.response;
                o.resolution_due_at = s.due.resolution;
                o.sla_next_at = s.next_check;
            }
            Err(e) => {
                tracing::warn!(error = %e, plan = %clock.plan.name, "no due time: the calendar has too little working time");
                (o.response_due_at, o.resolution_due_at, o.sla_next_at) = (None, None, None);
            }
        }
    }

    /// After a change to `t` (it was `before`), counts its due times again if the change moved
    /// what the clock reads; `now` is the change's instant.
    pub(crate) async fn clock_change(&self, before: &Ticket, t: &mut Ticket, now: DateTime<Utc>) -> Result<()> {
        if !moves_the_clock(before, t) {
            return Ok(());
        }
        let mut history = self.store.status_history(before).await?;
        if before.status != t.status {
            history.push((now, t.status.clone()));
        }
        let fired = self.store.sla_firings(t.id).await?;
        let catalog = self.catalog().await?;
        self.reclock(&catalog, t, &history, &fired);
        Ok(())
    }

    /// Due times and next check of `t` from its whole status history.
    fn reclock(&self, catalog: &Catalog, t: &mut Ticket, history: &[(DateTime<Utc>, Status)], fired: &[Firing]) {
        let clock = self.clock_for(catalog, t.help_topic_id, t.department_id);
        let stops = pauses(history);
        let previous = DueTimes { response: t.response_due_at, resolution: t.resolution_due_at };
        match clock.watch(t.priority).schedule(&times(t, &stops), Some(previous), fired) {
            Ok(s) => {
                t.response_due_at = s.due.response;
                t.resolution_due_at = s.due.resolution;
                t.sla_next_at = s.next_check.filter(|_| t.status.is_active());
            }
            Err(e) => {
                tracing::warn!(ticket = %t.number, error = %e, "no due time: the calendar has too little working time");
                t.sla_next_at = None;
            }
        }
        if t.resolved_at.is_some() {
            t.overdue = false;
        }
    }

    /// Where both targets of `t` stand at `now` (the ticket desk shows it).
    pub async fn sla_state(&self, t: &Ticket, now: DateTime<Utc>) -> Result<Option<SlaState>> {
        let history = self.store.status_history(t).await?;
        let catalog = self.catalog().await?;
        let clock = self.clock_for(&catalog, t.help_topic_id, t.department_id);
        let stops = pauses(&history);
        Ok(clock.watch(t.priority).terms.state(&times(t, &stops), now).ok())
    }

    /// Fires every escalation due at `now`, ticket by ticket, until none is left or `budget`
    /// is spent. Safe on several nodes at once: a threshold is recorded in the same
    /// transaction as its actions, under a key that refuses it a second time.
    pub async fn sla_sweep(&self, now: DateTime<Utc>, budget: Duration) -> Result<SweepReport> {
        let started = Instant::now();
        let mut report = SweepReport::default();
        let mut last: Vec<TicketId> = Vec::new();
        loop {
            let ids = self.store.sla_due_tickets(now, SWEEP_BATCH).await?;
            // The same tickets twice: they keep failing; the next run tries them again.
            if ids.is_empty() || ids == last {
                break;
            }
            // A few tickets at once: each is its own transaction, and concurrent commits share
            // the disk's flushes (SQLite's writer commits them as a group; PostgreSQL overlaps).
            let results: Vec<(TicketId, Result<u64>)> = futures::stream::iter(ids.iter().copied())
                .map(|id| async move { (id, self.sweep_ticket(id, now).await) })
                .buffer_unordered(SWEEP_PARALLEL)
                .collect()
                .await;
            for (id, result) in results {
                let id = &id;
                report.tickets += 1;
                match result {
                    Ok(n) => report.fired += n,
                    Err(e) => {
                        tracing::error!(ticket = id.get(), error = %e, "SLA sweep: ticket left for the next run");
                        report.failed += 1;
                        report.first_error.get_or_insert_with(|| format!("ticket {}: {e}", id.get()));
                        // Out of this run's way; looked at again in five minutes.
                        let later = now + TimeDelta::minutes(5);
                        if let Ok(Some(t)) = self.store.ticket_by_id(*id).await {
                            let _ = self.store.set_sla_next(*id, t.version, Some(later)).await;
                        }
                    }
                }
            }
            if (ids.len() as u64) < SWEEP_BATCH {
                break;
            }
            if started.elapsed() > budget {
                report.more = true;
                break;
            }
            last = ids;
        }
        Ok(report)
    }

    /// Fires what is due on one ticket and stores its next check; the number of thresholds
    /// that acted.
    async fn sweep_ticket(&self, id: TicketId, now: DateTime<Utc>) -> Result<u64> {
        for _ in 0..STALE_RETRIES {
            let Some(mut t) = self.store.ticket_by_id(id).await? else { return Ok(0) };
            let catalog = self.catalog().await?;
            let history = self.store.status_history(&t).await?;
            let mut fired = self.store.sla_firings(id).await?;
            let clock = self.clock_for(&catalog, t.help_topic_id, t.department_id);
            let stops = pauses(&history);
            let due = match t.status.is_active() {
                true => clock.watch(t.priority).due(&times(&t, &stops), &fired, now).unwrap_or_default(),
                false => Vec::new(),
            };
            if due.is_empty() {
                let before = t.sla_next_at;
                self.reclock(&catalog, &mut t, &history, &fired);
                // Never again at once: whatever is "due" and did not fire waits a minute.
                let next = t.sla_next_at.map(|n| if n <= now { now + TimeDelta::minutes(1) } else { n });
                if next != before {
                    self.store.set_sla_next(id, t.version, next).await?;
                }
                return Ok(0);
            }
            // `now` is the instant the clock judges by (a test may move it); the change itself
            // happens at the real time, as every other change and the mail it queues.
            let at = tikal_store::now().max(t.updated_at);
            let department = t.department_id;
            let (events, jobs) = self.sla_actions(&catalog, &clock.plan, &mut t, &due, at)?;
            fired.extend(due.iter().map(|d| d.firing));
            // Escalations never change the status: the history stands.
            t.updated_at = at;
            self.reclock(&catalog, &mut t, &history, &fired);
            let acted = due.iter().filter(|d| d.act).count() as u64;
            let change =
                Change { events, actor_name: "Tikal".into(), jobs, firings: due.iter().map(|d| d.firing).collect(), ..Default::default() };
            match self.store.save_ticket_change(&mut t, &change).await {
                Ok(_) => {
                    // Each sweep logs one line of what it did (`jobs::scheduler`); a line per
                    // ticket flooded the log when many broke their clock at once.
                    tracing::debug!(ticket = %t.number, fired = due.len(), "SLA escalation");
                    // Transferred by the plan: the new department's automatic assignment.
                    if t.department_id != department {
                        self.auto_assign(&t.number).await?;
                    }
                    return Ok(acted);
                }
                // Someone changed the ticket, or another node fired it: read it again.
                Err(StoreError::Stale | StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(crate::ServiceError::Conflict("the ticket kept changing during the SLA sweep".into()))
    }

    /// Applies the plan's actions of each firing to `t`: the events to record (one per
    /// firing, with the actions it took) and the mail to queue.
    fn sla_actions(
        &self,
        catalog: &Catalog,
        plan: &SlaPlan,
        t: &mut Ticket,
        due: &[DueFiring],
        now: DateTime<Utc>,
    ) -> Result<(Vec<TicketEvent>, Vec<TicketNotice>)> {
        let system = Author::System;
        let mut events = Vec::new();
        let mut jobs = Vec::new();
        for d in due {
            let Firing { target, threshold } = d.firing;
            let actions: &[EscalationAction] = match (d.act, threshold) {
                (false, _) => &[],
                (true, Threshold::Warning) => &plan.escalation.on_warning,
                (true, Threshold::Breach) => &plan.escalation.on_breach,
            };
            let mut to = AlertTo::default();
            let mut done: Vec<&str> = Vec::new();
            let mut changes = Vec::new();
            for a in actions {
                match a {
                    EscalationAction::NotifyOwner => to.owner = true,
                    EscalationAction::NotifyResponsible => to.responsible = true,
                    EscalationAction::NotifyManager => to.manager = true,
                    EscalationAction::NotifySupervisors => to.supervisors = true,
                    EscalationAction::RaisePriority => {
                        let Some(up) = Priority::try_from(i64::from(t.priority.level()) + 1).ok() else { continue };
                        let policy = self.policy_for(catalog, t.department_id);
                        let update = TicketUpdate { priority: Some(up), ..Default::default() };
                        changes.extend(t.apply(update, &system, now, &policy, &self.priority_matrix(catalog))?);
                    }
                    EscalationAction::Transfer => {
                        let next = self.rules_of(catalog, t.department_id).next_level;
                        let Some(dest) = plan.escalation.transfer_to.or(next).filter(|d| *d != t.department_id) else { continue };
                        let reason = format!("SLA: {} {}", target.as_str(), threshold.as_str());
                        changes.extend(t.transfer(dest, &reason, Some(dest) == next, &system, now)?);
                    }
                    EscalationAction::MarkOverdue => t.overdue = true,
                }
                done.push(a.as_str());
            }
            let kind = match threshold {
                Threshold::Warning => EventKind::SlaWarning,
                Threshold::Breach => EventKind::SlaBreached,
            };
            let event = TicketEvent::new(kind, &system, now, None, Some(target.as_str().to_string()));
            events.push(if d.act { event.with_reason(done.join(",")) } else { event.with_reason("skipped") });
            // An owner or responsible the ticket does not have is nobody to tell.
            to.owner &= t.owner_id.is_some();
            to.responsible &= t.responsible_id.is_some();
            if !to.is_empty() {
                let reason = match threshold {
                    Threshold::Warning => AlertReason::SlaWarning { target },
                    Threshold::Breach => AlertReason::SlaBreach { target },
                };
                jobs.push(TicketNotice::Alert { to, reason });
            }
            jobs.extend(notice::change_notices(&changes, t, &system));
            events.extend(changes);
        }
        Ok((events, jobs))
    }
}
