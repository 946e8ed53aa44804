//! Mail intake: one raw message in (a mailbox poll, a pipe from the MTA, an HTTP post), a ticket
//! change out. The raw bytes are stored first and a row records the message, so nothing that
//! arrived is lost: a message that cannot be processed waits in quarantine for an
//! administrator, and one whose processing was interrupted is processed again. The ticket
//! change marks the message imported in its own transaction (`tikal_store::MailOrigin`), which
//! is what makes each message count once however often it is fetched or piped.

use bytes::Bytes;
use tikal_core::authz::Action;
use tikal_core::desk::{Collaborator, LinkKind};
use tikal_core::mail_intake::{self, Candidate, InboundStatus, SenderRole, Threading};
use tikal_core::org::Requester;
use tikal_core::thread::{EventKind, TicketEvent};
use tikal_core::*;
use tikal_mail::{Inbound, Limits, SubjectTag};
use tikal_store::{InboundMail, MailOrigin, NewInbound, Recorded, TicketChange as Change};
use tracing::instrument;

use crate::tickets::{OpenTicket, PostMessage, Upload, UploadData, Via};
use crate::{Desk, Principal, Result, ServiceError};

/// Where a message came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailSource {
    /// `tikal mail ingest`, from the MTA.
    Pipe,
    /// Posted to the API.
    Http,
    /// Fetched from a configured mailbox; `remote_key` is where that server keeps it.
    Account { id: MailAccountId, remote_key: String },
}

/// What became of a message. Every variant means it is stored: the caller (a poller) may now
/// mark or delete it on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    Opened(TicketNumber),
    Added(TicketNumber),
    /// Imported before (its ticket, when there is one).
    Duplicate(Option<TicketNumber>),
    /// A delivery failure report, recorded on the ticket it concerns when one was found.
    DeliveryFailure(Option<TicketNumber>),
    /// Deliberately not imported; the reason says why.
    Ignored(String),
    /// Kept for an administrator; the reason says why.
    Quarantined(String),
}

impl Ingested {
    /// The ticket the message went to, if any.
    pub fn ticket(&self) -> Option<&TicketNumber> {
        match self {
            Ingested::Opened(n) | Ingested::Added(n) => Some(n),
            Ingested::Duplicate(n) | Ingested::DeliveryFailure(n) => n.as_ref(),
            Ingested::Ignored(_) | Ingested::Quarantined(_) => None,
        }
    }
}

/// How the intake behaves (the configuration file's `[intake]`).
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// The ticket tag in subjects, with `{number}` once: the default of the setting.
    pub subject_tag: String,
    /// Auto-responses one address gets per hour at most: the default of the setting.
    pub autoreplies_per_hour: u32,
    /// Largest message processed; a larger one is stored and quarantined.
    pub max_message_bytes: usize,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            subject_tag: tikal_core::settings::DEFAULT_SUBJECT_TAG.into(),
            autoreplies_per_hour: tikal_core::settings::DEFAULT_AUTOREPLIES,
            max_message_bytes: 30 * 1024 * 1024,
        }
    }
}

/// The lines our notifications put above the quoted history (`template::reply_marker`), and
/// their words alone (a client that rewrote the dashes).
pub const REPLY_MARKERS: &[&str] =
    &["— Responda por encima de esta línea —", "— Reply above this line —", "Responda por encima de esta línea", "Reply above this line"];

/// A message the poller found too large to download is recorded without its bytes (it stays
/// on its server): there is nothing to show or process.
const NOT_STORED: &str = "was too large to download and stays on its mail server";

/// Copied addresses made collaborators of a new ticket, at most.
const MAX_CC: usize = 20;

/// A ticket change that conflicted for a reason other than a duplicate is tried this often.
const ATTEMPTS: usize = 3;

/// The parts of a message the threading needs, read once.
struct Facts {
    sender: EmailAddress,
    sender_name: Option<PersonName>,
    key: String,
}

