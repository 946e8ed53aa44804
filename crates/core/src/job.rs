//! Outbox jobs as types: what the producers (service, store) enqueue and the worker (jobs)
//! does. A job is stored as its kind (a closed set, TEXT with the names below) and its payload
//! (JSON of the variant's fields); the names and fields are stable because queued rows outlive
//! a version of the binary.

use serde::{Deserialize, Serialize};

use crate::escalation::Target;
use crate::{AgentId, DepartmentId, EntryId, TicketId};

crate::string_enum! {
    /// Every kind of job: `notify.*` are mail about a ticket (`tikal_jobs::notify`), `mail.*`
    /// account mail.
    pub enum JobKind {
        TicketCreated => "notify.ticket_created",
        AgentReply => "notify.agent_reply",
        /// Queued by requesters' messages; no mail is sent for it yet (no template).
        RequesterMessage => "notify.requester_message",
        /// Queued by older versions for any change; sends nothing.
        TicketChanged => "notify.ticket_changed",
        /// A supervisor approved the solution and the ticket closed: the requester is told.
        ResolutionApproved => "notify.resolution_approved",
        /// A ticket was assigned to an agent: the agent is told.
        Assigned => "notify.assigned",
        /// A ticket moved to another department (transfer or escalation): its agents are told.
        Transferred => "notify.transferred",
        /// A ticket was resolved: the requester is asked to confirm.
        Resolved => "notify.resolved",
        /// A ticket closed (other than by an approval): the requester gets the survey.
        Closed => "notify.closed",
        /// An SLA escalation or a time rule: the ticket's owner, responsible, department
        /// manager or supervisors are told (`AlertRef`).
        Alert => "notify.alert",
        /// A ticket has waited on its requester for the configured days: they are reminded.
        Reminder => "notify.reminder",
        TicketLink => "mail.ticket_link",
        VerifyEmail => "mail.verify_email",
        PasswordReset => "mail.password_reset",
        AccountExists => "mail.account_exists",
        /// An administrator invited an agent: a link to choose their password.
        AgentInvite => "mail.agent_invite",
    }
}

impl JobKind {
    /// The account mail kinds.
    pub const MAIL: &'static [JobKind] =
        &[JobKind::TicketLink, JobKind::VerifyEmail, JobKind::PasswordReset, JobKind::AccountExists, JobKind::AgentInvite];

    /// The ticket notification kinds.
    pub const NOTIFY: &'static [JobKind] = &[
        JobKind::TicketCreated,
        JobKind::AgentReply,
        JobKind::RequesterMessage,
        JobKind::TicketChanged,
        JobKind::ResolutionApproved,
        JobKind::Assigned,
        JobKind::Transferred,
        JobKind::Resolved,
        JobKind::Closed,
        JobKind::Alert,
        JobKind::Reminder,
    ];
}

/// Payload of a ticket notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRef {
    pub ticket_id: TicketId,
    /// `false` when a routing rule suppressed the requester's auto-response to a new ticket
    /// (the agents' alert is still due).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub autoreply: bool,
    /// The entry the notice carries (an agent's reply); absent in rows of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<EntryId>,
}

impl TicketRef {
    pub fn new(ticket_id: TicketId) -> TicketRef {
        TicketRef { ticket_id, autoreply: true, entry_id: None }
    }
}

/// Payload of an assignment notice: the agent the ticket was given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedRef {
    pub ticket_id: TicketId,
    pub agent_id: AgentId,
}

/// Payload of a transfer notice: the department the ticket went to, and the agent who moved
/// it (not told of their own move).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRef {
    pub ticket_id: TicketId,
    pub department_id: DepartmentId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<AgentId>,
}

/// Who an alert goes to (each of the ticket's people that exists, once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertTo {
    #[serde(default, skip_serializing_if = "is_false")]
    pub owner: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub responsible: bool,
    /// The manager of the ticket's department.
    #[serde(default, skip_serializing_if = "is_false")]
    pub manager: bool,
    /// The agents of the ticket's department whose role may approve solutions.
    #[serde(default, skip_serializing_if = "is_false")]
    pub supervisors: bool,
}

impl AlertTo {
    pub fn is_empty(self) -> bool {
        !(self.owner || self.responsible || self.manager || self.supervisors)
    }
}

/// Why an alert is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertReason {
    /// The plan's warning share of a target is used.
    SlaWarning { target: Target },
    /// A target is past its due time.
    SlaBreach { target: Target },
    /// A time rule matched the ticket.
    TimeRule { rule_id: i64 },
}

/// Payload of an alert about a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRef {
    pub ticket_id: TicketId,
    pub to: AlertTo,
    pub reason: AlertReason,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Payload of an account mail sent to `to` in the language `lang`. A single-use link is queued
/// as `link_base` + `nonce`: the worker makes the link's token from the nonce with the data
/// directory's link key (ADR 006), so the job row alone opens nothing. `link` is a complete link
/// that grants nothing by itself (the forgotten-password page), or one queued by an older
/// version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkMail {
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_base: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The fingerprint of the link key the token is to be made with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The ticket number, for status-check links.
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
}

