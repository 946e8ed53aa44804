//! The ticket and the pure functions that change it. Each change returns the events it causes;
//! the store commits both in one transaction.

use chrono::{DateTime, Duration, Utc};

use crate::error::DomainError;
use crate::fields::FieldValues;
use crate::ids::*;
use crate::number::TicketNumber;
use crate::priority::{Impact, Priority, PriorityMatrix, Urgency};
use crate::status::{ResolutionPolicy, StateCategory, Status};
use crate::string_enum;
use crate::thread::{Author, EventKind, TicketEvent};
use crate::values::Subject;

string_enum! {
    /// How the report reached the desk.
    pub enum Channel {
        Web => "web",
        Email => "email",
        Phone => "phone",
        Whatsapp => "whatsapp",
        WalkIn => "walk_in",
        Api => "api",
    }
}

string_enum! {
    pub enum TicketType {
        Incident => "incident",
        ServiceRequest => "service_request",
        Problem => "problem",
        MajorIncident => "major_incident",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: Subject,
    pub requester_id: RequesterId,
    pub channel: Channel,
    pub help_topic_id: Option<HelpTopicId>,
    pub kind: TicketType,
    pub department_id: DepartmentId,
    pub priority: Priority,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    pub status: Status,
    pub owner_id: Option<AgentId>,
    pub responsible_id: Option<AgentId>,
    pub team_id: Option<TeamId>,
    pub custom_fields: FieldValues,
    pub time_estimate_minutes: Option<u32>,
    pub time_spent_minutes: u32,
    pub response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// Set while resolved: whether the gates of the resolution policy are passed.
    pub resolution_approved: bool,
    pub resolution_confirmed: bool,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The next instant the SLA sweeper must look at the ticket (a warning or a due time);
    /// `None` when nothing is left to fire as it stands (`crate::escalation`).
    pub sla_next_at: Option<DateTime<Utc>>,
    /// Marked overdue by an SLA escalation; cleared when the ticket is resolved.
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: 0 when opened, one more on every saved change. A save
    /// based on an older version is refused (`updated_at` alone can repeat).
    pub version: u64,
}

/// A requested change of ticket properties; `None` leaves a property alone. For the optional
/// people, `Some(None)` clears them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketUpdate {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub impact_urgency: Option<(Impact, Urgency)>,
    pub department_id: Option<DepartmentId>,
    pub owner_id: Option<Option<AgentId>>,
    pub responsible_id: Option<Option<AgentId>>,
    pub team_id: Option<Option<TeamId>>,
    pub subject: Option<Subject>,
    pub kind: Option<TicketType>,
    pub help_topic_id: Option<Option<HelpTopicId>>,
    pub time_estimate_minutes: Option<Option<u32>>,
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|x| x.to_string())
}

impl Ticket {
    /// Moves the ticket to `to`, enforcing the status graph and the resolution policy. Whether
    /// `to` may still be chosen (not retired) is the caller's check: a retired status stays on
    /// the tickets that have it.
    pub fn transition(
        &mut self,
        to: Status,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
    ) -> Result<Vec<TicketEvent>, DomainError> {
        use StateCategory as C;
        if self.status == to {
            return Err(DomainError::NoChange);
        }
        if !self.status.can_move_to(&to) {
            return Err(DomainError::InvalidTransition { from: self.status.clone(), to });
        }
        let mut events = Vec::new();
        match (self.status.category(), to.category()) {
            (from, C::Closed) if from != C::Resolved && policy.approval_required => {
                return Err(DomainError::ApprovalRequired);
            }
            (C::Resolved, C::Closed) => {
                if !self.resolution_approved {
                    return Err(DomainError::ApprovalRequired);
                }
                // Only the system (auto-close after the confirmation window) may close without
                // the requester's confirmation when the policy asks for it.
                if !self.resolution_confirmed && *by != Author::System {
                    return Err(DomainError::ConfirmationRequired);
                }
            }
            (C::Closed, _) => {
                events.push(TicketEvent::new(EventKind::Reopened, by, now, None, None));
            }
            _ => {}
        }
        self.set_status(to, by, now, policy, &mut events);
        Ok(events)
    }