impl Desk {
    /// Stores a raw message and processes it. `Err` only when it could not be stored (the
    /// database or the blob store failed): the caller keeps the message and tries later.
    #[instrument(skip_all, fields(size = raw.len()), err(level = "warn"))]
    pub async fn ingest_mail(&self, source: MailSource, raw: Bytes) -> Result<Ingested> {
        let cfg = self.config.intake.clone();
        let limits = Limits { max_bytes: cfg.max_message_bytes, ..Limits::default() };
        let parsed = parse(raw.clone(), limits).await;
        let blob = self.store.blobs().put(raw.clone()).await?;
        let (account, remote_key) = match source {
            MailSource::Account { id, remote_key } => (Some(id), Some(remote_key)),
            MailSource::Pipe | MailSource::Http => (None, None),
        };
        let head = parsed.as_ref().ok();
        let row = NewInbound {
            account,
            remote_key,
            message_id: head.and_then(|m| m.message_id.clone()),
            sha256: blob.sha256.clone(),
            size: blob.size,
            sender: head.and_then(|m| m.from.as_ref()).map(|a| a.email.clone()),
            subject: head.map(|m| m.subject.clone()),
        };
        let unfinished = match account {
            None => self.store.unfinished_inbound(&blob.sha256).await?,
            Some(_) => None,
        };
        if let Some(id) = unfinished {
            return self.process(id, account, &blob.sha256, parsed).await;
        }
        let id = match self.store.record_inbound(row).await? {
            Recorded::New(id) => id,
            Recorded::Known(known) if known.status == InboundStatus::Received => known.id,
            Recorded::Known(known) => return self.outcome_of(&known).await,
        };
        self.process(id, account, &blob.sha256, parsed).await
    }

    /// Processes a stored message again (an administrator fixed what kept it in quarantine).
    #[instrument(skip_all, fields(inbound = %id), err(level = "debug"))]
    pub async fn reprocess_mail(&self, by: &Principal, id: InboundMailId) -> Result<Ingested> {
        Desk::admin_actor(by)?;
        let row = self.store.inbound(id).await?.ok_or(ServiceError::NotFound("inbound mail"))?;
        if !matches!(row.status, InboundStatus::Quarantined | InboundStatus::Received | InboundStatus::Ignored) {
            return self.outcome_of(&row).await;
        }
        if row.sha256.is_empty() {
            return Err(DomainError::invalid("message", NOT_STORED).into());
        }
        let raw = self.store.blobs().get(&row.sha256).await?;
        let limits = Limits { max_bytes: self.config.intake.max_message_bytes, ..Limits::default() };
        self.process(row.id, row.account, &row.sha256, parse(raw, limits).await).await
    }

