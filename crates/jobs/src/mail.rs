//! Outgoing mail behind a small trait: SMTP (lettre) in production, anything in tests; and the
//! portal's account mail (status links, password resets, address confirmation), rendered in
//! the requester's language with the e-mail templates (the administrator's, else the shipped
//! ones); a template with an HTML part sends text and HTML.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tikal_core::job::Job;
use tikal_core::template::{Language, TemplateKind, TemplateSource, Vars};
use tikal_service::LINK_LIFETIME;
use tikal_service::mail_templates::render_with;
use tikal_store::LinkKey;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address `{0}`")]
    Address(String),
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    #[error("message: {0}")]
    Build(String),
    /// The server is unreachable or said "try later" (4xx): worth retrying.
    #[error("SMTP: {0}")]
    Smtp(String),
    /// The server refused the mail for good (5xx: no such mailbox...).
    #[error("refused by the SMTP server: {0}")]
    Refused(String),
}

impl MailError {
    /// Whether trying again cannot help: the address or the message is wrong, or the server
    /// said no for good.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, MailError::Smtp(_))
    }
}

/// A file sent with a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// An HTML alternative (already cleaned): the mail is sent as text and HTML.
    pub html: Option<String>,
    /// The sender (`Name <address>`); `None`: the mailer's configured one.
    pub from: Option<String>,
    pub reply_to: Option<String>,
    /// Our own Message-ID, with angle brackets; `None`: the mailer makes one up.
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// The `Auto-Submitted` header (RFC 3834): `auto-replied`, `auto-generated`.
    pub auto_submitted: Option<String>,
    pub attachments: Vec<MailAttachment>,
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;

    /// The configured sender's address (its host names our Message-IDs), if the mailer has one.
    fn sender(&self) -> Option<String> {
        None
    }

    /// Whether it can send now; the worker claims nothing while it cannot.
    async fn ready(&self) -> bool {
        true
    }
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

fn mailbox(address: &str) -> Result<Mailbox, MailError> {
    address.parse::<Mailbox>().map_err(|_| MailError::Address(address.to_string()))
}

/// The message lettre sends for `mail`, from `default_from` unless it names its own sender.
pub fn build_message(mail: &OutgoingMail, default_from: &Mailbox) -> Result<Message, MailError> {
    let from = match &mail.from {
        Some(f) => mailbox(f)?,
        None => default_from.clone(),
    };
    let mut builder = Message::builder().from(from).to(mailbox(&mail.to)?).subject(mail.subject.clone());
    if let Some(r) = &mail.reply_to {
        builder = builder.reply_to(mailbox(r)?);
    }
    if let Some(id) = &mail.message_id {
        builder = builder.message_id(Some(id.clone()));
    }
    if let Some(id) = &mail.in_reply_to {
        builder = builder.in_reply_to(id.clone());
    }
    if !mail.references.is_empty() {
        builder = builder.references(mail.references.join(" "));
    }
    if let Some(a) = &mail.auto_submitted {
        builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), a.clone()));
    }
    let build = |e: lettre::error::Error| MailError::Build(e.to_string());
    if mail.attachments.is_empty() {
        return match &mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(mail.text.clone(), html.clone())),
            None => builder.header(ContentType::TEXT_PLAIN).body(mail.text.clone()),
        }
        .map_err(build);
    }
    let mut mixed = match &mail.html {
        Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(mail.text.clone(), html.clone())),
        None => MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone())),
    };
    for a in &mail.attachments {
        // A type stored with the file that lettre cannot read goes as plain bytes.
        let ct = ContentType::parse(&a.content_type)
            .unwrap_or_else(|_| ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN));
        mixed = mixed.singlepart(Attachment::new(a.filename.clone()).body(a.data.clone(), ct));
    }
    builder.multipart(mixed).map_err(build)
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = build_message(mail, &self.from)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Refused(e.to_string())),
            Err(e) => Err(MailError::Smtp(e.to_string())),
        }
    }

    fn sender(&self) -> Option<String> {
        Some(self.from.email.to_string())
    }
}

/// An account mail job made ready to send.
#[derive(Debug, PartialEq, Eq)]
pub enum Composed {
    Mail(Box<OutgoingMail>),
    /// Not a mail this worker sends, or a payload it cannot use: retrying will not help.
    Unreadable(String),
    /// Queued by a node with another link key: this node cannot make its link.
    OtherKey,
}

