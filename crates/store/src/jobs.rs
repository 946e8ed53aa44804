//! The job outbox. A job row is written in the transaction of the change that causes it;
//! workers claim due jobs with a lease (a token and an expiry), so several nodes never run one
//! job at once, and only the holder of the lease may finish it. A job that keeps failing is set
//! aside as dead after a maximum number of attempts; done jobs are purged after a while.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, NotSet, QueryFilter, QueryOrder, Set, Statement,
    TransactionTrait, Value,
};
use tikal_core::{EntryId, Job, JobKind, TicketId, TicketNotice};

use crate::convert::{micros, time};
use crate::entity::job;
use crate::{Result, Store, StoreError};

/// A job to enqueue with a ticket change: a notification about that ticket.
pub type NewJob = TicketNotice;

/// A job this worker holds: only the holder of `lease` may complete or fail it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: JobKind,
    /// The typed payload, or why it could not be read (a job this version cannot read will not
    /// become readable by retrying).
    pub job: Result<Job, String>,
    /// Attempts so far, this one included.
    pub attempts: i32,
    pub lease: String,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its time (`run_at`), or leased by a worker right now.
    Pending,
    Done,
    /// Gave up after the maximum number of attempts (or an unreadable payload).
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }
}

/// A job as operators see it (`tikal outbox list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    pub attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// What happens to a job whose attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    At(DateTime<Utc>),
    /// Give up: the job becomes dead.
    Never,
}

fn payload_json(job: &Job) -> Result<String> {
    let mut out = Vec::with_capacity(64);
    job.serialize_payload(&mut serde_json::Serializer::new(&mut out)).map_err(|e| StoreError::Corrupt(format!("job payload: {e}")))?;
    String::from_utf8(out).map_err(|e| StoreError::Corrupt(format!("job payload: {e}")))
}

/// A new job row, due at once.
pub(crate) fn job_row(job: &Job, at: DateTime<Utc>) -> Result<job::ActiveModel> {
    Ok(job::ActiveModel {
        id: NotSet,
        kind: Set(job.kind().as_str().to_string()),
        payload: Set(payload_json(job)?),
        run_at: Set(micros(at)),
        attempts: Set(0),
        locked_until: Set(None),
        last_error: Set(None),
        done_at: Set(None),
        created_at: Set(micros(at)),
        lease_token: Set(None),
        dead_at: Set(None),
    })
}

/// The job row of a ticket notification about a change that wrote `entry` (if any).
pub(crate) fn ticket_job(j: NewJob, ticket_id: TicketId, entry: Option<EntryId>, at: DateTime<Utc>) -> Result<job::ActiveModel> {
    job_row(&j.job_for(ticket_id, entry), at)
}

pub(crate) async fn insert_jobs(
    txn: &DatabaseTransaction,
    ticket_id: TicketId,
    entry: Option<EntryId>,
    jobs: &[NewJob],
    at: DateTime<Utc>,
) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let rows = jobs.iter().map(|j| ticket_job(*j, ticket_id, entry, at)).collect::<Result<Vec<_>>>()?;
    job::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(())
}

/// A random lease token (128 bits, hex).
pub(crate) fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn truncate(error: &str) -> String {
    error.chars().take(2000).collect()
}

