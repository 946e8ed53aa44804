//! The job outbox. A job row is written in the transaction of the change that causes it;
//! workers claim due jobs with a lease, so several nodes never run one job twice at once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, NotSet, Set, Statement, TransactionTrait};
use tikal_core::TicketId;

use crate::convert::micros;
use crate::entity::job;
use crate::{Result, Store};

/// A job to enqueue with a ticket change. Its payload is `{"ticket_id": N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewJob {
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i32,
}

/// A new job row, due at once.
pub(crate) fn job_row(kind: &str, payload: String, at: DateTime<Utc>) -> job::ActiveModel {
    job::ActiveModel {
        id: NotSet,
        kind: Set(kind.to_string()),
        payload: Set(payload),
        run_at: Set(micros(at)),
        attempts: Set(0),
        locked_until: Set(None),
        last_error: Set(None),
        done_at: Set(None),
        created_at: Set(micros(at)),
    }
}

/// The job row of a ticket notification.
pub(crate) fn ticket_job(j: &NewJob, ticket_id: TicketId, at: DateTime<Utc>) -> job::ActiveModel {
    job_row(j.kind, format!("{{\"ticket_id\":{}}}", ticket_id.get()), at)
}

pub(crate) async fn insert_jobs(txn: &DatabaseTransaction, ticket_id: TicketId, jobs: &[NewJob], at: DateTime<Utc>) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    job::Entity::insert_many(jobs.iter().map(|j| ticket_job(j, ticket_id, at))).exec_without_returning(txn).await?;
    Ok(())
}

impl Store {
    /// Enqueues a job that is not tied to a ticket change (account mail, links).
    pub async fn enqueue_job(&self, kind: &str, payload: &str, at: DateTime<Utc>) -> Result<()> {
        job::Entity::insert(job_row(kind, payload.to_string(), at)).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// Claims up to `limit` due jobs for `lease`. PostgreSQL skips rows another node holds
    /// (`FOR UPDATE SKIP LOCKED`); SQLite has one writer, so the claiming UPDATE is atomic.
    pub async fn claim_jobs(&self, now: DateTime<Utc>, lease: Duration, limit: u32) -> Result<Vec<ClaimedJob>> {
        self.claim_jobs_like("%", now, lease, limit).await
    }

    /// Like `claim_jobs`, for the kinds matching a SQL `LIKE` pattern (e.g. `mail.%`).
    pub async fn claim_jobs_like(&self, kinds: &str, now: DateTime<Utc>, lease: Duration, limit: u32) -> Result<Vec<ClaimedJob>> {
        let backend = self.write.get_database_backend();
        let (now_us, until) = (micros(now), micros(now + lease));
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
                   SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $2 AND kind LIKE $4 \
                   AND (locked_until IS NULL OR locked_until < $2) ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, payload, attempts"
            }
            _ => {
                "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
                   SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $2 AND kind LIKE $4 \
                   AND (locked_until IS NULL OR locked_until < $2) ORDER BY run_at, id LIMIT $3) \
                 RETURNING id, kind, payload, attempts"
            }
        };
        let txn = self.write.begin().await?;
        let values = [until.into(), now_us.into(), i64::from(limit).into(), kinds.into()];
        let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        txn.commit().await?;
        rows.into_iter()
            .map(|r| {
                Ok(ClaimedJob {
                    id: r.try_get_by_index(0)?,
                    kind: r.try_get_by_index(1)?,
                    payload: r.try_get_by_index(2)?,
                    attempts: r.try_get_by_index(3)?,
                })
            })
            .collect()
    }

    pub async fn complete_job(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let am = job::ActiveModel {
            id: Set(id),
            done_at: Set(Some(micros(now))),
            locked_until: Set(None),
            ..<job::ActiveModel as Default>::default()
        };
        job::Entity::update(am).exec(&self.write).await?;
        Ok(())
    }

    /// Releases a failed job to run again at `retry_at`, keeping the error for operators.
    pub async fn fail_job(&self, id: i64, error: &str, retry_at: DateTime<Utc>) -> Result<()> {
        let am = job::ActiveModel {
            id: Set(id),
            locked_until: Set(None),
            run_at: Set(micros(retry_at)),
            last_error: Set(Some(error.chars().take(2000).collect())),
            ..<job::ActiveModel as Default>::default()
        };
        job::Entity::update(am).exec(&self.write).await?;
        Ok(())
    }

    /// Jobs not yet done (for tests and the admin view).
    pub async fn pending_jobs(&self) -> Result<Vec<(String, String)>> {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
        Ok(job::Entity::find()
            .filter(job::Column::DoneAt.is_null())
            .order_by_asc(job::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|j| (j.kind, j.payload))
            .collect())
    }
}
