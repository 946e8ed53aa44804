//! Roles, organisations, customised e-mail templates and the settings in the configuration
//! document (the routing rules are in `rest_rules.rs`). Each entry is matched by its name
//! (templates by kind and language), checked like its page checks it, and written through the
//! page's audited use case.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tikal_core::people::{OrganisationInput, RoleInput};
use tikal_core::permission::Permission;
use tikal_core::settings::SiteSettings;
use tikal_core::template::{Language, TemplateKind, TemplateSource};
use tikal_core::{OrganisationId, RoleId};

use super::{DeskDocument, ImportAction, Sync, invalid, key};
use crate::mail_templates::check;
use crate::{Desk, Result};

/// A role: its name and permissions (`ticket.view`, `ticket.note`...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    pub name: String,
    pub permissions: Vec<String>,
}

/// An organisation of requesters and the mail domain that joins them to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationEntry {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// A customised e-mail template (kinds and languages left out keep the shipped one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailTemplateEntry {
    pub kind: String,
    pub language: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// The settings of `/admin/settings` (the logo is not in the document). A key left out keeps
/// its value on the desk it is imported into.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_colour: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_ink: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_number_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopen_window_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_close_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_subject_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoreplies_per_hour: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attachment_mb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attachments: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_domains: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guests_may_open: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_tickets: Option<bool>,
}

impl SettingsEntry {
    /// Every effective value.
    pub fn of(s: &SiteSettings) -> SettingsEntry {
        SettingsEntry {
            organisation_name: Some(s.organisation_name.clone()),
            brand_colour: Some(s.brand_colour.hex()),
            brand_ink: Some(s.brand_ink.hex()),
            default_language: Some(s.default_language.as_str().into()),
            time_zone: Some(s.time_zone.clone()),
            ticket_number_format: Some(s.ticket_number_format.clone()),
            reopen_window_days: Some(s.reopen_window_days.into()),
            auto_close_days: Some(s.auto_close_days.into()),
            reminder_days: Some(s.reminder_days.into()),
            mail_subject_tag: Some(s.mail_subject_tag.clone()),
            autoreplies_per_hour: Some(s.autoreplies_per_hour.into()),
            max_attachment_mb: Some(s.max_attachment_mb.into()),
            max_attachments: Some(s.max_attachments.into()),
            registration: Some(s.registration.as_str().into()),
            allowed_domains: Some(s.allowed_domains.clone()),
            guests_may_open: Some(s.guests_may_open),
            organisation_tickets: Some(s.organisation_tickets),
        }
    }
}

pub(super) async fn export(desk: &Desk, doc: &mut DeskDocument) -> Result<()> {
    for r in desk.store.role_rows().await? {
        doc.roles.push(RoleEntry { name: r.name, permissions: r.permissions.iter().map(|p| p.as_str().to_string()).collect() });
    }
    for o in desk.store.organisation_rows().await? {
        doc.organisations.push(OrganisationEntry { name: o.organisation.name, domain: o.domain });
    }
    let mut stored = desk.store.mail_templates().await?;
    stored.sort_by_key(|t| (t.kind.as_str(), t.language.as_str()));
    for t in stored {
        doc.mail_templates.push(MailTemplateEntry {
            kind: t.kind.as_str().into(),
            language: t.language.as_str().into(),
            subject: t.source.subject,
            text: t.source.text_body,
            html: t.source.html_body,
        });
    }
    doc.settings = Some(SettingsEntry::of(&*desk.settings().await?));
    Ok(())
}

fn options<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|x| name(*x)).collect::<Vec<_>>().join(", ")
}

