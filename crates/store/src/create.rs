//! Opening tickets with group commit. Concurrent `create_ticket` calls are queued to one task
//! that writes everything queued at that moment in ONE transaction with multi-row statements:
//! about ten statements for a batch instead of ten per ticket. SQLite has a single writer, so
//! this is what lets it keep up under concurrency; PostgreSQL saves round trips and commits.
//! If a batch fails, its tickets are retried one by one so one bad row fails only its caller;
//! each request carries a unique token stored with its ticket, so the retry after a COMMIT
//! whose outcome is unknown never inserts a ticket twice. A supervisor restarts the writer task
//! if it fails and reports its health (`Store::writer_health`, shown by `/readyz`).
//! The writer also stores the first responses of `Idempotency-Key` creates, in the same
//! transaction as the batch it writes next, so a keyed create costs no commit of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Datelike;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set, Statement, TransactionTrait,
};
use tikal_core::org::Requester;
use tikal_core::*;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::convert::micros;
use crate::directory::to_requester;
use crate::entity::{idempotency_key, job, requester, thread_entry, ticket};
use crate::idempotency::{self, IdempotencyClaim, IdempotentRecord, StoredResponse};
use crate::jobs::NewJob;
use crate::tickets::{NewTicket, entry_row, event_row, insert_attachments, mutable_columns};
use crate::{Result, Store, StoreError};

/// Most tickets written in one transaction (bounded so statements stay far below SQLite's
/// variable limit and one slow batch does not hold many callers).
const MAX_BATCH: usize = 64;

/// A batch running longer than this means the writer is stuck (`/readyz` says so).
const STUCK_AFTER: chrono::Duration = chrono::Duration::seconds(30);

/// What a create did: a new ticket, or, for a create whose `Idempotency-Key` another request
/// already used, what that request did.
#[derive(Debug, Clone)]
// Moved once per create; boxing the common case would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Created {
    New(Ticket, Requester),
    Earlier(IdempotentRecord),
}

struct Request {
    new: NewTicket,
    format: NumberFormat,
    jobs: Vec<NewJob>,
    claim: Option<IdempotencyClaim>,
    /// Unique per request and stored with its ticket: after a commit whose outcome is unknown,
    /// the retry finds the ticket instead of inserting it again.
    token: String,
    reply: oneshot::Sender<Result<Created>>,
}

/// The health of the writer task, for `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterStatus {
    Running,
    /// It failed (a panic, or its connection did not answer) and is being restarted.
    Restarting,
    /// One batch has been running for longer than 30 s.
    Stuck,
    /// It ended: the runtime is shutting down.
    Stopped,
}

impl WriterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WriterStatus::Running => "running",
            WriterStatus::Restarting => "restarting",
            WriterStatus::Stuck => "stuck",
            WriterStatus::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterHealth {
    pub status: WriterStatus,
    /// Restarts since the store was opened.
    pub restarts: u64,
}

#[derive(Default)]
struct Health {
    running: AtomicBool,
    stopped: AtomicBool,
    restarts: AtomicU64,
    /// Times a writer task started and reached its queue.
    starts: AtomicU64,
    /// Start of the batch being written (microseconds), 0 when idle.
    busy_since: AtomicI64,
    #[cfg(feature = "fault-injection")]
    faults: Faults,
}

/// Failures tests can provoke (feature `fault-injection`, enabled only for tests).
#[cfg(feature = "fault-injection")]
#[derive(Default)]
struct Faults {
    panic_next_batch: AtomicBool,
    fail_start: AtomicBool,
    lose_commit_answer: AtomicBool,
    /// The next batch hangs until `release` is notified, and counts as started `STUCK_AFTER`
    /// earlier (as if it had hung that long already).
    stall_next_batch: AtomicBool,
    release: tokio::sync::Notify,
}

/// A first response of an `Idempotency-Key` to store (see `idempotency.rs`).
struct Respond {
    response: StoredResponse,
    reply: oneshot::Sender<Result<()>>,
}