    /// Inbound messages for the administration, newest first, with the numbers of their
    /// tickets.
    pub async fn inbound_mail(
        &self,
        by: &Principal,
        status: Option<InboundStatus>,
        before: Option<InboundMailId>,
    ) -> Result<Vec<(InboundMail, Option<TicketNumber>)>> {
        Desk::admin_actor(by)?;
        let rows = self.store.inbound_list(status, before, 50).await?;
        let ids: Vec<TicketId> = rows.iter().filter_map(|r| r.ticket).collect();
        let numbers = self.store.ticket_numbers(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let n = r.ticket.and_then(|t| numbers.get(&t).cloned());
                (r, n)
            })
            .collect())
    }

    /// One stored message and its raw bytes (the administration's download).
    pub async fn inbound_raw(&self, by: &Principal, id: InboundMailId) -> Result<(InboundMail, Bytes)> {
        Desk::admin_actor(by)?;
        let row = self.store.inbound(id).await?.ok_or(ServiceError::NotFound("inbound mail"))?;
        if row.sha256.is_empty() {
            return Err(DomainError::invalid("message", NOT_STORED).into());
        }
        let raw = self.store.blobs().get(&row.sha256).await?;
        Ok((row, raw))
    }

    /// The original of a thread entry that came by mail, for staff who may see the ticket's
    /// internal side (the whole message, headers and quoted history included).
    pub async fn original_mail(&self, by: &Principal, number: &TicketNumber, entry: EntryId) -> Result<Bytes> {
        let (t, scope) = self.visible(by, number).await?;
        self.allow(by, Action::ViewInternal, &scope)?;
        let row = self.store.inbound_of_entry(entry).await?.ok_or(ServiceError::NotFound("original mail"))?;
        let mut tickets = self.store.merged_from(t.id).await?;
        tickets.push(t.id);
        if !row.ticket.is_some_and(|id| tickets.contains(&id)) {
            return Err(ServiceError::NotFound("original mail"));
        }
        Ok(self.store.blobs().get(&row.sha256).await?)
    }

    /// When mail to a requester last bounced, and why (the administration's requester page).
    pub async fn requester_bounce(
        &self,
        by: &Principal,
        id: RequesterId,
    ) -> Result<Option<(chrono::DateTime<chrono::Utc>, Option<String>)>> {
        Desk::admin_actor(by)?;
        Ok(self.store.requester_bounce(id).await?)
    }

    /// Clears a requester's bounce flag: automatic mail goes to them again. Audited.
    pub async fn clear_bounce(&self, by: &Principal, id: RequesterId) -> Result<()> {
        let Some((at, why)) = self.requester_bounce(by, id).await? else { return Ok(()) };
        let name = self.store.requesters_by_ids(&[id]).await?.pop().ok_or(ServiceError::NotFound("requester"))?.name;
        let before = serde_json::json!({"mail_bounced_at": at.to_rfc3339(), "mail_bounce_reason": why}).to_string();
        let after = serde_json::json!({"mail_bounced_at": null, "mail_bounce_reason": null}).to_string();
        let audit = Self::audit_entry(
            by,
            tikal_core::admin::AuditAction::Update,
            tikal_core::admin::AdminEntity::Requester,
            id.get(),
            name.as_str(),
            Some(before),
            Some(after),
        )?;
        Ok(self.store.clear_bounce(id, audit).await?)
    }

    async fn outcome_of(&self, row: &InboundMail) -> Result<Ingested> {
        let number = match row.ticket {
            Some(t) => self.store.ticket_by_id(t).await?.map(|t| t.number),
            None => None,
        };
        let reason = row.reason.clone().unwrap_or_default();
        Ok(match row.status {
            InboundStatus::Quarantined => Ingested::Quarantined(reason),
            InboundStatus::Ignored => Ingested::Ignored(reason),
            _ => Ingested::Duplicate(number),
        })
    }

    async fn process(
        &self,
        id: InboundMailId,
        account: Option<MailAccountId>,
        sha256: &str,
        parsed: std::result::Result<Inbound, tikal_mail::ParseError>,
    ) -> Result<Ingested> {
        let mail = match parsed {
            Ok(m) => m,
            Err(e) => return self.quarantine(id, format!("unreadable: {e}")).await,
        };
        let Some((sender, sender_name)) = sender_of(&mail) else {
            return self.quarantine(id, "the message has no valid sender address".into()).await;
        };
        let facts = Facts { sender, sender_name, key: mail_intake::message_key(mail.message_id.as_deref(), sha256) };
        let mut last = None;
        for _ in 0..ATTEMPTS {
            if let Some(t) = self.store.ticket_of_message_ids(std::slice::from_ref(&facts.key)).await? {
                let number = self.store.ticket_by_id(t).await?.map(|t| t.number);
                self.store.set_inbound_outcome(id, InboundStatus::Duplicate, None, Some(t)).await?;
                return Ok(Ingested::Duplicate(number));
            }
            match self.import(id, account, &mail, &facts).await {
                // Written meanwhile by another node, or stale: look again.
                Err(ServiceError::Conflict(m)) => last = Some(m),
                Err(ServiceError::Internal(e)) => {
                    self.store.inbound_attempted(id, &e.to_string()).await?;
                    return Err(ServiceError::Internal(e));
                }
                Err(e) => return self.quarantine(id, e.to_string()).await,
                Ok(done) => return Ok(done),
            }
        }
        self.quarantine(id, last.unwrap_or_default()).await
    }

    async fn quarantine(&self, id: InboundMailId, reason: String) -> Result<Ingested> {
        tracing::warn!(inbound = %id, %reason, "mail quarantined");
        self.store.set_inbound_outcome(id, InboundStatus::Quarantined, Some(reason.clone()), None).await?;
        Ok(Ingested::Quarantined(reason))
    }

    async fn ignore(&self, id: InboundMailId, reason: &str, ticket: Option<TicketId>) -> Result<Ingested> {
        self.store.set_inbound_outcome(id, InboundStatus::Ignored, Some(reason.to_string()), ticket).await?;
        Ok(Ingested::Ignored(reason.to_string()))
    }

    async fn import(&self, id: InboundMailId, account: Option<MailAccountId>, mail: &Inbound, facts: &Facts) -> Result<Ingested> {
        let own = self.store.own_addresses().await?;
        let origin = MailOrigin { inbound: id, message_key: facts.key.clone() };
        if let Some(bounce) = &mail.bounce {
            return self.delivery_failure(origin, mail, bounce).await;
        }
        if own.contains(&facts.sender.as_str().to_lowercase()) {
            return self.ignore(id, "sent from one of the desk's own addresses", None).await;
        }
        let mut ids: Vec<String> = mail.in_reply_to.iter().chain(mail.references.iter().rev()).cloned().collect();
        ids.dedup();
        let by_reference = match self.store.ticket_of_message_ids(&ids).await? {
            Some(t) => self.candidate(t, true, &facts.sender).await?,
            None => None,
        };
        let by_tag = match self.tagged(&mail.subject).await? {
            Some(t) => self.candidate(t.id, false, &facts.sender).await?,
            None => None,
        };
        match mail_intake::thread(by_reference, by_tag) {
            Threading::Message(t) => self.add_message(origin, t, mail, facts).await,
            Threading::AgentReply(t) => self.add_agent_reply(origin, t, mail, facts).await,
            Threading::Refused(t) => {
                let reason = format!("{} is an agent who may not reply on this ticket", facts.sender);
                self.store.set_inbound_outcome(id, InboundStatus::Quarantined, Some(reason.clone()), Some(t)).await?;
                Ok(Ingested::Quarantined(reason))
            }
            Threading::NewTicket => self.open_from_mail(origin, account, mail, facts, &own, None).await,
        }
    }

    /// The ticket a subject's tag names, if it exists.
    async fn tagged(&self, subject: &str) -> Result<Option<Ticket>> {
        let Ok(tag) = SubjectTag::new(&self.settings().await?.mail_subject_tag) else { return Ok(None) };
        match tag.find(subject).map(|n| TicketNumber::parse(&n)) {
            Some(Ok(number)) => Ok(self.store.ticket_by_number(&number).await?),
            _ => Ok(None),
        }
    }

    /// How `sender` stands towards ticket `t`.
    async fn candidate(&self, t: TicketId, by_reference: bool, sender: &EmailAddress) -> Result<Option<Candidate>> {
        let Some(ticket) = self.store.ticket_by_id(t).await? else { return Ok(None) };
        let role = match self.store.agent_login(sender).await? {
            Some((agent, _)) if agent.active => {
                let principal = self.agent_principal(agent.id).await?;
                match self.allow(&principal, Action::Reply, &tikal_core::authz::Scope::of(&ticket)) {
                    Ok(()) => SenderRole::Agent,
                    Err(_) => SenderRole::AgentWithoutAccess,
                }
            }
            _ => match self.store.requester_by_email(sender).await? {
                Some(r) if r.id == ticket.requester_id => SenderRole::Participant,
                Some(r) => {
                    let copied = self.store.collaborators(ticket.id).await?.iter().any(|(_, c)| *c == Collaborator::Requester(r.id));
                    if copied { SenderRole::Participant } else { SenderRole::Stranger }
                }
                None => SenderRole::Stranger,
            },
        };
        Ok(Some(Candidate { ticket: ticket.id, by_reference, sender: role }))
    }

    async fn add_message(&self, origin: MailOrigin, t: TicketId, mail: &Inbound, facts: &Facts) -> Result<Ingested> {
        let ticket = self.store.ticket_by_id(t).await?.ok_or(ServiceError::NotFound("ticket"))?;
        let requester = self.requester_for(facts).await?;
        // Someone our mail reached (a forward) joins the ticket to write in it.
        if requester.id != ticket.requester_id
            && !self.store.collaborators(t).await?.iter().any(|(_, c)| *c == Collaborator::Requester(requester.id))
        {
            self.add_collaborator(&Principal::System, &ticket.number, Collaborator::Requester(requester.id)).await?;
        }
        let name = requester.name.as_str().to_string();
        // The requester writes as themselves; someone copied (who may not open the ticket on
        // the portal) is written in by the system, as themselves.
        let (by, written_by) = if requester.id == ticket.requester_id {
            (Principal::Requester { id: requester.id, name, organisation: requester.organisation_id }, None)
        } else {
            (Principal::System, Some((Author::Requester(requester.id), name)))
        };
        let msg = self.post_of(mail, EntryKind::Message, true).await?;
        match self.post_as(&by, &ticket.number, msg, None, Some(origin.clone()), written_by).await {
            Ok(_) => Ok(Ingested::Added(ticket.number)),
            // Closed too long ago: a new ticket, linked to the old one.
            Err(ServiceError::Domain(DomainError::ReopenWindowExpired)) => {
                let own = self.store.own_addresses().await?;
                self.open_from_mail(origin, None, mail, facts, &own, Some(ticket)).await
            }
            Err(e) => Err(e),
        }
    }

    async fn add_agent_reply(&self, origin: MailOrigin, t: TicketId, mail: &Inbound, facts: &Facts) -> Result<Ingested> {
        let ticket = self.store.ticket_by_id(t).await?.ok_or(ServiceError::NotFound("ticket"))?;
        let (agent, _) = self.store.agent_login(&facts.sender).await?.ok_or(ServiceError::NotFound("agent"))?;
        let by = self.agent_principal(agent.id).await?;
        let msg = self.post_of(mail, EntryKind::Reply, true).await?;
        self.post_unchecked(&by, &ticket.number, msg, None, Some(origin)).await?;
        Ok(Ingested::Added(ticket.number))
    }

    async fn requester_for(&self, facts: &Facts) -> Result<Requester> {
        if let Some(r) = self.store.requester_by_email(&facts.sender).await? {
            return Ok(r);
        }
        let name = facts.sender_name.clone().unwrap_or_else(|| PersonName::from_email(&facts.sender));
        let id = self.store.ensure_requester(&facts.sender, &name, tikal_store::now()).await?;
        self.store.requesters_by_ids(&[id]).await?.pop().ok_or(ServiceError::NotFound("requester"))
    }

    async fn open_from_mail(
        &self,
        origin: MailOrigin,
        account: Option<MailAccountId>,
        mail: &Inbound,
        facts: &Facts,
        own: &std::collections::HashSet<String>,
        earlier: Option<Ticket>,
    ) -> Result<Ingested> {
        let known = self.store.requester_by_email(&facts.sender).await?.is_some();
        if !known && !self.registration_allows(&facts.sender).await? {
            return self
                .ignore(origin.inbound, "the sender is unknown and the registration policy does not admit their address", None)
                .await;
        }
        let since = tikal_store::now() - chrono::Duration::hours(1);
        let sent = u32::try_from(self.store.autoreplies_since(facts.sender.as_str(), since).await?).unwrap_or(u32::MAX);
        let settings = self.settings().await?;
        let quiet = mail_intake::autoresponse(mail.automatic.is_some(), false, sent, settings.autoreplies_per_hour).is_err();
        let (department_id, help_topic_id) = match account {
            Some(a) => self.store.account_routing(a).await?,
            None => (None, None),
        };
        let tag = SubjectTag::new(&settings.mail_subject_tag).ok();
        let subject = tag.map(|t| t.strip(&mail.subject)).unwrap_or_else(|| mail.subject.clone());
        let subject: String = subject.chars().filter(|c| !c.is_control()).take(255).collect();
        let subject = Subject::parse(&subject).or_else(|_| Subject::parse("(sin asunto)"))?;
        let recipient = mail.delivered_to.iter().chain(mail.to.iter().map(|a| &a.email)).find_map(|a| EmailAddress::parse(a).ok());
        let post = self.post_of(mail, EntryKind::Message, earlier.is_some()).await?;
        let cmd = OpenTicket {
            requester_email: Some(facts.sender.clone()),
            requester_name: facts.sender_name.clone(),
            subject,
            body: post.body,
            channel: Channel::Email,
            help_topic_id,
            department_id,
            priority: None,
            impact_urgency: None,
            kind: None,
            custom_fields: Default::default(),
            attachments: post.attachments,
            recipient,
        };
        let via = Via { mail: Some(origin), no_autoreply: quiet, ..Via::default() };
        let ticket = match self.open(&Principal::System, cmd, false, via).await? {
            tikal_store::Created::New(t, _) => t,
            tikal_store::Created::Earlier(_) => return Err(ServiceError::Conflict("opened by an earlier request".into())),
        };
        // After the ticket's transaction: what fails here leaves the ticket and the message.
        if let Some(old) = earlier
            && let Err(e) = self.link(&Principal::System, &ticket.number, &old.number, LinkKind::Related).await
        {
            tracing::warn!(error = %e, "linking a reply's new ticket to its closed one");
        }
        for cc in mail.cc.iter().chain(mail.to.iter()).take(MAX_CC) {
            let Ok(email) = EmailAddress::parse(&cc.email) else { continue };
            if email == facts.sender || own.contains(&email.as_str().to_lowercase()) {
                continue;
            }
            let name = cc.name.as_deref().and_then(|n| PersonName::parse(n).ok());
            if let Err(e) = self.add_cc(&Principal::System, &ticket.number, &email, name).await {
                tracing::warn!(error = %e, "copying an address of a new mail ticket");
            }
        }
        Ok(Ingested::Opened(ticket.number))
    }

    /// The thread entry a message makes: the new text of a reply (its history cut), and its
    /// files within the desk's limits (the rest stay in the stored original, as the text says).
    async fn post_of(&self, mail: &Inbound, kind: EntryKind, reply: bool) -> Result<PostMessage> {
        let text = if reply { tikal_mail::new_text(&mail.text, REPLY_MARKERS) } else { mail.text.as_str() };
        let mut body: String = text.chars().filter(|c| *c != '\0').take(60_000).collect();
        if body.trim().is_empty() {
            body = "(sin texto / no text)".into();
        }
        let settings = self.settings().await?;
        let limit = settings.max_attachment_bytes();
        let mut attachments = Vec::new();
        let mut left_out = Vec::new();
        for part in &mail.attachments {
            if part.data.is_empty() {
                continue;
            }
            if part.data.len() as u64 > limit || attachments.len() >= settings.max_attachments as usize {
                left_out.push(part.filename.clone());
                continue;
            }
            let content_type = if part.content_type.contains('/') { part.content_type.clone() } else { "application/octet-stream".into() };
            attachments.push(Upload {
                filename: part.filename.clone(),
                content_type,
                data: UploadData::Memory(Bytes::from(part.data.clone())),
            });
        }
        if !left_out.is_empty() {
            body.push_str(&format!(
                "\n\n[Adjuntos fuera de los límites, guardados en el mensaje original / Attachments over the limits, kept in the original message: {}]",
                left_out.join(", ")
            ));
        }
        Ok(PostMessage { kind, body, attachments })
    }

    /// A delivery status notification: recorded on the ticket whose mail bounced (found by the
    /// bounced message's id or the report's references), and the failed addresses flagged.
    async fn delivery_failure(&self, origin: MailOrigin, mail: &Inbound, bounce: &tikal_mail::Bounce) -> Result<Ingested> {
        let failed: Vec<EmailAddress> = bounce.recipients.iter().filter_map(|r| EmailAddress::parse(r).ok()).collect();
        let detail = [bounce.status.clone(), bounce.diagnostic.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        let now = tikal_store::now();
        self.store.flag_bounced(&failed, &detail, now).await?;
        let ids: Vec<String> = bounce.original_message_id.iter().chain(&mail.in_reply_to).chain(&mail.references).cloned().collect();
        // Servers that return no headers of the lost mail often keep its subject, and our tag.
        let by_tag = match self.store.ticket_of_message_ids(&ids).await? {
            Some(t) => Some(t),
            None => self.tagged(&mail.subject).await?.map(|t| t.id),
        };
        let Some(t) = by_tag else {
            self.store
                .set_inbound_outcome(origin.inbound, InboundStatus::Imported, Some("delivery failure of no known ticket".into()), None)
                .await?;
            return Ok(Ingested::DeliveryFailure(None));
        };
        let number = self.store.ticket_by_id(t).await?.ok_or(ServiceError::NotFound("ticket"))?.number;
        let after = format!("{} {}", failed.iter().map(EmailAddress::as_str).collect::<Vec<_>>().join(", "), detail);
        let after: String = after.trim().chars().take(500).collect();
        self.change(&Principal::System, &number, |_, _, now| {
            let event = TicketEvent::new(EventKind::DeliveryFailed, &Author::System, now, None, Some(after.clone()));
            Ok(Change { events: vec![event], mail: Some(origin.clone()), ..Default::default() })
        })
        .await?;
        Ok(Ingested::DeliveryFailure(Some(number)))
    }
}

/// Parses off the async workers: a large message takes a while, and they serve everyone.
async fn parse(raw: Bytes, limits: Limits) -> std::result::Result<Inbound, tikal_mail::ParseError> {
    tokio::task::spawn_blocking(move || tikal_mail::parse(&raw, &limits)).await.unwrap_or(Err(tikal_mail::ParseError::Unreadable))
}

/// The sender: From, else Reply-To; its name when it is a valid one.
fn sender_of(mail: &Inbound) -> Option<(EmailAddress, Option<PersonName>)> {
    let from = mail.from.as_ref().or(mail.reply_to.as_ref())?;
    let email = EmailAddress::parse(&from.email).ok()?;
    let name = from.name.as_deref().and_then(|n| PersonName::parse(n).ok());
    Some((email, name))
}
