//! Outgoing mail behind a small trait: SMTP (lettre) in production, anything in tests; and the
//! portal's account mail (status links, password resets, address confirmation), rendered in
//! the requester's language.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use tikal_store::LinkKey;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address `{0}`")]
    Address(String),
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    #[error("message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// Sends through an SMTP server given as a URL: `smtp://host:port` (plain, e.g. a local relay),
/// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://host:465`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| MailError::Url(e.to_string()))?.build();
        let from = from.parse::<Mailbox>().map_err(|_| MailError::Address(from.to_string()))?;
        Ok(SmtpMailer { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let to = mail.to.parse::<Mailbox>().map_err(|_| MailError::Address(mail.to.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport.send(message).await.map_err(|e| MailError::Smtp(e.to_string()))?;
        Ok(())
    }
}

/// The payload of an account mail job. A link is queued as `link_base` + `nonce`: the token is
/// made from the nonce with the link key (ADR 006), so the job row alone opens nothing. Jobs
/// queued by older versions carry the whole `link`.
#[derive(Deserialize)]
struct AccountPayload {
    to: String,
    link: Option<String>,
    link_base: Option<String>,
    nonce: Option<String>,
    /// The fingerprint of the link key that made the token.
    key: Option<String>,
    number: Option<String>,
    lang: Option<String>,
}

/// An account mail job made ready to send.
#[derive(Debug, PartialEq, Eq)]
pub enum Composed {
    Mail(OutgoingMail),
    /// Unknown kind or unreadable payload: retrying will not help.
    Unreadable,
    /// Queued by a node with another link key: this node cannot make its link.
    OtherKey,
}

/// Turns an account mail job into the message to send.
pub fn compose(kind: &str, payload: &str, key: &LinkKey) -> Composed {
    let Ok(p) = serde_json::from_str::<AccountPayload>(payload) else { return Composed::Unreadable };
    let link = match (&p.link, &p.link_base, &p.nonce) {
        (Some(link), _, _) => link.clone(),
        (None, Some(base), Some(nonce)) => {
            if p.key.as_deref().is_some_and(|k| k != key.id()) {
                return Composed::OtherKey;
            }
            format!("{base}{}", key.token(nonce))
        }
        _ => return Composed::Unreadable,
    };
    match render(kind, &p, &link) {
        Some(mail) => Composed::Mail(mail),
        None => Composed::Unreadable,
    }
}

fn render(kind: &str, p: &AccountPayload, link: &str) -> Option<OutgoingMail> {
    let english = p.lang.as_deref() == Some("en");
    let number = p.number.as_deref().unwrap_or_default();
    let (subject, text) = match (kind, english) {
        ("mail.ticket_link", false) => (
            format!("Acceso a su ticket {number}"),
            format!(
                "Hola:\n\nPidió ver el estado del ticket {number}. Ábralo con este enlace (sirve una sola vez, durante 24 horas):\n\n{link}\n\nSi no lo pidió, ignore este mensaje.\n"
            ),
        ),
        ("mail.ticket_link", true) => (
            format!("Access to your ticket {number}"),
            format!(
                "Hello,\n\nYou asked to see ticket {number}. Open it with this link (it works once, for 24 hours):\n\n{link}\n\nIf you did not ask for it, ignore this message.\n"
            ),
        ),
        ("mail.verify_email", false) => (
            "Confirme su correo".to_string(),
            format!(
                "Hola:\n\nPara activar su cuenta de la mesa de ayuda, abra este enlace y escriba la contraseña que eligió (sirve una sola vez, durante 24 horas):\n\n{link}\n\nSi no creó una cuenta, ignore este mensaje: nadie podrá usar su correo.\n"
            ),
        ),
        ("mail.verify_email", true) => (
            "Confirm your e-mail address".to_string(),
            format!(
                "Hello,\n\nTo activate your help desk account, open this link and type the password you chose (it works once, for 24 hours):\n\n{link}\n\nIf you did not create an account, ignore this message: nobody can use your address.\n"
            ),
        ),
        ("mail.account_exists", false) => (
            "Ya tiene una cuenta".to_string(),
            format!(
                "Hola:\n\nAlguien intentó crear una cuenta de la mesa de ayuda con este correo, pero usted ya tiene una. Inicie sesión con su contraseña; si la olvidó, elija una nueva aquí:\n\n{link}\n\nSi no fue usted, ignore este mensaje: su cuenta no cambió.\n"
            ),
        ),
        ("mail.account_exists", true) => (
            "You already have an account".to_string(),
            format!(
                "Hello,\n\nSomeone tried to create a help desk account with this address, but you already have one. Sign in with your password; if you forgot it, choose a new one here:\n\n{link}\n\nIf it was not you, ignore this message: your account has not changed.\n"
            ),
        ),
        ("mail.password_reset", false) => (
            "Recuperar su contraseña".to_string(),
            format!(
                "Hola:\n\nPara elegir una contraseña nueva, abra este enlace (sirve una sola vez, durante 24 horas):\n\n{link}\n\nSi no lo pidió, ignore este mensaje: su contraseña no cambia.\n"
            ),
        ),
        ("mail.password_reset", true) => (
            "Reset your password".to_string(),
            format!(
                "Hello,\n\nTo choose a new password, open this link (it works once, for 24 hours):\n\n{link}\n\nIf you did not ask for it, ignore this message: your password stays the same.\n"
            ),
        ),
        _ => return None,
    };
    Some(OutgoingMail { to: p.to.clone(), subject, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LinkKey {
        LinkKey::from_bytes([3; 32])
    }

    #[test]
    fn mail_in_the_requesters_language_with_the_link_made_from_its_nonce() {
        let k = key();
        let payload = serde_json::json!({"to": "a@b.example", "link_base": "https://mesa/status/", "nonce": "n1", "key": k.id(), "number": "000042", "lang": "en"});
        let Composed::Mail(m) = compose("mail.ticket_link", &payload.to_string(), &k) else { panic!("composed") };
        assert_eq!(m.subject, "Access to your ticket 000042");
        assert!(m.text.contains(&format!("https://mesa/status/{}", k.token("n1"))), "{}", m.text);
        let es = serde_json::json!({"to": "a@b.example", "link_base": "https://mesa/password/reset/", "nonce": "n2"});
        let Composed::Mail(m) = compose("mail.password_reset", &es.to_string(), &k) else { panic!("composed") };
        assert!(m.subject.contains("contraseña"));
        assert_eq!(compose("notify.ticket_created", &es.to_string(), &k), Composed::Unreadable);
        assert_eq!(compose("mail.ticket_link", "{not json", &k), Composed::Unreadable);
    }

    #[test]
    fn a_node_with_another_key_does_not_send_a_wrong_link() {
        let payload = serde_json::json!({"to": "a@b.example", "link_base": "https://mesa/status/", "nonce": "n1", "key": key().id()});
        let other = LinkKey::from_bytes([4; 32]);
        assert_eq!(compose("mail.ticket_link", &payload.to_string(), &other), Composed::OtherKey);
    }

    #[test]
    fn jobs_queued_by_older_versions_still_send() {
        let payload = serde_json::json!({"to": "a@b.example", "link": "https://mesa/status/abc", "lang": "es"});
        let Composed::Mail(m) = compose("mail.ticket_link", &payload.to_string(), &key()) else { panic!("composed") };
        assert!(m.text.contains("https://mesa/status/abc"));
    }

    #[test]
    fn an_existing_account_is_told_so_in_its_language() {
        let payload = serde_json::json!({"to": "a@b.example", "link": "https://mesa/password/forgot", "lang": "en"});
        let Composed::Mail(m) = compose("mail.account_exists", &payload.to_string(), &key()) else { panic!("composed") };
        assert_eq!(m.subject, "You already have an account");
        assert!(m.text.contains("https://mesa/password/forgot"));
    }
}