/// The organisation's name in mail when none is configured.
pub const DEFAULT_ORGANISATION: &str = "Mesa de Ayuda";

/// The template an account mail job is written with, and in which language.
pub fn template_of(job: &Job) -> Option<(TemplateKind, Language)> {
    let (kind, p) = match job {
        Job::TicketLink(p) => (TemplateKind::AccessLink, p),
        Job::VerifyEmail(p) => (TemplateKind::ConfirmAddress, p),
        Job::PasswordReset(p) => (TemplateKind::PasswordReset, p),
        Job::AccountExists(p) => (TemplateKind::AccountExists, p),
        Job::AgentInvite(p) => (TemplateKind::AgentInvite, p),
        _ => return None,
    };
    Some((kind, Language::of(p.lang.as_deref())))
}

/// Turns an account mail job into the message to send, with the shipped templates.
pub fn compose(job: &Job, key: &LinkKey) -> Composed {
    compose_with(job, key, DEFAULT_ORGANISATION, None)
}

/// Turns an account mail job into the message to send, with `stored` (the administrator's
/// template for the job's kind and language) or the shipped one. A link queued as a nonce is
/// made here, with this node's link key (ADR 006).
pub fn compose_with(job: &Job, key: &LinkKey, organisation: &str, stored: Option<&TemplateSource>) -> Composed {
    let (
        Some((kind, lang)),
        Job::TicketLink(p) | Job::VerifyEmail(p) | Job::PasswordReset(p) | Job::AccountExists(p) | Job::AgentInvite(p),
    ) = (template_of(job), job)
    else {
        return Composed::Unreadable(format!("the worker does not send `{}` jobs", job.kind()));
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
    let vars = Vars::new().text("link", link).text("ticket.number", p.number.clone().unwrap_or_default());
    // An invitation carries the desk's name and lasts longer than the portal's links.
    let vars = match kind {
        TemplateKind::AgentInvite => vars
            .number("expires_hours", tikal_service::INVITE_LIFETIME.num_hours())
            .text("organisation.name", p.number.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| organisation.to_string())),
        _ => vars.number("expires_hours", LINK_LIFETIME.num_hours()).text("organisation.name", organisation),
    };
    match render_with(kind, lang, stored, &vars) {
        Ok(m) => Composed::Mail(Box::new(OutgoingMail {
            to: p.to.clone(),
            subject: m.subject,
            text: m.text,
            html: m.html,
            ..Default::default()
        })),
        // The shipped templates render with every value (a unit test says so): unreachable.
        Err(e) => Composed::Unreadable(format!("the {kind} template cannot be rendered: {e}")),
    }
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
    fn an_existing_account_is_told_so_in_its_language() {
        let payload = serde_json::json!({"to": "a@b.example", "link": "https://mesa/password/forgot", "lang": "en"});
        let Composed::Mail(m) = compose(&job("mail.account_exists", payload), &key()) else { panic!("composed") };
        assert_eq!(m.subject, "You already have an account");
        assert!(m.text.contains("https://mesa/password/forgot"));
    }

    #[test]
    fn an_administrators_template_is_used_with_its_html_part() {
        let payload = serde_json::json!({"to": "a@b.example", "link": "https://mesa/password/reset/x", "lang": "es"});
        let stored = TemplateSource {
            subject: "UIT: nueva contraseña".into(),
            text_body: "Abra {{ link }} antes de {{ expires_hours }} horas.\n{{ organisation.name }}".into(),
            html_body: Some("<p>Abra <a href=\"{{ link }}\">este enlace</a></p><script>x()</script>".into()),
        };
        let Composed::Mail(m) = compose_with(&job("mail.password_reset", payload), &key(), "UIT", Some(&stored)) else {
            panic!("composed")
        };
        assert_eq!(m.subject, "UIT: nueva contraseña");
        assert_eq!(m.text, "Abra https://mesa/password/reset/x antes de 24 horas.\nUIT");
        let html = m.html.expect("html");
        assert!(html.contains("href=\"https://mesa/password/reset/x\"") && !html.contains("script"), "{html}");
    }
}