/// What the writer is asked to do.
// Creates are by far the most common; boxing them would add an allocation to each.
#[allow(clippy::large_enum_variant)]
enum Work {
    Create(Request),
    Respond(Respond),
}

#[derive(Clone)]
pub(crate) struct Creator {
    queue: mpsc::Sender<Work>,
    health: Arc<Health>,
}

impl Creator {
    /// Starts the supervised writer task on the current runtime; it ends when every `Store`
    /// is dropped.
    pub(crate) fn start(db: DatabaseConnection) -> Creator {
        let (queue, rx) = mpsc::channel::<Work>(1024);
        let health = Arc::new(Health::default());
        tokio::spawn(supervise(db, Arc::new(Mutex::new(rx)), health.clone()));
        Creator { queue, health }
    }

    fn health(&self) -> WriterHealth {
        let h = &self.health;
        let restarts = h.restarts.load(Ordering::Acquire);
        let busy = h.busy_since.load(Ordering::Acquire);
        let status = if h.stopped.load(Ordering::Acquire) {
            WriterStatus::Stopped
        } else if !h.running.load(Ordering::Acquire) {
            WriterStatus::Restarting
        } else if busy != 0 && busy < micros(crate::now() - STUCK_AFTER) {
            WriterStatus::Stuck
        } else {
            WriterStatus::Running
        };
        WriterHealth { status, restarts }
    }

    pub(crate) async fn store_response(&self, response: StoredResponse) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.queue
            .send(Work::Respond(Respond { response, reply }))
            .await
            .map_err(|_| StoreError::Unavailable("the ticket writer has stopped"))?;
        rx.await.map_err(|_| StoreError::Unavailable("the ticket writer failed while storing this response; it is being restarted"))?
    }
}

/// Runs the writer and restarts it when it fails (with back-off from 50 ms to 5 s), until the
/// queue closes. A panic loses only the batch being written: its callers get an error, and
/// whatever it committed stays committed.
async fn supervise(db: DatabaseConnection, rx: Arc<Mutex<mpsc::Receiver<Work>>>, health: Arc<Health>) {
    let mut failures: u32 = 0;
    loop {
        let starts = health.starts.load(Ordering::Acquire);
        let task = tokio::spawn(run_writer(db.clone(), rx.clone(), health.clone()));
        let outcome = task.await;
        health.running.store(false, Ordering::Release);
        health.busy_since.store(0, Ordering::Release);
        // A writer that started and then failed gets a quick restart; one that cannot start
        // waits longer each time.
        if health.starts.load(Ordering::Acquire) != starts {
            failures = 0;
        }
        match outcome {
            Ok(Ok(())) => break,
            Ok(Err(e)) => tracing::error!(error = %e, "the ticket writer cannot reach the database; restarting it"),
            Err(e) if e.is_panic() => tracing::error!(error = %e, "the ticket writer panicked; its batch failed; restarting it"),
            Err(_) => break,
        }
        health.restarts.fetch_add(1, Ordering::AcqRel);
        failures = failures.saturating_add(1);
        let backoff = 50_u64.saturating_mul(1 << failures.min(7)).min(5000);
        tokio::time::sleep(Duration::from_millis(backoff)).await;
    }
    health.stopped.store(true, Ordering::Release);
}

