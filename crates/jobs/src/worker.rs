//! The outbox worker: claim, do, complete or retry.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tikal_store::{ClaimedJob, Store};

use crate::mail::{Composed, Mailer, compose};

/// `[mail]` settings: where outgoing mail goes.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` or `smtps://host:465`.
    pub smtp_url: String,
    /// The sender, e.g. `Mesa de Ayuda <mesa@example.gob>`.
    pub from: String,
}

/// Kinds this worker does; the rest wait for the e-mail channel.
const KINDS: &str = "mail.%";
const LEASE_SECONDS: i64 = 120;
const BATCH: u32 = 20;

/// Back-off after a failed attempt: 30 s, 1 min, 2 min ... at most an hour.
fn retry_delay(attempts: i32) -> chrono::Duration {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    chrono::Duration::seconds((30_i64 << exp).min(3600))
}

#[derive(Clone)]
pub struct Worker {
    store: Store,
    mailer: Arc<dyn Mailer>,
}

impl Worker {
    pub fn new(store: Store, mailer: Arc<dyn Mailer>) -> Self {
        Worker { store, mailer }
    }

    /// Does every job due at `now` once; returns how many were sent.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<usize, tikal_store::StoreError> {
        let mut sent = 0;
        loop {
            let jobs = self.store.claim_jobs_like(KINDS, now, chrono::Duration::seconds(LEASE_SECONDS), BATCH).await?;
            if jobs.is_empty() {
                return Ok(sent);
            }
            for job in jobs {
                if self.do_job(&job, now).await? {
                    sent += 1;
                }
            }
        }
    }

    async fn do_job(&self, job: &ClaimedJob, now: DateTime<Utc>) -> Result<bool, tikal_store::StoreError> {
        let mail = match compose(&job.kind, &job.payload, self.store.link_key()) {
            Composed::Mail(mail) => mail,
            Composed::Unreadable => {
                // A payload this version cannot read will not become readable by retrying.
                tracing::error!(job = job.id, kind = %job.kind, "unreadable job; set aside");
                self.store.fail_job(job.id, "unreadable payload", now + chrono::Duration::days(3650)).await?;
                return Ok(false);
            }
            Composed::OtherKey => {
                // Another node (with the right link.key) may take it; this one must not send a dead link.
                tracing::error!(job = job.id, "queued with another link key: every node needs the same link.key");
                self.store.fail_job(job.id, "queued with another link key", now + retry_delay(job.attempts)).await?;
                return Ok(false);
            }
        };
        match self.mailer.send(&mail).await {
            Ok(()) => {
                self.store.complete_job(job.id, tikal_store::now()).await?;
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(job = job.id, error = %e, attempts = job.attempts, "mail not sent; will retry");
                self.store.fail_job(job.id, &e.to_string(), now + retry_delay(job.attempts)).await?;
                Ok(false)
            }
        }
    }

    /// Runs until `shutdown` resolves, looking for due jobs every `every`.
    pub async fn run(self, every: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.run_due(tikal_store::now()).await {
                tracing::warn!(error = %e, "outbox worker");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_and_is_capped() {
        assert_eq!(retry_delay(1), chrono::Duration::seconds(30));
        assert_eq!(retry_delay(2), chrono::Duration::seconds(60));
        assert_eq!(retry_delay(50), chrono::Duration::seconds(3600));
    }
}
