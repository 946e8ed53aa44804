//! The agent's ticket desk: transfer with a reason, escalation to the next level, resolving
//! with a solution and the supervisors' review queue, merging and linking tickets,
//! collaborators, time entries, history, presence (collision notices) and canned responses.
//! Every use case asks `tikal_core::authz` through `Desk::allow`.

use chrono::{DateTime, Utc};
use tikal_core::authz::{self, Action, Scope};
use tikal_core::desk::{
    self as rules, Activity, CannedOwner, CannedText, Collaborator, DepartmentRules, LinkKind, StoredLink, collaborator_event, link_events,
};
use tikal_core::notice;
use tikal_core::org::{Agent, Requester};
use tikal_core::*;
use tikal_store::{AttachmentMeta, CannedFilter, CannedRow, DeskWrite, SolutionRow, TicketChange as Change, TimeEntryRow};
use tracing::instrument;

use crate::tickets::STALE_RETRIES;
use crate::{Catalog, Desk, Listing, Principal, Result, ServiceError};

/// A link as the desk shows it: the other ticket (when the caller may see it) and the kind
/// seen from this ticket.
#[derive(Debug, Clone)]
pub struct LinkedTicket {
    pub kind: LinkKind,
    pub ticket: Ticket,
}

/// A collaborator with the name and address to show.
#[derive(Debug, Clone)]
pub struct CollaboratorView {
    /// Row id, for removing.
    pub id: i64,
    pub who: Collaborator,
    pub name: String,
    pub email: String,
}

/// The time of a ticket: estimate, total and each entry with who logged it.
#[derive(Debug, Clone)]
pub struct TimeSheet {
    pub estimate_minutes: Option<u32>,
    pub spent_minutes: u32,
    pub entries: Vec<(TimeEntryRow, Option<String>)>,
}

/// An agent on a ticket now (seen within `PRESENCE_TTL`).
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceView {
    pub agent: AgentId,
    pub name: String,
    pub activity: Activity,
    pub seen_at: DateTime<Utc>,
}

/// What the agent may do on a ticket, for the desk page's buttons (each from the one rule).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeskActions {
    pub reply: bool,
    pub note: bool,
    pub edit: bool,
    pub assign: bool,
    pub transfer: bool,
    /// Transfer is allowed and the department names a next level.
    pub escalate: bool,
    pub resolve: bool,
    pub review: bool,
    pub merge: bool,
    pub link: bool,
    pub collaborate: bool,
    pub log_time: bool,
}

/// Everything the ticket desk page shows, read with one visibility check.
#[derive(Debug, Clone)]
pub struct TicketDesk {
    pub ticket: Ticket,
    pub requester: Option<Requester>,
    /// The combined thread (with tickets merged into this one), oldest first.
    pub entries: Vec<ThreadEntry>,
    pub attachments: Vec<AttachmentMeta>,
    /// The newest entry: send it back as `last_seen` with a reply (collision check).
    pub latest_entry: Option<EntryId>,
    pub solution: Option<SolutionRow>,
    pub merged_into: Option<TicketNumber>,
    pub links: Vec<LinkedTicket>,
    pub collaborators: Vec<CollaboratorView>,
    pub time: TimeSheet,
    /// Agents on the ticket in the last minute, the caller included.
    pub presence: Vec<PresenceView>,
    pub rules: DepartmentRules,
    pub may: DeskActions,
    /// Tags (set by routing rules).
    pub tags: Vec<String>,
    /// The entries that came in by mail (their original can be downloaded).
    pub by_mail: std::collections::HashSet<EntryId>,
    /// When mail to the requester last bounced, and why.
    pub requester_bounce: Option<(chrono::DateTime<chrono::Utc>, Option<String>)>,
}

/// The variables a canned response may use, documented for the people who write them.
pub const CANNED_VARIABLES: &[&str] =
    &["requester_name", "requester_email", "ticket_number", "subject", "agent_name", "department", "status"];

/// Work a template may do before it is stopped (minijinja's fuel).
const CANNED_FUEL: u64 = 20_000;

fn agent_of(by: &Principal) -> Option<AgentId> {
    match by {
        Principal::Agent { id, .. } => Some(*id),
        _ => None,
    }
}

