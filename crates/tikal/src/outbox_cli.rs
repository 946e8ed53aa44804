//! `tikal outbox`: the mail waiting to be sent and the mail given up on (dead jobs), and
//! sending dead jobs back to the queue (the twin of `/admin/outbox`).

use clap::Subcommand;
use tikal_core::{DomainError, JobId, JobKind, Reason};
use tikal_service::{Desk, Principal};

use tikal::startup::StartupError;

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Print the jobs not done, pending and dead, as JSON lines:
    /// {"id", "kind", "state", "attempts", "run_at", "last_error", "payload"}.
    List {
        /// Only jobs of this kind, e.g. mail.ticket_link.
        #[arg(long)]
        kind: Option<String>,
        /// Only jobs in this state.
        #[arg(long, value_enum)]
        state: Option<JobStateArg>,
    },
    /// Send a dead job back to the queue (due now, attempts from 0), or with `--all-dead`
    /// every dead job; the running server's worker sends them. Each retry is audited.
    Retry {
        /// The job's id (from `tikal outbox list`).
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        id: Option<i64>,
        /// Every dead job (of `--kind`, if given).
        #[arg(long)]
        all_dead: bool,
        /// With `--all-dead`: only jobs of this kind, e.g. mail.password_reset.
        #[arg(long, requires = "all_dead", conflicts_with = "id")]
        kind: Option<String>,
    },
}

/// The states `tikal outbox list --state` filters on.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum JobStateArg {
    /// Waiting to run (or running now).
    Pending,
    /// Given up after the maximum number of attempts.
    Dead,
}

impl JobStateArg {
    fn as_str(self) -> &'static str {
        match self {
            JobStateArg::Pending => "pending",
            JobStateArg::Dead => "dead",
        }
    }
}

pub async fn run(desk: &Desk, command: OutboxCommand) -> Result<(), StartupError> {
    match command {
        OutboxCommand::List { kind, state } => list(desk, kind, state).await,
        OutboxCommand::Retry { id: Some(id), .. } => {
            if id <= 0 {
                return Err(StartupError::Service(DomainError::invalid("id", Reason::NotFound).into()));
            }
            let job = desk.retry_job(&Principal::System, JobId(id)).await?;
            println!("job {} ({}) is back in the queue", job.job.id, job.job.kind);
            Ok(())
        }
        OutboxCommand::Retry { id: None, kind, .. } => {
            let kind = match kind.as_deref() {
                Some(k) => Some(k.parse::<JobKind>().map_err(|e| StartupError::Service(DomainError::from(e).into()))?),
                None => None,
            };
            let n = desk.retry_dead_jobs(&Principal::System, kind).await?;
            println!("{n} dead job(s) back in the queue");
            Ok(())
        }
    }
}

async fn list(desk: &Desk, kind: Option<String>, state: Option<JobStateArg>) -> Result<(), StartupError> {
    for job in desk.store().outbox().await? {
        if kind.as_ref().is_some_and(|want| *want != job.kind) || state.is_some_and(|want| want.as_str() != job.state.as_str()) {
            continue;
        }
        // A payload that is not JSON is shown as the text it is.
        let payload: serde_json::Value =
            serde_json::from_str(&job.payload).unwrap_or_else(|_| serde_json::Value::String(job.payload.clone()));
        println!(
            "{}",
            serde_json::json!({
                "id": job.id,
                "kind": job.kind,
                "state": job.state.as_str(),
                "attempts": job.attempts,
                "run_at": job.run_at.to_rfc3339(),
                "last_error": job.last_error,
                "payload": payload,
            })
        );
    }
    Ok(())
}
