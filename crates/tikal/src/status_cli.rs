//! `tikal status`: the desk's ticket statuses, until the administration pages manage them.

use clap::Subcommand;
use tikal_core::StateCategory;
use tikal_service::{Desk, NewStatus, Principal};
use tikal_store::StatusChange;

use tikal::startup::StartupError;

#[derive(Subcommand)]
pub enum StatusCommand {
    /// List statuses: key, state category, Spanish and English names, active or retired.
    List,
    /// Add a status mapped to a state category (new, open, pending, resolved, closed).
    Create {
        /// Lowercase letters, digits and `_`, e.g. `espera_proveedor`.
        #[arg(long)]
        key: String,
        #[arg(long)]
        category: StateCategory,
        #[arg(long)]
        name_es: String,
        #[arg(long)]
        name_en: String,
        /// A pending status that waits on the requester: their reply reopens the ticket.
        #[arg(long)]
        awaits_requester: bool,
    },
    /// Rename a status (built-in ones too).
    Rename {
        key: String,
        #[arg(long)]
        name_es: Option<String>,
        #[arg(long)]
        name_en: Option<String>,
    },
    /// Retire a status: tickets keep it, nobody can choose it any more.
    Retire { key: String },
    /// Bring a retired status back.
    Restore { key: String },
}

pub async fn run(desk: &Desk, command: StatusCommand) -> Result<(), StartupError> {
    let admin = Principal::System;
    let change = |name_es, name_en, active| StatusChange { name_es, name_en, position: None, active };
    match command {
        StatusCommand::List => {
            for d in desk.statuses().await? {
                let state = if d.active { "active" } else { "retired" };
                println!("{}\t{}\t{}\t{}\t{state}", d.status, d.status.category(), d.name_es, d.name_en);
            }
        }
        StatusCommand::Create { key, category, name_es, name_en, awaits_requester } => {
            let d = desk.create_status(&admin, NewStatus { key, category, awaits_requester, name_es, name_en, position: None }).await?;
            println!("{}", d.status);
        }
        StatusCommand::Rename { key, name_es, name_en } => {
            desk.change_status(&admin, &key, change(name_es, name_en, None)).await?;
        }
        StatusCommand::Retire { key } => {
            desk.change_status(&admin, &key, change(None, None, Some(false))).await?;
        }
        StatusCommand::Restore { key } => {
            desk.change_status(&admin, &key, change(None, None, Some(true))).await?;
        }
    }
    Ok(())
}
