//! `tikal`: parse the command line, load settings, start logging, hand over to the library.

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tikal::settings::Overrides;
use tikal::startup::{self, StartupError};
use tikal::{Settings, demo};
use tikal_core::{EmailAddress, PersonName};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

mod agent_cli;
mod bench_cli;
mod bench_sla;
mod config_cli;
mod mail_cli;
mod outbox_cli;
mod search_cli;
mod status_cli;

#[derive(Parser)]
#[command(name = "tikal", version, about = "Tikal: a self-hosted IT helpdesk")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Common {
    /// TOML configuration file (flags and environment win over it).
    #[arg(long, env = "TIKAL_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Data directory: the SQLite database and attachments live here.
    #[arg(long, env = "TIKAL_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://... (default: tikal.db in the data directory) or postgres://...
    #[arg(long, env = "TIKAL_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// The key e-mail account passwords are encrypted with (32 bytes, base64). Give every
    /// node the same; without it, `secret.key` in the data directory is used.
    #[arg(long, env = "TIKAL_SECRET_KEY", global = true, hide_env_values = true)]
    secret_key: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrating the database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "TIKAL_LISTEN")]
        listen: Option<SocketAddr>,
        /// Fill an empty database with Spanish demo data and print how to sign in.
        #[arg(long)]
        demo: bool,
        /// The demo's "now": the clock stands still at this instant (RFC 3339), so demo data
        /// and screenshots come out the same on every run. For tests.
        #[arg(long, env = "TIKAL_DEMO_NOW", requires = "demo", hide = true)]
        demo_now: Option<chrono::DateTime<chrono::Utc>>,
        /// The scheduler reads "now" from this file (RFC 3339) instead of the system clock,
        /// so tests with several nodes move time instead of waiting. For tests.
        #[arg(long, env = "TIKAL_CLOCK_FILE", hide = true)]
        clock_file: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Agents of the desk (until the administration pages manage them).
    Agent {
        #[command(subcommand)]
        command: agent_cli::AgentCommand,
    },
    /// API keys for integrations.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Departments (queues) tickets are routed to.
    Department {
        #[command(subcommand)]
        command: DepartmentCommand,
    },
    /// Help topics of the service catalogue.
    HelpTopic {
        #[command(subcommand)]
        command: HelpTopicCommand,
    },
    /// Ticket statuses: add your own (each in a state category), rename, retire.
    Status {
        #[command(subcommand)]
        command: status_cli::StatusCommand,
    },
    /// Organisations of requesters (joined by e-mail domain).
    Organisation {
        #[command(subcommand)]
        command: OrganisationCommand,
    },
    /// The outbox: notifications and links waiting to be sent, failed ones, retrying them.
    Outbox {
        #[command(subcommand)]
        command: outbox_cli::OutboxCommand,
    },
    /// The desk's configuration as a TOML document: export, and import with a dry run first.
    Config {
        #[command(subcommand)]
        command: config_cli::ConfigCommand,
    },
    /// The e-mail channel: `mail ingest` imports one message piped by the MTA.
    Mail {
        #[command(subcommand)]
        command: mail_cli::MailCommand,
    },
    /// The ticket search index: `search reindex` builds it again.
    Search {
        #[command(subcommand)]
        command: search_cli::SearchCommand,
    },
    /// Print the OpenAPI document of the REST API.
    Openapi,
    /// Benchmark data.
    Bench {
        #[command(subcommand)]
        command: bench_cli::BenchCommand,
    },
}

#[derive(Subcommand)]
enum OrganisationCommand {
    /// Create an organisation and print its id; new requesters at `--domain` join it.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        domain: Option<String>,
    },
    /// List organisations: id, name, domain.
    List,
}

#[derive(Subcommand)]
enum DepartmentCommand {
    /// Create a department and print its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent_id: Option<i64>,
    },
    /// List departments: id, name.
    List,
}

