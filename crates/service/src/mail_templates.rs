//! E-mail templates: a sandboxed engine that renders them, the check made when one is saved,
//! and the administration of the stored ones (audited).
//!
//! The sandbox: a minijinja environment with no loader (no `include`, `import` or `extends`
//! can reach a file), no globals but the builtins, only the variables of the template's kind
//! (an unknown one is an error, not an empty string), fuel that stops long loops, and a bound
//! on what a part may write. The HTML part escapes every value and is then cleaned by ammonia:
//! no script, style or event handler reaches a mail.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::template::{
    Language, MAX_RENDERED_SUBJECT, TemplateError, TemplateKind, TemplatePart, TemplateProblem, TemplateSource, VarValue, Vars,
};
use tikal_store::Store;

use crate::admin::json;
use crate::{Desk, Principal, Result};

/// Work a template may do before it is stopped (minijinja's fuel): far more than any mail
/// needs, far less than a loop that would hold the worker.
pub const TEMPLATE_FUEL: u64 = 50_000;
/// Most bytes one part of a mail may render to.
pub const MAX_RENDERED_PART: usize = 200_000;

/// A mail made from a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    /// Cleaned HTML, when the template has an HTML part.
    pub html: Option<String>,
}

/// The variables as the template sees them: `ticket.number` is `number` of the map `ticket`.
fn context(vars: &Vars) -> serde_json::Value {
    let mut root = serde_json::Map::new();
    for (name, value) in &vars.0 {
        let value = match value {
            VarValue::Text(s) => serde_json::Value::from(s.as_str()),
            VarValue::Number(n) => serde_json::Value::from(*n),
        };
        let mut parts: Vec<&str> = name.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut map = &mut root;
        for p in parts {
            let entry = map.entry(p.to_string()).or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if !entry.is_object() {
                *entry = serde_json::Value::Object(serde_json::Map::new());
            }
            match entry {
                serde_json::Value::Object(m) => map = m,
                _ => return serde_json::Value::Object(root),
            }
        }
        map.insert(last.to_string(), value);
    }
    serde_json::Value::Object(root)
}

fn engine<'s>() -> minijinja::Environment<'s> {
    let mut env = minijinja::Environment::new();
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| if name == "html_body" { minijinja::AutoEscape::Html } else { minijinja::AutoEscape::None });
    env
}