async fn run_writer(db: DatabaseConnection, rx: Arc<Mutex<mpsc::Receiver<Work>>>, health: Arc<Health>) -> Result<()> {
    let mut rx = rx.lock().await;
    db.ping().await?;
    #[cfg(feature = "fault-injection")]
    if health.faults.fail_start.load(Ordering::Acquire) {
        return Err(StoreError::Unavailable("injected: the writer could not start"));
    }
    health.starts.fetch_add(1, Ordering::AcqRel);
    health.running.store(true, Ordering::Release);
    while let Some(first) = rx.recv().await {
        let (mut batch, mut responses) = (Vec::new(), Vec::new());
        let mut next = Some(first);
        while let Some(work) = next.take() {
            match work {
                Work::Create(r) => batch.push(r),
                Work::Respond(r) => responses.push(r),
            }
            if batch.len() + responses.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        // Declared after the batch, so dropped before it if this task panics: the health says
        // "restarting" by the time the batch's callers hear of the failure.
        let busy = Busy::start(&health);
        #[cfg(feature = "fault-injection")]
        if health.faults.panic_next_batch.swap(false, Ordering::AcqRel) {
            panic!("injected: the ticket writer fails");
        }
        #[cfg(feature = "fault-injection")]
        if health.faults.stall_next_batch.swap(false, Ordering::AcqRel) {
            let started = micros(crate::now() - STUCK_AFTER - chrono::Duration::seconds(1));
            health.busy_since.store(started, Ordering::Release);
            health.faults.release.notified().await;
        }
        write_batch(&db, &health, batch, responses).await;
        drop(busy);
    }
    Ok(())
}

/// Marks the writer busy while a batch is written; if the writer panics, marks it not running.
struct Busy<'a>(&'a Health);

