//! `tikal search reindex`: builds the ticket search index again from the tickets' subjects and
//! threads (after restoring a database from elsewhere, or when a new version changes how words
//! are indexed). New and changed tickets are indexed as they are written; this is never needed
//! for them.

use clap::Subcommand;
use tikal_service::Desk;

use tikal::startup::StartupError;

#[derive(Subcommand)]
pub enum SearchCommand {
    /// Index every ticket again (a batch per transaction: the desk stays usable meanwhile), or
    /// with `--missing` only tickets the index does not hold. Prints the progress on stderr.
    Reindex {
        #[arg(long)]
        missing: bool,
    },
}

pub async fn run(desk: &Desk, command: SearchCommand) -> Result<(), StartupError> {
    match command {
        SearchCommand::Reindex { missing } => {
            let done = desk
                .reindex_search(missing, |n| {
                    if n % 10_000 == 0 {
                        eprintln!("{n} tickets indexed");
                    }
                })
                .await?;
            println!("{done} tickets indexed");
            Ok(())
        }
    }
}
