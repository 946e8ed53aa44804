//! Connection tests of e-mail accounts against their servers, step by step, and the SMTP
//! transport of a sending account.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tikal_core::mail_account::{MailAccount, ProbeOutcome, ProbeStep, Protocol, Security};
use tikal_service::{MailProbe, PROBE_TIMEOUT};
use tokio::time::Instant;

use crate::mail::{MailError, SmtpMailer};
use crate::net::{Failure, MailTls};
use crate::{imap, pop3};

/// Tries accounts against the real servers.
#[derive(Debug, Clone)]
pub struct ServerProbe {
    tls: MailTls,
}

impl ServerProbe {
    pub fn new(tls: MailTls) -> ServerProbe {
        ServerProbe { tls }
    }

    async fn run(&self, account: &MailAccount, password: &str) -> Result<Option<u32>, Failure> {
        let deadline = Instant::now() + PROBE_TIMEOUT;
        match account.protocol {
            Protocol::Imap => {
                let (session, mailbox) = imap::open(account, password, &self.tls, deadline).await?;
                imap::close(session).await;
                Ok(Some(mailbox.exists))
            }
            Protocol::Pop3 => {
                let (session, count) = pop3::open(account, password, &self.tls, deadline).await?;
                // Nothing was marked: QUIT changes nothing on the server.
                let _ = pop3::quit(session).await;
                Ok(Some(count))
            }
            Protocol::Smtp => {
                let transport = smtp_transport(account, password, Some(PROBE_TIMEOUT)).map_err(|e| Failure::new(ProbeStep::Connect, e))?;
                match tokio::time::timeout_at(deadline, transport.test_connection()).await {
                    Ok(Ok(true)) => Ok(None),
                    Ok(Ok(false)) => Err(Failure::new(ProbeStep::Greeting, "the server did not answer NOOP")),
                    Ok(Err(e)) => Err(Failure::new(smtp_step(&e), e)),
                    Err(_) => Err(Failure::new(ProbeStep::Connect, "timed out")),
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl MailProbe for ServerProbe {
    async fn probe(&self, account: &MailAccount, password: &str) -> ProbeOutcome {
        match self.run(account, password).await {
            Ok(messages) => ProbeOutcome::Passed { messages },
            Err(f) => ProbeOutcome::Failed { step: f.step, detail: f.detail },
        }
    }
}

/// Which step an SMTP error belongs to: lettre reports one error for the whole session.
fn smtp_step(e: &lettre::transport::smtp::Error) -> ProbeStep {
    let code = e.status().map(|c| c.to_string());
    if e.is_tls() {
        ProbeStep::Tls
    } else if matches!(code.as_deref(), Some("530" | "534" | "535" | "538" | "454")) || e.to_string().contains("authentication") {
        ProbeStep::Login
    } else if e.is_response() || e.is_permanent() || e.is_transient() {
        ProbeStep::Greeting
    } else {
        ProbeStep::Connect
    }
}

fn smtp_transport(
    account: &MailAccount,
    password: &str,
    timeout: Option<Duration>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let params = || TlsParameters::new(account.host.clone()).map_err(|e| MailError::Url(e.to_string()));
    let tls = match account.security {
        Security::Tls => Tls::Wrapper(params()?),
        Security::StartTls => Tls::Required(params()?),
        Security::None => Tls::None,
    };
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(account.host.clone()).port(account.port).tls(tls).timeout(timeout);
    if !account.username.is_empty() {
        builder = builder.credentials(Credentials::new(account.username.clone(), password.to_string()));
    }
    Ok(builder.build())
}

/// An SMTP mailer that sends through a sending account (from its address). For wiring the
/// outbox to an account configured in `/admin/mail` instead of `[mail] smtp_url`.
pub fn smtp_mailer_for(account: &MailAccount, password: &str) -> Result<SmtpMailer, MailError> {
    if account.protocol != Protocol::Smtp {
        return Err(MailError::Url(format!("account `{}` is not an SMTP account", account.name)));
    }
    let from = account.address.clone().ok_or_else(|| MailError::Address(String::new()))?;
    let scheme = if account.security == Security::Tls { "smtps" } else { "smtp" };
    let auth = if account.username.is_empty() { String::new() } else { format!("{}:{}@", encode(&account.username), encode(password)) };
    let tls = if account.security == Security::StartTls { "?tls=required" } else { "" };
    SmtpMailer::new(&format!("{scheme}://{auth}{}:{}{tls}", account.host, account.port), &from)
}

/// Percent-encodes a URL user or password part (everything but unreserved characters).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_survive_the_url() {
        assert_eq!(encode("mesa@uni.example"), "mesa%40uni.example");
        assert_eq!(encode("p:a/s s%"), "p%3Aa%2Fs%20s%25");
    }
}
