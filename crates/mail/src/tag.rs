//! The ticket tag in a subject, e.g. `[#000042]`: how replies find their ticket when the
//! threading headers are lost.

/// The placeholder a tag format must contain exactly once.
const PLACEHOLDER: &str = "{number}";
/// Longest ticket number a tag may carry.
const MAX_NUMBER: usize = 32;
/// Reply and forward prefixes of common clients (Outlook in Spanish writes RV:, German AW:/WG:,
/// Nordic SV:, French TR:, Portuguese ENC:).
const REPLY_PREFIXES: [&str; 9] = ["re", "fwd", "fw", "rv", "aw", "sv", "wg", "tr", "enc"];

/// A tag format, such as `[#{number}]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTag {
    prefix: String,
    suffix: String,
}

/// Why a tag format was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("the subject tag format must contain {{number}} exactly once")]
    Placeholder,
    #[error("the subject tag format needs text around {{number}}, such as [#{{number}}]")]
    NoLiteral,
}

impl SubjectTag {
    /// Parses a format with `{number}` exactly once and some non-blank text around it.
    pub fn new(format: &str) -> Result<Self, TagError> {
        let (prefix, suffix) = format.split_once(PLACEHOLDER).ok_or(TagError::Placeholder)?;
        if suffix.contains(PLACEHOLDER) {
            return Err(TagError::Placeholder);
        }
        if prefix.trim().is_empty() && suffix.trim().is_empty() {
            return Err(TagError::NoLiteral);
        }
        Ok(Self { prefix: prefix.to_owned(), suffix: suffix.to_owned() })
    }

    /// The tag for a ticket number: `render("000042")` -> `[#000042]`.
    pub fn render(&self, number: &str) -> String {
        format!("{}{number}{}", self.prefix, self.suffix)
    }

    /// The number inside the first tag of `subject` (letters, digits, `-`, `_`; 1 to 32 of
    /// them); the tag's own text is matched without regard to case.
    pub fn find(&self, subject: &str) -> Option<String> {
        self.find_span(subject).map(|(_, number, _)| number.to_owned())
    }

    /// The subject for display: every tag removed, then any leading "Re:", "RE:", "Fwd:",
    /// "RV:", "Fw:", "AW:", "SV:"… (also `Re[2]:`), and spaces tidied.
    pub fn strip(&self, subject: &str) -> String {
        let mut rest = subject.to_owned();
        while let Some((start, _, end)) = self.find_span(&rest) {
            rest.replace_range(start..end, " ");
        }
        let mut text = rest.trim();
        while let Some(after) = strip_reply_prefix(text) {
            text = after;
        }
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Byte range of the first tag and the number in it: (tag start, number, tag end).
    fn find_span<'s>(&self, subject: &'s str) -> Option<(usize, &'s str, usize)> {
        let starts = subject.char_indices().map(|(i, _)| i).chain(std::iter::once(subject.len()));
        for start in starts {
            let Some(after_prefix) = match_ci(subject, start, &self.prefix) else {
                continue;
            };
            // Without a prefix the number must not begin inside a longer word.
            if self.prefix.is_empty() && subject.get(..start).and_then(|s| s.chars().next_back()).is_some_and(is_number_char) {
                continue;
            }
            let rest = subject.get(after_prefix..).unwrap_or_default();
            let run = rest.find(|c: char| !is_number_char(c)).unwrap_or(rest.len());
            // The suffix may itself start with a number character ("{number}-x"): try the
            // longest number first, then shorter ones.
            for len in (1..=run.min(MAX_NUMBER)).rev() {
                if self.suffix.is_empty() && len != run {
                    break;
                }
                let number_end = after_prefix + len;
                if let Some(end) = match_ci(subject, number_end, &self.suffix) {
                    let number = subject.get(after_prefix..number_end).unwrap_or_default();
                    return Some((start, number, end));
                }
            }
        }
        None
    }
}

