//! Small validated values parsed at the edge ("parse, don't validate").

use crate::error::{DomainError, Reason};

/// An e-mail address, trimmed and lower-cased so it can be compared and used as a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim().to_lowercase();
        let bad = |_why: &str| Err(DomainError::invalid("email", Reason::InvalidEmail));
        if s.is_empty() {
            return Err(DomainError::invalid("email", Reason::Required));
        }
        if s.len() > 254 {
            return Err(DomainError::invalid("email", Reason::TooLong { max: 254 }));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"' | '\\')) {
            return bad("contains characters not allowed in an address");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad("must contain @");
        };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return bad("is not a valid address");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-')) {
            return bad("has an invalid domain");
        }
        Ok(EmailAddress(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters that reorder how text is shown (bidirectional embeddings, overrides, isolates and
/// marks): in a subject or a file name they can make `exe.pdf` look like `fdp.exe`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The text without bidirectional controls.
pub fn strip_bidi(raw: &str) -> String {
    raw.chars().filter(|c| !is_bidi_control(*c)).collect()
}

/// Trimmed one-line text: required, at most `max` characters, no control characters.
pub fn bounded_text(field: &'static str, raw: &str, max: usize) -> Result<String, DomainError> {
    let stripped = strip_bidi(raw);
    let s = stripped.trim();
    if s.is_empty() {
        return Err(DomainError::invalid(field, Reason::Required));
    }
    if s.chars().count() > max {
        return Err(DomainError::invalid(field, Reason::TooLong { max }));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid(field, Reason::ControlCharacters));
    }
    Ok(s.to_string())
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        bounded_text("name", raw, 120).map(PersonName)
    }

    /// A name derived from an address, for requesters who gave none.
    pub fn from_email(email: &EmailAddress) -> Self {
        let local = email.as_str().split('@').next().unwrap_or_default();
        PersonName(local.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A ticket's subject (summary): one line, at most 255 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        bounded_text("subject", raw, 255).map(Subject)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message body: required, bounded (64 KiB of text) so one request cannot fill the disk, and
/// without NUL (which no database column takes).
pub fn parse_body(raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid("body", Reason::Required));
    }
    if s.contains('\0') {
        return Err(DomainError::invalid("body", Reason::ControlCharacters));
    }
    if s.len() > 65_536 {
        return Err(DomainError::invalid("body", Reason::TooLong { max: 65_536 }));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() {
        let e = EmailAddress::parse("  Ana.Perez@Gob.EC ").expect("valid");
        assert_eq!(e.as_str(), "ana.perez@gob.ec");
        assert_eq!(e.domain(), "gob.ec");
    }

    #[test]
    fn email_rejects_garbage() {
        for bad in ["", "ana", "ana@", "@gob.ec", "ana@gob", "a b@gob.ec", "ana@@gob.ec", "ana@-gob.ec", "ana@gob..ec", "<ana@gob.ec>"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} should be rejected");
        }
        let long = format!("{}@gob.ec", "a".repeat(65));
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn subject_bounds() {
        assert!(Subject::parse("   ").is_err());
        assert!(Subject::parse(&"x".repeat(256)).is_err());
        assert!(Subject::parse("línea\u{7}").is_err());
        assert_eq!(Subject::parse(" Impresora sin tóner ").expect("ok").as_str(), "Impresora sin tóner");
    }

    #[test]
    fn nul_and_bidi_controls() {
        assert!(Subject::parse("impresora\0").is_err());
        assert!(PersonName::parse("Ana\0").is_err());
        assert!(parse_body("hola\0mundo").is_err());
        assert!(EmailAddress::parse("ana\0@gob.ec").is_err());
        let spoof = Subject::parse("Factura \u{202E}fdp.exe\u{202C} \u{2066}x\u{2069}\u{200F}").expect("ok");
        assert_eq!(spoof.as_str(), "Factura fdp.exe x");
        assert!(Subject::parse("\u{202E}\u{202C}").is_err(), "nothing left: required");
        assert_eq!(strip_bidi("a\u{200E}b"), "ab");
        assert_eq!(parse_body("línea 1\n\tlínea 2").expect("ok"), "línea 1\n\tlínea 2", "newlines and tabs stay");
    }

    #[test]
    fn name_from_email() {
        let e = EmailAddress::parse("jperez@uni.mx").expect("valid");
        assert_eq!(PersonName::from_email(&e).as_str(), "jperez");
    }

    #[test]
    fn body_bounds() {
        assert!(parse_body(" \n ").is_err());
        assert!(parse_body(&"x".repeat(70_000)).is_err());
        assert_eq!(parse_body(" hola ").expect("ok"), "hola");
    }
}
