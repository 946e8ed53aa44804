//! The outbox worker: claim, do, complete or retry.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tikal_core::JobKind;
use tikal_store::{ClaimedJob, Retry, Store, StoreError};

use crate::mail::{Composed, DEFAULT_ORGANISATION, Mailer, compose_with, template_of};
use crate::notify::NotifySettings;

/// `[mail]` settings: where outgoing mail goes.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` or `smtps://host:465`.
    pub smtp_url: String,
    /// The sender, e.g. `Mesa de Ayuda <mesa@example.gob>`.
    pub from: String,
}

/// `[outbox]` settings: how often a failing job is tried and how long done jobs are kept.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxSettings {
    /// Attempts before a job is set aside as dead (shown by `tikal outbox list`).
    pub max_attempts: u32,
    /// Hours a done job is kept before housekeeping deletes it.
    pub keep_done_hours: u32,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings { max_attempts: 10, keep_done_hours: 168 }
    }
}

impl OutboxSettings {
    pub fn keep_done(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.keep_done_hours))
    }
}

const LEASE_SECONDS: i64 = 120;
const BATCH: u32 = 20;

/// Back-off after a failed attempt: 30 s, 1 min, 2 min ... at most an hour.
pub(crate) fn retry_delay(attempts: i32) -> chrono::Duration {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    chrono::Duration::seconds((30_i64 << exp).min(3600))
}

#[derive(Clone)]
pub struct Worker {
    pub(crate) store: Store,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) settings: OutboxSettings,
    /// The organisation's name, as mail templates say it (when no desk is given).
    pub(crate) organisation: String,
    /// The desk whose settings name the organisation and its language (an administrator may
    /// change them).
    pub(crate) desk: Option<tikal_service::Desk>,
    /// Ticket notifications are sent only when set (their links need the public address).
    notify: Option<NotifySettings>,
}

/// What became of one claimed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done, with at least one mail sent.
    Sent,
    /// Done with nothing to send (nobody to tell, or already sent).
    Done,
    Retry,
    Dead,
}

impl Worker {
    /// A worker that sends account mail (`mail.*`); `notify` adds ticket notifications.
    pub fn new(store: Store, mailer: Arc<dyn Mailer>, settings: OutboxSettings) -> Self {
        Worker { store, mailer, settings, organisation: DEFAULT_ORGANISATION.to_string(), desk: None, notify: None }
    }

    /// Sends the ticket notifications too (`notify.*`), with links under `settings.public_url`.
    pub fn notify(mut self, settings: NotifySettings) -> Self {
        self.notify = Some(settings);
        self
    }

    /// Signs mail with the name the desk's settings hold (`/admin/settings`, else the file's),
    /// read when mail is sent, so a rename applies at once.
    pub fn desk(mut self, desk: tikal_service::Desk) -> Self {
        self.desk = Some(desk);
        self
    }

    /// The organisation's name the mail templates sign with (`[portal] organisation_name`).
    pub fn organisation(mut self, name: impl Into<String>) -> Self {
        self.organisation = name.into();
        self
    }

    /// Does every job due at `now` once; returns how many sent mail (a notification to
    /// several people counts once).
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut sent = 0;
        if !self.mailer.ready().await {
            return Ok(0);
        }
        let lease = chrono::Duration::seconds(LEASE_SECONDS);
        let kinds: Vec<JobKind> = match self.notify {
            Some(_) => JobKind::MAIL.iter().chain(JobKind::NOTIFY).copied().collect(),
            None => JobKind::MAIL.to_vec(),
        };
        loop {
            let jobs = self.store.claim_jobs(&kinds, now, lease, BATCH, self.settings.max_attempts).await?;
            if jobs.is_empty() {
                return Ok(sent);
            }
            for job in jobs {
                match self.do_job(&job, now).await {
                    Ok(Outcome::Sent) => sent += 1,
                    Ok(Outcome::Done | Outcome::Retry | Outcome::Dead) => {}
                    // Another worker holds the job now (this lease ran out): its result is theirs.
                    Err(StoreError::LeaseLost) => {
                        tracing::warn!(job = job.id, kind = %job.kind, "lease lost; the job was left to its new holder")
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    async fn do_job(&self, job: &ClaimedJob, now: DateTime<Utc>) -> Result<Outcome, StoreError> {
        if let (Ok(j), Some(settings)) = (&job.job, &self.notify)
            && JobKind::NOTIFY.contains(&job.kind)
        {
            return self.send_notice(job, j, settings, now).await;
        }
        let composed = match &job.job {
            Ok(j) => {
                // The administrator's template, read for each mail: an edit applies at once on every node.
                let stored = match template_of(j) {
                    Some((kind, lang)) => self.store.mail_template(kind, lang).await?.map(|t| t.source),
                    None => None,
                };
                let organisation = match &self.desk {
                    Some(d) => d.settings().await.map(|s| s.organisation_name.clone()).unwrap_or_else(|_| self.organisation.clone()),
                    None => self.organisation.clone(),
                };
                compose_with(j, self.store.link_key(), &organisation, stored.as_ref())
            }
            Err(e) => Composed::Unreadable(format!("unreadable payload: {e}")),
        };
        let mail = match composed {
            Composed::Mail(mail) => mail,
            Composed::Unreadable(why) => {
                // A payload this version cannot read will not become readable by retrying.
                tracing::error!(job = job.id, kind = %job.kind, error = %why, "job set aside as dead");
                self.store.fail_job(job, &why, Retry::Never, now).await?;
                return Ok(Outcome::Dead);
            }
            Composed::OtherKey => {
                // Another node (with the right link.key) may take it; this one must not send a dead link.
                tracing::error!(job = job.id, "queued with another link key: every node needs the same link.key");
                let why = "queued with another link key";
                self.store.fail_job(job, why, Retry::At(now + retry_delay(job.attempts)), now).await?;
                return Ok(Outcome::Retry);
            }
        };
        match self.mailer.send(&mail).await {
            Ok(()) => {
                self.store.complete_job(job, tikal_store::now()).await?;
                Ok(Outcome::Sent)
            }
            Err(e) if u32::try_from(job.attempts).unwrap_or(u32::MAX) >= self.settings.max_attempts => {
                tracing::error!(job = job.id, kind = %job.kind, error = %e, attempts = job.attempts, "mail not sent; giving up, the job is dead");
                self.store.fail_job(job, &e.to_string(), Retry::Never, now).await?;
                Ok(Outcome::Dead)
            }
            Err(e) => {
                tracing::warn!(job = job.id, kind = %job.kind, error = %e, attempts = job.attempts, "mail not sent; will retry");
                self.store.fail_job(job, &e.to_string(), Retry::At(now + retry_delay(job.attempts)), now).await?;
                Ok(Outcome::Retry)
            }
        }
    }

    /// Runs until `shutdown` resolves, looking for due jobs every `every`.
    pub async fn run(self, every: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.run_due(tikal_store::now()).await {
                tracing::error!(error = %e, "outbox worker: jobs could not be claimed or finished; trying again later");
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
