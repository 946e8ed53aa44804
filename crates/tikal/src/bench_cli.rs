//! `tikal bench`: benchmark data, written straight through the store (see `tikal::bench`).

use std::io::Read;
use std::time::Instant;

use clap::Subcommand;
use tikal::bench::{self, SeedOptions};
use tikal::startup::StartupError;
use tikal_core::{DomainError, PersonName};
use tikal_service::Desk;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Fill the database with realistic tickets for benchmarks (Spanish vocabulary, a year of
    /// history). Prints what benchmarks need to query it: the busiest requester, the added
    /// status and the busiest department.
    Seed {
        /// How many tickets to add.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        tickets: u64,
        /// Add to a database that already has tickets (otherwise refused).
        #[arg(long)]
        append: bool,
        /// Give the busiest requester a portal account with the password read from standard
        /// input, to measure the portal signed in.
        #[arg(long, conflicts_with = "agent_password_stdin")]
        portal_password_stdin: bool,
        /// Give the first agent (tecnico01@tikal.example, a supervisor of every department who
        /// owns tickets) the password read from standard input, to measure the agent workspace
        /// signed in. Only when the seed creates that agent.
        #[arg(long)]
        agent_password_stdin: bool,
    },
    /// Measure the SLA sweep: open this many tickets (through the desk, 8 at a time) in a
    /// department held to a one-hour response plan, then time a sweep with nothing due and a
    /// sweep at which every ticket's breach is due. Prints a Markdown table row.
    Sla {
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        tickets: u64,
    },
}

pub async fn run(desk: &Desk, command: BenchCommand) -> Result<(), StartupError> {
    let (tickets, append, portal_password_stdin, agent_password_stdin) = match command {
        BenchCommand::Seed { tickets, append, portal_password_stdin, agent_password_stdin } => {
            (tickets, append, portal_password_stdin, agent_password_stdin)
        }
        BenchCommand::Sla { tickets } => return crate::bench_sla::run(desk, tickets).await,
    };
    let password = if portal_password_stdin || agent_password_stdin {
        let mut password = String::new();
        std::io::stdin().read_to_string(&mut password)?;
        let password = password.trim_end_matches(['\r', '\n']).to_string();
        if password.chars().count() < 10 {
            return Err(StartupError::Service(DomainError::invalid("password", "must have at least 10 characters").into()));
        }
        Some(password)
    } else {
        None
    };
    let (portal_password, agent_password_hash) = match password {
        Some(p) if agent_password_stdin => (None, Some(tikal_service::hash_password(p).await?)),
        other => (other, None),
    };
    let started = Instant::now();
    let mut last_report = 0u64;
    let report = bench::seed(desk, &SeedOptions { tickets, append, agent_password_hash }, |done, of| {
        if done == of || done - last_report >= 50_000 {
            last_report = done;
            let secs = started.elapsed().as_secs_f64();
            eprintln!("bench seed: {done} of {of} tickets ({:.0}/s, {secs:.0} s)", done as f64 / secs.max(0.001));
        }
    })
    .await?;
    if let Some(password) = portal_password {
        let hash = tikal_service::hash_password(password).await?;
        let name = PersonName::parse("Solicitante de pruebas").map_err(|e| StartupError::Service(e.into()))?;
        // As the demo makes its account: the requester exists, the account is confirmed at once.
        let id = desk.store().ensure_requester(&report.busiest_requester, &name, tikal_store::now()).await?;
        let account = tikal_store::PendingRegistration { password_hash: hash, name, language: Some("es".into()) };
        desk.store().confirm_registration(id, Some(&account)).await?;
    }
    eprintln!("bench seed: {} tickets, {} requesters in {:.1} s", report.tickets, report.requesters, started.elapsed().as_secs_f64());
    println!("tickets\t{}", report.tickets);
    println!("requester\t{}", report.busiest_requester);
    println!("status\t{}", report.added_status);
    println!("department\t{}", report.busiest_department);
    println!("agent\t{}", report.supervisor);
    Ok(())
}
