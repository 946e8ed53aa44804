//! Wiring: open the store (creating and migrating it), build the desk, serve HTTP.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tikal_jobs::{SmtpMailer, Worker};
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
    Ok(Desk::new(store, config))
}

/// The outbox worker for the configured mail server, if any.
pub fn worker(settings: &Settings, desk: &Desk) -> Result<Option<Worker>, StartupError> {
    let Some(mail) = &settings.mail else {
        tracing::info!("no [mail] configured: mail waits in the outbox");
        return Ok(None);
    };
    let mailer = SmtpMailer::new(&mail.smtp_url, &mail.from).map_err(|e| StartupError::Mail(e.to_string()))?;
    Ok(Some(Worker::new(desk.store().clone(), Arc::new(mailer), settings.outbox)))
}

/// Serves on `listener` (and runs the outbox worker) until `shutdown` resolves; in-flight
/// requests finish first.
pub async fn run(
    desk: Desk,
    listener: TcpListener,
    worker: Option<Worker>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let state = AppState { desk: desk.clone(), metrics: tikal_web::install_metrics() };
    tracing::info!(address = %listener.local_addr()?, "tikal is listening");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let jobs = worker.map(|w| {
        let mut stopped = stopped.clone();
        tokio::spawn(w.run(Duration::from_secs(5), async move {
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
    let _ = housekeeping.await;
    desk.store().clone().close().await;
    Ok(())
}