    pub(crate) fn set_status(
        &mut self,
        to: Status,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
        events: &mut Vec<TicketEvent>,
    ) {
        events.push(TicketEvent::new(EventKind::StatusChanged, by, now, Some(self.status.to_string()), Some(to.to_string())));
        self.updated_at = now;
        match to.category() {
            StateCategory::Resolved => {
                self.resolved_at = Some(now);
                self.resolution_approved = !policy.approval_required;
                self.resolution_confirmed = !policy.confirmation_required;
            }
            StateCategory::Closed => {
                self.closed_at = Some(now);
                if self.resolved_at.is_none() {
                    self.resolved_at = Some(now);
                }
            }
            _ => {
                self.resolved_at = None;
                self.closed_at = None;
                self.resolution_approved = false;
                self.resolution_confirmed = false;
            }
        }
        self.status = to;
    }

    fn require_resolved(&self) -> Result<(), DomainError> {
        if self.status.category() == StateCategory::Resolved { Ok(()) } else { Err(DomainError::NotResolved) }
    }

    /// A supervisor approves the resolution; the ticket closes once the requester's
    /// confirmation (if required) is in too.
    pub fn approve(&mut self, by: &Author, now: DateTime<Utc>, policy: &ResolutionPolicy) -> Result<Vec<TicketEvent>, DomainError> {
        self.require_resolved()?;
        if self.resolution_approved {
            return Err(DomainError::AlreadyApproved);
        }
        self.resolution_approved = true;
        let mut events = vec![TicketEvent::new(EventKind::ResolutionApproved, by, now, None, None)];
        if self.resolution_confirmed {
            self.set_status(Status::CLOSED, by, now, policy, &mut events);
        }
        Ok(events)
    }

    /// A supervisor returns the resolution to the agent with a reason: the ticket reopens.
    pub fn return_resolution(
        &mut self,
        reason: &str,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
    ) -> Result<Vec<TicketEvent>, DomainError> {
        self.require_resolved()?;
        let reason = crate::values::parse_body(reason).map_err(|_| DomainError::invalid("reason", "is required"))?;
        let mut events = vec![TicketEvent::new(EventKind::ResolutionReturned, by, now, None, None).with_reason(reason)];
        self.set_status(Status::OPEN, by, now, policy, &mut events);
        Ok(events)
    }

    /// The requester confirms the solution ("Sí, está resuelto").
    pub fn confirm_resolution(
        &mut self,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
    ) -> Result<Vec<TicketEvent>, DomainError> {
        self.require_resolved()?;
        self.resolution_confirmed = true;
        let mut events = vec![TicketEvent::new(EventKind::ResolutionConfirmed, by, now, None, None)];
        if self.resolution_approved {
            self.set_status(Status::CLOSED, by, now, policy, &mut events);
        }
        Ok(events)
    }

    /// The requester says it is not solved: the ticket reopens with their comment.
    pub fn reject_resolution(
        &mut self,
        comment: &str,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
    ) -> Result<Vec<TicketEvent>, DomainError> {
        self.require_resolved()?;
        let comment = crate::values::parse_body(comment).map_err(|_| DomainError::invalid("comment", "is required"))?;
        let mut events = vec![TicketEvent::new(EventKind::ResolutionRejected, by, now, None, None).with_reason(comment)];
        self.set_status(Status::OPEN, by, now, policy, &mut events);
        Ok(events)
    }

    /// Whether a requester's reply at `now` reopens this closed ticket, rather than opening a
    /// new linked one.
    pub fn reopens_on_reply(&self, now: DateTime<Utc>, policy: &ResolutionPolicy) -> bool {
        match (self.status.category(), self.closed_at) {
            (StateCategory::Closed, Some(closed)) => now - closed <= Duration::days(i64::from(policy.reopen_window_days)),
            (StateCategory::Closed, None) => false,
            _ => true,
        }
    }