fn is_number_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Where `literal` ends when `hay` has it at byte `at`, comparing without regard to case.
fn match_ci(hay: &str, at: usize, literal: &str) -> Option<usize> {
    let mut hay_chars = hay.get(at..)?.char_indices();
    for expected in literal.chars() {
        let (_, got) = hay_chars.next()?;
        if !got.to_lowercase().eq(expected.to_lowercase()) {
            return None;
        }
    }
    Some(hay_chars.next().map_or(hay.len(), |(i, _)| at + i))
}

/// `subject` after one leading reply prefix, or `None` when it has none.
fn strip_reply_prefix(subject: &str) -> Option<&str> {
    let word_end = subject.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(subject.len());
    let word = subject.get(..word_end)?;
    if !REPLY_PREFIXES.iter().any(|p| p.eq_ignore_ascii_case(word)) {
        return None;
    }
    let mut rest = subject.get(word_end..)?;
    // Counters some clients add: "Re[2]:" or "Re(2):".
    if let Some(inner) = rest.strip_prefix(['[', '(']) {
        let close = inner.find([']', ')'])?;
        if !inner.get(..close)?.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        rest = inner.get(close + 1..)?;
    }
    let rest = rest.trim_start().strip_prefix([':', '：'])?;
    Some(rest.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag() -> SubjectTag {
        SubjectTag::new("[#{number}]").expect("a valid format")
    }

    #[test]
    fn formats_need_one_placeholder_and_some_text() {
        assert_eq!(SubjectTag::new("[#]"), Err(TagError::Placeholder));
        assert_eq!(SubjectTag::new("[{number}-{number}]"), Err(TagError::Placeholder));
        assert_eq!(SubjectTag::new(" {number} "), Err(TagError::NoLiteral));
        assert!(SubjectTag::new("Ticket {number}:").is_ok());
    }

    #[test]
    fn renders_the_number() {
        assert_eq!(tag().render("000042"), "[#000042]");
        let custom = SubjectTag::new("[Solicitud nº {number}]").expect("valid");
        assert_eq!(custom.render("A-7"), "[Solicitud nº A-7]");
    }

    #[test]
    fn finds_the_first_tag() {
        let tag = tag();
        assert_eq!(tag.find("RE: [#000042] Impresora sin tóner").as_deref(), Some("000042"));
        assert_eq!(tag.find("[#N1-2025_07] y [#000043]").as_deref(), Some("N1-2025_07"));
        assert_eq!(tag.find("Sin etiqueta [#] [# 12] [#12"), None);
        let too_long = format!("[#{}]", "1".repeat(33));
        assert_eq!(tag.find(&too_long), None);
        assert_eq!(tag.find(&format!("[#{}]", "1".repeat(32))).map(|n| n.len()), Some(32));
    }

    #[test]
    fn literal_parts_match_without_case() {
        let tag = SubjectTag::new("[Ticket#{number}]").expect("valid");
        assert_eq!(tag.find("Fw: [TICKET#000042] Correo").as_deref(), Some("000042"));
        let spanish = SubjectTag::new("[Solicitud Nº{number}]").expect("valid");
        assert_eq!(spanish.find("RV: [solicitud nº77] VPN").as_deref(), Some("77"));
    }

    #[test]
    fn suffix_starting_with_a_number_character() {
        let tag = SubjectTag::new("#{number}-mesa").expect("valid");
        assert_eq!(tag.find("Re: #000042-mesa ayuda").as_deref(), Some("000042"));
        let open_ended = SubjectTag::new("Ticket #{number}").expect("valid");
        assert_eq!(open_ended.find("Re: Ticket #000042 contraseña").as_deref(), Some("000042"));
    }

    #[test]
    fn strip_for_display() {
        let tag = tag();
        assert_eq!(tag.strip("RE: RV: [#000042] Impresora sin tóner"), "Impresora sin tóner");
        assert_eq!(tag.strip("Re[2]: AW: SV: Fwd: FW: Correo lleno"), "Correo lleno");
        assert_eq!(tag.strip("[#000042] RE: Contraseña  caducada [#000042]"), "Contraseña caducada");
        assert_eq!(tag.strip("Reunión: VPN"), "Reunión: VPN");
        assert_eq!(tag.strip("Recordatorio"), "Recordatorio");
        assert_eq!(tag.strip(""), "");
    }
}
