//! Sending through the SMTP account an administrator configured in `/admin/mail`, else through
//! `[mail] smtp_url`. The account is looked up when the worker wakes, so adding, changing or
//! deactivating it takes effect without a restart; its mailer is rebuilt only when the account
//! changed.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tikal_core::MailAccountId;
use tikal_core::mail_account::Protocol;
use tikal_service::Desk;

use crate::mail::{MailError, Mailer, OutgoingMail, SmtpMailer};
use crate::probe::smtp_mailer_for;

/// The account's mailer, with what it was built from.
struct Built {
    account: MailAccountId,
    updated_at: DateTime<Utc>,
    sender: Option<String>,
    mailer: Arc<SmtpMailer>,
}

pub struct AccountMailer {
    desk: Desk,
    /// `[mail]`, used while no SMTP account is active.
    fallback: Option<Arc<dyn Mailer>>,
    current: Mutex<Option<Arc<Built>>>,
}

impl AccountMailer {
    pub fn new(desk: Desk, fallback: Option<Arc<dyn Mailer>>) -> Self {
        AccountMailer { desk, fallback, current: Mutex::new(None) }
    }

    /// The active SMTP account's mailer (the first by id), built again if it changed.
    async fn account(&self) -> Result<Option<Arc<Built>>, MailError> {
        let accounts = self.desk.store().mail_accounts().await.map_err(|e| MailError::Smtp(e.to_string()))?;
        let Some(account) = accounts.into_iter().filter(|a| a.active && a.protocol == Protocol::Smtp).min_by_key(|a| a.id) else {
            self.set(None);
            return Ok(None);
        };
        if let Some(b) = self.get()
            && b.account == account.id
            && b.updated_at == account.updated_at
        {
            return Ok(Some(b));
        }
        let password =
            self.desk.mail_password(account.id).await.map_err(|e| MailError::Smtp(format!("account `{}`: {e}", account.name)))?;
        let mailer = smtp_mailer_for(&account, &password)?;
        let built = Arc::new(Built {
            account: account.id,
            updated_at: account.updated_at,
            sender: account.address.clone(),
            mailer: Arc::new(mailer),
        });
        self.set(Some(built.clone()));
        Ok(Some(built))
    }

    fn get(&self) -> Option<Arc<Built>> {
        self.current.lock().ok().and_then(|c| c.clone())
    }

    fn set(&self, b: Option<Arc<Built>>) {
        if let Ok(mut c) = self.current.lock() {
            *c = b;
        }
    }
}

#[async_trait::async_trait]
impl Mailer for AccountMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        match (self.account().await?, &self.fallback) {
            (Some(b), _) => b.mailer.send(mail).await,
            (None, Some(f)) => f.send(mail).await,
            (None, None) => Err(MailError::Smtp("no SMTP account is active and no [mail] is configured".into())),
        }
    }

    fn sender(&self) -> Option<String> {
        match self.get() {
            Some(b) => b.sender.clone(),
            None => self.fallback.as_ref().and_then(|f| f.sender()),
        }
    }

    /// Nothing is claimed while there is no way to send: mail waits in the outbox instead of
    /// using up its attempts.
    async fn ready(&self) -> bool {
        match self.account().await {
            Ok(Some(_)) => true,
            Ok(None) => self.fallback.is_some(),
            Err(e) => {
                tracing::warn!(error = %e, "the SMTP account cannot be used");
                false
            }
        }
    }
}
