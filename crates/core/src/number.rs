//! Human ticket numbers. A number is made from a global, never-reused sequence value (allocated
//! by the store, so unique across nodes) and a configurable format.

use crate::error::DomainError;

/// A ticket number as people read it: 1-32 characters of letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct TicketNumber(String);

impl TicketNumber {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() || s.len() > 32 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(DomainError::invalid("number", "is not a ticket number"));
        }
        Ok(TicketNumber(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Seq { width: usize },
    Year,
}

/// A number format such as `{seq:6}` (the default: `000042`) or `TK-{year}-{seq:5}`.
/// It must contain `{seq}` exactly once: the sequence is what makes numbers unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    parts: Vec<Part>,
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat { parts: vec![Part::Seq { width: 6 }] }
    }
}

impl NumberFormat {
    pub fn parse(pattern: &str) -> Result<Self, DomainError> {
        let bad = |why: &str| DomainError::invalid("ticket_number_format", why);
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = pattern;
        while let Some(c) = rest.chars().next() {
            if c == '{' {
                let end = rest.find('}').ok_or_else(|| bad("has an unclosed `{`"))?;
                let token = &rest[1..end];
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(match token.split_once(':') {
                    None if token == "seq" => Part::Seq { width: 1 },
                    None if token == "year" => Part::Year,
                    Some(("seq", w)) => {
                        let width: usize = w.parse().map_err(|_| bad("has a bad {seq:N} width"))?;
                        if !(1..=12).contains(&width) {
                            return Err(bad("{seq:N} width must be 1-12"));
                        }
                        Part::Seq { width }
                    }
                    _ => return Err(bad("knows only {seq}, {seq:N} and {year}")),
                });
                rest = &rest[end + 1..];
            } else {
                if !(c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(bad("may contain only letters, digits, - and _ besides placeholders"));
                }
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        if parts.iter().filter(|p| matches!(p, Part::Seq { .. })).count() != 1 {
            return Err(bad("must contain {seq} exactly once"));
        }
        let longest = parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Seq { width } => (*width).max(12),
                Part::Year => 4,
            })
            .sum::<usize>();
        if longest > 32 {
            return Err(bad("makes numbers longer than 32 characters"));
        }
        Ok(NumberFormat { parts })
    }

    /// The pattern this format was parsed from (`NumberFormat::parse(&f.pattern()) == Ok(f)`).
    pub fn pattern(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.clone(),
                Part::Seq { width: 1 } => "{seq}".to_string(),
                Part::Seq { width } => format!("{{seq:{width}}}"),
                Part::Year => "{year}".to_string(),
            })
            .collect()
    }

    pub fn format(&self, seq: u64, year: i32) -> TicketNumber {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(s) => out.push_str(s),
                Part::Seq { width } => out.push_str(&format!("{seq:0width$}")),
                Part::Year => out.push_str(&format!("{year:04}")),
            }
        }
        TicketNumber(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_zero_padded_sequence() {
        assert_eq!(NumberFormat::default().format(42, 2026).as_str(), "000042");
        assert_eq!(NumberFormat::default().format(1_234_567, 2026).as_str(), "1234567");
    }

    #[test]
    fn custom_format() {
        let f = NumberFormat::parse("TK-{year}-{seq:5}").expect("valid");
        assert_eq!(f.format(7, 2026).as_str(), "TK-2026-00007");
        assert_eq!(NumberFormat::parse("{seq}").expect("valid").format(9, 2026).as_str(), "9");
        for p in ["TK-{year}-{seq:5}", "{seq}", "{seq:6}", "A{seq}B"] {
            assert_eq!(NumberFormat::parse(p).expect("valid").pattern(), p);
        }
        assert_eq!(NumberFormat::default().pattern(), "{seq:6}");
    }

    #[test]
    fn bad_formats() {
        for bad in ["", "TK", "{seq}{seq}", "{seq:0}", "{seq:x}", "{foo}", "{seq", "a b{seq}", &format!("{}{{seq}}", "A".repeat(30))] {
            assert!(NumberFormat::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn number_parse() {
        assert!(TicketNumber::parse("000123").is_ok());
        assert!(TicketNumber::parse("TK-2026-1").is_ok());
        assert!(TicketNumber::parse("../etc").is_err());
        assert!(TicketNumber::parse("").is_err());
        assert!(TicketNumber::parse(&"1".repeat(33)).is_err());
    }
}
