//! What an administrator names about priorities and ticket types: each priority's name per
//! language and its colour, and each ticket type's names and whether it is still offered.
//! The priorities (1-5) and the types themselves are fixed by the core (`Priority`,
//! `TicketType`); only how the desk calls and shows them is data.

use crate::error::{DomainError, Reason};
use crate::priority::Priority;
use crate::ticket::TicketType;
use crate::values::bounded_text;

/// Longest name of a priority, a ticket type, an SLA plan, a calendar or a holiday.
pub const MAX_LABEL: usize = 60;

/// Why a colour was refused (English; pages say it in the user's language).
pub const WHY_COLOUR: &str = "must be a colour as #rrggbb";

/// A colour as `#rrggbb` (stored lowercase).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Colour(String);

impl Colour {
    pub fn parse(field: &'static str, raw: &str) -> Result<Colour, DomainError> {
        let s = raw.trim();
        let ok = s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if ok { Ok(Colour(s.to_ascii_lowercase())) } else { Err(DomainError::invalid(field, Reason::Other(WHY_COLOUR.into()))) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Colour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A required label of at most `MAX_LABEL` characters.
pub fn label(field: &'static str, raw: &str) -> Result<String, DomainError> {
    bounded_text(field, raw, MAX_LABEL)
}

/// A priority as the desk names and shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityLevel {
    pub priority: Priority,
    pub name_es: String,
    pub name_en: String,
    pub colour: Colour,
}

impl PriorityLevel {
    /// The name in `lang` ("en", else Spanish).
    pub fn name(&self, lang: &str) -> &str {
        if lang == "en" { &self.name_en } else { &self.name_es }
    }

    /// The names and colours a new desk starts with.
    pub fn defaults() -> Vec<PriorityLevel> {
        let d = [
            ("Muy baja", "Very low", "#6b7280"),
            ("Baja", "Low", "#2563eb"),
            ("Media", "Medium", "#ca8a04"),
            ("Alta", "High", "#ea580c"),
            ("Muy alta", "Very high", "#dc2626"),
        ];
        Priority::ALL
            .into_iter()
            .zip(d)
            .map(|(priority, (es, en, c))| PriorityLevel { priority, name_es: es.into(), name_en: en.into(), colour: Colour(c.into()) })
            .collect()
    }
}

/// A priority's names and colour as typed; `validate` checks every one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriorityLevelInput {
    pub name_es: String,
    pub name_en: String,
    pub colour: String,
}

/// Checks the five priorities' names and colours (`inputs[0]` is priority 1). Field names say
/// which priority was refused: `name_es_3`, `colour_5`.
pub fn validate_levels(inputs: &[PriorityLevelInput]) -> Result<Vec<PriorityLevel>, DomainError> {
    if inputs.len() != Priority::ALL.len() {
        return Err(DomainError::invalid("priorities", "must name the 5 priorities"));
    }
    const ES: [&str; 5] = ["name_es_1", "name_es_2", "name_es_3", "name_es_4", "name_es_5"];
    const EN: [&str; 5] = ["name_en_1", "name_en_2", "name_en_3", "name_en_4", "name_en_5"];
    const COLOUR: [&str; 5] = ["colour_1", "colour_2", "colour_3", "colour_4", "colour_5"];
    Priority::ALL
        .into_iter()
        .zip(inputs)
        .enumerate()
        .map(|(i, (priority, input))| {
            Ok(PriorityLevel {
                priority,
                name_es: label(ES[i], &input.name_es)?,
                name_en: label(EN[i], &input.name_en)?,
                colour: Colour::parse(COLOUR[i], &input.colour)?,
            })
        })
        .collect()
}

/// A ticket type as the desk names it, and whether it is still offered for new tickets
/// (a type is never deleted: tickets keep theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTypeDef {
    pub kind: TicketType,
    pub name_es: String,
    pub name_en: String,
    pub active: bool,
}

impl TicketTypeDef {
    pub fn name(&self, lang: &str) -> &str {
        if lang == "en" { &self.name_en } else { &self.name_es }
    }

