//! Outgoing mail behind a small trait: SMTP (lettre) in production, anything in tests; and the
//! portal's account mail (status links, password resets, address confirmation), rendered in
//! the requester's language.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tikal_core::job::{Job, LinkMail};
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

/// An account mail job made ready to send.
#[derive(Debug, PartialEq, Eq)]
pub enum Composed {
    Mail(OutgoingMail),
    /// Not a mail this worker sends, or a payload it cannot use: retrying will not help.
    Unreadable(String),
    /// Queued by a node with another link key: this node cannot make its link.
    OtherKey,
}

/// Turns an account mail job into the message to send. A link queued as a nonce is made here,
/// with this node's link key (ADR 006).
pub fn compose(job: &Job, key: &LinkKey) -> Composed {
    let (kind, p) = match job {
        Job::TicketLink(p) => (Letter::TicketLink, p),
        Job::VerifyEmail(p) => (Letter::VerifyEmail, p),
        Job::PasswordReset(p) => (Letter::PasswordReset, p),
        Job::AccountExists(p) => (Letter::AccountExists, p),
        Job::AgentInvite(p) => (Letter::AgentInvite, p),
        other => return Composed::Unreadable(format!("the worker does not send `{}` jobs", other.kind())),
    };
    let link = match (&p.link, &p.link_base, &p.nonce) {
        (Some(link), _, _) => link.clone(),
        (None, Some(base), Some(nonce)) => {
            if p.key.as_deref().is_some_and(|k| k != key.id()) {
                return Composed::OtherKey;
            }
            format!("{base}{}", key.token(nonce))
        }
        _ => return Composed::Unreadable("a link mail without its link".into()),
    };
    Composed::Mail(render(kind, p, &link))
}

/// The account mails this worker writes.
#[derive(Clone, Copy)]
enum Letter {
    TicketLink,
    VerifyEmail,
    PasswordReset,
    AccountExists,
    AgentInvite,
}