impl Store {
    /// Enqueues a job that is not tied to a ticket change (account mail, links).
    pub async fn enqueue_job(&self, job: &Job, at: DateTime<Utc>) -> Result<()> {
        job::Entity::insert(job_row(job, at)?).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// Claims up to `limit` due jobs of `kinds` for `lease`. A job already tried
    /// `max_attempts` times whose last lease ran out (its worker died mid-job) is set aside as
    /// dead instead. PostgreSQL skips rows another node holds (`FOR UPDATE SKIP LOCKED`);
    /// SQLite has one writer, so the claiming UPDATE is atomic.
    pub async fn claim_jobs(
        &self,
        kinds: &[JobKind],
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
        max_attempts: u32,
    ) -> Result<Vec<ClaimedJob>> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.write.get_database_backend();
        let (now_us, until) = (micros(now), micros(now + lease));
        let max = i32::try_from(max_attempts).unwrap_or(i32::MAX);
        let token = random_token();
        // $1 until, $2 now, $3 limit, $4 max attempts, $5 token, $6.. kinds
        let kind_list = (0..kinds.len()).map(|i| format!("${}", i + 6)).collect::<Vec<_>>().join(", ");
        let lock = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE jobs SET locked_until = $1, attempts = attempts + 1, lease_token = $5 WHERE id IN (\
               SELECT id FROM jobs WHERE done_at IS NULL AND dead_at IS NULL AND run_at <= $2 AND attempts < $4 \
               AND kind IN ({kind_list}) AND (locked_until IS NULL OR locked_until < $2) ORDER BY run_at, id LIMIT $3{lock}) \
             RETURNING id, kind, payload, attempts"
        );
        let mut values: Vec<Value> = vec![until.into(), now_us.into(), i64::from(limit).into(), max.into(), token.clone().into()];
        values.extend(kinds.iter().map(|k| Value::from(k.as_str())));
        let txn = self.write.begin().await?;
        job::Entity::update_many()
            .col_expr(job::Column::DeadAt, Expr::value(now_us))
            .col_expr(job::Column::LockedUntil, Expr::value(Option::<i64>::None))
            .col_expr(job::Column::LeaseToken, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LastError,
                Expr::value(format!("gave up: {max_attempts} attempts, the last one never finished (its worker stopped)")),
            )
            .filter(job::Column::DoneAt.is_null())
            .filter(job::Column::DeadAt.is_null())
            .filter(job::Column::Attempts.gte(max))
            .filter(job::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())))
            .filter(Condition::any().add(job::Column::LockedUntil.is_null()).add(job::Column::LockedUntil.lt(now_us)))
            .exec(&txn)
            .await?;
        let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        txn.commit().await?;
        let mut claimed = rows
            .into_iter()
            .map(|r| {
                let kind: String = r.try_get_by_index(1)?;
                let kind: JobKind = kind.parse()?;
                let payload: String = r.try_get_by_index(2)?;
                let job = Job::deserialize_payload(kind, &mut serde_json::Deserializer::from_str(&payload)).map_err(|e| e.to_string());
                Ok(ClaimedJob { id: r.try_get_by_index(0)?, kind, job, attempts: r.try_get_by_index(3)?, lease: token.clone() })
            })
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|j| j.id);
        Ok(claimed)
    }

    /// Marks a job done. Fails with `LeaseLost` if the caller no longer holds its lease (it
    /// ran out and another worker claimed the job).
    pub async fn complete_job(&self, job: &ClaimedJob, now: DateTime<Utc>) -> Result<()> {
        self.finish_job(job, None, now).await
    }

    /// Marks a job done with a note for operators (what it did not send, and why), kept in
    /// its `last_error`.
    pub async fn complete_job_noting(&self, job: &ClaimedJob, note: &str, now: DateTime<Utc>) -> Result<()> {
        self.finish_job(job, Some(truncate(note)), now).await
    }

    async fn finish_job(&self, job: &ClaimedJob, note: Option<String>, now: DateTime<Utc>) -> Result<()> {
        let mut update = job::Entity::update_many();
        if let Some(note) = note {
            update = update.col_expr(job::Column::LastError, Expr::value(note));
        }
        let res = update
            .col_expr(job::Column::DoneAt, Expr::value(micros(now)))
            .col_expr(job::Column::LockedUntil, Expr::value(Option::<i64>::None))
            .col_expr(job::Column::LeaseToken, Expr::value(Option::<String>::None))
            .filter(job::Column::Id.eq(job.id))
            .filter(job::Column::LeaseToken.eq(job.lease.as_str()))
            .exec(&self.write)
            .await?;
        if res.rows_affected != 1 {
            return Err(StoreError::LeaseLost);
        }
        Ok(())
    }

    /// Releases a failed job to run again (`Retry::At`), or sets it aside as dead
    /// (`Retry::Never`), keeping the error for operators. `LeaseLost` as for `complete_job`.
    pub async fn fail_job(&self, job: &ClaimedJob, error: &str, retry: Retry, now: DateTime<Utc>) -> Result<()> {
        let mut update = job::Entity::update_many()
            .col_expr(job::Column::LockedUntil, Expr::value(Option::<i64>::None))
            .col_expr(job::Column::LeaseToken, Expr::value(Option::<String>::None))
            .col_expr(job::Column::LastError, Expr::value(truncate(error)));
        update = match retry {
            Retry::At(at) => update.col_expr(job::Column::RunAt, Expr::value(micros(at))),
            Retry::Never => update.col_expr(job::Column::DeadAt, Expr::value(micros(now))),
        };
        let res =
            update.filter(job::Column::Id.eq(job.id)).filter(job::Column::LeaseToken.eq(job.lease.as_str())).exec(&self.write).await?;
        if res.rows_affected != 1 {
            return Err(StoreError::LeaseLost);
        }
        Ok(())
    }

    /// Deletes jobs done longer ago than the store keeps them (`[outbox] keep_done_hours`;
    /// housekeeping); returns how many.
    pub async fn purge_done_jobs(&self, now: DateTime<Utc>) -> Result<u64> {
        let before = now - self.options.keep_done_jobs;
        let res = job::Entity::delete_many().filter(job::Column::DoneAt.lt(micros(before))).exec(&self.write).await?;
        Ok(res.rows_affected)
    }

    /// Jobs not yet done, pending and dead (for `tikal outbox list` and tests), oldest first.
    pub async fn outbox(&self) -> Result<Vec<JobInfo>> {
        job::Entity::find()
            .filter(job::Column::DoneAt.is_null())
            .order_by_asc(job::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|j| {
                Ok(JobInfo {
                    id: j.id,
                    state: if j.dead_at.is_some() { JobState::Dead } else { JobState::Pending },
                    kind: j.kind,
                    payload: j.payload,
                    attempts: j.attempts,
                    run_at: time(j.run_at)?,
                    last_error: j.last_error,
                })
            })
            .collect()
    }

    /// Jobs waiting to run, as (kind, payload) (dead ones excluded).
    pub async fn pending_jobs(&self) -> Result<Vec<(String, String)>> {
        Ok(self.outbox().await?.into_iter().filter(|j| j.state == JobState::Pending).map(|j| (j.kind, j.payload)).collect())
    }

    /// How many done jobs are kept (for tests of housekeeping).
    pub async fn count_done_jobs(&self) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        Ok(job::Entity::find().filter(job::Column::DoneAt.is_not_null()).count(&self.read).await?)
    }
}