#[derive(Subcommand)]
enum HelpTopicCommand {
    /// Create a help topic and print its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent_id: Option<i64>,
        /// Department its tickets go to.
        #[arg(long)]
        department_id: Option<i64>,
        /// Default priority 1-5.
        #[arg(long)]
        priority: Option<u8>,
        /// Default type: incident, service_request, problem, major_incident.
        #[arg(long = "type")]
        kind: Option<String>,
    },
    /// List help topics: id, path.
    List,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator agent; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print it once (only its hash is stored).
    Create {
        #[arg(long)]
        name: String,
    },
    /// List keys: id, name, created, state.
    List,
    /// Revoke a key by id; it stops working within seconds on every node.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The MTA reads this command's exit code, so it answers its own (`mail_cli`).
    if let Command::Mail { .. } = &cli.command {
        return mail(cli).await;
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tikal: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn mail(cli: Cli) -> ExitCode {
    let overrides =
        Overrides { listen: None, data_dir: cli.common.data_dir, database_url: cli.common.database_url, secret_key: cli.common.secret_key };
    let desk = match Settings::load(cli.common.config.as_deref(), overrides) {
        Ok(settings) => {
            init_logging(&settings.log_format);
            startup::open_desk(&settings).await
        }
        Err(e) => Err(e.into()),
    };
    match (desk, cli.command) {
        (Ok(desk), Command::Mail { command }) => mail_cli::run(&desk, command).await,
        (Err(e), _) => {
            eprintln!("tikal: {e}");
            // A desk that cannot start now may start later: the MTA keeps the message.
            ExitCode::from(75)
        }
        (Ok(_), _) => ExitCode::FAILURE,
    }
}

/// The log filter, which `serve --demo` tightens while it adds its tickets.
struct LogFilter {
    directives: String,
    handle: reload::Handle<EnvFilter, Registry>,
}

impl LogFilter {
    /// While the demo opens its 300 tickets, their "ticket opened" lines show only at debug.
    fn quiet_ticket_lines(&self, quiet: bool) {
        let verbose = self.handle.with_current(|f| f.max_level_hint().is_some_and(|l| l >= LevelFilter::DEBUG)).unwrap_or(true);
        if verbose {
            return;
        }
        let directives = if quiet { format!("{},tikal_service=warn", self.directives) } else { self.directives.clone() };
        if let Ok(filter) = EnvFilter::try_new(directives) {
            let _ = self.handle.reload(filter);
        }
    }
}

fn init_logging(format: &str) -> LogFilter {
    let directives = std::env::var("TIKAL_LOG").ok().filter(|d| EnvFilter::try_new(d).is_ok()).unwrap_or_else(|| "info".into());
    let (filter, handle) = reload::Layer::new(EnvFilter::new(&directives));
    // Colours only for a person at a terminal, never in files, pipes or journald.
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal());
    let logs = tracing_subscriber::registry().with(filter);
    if format == "json" {
        logs.with(lines.json()).init();
    } else {
        logs.with(lines).init();
    }
    LogFilter { directives, handle }
}

