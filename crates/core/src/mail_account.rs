//! E-mail accounts: the mailboxes mail is fetched from (IMAP, POP3) and the servers it is sent
//! through (SMTP), the rules that keep an account's settings sound, what a connection test
//! reports, and the keys that tell a fetched message apart on its server.

use chrono::{DateTime, Utc};

use crate::error::{DomainError, Reason};
use crate::ids::{DepartmentId, HelpTopicId, MailAccountId};
use crate::string_enum;
use crate::values::{EmailAddress, bounded_text};

string_enum! {
    /// How the desk talks to the account's server.
    pub enum Protocol {
        Imap => "imap",
        Pop3 => "pop3",
        Smtp => "smtp",
    }
}

string_enum! {
    /// How the connection is protected: TLS from the first byte, upgraded with STARTTLS, or
    /// not at all (a relay on the same machine, tests).
    pub enum Security {
        Tls => "tls",
        StartTls => "starttls",
        None => "none",
    }
}

string_enum! {
    /// What happens to a message on the server once it is stored in the desk. POP3 knows only
    /// "keep" (stored as `mark_seen`: left on the server, its UIDL remembered) and "delete".
    pub enum AfterImport {
        MarkSeen => "mark_seen",
        Move => "move",
        Delete => "delete",
    }
}

/// The shortest polling interval: mail servers throttle clients that ask more often.
pub const MIN_POLL_SECONDS: u32 = 30;
pub const MAX_POLL_SECONDS: u32 = 86_400;
/// A fetched message larger than this is not downloaded; it is recorded in quarantine.
pub const MAX_MESSAGE_BYTES: u64 = 30 * 1024 * 1024;
pub const DEFAULT_FOLDER: &str = "INBOX";

impl Protocol {
    /// Whether mail is fetched from accounts of this kind (else it is sent through them).
    pub fn fetches(self) -> bool {
        !matches!(self, Protocol::Smtp)
    }

    /// The port a server usually listens on for this protocol and security.
    pub fn default_port(self, security: Security) -> u16 {
        match (self, security) {
            (Protocol::Imap, Security::Tls) => 993,
            (Protocol::Imap, _) => 143,
            (Protocol::Pop3, Security::Tls) => 995,
            (Protocol::Pop3, _) => 110,
            (Protocol::Smtp, Security::Tls) => 465,
            (Protocol::Smtp, Security::StartTls) => 587,
            (Protocol::Smtp, Security::None) => 25,
        }
    }
}

/// An account as the administrator writes it. `password: None` (or empty) keeps the stored
/// one; a new account must have one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAccountInput {
    pub name: String,
    pub protocol: Protocol,
    pub host: String,
    /// `None`: the protocol's usual port for the security chosen.
    pub port: Option<u32>,
    pub security: Security,
    pub username: String,
    pub password: Option<String>,
    pub address: String,
    pub folder: String,
    pub after_import: AfterImport,
    pub move_to: String,
    pub poll_seconds: u32,
    pub department_id: Option<DepartmentId>,
    pub help_topic_id: Option<HelpTopicId>,
    pub active: bool,
}

/// A validated account, ready to store. `password` is the new one, if it changes.
#[derive(Clone, PartialEq, Eq)]
pub struct MailAccountSettings {
    pub name: String,
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: Option<String>,
    pub address: Option<EmailAddress>,
    pub folder: Option<String>,
    pub after_import: AfterImport,
    pub move_to: Option<String>,
    pub poll_seconds: u32,
    pub department_id: Option<DepartmentId>,
    pub help_topic_id: Option<HelpTopicId>,
    pub active: bool,
}

impl std::fmt::Debug for MailAccountSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailAccountSettings")
            .field("name", &self.name)
            .field("protocol", &self.protocol)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

fn host(raw: &str) -> Result<String, DomainError> {
    let h = bounded_text("host", raw, 253)?;
    let ok = h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    if !ok {
        return Err(DomainError::invalid("host", "a host name or IP address, without scheme, path or spaces"));
    }
    Ok(h.to_ascii_lowercase())
}

fn folder(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let f = bounded_text(field, raw, 200)?;
    if f.contains('"') || f.contains('\\') {
        return Err(DomainError::invalid(field, "a folder name without quotes or backslashes"));
    }
    Ok(f)
}

