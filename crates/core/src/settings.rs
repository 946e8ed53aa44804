//! The desk's settings an administrator edits: the organisation and its branding, language and
//! time zone, ticket numbers and attachment limits, how long a closed ticket may be reopened and
//! when a resolved one closes by itself, and who may register in the portal. The configuration
//! file gives the defaults a fresh install starts from; what an administrator saves wins.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Reason};
use crate::number::NumberFormat;
use crate::string_enum;
use crate::values::bounded_text;

/// Largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;
/// The attachment limit an administrator may set is at most this (the HTTP layers are built
/// at start with room for it).
pub const ATTACHMENT_MB_CEILING: u32 = 64;
/// Most attachments per message an administrator may allow.
pub const MAX_FILES_CEILING: u32 = 20;
pub const MAX_REOPEN_DAYS: u32 = 365;
pub const MAX_AUTO_CLOSE_DAYS: u32 = 90;
/// Days a resolved ticket waits for the requester before the system closes it.
pub const DEFAULT_AUTO_CLOSE_DAYS: u32 = 7;
/// Days a ticket waits on its requester before they are reminded, by default.
pub const DEFAULT_REMINDER_DAYS: u32 = 3;
pub const MAX_REMINDER_DAYS: u32 = 90;
/// WCAG 2 AA for normal text.
pub const MIN_CONTRAST: f64 = 4.5;
pub const MAX_DOMAINS: usize = 50;
pub const MAX_ORG_NAME: usize = 80;

/// A colour as `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Colour([u8; 3]);

impl Colour {
    pub const BRAND: Colour = Colour([0x0b, 0x5c, 0xad]);
    pub const WHITE: Colour = Colour([0xff, 0xff, 0xff]);

    /// `#rrggbb` (case-insensitive; the `#` may be left out).
    pub fn parse(raw: &str) -> Option<Colour> {
        let s = raw.trim();
        let hex = s.strip_prefix('#').unwrap_or(s);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Colour([byte(0)?, byte(2)?, byte(4)?]))
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }

    /// Relative luminance (WCAG 2).
    fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * lin(self.0[0]) + 0.7152 * lin(self.0[1]) + 0.0722 * lin(self.0[2])
    }

    /// The contrast ratio of two colours, from 1 to 21.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

impl TryFrom<String> for Colour {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Colour::parse(&s).ok_or_else(|| format!("`{s}` is not a #rrggbb colour"))
    }
}

impl From<Colour> for String {
    fn from(c: Colour) -> String {
        c.hex()
    }
}

string_enum! {
    /// The languages of the pages and mail.
    pub enum Language {
        Es => "es",
        En => "en",
    }
}

string_enum! {
    /// Who may create a portal account.
    pub enum RegistrationMode {
        /// Anyone.
        Open => "open",
        /// Only addresses of the allowed domains.
        Domains => "domains",
        /// Accounts are created by staff only.
        StaffOnly => "staff_only",
    }
}

/// The uploaded logo: its type and a version that changes with its bytes (for cacheable URLs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoRef {
    pub content_type: String,
    pub version: String,
    pub bytes: u64,
}

/// The effective settings: the file's defaults with what an administrator saved over them.
/// Field names are the keys they are stored and audited under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    pub organisation_name: String,
    pub brand_colour: Colour,
    pub brand_ink: Colour,
    pub default_language: Language,
    /// IANA zone, e.g. `America/Guayaquil`.
    pub time_zone: String,
    pub ticket_number_format: String,
    /// Days after closing during which a requester's reply reopens the ticket.
    pub reopen_window_days: u32,
    /// Days a resolved ticket waits for the requester's confirmation before it closes (0: never).
    pub auto_close_days: u32,
    /// Days a ticket waits on its requester, unchanged, before they get one reminder (0: never).
    #[serde(default = "default_reminder_days")]
    pub reminder_days: u32,
    /// The ticket tag in mail subjects, with `{number}` once (`[#{number}]`): written by the
    /// notifications and looked for by the intake.
    #[serde(default = "default_subject_tag")]
    pub mail_subject_tag: String,
    /// Auto-responses one address gets per hour at most (a loop brake; 0: none to mail).
    #[serde(default = "default_autoreplies")]
    pub autoreplies_per_hour: u32,
    pub max_attachment_mb: u32,
    pub max_attachments: u32,
    pub registration: RegistrationMode,
    /// The domains that may register when `registration` is `domains`.
    pub allowed_domains: Vec<String>,
    pub guests_may_open: bool,
    pub organisation_tickets: bool,
    /// Stored apart (with its bytes); not one of the form's values.
    #[serde(skip)]
    pub logo: Option<LogoRef>,
}

