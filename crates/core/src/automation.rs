//! Automation that acts on tickets without anyone asking: automatic assignment of a department's
//! new tickets, and time rules ("unassigned for 30 minutes -> tell the supervisors"). Only the
//! choices live here; the service reads the facts and saves the changes.

use chrono::{DateTime, TimeDelta, Utc};

use crate::admin::AutoAssign;
use crate::error::{DomainError, Reason};
use crate::job::AlertTo;
use crate::{AgentId, DepartmentId, Priority, Ticket, string_enum};

/// An agent who may get a department's tickets automatically, with how many active tickets
/// they own (least-open mode only reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub agent: AgentId,
    pub open: u64,
}

/// The agent a department's mode picks among `candidates` (those who may reply there and are
/// not away), or `None` (mode off, or nobody).
/// Round robin: the next agent id after `cursor` (the last one picked), wrapping around.
/// Least open: the fewest active tickets owned, ties to the lowest id.
pub fn pick_agent(mode: AutoAssign, candidates: &[Candidate], cursor: Option<AgentId>) -> Option<AgentId> {
    match mode {
        AutoAssign::Off => None,
        AutoAssign::RoundRobin => {
            let mut ids: Vec<AgentId> = candidates.iter().map(|c| c.agent).collect();
            ids.sort();
            ids.dedup();
            let after = cursor.and_then(|c| ids.iter().copied().find(|a| *a > c));
            after.or_else(|| ids.first().copied())
        }
        AutoAssign::LeastOpen => candidates.iter().min_by_key(|c| (c.open, c.agent)).map(|c| c.agent),
    }
}

string_enum! {
    /// What a time rule waits for, measured in minutes.
    pub enum TimeCondition {
        /// Nobody owns the ticket this long after it was opened.
        Unassigned => "unassigned",
        /// No agent answered the requester this long after it was opened.
        NoFirstResponse => "no_first_response",
        /// The ticket waits on the requester and has not changed for this long.
        PendingRequester => "pending_requester",
        /// The ticket has not changed for this long.
        NotUpdated => "not_updated",
    }
}

string_enum! {
    /// What a time rule does to a ticket it matches (once per ticket).
    pub enum TimeAction {
        NotifySupervisors => "notify_supervisors",
        NotifyManager => "notify_manager",
        NotifyOwner => "notify_owner",
        /// One level up (very high stays).
        RaisePriority => "raise_priority",
        /// To the rule's target department.
        Transfer => "transfer",
    }
}

impl TimeAction {
    /// Who the action's alert goes to; `None` for actions that change the ticket instead.
    pub fn alert_to(self) -> Option<AlertTo> {
        let none = AlertTo::default();
        match self {
            TimeAction::NotifySupervisors => Some(AlertTo { supervisors: true, ..none }),
            TimeAction::NotifyManager => Some(AlertTo { manager: true, ..none }),
            TimeAction::NotifyOwner => Some(AlertTo { owner: true, ..none }),
            TimeAction::RaisePriority | TimeAction::Transfer => None,
        }
    }
}

/// The next priority up, `None` at the top.
pub fn raised(p: Priority) -> Option<Priority> {
    Priority::try_from(p.level() + 1).ok()
}

/// Whether a resolved ticket closes by itself at `now`: resolved more than `days` ago (0: never),
/// its resolution approved (an approval pending is a supervisor's to give, not the clock's).
/// A requester who answers in the meantime reopens it, so a ticket still resolved had none.
pub fn auto_close_due(t: &Ticket, days: u32, now: DateTime<Utc>) -> bool {
    days > 0
        && t.status.category() == crate::StateCategory::Resolved
        && t.resolution_approved
        && t.resolved_at.is_some_and(|r| r <= now - TimeDelta::days(i64::from(days)))
}

/// Whether the requester of `t` is reminded at `now`: it waits on them, unchanged for more
/// than `days` (0: never), and they were not reminded since it last changed status
/// (`reminded`: the store clears it on every status change).
pub fn reminder_due(t: &Ticket, days: u32, reminded: bool, now: DateTime<Utc>) -> bool {
    days > 0 && !reminded && t.status.awaits_requester() && t.updated_at <= now - TimeDelta::days(i64::from(days))
}

