//! Opening tickets with group commit. Concurrent `create_ticket` calls are queued to one task
//! that writes everything queued at that moment in ONE transaction with multi-row statements:
//! about ten statements for a batch instead of ten per ticket. SQLite has a single writer, so
//! this is what lets it keep up under concurrency; PostgreSQL saves round trips and commits.
//! If a batch fails, its tickets are retried one by one so one bad row fails only its caller.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, NotSet, QueryFilter, Set, Statement,
    TransactionTrait,
};
use tikal_core::org::Requester;
use tikal_core::*;
use tokio::sync::{mpsc, oneshot};

use crate::convert::micros;
use crate::directory::to_requester;
use crate::entity::{job, requester, thread_entry, ticket};
use crate::jobs::NewJob;
use crate::tickets::{NewTicket, entry_row, event_row, insert_attachments, mutable_columns};
use crate::{Result, Store, StoreError};

/// Most tickets written in one transaction (bounded so statements stay far below SQLite's
/// variable limit and one slow batch does not hold many callers).
const MAX_BATCH: usize = 64;

struct Request {
    new: NewTicket,
    format: NumberFormat,
    jobs: Vec<NewJob>,
    reply: oneshot::Sender<Result<(Ticket, Requester)>>,
}

#[derive(Clone)]
pub(crate) struct Creator {
    queue: mpsc::Sender<Request>,
}

impl Creator {
    /// Starts the writer task on the current runtime; it ends when every `Store` is dropped.
    pub(crate) fn start(db: DatabaseConnection) -> Creator {
        let (queue, mut rx) = mpsc::channel::<Request>(1024);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(more) => batch.push(more),
                        Err(_) => break,
                    }
                }
                write_batch(&db, batch).await;
            }
        });
        Creator { queue }
    }
}

async fn write_batch(db: &DatabaseConnection, batch: Vec<Request>) {
    if batch.len() == 1 {
        let mut batch = batch;
        if let Some(r) = batch.pop() {
            let result = insert_all(db, std::slice::from_ref(&r)).await.and_then(|mut v| v.pop().ok_or(StoreError::NotFound("ticket")));
            let _ = r.reply.send(result);
        }
        return;
    }
    match insert_all(db, &batch).await {
        Ok(done) => {
            for (r, t) in batch.into_iter().zip(done) {
                let _ = r.reply.send(Ok(t));
            }
        }
        Err(e) => {
            tracing::debug!(error = %e, size = batch.len(), "batch failed; writing its tickets one by one");
            for r in batch {
                let result = insert_all(db, std::slice::from_ref(&r)).await.and_then(|mut v| v.pop().ok_or(StoreError::NotFound("ticket")));
                let _ = r.reply.send(result);
            }
        }
    }
}

/// Finds or creates the requesters of a batch by address; safe against concurrent inserts.
async fn upsert_requesters(txn: &DatabaseTransaction, batch: &[Request]) -> Result<BTreeMap<String, Requester>> {
    let emails: BTreeSet<&str> = batch.iter().map(|r| r.new.requester_email.as_str()).collect();
    let find = |list: Vec<&str>| requester::Entity::find().filter(requester::Column::Email.is_in(list)).all(txn);
    let mut found: BTreeMap<String, Requester> = BTreeMap::new();
    for m in find(emails.iter().copied().collect()).await? {
        found.insert(m.email.clone(), to_requester(m)?);
    }
    let mut missing: Vec<&Request> = Vec::new();
    for r in batch {
        let email = r.new.requester_email.as_str();
        if !found.contains_key(email) && !missing.iter().any(|m| m.new.requester_email.as_str() == email) {
            missing.push(r);
        }
    }
    if !missing.is_empty() {
        let domains: BTreeSet<String> = missing.iter().map(|r| r.new.requester_email.domain().to_string()).collect();
        let orgs = crate::accounts::organisations_by_domain(txn, domains.into_iter().collect()).await?;
        let rows = missing.iter().map(|r| requester::ActiveModel {
            id: NotSet,
            email: Set(r.new.requester_email.as_str().to_string()),
            name: Set(r.new.requester_name.as_str().to_string()),
            phone: Set(None),
            organisation_id: Set(orgs.get(r.new.requester_email.domain()).copied()),
            language: Set(None),
            password_hash: Set(None),
            created_at: Set(micros(r.new.opening.at)),
            verification_pending: Set(false),
        });
        requester::Entity::insert_many(rows)
            .on_conflict(OnConflict::column(requester::Column::Email).do_nothing().to_owned())
            .exec_without_returning(txn)
            .await?;
        for m in find(missing.iter().map(|r| r.new.requester_email.as_str()).collect()).await? {
            found.insert(m.email.clone(), to_requester(m)?);
        }
    }
    Ok(found)
}