impl<'a> Busy<'a> {
    fn start(health: &'a Health) -> Busy<'a> {
        health.busy_since.store(micros(crate::now()), Ordering::Release);
        Busy(health)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.busy_since.store(0, Ordering::Release);
        if std::thread::panicking() {
            self.0.running.store(false, Ordering::Release);
        }
    }
}

fn reply(r: Request, result: Result<Created>) {
    if let Err(unsent) = r.reply.send(result) {
        // The caller went away (its connection closed); say what became of its request.
        match unsent {
            Ok(Created::New(t, _)) => tracing::info!(number = %t.number, "ticket opened; its caller had gone"),
            Ok(Created::Earlier(_)) => {}
            Err(e) => tracing::warn!(error = %e, "ticket not opened; its caller had gone"),
        }
    }
}

/// Writes a batch of creates and stored responses in one transaction; if that fails, each
/// create alone, then the responses together.
async fn write_batch(db: &DatabaseConnection, health: &Health, batch: Vec<Request>, responses: Vec<Respond>) {
    if batch.is_empty() {
        write_responses(db, responses).await;
        return;
    }
    let stored: Vec<&StoredResponse> = responses.iter().map(|r| &r.response).collect();
    match insert_all(db, health, &batch, &stored).await {
        Ok(done) => {
            for (r, (t, who)) in batch.into_iter().zip(done) {
                reply(r, Ok(Created::New(t, who)));
            }
            for r in responses {
                let _ = r.reply.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "batch failed; writing its tickets one by one");
            for r in batch {
                let result = write_alone(db, health, &r).await;
                reply(r, result);
            }
            write_responses(db, responses).await;
        }
    }
}

/// Stores first responses in one statement (one transaction).
async fn write_responses(db: &DatabaseConnection, responses: Vec<Respond>) {
    if responses.is_empty() {
        return;
    }
    let stored: Vec<&StoredResponse> = responses.iter().map(|r| &r.response).collect();
    let result = idempotency::store_responses(db, &stored).await;
    let failure = result.err().map(|e| e.to_string());
    for r in responses {
        let answer = match &failure {
            None => Ok(()),
            Some(e) => Err(StoreError::Db(sea_orm::DbErr::Custom(format!("storing the first response of an idempotent create: {e}")))),
        };
        let _ = r.reply.send(answer);
    }
}

/// Writes one request of a failed batch. The batch's COMMIT may have succeeded even though it
/// reported an error (a connection lost while committing): a ticket with this request's token
/// is then this request's ticket, and is not inserted again.
async fn write_alone(db: &DatabaseConnection, health: &Health, r: &Request) -> Result<Created> {
    if let Some(done) = created_by_token(db, &r.token).await? {
        return Ok(Created::New(done.0, done.1));
    }
    match insert_all(db, health, std::slice::from_ref(r), &[]).await {
        Ok(mut v) => v.pop().map(|(t, who)| Created::New(t, who)).ok_or(StoreError::NotFound("ticket")),
        Err(e @ StoreError::Conflict(_)) => {
            // Another request with the same Idempotency-Key committed first.
            let Some(claim) = &r.claim else { return Err(e) };
            match idempotency::lookup(db, &claim.scope, &claim.key).await? {
                Some(earlier) => Ok(Created::Earlier(earlier)),
                None => Err(e),
            }
        }
        Err(e) => {
            // This commit too may have happened.
            match created_by_token(db, &r.token).await {
                Ok(Some(done)) => Ok(Created::New(done.0, done.1)),
                _ => Err(e),
            }
        }
    }
}

async fn created_by_token(db: &DatabaseConnection, token: &str) -> Result<Option<(Ticket, Requester)>> {
    let Some(m) = ticket::Entity::find().filter(ticket::Column::RequestToken.eq(token)).one(db).await? else {
        return Ok(None);
    };
    let who = requester::Entity::find_by_id(m.requester_id).one(db).await?.ok_or(StoreError::NotFound("requester"))?;
    let statuses = crate::statuses::read_all(db).await?;
    Ok(Some((crate::tickets::to_ticket(m, &statuses)?, to_requester(who)?)))
}

/// Finds or creates the requesters of a batch by address; safe against concurrent inserts.
async fn upsert_requesters(txn: &DatabaseTransaction, batch: &[Request]) -> Result<BTreeMap<String, Requester>> {
    let emails: BTreeSet<&str> = batch.iter().map(|r| r.new.requester_email.as_str()).collect();
    let find = |list: Vec<&str>| requester::Entity::find().filter(requester::Column::Email.is_in(list)).all(txn);
    let mut found: BTreeMap<String, Requester> = BTreeMap::new();
    for (email, m) in crate::people::follow_merges(txn, find(emails.iter().copied().collect()).await?).await? {
        found.insert(email, to_requester(m)?);
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
    let count = i64::try_from(n).map_err(|_| StoreError::Corrupt(format!("batch of {n}")))?;
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

/// Writes a batch in one transaction: requesters, numbers, tickets (with their request
/// tokens), first messages, attachments, `created` events, jobs and idempotency keys, and the
/// first responses of earlier keyed creates. Returns the tickets in the batch's order.
async fn insert_all(
    db: &DatabaseConnection,
    health: &Health,
    batch: &[Request],
    responses: &[&StoredResponse],
) -> Result<Vec<(Ticket, Requester)>> {
    let txn = db.begin().await?;
    let requesters = upsert_requesters(&txn, batch).await?;
    let seqs = next_seqs(&txn, batch.len()).await?;
    let mut tickets = Vec::with_capacity(batch.len());
    let mut rows = Vec::with_capacity(batch.len());
    for (r, seq) in batch.iter().zip(&seqs) {
        let who = requesters.get(r.new.requester_email.as_str()).ok_or(StoreError::NotFound("requester"))?;
        let n = u64::try_from(*seq).map_err(|_| StoreError::Corrupt(format!("ticket sequence {seq}")))?;
        let t = Ticket::open(&r.new.opening, r.format.format(n, r.new.opening.at.year()), who.id);
        let mut am = ticket::ActiveModel {
            id: NotSet,
            number: Set(t.number.as_str().to_string()),
            seq: Set(*seq),
            requester_id: Set(who.id.get()),
            channel: Set(t.channel.as_str().to_string()),
            created_at: Set(micros(t.created_at)),
            version: Set(0),
            request_token: Set(Some(r.token.clone())),
            ..<ticket::ActiveModel as Default>::default()
        };
        mutable_columns(&t, &mut am)?;
        rows.push(am);
        tickets.push((t, who.clone()));
    }
    // Only the new ids come back (the rest is what was just written), matched by `seq`:
    // the order of RETURNING rows is not promised.
    let mut insert = ticket::Entity::insert_many(rows).into_query();
    insert.returning(Query::returning().columns([ticket::Column::Id, ticket::Column::Seq]));
    let ids: BTreeMap<i64, i64> = txn
        .query_all(&insert)
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index::<i64>(1)?, row.try_get_by_index::<i64>(0)?)))
        .collect::<Result<_>>()?;
    for ((t, _), seq) in tickets.iter_mut().zip(&seqs) {
        t.id = TicketId(*ids.get(seq).ok_or(StoreError::NotFound("inserted ticket"))?);
    }

