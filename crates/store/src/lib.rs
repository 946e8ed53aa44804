//! Persistence for Tikal: one schema and one migration set for SQLite and PostgreSQL (SeaORM),
//! repositories that return `tikal_core` types, and attachment blobs behind `object_store`.
//! SQL lives here and nowhere else.

mod accounts;
mod admin;
mod automation;
mod blobs;
mod catalog;
mod convert;
mod create;
mod directory;
#[macro_use]
pub mod entity;
// After `entity`: its tables are declared with the same `entity!` macro.
mod desk;
mod error;
mod idempotency;
mod jobs;
mod kb;
mod link_key;
mod mail_accounts;
mod mail_in;
mod mail_out;
pub mod migration;
mod people;
mod priorities;
mod queues;
mod rules;
mod schedule;
mod search;
mod secret_key;
mod seed;
mod settings;
mod sla;
mod statuses;
mod templates;
mod tickets;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

pub use convert::{freeze_clock, now};
use sea_orm_migration::MigratorTrait;

pub use accounts::{LinkToken, PendingRegistration, RequesterAccount, SessionOwner, SessionRecord, SignInAttempt, TokenPurpose};
pub use admin::{AuditedWork, NewAudit};
pub use automation::CursorMove;
pub use blobs::{BlobStore, IncomingFile, IncomingWriter, StoredBlob};
pub use create::{Created, WriterHealth, WriterStatus};
pub use desk::{CannedFilter, CannedRow, DeskWrite, SolutionRow, TimeEntryRow};
pub use directory::{NewAgent, NewCustomField, NewHelpTopic};
pub use error::StoreError;
pub use idempotency::{IdempotencyClaim, IdempotentRecord, IdempotentResponse};
pub use jobs::{ClaimedJob, JobInfo, JobState, NewJob, Retry};
pub use kb::{Article, ArticleFilter, DeflectionCounts, KbAuthor, KbFile, Revision, SolvedTicket};
pub use link_key::LinkKey;
pub use mail_accounts::{KnownMessage, OversizedMessage};
pub use mail_in::{InboundMail, MailOrigin, NewInbound, Recorded};
pub use mail_out::{MailRecipient, MessageIdRow};
pub use people::{AgentRow, MergeCounts, NewInvite, OrganisationRow, RequesterRow, RoleRow};
pub use queues::{NewView, TicketCount};
pub use schedule::TaskInfo;
pub use search::{EntryText, ResolvedText, SearchScope};
pub use secret_key::{SecretKey, SecretKeyBytes};
pub use seed::{SeedEntry, SeedIndexes, SeedRequester, SeedTicket};
pub use statuses::StatusChange;
pub use templates::StoredTemplate;
pub use tickets::{AttachmentMeta, NewAttachment, NewEntry, NewTicket, TicketChange, TicketFilter, TimeLog};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How SQLite syncs commits to disk (`[database] sqlite_synchronous`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    /// Every commit is on disk before it is acknowledged: it survives power loss and OS
    /// crashes. Group commit pays one sync per batch of tickets.
    #[default]
    Full,
    /// Commits are synced at checkpoints only: an OS crash or power loss may lose the last
    /// acknowledged ones. Faster; choose it knowingly.
    Normal,
}

/// How to open the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    pub sqlite_synchronous: SqliteSync,
    /// How long done outbox jobs are kept before housekeeping deletes them.
    pub keep_done_jobs: chrono::Duration,
    /// The key e-mail account passwords are encrypted with (`TIKAL_SECRET_KEY`); without it,
    /// `secret.key` in the data directory.
    pub secret_key: Option<SecretKeyBytes>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { sqlite_synchronous: SqliteSync::Full, keep_done_jobs: chrono::Duration::days(7), secret_key: None }
    }
}

/// Handles to the database. On SQLite writes go through a single connection (SQLite has one
/// writer anyway; this turns lock contention into a queue instead of `SQLITE_BUSY` errors) and
/// reads use a pool; on PostgreSQL both are the same pool.
#[derive(Clone)]
pub struct Store {
    read: DatabaseConnection,
    write: DatabaseConnection,
    blobs: BlobStore,
    /// Bumped by every catalogue write through this store, so caches on this node see the
    /// change at once (other nodes within their cache's lifetime).
    catalog_version: Arc<AtomicU64>,
    creator: create::Creator,
    status_book: statuses::StatusBook,
    link_key: LinkKey,
    secret_key: SecretKey,
    options: StoreOptions,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend()).finish_non_exhaustive()
    }
}

/// `sqlite://` URLs: the file is created if missing. Anything else is handed to PostgreSQL.
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

impl Store {
    /// Opens the store with the default options (SQLite commits synced: `FULL`).
    pub async fn connect(url: &str, data_dir: &Path) -> Result<Store> {
        Store::connect_with(url, data_dir, StoreOptions::default()).await
    }