/// `n` new ticket sequence values. The one place numbering differs per database: a sequence on
/// PostgreSQL (never rolled back, shared by all nodes), a counter row on SQLite (single writer).
pub(crate) async fn next_seqs(txn: &DatabaseTransaction, n: usize) -> Result<Vec<i64>> {
    let backend = txn.get_database_backend();
    let count = i64::try_from(n).unwrap_or(i64::MAX);
    match backend {
        DbBackend::Postgres => {
            let stmt = Statement::from_sql_and_values(backend, "SELECT nextval('ticket_seq') FROM generate_series(1, $1)", [count.into()]);
            let rows = txn.query_all_raw(stmt).await?;
            let mut seqs = rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect::<Result<Vec<_>, _>>()?;
            seqs.sort_unstable();
            Ok(seqs)
        }
        _ => {
            let stmt = Statement::from_sql_and_values(
                backend,
                "UPDATE counters SET value = value + $1 WHERE name = 'ticket_seq' RETURNING value",
                [count.into()],
            );
            let last: i64 = txn.query_one_raw(stmt).await?.ok_or(StoreError::NotFound("ticket sequence"))?.try_get_by_index(0)?;
            Ok((last - count + 1..=last).collect())
        }
    }
}

/// Writes a batch in one transaction: requesters, numbers, tickets, first messages,
/// attachments, `created` events and jobs. Returns the tickets in the batch's order.
async fn insert_all(db: &DatabaseConnection, batch: &[Request]) -> Result<Vec<(Ticket, Requester)>> {
    let txn = db.begin().await?;
    let requesters = upsert_requesters(&txn, batch).await?;
    let seqs = next_seqs(&txn, batch.len()).await?;
    let mut tickets = Vec::with_capacity(batch.len());
    let mut rows = Vec::with_capacity(batch.len());
    for (r, seq) in batch.iter().zip(&seqs) {
        let who = requesters.get(r.new.requester_email.as_str()).ok_or(StoreError::NotFound("requester"))?;
        let t = Ticket::open(&r.new.opening, r.format.format(u64::try_from(*seq).unwrap_or(0), r.new.opening.at.year()), who.id);
        let mut am = ticket::ActiveModel {
            id: NotSet,
            number: Set(t.number.as_str().to_string()),
            seq: Set(*seq),
            requester_id: Set(who.id.get()),
            channel: Set(t.channel.as_str().to_string()),
            created_at: Set(micros(t.created_at)),
            ..<ticket::ActiveModel as Default>::default()
        };
        mutable_columns(&t, &mut am)?;
        rows.push(am);
        tickets.push((t, who.clone()));
    }
    let inserted = ticket::Entity::insert_many(rows).exec_with_returning(&txn).await?;
    let ids: BTreeMap<String, i64> = inserted.into_iter().map(|m| (m.number, m.id)).collect();
    for (t, _) in &mut tickets {
        t.id = TicketId(*ids.get(t.number.as_str()).ok_or(StoreError::NotFound("inserted ticket"))?);
    }

    let messages = batch.iter().zip(&tickets).map(|(r, (t, who))| {
        let mut row = entry_row(
            t.id,
            EntryKind::Message,
            &Author::Requester(who.id),
            Some(r.new.requester_name.as_str().to_string()),
            r.new.opening.at,
        );
        row.body = Set(Some(r.new.body.clone()));
        row
    });
    let entries = thread_entry::Entity::insert_many(messages).exec_with_returning(&txn).await?;
    let entry_of: BTreeMap<i64, i64> = entries.iter().map(|e| (e.ticket_id, e.id)).collect();
    let mut events = Vec::with_capacity(batch.len());
    let mut jobs = Vec::new();
    for (r, (t, who)) in batch.iter().zip(&tickets) {
        if !r.new.attachments.is_empty() {
            let entry = entry_of.get(&t.id.get()).copied().map(EntryId);
            insert_attachments(&txn, t.id, entry, &r.new.attachments, r.new.opening.at).await?;
        }
        let (by, by_name) = r.new.opened_by.clone().unwrap_or((Author::Requester(who.id), r.new.requester_name.as_str().to_string()));
        let created = TicketEvent::new(EventKind::Created, &by, r.new.opening.at, None, Some(t.status.to_string()));
        events.push(event_row(t.id, &created, Some(&by_name)));
        for j in &r.jobs {
            jobs.push(crate::jobs::ticket_job(j, t.id, r.new.opening.at));
        }
    }
    thread_entry::Entity::insert_many(events).exec_without_returning(&txn).await?;
    if !jobs.is_empty() {
        job::Entity::insert_many(jobs).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok(tickets)
}

impl Store {
    /// Opens a ticket: requester (found or created by e-mail), number, ticket, first message,
    /// attachments, the `created` event and the notification jobs, all committed together
    /// (with whatever other tickets were being opened at the same moment).
    pub async fn create_ticket(&self, new: NewTicket, format: &NumberFormat, jobs: &[NewJob]) -> Result<(Ticket, Requester)> {
        let (reply, rx) = oneshot::channel();
        let request = Request { new, format: format.clone(), jobs: jobs.to_vec(), reply };
        self.creator.queue.send(request).await.map_err(|_| StoreError::Corrupt("the ticket writer has stopped".into()))?;
        rx.await.map_err(|_| StoreError::Corrupt("the ticket writer has stopped".into()))?
    }
}
