//! E-mail accounts: the administration's use cases (list, save, test the connection). The
//! password is sealed with the desk's secret key before it is stored, never written to the
//! audit log, never returned; the connection test goes through a `MailProbe` (the real one
//! speaks IMAP, POP3 and SMTP; `tikal_jobs` provides it).

use std::sync::Arc;

use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::mail_account::{MailAccount, MailAccountInput, MailAccountSettings, ProbeOutcome, ProbeStep};
use tikal_core::{DomainError, MailAccountId, Reason};
use tikal_store::StoreError;
use tracing::instrument;

use crate::admin::json;
use crate::{Desk, Principal, Result, ServiceError};

/// How long a connection test may take in all.
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Tries an account's settings against its server: connect, TLS, log in, open the folder
/// (IMAP) / count the messages (POP3) / authenticate (SMTP), within `PROBE_TIMEOUT`.
#[async_trait::async_trait]
pub trait MailProbe: Send + Sync + std::fmt::Debug {
    async fn probe(&self, account: &MailAccount, password: &str) -> ProbeOutcome;
}

/// An account as the audit log records it: its settings, never its password (only whether
/// this change set a new one).
#[derive(Serialize)]
struct AccountDoc<'a> {
    name: &'a str,
    protocol: &'static str,
    host: &'a str,
    port: u16,
    security: &'static str,
    username: &'a str,
    address: Option<&'a str>,
    folder: Option<&'a str>,
    after_import: &'static str,
    move_to: Option<&'a str>,
    poll_seconds: u32,
    department_id: Option<i64>,
    help_topic_id: Option<i64>,
    active: bool,
    password_changed: bool,
}

fn doc_of(a: &MailAccount) -> Option<String> {
    json(&AccountDoc {
        name: &a.name,
        protocol: a.protocol.as_str(),
        host: &a.host,
        port: a.port,
        security: a.security.as_str(),
        username: &a.username,
        address: a.address.as_deref(),
        folder: a.folder.as_deref(),
        after_import: a.after_import.as_str(),
        move_to: a.move_to.as_deref(),
        poll_seconds: a.poll_seconds,
        department_id: a.department_id.map(|d| d.get()),
        help_topic_id: a.help_topic_id.map(|t| t.get()),
        active: a.active,
        password_changed: false,
    })
}

fn doc_of_settings(s: &MailAccountSettings) -> Option<String> {
    json(&AccountDoc {
        name: &s.name,
        protocol: s.protocol.as_str(),
        host: &s.host,
        port: s.port,
        security: s.security.as_str(),
        username: &s.username,
        address: s.address.as_ref().map(|a| a.as_str()),
        folder: s.folder.as_deref(),
        after_import: s.after_import.as_str(),
        move_to: s.move_to.as_deref(),
        poll_seconds: s.poll_seconds,
        department_id: s.department_id.map(|d| d.get()),
        help_topic_id: s.help_topic_id.map(|t| t.get()),
        active: s.active,
        password_changed: s.password.is_some(),
    })
}

impl Desk {
    /// Uses `probe` for connection tests (without one, a test says it cannot be done here).
    pub fn with_mail_probe(mut self, probe: Arc<dyn MailProbe>) -> Self {
        self.mail_probe = Some(probe);
        self
    }

    /// Every e-mail account, inactive ones too (administrators only).
    pub async fn mail_accounts(&self, by: &Principal) -> Result<Vec<MailAccount>> {
        Self::admin_actor(by)?;
        Ok(self.store.mail_accounts().await?)
    }

    pub async fn mail_account(&self, by: &Principal, id: MailAccountId) -> Result<MailAccount> {
        Self::admin_actor(by)?;
        self.store.mail_account(id).await?.ok_or(ServiceError::NotFound("mail account"))
    }

    /// Creates (`id: None`) or updates an account. An empty password keeps the stored one;
    /// a new one is sealed with the secret key before it reaches the database.
    #[instrument(skip_all, fields(account = ?id.map(|i| i.get())), err)]
    pub async fn save_mail_account(&self, by: &Principal, id: Option<MailAccountId>, input: MailAccountInput) -> Result<MailAccount> {
        Self::admin_actor(by)?;
        let all = self.store.mail_accounts().await?;
        let before = match id {
            Some(id) => Some(all.iter().find(|a| a.id == id).cloned().ok_or(ServiceError::NotFound("mail account"))?),
            None => None,
        };
        let others: Vec<String> = all.iter().filter(|a| Some(a.id) != id).map(|a| a.name.clone()).collect();
        let settings = input.validate(&others, before.is_some())?;
        let catalog = self.catalog().await?;
        if let Some(d) = settings.department_id
            && catalog.department(d).is_none()
        {
            return Err(DomainError::invalid("department_id", Reason::NotFound).into());
        }
        if let Some(t) = settings.help_topic_id
            && catalog.topic(t).is_none()
        {
            return Err(DomainError::invalid("help_topic_id", Reason::NotFound).into());
        }
        let sealed = match &settings.password {
            Some(p) => Some(self.store.secret_key().seal(p)?),
            None => None,
        };
        let action = AuditAction::of_save(before.as_ref().map(|b| b.active), settings.active);
        let audit = Self::audit_entry(
            by,
            action,
            AdminEntity::MailAccount,
            id.map(|i| i.get()).unwrap_or_default(),
            settings.name.clone(),
            before.as_ref().and_then(doc_of),
            doc_of_settings(&settings),
        )?;
        self.store.save_mail_account(id, settings, sealed, audit).await.map_err(|e| match e {
            StoreError::Conflict(_) => ServiceError::Domain(DomainError::invalid("name", Reason::Duplicate)),
            other => other.into(),
        })
    }

    /// Tries the stored settings against the server and says which step failed, with the
    /// server's words (administrators only).
    #[instrument(skip_all, fields(account = id.get()))]
    pub async fn test_mail_account(&self, by: &Principal, id: MailAccountId) -> Result<ProbeOutcome> {
        let account = self.mail_account(by, id).await?;
        let Some(probe) = &self.mail_probe else {
            return Err(ServiceError::Unsupported("connection tests are not available in this process".into()));
        };
        let password = match self.mail_password(id).await {
            Ok(p) => p,
            Err(ServiceError::Internal(StoreError::Undecryptable)) => {
                return Ok(ProbeOutcome::Failed { step: ProbeStep::Secret, detail: StoreError::Undecryptable.to_string() });
            }
            Err(e) => return Err(e),
        };
        // The probe bounds each step; this bounds them all, whatever a server does.
        match tokio::time::timeout(PROBE_TIMEOUT + std::time::Duration::from_secs(1), probe.probe(&account, &password)).await {
            Ok(outcome) => Ok(outcome),
            Err(_) => Ok(ProbeOutcome::Failed { step: ProbeStep::Connect, detail: "timed out".into() }),
        }
    }

    /// The account's password, unsealed (for connecting; never shown).
    pub async fn mail_password(&self, id: MailAccountId) -> Result<String> {
        let sealed = self.store.mail_account_secret(id).await?;
        Ok(self.store.secret_key().open(&sealed)?)
    }
}
