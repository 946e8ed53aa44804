//! Background work. The outbox worker claims due jobs with a lease (several nodes never run one
//! job at once), does them, and marks them done, or retries them later with back-off; nothing
//! committed is lost while a mail server is down.
//!
//! Handled today: the account mail of the portal (status-check links, password resets). Ticket
//! notifications (`notify.*`) stay queued for the e-mail channel milestone.

mod fetch;
mod housekeeping;
pub mod imap;
pub mod mail;
pub mod net;
pub mod pop3;
mod probe;
mod worker;

pub use fetch::{Fetcher, Intake, PollReport};
pub use housekeeping::housekeeping;
pub use mail::{MailError, Mailer, OutgoingMail, SmtpMailer};
pub use net::MailTls;
pub use probe::{ServerProbe, smtp_mailer_for};
pub use worker::{MailSettings, OutboxSettings, Worker};
