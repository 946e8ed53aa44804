//! Typed settings: defaults, then the TOML file, then environment variables and flags (clap
//! reads each flag's `TIKAL_*` twin). Unknown keys are errors.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use tikal_service::{DeskSettings, PortalPolicy};

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; default: `tikal.db` in the data directory.
    pub database_url: Option<String>,
    /// `text` or `json` log lines.
    pub log_format: String,
    #[serde(skip_serializing)]
    pub desk: DeskSettings,
    #[serde(skip_serializing)]
    pub portal: PortalPolicy,
    /// Outgoing mail; without it nothing is sent and mail waits in the outbox.
    #[serde(skip_serializing)]
    pub mail: Option<tikal_jobs::MailSettings>,
    /// Connection limits, trusted reverse proxies, the metrics token.
    #[serde(skip_serializing)]
    pub http: tikal_web::HttpSettings,
    pub database: DatabaseSettings,
    pub outbox: tikal_jobs::OutboxSettings,
    /// The key e-mail account passwords are encrypted with: 32 bytes in base64
    /// (`TIKAL_SECRET_KEY`). Unset: `secret.key` in the data directory. Several nodes must
    /// share one.
    #[serde(skip_serializing)]
    pub secret_key: Option<String>,
}

/// `[database]` settings.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `full` (the default: an acknowledged ticket survives power loss) or `normal` (faster;
    /// an OS crash or power loss may lose the last acknowledged writes).
    pub sqlite_synchronous: tikal_store::SqliteSync,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./tikal-data"),
            database_url: None,
            log_format: "text".into(),
            desk: DeskSettings::default(),
            portal: PortalPolicy::default(),
            mail: None,
            http: tikal_web::HttpSettings::default(),
            database: DatabaseSettings::default(),
            outbox: tikal_jobs::OutboxSettings::default(),
            secret_key: None,
        }
    }
}

/// The password of a database URL is never printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact))
            .field("log_format", &self.log_format)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// Values given on the command line or in `TIKAL_*` variables; they win over the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub secret_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Desk(#[from] tikal_core::DomainError),
}

