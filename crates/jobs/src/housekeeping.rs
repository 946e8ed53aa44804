//! Periodic clean-up of rows that only matter for a while (sessions, links, attempts,
//! idempotency records, done outbox jobs), and of attachment files no row refers to.

use std::time::Duration;

use tikal_store::Store;

/// An unreferenced attachment file is removed only when it is older than this: the file of an
/// upload is written before its ticket's transaction, which may still be running.
pub const ORPHAN_GRACE: chrono::Duration = chrono::Duration::hours(1);

/// Purges expired rows, done jobs older than the store keeps them, and orphaned attachment
/// files every `every` until `shutdown` resolves.
pub async fn housekeeping(store: Store, every: Duration, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let now = tikal_store::now();
        match store.purge_expired(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "expired rows purged"),
            Err(e) => tracing::error!(error = %e, "housekeeping: expired rows could not be purged; trying again later"),
        }
        match store.purge_done_jobs(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "done jobs purged"),
            Err(e) => tracing::error!(error = %e, "housekeeping: done jobs could not be purged; trying again later"),
        }
        match store.purge_orphan_blobs(now - ORPHAN_GRACE).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "unreferenced attachment files removed"),
            Err(e) => tracing::warn!(error = %e, "housekeeping: attachment files"),
        }
        if let Err(e) = store.optimize().await {
            tracing::warn!(error = %e, "housekeeping: planner statistics");
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