impl SiteSettings {
    /// The keys the settings are stored under (the logo has its own).
    pub const KEYS: &'static [&'static str] = &[
        "organisation_name",
        "brand_colour",
        "brand_ink",
        "default_language",
        "time_zone",
        "ticket_number_format",
        "reopen_window_days",
        "auto_close_days",
        "reminder_days",
        "mail_subject_tag",
        "autoreplies_per_hour",
        "max_attachment_mb",
        "max_attachments",
        "registration",
        "allowed_domains",
        "guests_may_open",
        "organisation_tickets",
    ];

    /// The number format (validated when saved; a value that no longer parses is the default).
    pub fn number_format(&self) -> NumberFormat {
        NumberFormat::parse(&self.ticket_number_format).unwrap_or_default()
    }

    pub fn max_attachment_bytes(&self) -> u64 {
        u64::from(self.max_attachment_mb) * 1024 * 1024
    }

    /// Whether an address of `domain` may register by itself (ignoring mail verification).
    pub fn domain_listed(&self, domain: &str) -> bool {
        self.allowed_domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// The brand colours differ from the built-in ones (the pages then load a theme).
    pub fn custom_colours(&self) -> bool {
        self.brand_colour != Colour::BRAND || self.brand_ink != Colour::WHITE
    }

    /// A short version of the colours, for the theme's cacheable URL.
    pub fn theme_version(&self) -> String {
        format!("{}{}", &self.brand_colour.hex()[1..], &self.brand_ink.hex()[1..])
    }

    /// The values as a form shows them.
    pub fn to_input(&self) -> SettingsInput {
        SettingsInput {
            organisation_name: self.organisation_name.clone(),
            brand_colour: self.brand_colour.hex(),
            brand_ink: self.brand_ink.hex(),
            default_language: self.default_language.as_str().into(),
            time_zone: self.time_zone.clone(),
            ticket_number_format: self.ticket_number_format.clone(),
            reopen_window_days: self.reopen_window_days.to_string(),
            auto_close_days: self.auto_close_days.to_string(),
            reminder_days: self.reminder_days.to_string(),
            mail_subject_tag: self.mail_subject_tag.clone(),
            autoreplies_per_hour: self.autoreplies_per_hour.to_string(),
            max_attachment_mb: self.max_attachment_mb.to_string(),
            max_attachments: self.max_attachments.to_string(),
            registration: self.registration.as_str().into(),
            allowed_domains: self.allowed_domains.join("\n"),
            guests_may_open: self.guests_may_open,
            organisation_tickets: self.organisation_tickets,
        }
    }
}

/// The settings as typed in a form or sent by a script, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsInput {
    pub organisation_name: String,
    pub brand_colour: String,
    pub brand_ink: String,
    pub default_language: String,
    pub time_zone: String,
    pub ticket_number_format: String,
    pub reopen_window_days: String,
    pub auto_close_days: String,
    pub reminder_days: String,
    pub mail_subject_tag: String,
    pub autoreplies_per_hour: String,
    pub max_attachment_mb: String,
    pub max_attachments: String,
    pub registration: String,
    /// Domains separated by new lines, commas or spaces.
    pub allowed_domains: String,
    pub guests_may_open: bool,
    pub organisation_tickets: bool,
}

/// The default ticket tag in mail subjects.
pub const DEFAULT_SUBJECT_TAG: &str = "[#{number}]";
/// Auto-responses per address and hour by default.
pub const DEFAULT_AUTOREPLIES: u32 = 5;
const MAX_AUTOREPLIES: u32 = 100;

fn default_subject_tag() -> String {
    DEFAULT_SUBJECT_TAG.into()
}