pub(super) async fn sync_roles(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let here = desk.store.role_rows().await?;
    let mut names: Vec<(RoleId, String)> = here.iter().map(|r| (r.id, r.name.clone())).collect();
    let mut seen = BTreeSet::new();
    for (i, r) in doc.roles.iter().enumerate() {
        let at = format!("role {}", r.name);
        if !seen.insert(key(&r.name)) {
            return Err(invalid(at, "appears twice"));
        }
        let mut permissions = Vec::new();
        for p in &r.permissions {
            let p = p.trim().parse::<Permission>().map_err(|_| {
                invalid(&at, format!("no permission named {p} (the permissions are {})", options(Permission::ALL, Permission::as_str)))
            })?;
            permissions.push(p);
        }
        let existing = here.iter().find(|x| key(&x.name) == key(&r.name));
        let id = existing.map(|x| x.id);
        let input = RoleInput { name: r.name.clone(), permissions };
        let s = input.clone().validate(id, existing.map(|x| x.name.as_str()), &names).map_err(|e| invalid(&at, e))?;
        if id.is_none() {
            names.push((RoleId(-(i as i64) - 1), s.name.clone()));
        }
        let action = match existing {
            None => ImportAction::Create,
            Some(x) if x.name == s.name && x.permissions == s.permissions => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
        };
        if cx.apply && action != ImportAction::Unchanged {
            desk.save_role(cx.by, id, input).await?;
        }
        cx.change("role", s.name, action);
    }
    for r in &here {
        if !seen.contains(&key(&r.name)) {
            cx.change("role", r.name.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

pub(super) async fn sync_organisations(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let here = desk.store.organisation_rows().await?;
    // Every organisation as the document leaves them so far, so that two entries of the
    // document cannot take the same domain.
    let mut planned: Vec<(OrganisationId, String, Option<String>)> =
        here.iter().map(|o| (o.organisation.id, o.organisation.name.clone(), o.domain.clone())).collect();
    let mut seen = BTreeSet::new();
    for (i, o) in doc.organisations.iter().enumerate() {
        let at = format!("organisation {}", o.name);
        if !seen.insert(key(&o.name)) {
            return Err(invalid(at, "appears twice"));
        }
        let existing = here.iter().find(|x| key(&x.organisation.name) == key(&o.name));
        let id = existing.map(|x| x.organisation.id);
        let input = OrganisationInput { name: o.name.clone(), domain: o.domain.clone().unwrap_or_default() };
        let s = input.clone().validate(id, &planned).map_err(|e| invalid(&at, e))?;
        let place = id.unwrap_or(OrganisationId(-(i as i64) - 1));
        planned.retain(|(x, _, _)| *x != place);
        planned.push((place, s.name.clone(), s.domain.clone()));
        let action = match existing {
            None => ImportAction::Create,
            Some(x) if x.organisation.name == s.name && x.domain == s.domain => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
        };
        if cx.apply && action != ImportAction::Unchanged {
            desk.save_organisation(cx.by, id, input).await?;
        }
        cx.change("organisation", s.name, action);
    }
    for o in &here {
        if !seen.contains(&key(&o.organisation.name)) {
            cx.change("organisation", o.organisation.name.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

/// Templates: each compiled and rendered with its kind's sample, as saving it on its page does.
pub(super) async fn sync_mail_templates(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let stored = desk.store.mail_templates().await?;
    let mut seen = BTreeSet::new();
    for t in &doc.mail_templates {
        let at = format!("mail_template {} ({})", t.kind, t.language);
        let kind = t.kind.trim().parse::<TemplateKind>().map_err(|_| {
            invalid(&at, format!("no kind named {} (the kinds are {})", t.kind, options(TemplateKind::ALL, TemplateKind::as_str)))
        })?;
        let lang = t.language.trim().parse::<Language>().map_err(|_| invalid(&at, "the language must be es or en"))?;
        if !seen.insert((kind, lang)) {
            return Err(invalid(at, "appears twice"));
        }
        let source = TemplateSource { subject: t.subject.clone(), text_body: t.text.clone(), html_body: t.html.clone() };
        let source = check(kind, lang, source).map_err(|e| invalid(&at, e))?;
        let action = match stored.iter().find(|s| s.kind == kind && s.language == lang) {
            None => ImportAction::Create,
            Some(s) if s.source == source => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
        };
        if cx.apply && action != ImportAction::Unchanged {
            desk.save_mail_template(cx.by, kind, lang, source).await?;
        }
        cx.change("template", format!("{kind} ({lang})"), action);
    }
    for s in &stored {
        if !seen.contains(&(s.kind, s.language)) {
            cx.change("template", format!("{} ({})", s.kind, s.language), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

/// The settings: the document's values over the desk's, checked as the settings page does.
pub(super) async fn sync_settings(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let Some(s) = &doc.settings else { return Ok(()) };
    let current = desk.settings().await?;
    let mut input = current.to_input();
    let text = |v: &Option<String>, to: &mut String| {
        if let Some(v) = v {
            to.clone_from(v);
        }
    };
    text(&s.organisation_name, &mut input.organisation_name);
    text(&s.brand_colour, &mut input.brand_colour);
    text(&s.brand_ink, &mut input.brand_ink);
    text(&s.default_language, &mut input.default_language);
    text(&s.time_zone, &mut input.time_zone);
    text(&s.ticket_number_format, &mut input.ticket_number_format);
    text(&s.registration, &mut input.registration);
    text(&s.mail_subject_tag, &mut input.mail_subject_tag);
    let number = |v: Option<i64>, to: &mut String| {
        if let Some(v) = v {
            *to = v.to_string();
        }
    };
    number(s.reopen_window_days, &mut input.reopen_window_days);
    number(s.auto_close_days, &mut input.auto_close_days);
    number(s.reminder_days, &mut input.reminder_days);
    number(s.autoreplies_per_hour, &mut input.autoreplies_per_hour);
    number(s.max_attachment_mb, &mut input.max_attachment_mb);
    number(s.max_attachments, &mut input.max_attachments);
    if let Some(d) = &s.allowed_domains {
        input.allowed_domains = d.join("\n");
    }
    if let Some(b) = s.guests_may_open {
        input.guests_may_open = b;
    }
    if let Some(b) = s.organisation_tickets {
        input.organisation_tickets = b;
    }
    let after =
        input.clone().validate_with_ceiling(current.logo.clone(), desk.attachment_ceiling_mb()).map_err(|e| invalid("settings", e))?;
    // Named by the keys that change, as the audit log names a save of the settings page.
    let (old, new) = (serde_json::to_value(&*current).ok(), serde_json::to_value(&after).ok());
    let value = |doc: &Option<serde_json::Value>, k: &str| doc.as_ref().and_then(|d| d.get(k).cloned());
    let changed: Vec<&str> = SiteSettings::KEYS.iter().copied().filter(|k| value(&old, k) != value(&new, k)).collect();
    let action = if after == *current { ImportAction::Unchanged } else { ImportAction::Update };
    if cx.apply && action != ImportAction::Unchanged {
        desk.save_settings(cx.by, input).await?;
    }
    cx.change("settings", if changed.is_empty() { "settings".to_string() } else { changed.join(", ") }, action);
    Ok(())
}