    pub fn defaults() -> Vec<TicketTypeDef> {
        let names = [
            ("Incidente", "Incident"),
            ("Solicitud de servicio", "Service request"),
            ("Problema", "Problem"),
            ("Incidente mayor", "Major incident"),
        ];
        TicketType::ALL
            .iter()
            .zip(names)
            .map(|(kind, (es, en))| TicketTypeDef { kind: *kind, name_es: es.into(), name_en: en.into(), active: true })
            .collect()
    }

    /// New names and state for this type, checked. At least one type must stay offered.
    pub fn validate(
        kind: TicketType,
        name_es: &str,
        name_en: &str,
        active: bool,
        all: &[TicketTypeDef],
    ) -> Result<TicketTypeDef, DomainError> {
        let def = TicketTypeDef { kind, name_es: label("name_es", name_es)?, name_en: label("name_en", name_en)?, active };
        if !active && !all.iter().any(|t| t.kind != kind && t.active) {
            return Err(DomainError::invalid("active", Reason::Other(WHY_LAST_TYPE.into())));
        }
        Ok(def)
    }
}

pub const WHY_LAST_TYPE: &str = "at least one ticket type must stay offered";

/// A key for a new status from its Spanish name when none is typed: lowercase ASCII letters,
/// digits and `_` ("En espera de proveedor" -> `en_espera_de_proveedor`).
pub fn status_key_from_name(name: &str) -> String {
    let mut key = String::new();
    for ch in name.trim().chars() {
        let c = match ch {
            'á' | 'à' | 'ä' | 'â' | 'Á' | 'À' | 'Ä' | 'Â' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' | 'Ò' | 'Ö' | 'Ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'u',
            'ñ' | 'Ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '_',
        };
        if c == '_' && (key.is_empty() || key.ends_with('_')) {
            continue;
        }
        key.push(c);
    }
    let key = key.trim_end_matches('_');
    let key: String = key.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_').chars().take(40).collect();
    key.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_hex() {
        assert_eq!(Colour::parse("c", " #DC2626 ").map(|c| c.to_string()), Ok("#dc2626".to_string()));
        for bad in ["rojo", "#dc262", "dc2626", "#dc26zz", "#dc26261", ""] {
            assert!(Colour::parse("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn levels_need_names_in_both_languages_and_colours() {
        let ok: Vec<PriorityLevelInput> = PriorityLevel::defaults()
            .into_iter()
            .map(|l| PriorityLevelInput { name_es: l.name_es, name_en: l.name_en, colour: l.colour.to_string() })
            .collect();
        assert_eq!(validate_levels(&ok).map(|v| v.len()), Ok(5));
        let mut bad = ok.clone();
        bad[2].name_en = " ".into();
        assert_eq!(validate_levels(&bad), Err(DomainError::invalid("name_en_3", Reason::Required)));
        let mut bad = ok.clone();
        bad[4].colour = "rojo".into();
        assert!(matches!(validate_levels(&bad), Err(DomainError::Invalid { field: "colour_5", .. })));
        assert!(validate_levels(&ok[..4]).is_err());
    }

    #[test]
    fn one_type_stays_offered() {
        let mut all = TicketTypeDef::defaults();
        assert!(TicketTypeDef::validate(TicketType::Problem, "Problema", "Problem", false, &all).is_ok());
        for t in all.iter_mut().filter(|t| t.kind != TicketType::Incident) {
            t.active = false;
        }
        assert!(TicketTypeDef::validate(TicketType::Incident, "Incidente", "Incident", false, &all).is_err());
        assert!(TicketTypeDef::validate(TicketType::Incident, "", "Incident", true, &all).is_err());
    }

    #[test]
    fn status_keys_from_spanish_names() {
        assert_eq!(status_key_from_name("En espera de proveedor"), "en_espera_de_proveedor");
        assert_eq!(status_key_from_name("  Revisión técnica (N2) "), "revision_tecnica_n2");
        assert_eq!(status_key_from_name("3 días"), "dias");
        assert_eq!(status_key_from_name("¿?"), "");
    }
}
