//! Benchmark data (`tikal bench seed`): requesters, tickets and their threads written straight to
//! the tables, fast enough to fill a desk with a million tickets in seconds. Not a use case of
//! the desk: no events, no notifications, no SLA clock.
//!
//! How it is fast (a bulk load is the point here, so this file speaks SQL through sqlx rather
//! than SeaORM's per-row models):
//!
//! - **Multi-row inserts with bound parameters**, up to a thousand rows a statement, through
//!   statements the connection keeps prepared; columns the seed never varies are left to their
//!   defaults. Ticket ids are allocated up front (SQLite: after the largest id or
//!   `sqlite_sequence`, under the write lock of the transaction; PostgreSQL: from the table's
//!   sequence), so thread entries are inserted with their ticket's id without reading back.
//! - **SQLite, for the seed's connection only:** `synchronous = OFF` (a crash of the machine
//!   during a seed may lose or damage the seeded data: seed a benchmark database, never a desk
//!   in use), a 256 MiB page cache, and `foreign_keys = OFF` (every id written was read or made
//!   by the seed). All three are put back when the batch is done, to the store's settings.
//! - **SQLite counters:** the row trigger `ticket_counts_insert` (m0009, ADR 011) would run one
//!   upsert per ticket. Each batch's transaction drops it, counts the batch's tickets per
//!   (department, status, owner) in Rust, adds those counts to `ticket_counts` in one
//!   statement and creates the trigger again from the text stored in `sqlite_master`. It is
//!   one transaction: other connections never see the table without its trigger, and a
//!   failed batch leaves both as they were.
//! - **SQLite, into an empty database:** keeping a dozen secondary indexes of `tickets` and
//!   `thread_entries` up to date row by row was half the seed's time. `bench_seed_start` drops
//!   them (keeping their `CREATE INDEX` text) when the tables are empty, and `bench_seed_done`
//!   builds each again in one sorted pass. A seed stopped halfway leaves a benchmark database
//!   without those indexes: seed again into a new one. A database that already holds tickets
//!   keeps its indexes.
//! - **PostgreSQL:** `synchronous_commit = off` for the batch's transaction; the counters'
//!   statement trigger already folds each multi-row insert into one upsert per bucket.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::sqlx::{self, AssertSqlSafe, Connection};
use sea_orm::{ColumnTrait, DbBackend, DbErr, EntityTrait, NotSet, QueryFilter, RuntimeErr, Set, TransactionTrait};
use tikal_core::*;

use crate::convert::micros;
use crate::entity::requester;
use crate::{Result, SqliteSync, Store, StoreError};

/// Requester rows per INSERT statement (SeaORM, a few thousand rows in all).
const REQUESTERS_PER_STATEMENT: usize = 500;
/// Ticket rows per INSERT statement: 20 bound columns x 1,000 stays under SQLite's 32,766
/// variables.
const TICKETS_PER_STATEMENT: usize = 1_000;
/// Thread entry rows per INSERT statement (7 bound columns).
const ENTRIES_PER_STATEMENT: usize = 4_000;

/// The columns a seed ticket sets; the others keep their defaults (no impact, urgency,
/// responsible, team, estimate, custom fields or request token; version 0; no time spent).
const TICKET_COLUMNS: [&str; 20] = [
    "id",
    "number",
    "seq",
    "subject",
    "requester_id",
    "channel",
    "help_topic_id",
    "kind",
    "department_id",
    "priority",
    "status",
    "owner_id",
    "response_due_at",
    "resolution_due_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
    "resolution_approved",
];

const ENTRY_COLUMNS: [&str; 7] = ["ticket_id", "kind", "author_kind", "author_id", "author_name", "body", "created_at"];

/// One benchmark ticket, decided by the caller; the store adds the number and the ids.
#[derive(Debug, Clone)]
pub struct SeedTicket {
    pub subject: Subject,
    pub requester_id: RequesterId,
    pub channel: Channel,
    pub kind: TicketType,
    pub help_topic_id: Option<HelpTopicId>,
    pub department_id: DepartmentId,
    pub priority: Priority,
    pub status: Status,
    pub owner_id: Option<AgentId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// SLA due times (the overdue and due-soon queues).
    pub response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
    /// A supervisor approved the resolution.
    pub resolution_approved: bool,
    /// The thread, oldest first: the requester's first message, then replies.
    pub thread: Vec<SeedEntry>,
}