    pub async fn connect_with(url: &str, data_dir: &Path, options: StoreOptions) -> Result<Store> {
        let blobs = BlobStore::open(&data_dir.join("attachments"))?;
        let link_key = LinkKey::open(data_dir)?;
        let secret_key = SecretKey::new(data_dir, options.secret_key);
        if is_sqlite(url) {
            let read = Database::connect(sqlite_options(url, SqliteRole::Read, options.sqlite_synchronous)).await?;
            let write = Database::connect(sqlite_options(url, SqliteRole::Write, options.sqlite_synchronous)).await?;
            let creator = create::Creator::start(write.clone());
            Ok(Store {
                read,
                write,
                blobs,
                catalog_version: Arc::default(),
                creator,
                status_book: Default::default(),
                link_key,
                secret_key,
                options,
            })
        } else {
            let mut opt = ConnectOptions::new(url.to_string());
            opt.max_connections(16).min_connections(1).connect_timeout(Duration::from_secs(10)).sqlx_logging(false);
            let db = Database::connect(opt).await?;
            let creator = create::Creator::start(db.clone());
            Ok(Store {
                read: db.clone(),
                write: db,
                blobs,
                catalog_version: Arc::default(),
                creator,
                status_book: Default::default(),
                link_key,
                secret_key,
                options,
            })
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.write.get_database_backend()
    }

    pub fn catalog_version(&self) -> u64 {
        self.catalog_version.load(Ordering::Acquire)
    }

    fn catalog_changed(&self) {
        self.catalog_version.fetch_add(1, Ordering::AcqRel);
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The secret that turns a queued link's nonce into the link's token.
    pub fn link_key(&self) -> &LinkKey {
        &self.link_key
    }

    /// The key e-mail account passwords are sealed with.
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }

    /// Applies pending migrations; safe to run on every start and from several nodes (the
    /// migrator records what ran).
    pub async fn migrate(&self) -> Result<()> {
        migration::Migrator::up(&self.write, None).await?;
        self.optimize().await
    }

    /// Refreshes the planner's statistics where they are stale (SQLite: `PRAGMA optimize` on
    /// every table, which re-analyses a table only when it has none or its size changed much;
    /// not sampled, as sampled statistics make status filters look rare; PostgreSQL's
    /// autovacuum does it by itself). Without
    /// them SQLite sorts a whole status instead of walking a queue's index (ADR 011). Run after
    /// migrating and by housekeeping.
    pub async fn optimize(&self) -> Result<()> {
        if self.backend() == DbBackend::Sqlite {
            self.write.execute_unprepared("PRAGMA optimize = 0x10002").await?;
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        self.read.ping().await?;
        Ok(())
    }

    /// The `synchronous` setting in effect on the SQLite writer connection (0 off, 1 normal,
    /// 2 full, 3 extra); `None` on PostgreSQL.
    pub async fn sqlite_synchronous(&self) -> Result<Option<i64>> {
        if self.backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let row = self.write.query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA synchronous")).await?;
        Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?)
    }

    pub async fn close(self) {
        for (name, db) in [("read", self.read), ("write", self.write)] {
            if let Err(e) = db.close().await {
                tracing::warn!(pool = name, error = %e, "closing the database connections");
            }
        }
    }
}

/// What a pool of SQLite connections is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqliteRole {
    /// Four connections that read.
    Read,
    /// The one connection that writes (ADR 004).
    Write,
}

fn sqlite_options(url: &str, role: SqliteRole, sync: SqliteSync) -> ConnectOptions {
    let mut opt = ConnectOptions::new(url.to_string());
    let sync = match sync {
        SqliteSync::Full => SqliteSynchronous::Full,
        SqliteSync::Normal => SqliteSynchronous::Normal,
    };
    let max = match role {
        SqliteRole::Read => 4,
        SqliteRole::Write => 1,
    };
    opt.max_connections(max).min_connections(1).sqlx_logging(false).map_sqlx_sqlite_opts(move |o| {
        // WAL: writers do not block readers. FULL (the default): each commit is synced to disk
        // before it is acknowledged, so it survives power loss too (ADR 008).
        let o = o
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .statement_cache_capacity(256)
            // Statement journals (a multi-row INSERT keeps one to undo itself) and sorts stay in
            // memory instead of spilling to temporary files.
            .pragma("temp_store", "memory");
        match role {
            SqliteRole::Read => o,
            // The writer's pages stay cached (32 MiB instead of 2), and it checkpoints every
            // 4,000 pages of WAL instead of 1,000: fewer, larger checkpoints, where a page
            // written by many batches is copied once. Both are measured in bench/RESULTS.md.
            SqliteRole::Write => o.pragma("cache_size", "-32768").pragma("wal_autocheckpoint", "4000"),
        }
    });
    opt
}
