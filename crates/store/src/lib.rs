//! Persistence for Tikal: one schema and one migration set for SQLite and PostgreSQL (SeaORM),
//! repositories that return `tikal_core` types, and attachment blobs behind `object_store`.
//! SQL lives here and nowhere else.

mod accounts;
mod blobs;
mod convert;
mod create;
mod directory;
pub mod entity;
mod error;
mod idempotency;
mod jobs;
pub mod migration;
mod seed;
mod statuses;
mod tickets;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

pub use convert::{freeze_clock, now};
use sea_orm_migration::MigratorTrait;

pub use accounts::{RequesterAccount, SessionOwner, SessionRecord, TokenPurpose};
pub use blobs::{BlobStore, StoredBlob};
pub use directory::{NewAgent, NewCustomField, NewHelpTopic};
pub use error::StoreError;
pub use idempotency::{IdempotentResponse, Reservation};
pub use jobs::{ClaimedJob, NewJob};
pub use seed::SeedTicket;
pub use statuses::StatusChange;
pub use tickets::{AttachmentMeta, NewAttachment, NewEntry, NewTicket, TicketChange, TicketFilter, TimeLog};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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
    pub async fn connect(url: &str, data_dir: &Path) -> Result<Store> {
        let blobs = BlobStore::open(&data_dir.join("attachments"))?;
        if is_sqlite(url) {
            let read = Database::connect(sqlite_options(url, 4)).await?;
            let write = Database::connect(sqlite_options(url, 1)).await?;
            let creator = create::Creator::start(write.clone());
            Ok(Store { read, write, blobs, catalog_version: Arc::default(), creator, status_book: Default::default() })
        } else {
            let mut opt = ConnectOptions::new(url.to_string());
            opt.max_connections(16).min_connections(1).connect_timeout(Duration::from_secs(10)).sqlx_logging(false);
            let db = Database::connect(opt).await?;
            let creator = create::Creator::start(db.clone());
            Ok(Store { read: db.clone(), write: db, blobs, catalog_version: Arc::default(), creator, status_book: Default::default() })
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

    /// Applies pending migrations; safe to run on every start and from several nodes (the
    /// migrator records what ran).
    pub async fn migrate(&self) -> Result<()> {
        migration::Migrator::up(&self.write, None).await?;
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        self.read.ping().await?;
        Ok(())
    }

    pub async fn close(self) {
        let _ = self.read.close().await;
        let _ = self.write.close().await;
    }
}

fn sqlite_options(url: &str, max: u32) -> ConnectOptions {
    let mut opt = ConnectOptions::new(url.to_string());
    opt.max_connections(max).min_connections(1).sqlx_logging(false).map_sqlx_sqlite_opts(|o| {
        // WAL + NORMAL: a commit survives a crash of the process (not of the OS before the
        // next checkpoint), and writers do not block readers.
        o.create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .statement_cache_capacity(256)
    });
    opt
}