    let message = |r: &Request, t: &Ticket, who: &Requester| {
        let mut row = entry_row(
            t.id,
            EntryKind::Message,
            &Author::Requester(who.id),
            Some(r.new.requester_name.as_str().to_string()),
            r.new.opening.at,
        );
        row.body = Set(Some(r.new.body.clone()));
        row
    };
    let created = |r: &Request, t: &Ticket, who: &Requester| {
        let (by, by_name) = r.new.opened_by.clone().unwrap_or((Author::Requester(who.id), r.new.requester_name.as_str().to_string()));
        let event = TicketEvent::new(EventKind::Created, &by, r.new.opening.at, None, Some(t.status.to_string()));
        event_row(t.id, &event, Some(&by_name))
    };
    if batch.iter().any(|r| !r.new.attachments.is_empty()) {
        // The files need the ids of their messages.
        let messages = batch.iter().zip(&tickets).map(|(r, (t, who))| message(r, t, who));
        let entries = thread_entry::Entity::insert_many(messages).exec_with_returning(&txn).await?;
        let entry_of: BTreeMap<i64, i64> = entries.iter().map(|e| (e.ticket_id, e.id)).collect();
        for (r, (t, _)) in batch.iter().zip(&tickets) {
            let entry = entry_of.get(&t.id.get()).copied().map(EntryId);
            insert_attachments(&txn, t.id, entry, &r.new.attachments, r.new.opening.at).await?;
        }
        let events = batch.iter().zip(&tickets).map(|(r, (t, who))| created(r, t, who));
        thread_entry::Entity::insert_many(events).exec_without_returning(&txn).await?;
    } else {
        // One statement for both: each ticket's message, then its `created` event.
        let rows = batch.iter().zip(&tickets).flat_map(|(r, (t, who))| [message(r, t, who), created(r, t, who)]);
        thread_entry::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    let indexed: Vec<(TicketId, &str, &str)> =
        batch.iter().zip(&tickets).map(|(r, (t, _))| (t.id, t.subject.as_str(), r.new.body.as_str())).collect();
    crate::search::index_created(&txn, &indexed).await?;
    // What routing rules did (`tikal_core::routing`): an event naming them, and their tags.
    let routed: Vec<_> = batch
        .iter()
        .zip(&tickets)
        .filter_map(|(r, (t, _))| {
            let names = r.new.opening.routed_by.clone()?;
            let event = TicketEvent::new(EventKind::RoutedByRule, &Author::System, r.new.opening.at, None, Some(names));
            Some(event_row(t.id, &event, Some("Tikal")))
        })
        .collect();
    if !routed.is_empty() {
        thread_entry::Entity::insert_many(routed).exec_without_returning(&txn).await?;
    }
    let tags = batch.iter().zip(&tickets).flat_map(|(r, (t, _))| r.new.opening.tags.iter().map(|tag| (t.id, tag.clone()))).collect();
    crate::rules::insert_tags(&txn, tags).await?;
    for (r, (t, _)) in batch.iter().zip(&tickets) {
        if let Some(origin) = &r.new.mail {
            // The opening message's entry, for the link back to the original mail.
            let entry = thread_entry::Entity::find()
                .select_only()
                .column(thread_entry::Column::Id)
                .filter(thread_entry::Column::TicketId.eq(t.id.get()))
                .filter(thread_entry::Column::Kind.eq(EntryKind::Message.as_str()))
                .order_by_asc(thread_entry::Column::Id)
                .into_tuple::<i64>()
                .one(&txn)
                .await?;
            crate::mail_in::write_origin(&txn, origin, t.id, entry.map(EntryId)).await?;
        }
    }
    let mut jobs = Vec::new();
    let mut keys = Vec::new();
    for (r, (t, _)) in batch.iter().zip(&tickets) {
        for j in &r.jobs {
            jobs.push(crate::jobs::ticket_job(*j, t.id, None, r.new.opening.at)?);
        }
        if let Some(c) = &r.claim {
            keys.push(idempotency::claim_row(c, t.id, micros(r.new.opening.at)));
        }
    }
    if !jobs.is_empty() {
        job::Entity::insert_many(jobs).exec_without_returning(&txn).await?;
    }
    if !keys.is_empty() {
        idempotency_key::Entity::insert_many(keys).exec_without_returning(&txn).await?;
    }
    idempotency::store_responses(&txn, responses).await?;
    txn.commit().await?;
    #[cfg(feature = "fault-injection")]
    if health.faults.lose_commit_answer.swap(false, Ordering::AcqRel) {
        return Err(StoreError::Unavailable("injected: the connection was lost while committing"));
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = health;
    Ok(tickets)
}

/// A request token: the time, then 64 random bits. Tokens of successive creates sort
/// together, so the unique index on them grows at its end (one page written per batch) instead
/// of in a random place per ticket.
fn request_token() -> String {
    format!("{:016x}{:016x}", micros(crate::now()), rand::random::<u64>())
}

impl Store {
    /// Opens a ticket: requester (found or created by e-mail), number, ticket, first message,
    /// attachments, the `created` event and the notification jobs, all committed together
    /// (with whatever other tickets were being opened at the same moment).
    pub async fn create_ticket(&self, new: NewTicket, format: &NumberFormat, jobs: &[NewJob]) -> Result<(Ticket, Requester)> {
        match self.create_ticket_once(new, format, jobs, None).await? {
            Created::New(t, who) => Ok((t, who)),
            Created::Earlier(_) => Err(StoreError::Conflict("an earlier request opened this ticket".into())),
        }
    }

    /// Like `create_ticket`; with a `claim`, the key is recorded in the ticket's transaction,
    /// and if the key was already used the answer is what that request did (`Earlier`).
    pub async fn create_ticket_once(
        &self,
        new: NewTicket,
        format: &NumberFormat,
        jobs: &[NewJob],
        claim: Option<IdempotencyClaim>,
    ) -> Result<Created> {
        let (reply, rx) = oneshot::channel();
        let token = request_token();
        let request = Request { new, format: format.clone(), jobs: jobs.to_vec(), claim, token, reply };
        self.creator.queue.send(Work::Create(request)).await.map_err(|_| StoreError::Unavailable("the ticket writer has stopped"))?;
        rx.await.map_err(|_| StoreError::Unavailable("the ticket writer failed while writing this ticket; it is being restarted"))?
    }

    /// The health of the ticket writer (for `/readyz`).
    pub fn writer_health(&self) -> WriterHealth {
        self.creator.health()
    }

    /// Makes the ticket writer panic at its next batch (tests of its supervision).
    #[cfg(feature = "fault-injection")]
    pub fn inject_writer_panic(&self) {
        self.creator.health.faults.panic_next_batch.store(true, Ordering::Release);
    }

    /// While `on`, a restarted ticket writer fails to start (tests of `/readyz`).
    #[cfg(feature = "fault-injection")]
    pub fn inject_writer_start_failure(&self, on: bool) {
        self.creator.health.faults.fail_start.store(on, Ordering::Release);
    }

    /// The next batch hangs, as if for longer than the writer may take, until
    /// `release_writer_stall` (tests of `/readyz`).
    #[cfg(feature = "fault-injection")]
    pub fn inject_writer_stall(&self) {
        self.creator.health.faults.stall_next_batch.store(true, Ordering::Release);
    }

    /// Lets a stalled batch go on.
    #[cfg(feature = "fault-injection")]
    pub fn release_writer_stall(&self) {
        // A permit is stored if the writer has not reached its wait yet.
        self.creator.health.faults.release.notify_one();
    }

    /// The next batch commits, then reports an error as a lost connection would (tests of the
    /// retry path).
    #[cfg(feature = "fault-injection")]
    pub fn inject_lost_commit_answer(&self) {
        self.creator.health.faults.lose_commit_answer.store(true, Ordering::Release);
    }
}
