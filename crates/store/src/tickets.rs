//! Tickets, their thread and attachments. A change and the events it causes are committed in
//! one transaction, together with the jobs (outbox) that notify about it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait,
};
use tikal_core::*;

use crate::convert::{micros, opt_time, time};
use crate::entity::{attachment, requester, thread_entry, ticket, time_entry};
use crate::jobs::{NewJob, insert_jobs};
use crate::{BlobStore, Result, Store, StoreError, StoredBlob};

/// What the desk knows when a ticket is opened; the store adds the requester (found or
/// created by e-mail), the number and the ids.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// The ticket's properties as core decided them.
    pub opening: Opening,
    pub requester_email: EmailAddress,
    pub requester_name: PersonName,
    /// The requester's first message.
    pub body: String,
    /// Who registered it, when not the requester (an operator taking a phone call, an API key).
    pub opened_by: Option<(Author, String)>,
    pub attachments: Vec<NewAttachment>,
    /// The e-mail it was opened by: marked imported in the ticket's transaction.
    pub mail: Option<crate::MailOrigin>,
}

#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub author: Author,
    pub author_name: Option<String>,
    pub body: String,
    pub attachments: Vec<NewAttachment>,
}

/// What one change of a ticket writes besides the ticket row.
#[derive(Debug, Clone, Default)]
pub struct TicketChange {
    pub events: Vec<TicketEvent>,
    /// Display name of whoever made the change, kept on its events.
    pub actor_name: String,
    pub entry: Option<NewEntry>,
    pub logged: Option<TimeLog>,
    pub jobs: Vec<NewJob>,
    /// The e-mail the entry came in: marked imported in the change's transaction.
    pub mail: Option<crate::MailOrigin>,
    /// SLA thresholds this change fires (the sweeper's): recorded in its transaction, where
    /// the key on ticket, target and threshold refuses a second firing.
    pub firings: Vec<tikal_core::escalation::Firing>,
    /// An automatic round-robin assignment's move of its department's cursor.
    pub cursor: Option<crate::CursorMove>,
    /// The time rule (id) this change applies: its firing on the ticket is recorded once.
    pub time_rule: Option<i64>,
    /// The requester is reminded by this change (marked until the status changes).
    pub reminded: bool,
}

