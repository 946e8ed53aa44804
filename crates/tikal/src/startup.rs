//! Wiring: open the store (creating and migrating it), build the desk, serve HTTP.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tikal_jobs::{Fetcher, Intake, MailTls, ServerProbe, SmtpMailer, Worker};
use tikal_service::Desk;
use tikal_store::Store;
use tikal_web::AppState;
use tokio::net::TcpListener;

use crate::Settings;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Store(#[from] tikal_store::StoreError),
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error(transparent)]
    Service(#[from] tikal_service::ServiceError),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    #[error("mail: {0}")]
    Mail(String),
}

/// Connects to the database, applies migrations and seeds the built-in roles.
pub async fn open_desk(settings: &Settings) -> Result<Desk, StartupError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| StartupError::DataDir(settings.data_dir.display().to_string(), e))?;
    let store = Store::connect_with(&settings.database_url(), &settings.data_dir, settings.store_options()).await?;
    store.migrate().await?;
    store.ensure_builtin_roles().await?;
    let mut config = settings.desk.clone().into_config().map_err(crate::settings::SettingsError::from)?;
    config.portal = settings.portal.clone();
    config.verify_email = settings.mail.is_some();
    let tls = MailTls::public().map_err(StartupError::Mail)?;
    Ok(Desk::new(store, config).with_mail_probe(Arc::new(ServerProbe::new(tls))))
}

/// The names of the first department and help topic, in the organisation's language.
fn default_catalog_names(language: &str) -> (&'static str, &'static str) {
    match language {
        "en" => ("Service Desk", "General enquiry"),
        _ => ("Mesa de Ayuda", "Consulta general"),
    }
}

/// What `serve` adds to a new database so tickets can be opened at once (API, portal, e-mail):
/// a default department and a general help topic, named in `[portal] default_language`. Only
/// while there is no department at all, so an administrator's renames and removals stand; two
/// nodes starting together create them once.
pub async fn first_start(settings: &Settings, desk: &Desk) -> Result<(), StartupError> {
    let (department, topic) = default_catalog_names(&settings.portal.default_language);
    if let Some((d, t)) = desk.store().ensure_default_catalog(department, topic, tikal_store::now()).await? {
        tracing::info!(department = %d.name, help_topic = %t.name, "first start: created the default department and help topic");
    }
    Ok(())
}

/// Whether an active administrator exists (someone who can manage the desk).
pub async fn has_administrator(desk: &Desk) -> Result<bool, StartupError> {
    Ok(desk.store().agents().await?.iter().any(|a| a.is_admin && a.active))
}

/// The address people type in a browser for a bound socket: a wildcard address becomes loopback.
pub fn browser_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, addr.port()))
}

/// The outbox worker for the configured mail server, if any: account mail and ticket
/// notifications, with links to `[portal] public_url`.
/// It sends through the active SMTP account of `/admin/mail`, else `[mail]`; with neither,
/// mail waits in the outbox until one is configured.
pub fn worker(settings: &Settings, desk: &Desk) -> Result<Option<Worker>, StartupError> {
    let fallback: Option<Arc<dyn tikal_jobs::Mailer>> = match &settings.mail {
        Some(mail) => Some(Arc::new(SmtpMailer::new(&mail.smtp_url, &mail.from).map_err(|e| StartupError::Mail(e.to_string()))?)),
        None => None,
    };
    let mailer = tikal_jobs::AccountMailer::new(desk.clone(), fallback);
    Ok(Some(
        Worker::new(desk.store().clone(), Arc::new(mailer), settings.outbox)
            .organisation(settings.portal.organisation_name.clone())
            .desk(desk.clone())
            .notify(tikal_jobs::NotifySettings { public_url: settings.portal.public_url.clone() }),
    ))
}

/// The mail poller: fetches from the e-mail accounts of `/admin/mail` into `intake`.
pub fn fetcher(desk: &Desk, intake: Arc<dyn Intake>) -> Result<Fetcher, StartupError> {
    Ok(Fetcher::new(desk.store().clone(), intake, MailTls::public().map_err(StartupError::Mail)?))
}

/// What runs beside the HTTP server until shutdown.
#[derive(Default)]
pub struct Background {
    /// The outbox worker (mail out).
    pub worker: Option<Worker>,
    /// The mail poller (mail in).
    pub fetcher: Option<Fetcher>,
    /// The recurring tasks (SLA sweep, automation).
    pub scheduler: Option<tikal_jobs::Scheduler>,
}

/// How often the scheduler looks at the shared schedule.
const SCHEDULE_TICK: Duration = Duration::from_secs(5);

/// The scheduler of this node, reading the time from `clock_file` when one is given (tests
/// that run several nodes and move their time), else the real time.
pub fn scheduler(desk: &Desk, clock_file: Option<std::path::PathBuf>) -> tikal_jobs::Scheduler {
    let clock: std::sync::Arc<dyn tikal_jobs::Clock> = match clock_file {
        Some(path) => std::sync::Arc::new(tikal_jobs::FileClock(path)),
        None => std::sync::Arc::new(tikal_jobs::SystemClock),
    };
    tikal_jobs::Scheduler::new(desk.clone(), clock)
}

/// How often the poller looks for accounts whose interval has passed.
const POLL_EVERY: Duration = Duration::from_secs(10);

/// Serves on `listener` (and runs the outbox worker and the mail poller) until `shutdown`
/// resolves; in-flight requests finish first, and a poll in progress gives its lease back.
pub async fn run(
    desk: Desk,
    http: tikal_web::HttpSettings,
    listener: TcpListener,
    background: Background,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let Background { worker, fetcher, scheduler } = background;
    let state = AppState::new(desk.clone(), tikal_web::install_metrics(), http);
    tracing::info!(address = %listener.local_addr()?, "tikal is listening");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let jobs = worker.map(|w| {
        let mut stopped = stopped.clone();
        tokio::spawn(w.run(Duration::from_secs(5), async move {
            let _ = stopped.changed().await;
        }))
    });
    let poller = fetcher.map(|f| {
        let mut stopped = stopped.clone();
        tokio::spawn(f.run(POLL_EVERY, async move {
            let _ = stopped.changed().await;
        }))
    });
    let schedule = scheduler.map(|s| {
        let mut stopped = stopped.clone();
        tokio::spawn(s.run(SCHEDULE_TICK, async move {
            let _ = stopped.changed().await;
        }))
    });
    let mut stopped_too = stopped.clone();
    let housekeeping = tokio::spawn(tikal_jobs::housekeeping(desk.store().clone(), Duration::from_secs(600), async move {
        let _ = stopped_too.changed().await;
    }));
    tikal_web::serve(listener, state, async move {
        shutdown.await;
        let _ = stop.send(true);
    })
    .await?;
    if let Some(j) = jobs {
        let _ = j.await;
    }
    if let Some(p) = poller {
        let _ = p.await;
    }
    if let Some(s) = schedule {
        let _ = s.await;
    }
    let _ = housekeeping.await;
    desk.store().clone().close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_address_is_one_a_browser_opens() {
        assert_eq!(browser_url("127.0.0.1:8080".parse().expect("addr")), "http://127.0.0.1:8080/");
        assert_eq!(browser_url("0.0.0.0:9000".parse().expect("addr")), "http://127.0.0.1:9000/");
        assert_eq!(browser_url("[::]:9000".parse().expect("addr")), "http://[::1]:9000/");
        assert_eq!(browser_url("10.0.0.5:80".parse().expect("addr")), "http://10.0.0.5:80/");
    }
}