fn default_reminder_days() -> u32 {
    DEFAULT_REMINDER_DAYS
}

fn default_autoreplies() -> u32 {
    DEFAULT_AUTOREPLIES
}

/// A subject tag: `{number}` exactly once, with text around it that a number alone would not
/// match (brackets, `#`, a word), at most 40 characters, on one line.
fn subject_tag(raw: &str) -> Result<String, DomainError> {
    let tag = raw.trim();
    let why = "must contain {number} once, with text around it such as [#{number}]";
    if tag.matches("{number}").count() != 1
        || tag.len() == "{number}".len()
        || tag.chars().count() > 40
        || tag.chars().any(char::is_control)
    {
        return Err(DomainError::invalid("mail_subject_tag", why));
    }
    Ok(tag.to_string())
}

fn number(field: &'static str, raw: &str, min: u32, max: u32) -> Result<u32, DomainError> {
    let n: i64 = raw.trim().parse().map_err(|_| DomainError::invalid(field, Reason::NotANumber))?;
    if n < i64::from(min) || n > i64::from(max) {
        return Err(DomainError::invalid(field, Reason::OutOfRange { min: i64::from(min), max: i64::from(max) }));
    }
    u32::try_from(n).map_err(|_| DomainError::invalid(field, Reason::NotANumber))
}

/// A domain name as people type it: lower-cased, without `@`, with at least one dot.
pub fn parse_domain(raw: &str) -> Option<String> {
    let d = raw.trim().trim_start_matches('@').trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = d.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    (d.contains('.') && d.len() <= 253 && labels_ok).then_some(d)
}

/// Whether `zone` names an IANA time zone.
pub fn valid_time_zone(zone: &str) -> bool {
    zone.parse::<chrono_tz::Tz>().is_ok()
}

impl SettingsInput {
    /// Checks every value; `logo` is kept as it is.
    pub fn validate(self, logo: Option<LogoRef>) -> Result<SiteSettings, DomainError> {
        self.validate_with_ceiling(logo, ATTACHMENT_MB_CEILING)
    }

    /// As `validate`, with the largest attachment limit allowed (an operator's file may set a
    /// higher one than `ATTACHMENT_MB_CEILING`; the HTTP layers then make room for it).
    pub fn validate_with_ceiling(self, logo: Option<LogoRef>, attachment_ceiling_mb: u32) -> Result<SiteSettings, DomainError> {
        let organisation_name = bounded_text("organisation_name", &self.organisation_name, MAX_ORG_NAME)?;
        let brand_colour =
            Colour::parse(&self.brand_colour).ok_or_else(|| DomainError::invalid("brand_colour", "is not a #rrggbb colour"))?;
        let brand_ink = Colour::parse(&self.brand_ink).ok_or_else(|| DomainError::invalid("brand_ink", "is not a #rrggbb colour"))?;
        // The brand colour carries the ink (header, buttons) and is itself text on white (links).
        if brand_colour.contrast(brand_ink) < MIN_CONTRAST {
            return Err(DomainError::invalid("brand_ink", "contrast with the brand colour is below 4.5:1 (WCAG AA)"));
        }
        if brand_colour.contrast(Colour::WHITE) < MIN_CONTRAST {
            return Err(DomainError::invalid("brand_colour", "contrast with white is below 4.5:1 (WCAG AA): links would be unreadable"));
        }
        let default_language =
            self.default_language.trim().parse::<Language>().map_err(|_| DomainError::invalid("default_language", Reason::NotAnOption))?;
        let time_zone = self.time_zone.trim().to_string();
        if !valid_time_zone(&time_zone) {
            return Err(DomainError::invalid("time_zone", "is not an IANA time zone such as America/Guayaquil"));
        }
        let ticket_number_format = self.ticket_number_format.trim().to_string();
        NumberFormat::parse(&ticket_number_format)?;
        let registration =
            self.registration.trim().parse::<RegistrationMode>().map_err(|_| DomainError::invalid("registration", Reason::NotAnOption))?;
        let mut allowed_domains = Vec::new();
        for raw in self.allowed_domains.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|s| !s.trim().is_empty()) {
            let d = parse_domain(raw).ok_or_else(|| DomainError::invalid("allowed_domains", "has a value that is not a domain name"))?;
            if !allowed_domains.contains(&d) {
                allowed_domains.push(d);
            }
        }
        if allowed_domains.len() > MAX_DOMAINS {
            return Err(DomainError::invalid("allowed_domains", Reason::OutOfRange { min: 1, max: MAX_DOMAINS as i64 }));
        }
        if registration == RegistrationMode::Domains && allowed_domains.is_empty() {
            return Err(DomainError::invalid("allowed_domains", Reason::Required));
        }
        Ok(SiteSettings {
            organisation_name,
            brand_colour,
            brand_ink,
            default_language,
            time_zone,
            ticket_number_format,
            reopen_window_days: number("reopen_window_days", &self.reopen_window_days, 0, MAX_REOPEN_DAYS)?,
            auto_close_days: number("auto_close_days", &self.auto_close_days, 0, MAX_AUTO_CLOSE_DAYS)?,
            reminder_days: number("reminder_days", &self.reminder_days, 0, MAX_REMINDER_DAYS)?,
            mail_subject_tag: subject_tag(&self.mail_subject_tag)?,
            autoreplies_per_hour: number("autoreplies_per_hour", &self.autoreplies_per_hour, 0, MAX_AUTOREPLIES)?,
            max_attachment_mb: number("max_attachment_mb", &self.max_attachment_mb, 1, attachment_ceiling_mb)?,
            max_attachments: number("max_attachments", &self.max_attachments, 1, MAX_FILES_CEILING)?,
            registration,
            allowed_domains,
            guests_may_open: self.guests_may_open,
            organisation_tickets: self.organisation_tickets,
            logo,
        })
    }
}