fn render(kind: Letter, p: &LinkMail, link: &str) -> OutgoingMail {
    let english = p.lang.as_deref() == Some("en");
    let number = p.number.as_deref().unwrap_or_default();
    let (subject, text) = match (kind, english) {
        (Letter::TicketLink, false) => (
            format!("Acceso a su ticket {number}"),
            format!(
                "Hola:\n\nPidió ver el estado del ticket {number}. Ábralo con este enlace (sirve una sola vez, durante 24 horas):\n\n{link}\n\nSi no lo pidió, ignore este mensaje.\n"
            ),
        ),
        (Letter::TicketLink, true) => (
            format!("Access to your ticket {number}"),
            format!(
                "Hello,\n\nYou asked to see ticket {number}. Open it with this link (it works once, for 24 hours):\n\n{link}\n\nIf you did not ask for it, ignore this message.\n"
            ),
        ),
        (Letter::VerifyEmail, false) => (
            "Confirme su correo".to_string(),
            format!(
                "Hola:\n\nPara activar su cuenta de la mesa de ayuda, abra este enlace y escriba la contraseña que eligió (sirve una sola vez, durante 24 horas):\n\n{link}\n\nSi no creó una cuenta, ignore este mensaje: nadie podrá usar su correo.\n"
            ),
        ),
        (Letter::VerifyEmail, true) => (
            "Confirm your e-mail address".to_string(),
            format!(
                "Hello,\n\nTo activate your help desk account, open this link and type the password you chose (it works once, for 24 hours):\n\n{link}\n\nIf you did not create an account, ignore this message: nobody can use your address.\n"
            ),
        ),
        (Letter::AccountExists, false) => (
            "Ya tiene una cuenta".to_string(),
            format!(
                "Hola:\n\nAlguien intentó crear una cuenta de la mesa de ayuda con este correo, pero usted ya tiene una. Inicie sesión con su contraseña; si la olvidó, elija una nueva aquí:\n\n{link}\n\nSi no fue usted, ignore este mensaje: su cuenta no cambió.\n"
            ),
        ),
        (Letter::AccountExists, true) => (
            "You already have an account".to_string(),
            format!(
                "Hello,\n\nSomeone tried to create a help desk account with this address, but you already have one. Sign in with your password; if you forgot it, choose a new one here:\n\n{link}\n\nIf it was not you, ignore this message: your account has not changed.\n"
            ),
        ),
        (Letter::PasswordReset, false) => (
            "Recuperar su contraseña".to_string(),
            format!(
                "Hola:\n\nPara elegir una contraseña nueva, abra este enlace (sirve una sola vez, durante 24 horas):\n\n{link}\n\nSi no lo pidió, ignore este mensaje: su contraseña no cambia.\n"
            ),
        ),
        (Letter::PasswordReset, true) => (
            "Reset your password".to_string(),
            format!(
                "Hello,\n\nTo choose a new password, open this link (it works once, for 24 hours):\n\n{link}\n\nIf you did not ask for it, ignore this message: your password stays the same.\n"
            ),
        ),
        // `number` carries the desk's name for an invitation.
        (Letter::AgentInvite, false) => (
            format!("Invitación como agente: {number}"),
            format!(
                "Hola:\n\nUn administrador le dio acceso como agente a la mesa de ayuda de {number}. Para empezar, elija su contraseña con este enlace (sirve una sola vez, durante 7 días):\n\n{link}\n\nLuego inicie sesión con este correo en la página de agentes. Si no esperaba esta invitación, ignore este mensaje.\n"
            ),
        ),
        (Letter::AgentInvite, true) => (
            format!("Agent invitation: {number}"),
            format!(
                "Hello,\n\nAn administrator gave you access as an agent to the help desk of {number}. To start, choose your password with this link (it works once, for 7 days):\n\n{link}\n\nThen sign in with this address on the agents' page. If you did not expect this invitation, ignore this message.\n"
            ),
        ),
    };
    OutgoingMail { to: p.to.clone(), subject, text }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LinkKey {
        LinkKey::from_bytes([3; 32])
    }

    /// A job as the store reads it back: its kind and its JSON payload.
    fn job(kind: &str, payload: serde_json::Value) -> Job {
        Job::deserialize_payload(kind.parse().expect("kind"), payload).expect("payload")
    }

    #[test]
    fn mail_in_the_requesters_language_with_the_link_made_from_its_nonce() {
        let k = key();
        let payload = serde_json::json!({"to": "a@b.example", "link_base": "https://mesa/status/", "nonce": "n1", "key": k.id(), "number": "000042", "lang": "en"});
        let Composed::Mail(m) = compose(&job("mail.ticket_link", payload), &k) else { panic!("composed") };
        assert_eq!(m.subject, "Access to your ticket 000042");
        assert!(m.text.contains(&format!("https://mesa/status/{}", k.token("n1"))), "{}", m.text);
        let es = serde_json::json!({"to": "a@b.example", "link_base": "https://mesa/password/reset/", "nonce": "n2"});
        let Composed::Mail(m) = compose(&job("mail.password_reset", es), &k) else { panic!("composed") };
        assert!(m.subject.contains("contraseña"));
        let notice = job("notify.ticket_created", serde_json::json!({"ticket_id": 1}));
        assert!(matches!(compose(&notice, &k), Composed::Unreadable(_)));
        let no_link = job("mail.ticket_link", serde_json::json!({"to": "a@b.example"}));
        assert!(matches!(compose(&no_link, &k), Composed::Unreadable(_)));
    }

    #[test]
    fn a_node_with_another_key_does_not_send_a_wrong_link() {
        let payload = serde_json::json!({"to": "a@b.example", "link_base": "https://mesa/status/", "nonce": "n1", "key": key().id()});
        let other = LinkKey::from_bytes([4; 32]);
        assert_eq!(compose(&job("mail.ticket_link", payload), &other), Composed::OtherKey);
    }

    #[test]
    fn jobs_queued_by_older_versions_still_send() {
        let payload = serde_json::json!({"to": "a@b.example", "link": "https://mesa/status/abc", "lang": "es"});
        let Composed::Mail(m) = compose(&job("mail.ticket_link", payload), &key()) else { panic!("composed") };
        assert!(m.text.contains("https://mesa/status/abc"));
    }

    #[test]
    fn an_agent_is_invited_in_the_desks_language() {
        let k = key();
        let payload = serde_json::json!({"to": "tecnico@gob.example", "link_base": "https://mesa/agent/invite/", "nonce": "n9", "key": k.id(), "number": "UIT", "lang": "es"});
        let Composed::Mail(m) = compose(&job("mail.agent_invite", payload.clone()), &k) else { panic!("composed") };
        assert_eq!(m.subject, "Invitación como agente: UIT");
        assert!(m.text.contains(&format!("https://mesa/agent/invite/{}", k.token("n9"))), "{}", m.text);
        let mut en = payload;
        en["lang"] = "en".into();
        let Composed::Mail(m) = compose(&job("mail.agent_invite", en), &k) else { panic!("composed") };
        assert_eq!(m.subject, "Agent invitation: UIT");
    }

    #[test]
    fn an_existing_account_is_told_so_in_its_language() {
        let payload = serde_json::json!({"to": "a@b.example", "link": "https://mesa/password/forgot", "lang": "en"});
        let Composed::Mail(m) = compose(&job("mail.account_exists", payload), &key()) else { panic!("composed") };
        assert_eq!(m.subject, "You already have an account");
        assert!(m.text.contains("https://mesa/password/forgot"));
    }
}
