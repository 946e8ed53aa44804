//! `tikal mail ingest`: one RFC 5322 message on standard input, from an MTA's pipe (Postfix
//! `pipe`, Exim `pipe` transport, a `.forward`/aliases `|` entry). It prints the number of the
//! ticket the message went to. Exit codes follow sysexits, which MTAs read: 0 when the message
//! is stored (in a ticket, or kept in quarantine or deliberately ignored, said on standard
//! error), 65 (EX_DATAERR) when it is larger than the desk takes (the MTA returns it to its
//! sender), 75 (EX_TEMPFAIL) when it could not be stored (the MTA keeps it and retries).

use std::io::Read;
use std::process::ExitCode;

use clap::Subcommand;
use tikal_service::{Desk, Ingested, MailSource};

#[derive(Subcommand)]
pub enum MailCommand {
    /// Read one message on standard input, import it, print its ticket's number.
    Ingest,
}

const EX_DATAERR: u8 = 65;
const EX_TEMPFAIL: u8 = 75;

/// Tries after the first before giving the message back to the MTA.
const RETRIES: u64 = 5;

pub async fn run(desk: &Desk, command: MailCommand) -> ExitCode {
    match command {
        MailCommand::Ingest => ingest(desk).await,
    }
}

async fn ingest(desk: &Desk) -> ExitCode {
    let max = desk.config().intake.max_message_bytes;
    let mut raw = Vec::new();
    // One byte past the limit tells a message too large from one exactly at it.
    if let Err(e) = std::io::stdin().take(max as u64 + 1).read_to_end(&mut raw) {
        eprintln!("tikal: reading the message: {e}");
        return ExitCode::from(EX_TEMPFAIL);
    }
    if raw.len() > max {
        eprintln!("tikal: the message is larger than {max} bytes");
        return ExitCode::from(EX_DATAERR);
    }
    let raw = bytes::Bytes::from(raw);
    let mut outcome = desk.ingest_mail(MailSource::Pipe, raw.clone()).await;
    // A moment's contention (SQLite written by the server at the same instant) passes: a few
    // quick tries before the MTA's own, much later retry. The retry finishes the same row.
    for attempt in 1..=RETRIES {
        if outcome.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
        outcome = desk.ingest_mail(MailSource::Pipe, raw.clone()).await;
    }
    match outcome {
        Ok(outcome) => {
            match &outcome {
                Ingested::Quarantined(why) => eprintln!("tikal: kept in quarantine: {why}"),
                Ingested::Ignored(why) => eprintln!("tikal: not imported: {why}"),
                Ingested::Duplicate(_) => eprintln!("tikal: imported before"),
                Ingested::DeliveryFailure(_) => eprintln!("tikal: a delivery failure report"),
                Ingested::Opened(_) | Ingested::Added(_) => {}
            }
            if let Some(number) = outcome.ticket() {
                println!("{number}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tikal: the message could not be stored, try again later: {e}");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}
