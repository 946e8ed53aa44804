//! Periodic clean-up of rows that only matter for a while (sessions, links, attempts,
//! idempotency records, done outbox jobs).

use std::time::Duration;

use tikal_store::Store;

/// Purges expired rows, and done jobs older than the store keeps them, every `every` until
/// `shutdown` resolves.
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
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
