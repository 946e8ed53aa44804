//! Ticket use cases: open, read, list, reply/note, update, resolution steps, time.

use std::collections::BTreeMap;

use bytes::Bytes;
use tikal_core::authz::{self, Action, Denied, PortalRules, Scope};
use tikal_core::catalog::Audience;
use tikal_core::fields::{self, FieldInput};
use tikal_core::notice;
use tikal_core::org::{HelpTopic, Requester};
use tikal_core::values::parse_body;
use tikal_core::*;
use tikal_store::{
    AttachmentMeta, Created, IdempotencyClaim, MailOrigin, NewAttachment, NewEntry, NewJob, NewTicket, TicketChange as Change,
    TicketFilter, TimeLog,
};
use tracing::instrument;

use crate::{Catalog, Desk, Principal, Result, ServiceError};

/// How a ticket is being opened besides its content: once per `Idempotency-Key`, from an
/// e-mail (marked imported with it), without the requester's auto-response.
#[derive(Debug, Default)]
pub(crate) struct Via {
    pub claim: Option<IdempotencyClaim>,
    pub mail: Option<MailOrigin>,
    pub no_autoreply: bool,
}

/// An uploaded file, as received.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub data: UploadData,
}

/// An upload's bytes: in memory (the API's base64), or in a file written as it arrived (the
/// portal's multipart forms).
#[derive(Debug, Clone)]
pub enum UploadData {
    Memory(Bytes),
    File(std::sync::Arc<tikal_store::IncomingFile>),
}