impl MailAccountInput {
    /// Checks the input against the rules and the other accounts' names (`others`: every
    /// account but this one). `has_password`: this account already has a stored password.
    pub fn validate(self, others: &[String], has_password: bool) -> Result<MailAccountSettings, DomainError> {
        let name = bounded_text("name", &self.name, 80)?;
        if others.iter().any(|o| o.to_lowercase() == name.to_lowercase()) {
            return Err(DomainError::invalid("name", Reason::Duplicate));
        }
        let host = host(&self.host)?;
        let port = match self.port {
            None => self.protocol.default_port(self.security),
            Some(p) => {
                u16::try_from(p).ok().filter(|p| *p > 0).ok_or(DomainError::invalid("port", Reason::OutOfRange { min: 1, max: 65535 }))?
            }
        };
        if self.protocol == Protocol::Pop3 && self.security == Security::StartTls {
            return Err(DomainError::invalid("security", "POP3 accounts use TLS or no protection"));
        }
        // An SMTP relay on the local network often takes mail without signing in.
        let relay = self.protocol == Protocol::Smtp && self.username.trim().is_empty();
        let username = if relay { String::new() } else { bounded_text("username", &self.username, 320)? };
        let password = match self.password.filter(|p| !p.is_empty()) {
            None if relay => Some(String::new()),
            p => p,
        };
        match &password {
            None if !has_password => return Err(DomainError::invalid("password", Reason::Required)),
            Some(p) if p.chars().count() > 1024 => return Err(DomainError::invalid("password", Reason::TooLong { max: 1024 })),
            Some(p) if p.chars().any(|c| c.is_control()) => return Err(DomainError::invalid("password", Reason::ControlCharacters)),
            _ => {}
        }
        let address = match self.address.trim() {
            "" if self.protocol == Protocol::Smtp => return Err(DomainError::invalid("address", Reason::Required)),
            "" => None,
            a => Some(EmailAddress::parse(a).map_err(|_| DomainError::invalid("address", Reason::InvalidEmail))?),
        };
        let (folder, after_import, move_to) = match self.protocol {
            Protocol::Imap => {
                let folder = match self.folder.trim() {
                    "" => DEFAULT_FOLDER.to_string(),
                    f => folder("folder", f)?,
                };
                let move_to = match self.after_import {
                    AfterImport::Move => {
                        let to = folder_required(&self.move_to)?;
                        if to == folder {
                            return Err(DomainError::invalid("move_to", "must differ from the folder mail is fetched from"));
                        }
                        Some(to)
                    }
                    _ => None,
                };
                (Some(folder), self.after_import, move_to)
            }
            Protocol::Pop3 if self.after_import == AfterImport::Move => {
                return Err(DomainError::invalid("after_import", "POP3 can only keep or delete messages"));
            }
            Protocol::Pop3 => (None, self.after_import, None),
            // Sending accounts import nothing; the column keeps its default.
            Protocol::Smtp => (None, AfterImport::MarkSeen, None),
        };
        let fetches = self.protocol.fetches();
        if fetches && !(MIN_POLL_SECONDS..=MAX_POLL_SECONDS).contains(&self.poll_seconds) {
            return Err(DomainError::invalid(
                "poll_seconds",
                Reason::OutOfRange { min: i64::from(MIN_POLL_SECONDS), max: i64::from(MAX_POLL_SECONDS) },
            ));
        }
        Ok(MailAccountSettings {
            name,
            protocol: self.protocol,
            host,
            port,
            security: self.security,
            username,
            password,
            address,
            folder,
            after_import,
            move_to,
            poll_seconds: if fetches { self.poll_seconds } else { MIN_POLL_SECONDS.max(60) },
            department_id: self.department_id.filter(|_| fetches),
            help_topic_id: self.help_topic_id.filter(|_| fetches),
            active: self.active,
        })
    }
}

fn folder_required(raw: &str) -> Result<String, DomainError> {
    folder("move_to", raw)
}

/// An account as stored, without its password (which is never read back but to connect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAccount {
    pub id: MailAccountId,
    pub name: String,
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub address: Option<String>,
    pub folder: Option<String>,
    pub after_import: AfterImport,
    pub move_to: Option<String>,
    pub poll_seconds: u32,
    pub department_id: Option<DepartmentId>,
    pub help_topic_id: Option<HelpTopicId>,
    pub active: bool,
    /// A node is fetching from it until then.
    pub locked_until: Option<DateTime<Utc>>,
    pub last_polled_at: Option<DateTime<Utc>>,
    /// Why the last poll failed (cleared by a good one).
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl MailAccount {
    /// The folder fetched from (IMAP).
    pub fn folder(&self) -> &str {
        self.folder.as_deref().unwrap_or(DEFAULT_FOLDER)
    }

    /// Whether a poller should fetch from it at `now`: an active fetching account whose
    /// interval has passed since its last poll.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.active
            && self.protocol.fetches()
            && self.last_polled_at.is_none_or(|t| now - t >= chrono::Duration::seconds(i64::from(self.poll_seconds)))
    }
}

/// Where a fetched message is kept on its server, stable across sessions: the IMAP folder's
/// UIDVALIDITY with the message's UID, or the POP3 UIDL.
pub fn imap_remote_key(uid_validity: u32, uid: u32) -> String {
    format!("imap:{uid_validity}:{uid}")
}