#[cfg(test)]
mod tests {
    use tikal_core::job::LinkMail;

    use super::*;

    fn read(kind: JobKind, payload: &str) -> std::result::Result<Job, serde_json::Error> {
        Job::deserialize_payload(kind, &mut serde_json::Deserializer::from_str(payload))
    }

    #[test]
    fn payloads_keep_the_stored_format() {
        let notice = TicketNotice::Created.job(TicketId(7));
        assert_eq!(payload_json(&notice).expect("json"), "{\"ticket_id\":7}");
        assert_eq!(read(JobKind::TicketCreated, "{\"ticket_id\":7}").expect("read"), notice);
        // Account mail as the previous version queued it.
        let old = "{\"to\":\"a@b.example\",\"link\":\"https://h/status/x\",\"number\":null,\"lang\":\"es\"}";
        let mail = read(JobKind::PasswordReset, old).expect("read");
        let expected =
            LinkMail { to: "a@b.example".into(), link: Some("https://h/status/x".into()), lang: Some("es".into()), ..LinkMail::default() };
        assert_eq!(mail, Job::PasswordReset(expected));
        assert_eq!(read(JobKind::PasswordReset, &payload_json(&mail).expect("json")).expect("round trip"), mail);
        assert!(read(JobKind::TicketLink, "{\"ticket_id\":7}").is_err(), "a payload of another kind is refused");
    }
}