/// A message or reply of a seed ticket's thread. Texts are shared (`Arc`): a seed repeats a
/// few dozen of them a million times.
#[derive(Debug, Clone)]
pub struct SeedEntry {
    pub kind: EntryKind,
    pub author: Author,
    pub author_name: Arc<str>,
    pub body: Arc<str>,
    pub at: DateTime<Utc>,
}

/// A requester for `bench_requesters`: address, name and language of their mail.
#[derive(Debug, Clone)]
pub struct SeedRequester {
    pub email: EmailAddress,
    pub name: PersonName,
    /// `es` or `en`.
    pub language: &'static str,
}

/// One bound value of a multi-row insert.
#[derive(Debug, Clone)]
enum Cell {
    Int(i64),
    /// An integer column's NULL.
    NoInt,
    Text(Arc<str>),
    Bool(bool),
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Cell::NoInt, Cell::Int)
    }
}

/// The index definitions a seed dropped, to build again when it is done.
#[derive(Debug, Default)]
pub struct SeedIndexes(Vec<String>);

fn sqlx_err(e: sqlx::Error) -> StoreError {
    StoreError::from(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))))
}

/// `INSERT INTO table (cols) VALUES ($1, ..), (..)` for `rows` rows; on SQLite with bare `?`
/// (SQLite looks a numbered parameter's name up in a list, at parse and at every bind: with
/// twenty thousand of them that lookup was most of a seed's time).
fn insert_sql(backend: DbBackend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns.len() {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            if backend == DbBackend::Postgres {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// The rows of one batch, as bound values.
struct Rows<'a> {
    tickets: Vec<Cell>,
    entries: Vec<Cell>,
    /// Tickets per (department, status, owner or 0), for the SQLite counters.
    buckets: BTreeMap<(i64, &'a str, i64), i64>,
    /// The search index's rows (`crate::search`): id, subject, public and internal terms.
    search: Vec<Cell>,
}

/// Columns of the search index's rows, per database.
const SEARCH_COLUMNS_SQLITE: [&str; 4] = ["rowid", "subject_terms", "public_terms", "internal_terms"];
const SEARCH_COLUMNS_PG: [&str; 4] = ["ticket_id", "subject_terms", "public_terms", "internal_terms"];
/// Search rows per INSERT statement (4 bound columns).
const SEARCH_PER_STATEMENT: usize = 2_000;

fn author_id(a: &Author) -> Option<i64> {
    match a {
        Author::Agent(id) => Some(id.get()),
        Author::Requester(id) => Some(id.get()),
        Author::ApiKey(id) => Some(id.get()),
        Author::System => None,
    }
}

fn rows<'a>(tickets: &'a [SeedTicket], ids: &[i64], seqs: &[i64], format: &NumberFormat) -> Rows<'a> {
    let mut out = Rows {
        tickets: Vec::with_capacity(tickets.len() * TICKET_COLUMNS.len()),
        entries: Vec::with_capacity(tickets.len() * 3 * ENTRY_COLUMNS.len()),
        buckets: BTreeMap::new(),
        search: Vec::with_capacity(tickets.len() * 4),
    };
    // A seed repeats a few dozen bodies: their terms are made once (keyed by the shared text).
    let mut indexer = tikal_core::search::Indexer::new();
    let mut body_terms: std::collections::HashMap<*const u8, String> = std::collections::HashMap::new();
    // The closed sets' texts, shared by every row.
    let mut texts: BTreeMap<&'a str, Arc<str>> = BTreeMap::new();
    let mut text = |s: &'a str| -> Cell { Cell::Text(texts.entry(s).or_insert_with(|| Arc::from(s)).clone()) };
    for ((t, id), seq) in tickets.iter().zip(ids).zip(seqs) {
        let number = format.format(u64::try_from(*seq).unwrap_or(0), t.created_at.year());
        out.tickets.extend([
            Cell::Int(*id),
            Cell::Text(Arc::from(number.as_str())),
            Cell::Int(*seq),
            Cell::Text(Arc::from(t.subject.as_str())),
            Cell::Int(t.requester_id.get()),
            text(t.channel.as_str()),
            Cell::from(t.help_topic_id.map(HelpTopicId::get)),
            text(t.kind.as_str()),
            Cell::Int(t.department_id.get()),
            Cell::Int(i64::from(t.priority.level())),
            text(t.status.as_str()),
            Cell::from(t.owner_id.map(AgentId::get)),
            Cell::Int(micros(t.response_due_at)),
            Cell::Int(micros(t.resolution_due_at)),
            Cell::from(t.first_response_at.map(micros)),
            Cell::from(t.resolved_at.map(micros)),
            Cell::from(t.closed_at.map(micros)),
            Cell::Int(micros(t.created_at)),
            Cell::Int(micros(t.updated_at)),
            Cell::Bool(t.resolution_approved),
        ]);
        *out.buckets.entry((t.department_id.get(), t.status.as_str(), t.owner_id.map_or(0, AgentId::get))).or_default() += 1;
        for e in &t.thread {
            out.entries.extend([
                Cell::Int(*id),
                text(e.kind.as_str()),
                text(e.author.kind()),
                Cell::from(author_id(&e.author)),
                Cell::Text(e.author_name.clone()),
                Cell::Text(e.body.clone()),
                Cell::Int(micros(e.at)),
            ]);
        }
        let (mut public, mut internal) = (String::new(), String::new());
        for e in &t.thread {
            let terms = body_terms.entry(e.body.as_ptr()).or_insert_with(|| indexer.terms(&e.body));
            let column = if e.kind.is_public() { &mut public } else { &mut internal };
            if !column.is_empty() {
                column.push(' ');
            }
            column.push_str(terms);
        }
        out.search.extend([
            Cell::Int(*id),
            Cell::Text(Arc::from(indexer.terms(t.subject.as_str()))),
            Cell::Text(Arc::from(public)),
            Cell::Text(Arc::from(internal)),
        ]);
    }
    out
}

/// Binds cells for SQLite (`Arc<str>` is handed over without a copy).
fn bind_sqlite<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    cells: &[Cell],
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    for c in cells {
        q = match c {
            Cell::Int(v) => q.bind(*v),
            Cell::NoInt => q.bind(None::<i64>),
            Cell::Text(s) => q.bind(s.clone()),
            Cell::Bool(b) => q.bind(*b),
        };
    }
    q
}