/// The image types a logo may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoKind {
    Png,
    Jpeg,
}

impl LogoKind {
    pub fn content_type(self) -> &'static str {
        match self {
            LogoKind::Png => "image/png",
            LogoKind::Jpeg => "image/jpeg",
        }
    }
}

/// Checks a logo by its bytes, not by what the sender says it is: PNG or JPEG (SVG is refused:
/// it can carry script), not empty, at most `MAX_LOGO_BYTES`.
pub fn check_logo(data: &[u8]) -> Result<LogoKind, DomainError> {
    if data.is_empty() {
        return Err(DomainError::invalid("logo", Reason::Required));
    }
    if data.len() > MAX_LOGO_BYTES {
        return Err(DomainError::invalid("logo", "is larger than 512 KB"));
    }
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(LogoKind::Png)
    } else if data.starts_with(&[0xff, 0xd8, 0xff]) {
        Ok(LogoKind::Jpeg)
    } else {
        Err(DomainError::invalid("logo", "must be a PNG or JPEG image"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsInput {
        SettingsInput {
            organisation_name: " Mesa de Ayuda UIT ".into(),
            brand_colour: "#0B5CAD".into(),
            brand_ink: "#ffffff".into(),
            default_language: "es".into(),
            time_zone: "America/Guayaquil".into(),
            ticket_number_format: "UIT-{year}-{seq:5}".into(),
            reopen_window_days: "14".into(),
            auto_close_days: "7".into(),
            reminder_days: "3".into(),
            mail_subject_tag: "[UIT #{number}]".into(),
            autoreplies_per_hour: "5".into(),
            max_attachment_mb: "10".into(),
            max_attachments: "5".into(),
            registration: "domains".into(),
            allowed_domains: "gob.example, @Uit.Gob.Example\nuit.gob.example".into(),
            guests_may_open: false,
            organisation_tickets: true,
        }
    }

    fn field(r: Result<SiteSettings, DomainError>) -> &'static str {
        match r {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn valid_settings_are_normalised() {
        let s = input().validate(None).expect("valid");
        assert_eq!(s.organisation_name, "Mesa de Ayuda UIT");
        assert_eq!(s.brand_colour.hex(), "#0b5cad");
        assert_eq!(s.allowed_domains, vec!["gob.example", "uit.gob.example"]);
        assert!(s.domain_listed("GOB.example") && !s.domain_listed("gmail.com"));
        assert_eq!(s.number_format().format(7, 2026).as_str(), "UIT-2026-00007");
        assert_eq!(s.max_attachment_bytes(), 10 * 1024 * 1024);
        assert_eq!(s.to_input().validate(None), Ok(s.clone()), "a form of the settings is the settings");
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(json["brand_colour"], "#0b5cad");
        assert_eq!(json["registration"], "domains");
        assert_eq!(serde_json::from_value::<SiteSettings>(json).expect("back"), s);
    }

    #[test]
    fn bad_values_name_their_field() {
        let with = |f: fn(&mut SettingsInput)| {
            let mut i = input();
            f(&mut i);
            i.validate(None)
        };
        assert_eq!(field(with(|i| i.organisation_name = " ".into())), "organisation_name");
        assert_eq!(field(with(|i| i.time_zone = "Mars/Olympus".into())), "time_zone");
        assert_eq!(field(with(|i| i.ticket_number_format = "UIT-{year}".into())), "ticket_number_format");
        assert_eq!(field(with(|i| i.brand_colour = "azul".into())), "brand_colour");
        assert_eq!(field(with(|i| i.brand_ink = "#3366cc".into())), "brand_ink", "blue on blue");
        assert_eq!(field(with(|i| (i.brand_colour, i.brand_ink) = ("#ffeb3b".into(), "#000000".into()))), "brand_colour", "yellow links");
        assert_eq!(field(with(|i| i.default_language = "fr".into())), "default_language");
        assert_eq!(field(with(|i| i.max_attachment_mb = "0".into())), "max_attachment_mb");
        assert_eq!(field(with(|i| i.max_attachment_mb = "65".into())), "max_attachment_mb");
        let mut big = input();
        big.max_attachment_mb = "100".into();
        assert!(big.validate_with_ceiling(None, 100).is_ok(), "up to the file's own limit");
        assert_eq!(field(with(|i| i.max_attachments = "muchos".into())), "max_attachments");
        assert_eq!(field(with(|i| i.reopen_window_days = "-1".into())), "reopen_window_days");
        assert_eq!(field(with(|i| i.auto_close_days = "91".into())), "auto_close_days");
        assert_eq!(field(with(|i| i.reminder_days = "-1".into())), "reminder_days");
        assert_eq!(field(with(|i| i.mail_subject_tag = "{number}".into())), "mail_subject_tag");
        assert_eq!(field(with(|i| i.mail_subject_tag = "[#{number}] {number}".into())), "mail_subject_tag");
        assert_eq!(field(with(|i| i.mail_subject_tag = "[#]".into())), "mail_subject_tag");
        assert_eq!(field(with(|i| i.autoreplies_per_hour = "101".into())), "autoreplies_per_hour");
        assert_eq!(field(with(|i| i.registration = "a veces".into())), "registration");
        assert_eq!(field(with(|i| i.allowed_domains = "gob example".into())), "allowed_domains");
        assert_eq!(field(with(|i| i.allowed_domains = "".into())), "allowed_domains", "domains mode needs one");
        assert!(with(|i| (i.registration, i.allowed_domains) = ("open".into(), "".into())).is_ok());
    }

    #[test]
    fn contrast_follows_wcag() {
        let c = |s: &str| Colour::parse(s).expect("colour");
        assert!((c("#000000").contrast(c("#ffffff")) - 21.0).abs() < 0.01);
        assert!((c("#777777").contrast(c("#ffffff")) - 4.48).abs() < 0.01);
        assert!(Colour::BRAND.contrast(Colour::WHITE) >= MIN_CONTRAST);
        assert_eq!(Colour::parse("0b5cad"), Some(Colour::BRAND));
        assert_eq!(Colour::parse("#0b5cag"), None);
        assert_eq!(Colour::parse("#fff"), None);
    }

    #[test]
    fn logos_are_sniffed() {
        assert_eq!(check_logo(b"\x89PNG\r\n\x1a\n rest"), Ok(LogoKind::Png));
        assert_eq!(check_logo(&[0xff, 0xd8, 0xff, 0xe0, 1, 2]), Ok(LogoKind::Jpeg));
        assert!(check_logo(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>").is_err());
        assert!(check_logo(b"").is_err());
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert!(check_logo(&big).is_err());
    }
}
