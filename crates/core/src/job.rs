//! Outbox jobs as types: what the producers (service, store) enqueue and the worker (jobs)
//! does. A job is stored as its kind (a closed set, TEXT with the names below) and its payload
//! (JSON of the variant's fields); the names and fields are stable because queued rows outlive
//! a version of the binary.

use serde::{Deserialize, Serialize};

use crate::TicketId;

crate::string_enum! {
    /// Every kind of job. `notify.*` wait for the e-mail channel milestone; `mail.*` are sent now.
    pub enum JobKind {
        TicketCreated => "notify.ticket_created",
        AgentReply => "notify.agent_reply",
        RequesterMessage => "notify.requester_message",
        TicketChanged => "notify.ticket_changed",
        /// A supervisor approved the solution and the ticket closed: the requester is told.
        ResolutionApproved => "notify.resolution_approved",
        TicketLink => "mail.ticket_link",
        VerifyEmail => "mail.verify_email",
        PasswordReset => "mail.password_reset",
        AccountExists => "mail.account_exists",
        /// An administrator invited an agent: a link to choose their password.
        AgentInvite => "mail.agent_invite",
    }
}

impl JobKind {
    /// The kinds the outbox worker sends today (account mail).
    pub const MAIL: &'static [JobKind] =
        &[JobKind::TicketLink, JobKind::VerifyEmail, JobKind::PasswordReset, JobKind::AccountExists, JobKind::AgentInvite];
}

/// Payload of a ticket notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRef {
    pub ticket_id: TicketId,
    /// `false` when a routing rule suppressed the requester's auto-response to a new ticket
    /// (the agents' alert is still due).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub autoreply: bool,
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
    TicketLink(LinkMail),
    VerifyEmail(LinkMail),
    PasswordReset(LinkMail),
    AccountExists(LinkMail),
    AgentInvite(LinkMail),
}

/// A notification about a ticket change, enqueued in the change's transaction (the store knows
/// the ticket id only once it has written the row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketNotice {
    Created,
    /// A new ticket whose requester gets no auto-response (a routing rule said so).
    CreatedWithoutAutoreply,
    AgentReply,
    RequesterMessage,
    Changed,
    ResolutionApproved,
}

impl TicketNotice {
    pub fn job(self, ticket_id: TicketId) -> Job {
        let r = TicketRef { ticket_id, autoreply: true };
        match self {
            TicketNotice::Created => Job::TicketCreated(r),
            TicketNotice::CreatedWithoutAutoreply => Job::TicketCreated(TicketRef { autoreply: false, ..r }),
            TicketNotice::AgentReply => Job::AgentReply(r),
            TicketNotice::RequesterMessage => Job::RequesterMessage(r),
            TicketNotice::Changed => Job::TicketChanged(r),
            TicketNotice::ResolutionApproved => Job::ResolutionApproved(r),
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
            Job::TicketCreated(r) | Job::AgentReply(r) | Job::RequesterMessage(r) | Job::TicketChanged(r) | Job::ResolutionApproved(r) => {
                r.serialize(s)
            }
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
            JobKind::TicketLink => Job::TicketLink(LinkMail::deserialize(d)?),
            JobKind::VerifyEmail => Job::VerifyEmail(LinkMail::deserialize(d)?),
            JobKind::PasswordReset => Job::PasswordReset(LinkMail::deserialize(d)?),
            JobKind::AccountExists => Job::AccountExists(LinkMail::deserialize(d)?),
            JobKind::AgentInvite => Job::AgentInvite(LinkMail::deserialize(d)?),
        })
    }
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
    }
}