fn bind_pg<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    cells: &[Cell],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for c in cells {
        q = match c {
            Cell::Int(v) => q.bind(*v),
            Cell::NoInt => q.bind(None::<i64>),
            Cell::Text(s) => q.bind(s.clone()),
            Cell::Bool(b) => q.bind(*b),
        };
    }
    q
}

const SQLITE_TRIGGER: &str = "ticket_counts_insert";

impl Store {
    /// Finds or creates requesters by address (joined to the organisation of their domain);
    /// returns their ids in the order given.
    pub async fn bench_requesters(&self, people: &[SeedRequester], at: DateTime<Utc>) -> Result<Vec<RequesterId>> {
        let txn = self.write.begin().await?;
        let mut domains: Vec<String> = people.iter().map(|p| p.email.domain().to_string()).collect();
        domains.sort();
        domains.dedup();
        let orgs = crate::accounts::organisations_by_domain(&txn, domains).await?;
        let mut ids: BTreeMap<String, i64> = BTreeMap::new();
        for chunk in people.chunks(REQUESTERS_PER_STATEMENT) {
            let rows = chunk.iter().map(|p| requester::ActiveModel {
                id: NotSet,
                email: Set(p.email.as_str().to_string()),
                name: Set(p.name.as_str().to_string()),
                phone: Set(None),
                organisation_id: Set(orgs.get(p.email.domain()).copied()),
                language: Set(Some(p.language.to_string())),
                password_hash: Set(None),
                created_at: Set(micros(at)),
                verification_pending: Set(false),
            });
            requester::Entity::insert_many(rows)
                .on_conflict(OnConflict::column(requester::Column::Email).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
            let emails: Vec<&str> = chunk.iter().map(|p| p.email.as_str()).collect();
            for m in requester::Entity::find().filter(requester::Column::Email.is_in(emails)).all(&txn).await? {
                ids.insert(m.email, m.id);
            }
        }
        txn.commit().await?;
        people.iter().map(|p| ids.get(p.email.as_str()).copied().map(RequesterId).ok_or(StoreError::NotFound("requester"))).collect()
    }

    /// Writes benchmark tickets and their threads in one transaction, numbered like any other
    /// ticket (the numbering sequence moves on, so later tickets do not collide). The counters
    /// of `ticket_counts` come out equal to a `COUNT(*)`.
    pub async fn bench_seed(&self, tickets: &[SeedTicket], format: &NumberFormat) -> Result<()> {
        if tickets.is_empty() {
            return Ok(());
        }
        match self.backend() {
            DbBackend::Postgres => self.bench_seed_pg(tickets, format).await,
            _ => self.bench_seed_sqlite(tickets, format).await,
        }
    }

    /// The names of a table's indexes, sorted (for checks: a seed leaves them as it found them).
    pub async fn index_names(&self, table: &str) -> Result<Vec<String>> {
        use sea_orm::{ConnectionTrait, Statement};
        let sql = match self.backend() {
            DbBackend::Postgres => "SELECT indexname AS name FROM pg_indexes WHERE tablename = $1 ORDER BY 1",
            _ => "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 ORDER BY 1",
        };
        let rows = self.read.query_all_raw(Statement::from_sql_and_values(self.backend(), sql, [table.into()])).await?;
        rows.iter().map(|r| r.try_get::<String>("", "name").map_err(StoreError::from)).collect()
    }

    /// Before the first batch: on SQLite, when no ticket exists yet, drops the secondary
    /// indexes of `tickets` and `thread_entries` and returns their definitions for
    /// `bench_seed_done` (see the module's notes). Unique indexes stay: they are constraints.
    pub async fn bench_seed_start(&self) -> Result<SeedIndexes> {
        if self.backend() == DbBackend::Postgres {
            return Ok(SeedIndexes(Vec::new()));
        }
        let pool = self.write.get_sqlite_connection_pool();
        let mut txn = pool.begin().await.map_err(sqlx_err)?;
        let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM tickets)").fetch_one(&mut *txn).await.map_err(sqlx_err)?;
        if !empty {
            return Ok(SeedIndexes(Vec::new()));
        }
        let defs: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('tickets', 'thread_entries') \
             AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
        )
        .fetch_all(&mut *txn)
        .await
        .map_err(sqlx_err)?;
        for (name, _) in &defs {
            sqlx::raw_sql(AssertSqlSafe(format!("DROP INDEX \"{}\"", name.replace('"', "\"\""))))
                .execute(&mut *txn)
                .await
                .map_err(sqlx_err)?;
        }
        txn.commit().await.map_err(sqlx_err)?;
        Ok(SeedIndexes(defs.into_iter().map(|(_, sql)| sql).collect()))
    }

    /// After the last batch: builds again the indexes `bench_seed_start` dropped; on
    /// PostgreSQL, gathers the planner's statistics of the tables the seed filled (autovacuum
    /// would, minutes later; until then plans are guesses: an agent's queue took 100 ms instead
    /// of 1 ms at a million tickets). SQLite plans well without them.
    pub async fn bench_seed_done(&self, dropped: SeedIndexes) -> Result<()> {
        if self.backend() == DbBackend::Postgres {
            let pool = self.write.get_postgres_connection_pool();
            sqlx::raw_sql("ANALYZE tickets, thread_entries, requesters, ticket_counts, ticket_search")
                .execute(pool)
                .await
                .map_err(sqlx_err)?;
        } else if !dropped.0.is_empty() {
            let pool = self.write.get_sqlite_connection_pool();
            let mut conn = pool.acquire().await.map_err(sqlx_err)?;
            sqlx::raw_sql("PRAGMA cache_size = -262144").execute(&mut *conn).await.map_err(sqlx_err)?;
            let mut built = Ok(());
            for sql in dropped.0 {
                built = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await.map(|_| ()).map_err(sqlx_err);
                if built.is_err() {
                    break;
                }
            }
            sqlx::raw_sql("PRAGMA cache_size = -2000").execute(&mut *conn).await.map_err(sqlx_err)?;
            built?;
        }
        Ok(())
    }

    async fn bench_seed_sqlite(&self, tickets: &[SeedTicket], format: &NumberFormat) -> Result<()> {
        let pool = self.write.get_sqlite_connection_pool();
        let mut conn = pool.acquire().await.map_err(sqlx_err)?;
        sqlx::raw_sql("PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -262144")
            .execute(&mut *conn)
            .await
            .map_err(sqlx_err)?;
        let written = seed_sqlite(&mut conn, tickets, format).await;
        // Back to the store's settings whatever happened (the connection goes back to the pool).
        let sync = match self.options.sqlite_synchronous {
            SqliteSync::Full => "FULL",
            SqliteSync::Normal => "NORMAL",
        };
        let restored =
            sqlx::raw_sql(AssertSqlSafe(format!("PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; PRAGMA cache_size = -2000")))
                .execute(&mut *conn)
                .await
                .map_err(sqlx_err);
        written?;
        restored?;
        Ok(())
    }

    async fn bench_seed_pg(&self, tickets: &[SeedTicket], format: &NumberFormat) -> Result<()> {
        let pool = self.write.get_postgres_connection_pool();
        let mut conn = pool.acquire().await.map_err(sqlx_err)?;
        let mut txn = conn.begin().await.map_err(sqlx_err)?;
        sqlx::raw_sql("SET LOCAL synchronous_commit = off").execute(&mut *txn).await.map_err(sqlx_err)?;
        let n = i64::try_from(tickets.len()).map_err(|_| StoreError::Corrupt("batch size".into()))?;
        let mut seqs: Vec<i64> = sqlx::query_scalar("SELECT nextval('ticket_seq') FROM generate_series(1, $1)")
            .bind(n)
            .fetch_all(&mut *txn)
            .await
            .map_err(sqlx_err)?;
        seqs.sort_unstable();
        let mut ids: Vec<i64> = sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('tickets', 'id')) FROM generate_series(1, $1)")
            .bind(n)
            .fetch_all(&mut *txn)
            .await
            .map_err(sqlx_err)?;
        ids.sort_unstable();
        let rows = rows(tickets, &ids, &seqs, format);
        for chunk in rows.tickets.chunks(TICKETS_PER_STATEMENT * TICKET_COLUMNS.len()) {
            let sql = insert_sql(DbBackend::Postgres, "tickets", &TICKET_COLUMNS, chunk.len() / TICKET_COLUMNS.len());
            bind_pg(sqlx::query(AssertSqlSafe(sql)), chunk).execute(&mut *txn).await.map_err(sqlx_err)?;
        }
        for chunk in rows.entries.chunks(ENTRIES_PER_STATEMENT * ENTRY_COLUMNS.len()) {
            let sql = insert_sql(DbBackend::Postgres, "thread_entries", &ENTRY_COLUMNS, chunk.len() / ENTRY_COLUMNS.len());
            bind_pg(sqlx::query(AssertSqlSafe(sql)), chunk).execute(&mut *txn).await.map_err(sqlx_err)?;
        }
        for chunk in rows.search.chunks(SEARCH_PER_STATEMENT * 4) {
            let sql = insert_sql(DbBackend::Postgres, "ticket_search", &SEARCH_COLUMNS_PG, chunk.len() / 4);
            bind_pg(sqlx::query(AssertSqlSafe(sql)), chunk).execute(&mut *txn).await.map_err(sqlx_err)?;
        }
        txn.commit().await.map_err(sqlx_err)?;
        Ok(())
    }
}