#[derive(Debug, Clone)]
pub struct TimeLog {
    pub minutes: u32,
    pub agent: Option<AgentId>,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub blob: StoredBlob,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentMeta {
    pub id: AttachmentId,
    pub ticket_id: TicketId,
    pub entry_id: Option<EntryId>,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// Filters of a ticket list. `departments` restricts to what the caller may see.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub departments: Option<Vec<DepartmentId>>,
    /// Only this ticket (a session opened by a status-check link).
    pub only: Option<TicketId>,
    pub statuses: Vec<Status>,
    pub department: Option<DepartmentId>,
    pub requester: Option<RequesterId>,
    /// Tickets of everyone in this organisation.
    pub requester_organisation: Option<OrganisationId>,
    pub priority: Option<Priority>,
    pub owner: Option<AgentId>,
    pub help_topic: Option<HelpTopicId>,
    /// Words to find (full-text, `crate::search`), a ticket number or (staff) a requester's
    /// address.
    pub text: Option<String>,
    /// `text` also finds words of internal notes and requesters' addresses (staff only).
    pub search_internal: bool,
    /// `text` as the store decided to ask for it (`Store::resolve_text`; set by the store).
    pub resolved_text: Option<crate::search::ResolvedText>,
    /// Keyset cursor: only tickets after this one in the list's order.
    pub after: Option<TicketId>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
    /// Queue filters (`queues.rs`): any of these priorities, types, channels.
    pub priorities: Vec<Priority>,
    pub types: Vec<TicketType>,
    pub channels: Vec<Channel>,
    /// Only tickets nobody owns.
    pub unassigned: bool,
    /// `[from, to)` of the creation and last-change times.
    pub created: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    pub updated: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    /// Active tickets in this due state.
    pub due: Option<tikal_core::queue::DueWindow>,
    /// Resolved tickets not approved yet.
    pub awaiting_review: bool,
    /// A queue's sort, paged by `cursor`; `None`: id order, paged by `after`.
    pub sort: Option<tikal_core::queue::QueueSort>,
    pub cursor: Option<tikal_core::queue::Cursor>,
}

pub(crate) fn to_ticket(m: ticket::Model, statuses: &HashMap<String, Status>) -> Result<Ticket> {
    let small = |v: Option<i16>| v.map(|x| u8::try_from(x).unwrap_or(0));
    Ok(Ticket {
        id: TicketId(m.id),
        number: TicketNumber::parse(&m.number)?,
        subject: Subject::parse(&m.subject)?,
        requester_id: RequesterId(m.requester_id),
        channel: m.channel.parse()?,
        help_topic_id: m.help_topic_id.map(HelpTopicId),
        kind: m.kind.parse()?,
        department_id: DepartmentId(m.department_id),
        priority: Priority::try_from(i64::from(m.priority))?,
        impact: small(m.impact).map(Impact::try_from).transpose()?,
        urgency: small(m.urgency).map(Urgency::try_from).transpose()?,
        status: statuses.get(&m.status).cloned().ok_or_else(|| StoreError::Corrupt(format!("unknown status `{}`", m.status)))?,
        owner_id: m.owner_id.map(AgentId),
        responsible_id: m.responsible_id.map(AgentId),
        team_id: m.team_id.map(TeamId),
        custom_fields: serde_json::from_str(&m.custom_fields).map_err(|e| StoreError::Corrupt(format!("custom fields: {e}")))?,
        time_estimate_minutes: m.time_estimate_minutes.map(|v| u32::try_from(v).unwrap_or(0)),
        time_spent_minutes: u32::try_from(m.time_spent_minutes).unwrap_or(0),
        response_due_at: opt_time(m.response_due_at)?,
        resolution_due_at: opt_time(m.resolution_due_at)?,
        first_response_at: opt_time(m.first_response_at)?,
        resolution_approved: m.resolution_approved,
        resolution_confirmed: m.resolution_confirmed,
        resolved_at: opt_time(m.resolved_at)?,
        closed_at: opt_time(m.closed_at)?,
        sla_next_at: opt_time(m.sla_next_at)?,
        overdue: m.overdue,
        created_at: time(m.created_at)?,
        updated_at: time(m.updated_at)?,
        version: u64::try_from(m.version).map_err(|_| StoreError::Corrupt(format!("ticket version {}", m.version)))?,
    })
}

pub(crate) fn to_entry(m: thread_entry::Model) -> Result<ThreadEntry> {
    Ok(ThreadEntry {
        id: EntryId(m.id),
        kind: m.kind.parse()?,
        author: Author::from_parts(&m.author_kind, m.author_id)?,
        author_name: m.author_name,
        body: m.body,
        event: m.event_kind.as_deref().map(str::parse).transpose()?,
        before: m.before_value,
        after: m.after_value,
        reason: m.reason,
        created_at: time(m.created_at)?,
    })
}

pub(crate) fn to_attachment(m: attachment::Model) -> AttachmentMeta {
    AttachmentMeta {
        id: AttachmentId(m.id),
        ticket_id: TicketId(m.ticket_id),
        entry_id: m.entry_id.map(EntryId),
        filename: m.filename,
        content_type: m.content_type,
        size: u64::try_from(m.size).unwrap_or(0),
        sha256: m.sha256,
        created_at: time_or_epoch(m.created_at),
    }
}

fn time_or_epoch(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// The mutable columns of a ticket, for inserts and updates alike.
pub(crate) fn mutable_columns(t: &Ticket, am: &mut ticket::ActiveModel) -> Result<()> {
    am.subject = Set(t.subject.as_str().to_string());
    am.help_topic_id = Set(t.help_topic_id.map(HelpTopicId::get));
    am.kind = Set(t.kind.as_str().to_string());
    am.department_id = Set(t.department_id.get());
    am.priority = Set(i16::from(t.priority.level()));
    am.impact = Set(t.impact.map(|i| i16::from(i.level())));
    am.urgency = Set(t.urgency.map(|u| i16::from(u.level())));
    am.status = Set(t.status.as_str().to_string());
    am.owner_id = Set(t.owner_id.map(AgentId::get));
    am.responsible_id = Set(t.responsible_id.map(AgentId::get));
    am.team_id = Set(t.team_id.map(TeamId::get));
    am.custom_fields = Set(serde_json::to_string(&t.custom_fields).map_err(|e| StoreError::Corrupt(e.to_string()))?);
    am.time_estimate_minutes = Set(t.time_estimate_minutes.map(|m| i32::try_from(m).unwrap_or(i32::MAX)));
    am.time_spent_minutes = Set(i32::try_from(t.time_spent_minutes).unwrap_or(i32::MAX));
    am.response_due_at = Set(t.response_due_at.map(micros));
    am.resolution_due_at = Set(t.resolution_due_at.map(micros));
    am.first_response_at = Set(t.first_response_at.map(micros));
    am.resolution_approved = Set(t.resolution_approved);
    am.resolution_confirmed = Set(t.resolution_confirmed);
    am.resolved_at = Set(t.resolved_at.map(micros));
    am.closed_at = Set(t.closed_at.map(micros));
    am.sla_next_at = Set(t.sla_next_at.map(micros));
    am.overdue = Set(t.overdue);
    am.updated_at = Set(micros(t.updated_at));
    Ok(())
}

pub(crate) fn entry_row(
    ticket_id: TicketId,
    kind: EntryKind,
    author: &Author,
    author_name: Option<String>,
    at: DateTime<Utc>,
) -> thread_entry::ActiveModel {
    thread_entry::ActiveModel {
        id: NotSet,
        ticket_id: Set(ticket_id.get()),
        kind: Set(kind.as_str().to_string()),
        author_kind: Set(author.kind().to_string()),
        author_id: Set(author.id()),
        author_name: Set(author_name),
        body: Set(None),
        event_kind: Set(None),
        before_value: Set(None),
        after_value: Set(None),
        reason: Set(None),
        created_at: Set(micros(at)),
    }
}

pub(crate) fn event_row(ticket_id: TicketId, e: &TicketEvent, author_name: Option<&str>) -> thread_entry::ActiveModel {
    let mut row = entry_row(ticket_id, EntryKind::Event, &e.by, author_name.map(str::to_string), e.at);
    row.event_kind = Set(Some(e.kind.as_str().to_string()));
    row.before_value = Set(e.before.clone());
    row.after_value = Set(e.after.clone());
    row.reason = Set(e.reason.clone());
    row
}

async fn insert_events(txn: &DatabaseTransaction, ticket_id: TicketId, events: &[TicketEvent], author_name: Option<&str>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    thread_entry::Entity::insert_many(events.iter().map(|e| event_row(ticket_id, e, author_name))).exec_without_returning(txn).await?;
    Ok(())
}

async fn insert_entry(txn: &DatabaseTransaction, ticket_id: TicketId, entry: &NewEntry, at: DateTime<Utc>) -> Result<EntryId> {
    let mut row = entry_row(ticket_id, entry.kind, &entry.author, entry.author_name.clone(), at);
    row.body = Set(Some(entry.body.clone()));
    let id = thread_entry::Entity::insert(row).exec(txn).await?.last_insert_id;
    insert_attachments(txn, ticket_id, Some(EntryId(id)), &entry.attachments, at).await?;
    Ok(EntryId(id))
}

pub(crate) async fn insert_attachments(
    txn: &DatabaseTransaction,
    ticket_id: TicketId,
    entry: Option<EntryId>,
    list: &[NewAttachment],
    at: DateTime<Utc>,
) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let rows = list.iter().map(|a| attachment::ActiveModel {
        id: NotSet,
        ticket_id: Set(ticket_id.get()),
        entry_id: Set(entry.map(EntryId::get)),
        filename: Set(a.filename.clone()),
        content_type: Set(a.content_type.clone()),
        size: Set(i64::try_from(a.blob.size).unwrap_or(i64::MAX)),
        sha256: Set(a.blob.sha256.clone()),
        created_at: Set(micros(at)),
    });
    attachment::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(())
}

/// Writes one ticket change inside `txn`: the ticket row (only if its version is still the one
/// `t` was read at, else `Stale`), the entry, the events, logged time and jobs. The caller
/// commits, then increments `t.version`.
pub(crate) async fn write_change(txn: &DatabaseTransaction, t: &Ticket, change: &TicketChange) -> Result<Option<EntryId>> {
    let read = i64::try_from(t.version).map_err(|_| StoreError::Corrupt(format!("ticket version {}", t.version)))?;
    let mut am = <ticket::ActiveModel as Default>::default();
    mutable_columns(t, &mut am)?;
    am.version = Set(read + 1);
    let res = ticket::Entity::update_many()
        .set(am)
        .filter(ticket::Column::Id.eq(t.id.get()))
        .filter(ticket::Column::Version.eq(read))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Stale);
    }
    let entry_id = match &change.entry {
        Some(e) => Some(insert_entry(txn, t.id, e, t.updated_at).await?),
        None => None,
    };
    insert_events(txn, t.id, &change.events, Some(&change.actor_name)).await?;
    if let Some(TimeLog { minutes, agent, note }) = change.logged.clone() {
        let row = time_entry::ActiveModel {
            id: NotSet,
            ticket_id: Set(t.id.get()),
            agent_id: Set(agent.map(AgentId::get)),
            minutes: Set(i32::try_from(minutes).unwrap_or(i32::MAX)),
            note: Set(note),
            created_at: Set(micros(t.updated_at)),
        };
        time_entry::Entity::insert(row).exec_without_returning(txn).await?;
    }
    insert_jobs(txn, t.id, entry_id, &change.jobs, t.updated_at).await?;
    if let Some(origin) = &change.mail {
        crate::mail_in::write_origin(txn, origin, t.id, entry_id).await?;
    }
    crate::sla::record_firings(txn, t.id, &change.firings, t.updated_at).await?;
    let status_changed = change.events.iter().any(|e| e.kind == EventKind::StatusChanged);
    crate::automation::write_automation(txn, t.id, change, status_changed, t.updated_at).await?;
    crate::search::index_change(txn, t, change).await?;
    Ok(entry_id)
}

