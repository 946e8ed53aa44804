//! Background work. The outbox worker claims due jobs with a lease (several nodes never run one
//! job at once), does them, and marks them done, or retries them later with back-off; nothing
//! committed is lost while a mail server is down.
//!
//! Sent: the account mail of the portal (`mail.*`: status-check links, password resets,
//! invitations) and, when the worker is built with `Worker::notify`, the ticket notifications
//! (`notify.*`: the auto-response and the department's alert for a new ticket, agents'
//! replies with their files, assignment, transfer, resolution, the survey after closing).
//! Who gets which is `tikal_core::notice`; `notify` writes them from the e-mail templates in
//! each recipient's language with the ticket's tag (`[#000042]`) in the subject, our own
//! Message-ID (recorded before sending, for threading) and In-Reply-To/References. Automatic
//! notices are not sent to addresses that bounce; an address refused for good sets the job
//! aside as dead; a server that is down is retried with back-off; a mail is never sent twice.

mod account_mailer;
mod fetch;
mod housekeeping;
pub mod imap;
pub mod mail;
pub mod net;
pub mod notify;
pub mod pop3;
mod probe;
mod scheduler;
mod worker;

pub use account_mailer::AccountMailer;
pub use fetch::{Fetcher, Intake, PollReport};
pub use housekeeping::housekeeping;
pub use mail::{MailAttachment, MailError, Mailer, OutgoingMail, SmtpMailer};
pub use net::MailTls;
pub use notify::NotifySettings;
pub use probe::{ServerProbe, smtp_mailer_for};
pub use scheduler::{Clock, FileClock, ManualClock, Scheduler, SystemClock};
pub use worker::{MailSettings, OutboxSettings, Worker};
