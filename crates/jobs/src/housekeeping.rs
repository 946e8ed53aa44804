//! Periodic clean-up of rows that only matter for a while (sessions, links, attempts,
//! idempotency records).

use std::time::Duration;

use tikal_store::Store;

/// Purges expired rows every `every` until `shutdown` resolves.
pub async fn housekeeping(store: Store, every: Duration, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        match store.purge_expired(tikal_store::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "expired rows purged"),
            Err(e) => tracing::warn!(error = %e, "housekeeping"),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