impl UploadData {
    pub fn len(&self) -> u64 {
        match self {
            UploadData::Memory(b) => b.len() as u64,
            UploadData::File(f) => f.size(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Vec<u8>> for UploadData {
    fn from(v: Vec<u8>) -> Self {
        UploadData::Memory(v.into())
    }
}

#[derive(Debug, Clone)]
pub struct OpenTicket {
    /// Ignored for a requester opening their own ticket (it is theirs).
    pub requester_email: Option<EmailAddress>,
    pub requester_name: Option<PersonName>,
    pub subject: Subject,
    pub body: String,
    pub channel: Channel,
    pub help_topic_id: Option<HelpTopicId>,
    pub department_id: Option<DepartmentId>,
    pub priority: Option<Priority>,
    pub impact_urgency: Option<(Impact, Urgency)>,
    pub kind: Option<TicketType>,
    pub custom_fields: BTreeMap<String, FieldInput>,
    pub attachments: Vec<Upload>,
    /// The address the report was sent to (e-mail only), for routing rules.
    pub recipient: Option<EmailAddress>,
}

#[derive(Debug, Clone)]
pub struct PostMessage {
    pub kind: EntryKind,
    pub body: String,
    pub attachments: Vec<Upload>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolutionAction {
    Approve,
    Return,
    Confirm,
    Reject,
}

#[derive(Debug, Clone, Default)]
pub struct TicketQuery {
    /// Any of these statuses (by key) ...
    pub statuses: Vec<StatusKey>,
    /// ... or any status of these categories; both empty: every status.
    pub states: Vec<StateCategory>,
    pub department: Option<DepartmentId>,
    pub requester_email: Option<EmailAddress>,
    pub priority: Option<Priority>,
    pub owner: Option<AgentId>,
    pub help_topic: Option<HelpTopicId>,
    /// Words to find in the ticket (subject and messages; staff: notes too), a ticket number,
    /// or (staff) a requester's e-mail address.
    pub text: Option<String>,
    /// Cursor: the last ticket of the previous page.
    pub after: Option<TicketId>,
    pub oldest_first: bool,
    /// A requester asks for their organisation's tickets (where the portal allows it).
    pub organisation: bool,
    pub limit: u64,
    /// An agent's queue (staff only): its filters narrow the ones above, and its sort replaces
    /// the id order; paged by `cursor` instead of `after` (`queues.rs`).
    pub queue: Option<tikal_core::queue::QueueFilter>,
    pub cursor: Option<tikal_core::queue::Cursor>,
}

/// One page of a list, newest first (or in the queue's sort); `next` (id order) or `cursor`
/// (a queue) continues it.
#[derive(Debug, Clone)]
pub struct Listing {
    pub tickets: Vec<Ticket>,
    pub next: Option<TicketId>,
    pub cursor: Option<tikal_core::queue::Cursor>,
}

pub(crate) const STALE_RETRIES: usize = 3;

fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control() && !tikal_core::values::is_bidi_control(*c)).take(200).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if clean.is_empty() { "adjunto".to_string() } else { clean }
}

fn valid_content_type(ct: &str) -> bool {
    let ct = ct.trim();
    match ct.split_once('/') {
        Some((a, b)) => {
            !a.is_empty() && !b.is_empty() && ct.len() <= 100 && ct.bytes().all(|c| c.is_ascii_graphic() && c != b'"' && c != b'\\')
        }
        None => false,
    }
}

impl Desk {
    pub(crate) async fn store_uploads(&self, uploads: Vec<Upload>) -> Result<Vec<NewAttachment>> {
        let settings = self.settings().await?;
        let limit = settings.max_attachment_bytes();
        if uploads.len() > settings.max_attachments as usize {
            return Err(DomainError::invalid("attachments", format!("at most {} files per message", settings.max_attachments)).into());
        }
        // Check them all before storing any.
        for u in &uploads {
            if u.data.len() > limit {
                return Err(ServiceError::TooLarge { what: format!("attachment `{}`", sanitize_filename(&u.filename)), limit });
            }
            if !valid_content_type(&u.content_type) {
                return Err(ServiceError::Unsupported(format!("content type of `{}` is not valid", sanitize_filename(&u.filename))));
            }
            if u.data.is_empty() {
                return Err(DomainError::invalid("attachments", format!("`{}` is empty", sanitize_filename(&u.filename))).into());
            }
        }
        let mut out = Vec::with_capacity(uploads.len());
        for u in uploads {
            let blob = match &u.data {
                UploadData::Memory(b) => self.store.blobs().put(b.clone()).await?,
                UploadData::File(f) => self.store.blobs().put_incoming(f).await?,
            };
            out.push(NewAttachment {
                filename: sanitize_filename(&u.filename),
                content_type: u.content_type.trim().to_ascii_lowercase(),
                blob,
            });
        }
        Ok(out)
    }

    pub(crate) fn resolve_department(
        &self,
        catalog: &Catalog,
        explicit: Option<DepartmentId>,
        topic: Option<&HelpTopic>,
    ) -> Result<DepartmentId> {
        if let Some(id) = explicit {
            return catalog.department(id).map(|d| d.id).ok_or_else(|| DomainError::invalid("department_id", Reason::NotFound).into());
        }
        if let Some(id) = topic.and_then(|t| t.department_id) {
            return Ok(id);
        }
        let all = &catalog.departments;
        let by_name = self.config.default_department.as_deref().and_then(|n| all.iter().find(|d| d.name == n));
        by_name
            .or_else(|| all.iter().min_by_key(|d| d.id))
            .map(|d| d.id)
            .ok_or_else(|| ServiceError::Conflict("no department is configured yet".into()))
    }

    /// Opens a ticket for someone without an account (the portal's guest form), when the
    /// organisation allows it. The requester is found or created by the address they give.
    pub async fn open_guest_ticket(&self, cmd: OpenTicket) -> Result<(Ticket, Requester)> {
        if !self.settings().await?.guests_may_open {
            return Err(ServiceError::Forbidden);
        }
        if cmd.requester_email.is_none() {
            return Err(DomainError::invalid("email", Reason::Required).into());
        }
        self.opened(self.open(&Principal::System, cmd, false, Via::default()).await?)
    }

    /// Opens a ticket from any channel. Returns the ticket and its requester (found or created
    /// by e-mail).
    #[instrument(skip_all, fields(channel = %cmd.channel), err(level = "debug"))]
    pub async fn open_ticket(&self, by: &Principal, cmd: OpenTicket) -> Result<(Ticket, Requester)> {
        self.opened(self.open(by, cmd, true, Via::default()).await?)
    }

    /// Opens a ticket exactly once per `Idempotency-Key`: the key is recorded in the ticket's
    /// transaction, and a key already used answers what its first request did (`Earlier`).
    #[instrument(skip_all, fields(channel = %cmd.channel), err(level = "debug"))]
    pub async fn open_ticket_once(&self, by: &Principal, cmd: OpenTicket, claim: IdempotencyClaim) -> Result<Created> {
        self.open(by, cmd, true, Via { claim: Some(claim), ..Via::default() }).await
    }

    fn opened(&self, c: Created) -> Result<(Ticket, Requester)> {
        match c {
            Created::New(t, r) => Ok((t, r)),
            Created::Earlier(_) => Err(ServiceError::Conflict("an earlier request opened this ticket".into())),
        }
    }

    /// `on_behalf`: staff registering a report (a phone call, an API client) is recorded as who
    /// opened it; otherwise the requester is.
    pub(crate) async fn open(&self, by: &Principal, cmd: OpenTicket, on_behalf: bool, via: Via) -> Result<Created> {
        let catalog = self.catalog().await?;
        // Requesters (the portal, a guest, a ticket link) fill the requester's form; staff
        // registering a report fill the agents' (see `tikal_core::catalog::RequiredFor`).
        let audience = match by {
            Principal::Requester { .. } | Principal::TicketLink { .. } => Audience::Requester,
            _ if !on_behalf => Audience::Requester,
            _ => Audience::Staff,
        };
        let topic = match cmd.help_topic_id {
            Some(id) => Some(
                catalog
                    .topic(id)
                    .filter(|t| catalog.offered(t, audience))
                    .ok_or(DomainError::invalid("help_topic_id", Reason::NotFound))?,
            ),
            None => None,
        };
        let department_id = self.resolve_department(&catalog, cmd.department_id, topic)?;
        self.allow(by, Action::Create, &Scope::department(department_id))?;
        let (email, name) = match by {
            Principal::Requester { id, .. } => {
                let me = self.store.requesters_by_ids(&[*id]).await?.pop().ok_or(ServiceError::NotFound("requester"))?;
                (me.email, me.name)
            }
            _ => {
                let email = cmd.requester_email.ok_or(DomainError::invalid("email", Reason::Required))?;
                let name = cmd.requester_name.unwrap_or_else(|| PersonName::from_email(&email));
                (email, name)
            }
        };
        let defaults = TopicDefaults {
            id: topic.map(|t| t.id),
            priority: topic.and_then(|t| t.default_priority),
            kind: topic.and_then(|t| t.default_type),
        };
        let requested = Requested { priority: cmd.priority, impact_urgency: cmd.impact_urgency, kind: cmd.kind };
        let custom_fields = fields::validate(&catalog.fields_for(topic, audience), cmd.custom_fields)?;
        if let Some(kind) = cmd.kind
            && catalog.ticket_types.iter().any(|t| t.kind == kind && !t.active)
        {
            return Err(DomainError::invalid("type", "is no longer offered").into());
        }
        let matrix = self.priority_matrix(&catalog);
        let rules = OpeningRules { matrix: &matrix, sla: &self.config.sla };
        let mut opening =
            Opening::decide(cmd.subject, cmd.channel, department_id, defaults, requested, custom_fields, rules, tikal_store::now())?;
        let body = parse_body(&cmd.body)?;
        // Routing rules, once, for every channel (`rules.rs`).
        let autoreply = self.route(&catalog, &mut opening, &email, cmd.recipient.as_ref(), &body).await?;
        self.clock_opening(&catalog, &mut opening);
        let attachments = self.store_uploads(cmd.attachments).await?;
        let opened_by = match by {
            Principal::Requester { .. } | Principal::TicketLink { .. } => None,
            _ if !on_behalf => None,
            staff => Some((staff.author(), staff.name().to_string())),
        };
        // Who is told by mail (`tikal_core::notice`), queued with the ticket.
        let notices: Vec<NewJob> = notice::opening_notices(autoreply && !via.no_autoreply, opening.owner_id, &by.author());
        let new = NewTicket { opening, requester_email: email, requester_name: name, body, opened_by, attachments, mail: via.mail };
        let format = self.settings().await?.number_format();
        let created = self.store.create_ticket_once(new, &format, &notices, via.claim).await?;
        match created {
            Created::New(ticket, requester) => {
                tracing::info!(number = %ticket.number, "ticket opened");
                // The department's automatic assignment, once the ticket is saved (routing
                // rules may have given it an owner already: then nothing changes).
                let ticket = if ticket.owner_id.is_none() { self.assign_after(ticket).await } else { ticket };
                Ok(Created::New(ticket, requester))
            }
            earlier => Ok(earlier),
        }
    }

    /// The one authorization rule (`tikal_core::authz`), answered as the service answers:
    /// what the caller may not see is "not found", what they may see but not do is forbidden.
    pub fn allow(&self, by: &Principal, action: Action, scope: &Scope) -> Result<()> {
        let rules = PortalRules { organisation_tickets: self.settings_now().organisation_tickets };
        authz::authorize(by.actor(), action, scope, rules).map_err(|d| match d {
            Denied::Hidden => ServiceError::NotFound("ticket"),
            Denied::Forbidden => ServiceError::Forbidden,
        })
    }

    /// The facts the rule needs about `t`: the organisation of its requester is looked up only
    /// for a requester who may see their organisation's tickets and is not this one's requester.
    async fn scope(&self, by: &Principal, t: &Ticket) -> Result<Scope> {
        let scope = Scope::of(t);
        let organisation_tickets = self.settings().await?.organisation_tickets;
        match by {
            Principal::Requester { id, organisation: Some(_), .. } if *id != t.requester_id && organisation_tickets => {
                let owner = self.store.requesters_by_ids(&[t.requester_id]).await?;
                Ok(scope.with_organisation(owner.first().and_then(|r| r.organisation_id)))
            }
            _ => Ok(scope),
        }
    }

    /// The ticket and its scope, if the caller may see it; otherwise "not found".
    pub(crate) async fn visible(&self, by: &Principal, number: &TicketNumber) -> Result<(Ticket, Scope)> {
        let t = self.store.ticket_by_number(number).await?.ok_or(ServiceError::NotFound("ticket"))?;
        let scope = self.scope(by, &t).await?;
        self.allow(by, Action::View, &scope)?;
        Ok((t, scope))
    }

    /// The ticket, if the caller may see it; otherwise "not found" (no probing of numbers).
    pub async fn ticket(&self, by: &Principal, number: &TicketNumber) -> Result<Ticket> {
        Ok(self.visible(by, number).await?.0)
    }

    /// The thread as the caller may see it: requesters never see internal notes or internal
    /// events.
    pub async fn thread(&self, by: &Principal, number: &TicketNumber) -> Result<(Ticket, Vec<ThreadEntry>, Vec<AttachmentMeta>)> {
        let (t, scope) = self.visible(by, number).await?;
        let internal = self.allow(by, Action::ViewInternal, &scope).is_ok();
        // Tickets merged into this one show their conversation here too (ADR 010).
        let (mut entries, mut attachments) = self.combined_thread(&t, internal).await?;
        if !internal {
            entries = entries.into_iter().filter(ThreadEntry::is_public).map(ThreadEntry::for_requester).collect();
            attachments.retain(|a| a.entry_id.is_none_or(|e| entries.iter().any(|x| x.id == e)));
        }
        Ok((t, entries, attachments))
    }

    pub async fn attachment(&self, by: &Principal, number: &TicketNumber, id: AttachmentId) -> Result<(AttachmentMeta, Bytes)> {
        let (_, _, visible) = self.thread(by, number).await?;
        let meta = visible.into_iter().find(|a| a.id == id).ok_or(ServiceError::NotFound("attachment"))?;
        let data = self.store.blob(&meta).await?;
        Ok((meta, data))
    }

    /// The store filter for what `by` asks and may see; `None` when nothing can match.
    pub(crate) async fn filter_for(&self, by: &Principal, q: &TicketQuery) -> Result<Option<TicketFilter>> {
        let mut requester_organisation = None;
        let organisation_tickets = self.settings().await?.organisation_tickets;
        let requester = match (by, &q.requester_email) {
            (Principal::Requester { organisation: Some(org), .. }, _) if q.organisation && organisation_tickets => {
                requester_organisation = Some(*org);
                None
            }
            (Principal::Requester { id, .. } | Principal::TicketLink { requester: id, .. }, _) => Some(*id),
            (_, Some(email)) => match self.store.requester_by_email(email).await? {
                Some(r) => Some(r.id),
                None => return Ok(None),
            },
            _ => None,
        };
        let departments = match by {
            Principal::Agent { access, .. } => access.visible_departments(),
            _ => None,
        };
        // A status-check link shows its one ticket only.
        let only = match by {
            Principal::TicketLink { ticket, .. } => Some(*ticket),
            _ => None,
        };
        let statuses = if q.statuses.is_empty() && q.states.is_empty() {
            Vec::new()
        } else {
            let catalog = self.catalog().await?;
            let mut all = catalog.statuses_in(&q.states);
            for key in &q.statuses {
                let def = catalog.status(key.as_str()).ok_or(DomainError::invalid("status", Reason::NotFound))?;
                all.push(def.status.clone());
            }
            if all.is_empty() {
                return Ok(None);
            }
            all
        };
        let filter = TicketFilter {
            departments,
            only,
            statuses,
            department: q.department,
            requester,
            requester_organisation,
            priority: q.priority,
            owner: q.owner,
            help_topic: q.help_topic,
            text: q.text.clone(),
            search_internal: by.is_staff(),
            after: q.after,
            oldest_first: q.oldest_first,
            ..Default::default()
        };
        self.with_queue(by, q, filter).await
    }

    pub async fn list_tickets(&self, by: &Principal, q: TicketQuery) -> Result<Listing> {
        let limit = q.limit.clamp(1, 200);
        let Some(filter) = self.filter_for(by, &q).await? else {
            return Ok(Listing { tickets: Vec::new(), next: None, cursor: None });
        };
        let mut tickets = self.store.list_tickets(&filter, limit + 1).await?;
        let next = if tickets.len() as u64 > limit {
            tickets.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            tickets.last()
        } else {
            None
        };
        let cursor = next.zip(filter.sort).map(|(t, sort)| tikal_core::queue::Cursor::after(sort, t));
        Ok(Listing { next: next.map(|t| t.id), cursor, tickets })
    }

    /// How many tickets match (the tab counts of a requester's list).
    pub async fn count_tickets(&self, by: &Principal, q: &TicketQuery) -> Result<u64> {
        match self.filter_for(by, q).await? {
            Some(f) => Ok(self.store.count_matching(&f).await?),
            None => Ok(0),
        }
    }

    /// Reads the ticket, lets `f` change it, and saves the change with its events; retried when
    /// someone else saved the ticket in between (optimistic concurrency on the ticket's
    /// `version`, which every save increments).
    pub(crate) async fn change<F>(&self, by: &Principal, number: &TicketNumber, f: F) -> Result<(Ticket, Option<EntryId>)>
    where
        F: Fn(&mut Ticket, &Scope, chrono::DateTime<chrono::Utc>) -> Result<Change>,
    {
        for _ in 0..STALE_RETRIES {
            let (mut t, scope) = self.visible(by, number).await?;
            let before = t.clone();
            let now = tikal_store::now().max(t.updated_at);
            let mut c = f(&mut t, &scope, now)?;
            c.actor_name = by.name().to_string();
            t.updated_at = now;
            self.clock_change(&before, &mut t, now).await?;
            match self.store.save_ticket_change(&mut t, &c).await {
                Ok(entry) => return Ok((t, entry)),
                Err(tikal_store::StoreError::Stale) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict("the ticket is being changed by someone else; try again".into()))
    }

    /// A reply, an internal note (staff) or a requester's message, with attachments.
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn post_message(&self, by: &Principal, number: &TicketNumber, msg: PostMessage) -> Result<EntryId> {
        self.post_message_seen(by, number, msg, None).await
    }

    /// Like `post_message`, refused with `DomainError::ThreadChanged` when the thread has an
    /// entry newer than `last_seen` (the newest entry the writer's page showed).
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn post_message_seen(
        &self,
        by: &Principal,
        number: &TicketNumber,
        msg: PostMessage,
        last_seen: Option<EntryId>,
    ) -> Result<EntryId> {
        // Staff only: the newest entry may be an internal note a requester must not learn about.
        let last_seen = last_seen.filter(|_| by.is_staff());
        let seen_version = match last_seen {
            Some(seen) => Some(self.check_seen(by, number, seen).await?),
            None => None,
        };
        let result = self.post_unchecked(by, number, msg, seen_version, None).await;
        match (result, last_seen) {
            // Something was written between the check and the save: say what is newest now.
            (Err(ServiceError::Domain(DomainError::ThreadChanged { .. })), Some(seen)) => {
                Err(self.check_seen(by, number, seen).await.err().unwrap_or(DomainError::ThreadChanged { latest: seen.get() }.into()))
            }
            (other, _) => other,
        }
    }

    pub(crate) async fn post_unchecked(
        &self,
        by: &Principal,
        number: &TicketNumber,
        msg: PostMessage,
        seen_version: Option<u64>,
        mail: Option<MailOrigin>,
    ) -> Result<EntryId> {
        self.post_as(by, number, msg, seen_version, mail, None).await
    }

    /// Like `post_unchecked`; with `written_by`, the entry is that person's (the intake posts a
    /// copied requester's mail as theirs, with the system's rights to write it).
    pub(crate) async fn post_as(
        &self,
        by: &Principal,
        number: &TicketNumber,
        msg: PostMessage,
        seen_version: Option<u64>,
        mail: Option<MailOrigin>,
        written_by: Option<(Author, String)>,
    ) -> Result<EntryId> {
        let body = parse_body(&msg.body)?;
        let kind = match (by, msg.kind) {
            (Principal::Requester { .. } | Principal::TicketLink { .. }, _) => EntryKind::Message,
            (_, EntryKind::Event) => return Err(DomainError::invalid("kind", "must be reply or note").into()),
            (_, k) => k,
        };
        // Whether the caller may see the ticket, before any file is stored for it.
        if !msg.attachments.is_empty() {
            self.ticket(by, number).await?;
        }
        let attachments = self.store_uploads(msg.attachments).await?;
        let policy = self.resolution_policy().await?;
        let (author, author_name) = written_by.unwrap_or_else(|| (by.author(), by.name().to_string()));
        let (_, entry) = self
            .change(by, number, |t, scope, now| {
                if seen_version.is_some_and(|v| v != t.version) {
                    return Err(DomainError::ThreadChanged { latest: 0 }.into());
                }
                let events = match kind {
                    EntryKind::Reply => {
                        self.allow(by, Action::Reply, scope)?;
                        t.record_agent_reply(&author, now, &policy)
                    }
                    EntryKind::Note => {
                        self.allow(by, Action::Note, scope)?;
                        Vec::new()
                    }
                    _ => {
                        self.allow(by, Action::RequesterMessage, scope)?;
                        t.record_requester_message(&author, now, &policy)?
                    }
                };
                // The entry's notice, and those of what it changed (a reply that reopens...).
                let mut jobs: Vec<NewJob> = notice::entry_notice(kind).into_iter().collect();
                jobs.extend(notice::change_notices(&events, t, &author));
                let entry = NewEntry {
                    kind,
                    author: author.clone(),
                    author_name: Some(author_name.clone()),
                    body: body.clone(),
                    attachments: attachments.clone(),
                };
                Ok(Change { events, entry: Some(entry), jobs, mail: mail.clone(), ..Default::default() })
            })
            .await?;
        entry.ok_or(ServiceError::NotFound("entry"))
    }

    /// Changes properties and/or status. Each part needs its own permission.
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn update_ticket(&self, by: &Principal, number: &TicketNumber, update: TicketUpdate) -> Result<Ticket> {
        self.check_references(&update).await?;
        let catalog = self.catalog().await?;
        let matrix = &self.priority_matrix(&catalog);
        let (t, _) = self
            .change(by, number, |t, scope, now| {
                let policy = self.policy_for(&catalog, t.department_id);
                for action in update.actions(t) {
                    self.allow(by, action, scope)?;
                }
                let events = t.apply(update.clone(), &by.author(), now, &policy, matrix)?;
                let jobs = notice::change_notices(&events, t, &by.author());
                Ok(Change { events, entry: None, jobs, ..Default::default() })
            })
            .await?;
        // Moved to another department without naming its owner: that department's automatic
        // assignment applies.
        if update.department_id.is_some() && update.owner_id.is_none() {
            return Ok(self.assign_after(t).await);
        }
        Ok(t)
    }

    /// The departments, agents and topics an update names must exist.
    async fn check_references(&self, u: &TicketUpdate) -> Result<()> {
        let catalog = self.catalog().await?;
        if let Some(target) = u.department_id
            && catalog.department(target).is_none()
        {
            return Err(DomainError::invalid("department_id", Reason::NotFound).into());
        }
        for agent in [u.owner_id.flatten(), u.responsible_id.flatten()].into_iter().flatten() {
            if self.store.agent(agent).await?.is_none_or(|a| !a.active) {
                return Err(DomainError::invalid("owner", "is not an active agent").into());
            }
        }
        if let Some(topic) = u.help_topic_id.flatten()
            && catalog.topic(topic).is_none()
        {
            return Err(DomainError::invalid("help_topic_id", Reason::NotFound).into());
        }
        if let Some(status) = &u.status {
            match catalog.status(status.as_str()) {
                Some(d) if d.active && d.status == *status => {}
                Some(d) if d.status == *status => {
                    return Err(DomainError::invalid("status", "is retired and can no longer be chosen").into());
                }
                _ => return Err(DomainError::invalid("status", Reason::NotFound).into()),
            }
        }
        Ok(())
    }

    /// Supervisor approval/return, requester confirmation/rejection of a resolution.
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn resolution(&self, by: &Principal, number: &TicketNumber, action: ResolutionAction, reason: &str) -> Result<Ticket> {
        let author = by.author();
        let catalog = self.catalog().await?;
        let (t, _) = self
            .change(by, number, |t, scope, now| {
                let policy = self.policy_for(&catalog, t.department_id);
                let events = match action {
                    ResolutionAction::Approve | ResolutionAction::Return => {
                        self.allow(by, Action::ReviewResolution, scope)?;
                        if action == ResolutionAction::Approve {
                            t.approve(&author, now, &policy)?
                        } else {
                            t.return_resolution(reason, &author, now, &policy)?
                        }
                    }
                    _ => {
                        // Only the ticket's requester answers for the solution (not staff, not a
                        // colleague of the organisation).
                        self.allow(by, Action::AnswerResolution, scope)?;
                        if action == ResolutionAction::Confirm {
                            t.confirm_resolution(&author, now, &policy)?
                        } else {
                            t.reject_resolution(reason, &author, now, &policy)?
                        }
                    }
                };
                // An approval that closes the ticket sends the survey; one awaiting the
                // requester's confirmation asks for it (`tikal_core::notice`).
                let jobs = notice::change_notices(&events, t, &author);
                Ok(Change { events, entry: None, jobs, ..Default::default() })
            })
            .await?;
        Ok(t)
    }

    /// Logs time worked on a ticket.
    pub async fn log_time(&self, by: &Principal, number: &TicketNumber, minutes: u32, note: Option<String>) -> Result<Ticket> {
        let agent = match by {
            Principal::Agent { id, .. } => Some(*id),
            _ => None,
        };
        let (t, _) = self
            .change(by, number, |t, scope, now| {
                self.allow(by, Action::LogTime, scope)?;
                let event = t.log_time(minutes, &by.author(), now)?;
                Ok(Change {
                    events: vec![event],
                    entry: None,
                    logged: Some(TimeLog { minutes, agent, note: note.clone() }),
                    jobs: Vec::new(),
                    ..Default::default()
                })
            })
            .await?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_made_safe() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\Users\\ana\\foto.png"), "foto.png");
        assert_eq!(sanitize_filename(".htaccess"), "htaccess");
        assert_eq!(sanitize_filename("\u{0}"), "adjunto");
        assert_eq!(sanitize_filename("factura\u{202E}fdp.exe"), "facturafdp.exe", "no right-to-left override");
        assert_eq!(sanitize_filename("\u{2066}a\u{2069}\u{200E}.txt"), "a.txt");
    }

    #[test]
    fn content_types() {
        assert!(valid_content_type("image/png"));
        assert!(valid_content_type("application/vnd.ms-excel"));
        assert!(!valid_content_type("png"));
        assert!(!valid_content_type("text/html\r\nX-Evil: 1"));
    }
}