/// Renders a canned response's body with `vars`: sandboxed (no file or network access; fuel
/// bounds the work), plain text, and an unknown variable is an error, not an empty string.
fn render_template(body: &str, vars: &[(&str, String)]) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_fuel(Some(CANNED_FUEL));
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let bad = |e: minijinja::Error| DomainError::invalid("body", format!("template: {}", e.detail().unwrap_or(&e.kind().to_string())));
    let template = env.template_from_str(body).map_err(bad)?;
    let ctx: std::collections::BTreeMap<&str, &str> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = template.render(ctx).map_err(bad)?;
    tikal_core::values::parse_body(&out).map_err(|_| DomainError::invalid("body", "the rendered text is empty or too long").into())
}

/// Checks a canned body as it is saved: it must render with sample values of every variable.
fn validate_template(body: &str) -> Result<()> {
    let sample: Vec<(&str, String)> = CANNED_VARIABLES.iter().map(|v| (*v, format!("<{v}>"))).collect();
    render_template(body, &sample).map(|_| ())
}

/// How long a node's record of an agent's presence on a ticket stands before it writes again
/// (well within `PRESENCE_TTL`, and under the desk's 20-second presence poll).
const PRESENCE_REFRESH: std::time::Duration = std::time::Duration::from_secs(15);

impl Desk {
    /// The resolution policy in effect in a department (its own review rule, else the desk's).
    pub(crate) fn policy_for(&self, catalog: &Catalog, department: DepartmentId) -> ResolutionPolicy {
        let policy = ResolutionPolicy { reopen_window_days: self.settings_now().reopen_window_days, ..self.config.resolution };
        self.rules_of(catalog, department).policy(policy)
    }

    pub(crate) fn rules_of(&self, catalog: &Catalog, department: DepartmentId) -> DepartmentRules {
        catalog.department_rules.iter().find(|(d, _)| *d == department).map(|(_, r)| *r).unwrap_or_default()
    }

    /// A department's desk rules (next level, review of resolutions).
    pub async fn department_rules(&self, department: DepartmentId) -> Result<DepartmentRules> {
        let catalog = self.catalog().await?;
        catalog.department(department).ok_or(ServiceError::NotFound("department"))?;
        Ok(self.rules_of(&catalog, department))
    }