/// The SQLite batch: one transaction on the seed's connection (see the module's notes).
async fn seed_sqlite(conn: &mut sqlx::SqliteConnection, tickets: &[SeedTicket], format: &NumberFormat) -> Result<()> {
    let mut txn = conn.begin().await.map_err(sqlx_err)?;
    let n = i64::try_from(tickets.len()).map_err(|_| StoreError::Corrupt("batch size".into()))?;
    let last: i64 = sqlx::query_scalar("UPDATE counters SET value = value + $1 WHERE name = 'ticket_seq' RETURNING value")
        .bind(n)
        .fetch_one(&mut *txn)
        .await
        .map_err(sqlx_err)?;
    let seqs: Vec<i64> = (last - n + 1..=last).collect();
    // Ids after every id ever given (AUTOINCREMENT never reuses one); the write lock is ours.
    let top: i64 = sqlx::query_scalar(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tickets'), 0), COALESCE((SELECT MAX(id) FROM tickets), 0))",
    )
    .fetch_one(&mut *txn)
    .await
    .map_err(sqlx_err)?;
    let ids: Vec<i64> = (top + 1..=top + n).collect();
    let trigger: Option<String> = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1")
        .bind(SQLITE_TRIGGER)
        .fetch_optional(&mut *txn)
        .await
        .map_err(sqlx_err)?;
    if trigger.is_some() {
        sqlx::raw_sql(AssertSqlSafe(format!("DROP TRIGGER {SQLITE_TRIGGER}"))).execute(&mut *txn).await.map_err(sqlx_err)?;
    }
    let rows = rows(tickets, &ids, &seqs, format);
    for chunk in rows.tickets.chunks(TICKETS_PER_STATEMENT * TICKET_COLUMNS.len()) {
        let sql = insert_sql(DbBackend::Sqlite, "tickets", &TICKET_COLUMNS, chunk.len() / TICKET_COLUMNS.len());
        bind_sqlite(sqlx::query(AssertSqlSafe(sql)), chunk).execute(&mut *txn).await.map_err(sqlx_err)?;
    }
    for chunk in rows.entries.chunks(ENTRIES_PER_STATEMENT * ENTRY_COLUMNS.len()) {
        let sql = insert_sql(DbBackend::Sqlite, "thread_entries", &ENTRY_COLUMNS, chunk.len() / ENTRY_COLUMNS.len());
        bind_sqlite(sqlx::query(AssertSqlSafe(sql)), chunk).execute(&mut *txn).await.map_err(sqlx_err)?;
    }
    for chunk in rows.search.chunks(SEARCH_PER_STATEMENT * 4) {
        let sql = insert_sql(DbBackend::Sqlite, "ticket_fts", &SEARCH_COLUMNS_SQLITE, chunk.len() / 4);
        bind_sqlite(sqlx::query(AssertSqlSafe(sql)), chunk).execute(&mut *txn).await.map_err(sqlx_err)?;
    }
    if let Some(trigger) = trigger {
        let counts: Vec<Cell> = rows
            .buckets
            .into_iter()
            .flat_map(|((dept, status, owner), n)| [Cell::Int(dept), Cell::Text(Arc::from(status)), Cell::Int(owner), Cell::Int(n)])
            .collect();
        let sql = format!(
            "{} ON CONFLICT (department_id, status, owner_id) DO UPDATE SET n = ticket_counts.n + excluded.n",
            insert_sql(DbBackend::Sqlite, "ticket_counts", &["department_id", "status", "owner_id", "n"], counts.len() / 4)
        );
        bind_sqlite(sqlx::query(AssertSqlSafe(sql)), &counts).execute(&mut *txn).await.map_err(sqlx_err)?;
        sqlx::raw_sql(AssertSqlSafe(trigger)).execute(&mut *txn).await.map_err(sqlx_err)?;
    }
    txn.commit().await.map_err(sqlx_err)?;
    Ok(())
}