pub fn pop3_remote_key(uidl: &str) -> String {
    format!("pop3:{uidl}")
}

string_enum! {
    /// A step of a connection test, in the order they run.
    pub enum ProbeStep {
        /// Reading the stored password (sealed with the desk's secret key).
        Secret => "secret",
        Connect => "connect",
        Tls => "tls",
        Greeting => "greeting",
        Login => "login",
        Folder => "folder",
        Mailbox => "mailbox",
        Send => "send",
    }
}

/// What a connection test found: it reached the end (with how many messages wait, where the
/// protocol says), or the step that failed and the server's (or system's) words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    Passed { messages: Option<u32> },
    Failed { step: ProbeStep, detail: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imap() -> MailAccountInput {
        MailAccountInput {
            name: "Soporte".into(),
            protocol: Protocol::Imap,
            host: "Mail.Example.ORG".into(),
            port: None,
            security: Security::Tls,
            username: "soporte".into(),
            password: Some("secreto".into()),
            address: "soporte@example.org".into(),
            folder: String::new(),
            after_import: AfterImport::MarkSeen,
            move_to: String::new(),
            poll_seconds: 60,
            department_id: None,
            help_topic_id: None,
            active: true,
        }
    }

    fn field(r: Result<MailAccountSettings, DomainError>) -> String {
        match r {
            Err(DomainError::Invalid { field, .. }) => field.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn defaults_fill_in_port_and_folder() {
        let s = imap().validate(&[], false).expect("valid");
        assert_eq!((s.port, s.folder.as_deref(), s.host.as_str()), (993, Some("INBOX"), "mail.example.org"));
        let s = MailAccountInput { protocol: Protocol::Pop3, security: Security::None, ..imap() }.validate(&[], false).expect("pop3");
        assert_eq!((s.port, s.folder.as_deref()), (110, None));
        assert!(!format!("{s:?}").contains("secreto"), "the password is never printed");
    }

    #[test]
    fn refuses_what_cannot_work() {
        assert_eq!(field(imap().validate(&["soporte".into()], false)), "name");
        assert_eq!(field(MailAccountInput { password: None, ..imap() }.validate(&[], false)), "password");
        assert!(MailAccountInput { password: Some(String::new()), ..imap() }.validate(&[], true).is_ok(), "empty keeps the stored one");
        assert_eq!(field(MailAccountInput { host: "imap://x".into(), ..imap() }.validate(&[], false)), "host");
        assert_eq!(field(MailAccountInput { port: Some(70000), ..imap() }.validate(&[], false)), "port");
        assert_eq!(field(MailAccountInput { poll_seconds: 10, ..imap() }.validate(&[], false)), "poll_seconds");
        assert_eq!(field(MailAccountInput { after_import: AfterImport::Move, ..imap() }.validate(&[], false)), "move_to");
        let same = MailAccountInput { after_import: AfterImport::Move, move_to: "INBOX".into(), ..imap() };
        assert_eq!(field(same.validate(&[], false)), "move_to");
        let pop = MailAccountInput { protocol: Protocol::Pop3, ..imap() };
        assert_eq!(field(MailAccountInput { security: Security::StartTls, ..pop.clone() }.validate(&[], false)), "security");
        assert_eq!(field(MailAccountInput { after_import: AfterImport::Move, ..pop }.validate(&[], false)), "after_import");
        let smtp = MailAccountInput { protocol: Protocol::Smtp, security: Security::StartTls, address: String::new(), ..imap() };
        assert_eq!(field(smtp.clone().validate(&[], false)), "address");
        let s = MailAccountInput { address: "mesa@example.org".into(), poll_seconds: 0, ..smtp }.validate(&[], false).expect("smtp");
        assert_eq!(s.port, 587);
    }

    #[test]
    fn due_after_the_interval_only() {
        let now = Utc::now();
        let mut a = MailAccount {
            id: MailAccountId(1),
            name: "x".into(),
            protocol: Protocol::Imap,
            host: "h".into(),
            port: 143,
            security: Security::None,
            username: "u".into(),
            address: None,
            folder: None,
            after_import: AfterImport::MarkSeen,
            move_to: None,
            poll_seconds: 60,
            department_id: None,
            help_topic_id: None,
            active: true,
            locked_until: None,
            last_polled_at: None,
            last_error: None,
            updated_at: now,
        };
        assert!(a.due(now));
        a.last_polled_at = Some(now - chrono::Duration::seconds(30));
        assert!(!a.due(now));
        a.last_polled_at = Some(now - chrono::Duration::seconds(60));
        assert!(a.due(now));
        a.protocol = Protocol::Smtp;
        assert!(!a.due(now), "nothing is fetched from a sending account");
        assert_eq!(imap_remote_key(7, 42), "imap:7:42");
        assert_eq!(pop3_remote_key("abc"), "pop3:abc");
    }
}