/// A writer that refuses to grow past `MAX_RENDERED_PART`.
struct Bounded(Vec<u8>);

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_RENDERED_PART {
            return Err(std::io::Error::other("too long"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The first name on `line` of `source`, inside a tag, that is not a variable of `kind` (nor
/// the start of one, a word of the template language, a filter or a name the template set).
fn unknown_name(kind: TemplateKind, source: &str, line: Option<usize>) -> Option<String> {
    const WORDS: &[&str] = &[
        "for",
        "in",
        "if",
        "elif",
        "else",
        "endif",
        "endfor",
        "and",
        "or",
        "not",
        "is",
        "true",
        "false",
        "none",
        "loop",
        "set",
        "endset",
        "range",
        "dict",
        "namespace",
        "with",
        "endwith",
        "defined",
        "undefined",
    ];
    let text = source.lines().nth(line?.checked_sub(1)?)?;
    let known = |w: &str| {
        let root = w.split('.').next().unwrap_or(w);
        WORDS.contains(&w.to_ascii_lowercase().as_str())
            || kind.variables().iter().any(|v| v.name == w || v.name.starts_with(&format!("{w}.")))
            || source.contains(&format!("set {root} ="))
            || source.contains(&format!("for {root} in"))
            || source.contains(&format!("for {root},"))
    };
    let mut rest = text;
    while let Some(open) = rest.find("{{").or_else(|| rest.find("{%")) {
        let inner = &rest[open + 2..];
        let close = inner.find("}}").or_else(|| inner.find("%}")).unwrap_or(inner.len());
        let tag = &inner[..close];
        rest = &inner[close..];
        // Names outside string literals; a name after `|` is a filter, after `is` a test.
        let mut quote: Option<char> = None;
        let mut word = String::new();
        let mut skip_next = false;
        for c in tag.chars().chain(std::iter::once(' ')) {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                continue;
            }
            if c.is_alphanumeric() || c == '_' || (c == '.' && !word.is_empty()) {
                word.push(c);
                continue;
            }
            let w = std::mem::take(&mut word);
            let w = w.trim_end_matches('.');
            if !w.is_empty() && !w.starts_with(|ch: char| ch.is_ascii_digit()) {
                if !skip_next && !known(w) {
                    return Some(w.to_string());
                }
                skip_next = w == "is";
            }
            match c {
                '"' | '\'' => quote = Some(c),
                '|' => skip_next = true,
                c if !c.is_whitespace() => skip_next = false,
                _ => {}
            }
        }
    }
    None
}

fn problem_of(kind: TemplateKind, e: &minijinja::Error, source: &str) -> TemplateProblem {
    use minijinja::ErrorKind as K;
    let detail = e.detail().map(str::to_string).unwrap_or_else(|| e.kind().to_string());
    match e.kind() {
        K::SyntaxError | K::UnknownFilter | K::UnknownTest | K::UnknownFunction | K::TemplateNotFound | K::BadEscape => {
            TemplateProblem::Syntax(detail)
        }
        K::UndefinedError => TemplateProblem::UnknownVariable(unknown_name(kind, source, e.line()).unwrap_or_else(|| "?".into())),
        K::OutOfFuel => TemplateProblem::OutOfFuel,
        K::WriteFailure => TemplateProblem::OutputTooLong,
        _ => TemplateProblem::Render(detail),
    }
}

fn render_part(kind: TemplateKind, part: TemplatePart, source: &str, ctx: &serde_json::Value) -> Result<String, TemplateError> {
    let env = engine();
    let fail = |e: minijinja::Error| TemplateError { part, line: e.line(), problem: problem_of(kind, &e, source) };
    let template = env.template_from_named_str(part.field(), source).map_err(fail)?;
    let mut out = Bounded(Vec::new());
    template.render_captured_to(ctx, &mut out).map_err(fail)?;
    Ok(String::from_utf8_lossy(&out.0).into_owned())
}

/// Cleans a rendered HTML part: formatting, links and images stay; scripts, styles, forms,
/// frames and event handlers go.
pub fn clean_html(html: &str) -> String {
    ammonia::Builder::default().link_rel(Some("noopener noreferrer")).clean(html).to_string()
}

/// Renders `source` as a mail of `kind` with `vars` (only the kind's variables are given; the
/// others of its list are empty).
pub fn render_source(kind: TemplateKind, source: &TemplateSource, vars: &Vars) -> Result<RenderedMail, TemplateError> {
    let ctx = context(&vars.for_kind(kind));
    let subject = render_part(kind, TemplatePart::Subject, &source.subject, &ctx)?;
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() {
        return Err(TemplateError { part: TemplatePart::Subject, line: None, problem: TemplateProblem::Empty });
    }
    if subject.chars().count() > MAX_RENDERED_SUBJECT {
        return Err(TemplateError { part: TemplatePart::Subject, line: None, problem: TemplateProblem::OutputTooLong });
    }
    let text = render_part(kind, TemplatePart::Text, &source.text_body, &ctx)?;
    let html = match &source.html_body {
        Some(h) => Some(clean_html(&render_part(kind, TemplatePart::Html, h, &ctx)?)),
        None => None,
    };
    Ok(RenderedMail { subject, text, html })
}

/// The check made when a template is saved: its sizes, then it must compile and render with
/// the sample values of its kind (an unknown variable, a syntax error or a loop that runs out
/// of fuel is refused, with the part and line).
pub fn check(kind: TemplateKind, lang: Language, source: TemplateSource) -> Result<TemplateSource, TemplateError> {
    let source = source.validate()?;
    render_source(kind, &source, &kind.sample(lang))?;
    Ok(source)
}

/// Renders the mail of `kind` in `lang` with the stored template, else the default. A stored
/// template that fails (it was valid when saved; the engine may have changed) is logged and
/// the default is used: the mail still goes.
pub fn render_with(
    kind: TemplateKind,
    lang: Language,
    stored: Option<&TemplateSource>,
    vars: &Vars,
) -> Result<RenderedMail, TemplateError> {
    if let Some(s) = stored {
        match render_source(kind, s, vars) {
            Ok(m) => return Ok(m),
            Err(e) => tracing::error!(template = %kind, lang = %lang, error = %e, "stored mail template failed; the default is used"),
        }
    }
    render_source(kind, &kind.default_source(lang), vars)
}

/// Renders the mail of `kind` in `lang` with what the store holds (see `render_with`).
pub async fn render_mail(store: &Store, kind: TemplateKind, lang: Language, vars: &Vars) -> Result<RenderedMail> {
    let stored = store.mail_template(kind, lang).await?;
    Ok(render_with(kind, lang, stored.as_ref().map(|t| &t.source), vars)?)
}

impl From<TemplateError> for crate::ServiceError {
    fn from(e: TemplateError) -> Self {
        crate::ServiceError::Domain(e.into())
    }
}

/// A template as the administration shows it: what is in effect, the default beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTemplate {
    pub kind: TemplateKind,
    pub language: Language,
    /// The template in effect: the stored one, else the default.
    pub source: TemplateSource,
    pub default: TemplateSource,
    /// When an administrator last saved it (`None`: the default is in effect).
    pub updated_at: Option<DateTime<Utc>>,
}

impl MailTemplate {
    pub fn customised(&self) -> bool {
        self.updated_at.is_some()
    }
}

/// A template as the audit log records it.
#[derive(Serialize)]
struct TemplateDoc<'a> {
    subject: &'a str,
    text_body: &'a str,
    html_body: Option<&'a str>,
    customised: bool,
}

fn template_doc(s: &TemplateSource, customised: bool) -> Option<String> {
    json(&TemplateDoc { subject: &s.subject, text_body: &s.text_body, html_body: s.html_body.as_deref(), customised })
}

fn entity_id(kind: TemplateKind, lang: Language) -> String {
    format!("{kind}/{lang}")
}

impl Desk {
    /// Every kind in every language, stored or default (administrators only).
    pub async fn mail_templates(&self, by: &Principal) -> Result<Vec<MailTemplate>> {
        Self::admin_actor(by)?;
        let stored = self.store.mail_templates().await?;
        let mut out = Vec::new();
        for kind in TemplateKind::ALL {
            for lang in Language::ALL {
                let s = stored.iter().find(|t| t.kind == *kind && t.language == *lang);
                let default = kind.default_source(*lang);
                out.push(MailTemplate {
                    kind: *kind,
                    language: *lang,
                    source: s.map_or_else(|| default.clone(), |t| t.source.clone()),
                    default,
                    updated_at: s.map(|t| t.updated_at),
                });
            }
        }
        Ok(out)
    }

    /// One template, stored or default (administrators only).
    pub async fn mail_template(&self, by: &Principal, kind: TemplateKind, lang: Language) -> Result<MailTemplate> {
        Self::admin_actor(by)?;
        let stored = self.store.mail_template(kind, lang).await?;
        let default = kind.default_source(lang);
        Ok(MailTemplate {
            kind,
            language: lang,
            source: stored.as_ref().map_or_else(|| default.clone(), |t| t.source.clone()),
            default,
            updated_at: stored.map(|t| t.updated_at),
        })
    }

    /// Saves a template after checking it (see `check`); the audit log keeps before and after.
    pub async fn save_mail_template(
        &self,
        by: &Principal,
        kind: TemplateKind,
        lang: Language,
        source: TemplateSource,
    ) -> Result<MailTemplate> {
        Self::admin_actor(by)?;
        let source = check(kind, lang, source)?;
        let before = self.mail_template(by, kind, lang).await?;
        let audit = Self::audit_entry(
            by,
            if before.customised() { AuditAction::Update } else { AuditAction::Create },
            AdminEntity::Template,
            entity_id(kind, lang),
            format!("{kind} ({lang})"),
            template_doc(&before.source, before.customised()),
            template_doc(&source, true),
        )?;
        self.store.save_mail_template(kind, lang, source, audit).await?;
        self.mail_template(by, kind, lang).await
    }

    /// Goes back to the shipped template (deletes the stored one). Nothing is written when the
    /// default is already in effect.
    pub async fn restore_mail_template(&self, by: &Principal, kind: TemplateKind, lang: Language) -> Result<MailTemplate> {
        Self::admin_actor(by)?;
        let before = self.mail_template(by, kind, lang).await?;
        if before.customised() {
            let audit = Self::audit_entry(
                by,
                AuditAction::Delete,
                AdminEntity::Template,
                entity_id(kind, lang),
                format!("{kind} ({lang})"),
                template_doc(&before.source, true),
                template_doc(&before.default, false),
            )?;
            self.store.delete_mail_template(kind, lang, audit).await?;
        }
        self.mail_template(by, kind, lang).await
    }

    /// Renders a template as typed (not saved) with the sample ticket, after the same check as
    /// saving (administrators only).
    pub fn preview_mail_template(
        &self,
        by: &Principal,
        kind: TemplateKind,
        lang: Language,
        source: TemplateSource,
    ) -> Result<RenderedMail> {
        Self::admin_actor(by)?;
        let source = check(kind, lang, source)?;
        Ok(render_source(kind, &source, &kind.sample(lang))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(subject: &str, text: &str, html: Option<&str>) -> TemplateSource {
        TemplateSource { subject: subject.into(), text_body: text.into(), html_body: html.map(str::to_string) }
    }

    #[test]
    fn every_default_renders_with_its_sample_in_both_languages() {
        for kind in TemplateKind::ALL {
            for lang in Language::ALL {
                let sample = kind.sample(*lang);
                let m = render_source(*kind, &kind.default_source(*lang), &sample).unwrap_or_else(|e| panic!("{kind} {lang}: {e}"));
                assert!(!m.subject.is_empty() && !m.subject.contains("{{"), "{kind} {lang}: {}", m.subject);
                assert!(!m.text.contains("{{") && !m.text.contains("}}"), "{kind} {lang}: {}", m.text);
                for (name, value) in &sample.0 {
                    if let VarValue::Text(v) = value
                        && kind.default_source(*lang).text_body.contains(&format!("{{{{ {name} }}}}"))
                    {
                        assert!(m.text.contains(v.as_str()), "{kind} {lang}: {name}");
                    }
                }
                assert!(check(*kind, *lang, kind.default_source(*lang)).is_ok());
            }
        }
        let m = render_source(
            TemplateKind::PasswordReset,
            &TemplateKind::PasswordReset.default_source(Language::Es),
            &TemplateKind::PasswordReset.sample(Language::Es),
        )
        .expect("renders");
        assert_eq!(m.subject, "Recuperar su contraseña");
        assert!(m.text.contains("durante 24 horas") && m.text.contains("https://mesa.example.gob/password/reset/3f9a1c"), "{}", m.text);
    }

    #[test]
    fn unknown_variables_are_refused_with_their_name_and_line() {
        let kind = TemplateKind::PasswordReset;
        let e = check(kind, Language::Es, src("Hola", "Línea uno\n{{ ticket.subject }}", None)).expect_err("not a variable of a reset");
        assert_eq!((e.part, e.line), (TemplatePart::Text, Some(2)));
        assert_eq!(e.problem, TemplateProblem::UnknownVariable("ticket.subject".into()));
        let e = check(TemplateKind::Resolution, Language::En, src("{{ ticket.nope }}", "x", None)).expect_err("unknown field");
        assert_eq!(e.part, TemplatePart::Subject);
        assert_eq!(e.problem, TemplateProblem::UnknownVariable("ticket.nope".into()));
        // Variables of the kind are all there, even those the sample leaves empty.
        assert!(
            check(TemplateKind::Resolution, Language::Es, src("{{ ticket.number }}", "{{ confirm_url }} {{ not_solved_url }}", None))
                .is_ok()
        );
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = check(TemplateKind::AgentReply, Language::Es, src("Hola", "uno\ndos\n{% if agent.name %}sin cerrar", None))
            .expect_err("syntax");
        assert_eq!(e.part, TemplatePart::Text);
        assert!(matches!(e.problem, TemplateProblem::Syntax(_)), "{e:?}");
        assert!(e.line.is_some());
        let e = check(TemplateKind::AgentReply, Language::Es, src("Hola", "{{ agent.name | no_such_filter }}", None)).expect_err("filter");
        assert!(matches!(e.problem, TemplateProblem::Syntax(_)), "{e:?}");
        // No loader: a template cannot read another file.
        let e = check(TemplateKind::AgentReply, Language::Es, src("Hola", "{% include '/etc/passwd' %}", None)).expect_err("include");
        assert!(matches!(e.problem, TemplateProblem::Syntax(_) | TemplateProblem::Render(_)), "{e:?}");
    }

    #[test]
    fn the_sandbox_stops_runaway_templates() {
        let kind = TemplateKind::AgentReply;
        let e = check(kind, Language::Es, src("Hola", "{{ range(999999999) }}", None)).expect_err("huge range");
        assert!(matches!(e.problem, TemplateProblem::Render(_) | TemplateProblem::OutOfFuel), "{e:?}");
        let nested = "{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}";
        let e = check(kind, Language::Es, src("Hola", nested, None)).expect_err("deep loops");
        assert_eq!(e.problem, TemplateProblem::OutOfFuel);
        let big = "{% for a in range(50) %}{{ 'x' * 10000 }}{% endfor %}";
        let e = check(kind, Language::Es, src("Hola", big, None)).expect_err("too much output");
        assert_eq!(e.problem, TemplateProblem::OutputTooLong);
        let e = check(kind, Language::Es, src("{{ 'x' * 300 }}", "x", None)).expect_err("subject too long");
        assert_eq!((e.part, e.problem), (TemplatePart::Subject, TemplateProblem::OutputTooLong));
    }

    #[test]
    fn html_escapes_values_and_drops_scripts() {
        let kind = TemplateKind::AgentReply;
        let html = "<p onclick=\"steal()\">{{ message.text }}</p><script>alert(1)</script><a href=\"{{ ticket.url }}\">ver</a>";
        let vars = Vars::new().text("message.text", "<img src=x onerror=alert(2)>").text("ticket.url", "https://mesa/t/1");
        let m = render_source(kind, &src("Hola", "t", Some(html)), &vars).expect("renders");
        let h = m.html.expect("html");
        assert!(!h.contains("<script") && !h.contains("onclick") && !h.contains("<img"), "{h}");
        assert!(h.contains("&lt;img") && h.contains("href=\"https://mesa/t/1\""), "{h}");
        // The text part is not escaped: it is plain text.
        let m = render_source(kind, &src("{{ message.text }}", "{{ message.text }}", None), &vars).expect("renders");
        assert_eq!(m.text, "<img src=x onerror=alert(2)>");
        assert!(m.html.is_none());
    }

    #[test]
    fn a_broken_stored_template_falls_back_to_the_default() {
        let kind = TemplateKind::AccountExists;
        let broken = src("{{ link }}", "{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}", None);
        let vars = Vars::new().text("link", "https://mesa/password/forgot");
        let m = render_with(kind, Language::En, Some(&broken), &vars).expect("default");
        assert_eq!(m.subject, "You already have an account");
    }
}
