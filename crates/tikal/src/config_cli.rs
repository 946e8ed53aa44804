//! `tikal config export|import`: the desk's configuration as a TOML document, for copying a
//! setup to another instance or keeping it under version control.

use std::io::Read;
use std::path::PathBuf;

use clap::Subcommand;
use tikal_service::{Desk, ImportAction, Principal};

use tikal::startup::StartupError;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration (departments, teams...) as TOML.
    Export,
    /// Import a configuration document (a file, or `-` for standard input). Without `--apply`
    /// it is a dry run: the document is checked and every change listed, nothing is written.
    Import {
        file: PathBuf,
        #[arg(long)]
        apply: bool,
    },
}

pub async fn run(desk: &Desk, command: ConfigCommand) -> Result<(), StartupError> {
    match command {
        ConfigCommand::Export => {
            print!("{}", desk.export_configuration(&Principal::System).await?);
            Ok(())
        }
        ConfigCommand::Import { file, apply } => {
            let mut text = String::new();
            if file.as_os_str() == "-" {
                std::io::stdin().take(tikal_service::MAX_DOCUMENT as u64 + 1).read_to_string(&mut text)?;
            } else {
                std::fs::File::open(&file)?.take(tikal_service::MAX_DOCUMENT as u64 + 1).read_to_string(&mut text)?;
            }
            let report = desk.import_configuration(&Principal::System, &text, apply).await?;
            for c in &report.changes {
                let what = match c.action {
                    ImportAction::Create => "create",
                    ImportAction::Update => "update",
                    ImportAction::Unchanged => "unchanged",
                    ImportAction::NotInDocument => "not in the document (left as it is)",
                };
                println!("{} {}: {what}", c.entity, c.name);
            }
            if !report.applied {
                println!("dry run: nothing was changed; run again with --apply to make these changes");
            }
            Ok(())
        }
    }
}
