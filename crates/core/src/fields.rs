//! Custom fields: definitions (by administrators, per help topic form) and validated values.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::error::{DomainError, Reason};
use crate::string_enum;

string_enum! {
    pub enum FieldKind {
        Text => "text",
        LongText => "long_text",
        Number => "number",
        Select => "select",
        MultiSelect => "multi_select",
        Checkbox => "checkbox",
        Date => "date",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// Stable key used in the API and in stored values (`[a-z0-9_]`, 1-64 characters).
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub options: Vec<String>,
    pub required: bool,
}

/// A stored value. Serialised untagged, so the API and the database see plain JSON values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<String>),
}

pub type FieldValues = BTreeMap<String, FieldValue>;

/// An input value as it arrived (JSON or a form), before it is checked against its definition.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldInput {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<String>),
}

pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl FieldDef {
    /// Checks one input against this definition; `Ok(None)` is an empty optional field.
    pub fn parse(&self, input: FieldInput) -> Result<Option<FieldValue>, DomainError> {
        let bad = |reason: Reason| DomainError::InvalidCustomField { key: self.key.clone(), reason };
        // A NUL cannot be stored (PostgreSQL refuses it in text) and means nothing in a form.
        let nul = match &input {
            FieldInput::Text(s) => s.contains('\0'),
            FieldInput::List(l) => l.iter().any(|s| s.contains('\0')),
            _ => false,
        };
        if nul {
            return Err(bad(Reason::ControlCharacters));
        }
        let empty = match &input {
            FieldInput::Null => true,
            FieldInput::Text(s) => s.trim().is_empty(),
            FieldInput::List(l) => l.is_empty(),
            _ => false,
        };
        if empty {
            return if self.required && self.kind != FieldKind::Checkbox { Err(bad(Reason::Required)) } else { Ok(None) };
        }
        let value = match (self.kind, input) {
            (FieldKind::Text, FieldInput::Text(s)) if s.chars().count() <= 255 && !s.contains('\n') => {
                FieldValue::Text(s.trim().to_string())
            }
            (FieldKind::Text, FieldInput::Text(_)) => return Err(bad(Reason::NotOneLine)),
            (FieldKind::LongText, FieldInput::Text(s)) if s.len() <= 16_384 => FieldValue::Text(s.trim().to_string()),
            (FieldKind::LongText, FieldInput::Text(_)) => return Err(bad(Reason::TooLong { max: 16_384 })),
            (FieldKind::Number, FieldInput::Number(n)) if n.is_finite() => FieldValue::Number(n),
            (FieldKind::Number, FieldInput::Text(s)) => match s.trim().replace(',', ".").parse::<f64>() {
                Ok(n) if n.is_finite() => FieldValue::Number(n),
                _ => return Err(bad(Reason::NotANumber)),
            },
            (FieldKind::Select, FieldInput::Text(s)) if self.options.contains(&s) => FieldValue::Text(s),
            (FieldKind::Select, _) => return Err(bad(Reason::NotAnOption)),
            (FieldKind::MultiSelect, FieldInput::Text(s)) if self.options.contains(&s) => FieldValue::List(vec![s]),
            (FieldKind::MultiSelect, FieldInput::List(items)) => {
                if items.iter().any(|x| !self.options.contains(x)) {
                    return Err(bad(Reason::NotAnOption));
                }
                let mut items = items;
                items.dedup();
                FieldValue::List(items)
            }
            (FieldKind::Checkbox, FieldInput::Bool(b)) => FieldValue::Bool(b),
            (FieldKind::Checkbox, FieldInput::Text(s)) if matches!(s.as_str(), "on" | "true" | "1") => FieldValue::Bool(true),
            (FieldKind::Date, FieldInput::Text(s)) => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
                Ok(d) => FieldValue::Text(d.format("%Y-%m-%d").to_string()),
                Err(_) => return Err(bad(Reason::NotADate)),
            },
            (_, _) => return Err(bad(Reason::WrongType)),
        };
        if self.required && value == FieldValue::Bool(false) {
            return Err(bad(Reason::MustBeChecked));
        }
        Ok(Some(value))
    }
}

/// Validates a whole set of inputs against the definitions that apply: unknown keys and missing
/// required fields are errors.
pub fn validate(defs: &[FieldDef], inputs: BTreeMap<String, FieldInput>) -> Result<FieldValues, DomainError> {
    let mut out = FieldValues::new();
    if let Some(unknown) = inputs.keys().find(|k| !defs.iter().any(|d| &d.key == *k)) {
        return Err(DomainError::InvalidCustomField {
            key: unknown.chars().take(64).collect(),
            reason: Reason::Other("is not a field of this form".into()),
        });
    }
    let mut inputs = inputs;
    for def in defs {
        let input = inputs.remove(&def.key).unwrap_or(FieldInput::Null);
        if let Some(v) = def.parse(input)? {
            out.insert(def.key.clone(), v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(key: &str, kind: FieldKind, required: bool) -> FieldDef {
        FieldDef { key: key.into(), label: key.into(), kind, options: vec!["Piso 1".into(), "Piso 2".into()], required }
    }

    #[test]
    fn kinds_accept_their_values() {
        assert_eq!(def("a", FieldKind::Number, false).parse(FieldInput::Text("3,5".into())).expect("ok"), Some(FieldValue::Number(3.5)));
        assert_eq!(
            def("a", FieldKind::Date, false).parse(FieldInput::Text("2026-11-24".into())).expect("ok"),
            Some(FieldValue::Text("2026-11-24".into()))
        );
        assert!(def("a", FieldKind::Date, false).parse(FieldInput::Text("24/11/2026".into())).is_err());
        assert!(def("a", FieldKind::Select, false).parse(FieldInput::Text("Piso 9".into())).is_err());
        assert_eq!(
            def("a", FieldKind::MultiSelect, false).parse(FieldInput::List(vec!["Piso 1".into(), "Piso 2".into()])).expect("ok"),
            Some(FieldValue::List(vec!["Piso 1".into(), "Piso 2".into()]))
        );
        assert!(def("a", FieldKind::Text, false).parse(FieldInput::Text("a\nb".into())).is_err());
        assert!(def("a", FieldKind::LongText, false).parse(FieldInput::Text("a\0b".into())).is_err(), "NUL");
        assert!(def("a", FieldKind::MultiSelect, false).parse(FieldInput::List(vec!["\0".into()])).is_err(), "NUL");
        assert!(def("a", FieldKind::Number, false).parse(FieldInput::Bool(true)).is_err());
        assert_eq!(def("a", FieldKind::Checkbox, false).parse(FieldInput::Text("on".into())).expect("ok"), Some(FieldValue::Bool(true)));
    }

    #[test]
    fn required_unknown_and_missing() {
        let defs = vec![def("inventario", FieldKind::Text, true), def("piso", FieldKind::Select, false)];
        let mut inputs = BTreeMap::new();
        assert!(validate(&defs, inputs.clone()).is_err(), "required missing");
        inputs.insert("inventario".into(), FieldInput::Text("PC-0042".into()));
        let v = validate(&defs, inputs.clone()).expect("valid");
        assert_eq!(v.len(), 1);
        inputs.insert("color".into(), FieldInput::Text("rojo".into()));
        assert!(validate(&defs, inputs).is_err(), "unknown key");
    }

    #[test]
    fn keys() {
        assert!(valid_key("numero_inventario"));
        assert!(!valid_key("Número"));
        assert!(!valid_key(""));
    }
}