async fn run(cli: Cli) -> Result<(), StartupError> {
    let listen = match &cli.command {
        Command::Serve { listen, .. } => *listen,
        _ => None,
    };
    // How to run `tikal` on this same database, for the commands `serve` suggests.
    let tikal_cmd = command_line(cli.common.config.as_deref(), cli.common.data_dir.as_deref(), cli.common.database_url.is_some());
    let overrides =
        Overrides { listen, data_dir: cli.common.data_dir, database_url: cli.common.database_url, secret_key: cli.common.secret_key };
    let settings = Settings::load(cli.common.config.as_deref(), overrides)?;
    let log_filter = init_logging(&settings.log_format);
    match cli.command {
        Command::Serve { demo, demo_now, clock_file, .. } => {
            if let Some(at) = demo_now {
                tikal_store::freeze_clock(at);
            }
            // Bind first: a taken port fails at once, and what is printed is the real address.
            let listener = tokio::net::TcpListener::bind(settings.listen).await?;
            let url = startup::browser_url(listener.local_addr()?);
            let desk = startup::open_desk(&settings).await?;
            if demo {
                log_filter.quiet_ticket_lines(true);
                let seeded = demo::seed_if_empty(&desk).await;
                log_filter.quiet_ticket_lines(false);
                print!("{}", demo::welcome(&url, seeded?.as_ref(), &tikal_cmd));
            }
            startup::first_start(&settings, &desk).await?;
            if !startup::has_administrator(&desk).await? {
                tracing::warn!(
                    "no administrator yet; create one with: printf '%s\\n' 'a long passphrase' | {tikal_cmd} admin create --email you@example.org --name \"Your Name\" --password-stdin"
                );
            }
            let worker = startup::worker(&settings, &desk)?;
            println!("Tikal is running at {url}");
            // The poller hands what it fetches to the desk's own intake.
            let fetcher = Some(startup::fetcher(&desk, std::sync::Arc::new(desk.clone()))?);
            let scheduler = Some(startup::scheduler(&desk, clock_file));
            startup::run(desk, settings.http.clone(), listener, startup::Background { worker, fetcher, scheduler }, shutdown_signal()).await
        }
        Command::Migrate => {
            startup::open_desk(&settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create { email, name, .. } } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            if password.chars().count() < 10 {
                return Err(tikal_core::DomainError::invalid("password", "must have at least 10 characters").into_startup());
            }
            let email = EmailAddress::parse(&email).map_err(|e| e.into_startup())?;
            let name = PersonName::parse(&name).map_err(|e| e.into_startup())?;
            let desk = startup::open_desk(&settings).await?;
            let agent = demo::create_admin(&desk, email, name, password).await?;
            println!("administrator {} created (id {})", agent.email, agent.id);
            Ok(())
        }
        Command::ApiKey { command: ApiKeyCommand::List } => {
            let desk = startup::open_desk(&settings).await?;
            for (id, name, created, revoked) in desk.store().api_keys().await? {
                println!(
                    "{id}\t{name}\t{}\t{}",
                    created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    if revoked { "revoked" } else { "active" }
                );
            }
            Ok(())
        }
        Command::ApiKey { command: ApiKeyCommand::Revoke { id } } => {
            let desk = startup::open_desk(&settings).await?;
            if !desk.store().revoke_api_key(tikal_core::ApiKeyId(id)).await? {
                return Err(tikal_core::DomainError::invalid("id", tikal_core::Reason::NotFound).into_startup());
            }
            println!("API key {id} revoked");
            Ok(())
        }
        Command::ApiKey { command: ApiKeyCommand::Create { name } } => {
            let desk = startup::open_desk(&settings).await?;
            let key = desk.create_api_key(&name).await?;
            eprintln!("API key `{name}` created; it is shown only once:");
            println!("{key}");
            Ok(())
        }
        Command::Department { command } => {
            let desk = startup::open_desk(&settings).await?;
            catalogue::department(&desk, command).await
        }
        Command::HelpTopic { command } => {
            let desk = startup::open_desk(&settings).await?;
            catalogue::help_topic(&desk, command).await
        }
        Command::Agent { command } => {
            let desk = startup::open_desk(&settings).await?;
            agent_cli::run(&desk, command).await
        }
        Command::Config { command } => {
            let desk = startup::open_desk(&settings).await?;
            config_cli::run(&desk, command).await
        }
        Command::Status { command } => {
            let desk = startup::open_desk(&settings).await?;
            status_cli::run(&desk, command).await
        }
        Command::Organisation { command } => {
            let desk = startup::open_desk(&settings).await?;
            catalogue::organisation(&desk, command).await
        }
        Command::Outbox { command } => {
            let desk = startup::open_desk(&settings).await?;
            outbox_cli::run(&desk, command).await
        }
        Command::Search { command } => {
            let desk = startup::open_desk(&settings).await?;
            search_cli::run(&desk, command).await
        }
        // Answered by `mail` before `run`.
        Command::Mail { .. } => Ok(()),
        Command::Openapi => {
            println!("{}", tikal_web::openapi_json());
            Ok(())
        }
        Command::Bench { command } => {
            let desk = startup::open_desk(&settings).await?;
            bench_cli::run(&desk, command).await
        }
    }
}