/// A job with its typed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    TicketCreated(TicketRef),
    AgentReply(TicketRef),
    RequesterMessage(TicketRef),
    TicketChanged(TicketRef),
    ResolutionApproved(TicketRef),
    Assigned(AssignedRef),
    Transferred(TransferRef),
    Resolved(TicketRef),
    Closed(TicketRef),
    Alert(AlertRef),
    Reminder(TicketRef),
    TicketLink(LinkMail),
    VerifyEmail(LinkMail),
    PasswordReset(LinkMail),
    AccountExists(LinkMail),
    AgentInvite(LinkMail),
}

/// A notification about a ticket change, enqueued in the change's transaction (the store knows
/// the ticket id, and the id of the entry the change writes, only once it has written them).
/// Which notices a change queues is decided by `crate::notice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketNotice {
    Created,
    /// A new ticket whose requester gets no auto-response (a routing rule said so).
    CreatedWithoutAutoreply,
    /// An agent's public reply: the entry the change writes.
    AgentReply,
    RequesterMessage,
    Changed,
    ResolutionApproved,
    Assigned(AgentId),
    Transferred {
        to: DepartmentId,
        by: Option<AgentId>,
    },
    Resolved,
    Closed,
    Alert {
        to: AlertTo,
        reason: AlertReason,
    },
    Reminder,
}

impl TicketNotice {
    pub fn job(self, ticket_id: TicketId) -> Job {
        self.job_for(ticket_id, None)
    }

    /// The job of this notice about `ticket_id`, whose change wrote `entry` (if any).
    pub fn job_for(self, ticket_id: TicketId, entry: Option<EntryId>) -> Job {
        let r = TicketRef::new(ticket_id);
        match self {
            TicketNotice::Created => Job::TicketCreated(r),
            TicketNotice::CreatedWithoutAutoreply => Job::TicketCreated(TicketRef { autoreply: false, ..r }),
            TicketNotice::AgentReply => Job::AgentReply(TicketRef { entry_id: entry, ..r }),
            TicketNotice::RequesterMessage => Job::RequesterMessage(TicketRef { entry_id: entry, ..r }),
            TicketNotice::Changed => Job::TicketChanged(r),
            TicketNotice::ResolutionApproved => Job::ResolutionApproved(r),
            TicketNotice::Assigned(agent_id) => Job::Assigned(AssignedRef { ticket_id, agent_id }),
            TicketNotice::Transferred { to, by } => Job::Transferred(TransferRef { ticket_id, department_id: to, by }),
            TicketNotice::Resolved => Job::Resolved(r),
            TicketNotice::Closed => Job::Closed(r),
            TicketNotice::Alert { to, reason } => Job::Alert(AlertRef { ticket_id, to, reason }),
            TicketNotice::Reminder => Job::Reminder(r),
        }
    }
}

impl Job {
    pub fn kind(&self) -> JobKind {
        match self {
            Job::TicketCreated(_) => JobKind::TicketCreated,
            Job::AgentReply(_) => JobKind::AgentReply,
            Job::RequesterMessage(_) => JobKind::RequesterMessage,
            Job::TicketChanged(_) => JobKind::TicketChanged,
            Job::ResolutionApproved(_) => JobKind::ResolutionApproved,
            Job::Assigned(_) => JobKind::Assigned,
            Job::Transferred(_) => JobKind::Transferred,
            Job::Resolved(_) => JobKind::Resolved,
            Job::Closed(_) => JobKind::Closed,
            Job::Alert(_) => JobKind::Alert,
            Job::Reminder(_) => JobKind::Reminder,
            Job::TicketLink(_) => JobKind::TicketLink,
            Job::VerifyEmail(_) => JobKind::VerifyEmail,
            Job::PasswordReset(_) => JobKind::PasswordReset,
            Job::AccountExists(_) => JobKind::AccountExists,
            Job::AgentInvite(_) => JobKind::AgentInvite,
        }
    }