    /// Like `change`, with a desk write in the same transaction.
    async fn change_with<F>(&self, by: &Principal, number: &TicketNumber, f: F) -> Result<Ticket>
    where
        F: Fn(&mut Ticket, &Scope, DateTime<Utc>) -> Result<(Change, DeskWrite)>,
    {
        for _ in 0..STALE_RETRIES {
            let (mut t, scope) = self.visible(by, number).await?;
            let now = tikal_store::now().max(t.updated_at);
            let (mut c, write) = f(&mut t, &scope, now)?;
            c.actor_name = by.name().to_string();
            t.updated_at = now;
            let mut changes = [(t, c)];
            match self.store.save_desk_change(&mut changes, &write).await {
                Ok(()) => {
                    let [(t, _)] = changes;
                    return Ok(t);
                }
                Err(tikal_store::StoreError::Stale) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict("the ticket is being changed by someone else; try again".into()))
    }

    /// Changes two tickets together (merge, link): both must be visible; `f` decides both.
    async fn change_two<F>(&self, by: &Principal, a: &TicketNumber, b: &TicketNumber, f: F) -> Result<(Ticket, Ticket)>
    where
        F: Fn(&mut Ticket, &Scope, &mut Ticket, &Scope, DateTime<Utc>) -> Result<(Change, Change, DeskWrite)>,
    {
        if a == b {
            return Err(DomainError::SameTicket.into());
        }
        for _ in 0..STALE_RETRIES {
            let (mut ta, sa) = self.visible(by, a).await?;
            let (mut tb, sb) = self.visible(by, b).await?;
            let now = tikal_store::now().max(ta.updated_at).max(tb.updated_at);
            let (mut ca, mut cb, write) = f(&mut ta, &sa, &mut tb, &sb, now)?;
            ca.actor_name = by.name().to_string();
            cb.actor_name = by.name().to_string();
            ta.updated_at = now;
            tb.updated_at = now;
            let mut changes = [(ta, ca), (tb, cb)];
            match self.store.save_desk_change(&mut changes, &write).await {
                Ok(()) => {
                    let [(ta, _), (tb, _)] = changes;
                    return Ok((ta, tb));
                }
                Err(tikal_store::StoreError::Stale) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict("the tickets are being changed by someone else; try again".into()))
    }

    /// Moves the ticket to another department with a reason (required), kept on the
    /// `transferred` event.
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn transfer(&self, by: &Principal, number: &TicketNumber, to: DepartmentId, reason: &str) -> Result<Ticket> {
        let catalog = self.catalog().await?;
        if catalog.department(to).is_none() {
            return Err(DomainError::invalid("department_id", Reason::NotFound).into());
        }
        let (t, _) = self
            .change(by, number, |t, scope, now| {
                self.allow(by, Action::Transfer, scope)?;
                let events = t.transfer(to, reason, false, &by.author(), now)?;
                let jobs = notice::change_notices(&events, t, &by.author());
                Ok(Change { events, jobs, ..Default::default() })
            })
            .await?;
        Ok(self.assign_after(t).await)
    }

    /// Moves the ticket to its department's next level with a reason: an `escalated` event.
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn escalate(&self, by: &Principal, number: &TicketNumber, reason: &str) -> Result<Ticket> {
        let catalog = self.catalog().await?;
        let (t, _) = self
            .change(by, number, |t, scope, now| {
                self.allow(by, Action::Escalate, scope)?;
                let next = self.rules_of(&catalog, t.department_id).next_level.ok_or(DomainError::NoNextLevel)?;
                let events = t.transfer(next, reason, true, &by.author(), now)?;
                let jobs = notice::change_notices(&events, t, &by.author());
                Ok(Change { events, jobs, ..Default::default() })
            })
            .await?;
        Ok(self.assign_after(t).await)
    }

    /// Resolves the ticket with its solution (required), to `status` (a resolved status;
    /// `resolved` when `None`). Where the department's resolutions need review, the ticket then
    /// waits in the supervisors' review queue.
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn resolve(&self, by: &Principal, number: &TicketNumber, solution: &str, status: Option<&StatusKey>) -> Result<Ticket> {
        let to = match status {
            Some(key) => self.status_to_choose(key.as_str()).await?,
            None => Status::RESOLVED,
        };
        let catalog = self.catalog().await?;
        self.change_with(by, number, |t, scope, now| {
            self.allow(by, Action::SetStatus { from: t.status.category(), to: to.category() }, scope)?;
            let policy = self.policy_for(&catalog, t.department_id);
            let (body, events) = t.resolve(to.clone(), solution, &by.author(), now, &policy)?;
            let write = DeskWrite::Solution { ticket: t.id, body, author: by.author(), author_name: by.name().to_string() };
            let jobs = notice::change_notices(&events, t, &by.author());
            Ok((Change { events, jobs, ..Default::default() }, write))
        })
        .await
    }

    /// The whole desk page of a ticket for staff (one visibility check, then each part).
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn ticket_desk(&self, by: &Principal, number: &TicketNumber) -> Result<TicketDesk> {
        let (t, scope) = self.visible(by, number).await?;
        self.allow(by, Action::ViewInternal, &scope)?;
        let catalog = self.catalog().await?;
        let rules = self.rules_of(&catalog, t.department_id);
        let ok = |a: Action| self.allow(by, a, &scope).is_ok();
        let resolved = StateCategory::Resolved;
        let may = DeskActions {
            reply: ok(Action::Reply),
            note: ok(Action::Note),
            edit: ok(Action::Edit),
            assign: ok(Action::Assign),
            transfer: ok(Action::Transfer),
            escalate: ok(Action::Escalate) && rules.next_level.is_some(),
            resolve: t.status.category() != resolved && ok(Action::SetStatus { from: t.status.category(), to: resolved }),
            review: t.status.category() == resolved && !t.resolution_approved && ok(Action::ReviewResolution),
            merge: ok(Action::Merge),
            link: ok(Action::Link),
            collaborate: ok(Action::Collaborate),
            log_time: ok(Action::LogTime),
        };
        let (entries, attachments) = self.combined_thread(&t, true).await?;
        let messages: Vec<EntryId> =
            entries.iter().filter(|e| matches!(e.kind, EntryKind::Message | EntryKind::Reply)).map(|e| e.id).collect();
        Ok(TicketDesk {
            by_mail: self.store.entries_by_mail(&messages).await?,
            requester_bounce: self.store.requester_bounce(t.requester_id).await?,
            requester: self.store.requesters_by_ids(&[t.requester_id]).await?.pop(),
            latest_entry: entries.last().map(|e| e.id),
            solution: self.store.solution(t.id).await?,
            merged_into: self.merged_into_of(by, &t).await?,
            links: self.links_of(by, &t).await?,
            collaborators: self.collaborators_of(&t).await?,
            time: self.time_sheet_of(&t).await?,
            presence: self.presence_of(&t).await?,
            tags: self.store.ticket_tags(&[t.id]).await?.remove(&t.id).unwrap_or_default(),
            entries,
            attachments,
            rules,
            may,
            ticket: t,
        })
    }

    /// The recorded solution, for whoever may see the ticket (the requester too).
    pub async fn solution(&self, by: &Principal, number: &TicketNumber) -> Result<Option<SolutionRow>> {
        let (t, _) = self.visible(by, number).await?;
        Ok(self.store.solution(t.id).await?)
    }

    /// Resolved tickets waiting for a supervisor, in the departments where `by` may approve.
    pub async fn review_queue(&self, by: &Principal, cursor: Option<tikal_core::queue::Cursor>, limit: u64) -> Result<Listing> {
        // The same list as the queue's "Pendientes de revisión" view: empty for someone who may
        // approve nowhere.
        self.queue(by, tikal_core::queue::BuiltinView::AwaitingReview.filter(), cursor, limit).await
    }

    /// Merges `merged` into `survivor`: the merged ticket closes and points to the survivor,
    /// whose thread shows the merged one's messages, replies, notes and attachments from then
    /// on (ADR 010). Both must be in departments where `by` may merge. Returns the survivor.
    #[instrument(skip_all, fields(ticket = %merged, into = %survivor), err(level = "debug"))]
    pub async fn merge(&self, by: &Principal, merged: &TicketNumber, survivor: &TicketNumber) -> Result<Ticket> {
        let catalog = self.catalog().await?;
        // Whether either side was merged already (checked again by the merge row's key).
        for n in [merged, survivor] {
            let (t, _) = self.visible(by, n).await?;
            if self.store.merged_into(t.id).await?.is_some() {
                return Err(DomainError::AlreadyMerged.into());
            }
        }
        let (_, s) = self
            .change_two(by, merged, survivor, |m, ms, s, ss, now| {
                self.allow(by, Action::Merge, ms)?;
                self.allow(by, Action::Merge, ss)?;
                let policy = self.policy_for(&catalog, m.department_id);
                let (mine, theirs) = m.merge_into(s, &by.author(), now, &policy)?;
                let write = DeskWrite::Merge { merged: m.id, survivor: s.id };
                // A merge closes the merged ticket quietly (`tikal_core::notice`).
                let ch = |events: Vec<TicketEvent>, t: &Ticket| {
                    let jobs = notice::change_notices(&events, t, &by.author());
                    Change { events, jobs, ..Default::default() }
                };
                Ok((ch(mine, m), ch(theirs, s), write))
            })
            .await
            .map_err(|e| match e {
                ServiceError::Conflict(_) => DomainError::AlreadyMerged.into(),
                other => other,
            })?;
        Ok(s)
    }

    /// The ticket this one was merged into, if it was and the caller may see it.
    pub async fn merged_into(&self, by: &Principal, number: &TicketNumber) -> Result<Option<TicketNumber>> {
        let (t, _) = self.visible(by, number).await?;
        self.merged_into_of(by, &t).await
    }

    async fn merged_into_of(&self, by: &Principal, t: &Ticket) -> Result<Option<TicketNumber>> {
        let Some(id) = self.store.merged_into(t.id).await? else { return Ok(None) };
        let Some(survivor) = self.store.ticket_by_id(id).await? else { return Ok(None) };
        Ok(self.ticket(by, &survivor.number).await.ok().map(|s| s.number))
    }

    /// The thread of `t` with the conversation of the tickets merged into it. For a caller
    /// without internal access, only merged tickets of the same requester take part.
    pub(crate) async fn combined_thread(&self, t: &Ticket, internal: bool) -> Result<(Vec<ThreadEntry>, Vec<AttachmentMeta>)> {
        let mut merged = self.store.merged_from(t.id).await?;
        if !internal && !merged.is_empty() {
            let mut same = Vec::new();
            for id in merged {
                if self.store.ticket_by_id(id).await?.is_some_and(|m| m.requester_id == t.requester_id) {
                    same.push(id);
                }
            }
            merged = same;
        }
        if merged.is_empty() {
            return Ok((self.store.thread(t.id).await?, self.store.attachments(t.id).await?));
        }
        Ok((self.store.merged_thread(t.id, &merged).await?, self.store.merged_attachments(t.id, &merged).await?))
    }

    /// The newest entry of the ticket's combined thread, and its version now: the collision
    /// check before a reply or note (`post_message_seen`).
    pub(crate) async fn check_seen(&self, by: &Principal, number: &TicketNumber, seen: EntryId) -> Result<u64> {
        let (t, _) = self.visible(by, number).await?;
        let mut ids = self.store.merged_from(t.id).await?;
        ids.push(t.id);
        rules::check_seen(Some(seen), self.store.latest_entry(&ids).await?)?;
        Ok(t.version)
    }

    /// Links two tickets ("`number` is `kind` `other`"); once per pair, never to itself.
    #[instrument(skip_all, fields(ticket = %number, other = %other), err(level = "debug"))]
    pub async fn link(&self, by: &Principal, number: &TicketNumber, other: &TicketNumber, kind: LinkKind) -> Result<()> {
        let (a, _) = self.visible(by, number).await?;
        let (b, _) = self.visible(by, other).await?;
        let stored = StoredLink::new(a.id, b.id, kind)?;
        if self.store.links(a.id).await?.iter().any(|l| l.low == stored.low && l.high == stored.high) {
            return Err(DomainError::AlreadyLinked.into());
        }
        self.change_two(by, number, other, |a, sa, b, sb, now| {
            self.allow(by, Action::Link, sa)?;
            self.allow(by, Action::Link, sb)?;
            let (mine, theirs) = link_events((a, kind), b, true, &by.author(), now);
            Ok((
                Change { events: vec![mine], ..Default::default() },
                Change { events: vec![theirs], ..Default::default() },
                DeskWrite::Link(stored),
            ))
        })
        .await
        .map_err(|e| match e {
            ServiceError::Conflict(_) => DomainError::AlreadyLinked.into(),
            other => other,
        })?;
        Ok(())
    }

    /// Removes the link between two tickets.
    pub async fn unlink(&self, by: &Principal, number: &TicketNumber, other: &TicketNumber) -> Result<()> {
        let (a, _) = self.visible(by, number).await?;
        let (b, _) = self.visible(by, other).await?;
        let existing =
            self.store.links(a.id).await?.into_iter().find(|l| l.seen_from(a.id).0 == b.id).ok_or(ServiceError::NotFound("link"))?;
        let kind = existing.seen_from(a.id).1;
        self.change_two(by, number, other, |a, sa, b, sb, now| {
            self.allow(by, Action::Link, sa)?;
            self.allow(by, Action::Link, sb)?;
            let (mine, theirs) = link_events((a, kind), b, false, &by.author(), now);
            Ok((
                Change { events: vec![mine], ..Default::default() },
                Change { events: vec![theirs], ..Default::default() },
                DeskWrite::Unlink(existing),
            ))
        })
        .await?;
        Ok(())
    }

    /// The ticket's links, both directions, to the tickets the caller may see.
    pub async fn links(&self, by: &Principal, number: &TicketNumber) -> Result<Vec<LinkedTicket>> {
        let (t, _) = self.visible(by, number).await?;
        self.links_of(by, &t).await
    }

    async fn links_of(&self, by: &Principal, t: &Ticket) -> Result<Vec<LinkedTicket>> {
        let mut out = Vec::new();
        for l in self.store.links(t.id).await? {
            let (other, kind) = l.seen_from(t.id);
            if let Some(o) = self.store.ticket_by_id(other).await?
                && let Ok(ticket) = self.ticket(by, &o.number).await
            {
                out.push(LinkedTicket { kind, ticket });
            }
        }
        Ok(out)
    }

    /// Adds a collaborator: an active agent, or a requester copied on the ticket.
    #[instrument(skip_all, fields(ticket = %number), err(level = "debug"))]
    pub async fn add_collaborator(&self, by: &Principal, number: &TicketNumber, who: Collaborator) -> Result<()> {
        match who {
            Collaborator::Agent(a) => {
                if self.store.agent(a).await?.is_none_or(|a| !a.active) {
                    return Err(DomainError::invalid("agent_id", "is not an active agent").into());
                }
            }
            Collaborator::Requester(r) => {
                if self.store.requesters_by_ids(&[r]).await?.is_empty() {
                    return Err(DomainError::invalid("requester_id", Reason::NotFound).into());
                }
            }
        }
        let (t, _) = self.visible(by, number).await?;
        if self.store.collaborators(t.id).await?.iter().any(|(_, c)| *c == who) {
            return Err(ServiceError::Conflict("already a collaborator".into()));
        }
        self.change_with(by, number, |t, scope, now| {
            self.allow(by, Action::Collaborate, scope)?;
            let events = vec![collaborator_event(who, true, &by.author(), now)];
            Ok((Change { events, ..Default::default() }, DeskWrite::AddCollaborator { ticket: t.id, who }))
        })
        .await
        .map(|_| ())
    }

    /// Copies a requester on the ticket by address, registering the address if it is new.
    pub async fn add_cc(
        &self,
        by: &Principal,
        number: &TicketNumber,
        email: &EmailAddress,
        name: Option<PersonName>,
    ) -> Result<Collaborator> {
        let (_, scope) = self.visible(by, number).await?;
        self.allow(by, Action::Collaborate, &scope)?;
        let name = name.unwrap_or_else(|| PersonName::from_email(email));
        let who = Collaborator::Requester(self.store.ensure_requester(email, &name, tikal_store::now()).await?);
        self.add_collaborator(by, number, who).await?;
        Ok(who)
    }

    pub async fn remove_collaborator(&self, by: &Principal, number: &TicketNumber, who: Collaborator) -> Result<()> {
        let (t, _) = self.visible(by, number).await?;
        if !self.store.collaborators(t.id).await?.iter().any(|(_, c)| *c == who) {
            return Err(ServiceError::NotFound("collaborator"));
        }
        self.change_with(by, number, |t, scope, now| {
            self.allow(by, Action::Collaborate, scope)?;
            let events = vec![collaborator_event(who, false, &by.author(), now)];
            Ok((Change { events, ..Default::default() }, DeskWrite::RemoveCollaborator { ticket: t.id, who }))
        })
        .await
        .map(|_| ())
    }

    /// The collaborators with their names (staff only).
    pub async fn collaborators(&self, by: &Principal, number: &TicketNumber) -> Result<Vec<CollaboratorView>> {
        let (t, scope) = self.visible(by, number).await?;
        self.allow(by, Action::ViewInternal, &scope)?;
        self.collaborators_of(&t).await
    }

    async fn collaborators_of(&self, t: &Ticket) -> Result<Vec<CollaboratorView>> {
        let mut out = Vec::new();
        for (id, who) in self.store.collaborators(t.id).await? {
            let (name, email) = match who {
                Collaborator::Agent(a) => match self.store.agent(a).await? {
                    Some(Agent { name, email, .. }) => (name.as_str().to_string(), email.as_str().to_string()),
                    None => continue,
                },
                Collaborator::Requester(r) => match self.store.requesters_by_ids(&[r]).await?.pop() {
                    Some(Requester { name, email, .. }) => (name.as_str().to_string(), email.as_str().to_string()),
                    None => continue,
                },
            };
            out.push(CollaboratorView { id, who, name, email });
        }
        Ok(out)
    }

    /// The estimate, the time logged and every entry (who, when, how long, note).
    pub async fn time_sheet(&self, by: &Principal, number: &TicketNumber) -> Result<TimeSheet> {
        let (t, scope) = self.visible(by, number).await?;
        self.allow(by, Action::ViewInternal, &scope)?;
        self.time_sheet_of(&t).await
    }

    async fn time_sheet_of(&self, t: &Ticket) -> Result<TimeSheet> {
        let rows = self.store.time_entries(t.id).await?;
        let mut entries = Vec::with_capacity(rows.len());
        let mut names: Vec<(AgentId, Option<String>)> = Vec::new();
        for row in rows {
            let name = match row.agent {
                Some(a) => match names.iter().find(|(id, _)| *id == a) {
                    Some((_, n)) => n.clone(),
                    None => {
                        let n = self.store.agent(a).await?.map(|x| x.name.as_str().to_string());
                        names.push((a, n.clone()));
                        n
                    }
                },
                None => None,
            };
            entries.push((row, name));
        }
        Ok(TimeSheet { estimate_minutes: t.time_estimate_minutes, spent_minutes: t.time_spent_minutes, entries })
    }

    /// Every recorded change (who, when, before, after, reason), oldest first, as the caller may
    /// see them.
    pub async fn history(&self, by: &Principal, number: &TicketNumber) -> Result<Vec<ThreadEntry>> {
        let (t, scope) = self.visible(by, number).await?;
        let internal = self.allow(by, Action::ViewInternal, &scope).is_ok();
        let events = self.store.thread(t.id).await?.into_iter().filter(|e| e.kind == EntryKind::Event);
        Ok(if internal { events.collect() } else { events.filter(ThreadEntry::is_public).map(ThreadEntry::for_requester).collect() })
    }

    /// Says that this agent is viewing or replying to the ticket now (the page repeats it while
    /// open). Kept in the database, so every node sees it.
    ///
    /// A node records the same agent, ticket and activity at most every `PRESENCE_REFRESH`
    /// (a change of activity is recorded at once; with several nodes, what one node shows may
    /// lag another's write by that long):
    /// presence lasts a minute, so a page reloaded sooner needs no durable write (on SQLite
    /// each is an fsync, which made the desk page's slowest loads under load).
    pub async fn touch_presence(&self, by: &Principal, number: &TicketNumber, activity: Activity) -> Result<()> {
        let agent = agent_of(by).ok_or(ServiceError::Forbidden)?;
        let key = (agent, number.to_string());
        let fresh = |at: &std::time::Instant| at.elapsed() < PRESENCE_REFRESH;
        if self.caches.presence.lock().is_ok_and(|m| m.get(&key).is_some_and(|(a, at)| *a == activity && fresh(at))) {
            return Ok(());
        }
        let (t, _) = self.visible(by, number).await?;
        self.store.touch_presence(t.id, agent, activity, tikal_store::now()).await?;
        if let Ok(mut m) = self.caches.presence.lock() {
            // Bounded: entries past their use go once the map grows.
            if m.len() >= 10_000 {
                m.retain(|_, (_, at)| fresh(at));
            }
            m.insert(key, (activity, std::time::Instant::now()));
        }
        Ok(())
    }

    /// The agents on the ticket within the last minute, the most recent first (the caller
    /// included; the page leaves itself out).
    pub async fn presence(&self, by: &Principal, number: &TicketNumber) -> Result<Vec<PresenceView>> {
        let (t, scope) = self.visible(by, number).await?;
        self.allow(by, Action::ViewInternal, &scope)?;
        self.presence_of(&t).await
    }

    async fn presence_of(&self, t: &Ticket) -> Result<Vec<PresenceView>> {
        let now = tikal_store::now();
        let mut out = Vec::new();
        for (agent, activity, seen_at) in self.store.presence(t.id, now - rules::PRESENCE_TTL).await? {
            let name = self.store.agent(agent).await?.map(|a| a.name.as_str().to_string()).unwrap_or_default();
            out.push(PresenceView { agent, name, activity, seen_at });
        }
        Ok(out)
    }

    fn canned_filter(by: &Principal) -> Result<CannedFilter> {
        match by {
            Principal::Agent { id, access, .. } => {
                Ok(CannedFilter { all: false, agent: Some(*id), departments: access.visible_departments() })
            }
            Principal::ApiKey { .. } | Principal::System => Ok(CannedFilter { all: true, ..Default::default() }),
            _ => Err(ServiceError::Forbidden),
        }
    }

    /// The canned responses `by` may use: their own, the desk's and their departments'.
    pub async fn canned_responses(&self, by: &Principal) -> Result<Vec<CannedRow>> {
        Ok(self.store.canned_list(&Self::canned_filter(by)?).await?)
    }

    /// One canned response, if `by` may see it.
    pub async fn canned_response(&self, by: &Principal, id: i64) -> Result<CannedRow> {
        Self::canned_filter(by)?;
        let row = self.store.canned(id).await?.ok_or(ServiceError::NotFound("canned response"))?;
        if !rules::may_see_canned(by.actor(), agent_of(by), row.owner) {
            return Err(ServiceError::NotFound("canned response"));
        }
        Ok(row)
    }

    fn manage_canned(&self, by: &Principal, owner: CannedOwner) -> Result<()> {
        rules::may_manage_canned(by.actor(), agent_of(by), owner).map_err(|d| match d {
            authz::Denied::Hidden => ServiceError::NotFound("canned response"),
            authz::Denied::Forbidden => ServiceError::Forbidden,
        })
    }

    /// Saves a new canned response. The body is a template: it must render with the variables
    /// of `CANNED_VARIABLES` (checked now, not when an agent uses it).
    pub async fn create_canned(&self, by: &Principal, owner: CannedOwner, title: &str, body: &str) -> Result<CannedRow> {
        self.manage_canned(by, owner)?;
        let text = CannedText::parse(title, body)?;
        validate_template(&text.body)?;
        Ok(self.store.create_canned(owner, &text, tikal_store::now()).await?)
    }

    /// Changes a canned response (and who owns it: both the old and new owner must allow it).
    pub async fn update_canned(&self, by: &Principal, id: i64, owner: CannedOwner, title: &str, body: &str) -> Result<CannedRow> {
        let current = self.canned_response(by, id).await?;
        self.manage_canned(by, current.owner)?;
        self.manage_canned(by, owner)?;
        let text = CannedText::parse(title, body)?;
        validate_template(&text.body)?;
        Ok(self.store.update_canned(id, owner, &text, tikal_store::now()).await?)
    }

    pub async fn delete_canned(&self, by: &Principal, id: i64) -> Result<()> {
        let current = self.canned_response(by, id).await?;
        self.manage_canned(by, current.owner)?;
        self.store.delete_canned(id).await?;
        Ok(())
    }

    /// A canned response filled in for a ticket: the requester's name and address, the ticket's
    /// number, subject, department and status, and the agent's name.
    pub async fn render_canned(&self, by: &Principal, id: i64, number: &TicketNumber, lang: &str) -> Result<String> {
        let row = self.canned_response(by, id).await?;
        let (t, scope) = self.visible(by, number).await?;
        self.allow(by, Action::Reply, &scope)?;
        let requester = self.store.requesters_by_ids(&[t.requester_id]).await?.pop();
        let catalog = self.catalog().await?;
        let department = catalog.department(t.department_id).map(|d| d.name.clone()).unwrap_or_default();
        let status = catalog.status(t.status.as_str()).map_or_else(|| t.status.to_string(), |d| d.name(lang).to_string());
        let vars = [
            ("requester_name", requester.as_ref().map(|r| r.name.as_str().to_string()).unwrap_or_default()),
            ("requester_email", requester.as_ref().map(|r| r.email.as_str().to_string()).unwrap_or_default()),
            ("ticket_number", t.number.to_string()),
            ("subject", t.subject.as_str().to_string()),
            ("agent_name", by.name().to_string()),
            ("department", department),
            ("status", status),
        ];
        render_template(&row.text.body, &vars)
    }

    /// Creates an API key that acts as this agent, with the agent's rights (not full access).
    /// The key is shown once.
    pub async fn create_agent_api_key(&self, agent: AgentId, name: &str) -> Result<String> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(DomainError::invalid("name", "must be 1-100 characters").into());
        }
        if self.store.agent(agent).await?.is_none_or(|a| !a.active) {
            return Err(DomainError::invalid("agent", "is not an active agent").into());
        }
        let (key, hash) = crate::auth::new_api_key();
        self.store.create_agent_api_key(agent, name, &hash, tikal_store::now()).await?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<(&'static str, String)> {
        vec![("requester_name", "Ana Pérez".into()), ("ticket_number", "000042".into())]
    }

    #[test]
    fn canned_templates_fill_variables_and_stop_runaways() {
        let out = render_template("Estimada {{ requester_name }}: su ticket {{ ticket_number }} está listo.", &vars()).expect("render");
        assert_eq!(out, "Estimada Ana Pérez: su ticket 000042 está listo.");
        assert_eq!(render_template("<b>{{ requester_name }}</b>", &vars()).expect("plain text"), "<b>Ana Pérez</b>", "not escaped");
        assert!(render_template("{{ unknown_variable }}", &vars()).is_err(), "unknown variables are errors");
        assert!(
            render_template("{% for x in range(100000) %}{% for y in range(100000) %}.{% endfor %}{% endfor %}", &vars()).is_err(),
            "fuel runs out"
        );
        assert!(render_template("{{ requester_name", &vars()).is_err(), "syntax");
        assert!(render_template("{% include 'x' %}", &vars()).is_err(), "no templates to load");
        assert!(validate_template("Hola {{ requester_name }}, {{ agent_name }} ({{ department }}, {{ status }}, {{ subject }})").is_ok());
        assert!(validate_template("{{ password }}").is_err());
    }
}
