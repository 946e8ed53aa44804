//! The job outbox. A job row is written in the transaction of the change that causes it;
//! workers claim due jobs with a lease (a token and an expiry), so several nodes never run one
//! job at once, and only the holder of the lease may finish it. A job that keeps failing is set
//! aside as dead after a maximum number of attempts; done jobs are purged after a while.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, TransactionTrait, Value,
};
use tikal_core::{EntryId, Job, JobId, JobKind, TicketId, TicketNotice};

use crate::admin::{NewAudit, insert_audits};
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

impl std::str::FromStr for JobState {
    type Err = tikal_core::error::UnknownValue;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "pending" => Ok(JobState::Pending),
            "done" => Ok(JobState::Done),
            "dead" => Ok(JobState::Dead),
            other => Err(tikal_core::error::UnknownValue { kind: "JobState", value: other.chars().take(64).collect() }),
        }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job as operators see it (`tikal outbox list`, `/admin/outbox`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub id: i64,
    /// As stored: a kind this version does not know is still listed.
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    pub attempts: i32,
    /// When it runs next (pending), or ran last (dead).
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn to_info(j: job::Model) -> Result<JobInfo> {
    let state = match (j.done_at, j.dead_at) {
        (Some(_), _) => JobState::Done,
        (None, Some(_)) => JobState::Dead,
        (None, None) => JobState::Pending,
    };
    Ok(JobInfo {
        id: j.id,
        state,
        kind: j.kind,
        payload: j.payload,
        attempts: j.attempts,
        run_at: time(j.run_at)?,
        last_error: j.last_error,
        created_at: time(j.created_at)?,
    })
}

/// Why a job that is not dead is not retried (it is waiting, running or done already).
fn not_dead(j: &JobInfo) -> StoreError {
    StoreError::Conflict(format!("job {} is {}: only a dead job can be retried", j.id, j.state))
}

/// Filters a query on jobs to one state.
fn in_state(find: sea_orm::Select<job::Entity>, state: Option<JobState>) -> sea_orm::Select<job::Entity> {
    match state {
        None => find.filter(job::Column::DoneAt.is_null()),
        Some(JobState::Pending) => find.filter(job::Column::DoneAt.is_null()).filter(job::Column::DeadAt.is_null()),
        Some(JobState::Dead) => find.filter(job::Column::DoneAt.is_null()).filter(job::Column::DeadAt.is_not_null()),
        Some(JobState::Done) => find.filter(job::Column::DoneAt.is_not_null()),
    }
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

/// The update that sends dead jobs back to the queue, due `now`.
fn revive(now: DateTime<Utc>) -> sea_orm::UpdateMany<job::Entity> {
    job::Entity::update_many()
        .col_expr(job::Column::DeadAt, Expr::value(Option::<i64>::None))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(micros(now)))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(job::Column::LeaseToken, Expr::value(Option::<String>::None))
        .filter(job::Column::DeadAt.is_not_null())
        .filter(job::Column::DoneAt.is_null())
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
            .map(to_info)
            .collect()
    }

    /// A page of jobs, newest first: in `state` (none: pending and dead, the jobs not done), of
    /// `kind`, older than `before` (keyset). Jobs not done are few (done ones are purged), and
    /// the `jobs_pending` index on `done_at` keeps the scan to them.
    pub async fn jobs_page(
        &self,
        state: Option<JobState>,
        kind: Option<JobKind>,
        before: Option<JobId>,
        limit: u64,
    ) -> Result<Vec<JobInfo>> {
        let mut find = in_state(job::Entity::find(), state);
        if let Some(kind) = kind {
            find = find.filter(job::Column::Kind.eq(kind.as_str()));
        }
        if let Some(before) = before {
            find = find.filter(job::Column::Id.lt(before.get()));
        }
        find.order_by_desc(job::Column::Id).limit(limit).all(&self.read).await?.into_iter().map(to_info).collect()
    }

    /// One job, whatever its state.
    pub async fn job(&self, id: JobId) -> Result<Option<JobInfo>> {
        job::Entity::find_by_id(id.get()).one(&self.read).await?.map(to_info).transpose()
    }

    /// How many jobs are dead (of `kind`, if given).
    pub async fn count_dead_jobs(&self, kind: Option<JobKind>) -> Result<u64> {
        let mut find = in_state(job::Entity::find(), Some(JobState::Dead));
        if let Some(kind) = kind {
            find = find.filter(job::Column::Kind.eq(kind.as_str()));
        }
        Ok(find.count(&self.read).await?)
    }

    /// Sends a dead job back to the queue, due `now`, with its attempts reset (its last error is
    /// kept until the next attempt), and writes `audit` in the same transaction. It has no lease,
    /// so it is run again only through `claim_jobs`, by one worker. Only a dead job is retried: a
    /// pending or done one is a `Conflict`, an unknown one `NotFound`.
    pub async fn retry_job(&self, id: JobId, audit: &NewAudit, now: DateTime<Utc>) -> Result<()> {
        let txn = self.write.begin().await?;
        let res = revive(now).filter(job::Column::Id.eq(id.get())).exec(&txn).await?;
        if res.rows_affected != 1 {
            txn.rollback().await?;
            return Err(match self.job(id).await? {
                Some(j) => not_dead(&j),
                None => StoreError::NotFound("job"),
            });
        }
        insert_audits(&txn, std::slice::from_ref(audit)).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sends every dead job (of `kind`, if given) back to the queue as `retry_job` does; each
    /// one gets its own audit entry from `audit` (its id, and its kind as the summary). Returns
    /// how many.
    pub async fn retry_dead(&self, kind: Option<JobKind>, audit: &NewAudit, now: DateTime<Utc>) -> Result<u64> {
        let backend = self.write.get_database_backend();
        let mut sql = "UPDATE jobs SET dead_at = NULL, attempts = 0, run_at = $1, locked_until = NULL, lease_token = NULL \
                       WHERE dead_at IS NOT NULL AND done_at IS NULL"
            .to_string();
        let mut values: Vec<Value> = vec![micros(now).into()];
        if let Some(kind) = kind {
            sql.push_str(" AND kind = $2");
            values.push(kind.as_str().into());
        }
        // The ids that really changed, so two administrators retrying at once never both
        // record the same job.
        sql.push_str(" RETURNING id, kind");
        let txn = self.write.begin().await?;
        let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get_by_index(0)?;
            let kind: String = r.try_get_by_index(1)?;
            entries.push(NewAudit { entity_id: id.to_string(), summary: kind, ..audit.clone() });
        }
        insert_audits(&txn, &entries).await?;
        txn.commit().await?;
        Ok(entries.len() as u64)
    }

    /// Jobs waiting to run, as (kind, payload) (dead ones excluded).
    pub async fn pending_jobs(&self) -> Result<Vec<(String, String)>> {
        Ok(self.outbox().await?.into_iter().filter(|j| j.state == JobState::Pending).map(|j| (j.kind, j.payload)).collect())
    }

    /// How many done jobs are kept (for tests of housekeeping).
    pub async fn count_done_jobs(&self) -> Result<u64> {
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