mod catalogue {
    use tikal_core::{DepartmentId, DomainError, HelpTopicId, Priority, TicketType};
    use tikal_service::Desk;
    use tikal_store::NewHelpTopic;

    use super::{DepartmentCommand, HelpTopicCommand, IntoStartup, OrganisationCommand, StartupError};

    fn name(raw: &str) -> Result<String, StartupError> {
        let n = raw.trim();
        if n.is_empty() || n.chars().count() > 120 {
            return Err(DomainError::invalid("name", "must be 1-120 characters").into_startup());
        }
        Ok(n.to_string())
    }

    pub async fn department(desk: &Desk, command: DepartmentCommand) -> Result<(), StartupError> {
        match command {
            DepartmentCommand::Create { name: raw, parent_id } => {
                let d = desk.store().create_department(&name(&raw)?, parent_id.map(DepartmentId), tikal_store::now()).await?;
                println!("{}", d.id);
            }
            DepartmentCommand::List => {
                for d in desk.store().departments().await? {
                    println!("{}\t{}", d.id, d.name);
                }
            }
        }
        Ok(())
    }

    pub async fn organisation(desk: &Desk, command: OrganisationCommand) -> Result<(), StartupError> {
        match command {
            OrganisationCommand::Create { name: raw, domain } => {
                if let Some(d) = &domain
                    && tikal_core::EmailAddress::parse(&format!("x@{d}")).is_err()
                {
                    return Err(DomainError::invalid("domain", "is not an e-mail domain").into_startup());
                }
                let o = desk.store().create_organisation(&name(&raw)?, domain.as_deref(), tikal_store::now()).await?;
                println!("{}", o.id);
            }
            OrganisationCommand::List => {
                for (o, domain) in desk.store().organisations().await? {
                    println!("{}\t{}\t{}", o.id, o.name, domain.unwrap_or_default());
                }
            }
        }
        Ok(())
    }

    pub async fn help_topic(desk: &Desk, command: HelpTopicCommand) -> Result<(), StartupError> {
        match command {
            HelpTopicCommand::Create { name: raw, parent_id, department_id, priority, kind } => {
                let topic = NewHelpTopic {
                    name: name(&raw)?,
                    parent_id: parent_id.map(HelpTopicId),
                    department_id: department_id.map(DepartmentId),
                    default_priority: priority.map(Priority::try_from).transpose().map_err(IntoStartup::into_startup)?,
                    default_type: kind
                        .as_deref()
                        .map(str::parse::<TicketType>)
                        .transpose()
                        .map_err(|e| DomainError::from(e).into_startup())?,
                };
                let t = desk.store().create_help_topic(topic).await?;
                println!("{}", t.id);
            }
            HelpTopicCommand::List => {
                let all = desk.store().help_topics().await?;
                for t in &all {
                    println!("{}\t{}", t.id, t.path(&all));
                }
            }
        }
        Ok(())
    }
}

/// `tikal` with the global flags this run was given, for the commands `serve` suggests.
fn command_line(config: Option<&std::path::Path>, data_dir: Option<&std::path::Path>, database_url: bool) -> String {
    let mut cmd = String::from("tikal");
    for (flag, value) in [("--config", config), ("--data-dir", data_dir)] {
        if let Some(v) = value {
            let v = v.display().to_string();
            let quoted = if v.contains([' ', '\'', '"', '$']) { format!("'{}'", v.replace('\'', "'\\''")) } else { v };
            cmd += &format!(" {flag} {quoted}");
        }
    }
    // A URL from TIKAL_DATABASE_URL reaches the command through the environment; one given as a
    // flag is not repeated, since it may hold a password.
    if database_url && std::env::var_os("TIKAL_DATABASE_URL").is_none() {
        cmd += " --database-url '<the same URL>'";
    }
    cmd
}

trait IntoStartup {
    fn into_startup(self) -> StartupError;
}

impl IntoStartup for tikal_core::DomainError {
    fn into_startup(self) -> StartupError {
        StartupError::Service(self.into())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