    /// Serialises the payload alone (the kind is stored beside it).
    pub fn serialize_payload<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Job::TicketCreated(r)
            | Job::AgentReply(r)
            | Job::RequesterMessage(r)
            | Job::TicketChanged(r)
            | Job::ResolutionApproved(r)
            | Job::Resolved(r)
            | Job::Closed(r)
            | Job::Reminder(r) => r.serialize(s),
            Job::Assigned(a) => a.serialize(s),
            Job::Transferred(t) => t.serialize(s),
            Job::Alert(a) => a.serialize(s),
            Job::TicketLink(m) | Job::VerifyEmail(m) | Job::PasswordReset(m) | Job::AccountExists(m) | Job::AgentInvite(m) => {
                m.serialize(s)
            }
        }
    }

    /// Reads the payload of a stored job of `kind`.
    pub fn deserialize_payload<'de, D: serde::Deserializer<'de>>(kind: JobKind, d: D) -> Result<Job, D::Error> {
        Ok(match kind {
            JobKind::TicketCreated => Job::TicketCreated(TicketRef::deserialize(d)?),
            JobKind::AgentReply => Job::AgentReply(TicketRef::deserialize(d)?),
            JobKind::RequesterMessage => Job::RequesterMessage(TicketRef::deserialize(d)?),
            JobKind::TicketChanged => Job::TicketChanged(TicketRef::deserialize(d)?),
            JobKind::ResolutionApproved => Job::ResolutionApproved(TicketRef::deserialize(d)?),
            JobKind::Assigned => Job::Assigned(AssignedRef::deserialize(d)?),
            JobKind::Transferred => Job::Transferred(TransferRef::deserialize(d)?),
            JobKind::Resolved => Job::Resolved(TicketRef::deserialize(d)?),
            JobKind::Closed => Job::Closed(TicketRef::deserialize(d)?),
            JobKind::Alert => Job::Alert(AlertRef::deserialize(d)?),
            JobKind::Reminder => Job::Reminder(TicketRef::deserialize(d)?),
            JobKind::TicketLink => Job::TicketLink(LinkMail::deserialize(d)?),
            JobKind::VerifyEmail => Job::VerifyEmail(LinkMail::deserialize(d)?),
            JobKind::PasswordReset => Job::PasswordReset(LinkMail::deserialize(d)?),
            JobKind::AccountExists => Job::AccountExists(LinkMail::deserialize(d)?),
            JobKind::AgentInvite => Job::AgentInvite(LinkMail::deserialize(d)?),
        })
    }
}

/// The ticket a stored payload names (`ticket_id`), whatever its kind: the administration shows
/// it beside the job. A payload that is not JSON, or names none, gives `None`.
pub fn payload_ticket(payload: &str) -> Option<TicketId> {
    #[derive(Deserialize)]
    struct Named {
        ticket_id: Option<TicketId>,
    }
    serde_json::from_str::<Named>(payload).ok().and_then(|n| n.ticket_id).filter(|t| t.get() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_their_stored_names() {
        assert_eq!(JobKind::TicketCreated.as_str(), "notify.ticket_created");
        assert_eq!("mail.password_reset".parse::<JobKind>().ok(), Some(JobKind::PasswordReset));
        assert!("mail.unknown".parse::<JobKind>().is_err());
        for k in JobKind::ALL {
            assert_eq!(k.as_str().parse::<JobKind>().ok(), Some(*k));
        }
        assert!(JobKind::MAIL.iter().all(|k| k.as_str().starts_with("mail.")));
        assert_eq!(TicketNotice::Changed.job(TicketId(4)).kind(), JobKind::TicketChanged);
        assert!(JobKind::NOTIFY.iter().all(|k| k.as_str().starts_with("notify.")));
        assert_eq!(JobKind::NOTIFY.len() + JobKind::MAIL.len(), JobKind::ALL.len(), "every kind is in one set");
    }

    #[test]
    fn notices_carry_their_entry_and_agent() {
        let json = |j: &Job| {
            let mut out = Vec::new();
            j.serialize_payload(&mut serde_json::Serializer::new(&mut out)).expect("json");
            String::from_utf8(out).expect("utf-8")
        };
        let reply = TicketNotice::AgentReply.job_for(TicketId(4), Some(EntryId(9)));
        assert_eq!(json(&reply), r#"{"ticket_id":4,"entry_id":9}"#);
        assert_eq!(json(&TicketNotice::Created.job_for(TicketId(4), Some(EntryId(1)))), r#"{"ticket_id":4}"#);
        let assigned = TicketNotice::Assigned(AgentId(3)).job(TicketId(4));
        assert_eq!(json(&assigned), r#"{"ticket_id":4,"agent_id":3}"#);
        let moved = TicketNotice::Transferred { to: DepartmentId(2), by: None }.job(TicketId(4));
        assert_eq!(json(&moved), r#"{"ticket_id":4,"department_id":2}"#);
        for job in [reply, assigned, moved, TicketNotice::Closed.job(TicketId(4))] {
            let back = Job::deserialize_payload(job.kind(), &mut serde_json::Deserializer::from_str(&json(&job))).expect("read back");
            assert_eq!(back, job);
        }
        // A reply queued by an older version has no entry: still readable.
        let old = Job::deserialize_payload(JobKind::AgentReply, &mut serde_json::Deserializer::from_str(r#"{"ticket_id":4}"#));
        assert_eq!(old.expect("old row"), Job::AgentReply(TicketRef::new(TicketId(4))));
    }

    #[test]
    fn the_ticket_a_payload_names() {
        assert_eq!(payload_ticket(r#"{"ticket_id":4,"entry_id":9}"#), Some(TicketId(4)));
        assert_eq!(payload_ticket(r#"{"to":"a@b.example","number":"000001"}"#), None, "account mail names no ticket id");
        assert_eq!(payload_ticket(r#"{"ticket_id":"x"}"#), None);
        assert_eq!(payload_ticket(r#"{"ticket_id":0}"#), None);
        assert_eq!(payload_ticket("not json"), None);
    }
}