/// The longest wait a rule may have: 90 days.
pub const MAX_RULE_MINUTES: u32 = 90 * 24 * 60;
const MAX_RULE_NAME: usize = 120;

/// A saved time rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeRule {
    pub id: i64,
    pub name: String,
    /// `None`: tickets of every department.
    pub department_id: Option<DepartmentId>,
    pub condition: TimeCondition,
    pub minutes: u32,
    pub action: TimeAction,
    pub target_department_id: Option<DepartmentId>,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

impl TimeRule {
    /// The instant before which the condition's clock must have started for the rule to match
    /// at `now`.
    pub fn cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - TimeDelta::minutes(i64::from(self.minutes))
    }

    /// Whether `t` matches at `now` (the store's query selects the same tickets; this is the
    /// check again on the ticket as its change reads it).
    pub fn matches(&self, t: &Ticket, now: DateTime<Utc>) -> bool {
        let cutoff = self.cutoff(now);
        if !t.status.is_active() || self.department_id.is_some_and(|d| d != t.department_id) {
            return false;
        }
        match self.condition {
            TimeCondition::Unassigned => t.owner_id.is_none() && t.created_at <= cutoff,
            TimeCondition::NoFirstResponse => t.first_response_at.is_none() && t.created_at <= cutoff,
            TimeCondition::PendingRequester => t.status.awaits_requester() && t.updated_at <= cutoff,
            TimeCondition::NotUpdated => t.updated_at <= cutoff,
        }
    }
}

/// A time rule as typed in a form or sent by a script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeRuleInput {
    pub name: String,
    pub department_id: Option<DepartmentId>,
    pub condition: String,
    pub minutes: String,
    pub action: String,
    pub target_department_id: Option<DepartmentId>,
    pub active: bool,
}

/// A time rule that passed validation (the departments' existence is the service's check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeRuleSettings {
    pub name: String,
    pub department_id: Option<DepartmentId>,
    pub condition: TimeCondition,
    pub minutes: u32,
    pub action: TimeAction,
    pub target_department_id: Option<DepartmentId>,
    pub active: bool,
}

impl TimeRuleInput {
    pub fn validate(self) -> Result<TimeRuleSettings, DomainError> {
        let name = self.name.trim().to_string();
        if name.is_empty() {
            return Err(DomainError::invalid("name", Reason::Required));
        }
        if name.chars().count() > MAX_RULE_NAME || name.chars().any(char::is_control) {
            return Err(DomainError::invalid("name", "is too long or has control characters"));
        }
        let condition =
            self.condition.trim().parse::<TimeCondition>().map_err(|_| DomainError::invalid("condition", Reason::NotAnOption))?;
        let action = self.action.trim().parse::<TimeAction>().map_err(|_| DomainError::invalid("action", Reason::NotAnOption))?;
        let minutes: i64 = self.minutes.trim().parse().map_err(|_| DomainError::invalid("minutes", Reason::NotANumber))?;
        let max = i64::from(MAX_RULE_MINUTES);
        if !(1..=max).contains(&minutes) {
            return Err(DomainError::invalid("minutes", Reason::OutOfRange { min: 1, max }));
        }
        let minutes = u32::try_from(minutes).map_err(|_| DomainError::invalid("minutes", Reason::NotANumber))?;
        let target_department_id = match action {
            TimeAction::Transfer => {
                let target = self.target_department_id.ok_or(DomainError::invalid("target_department_id", Reason::Required))?;
                if Some(target) == self.department_id {
                    return Err(DomainError::invalid("target_department_id", "must differ from the rule's department"));
                }
                Some(target)
            }
            // A target only means something to a transfer.
            _ => None,
        };
        Ok(TimeRuleSettings {
            name,
            department_id: self.department_id,
            condition,
            minutes,
            action,
            target_department_id,
            active: self.active,
        })
    }
}

#[cfg(test)]
mod tests;
