//! Inbound e-mail for Tikal: raw RFC 5322 bytes in, an [`Inbound`] message out.
//!
//! What it does, all of it pure (no I/O, no async, no clock):
//! - [`parse`] decodes a message with `mail-parser` (every charset it knows, quoted-printable,
//!   base64, RFC 2047 words in headers, RFC 2231 parameters): addresses, threading ids,
//!   subject, date, the body as plain text (text/plain preferred; HTML-only mail converted with
//!   `html2text`), the HTML part sanitised with `ammonia`, and every other part as an
//!   attachment (inline images with their Content-ID, forwarded messages as `.eml`, calendar
//!   invitations as `invite.ics`).
//! - It tells why a message must never be answered automatically ([`Automatic`]: auto-replies,
//!   bulk and list mail, null senders, bounces) and reads delivery status notifications
//!   ([`Bounce`]), RFC 3464 ones and the common non-standard ones.
//! - [`new_text`] cuts the quoted history off a reply; [`SubjectTag`] finds, renders and strips
//!   the ticket tag (`[#000042]`) in a subject.
//!
//! What it does not do: fetch or send mail, store anything, decide which ticket a message
//! belongs to (the intake service does, from [`Inbound::in_reply_to`], [`Inbound::references`]
//! and the subject tag), check DKIM/SPF, or scan attachments. The caller stores the raw bytes
//! before calling [`parse`], so a message this crate cannot read is never lost.
//!
//! Text from HTML-only mail is html2text's plain rendering: paragraphs and lists kept, links
//! as numbered references listed at the end, `**bold**` and `# headings` marked as in Markdown.
//! Damaged input is parsed as far as it goes: a multipart that forgot its boundary parameter is
//! re-read with the boundary its body shows, a base64 attachment cut short is decoded up to the
//! cut, and parts left outside the MIME tree by a truncation are still kept.
//!
//! HTML policy: scripts, styles, forms, event handlers and unknown URL schemes are removed by
//! ammonia's defaults; links keep `rel="noopener noreferrer"`. Images keep only `cid:` sources
//! (the web layer rewrites them to the stored inline attachment); remote (`http:`/`https:`)
//! and `data:` image sources are dropped so that opening a ticket never calls a tracker.

mod automatic;
mod bounce;
mod parse;
mod strip;
mod tag;

pub use parse::parse;
pub use strip::new_text;
pub use tag::{SubjectTag, TagError};

/// Bounds that keep one hostile message from costing more than a normal one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Raw size above which the message is refused before parsing.
    pub max_bytes: usize,
    /// MIME parts (all levels, nested messages included) above which it is refused. Before
    /// parsing, a message with more than twice as many `Content-Type` lines (plus a margin) is
    /// refused too: that bounds the parser's nesting without parsing first.
    pub max_parts: usize,
    /// Characters of [`Inbound::text`] kept; the rest is cut.
    pub max_text_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_bytes: 30 * 1024 * 1024, max_parts: 500, max_text_chars: 200_000 }
    }
}

/// Why a message could not be turned into an [`Inbound`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message has {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    #[error("not an e-mail message: no header could be read")]
    Unreadable,
    #[error("the message has more than {max} MIME parts")]
    TooManyParts { max: usize },
}

/// One mailbox of an address header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The address as written, trimmed (not lower-cased: the caller normalises).
    pub email: String,
    /// The display name, RFC 2047 decoded; `None` when absent or blank.
    pub name: Option<String>,
}

/// A parsed inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inbound {
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids without angle brackets, oldest first as written.
    pub references: Vec<String>,
    pub from: Option<Address>,
    pub reply_to: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// Delivered-To and X-Original-To values: the address the message was delivered to.
    pub delivered_to: Vec<String>,
    /// Decoded subject; empty when there is none.
    pub subject: String,
    /// Date header as unix seconds, when it is a valid date.
    pub date: Option<i64>,
    /// The body as plain text, at most `max_text_chars` characters.
    pub text: String,
    /// The HTML body sanitised (see the crate documentation); `None` without an HTML part.
    pub html: Option<String>,
    pub attachments: Vec<Part>,
    /// Why this message must never get an automatic answer.
    pub automatic: Option<Automatic>,
    /// Set when the message is a delivery status notification.
    pub bounce: Option<Bounce>,
}

/// A part of the message that is not its body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Decoded and sanitised file name: no path, no control characters, never empty.
    pub filename: String,
    /// Lower-case MIME type, e.g. `image/png`.
    pub content_type: String,
    /// Content-ID without angle brackets.
    pub content_id: Option<String>,
    /// Shown inside the body (disposition inline, or a Content-ID without a disposition).
    pub inline: bool,
    /// Decoded content. Text parts are given as UTF-8.
    pub data: Vec<u8>,
}

/// The reason a message is automatic: answering it could start a mail loop or spam a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted` with any value but `no` (lower-cased value).
    AutoSubmitted(String),
    /// `Precedence: bulk | junk | list | auto_reply` (lower-cased value).
    Precedence(String),
    /// `X-Auto-Response-Suppress` with any value: the sender asks not to be answered.
    AutoResponseSuppress,
    /// `List-Id` or `List-Unsubscribe`: mail from a list.
    MailingList,
    /// `X-Autoreply`, `X-Autorespond`, `X-Autoresponder` or `X-Autogenerated`.
    AutoReplyHeader,
    /// A delivery status notification; see [`Inbound::bounce`].
    Bounce,
    /// `Return-Path: <>`: the null sender, used only by automatic mail.
    NullSender,
}

/// What a delivery status notification says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bounce {
    /// Recipients whose delivery failed (empty for a delay notice or an unreadable report).
    pub recipients: Vec<String>,
    /// Enhanced status code, e.g. `5.1.1`.
    pub status: Option<String>,
    /// The remote server's words.
    pub diagnostic: Option<String>,
    /// Message-ID (without brackets) of the message that bounced, when the report includes it.
    pub original_message_id: Option<String>,
}
