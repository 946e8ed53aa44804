//! The outbox for administrators: the mail waiting to be sent and the mail given up on (dead
//! jobs), with the ticket each one is about, and sending dead jobs back to the queue. Every
//! retry is written to the audit log with the change.

use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::job::payload_ticket;
use tikal_core::{JobId, JobKind, TicketId, TicketNumber};
use tikal_store::{JobInfo, JobState};
use tracing::instrument;

use crate::admin::json;
use crate::{Desk, Principal, Result, ServiceError};

/// Jobs on a page of the outbox.
pub const OUTBOX_PAGE: u64 = 50;

/// A job as the administration lists it.
#[derive(Debug, Clone)]
pub struct OutboxJob {
    pub job: JobInfo,
    /// Its kind, when this version knows it.
    pub kind: Option<JobKind>,
    /// The ticket its payload names, with that ticket's number (none for account mail, or a
    /// ticket that no longer exists).
    pub ticket: Option<(TicketId, TicketNumber)>,
}

/// What the outbox page asks for: a state (none: pending and dead), a kind, and the page
/// (jobs older than `before`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxQuery {
    pub state: Option<JobState>,
    pub kind: Option<JobKind>,
    pub before: Option<JobId>,
}

/// A job's state as the audit log records it.
#[derive(Serialize)]
struct JobDoc<'a> {
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<&'a str>,
}

impl Desk {
    /// A page of the outbox, newest first (administrators only).
    pub async fn outbox_jobs(&self, by: &Principal, q: OutboxQuery) -> Result<Vec<OutboxJob>> {
        Self::admin_actor(by)?;
        let jobs = self.store.jobs_page(q.state, q.kind, q.before, OUTBOX_PAGE).await?;
        self.with_tickets(jobs).await
    }

    /// Jobs with the tickets their payloads name, looked up in one query.
    async fn with_tickets(&self, jobs: Vec<JobInfo>) -> Result<Vec<OutboxJob>> {
        let mut ids: Vec<TicketId> = jobs.iter().filter_map(|j| payload_ticket(&j.payload)).collect();
        ids.sort_unstable();
        ids.dedup();
        let numbers = self.store.ticket_numbers(&ids).await?;
        Ok(jobs
            .into_iter()
            .map(|job| {
                let ticket = payload_ticket(&job.payload).and_then(|t| numbers.get(&t).map(|n| (t, n.clone())));
                OutboxJob { kind: job.kind.parse().ok(), ticket, job }
            })
            .collect())
    }

    /// How many jobs are dead (of `kind`, if given): mail that will not be sent unless retried.
    pub async fn dead_job_count(&self, by: &Principal, kind: Option<JobKind>) -> Result<u64> {
        Self::admin_actor(by)?;
        Ok(self.store.count_dead_jobs(kind).await?)
    }

    /// Sends a dead job back to the queue: due now, attempts from zero, through the workers'
    /// lease like any job. A job that is pending or done is refused (`Conflict`).
    #[instrument(skip_all, fields(job = %id), err(level = "debug"))]
    pub async fn retry_job(&self, by: &Principal, id: JobId) -> Result<OutboxJob> {
        Self::admin_actor(by)?;
        let job = self.store.job(id).await?.ok_or(ServiceError::NotFound("job"))?;
        if job.state != JobState::Dead {
            return Err(ServiceError::Conflict(format!("job {id} is {}: only a dead job can be retried", job.state)));
        }
        let before = json(&JobDoc { state: job.state.as_str(), attempts: Some(job.attempts), last_error: job.last_error.as_deref() });
        let after = json(&JobDoc { state: JobState::Pending.as_str(), attempts: Some(0), last_error: job.last_error.as_deref() });
        let audit = Self::audit_entry(by, AuditAction::Retry, AdminEntity::OutboxJob, id, job.kind.clone(), before, after)?;
        self.store.retry_job(id, &audit, audit.at).await?;
        let job = self.store.job(id).await?.ok_or(ServiceError::NotFound("job"))?;
        self.with_tickets(vec![job]).await?.pop().ok_or(ServiceError::NotFound("job"))
    }

    /// Sends every dead job (of `kind`, if given) back to the queue; each one is audited.
    /// Returns how many.
    #[instrument(skip_all, err(level = "debug"))]
    pub async fn retry_dead_jobs(&self, by: &Principal, kind: Option<JobKind>) -> Result<u64> {
        Self::admin_actor(by)?;
        let before = json(&JobDoc { state: JobState::Dead.as_str(), attempts: None, last_error: None });
        let after = json(&JobDoc { state: JobState::Pending.as_str(), attempts: Some(0), last_error: None });
        // The store fills in each job's id and kind.
        let audit = Self::audit_entry(by, AuditAction::Retry, AdminEntity::OutboxJob, "", "", before, after)?;
        let n = self.store.retry_dead(kind, &audit, audit.at).await?;
        tracing::info!(retried = n, kind = kind.map(|k| k.as_str()), "dead jobs sent back to the outbox");
        Ok(n)
    }
}
