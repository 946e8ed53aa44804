//! `tikal agent`: agents of the desk, until the administration pages manage them.

use std::io::Read;

use clap::Subcommand;
use tikal_core::{EmailAddress, PersonName};
use tikal_service::{Desk, Membership, Principal, ServiceError};

use tikal::startup::StartupError;

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Create an agent who signs in at /agent/login; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// A department (id or name) the agent works in; repeat for several.
        #[arg(long = "department", required = true)]
        departments: Vec<String>,
        /// The role held in those departments: agent, supervisor, read_only, or one of yours.
        #[arg(long)]
        role: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List agents: id, e-mail, name, administrator or agent, active or not.
    List,
}

pub async fn run(desk: &Desk, command: AgentCommand) -> Result<(), StartupError> {
    match command {
        AgentCommand::Create { email, name, departments, role, .. } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let email = EmailAddress::parse(&email).map_err(ServiceError::from)?;
            let name = PersonName::parse(&name).map_err(ServiceError::from)?;
            let memberships: Vec<Membership> =
                departments.into_iter().map(|department| Membership { department, role: role.clone() }).collect();
            let agent = desk.create_agent(&Principal::System, email, name, password, &memberships).await?;
            println!("agent {} created (id {}); they sign in at /agent/login", agent.email, agent.id);
        }
        AgentCommand::List => {
            for a in desk.store().agents().await? {
                let kind = if a.is_admin { "administrator" } else { "agent" };
                let state = if a.active { "active" } else { "inactive" };
                println!("{}\t{}\t{}\t{kind}\t{state}", a.id, a.email, a.name.as_str());
            }
        }
    }
    Ok(())
}
