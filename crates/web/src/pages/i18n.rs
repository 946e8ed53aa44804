//! Spanish and English with Fluent. The language is the user's setting, else the browser's
//! `Accept-Language`, else the organisation's default.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use tikal_core::{DomainError, Reason};
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "es",
        // Unicode isolation marks around placeables would show up in form values and titles.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Es,
    En,
}

static ES: LanguageIdentifier = langid!("es");
static EN: LanguageIdentifier = langid!("en");

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().split(['-', '_']).next() {
            Some("es") => Some(Lang::Es),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut options: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let lang = Lang::parse(it.next()?)?;
                let q = it.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        options.sort_by(|a, b| b.0.total_cmp(&a.0));
        options.first().map(|(_, l)| *l)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Es => &ES,
            Lang::En => &EN,
        }
    }

    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    pub fn t_with(self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args.iter().map(|(k, v)| (Cow::Borrowed(*k), v.clone())).collect();
        LOCALES.lookup_with_args(self.id(), key, &map)
    }

    /// A refused value, said in this language: the reason only (the form shows it next to the
    /// field's label).
    pub fn reason(self, reason: &Reason) -> String {
        let key = format!("reason-{}", reason.code());
        match reason {
            Reason::TooLong { max } => self.t_with(&key, &[("max", FluentValue::from(*max))]),
            Reason::TooShort { min } => self.t_with(&key, &[("min", FluentValue::from(*min))]),
            Reason::OutOfRange { min, max } => self.t_with(&key, &[("min", FluentValue::from(*min)), ("max", FluentValue::from(*max))]),
            _ => self.t(&key),
        }
    }

    /// A refusal of the status machine, in this language.
    pub fn domain_error(self, e: &DomainError) -> String {
        self.t(&format!("domain-{}", e.code()))
    }

    /// The form field a domain error belongs to (a custom field's key, or a built-in name) and
    /// the reason in this language.
    pub fn field_error(self, e: &DomainError) -> Option<(String, String)> {
        match e {
            DomainError::Invalid { field, reason } => Some((field.to_string(), self.reason(reason))),
            DomainError::InvalidCustomField { key, reason } => Some((format!("cf_{key}"), self.reason(reason))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,es;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr-FR, es-EC;q=0.7, en;q=0.5"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("en;q=0, es;q=0.1"), Some(Lang::Es));
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        // Every file of each language, so a section's own file is checked too.
        let keys = |lang: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(lang);
            let mut keys = std::collections::BTreeSet::new();
            for entry in std::fs::read_dir(&dir).expect("locales directory") {
                let path = entry.expect("locale file").path();
                let text = std::fs::read_to_string(&path).expect("readable locale file");
                let file = path.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
                for l in text.lines().filter(|l| !l.starts_with(' ') && !l.starts_with('#')) {
                    if let Some((k, _)) = l.split_once(" = ") {
                        assert!(keys.insert(k.trim().to_string()), "{lang}: key `{}` defined twice (again in {file})", k.trim());
                    }
                }
            }
            keys
        };
        let (es, en) = (keys("es"), keys("en"));
        assert_eq!(es.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "keys only in Spanish");
        assert_eq!(en.difference(&es).collect::<Vec<_>>(), Vec::<&String>::new(), "keys only in English");
        assert_eq!(Lang::Es.t("nav-login"), "Iniciar sesión");
        assert_eq!(Lang::En.t("nav-login"), "Sign in");
        assert_eq!(Lang::En.reason(&Reason::TooLong { max: 255 }), "It is too long (at most 255 characters).");
        assert_eq!(
            Lang::Es.t_with("created-lead", &[("number", FluentValue::from("000042"))]),
            "Su ticket fue registrado con el número 000042."
        );
    }
}
