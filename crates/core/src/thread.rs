//! The append-only thread of a ticket and the events every change produces.

use chrono::{DateTime, Utc};

use crate::ids::{AgentId, ApiKeyId, RequesterId};
use crate::string_enum;

string_enum! {
    pub enum EntryKind {
        /// Written by the requester (portal, e-mail, or registered for them by an operator).
        Message => "message",
        /// An agent's public reply.
        Reply => "reply",
        /// Internal note: never shown to requesters.
        Note => "note",
        /// A recorded change (who, when, before/after).
        Event => "event",
    }
}

impl EntryKind {
    pub fn is_public(self) -> bool {
        self != EntryKind::Note
    }
}

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    Agent(AgentId),
    Requester(RequesterId),
    ApiKey(ApiKeyId),
    System,
}

impl Author {
    pub fn kind(&self) -> &'static str {
        match self {
            Author::Agent(_) => "agent",
            Author::Requester(_) => "requester",
            Author::ApiKey(_) => "api_key",
            Author::System => "system",
        }
    }

    pub fn id(&self) -> Option<i64> {
        match self {
            Author::Agent(id) => Some(id.0),
            Author::Requester(id) => Some(id.0),
            Author::ApiKey(id) => Some(id.0),
            Author::System => None,
        }
    }

    pub fn from_parts(kind: &str, id: Option<i64>) -> Result<Self, crate::error::UnknownValue> {
        let unknown = || crate::error::UnknownValue { kind: "Author", value: format!("{kind}:{id:?}") };
        Ok(match (kind, id) {
            ("agent", Some(id)) => Author::Agent(AgentId(id)),
            ("requester", Some(id)) => Author::Requester(RequesterId(id)),
            ("api_key", Some(id)) => Author::ApiKey(ApiKeyId(id)),
            ("system", None) => Author::System,
            _ => return Err(unknown()),
        })
    }
}

string_enum! {
    pub enum EventKind {
        Created => "created",
        StatusChanged => "status_changed",
        PriorityChanged => "priority_changed",
        Transferred => "transferred",
        Assigned => "assigned",
        ResponsibleChanged => "responsible_changed",
        TeamChanged => "team_changed",
        SubjectChanged => "subject_changed",
        TypeChanged => "type_changed",
        HelpTopicChanged => "help_topic_changed",
        EstimateChanged => "estimate_changed",
        TimeLogged => "time_logged",
        ResolutionApproved => "resolution_approved",
        ResolutionReturned => "resolution_returned",
        ResolutionConfirmed => "resolution_confirmed",
        ResolutionRejected => "resolution_rejected",
        Reopened => "reopened",
        /// Moved to the department's next level (before/after: department ids; reason given).
        Escalated => "escalated",
        /// The solution recorded when resolving (after: its text).
        SolutionRecorded => "solution_recorded",
        /// This ticket was merged into another (after: the survivor's number).
        MergedInto => "merged_into",
        /// Another ticket was merged into this one (after: the merged ticket's number).
        MergedFrom => "merged_from",
        /// A link to another ticket was added or removed (after/before: `kind number`).
        Linked => "linked",
        Unlinked => "unlinked",
        /// A collaborator was added or removed (after/before: `agent:ID` or `requester:ID`).
        CollaboratorAdded => "collaborator_added",
        CollaboratorRemoved => "collaborator_removed",
        /// Routing rules changed the new ticket (after: the names of the rules that fired).
        RoutedByRule => "routed_by_rule",
        /// Mail about the ticket could not be delivered (after: the addresses and the report's
        /// status and diagnostic).
        DeliveryFailed => "delivery_failed",
        /// An SLA target reached its plan's warning threshold (after: `response` or
        /// `resolution`; reason: the actions taken, comma-separated).
        SlaWarning => "sla_warning",
        /// An SLA target passed its due time (after: the target; reason: the actions taken).
        SlaBreached => "sla_breached",
        /// The requester was reminded that the ticket waits on them (internal: the reminder
        /// itself is the mail they get).
        ReminderSent => "reminder_sent",
        /// A time rule matched the ticket (after: the rule's name; internal bookkeeping).
        TimeRuleFired => "time_rule_fired",
    }
}

impl EventKind {
    /// Events the requester sees in their thread; the rest are internal bookkeeping.
    pub fn is_public(self) -> bool {
        matches!(
            self,
            EventKind::Created
                | EventKind::StatusChanged
                | EventKind::Transferred
                | EventKind::ResolutionConfirmed
                | EventKind::ResolutionRejected
                | EventKind::Reopened
                | EventKind::Escalated
                | EventKind::SolutionRecorded
                | EventKind::MergedInto
                | EventKind::MergedFrom
        )
    }
}

/// One recorded change: what, who, when, before and after (as stored text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub kind: EventKind,
    pub by: Author,
    pub at: DateTime<Utc>,
    pub before: Option<String>,
    pub after: Option<String>,
    /// A reason given with the change (returned resolution, rejection comment).
    pub reason: Option<String>,
}

impl TicketEvent {
    pub fn new(kind: EventKind, by: &Author, at: DateTime<Utc>, before: Option<String>, after: Option<String>) -> Self {
        TicketEvent { kind, by: by.clone(), at, before, after, reason: None }
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// One entry of a ticket's thread as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadEntry {
    pub id: crate::ids::EntryId,
    pub kind: EntryKind,
    pub author: Author,
    /// Display name at the time of writing (kept even if the person is renamed later).
    pub author_name: Option<String>,
    pub body: Option<String>,
    pub event: Option<EventKind>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl ThreadEntry {
    /// What a requester may see: messages, replies and public events; never internal notes.
    pub fn is_public(&self) -> bool {
        match self.kind {
            EntryKind::Event => self.event.is_some_and(EventKind::is_public),
            kind => kind.is_public(),
        }
    }

    /// The entry as a requester sees it: reasons given with changes (a transfer's, an
    /// escalation's) are the desk's own; only the requester's own rejection comment stays.
    pub fn for_requester(mut self) -> Self {
        if self.event != Some(EventKind::ResolutionRejected) {
            self.reason = None;
        }
        self
    }
}
