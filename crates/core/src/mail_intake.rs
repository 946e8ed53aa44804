//! What an inbound e-mail does, decided from facts the intake gathered (pure): which ticket it
//! belongs to, whether its sender may write there, and whether it deserves an auto-response.
//!
//! A reply names its ticket two ways: by the Message-IDs it answers (In-Reply-To/References,
//! which only someone who received our mail knows) and by the tag in its subject (which anyone
//! can type). A tag alone therefore only threads mail from someone already on the ticket.

use crate::TicketId;

crate::string_enum! {
    /// Where an inbound message stands.
    pub enum InboundStatus {
        /// Stored, not yet processed (or processing was interrupted: it is tried again).
        Received => "received",
        /// In a ticket.
        Imported => "imported",
        /// Deliberately not imported (our own mail, a refused sender, a bounce with no ticket);
        /// the reason says why.
        Ignored => "ignored",
        /// The same message was imported before (another account, a retried pipe).
        Duplicate => "duplicate",
        /// It could not be processed: kept for an administrator to look at and process again.
        Quarantined => "quarantined",
    }
}

/// How the sender stands towards the ticket a message seems to belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderRole {
    /// The ticket's requester or a requester copied on it.
    Participant,
    /// An active agent who may reply on the ticket.
    Agent,
    /// An active agent who may not reply there (another department's).
    AgentWithoutAccess,
    /// Anyone else.
    Stranger,
}

/// A ticket a message seems to belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub ticket: TicketId,
    /// Found through the Message-IDs the message answers (not only the subject's tag).
    pub by_reference: bool,
    pub sender: SenderRole,
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threading {
    /// Into the ticket's thread as the requester's (or a collaborator's) message.
    Message(TicketId),
    /// Into the ticket's thread as the agent's public reply.
    AgentReply(TicketId),
    /// A new ticket.
    NewTicket,
    /// Kept aside for an administrator: an agent answered a ticket they may not reply on.
    Refused(TicketId),
}

/// Threads a message. The reference match wins over the tag; a stranger who knows a ticket's
/// number opens their own ticket instead of writing into someone else's; a stranger who answers
/// our mail (someone it was forwarded to) is let in, since they hold a Message-ID only mail
/// about the ticket carries.
pub fn thread(by_reference: Option<Candidate>, by_tag: Option<Candidate>) -> Threading {
    let candidate = match (by_reference, by_tag) {
        (Some(r), _) => Some(Candidate { by_reference: true, ..r }),
        (None, t) => t.map(|t| Candidate { by_reference: false, ..t }),
    };
    match candidate {
        None => Threading::NewTicket,
        Some(c) => match c.sender {
            SenderRole::Agent => Threading::AgentReply(c.ticket),
            SenderRole::AgentWithoutAccess => Threading::Refused(c.ticket),
            SenderRole::Participant => Threading::Message(c.ticket),
            SenderRole::Stranger if c.by_reference => Threading::Message(c.ticket),
            SenderRole::Stranger => Threading::NewTicket,
        },
    }
}

/// Why a new ticket gets no auto-response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silence {
    /// The message itself is automatic (an auto-reply, a list, a bounce): answering it loops.
    Automatic,
    /// It came from one of the desk's own addresses.
    OwnAddress,
    /// The sender already got `limit` auto-responses in the last hour.
    TooMany,
}

/// Whether a new ticket opened by mail gets the requester's auto-response.
pub fn autoresponse(automatic: bool, own_address: bool, sent_last_hour: u32, per_hour: u32) -> Result<(), Silence> {
    if own_address {
        Err(Silence::OwnAddress)
    } else if automatic {
        Err(Silence::Automatic)
    } else if sent_last_hour >= per_hour {
        Err(Silence::TooMany)
    } else {
        Ok(())
    }
}

/// The key a message is imported once under: its Message-ID, or, without one, its bytes' hash
/// (an MTA retrying a pipe sends the same bytes).
pub fn message_key(message_id: Option<&str>, sha256: &str) -> String {
    match message_id.map(str::trim).filter(|m| !m.is_empty()) {
        Some(id) => id.chars().take(900).collect(),
        None => format!("sha256:{sha256}@tikal.invalid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(sender: SenderRole) -> Candidate {
        Candidate { ticket: TicketId(7), by_reference: false, sender }
    }

    #[test]
    fn references_thread_anyone_who_holds_them_the_tag_only_participants() {
        use SenderRole::*;
        assert_eq!(thread(None, None), Threading::NewTicket);
        assert_eq!(thread(Some(c(Participant)), None), Threading::Message(TicketId(7)));
        assert_eq!(thread(Some(c(Stranger)), None), Threading::Message(TicketId(7)));
        assert_eq!(thread(None, Some(c(Participant))), Threading::Message(TicketId(7)));
        assert_eq!(thread(None, Some(c(Stranger))), Threading::NewTicket, "a guessed number opens nothing");
        assert_eq!(thread(None, Some(c(Agent))), Threading::AgentReply(TicketId(7)));
        assert_eq!(thread(Some(c(AgentWithoutAccess)), None), Threading::Refused(TicketId(7)));
        let other = Candidate { ticket: TicketId(9), ..c(Participant) };
        assert_eq!(thread(Some(other), Some(c(Participant))), Threading::Message(TicketId(9)), "the reference wins");
    }

    #[test]
    fn no_auto_response_to_machines_ourselves_or_past_the_hourly_limit() {
        assert_eq!(autoresponse(false, false, 0, 5), Ok(()));
        assert_eq!(autoresponse(false, false, 4, 5), Ok(()));
        assert_eq!(autoresponse(false, false, 5, 5), Err(Silence::TooMany));
        assert_eq!(autoresponse(true, false, 0, 5), Err(Silence::Automatic));
        assert_eq!(autoresponse(true, true, 0, 5), Err(Silence::OwnAddress));
        assert_eq!(autoresponse(false, false, 0, 0), Err(Silence::TooMany), "0 turns auto-responses to mail off");
    }

    #[test]
    fn a_message_without_id_is_known_by_its_bytes() {
        assert_eq!(message_key(Some(" a@b "), "ff"), "a@b");
        assert_eq!(message_key(None, "ff"), "sha256:ff@tikal.invalid");
        assert_eq!(message_key(Some(""), "ff"), "sha256:ff@tikal.invalid");
        assert_eq!(message_key(Some(&"x".repeat(2000)), "ff").len(), 900);
    }
}
