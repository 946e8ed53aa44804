//! The shared schedule of recurring tasks (`tikal_core::schedule`): one row per task with its
//! next run and the lease of the node running it. A claim is one conditional UPDATE, so of
//! several nodes asking at once exactly one gets the task, on SQLite and on PostgreSQL alike.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set};
use tikal_core::schedule::Task;

use crate::convert::{micros, opt_time, time};
use crate::entity::scheduled_task;
use crate::{NewAudit, Result, Store};

/// A task's row as the administration shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub task: Task,
    pub next_run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub failures: u32,
    pub runs: u64,
}

fn to_info(m: scheduled_task::Model) -> Result<Option<TaskInfo>> {
    // A task of a newer version is not this node's to show or run.
    let Ok(task) = m.task.parse() else { return Ok(None) };
    Ok(Some(TaskInfo {
        task,
        next_run_at: time(m.next_run_at)?,
        lease_owner: m.lease_owner,
        lease_until: opt_time(m.lease_until)?,
        last_started_at: opt_time(m.last_started_at)?,
        last_finished_at: opt_time(m.last_finished_at)?,
        last_error: m.last_error,
        failures: u32::try_from(m.failures).unwrap_or(0),
        runs: u64::try_from(m.runs).unwrap_or(0),
    }))
}

impl Store {
    /// Adds the rows of tasks the schedule does not have yet (due at `now`); existing rows
    /// keep their state.
    pub async fn ensure_tasks(&self, tasks: &[Task], now: DateTime<Utc>) -> Result<()> {
        let rows = tasks.iter().map(|t| scheduled_task::ActiveModel {
            task: Set(t.as_str().to_string()),
            next_run_at: Set(micros(now)),
            lease_owner: Set(None),
            lease_until: Set(None),
            last_started_at: Set(None),
            last_finished_at: Set(None),
            last_error: Set(None),
            failures: Set(0),
            runs: Set(0),
        });
        scheduled_task::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([scheduled_task::Column::Task])
            .exec_without_returning(&self.write)
            .await?;
        Ok(())
    }

    /// Takes `task` for `owner` until `lease_until` if it is due at `now` and nobody holds a
    /// live lease on it. `true`: this node runs it now.
    pub async fn claim_task(&self, task: Task, owner: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<bool> {
        let free =
            Condition::any().add(scheduled_task::Column::LeaseUntil.is_null()).add(scheduled_task::Column::LeaseUntil.lt(micros(now)));
        let res = scheduled_task::Entity::update_many()
            .col_expr(scheduled_task::Column::LeaseOwner, Expr::value(owner))
            .col_expr(scheduled_task::Column::LeaseUntil, Expr::value(micros(lease_until)))
            .col_expr(scheduled_task::Column::LastStartedAt, Expr::value(micros(now)))
            .filter(scheduled_task::Column::Task.eq(task.as_str()))
            .filter(scheduled_task::Column::NextRunAt.lte(micros(now)))
            .filter(free)
            .exec(&self.write)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Ends `owner`'s run of `task`: next run at `next_run_at`; `error` counts a failure in a
    /// row (none resets the count). `false` when the lease was lost to another node meanwhile
    /// (its run decides).
    pub async fn finish_task(
        &self,
        task: Task,
        owner: &str,
        now: DateTime<Utc>,
        next_run_at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<bool> {
        let failures = match error {
            Some(_) => Expr::col(scheduled_task::Column::Failures).add(1),
            None => Expr::value(0),
        };
        let res = scheduled_task::Entity::update_many()
            .col_expr(scheduled_task::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(scheduled_task::Column::LeaseUntil, Expr::value(Option::<i64>::None))
            .col_expr(scheduled_task::Column::LastFinishedAt, Expr::value(micros(now)))
            .col_expr(scheduled_task::Column::NextRunAt, Expr::value(micros(next_run_at)))
            .col_expr(scheduled_task::Column::LastError, Expr::value(error.map(|e| e.chars().take(2000).collect::<String>())))
            .col_expr(scheduled_task::Column::Failures, failures)
            .col_expr(scheduled_task::Column::Runs, Expr::col(scheduled_task::Column::Runs).add(1))
            .filter(scheduled_task::Column::Task.eq(task.as_str()))
            .filter(scheduled_task::Column::LeaseOwner.eq(owner))
            .exec(&self.write)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Every task of the schedule, by name.
    pub async fn scheduled_tasks(&self) -> Result<Vec<TaskInfo>> {
        let rows = scheduled_task::Entity::find().order_by_asc(scheduled_task::Column::Task).all(&self.read).await?;
        Ok(rows.into_iter().map(to_info).collect::<Result<Vec<_>>>()?.into_iter().flatten().collect())
    }

    /// Makes `task` due at `now` (an administrator's "run now"), audited.
    pub async fn run_task_now(&self, task: Task, now: DateTime<Utc>, audit: NewAudit) -> Result<()> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                scheduled_task::Entity::update_many()
                    .col_expr(scheduled_task::Column::NextRunAt, Expr::value(micros(now)))
                    .filter(scheduled_task::Column::Task.eq(task.as_str()))
                    .exec(txn)
                    .await?;
                Ok(((), None))
            })
        })
        .await
    }
}