impl Settings {
    pub fn load(config_file: Option<&Path>, o: Overrides) -> Result<Settings, SettingsError> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = config_file {
            fig = fig.merge(Toml::file_exact(path));
        }
        let mut s: Settings = fig.extract().map_err(Box::new)?;
        if let Some(v) = o.listen {
            s.listen = v;
        }
        if let Some(v) = o.data_dir {
            s.data_dir = v;
        }
        if let Some(v) = o.database_url.filter(|u| !u.is_empty()) {
            s.database_url = Some(v);
        }
        if let Some(v) = o.secret_key.filter(|k| !k.is_empty()) {
            s.secret_key = Some(v);
        }
        if let Some(k) = &s.secret_key {
            tikal_store::SecretKeyBytes::parse_base64(k)
                .map_err(|why| SettingsError::Desk(tikal_core::DomainError::invalid("secret_key", why)))?;
        }
        // Validate the desk rules now, not at the first ticket.
        s.desk.clone().into_config()?;
        if s.portal.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(SettingsError::Desk(tikal_core::DomainError::invalid(
                "portal.time_zone",
                "is not an IANA time zone such as America/Guayaquil",
            )));
        }
        if !matches!(s.portal.default_language.as_str(), "es" | "en") {
            return Err(SettingsError::Desk(tikal_core::DomainError::invalid("portal.default_language", "must be es or en")));
        }
        if let Some(mail) = &s.mail {
            tikal_jobs::SmtpMailer::new(&mail.smtp_url, &mail.from)
                .map_err(|e| SettingsError::Desk(tikal_core::DomainError::invalid("mail", e.to_string())))?;
        }
        if s.outbox.max_attempts == 0 {
            return Err(SettingsError::Desk(tikal_core::DomainError::invalid("outbox.max_attempts", "must be at least 1")));
        }
        if !s.portal.public_url.starts_with("http://") && !s.portal.public_url.starts_with("https://") {
            return Err(SettingsError::Desk(tikal_core::DomainError::invalid("portal.public_url", "must start with http:// or https://")));
        }
        Ok(s)
    }

    /// How to open the store: `[database]`, and how long `[outbox]` keeps done jobs.
    pub fn store_options(&self) -> tikal_store::StoreOptions {
        tikal_store::StoreOptions {
            sqlite_synchronous: self.database.sqlite_synchronous,
            keep_done_jobs: self.outbox.keep_done(),
            // Checked by `load`; a key that does not parse here was never loaded.
            secret_key: self.secret_key.as_deref().and_then(|k| tikal_store::SecretKeyBytes::parse_base64(k).ok()),
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("tikal.db").display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_overrides() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("tikal.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/tikal\"\n[desk]\nticket_number_format = \"TK-{seq:5}\"\n")
            .expect("write");
        let s = Settings::load(Some(&file), Overrides::default()).expect("load");
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.data_dir, PathBuf::from("/srv/tikal"));
        let s = Settings::load(Some(&file), Overrides { listen: Some(SocketAddr::from(([127, 0, 0, 1], 9100))), ..Default::default() })
            .expect("load");
        assert_eq!(s.listen.port(), 9100, "flags win over the file");
    }

    #[test]
    fn unknown_keys_and_bad_rules_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("tikal.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").expect("write");
        assert!(Settings::load(Some(&file), Overrides::default()).is_err());
        std::fs::write(&file, "[desk]\nticket_number_format = \"no-seq\"\n").expect("write");
        assert!(Settings::load(Some(&file), Overrides::default()).is_err());
        assert!(Settings::load(Some(&dir.path().join("missing.toml")), Overrides::default()).is_err());
    }

    #[test]
    fn portal_and_mail_sections() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("tikal.toml");
        let toml = "[portal]\nregistration = { domains = [\"uni.example\"] }\ntime_zone = \"America/La_Paz\"\ndefault_language = \"en\"\n\n[mail]\nsmtp_url = \"smtp://127.0.0.1:2525\"\nfrom = \"Mesa <mesa@uni.example>\"\n";
        std::fs::write(&file, toml).expect("write");
        let s = Settings::load(Some(&file), Overrides::default()).expect("load");
        assert_eq!(s.portal.registration, tikal_service::Registration::Domains(vec!["uni.example".into()]));
        assert_eq!(s.portal.default_language, "en");
        assert_eq!(s.mail.as_ref().map(|m| m.smtp_url.as_str()), Some("smtp://127.0.0.1:2525"));
        for bad in [
            "[portal]\ntime_zone = \"Mars/Olympus\"\n",
            "[portal]\ndefault_language = \"fr\"\n",
            "[mail]\nsmtp_url = \"ftp://x\"\nfrom = \"a@b.example\"\n",
            "[portal]\nregistration = \"sometimes\"\n",
        ] {
            std::fs::write(&file, bad).expect("write");
            assert!(Settings::load(Some(&file), Overrides::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn http_section() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("tikal.toml");
        let s = Settings::load(None, Overrides::default()).expect("defaults");
        assert!(s.http.trusted_proxies.is_empty(), "no proxy is trusted unless configured");
        assert!(s.http.metrics_token.is_none(), "metrics are off unless a token is set");
        std::fs::write(&file, "[http]\ntrusted_proxies = [\"127.0.0.1/32\", \"10.0.0.0/8\"]\nmetrics_token = \"s3cret-metrics\"\nheader_read_timeout_secs = 5\nmax_connections = 200\n").expect("write");
        let s = Settings::load(Some(&file), Overrides::default()).expect("load");
        assert_eq!(s.http.trusted_proxies.len(), 2);
        assert!(s.http.trusted_proxies[1].contains("10.1.2.3".parse().expect("ip")));
        assert_eq!((s.http.header_read_timeout_secs, s.http.max_connections), (5, 200));
        assert!(!format!("{s:?}").contains("s3cret-metrics"), "the token is not printed");
        for bad in
            ["[http]\ntrusted_proxies = [\"localhost\"]\n", "[http]\ntrusted_proxies = [\"10.0.0.0/40\"]\n", "[http]\nproxies = []\n"]
        {
            std::fs::write(&file, bad).expect("write");
            assert!(Settings::load(Some(&file), Overrides::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn sqlite_sync_is_full_unless_set_to_normal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("tikal.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\n").expect("write");
        let s = Settings::load(Some(&file), Overrides::default()).expect("load");
        assert_eq!(s.database.sqlite_synchronous, tikal_store::SqliteSync::Full);
        assert_eq!(s.outbox.max_attempts, 10);
        std::fs::write(&file, "[database]\nsqlite_synchronous = \"normal\"\n[outbox]\nmax_attempts = 3\nkeep_done_hours = 24\n")
            .expect("write");
        let s = Settings::load(Some(&file), Overrides::default()).expect("load");
        assert_eq!(s.database.sqlite_synchronous, tikal_store::SqliteSync::Normal);
        assert_eq!((s.outbox.max_attempts, s.outbox.keep_done_hours), (3, 24));
        for bad in ["[database]\nsqlite_synchronous = \"off\"\n", "[outbox]\nmax_attempts = 0\n"] {
            std::fs::write(&file, bad).expect("write");
            assert!(Settings::load(Some(&file), Overrides::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_is_redacted() {
        let s = Settings { database_url: Some("postgres://tikal:s3cret@db:5432/tikal".into()), ..Default::default() };
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"));
        assert!(shown.contains("tikal:***@db"));
    }
}