impl Store {
    /// Saves a changed ticket with what the change writes besides, and increments its
    /// `version`. `t.version` is the version the change is based on: if someone else saved the
    /// ticket since (whatever the clocks say), nothing is written and the answer is `Stale`.
    pub async fn save_ticket_change(&self, t: &mut Ticket, change: &TicketChange) -> Result<Option<EntryId>> {
        let txn = self.write.begin().await?;
        let entry_id = match write_change(&txn, t, change).await {
            Ok(e) => e,
            Err(e) => {
                txn.rollback().await?;
                return Err(e);
            }
        };
        txn.commit().await?;
        t.version += 1;
        Ok(entry_id)
    }

    pub async fn ticket_by_number(&self, number: &TicketNumber) -> Result<Option<Ticket>> {
        let row = ticket::Entity::find().filter(ticket::Column::Number.eq(number.as_str())).one(&self.read).await?;
        Ok(self.to_tickets(row.into_iter().collect()).await?.pop())
    }

    pub async fn ticket_by_id(&self, id: TicketId) -> Result<Option<Ticket>> {
        let row = ticket::Entity::find_by_id(id.get()).one(&self.read).await?;
        Ok(self.to_tickets(row.into_iter().collect()).await?.pop())
    }

    /// The numbers of these tickets, in one query (ids of tickets that do not exist are left out).
    pub async fn ticket_numbers(&self, ids: &[TicketId]) -> Result<HashMap<TicketId, TicketNumber>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, String)> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .column(ticket::Column::Number)
            .filter(ticket::Column::Id.is_in(ids.iter().map(|t| t.get())))
            .into_tuple()
            .all(&self.read)
            .await?;
        rows.into_iter().map(|(id, n)| Ok((TicketId(id), TicketNumber::parse(&n)?))).collect()
    }

    /// Rows to tickets, with their statuses resolved.
    pub(crate) async fn to_tickets(&self, rows: Vec<ticket::Model>) -> Result<Vec<Ticket>> {
        let statuses = self.status_map(rows.iter().map(|m| m.status.as_str())).await?;
        rows.into_iter().map(|m| to_ticket(m, &statuses)).collect()
    }

    pub(crate) fn filtered(&self, f: &TicketFilter) -> sea_orm::Select<ticket::Entity> {
        let mut q = ticket::Entity::find();
        if let Some(depts) = &f.departments {
            q = q.filter(unless_rows_checked(f, ticket::Column::DepartmentId, depts.iter().map(|d| d.get().into()).collect()));
        }
        if let Some(id) = f.only {
            q = q.filter(ticket::Column::Id.eq(id.get()));
        }
        if !f.statuses.is_empty() {
            q = q.filter(ticket::Column::Status.is_in(f.statuses.iter().map(|s| s.as_str())));
        }
        if let Some(d) = f.department {
            q = q.filter(ticket::Column::DepartmentId.eq(d.get()));
        }
        if let Some(r) = f.requester {
            q = q.filter(ticket::Column::RequesterId.eq(r.get()));
        }
        if let Some(org) = f.requester_organisation {
            let members = Query::select()
                .column(requester::Column::Id)
                .from(requester::Entity)
                .and_where(requester::Column::OrganisationId.eq(org.get()))
                .to_owned();
            q = q.filter(ticket::Column::RequesterId.in_subquery(members));
        }
        if let Some(p) = f.priority {
            q = q.filter(unless_rows_checked(f, ticket::Column::Priority, vec![i16::from(p.level()).into()]));
        }
        if let Some(o) = f.owner {
            q = q.filter(ticket::Column::OwnerId.eq(o.get()));
        }
        if let Some(t) = f.help_topic {
            q = q.filter(ticket::Column::HelpTopicId.eq(t.get()));
        }
        if let Some(r) = &f.resolved_text {
            q = q.filter(crate::search::resolved_condition(r));
        } else if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let scope = if f.search_internal { crate::SearchScope::Staff } else { crate::SearchScope::Requester };
            q = q.filter(crate::search::text_condition(self.read.get_database_backend(), text, scope));
        }
        crate::queues::queue_conditions(q, f)
    }

    /// One page in id order (newest first unless `oldest_first`) or in a queue's sort, keyset-paginated: the cost
    /// depends on the page size, not on the table size.
    pub async fn list_tickets(&self, f: &TicketFilter, limit: u64) -> Result<Vec<Ticket>> {
        let f = &self.resolve_text(f).await?;
        if let Some(sort) = f.sort {
            let rows = self.list_sorted(f, sort, limit).await?;
            return self.to_tickets(rows).await;
        }
        let mut q = self.filtered(f);
        if let Some(after) = f.after {
            q = q.filter(if f.oldest_first { ticket::Column::Id.gt(after.get()) } else { ticket::Column::Id.lt(after.get()) });
        }
        let q = if f.oldest_first { q.order_by_asc(ticket::Column::Id) } else { q.order_by_desc(ticket::Column::Id) };
        let rows = q.limit(limit).all(&self.read).await?;
        self.to_tickets(rows).await
    }

    /// How many tickets match (for tab counts of one requester; not for whole-desk queues).
    pub async fn count_matching(&self, f: &TicketFilter) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        let f = &self.resolve_text(f).await?;
        Ok(self.filtered(f).count(&self.read).await?)
    }

    pub async fn thread(&self, ticket_id: TicketId) -> Result<Vec<ThreadEntry>> {
        thread_entry::Entity::find()
            .filter(thread_entry::Column::TicketId.eq(ticket_id.get()))
            .order_by_asc(thread_entry::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(to_entry)
            .collect()
    }

    pub async fn attachments(&self, ticket_id: TicketId) -> Result<Vec<AttachmentMeta>> {
        Ok(attachment::Entity::find()
            .filter(attachment::Column::TicketId.eq(ticket_id.get()))
            .order_by_asc(attachment::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(to_attachment)
            .collect())
    }

    pub async fn attachment(&self, ticket_id: TicketId, id: AttachmentId) -> Result<Option<AttachmentMeta>> {
        Ok(attachment::Entity::find_by_id(id.get())
            .filter(attachment::Column::TicketId.eq(ticket_id.get()))
            .one(&self.read)
            .await?
            .map(to_attachment))
    }

    pub async fn blob(&self, meta: &AttachmentMeta) -> Result<bytes::Bytes> {
        BlobStore::get(&self.blobs, &meta.sha256).await
    }

    /// Moves a ticket's whole history back in time (demo data with realistic dates): every
    /// timestamp of the ticket, its thread, attachments and time entries shifts by `by`.
    pub async fn shift_ticket_history(&self, id: TicketId, by: chrono::Duration) -> Result<()> {
        let d = by.num_microseconds().unwrap_or(0);
        let shift = |col: ticket::Column| Expr::col(col).sub(d);
        let txn = self.write.begin().await?;
        let mut update = ticket::Entity::update_many().filter(ticket::Column::Id.eq(id.get()));
        for col in [
            ticket::Column::CreatedAt,
            ticket::Column::UpdatedAt,
            ticket::Column::ResponseDueAt,
            ticket::Column::ResolutionDueAt,
            ticket::Column::FirstResponseAt,
            ticket::Column::ResolvedAt,
            ticket::Column::ClosedAt,
            ticket::Column::SlaNextAt,
            ticket::Column::RemindedAt,
        ] {
            update = update.col_expr(col, shift(col));
        }
        update.exec(&txn).await?;
        thread_entry::Entity::update_many()
            .col_expr(thread_entry::Column::CreatedAt, Expr::col(thread_entry::Column::CreatedAt).sub(d))
            .filter(thread_entry::Column::TicketId.eq(id.get()))
            .exec(&txn)
            .await?;
        attachment::Entity::update_many()
            .col_expr(attachment::Column::CreatedAt, Expr::col(attachment::Column::CreatedAt).sub(d))
            .filter(attachment::Column::TicketId.eq(id.get()))
            .exec(&txn)
            .await?;
        time_entry::Entity::update_many()
            .col_expr(time_entry::Column::CreatedAt, Expr::col(time_entry::Column::CreatedAt).sub(d))
            .filter(time_entry::Column::TicketId.eq(id.get()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Number of tickets (for demo seeding and metrics; not on any request path).
    pub async fn count_tickets(&self) -> Result<u64> {
        let backend = self.read.get_database_backend();
        let row = self.read.query_one_raw(Statement::from_string(backend, "SELECT COUNT(*) FROM tickets")).await?;
        Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }
}

/// `column IN (values)`, written `+column IN (..)` when SQLite checks each ticket's terms for
/// the list's words (`ResolvedText::sqlite_checks_rows`): the `+` keeps SQLite from reading
/// that column's index range whole and sorting it, checking every row on the way (2.5 s for
/// six departments at a million tickets); it walks the list's order instead and stops at the
/// page (8 ms).
pub(crate) fn unless_rows_checked(f: &TicketFilter, column: ticket::Column, values: Vec<sea_orm::Value>) -> Expr {
    use sea_orm::IdenStatic;
    if !f.resolved_text.as_ref().is_some_and(crate::search::ResolvedText::sqlite_checks_rows) {
        return column.is_in(values);
    }
    let marks = vec!["?"; values.len()].join(", ");
    Expr::cust_with_values(format!("+{} IN ({marks})", column.as_str()), values)
}