    /// Applies a property update. All-or-nothing: on error the ticket is left unchanged.
    pub fn apply(
        &mut self,
        update: TicketUpdate,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
        matrix: &PriorityMatrix,
    ) -> Result<Vec<TicketEvent>, DomainError> {
        let mut next = self.clone();
        let mut events = Vec::new();
        let mut push = |kind, before: Option<String>, after: Option<String>| {
            if before != after {
                events.push(TicketEvent::new(kind, by, now, before, after));
            }
        };
        if let Some(subject) = update.subject {
            push(EventKind::SubjectChanged, Some(next.subject.as_str().to_string()), Some(subject.as_str().to_string()));
            next.subject = subject;
        }
        if let Some(kind) = update.kind {
            push(EventKind::TypeChanged, Some(next.kind.to_string()), Some(kind.to_string()));
            next.kind = kind;
        }
        if let Some(topic) = update.help_topic_id {
            push(EventKind::HelpTopicChanged, opt(&next.help_topic_id), opt(&topic));
            next.help_topic_id = topic;
        }
        let new_priority = match (update.priority, update.impact_urgency) {
            (Some(_), Some(_)) => return Err(DomainError::invalid("priority", "give a priority or impact and urgency, not both")),
            (Some(p), None) => Some(p),
            (None, Some((i, u))) => {
                next.impact = Some(i);
                next.urgency = Some(u);
                Some(matrix.priority(i, u))
            }
            (None, None) => None,
        };
        if let Some(p) = new_priority {
            push(EventKind::PriorityChanged, Some(next.priority.to_string()), Some(p.to_string()));
            next.priority = p;
        }
        if let Some(dept) = update.department_id {
            push(EventKind::Transferred, Some(next.department_id.to_string()), Some(dept.to_string()));
            next.department_id = dept;
        }
        if let Some(owner) = update.owner_id {
            push(EventKind::Assigned, opt(&next.owner_id), opt(&owner));
            next.owner_id = owner;
        }
        if let Some(resp) = update.responsible_id {
            push(EventKind::ResponsibleChanged, opt(&next.responsible_id), opt(&resp));
            next.responsible_id = resp;
        }
        if let Some(team) = update.team_id {
            push(EventKind::TeamChanged, opt(&next.team_id), opt(&team));
            next.team_id = team;
        }
        if let Some(est) = update.time_estimate_minutes {
            push(EventKind::EstimateChanged, opt(&next.time_estimate_minutes), opt(&est));
            next.time_estimate_minutes = est;
        }
        if let Some(status) = update.status
            && status != next.status
        {
            events.extend(next.transition(status, by, now, policy)?);
        }
        if events.is_empty() {
            return Err(DomainError::NoChange);
        }
        next.updated_at = now;
        *self = next;
        Ok(events)
    }

    /// Records an agent's public reply: the first one sets the first-response time, and a new
    /// ticket becomes open.
    pub fn record_agent_reply(&mut self, by: &Author, now: DateTime<Utc>, policy: &ResolutionPolicy) -> Vec<TicketEvent> {
        self.updated_at = now;
        if self.first_response_at.is_none() {
            self.first_response_at = Some(now);
        }
        let mut events = Vec::new();
        if self.status.category() == StateCategory::New {
            self.set_status(Status::OPEN, by, now, policy, &mut events);
        }
        events
    }

    /// Records a requester's message: a ticket waiting on the requester, resolved or (within
    /// the window) closed goes back to open.
    pub fn record_requester_message(
        &mut self,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
    ) -> Result<Vec<TicketEvent>, DomainError> {
        let mut events = Vec::new();
        match self.status.category() {
            StateCategory::Pending if self.status.awaits_requester() => self.set_status(Status::OPEN, by, now, policy, &mut events),
            StateCategory::Resolved => self.set_status(Status::OPEN, by, now, policy, &mut events),
            StateCategory::Closed => {
                if !self.reopens_on_reply(now, policy) {
                    return Err(DomainError::ReopenWindowExpired);
                }
                events.push(TicketEvent::new(EventKind::Reopened, by, now, None, None));
                self.set_status(Status::OPEN, by, now, policy, &mut events);
            }
            StateCategory::New | StateCategory::Open | StateCategory::Pending => {}
        }
        self.updated_at = now;
        Ok(events)
    }

    /// Adds logged time.
    pub fn log_time(&mut self, minutes: u32, by: &Author, now: DateTime<Utc>) -> Result<TicketEvent, DomainError> {
        if minutes == 0 || minutes > 24 * 60 {
            return Err(DomainError::invalid("minutes", "must be between 1 and 1440"));
        }
        let before = self.time_spent_minutes;
        self.time_spent_minutes = before.saturating_add(minutes);
        self.updated_at = now;
        Ok(TicketEvent::new(EventKind::TimeLogged, by, now, Some(before.to_string()), Some(self.time_spent_minutes.to_string())))
    }
}

mod open;
#[cfg(test)]
mod tests;

pub use open::{Opening, OpeningRules, Requested, TopicDefaults};
