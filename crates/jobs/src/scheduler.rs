//! The scheduler every node runs: it looks at the shared schedule (`tikal_core::schedule`)
//! every tick, takes each task that is due and free with a lease, runs it, and gives it its
//! next run. Two nodes never run one task at once; a node that dies mid-run leaves a lease
//! that runs out, and another node runs the task again (each task is idempotent).
//!
//! The scheduler reads the time from a [`Clock`], so tests move time instead of sleeping:
//! in-process with [`ManualClock`], across processes with [`FileClock`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tikal_core::schedule::{LEASE, RUN_BUDGET, Task, backoff};
use tikal_service::Desk;

/// Where the scheduler reads the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        tikal_store::now()
    }
}

/// A time a test sets and moves.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.0.lock() {
            *now = at;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|n| *n).unwrap_or_else(|_| tikal_store::now())
    }
}

/// The instant written in a file (RFC 3339), read at every tick; the real time while the file
/// is missing or unreadable. For tests that run several `tikal serve` processes on one
/// database and move their time together (`TIKAL_CLOCK_FILE`).
#[derive(Debug, Clone)]
pub struct FileClock(pub PathBuf);

impl Clock for FileClock {
    fn now(&self) -> DateTime<Utc> {
        std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
            .map_or_else(tikal_store::now, |t| t.with_timezone(&Utc))
    }
}

/// Runs the tasks of the shared schedule on this node.
#[derive(Debug, Clone)]
pub struct Scheduler {
    desk: Desk,
    clock: Arc<dyn Clock>,
    /// This node's name in leases (host, process and a random part).
    node: String,
}

/// How one run ended: `Ok(true)` = more is due at once (the budget ran out).
type RunResult = Result<bool, String>;

/// Whether an automation run did a whole batch (and may have left more).
fn full(done: u64) -> bool {
    done >= tikal_service::AUTOMATION_BATCH
}

impl Scheduler {
    pub fn new(desk: Desk, clock: Arc<dyn Clock>) -> Scheduler {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
        // The start instant tells apart two processes that reuse a pid on one host.
        let node = format!("{host}:{}:{}", std::process::id(), Utc::now().timestamp_micros());
        Scheduler { desk, clock, node }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Looks at the schedule every `tick` until `shutdown` resolves.
    pub async fn run(self, tick: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        if let Err(e) = self.desk.store().ensure_tasks(Task::ALL, self.clock.now()).await {
            tracing::error!(error = %e, "scheduler: the schedule could not be prepared; trying again at the next tick");
        }
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!(error = %e, "scheduler: the schedule could not be read; trying again at the next tick");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(tick) => {}
            }
        }
    }

    /// Runs every task that is due now and free; how many ran here.
    pub async fn tick(&self) -> Result<usize, tikal_store::StoreError> {
        let store = self.desk.store();
        store.ensure_tasks(Task::ALL, self.clock.now()).await?;
        let mut ran = 0;
        for task in Task::ALL.iter().copied() {
            let now = self.clock.now();
            if !store.claim_task(task, &self.node, now, now + LEASE).await? {
                continue;
            }
            ran += 1;
            let result = self.run_task(task, now).await;
            let failures = store.scheduled_tasks().await?.into_iter().find(|t| t.task == task).map_or(0, |t| t.failures);
            let end = self.clock.now();
            let (next, error) = match &result {
                Ok(true) => (end, None),
                Ok(false) => (now + task.every(), None),
                Err(e) => (end + backoff(failures.saturating_add(1)), Some(e.as_str())),
            };
            if let Err(e) = &result {
                tracing::error!(task = task.as_str(), error = %e, "scheduled task failed; it runs again later");
            }
            if !store.finish_task(task, &self.node, end, next, error).await? {
                tracing::warn!(task = task.as_str(), "scheduled task outlived its lease; another node has it now");
            }
        }
        Ok(ran)
    }

    async fn run_task(&self, task: Task, now: DateTime<Utc>) -> RunResult {
        let budget = RUN_BUDGET.to_std().unwrap_or(Duration::from_secs(120));
        match task {
            Task::SlaSweep => {
                let r = self.desk.sla_sweep(now, budget).await.map_err(|e| e.to_string())?;
                if r.fired > 0 {
                    tracing::info!(tickets = r.tickets, fired = r.fired, "SLA sweep");
                }
                match r.first_error {
                    // Those tickets wait five minutes; the rest were swept.
                    Some(e) => Err(format!("{} of {} tickets could not be swept; first: {e}", r.failed, r.tickets)),
                    None => Ok(r.more),
                }
            }
            // A full batch may have left more: the task is due again at once.
            Task::AutoClose => self.desk.auto_close(now).await.map(full).map_err(|e| e.to_string()),
            Task::Reminders => self.desk.remind_pending(now).await.map(full).map_err(|e| e.to_string()),
            Task::TimeRules => self.desk.run_time_rules(now).await.map(full).map_err(|e| e.to_string()),
        }
    }
}
