//! The desk's configuration as one readable TOML document: exported from one instance and
//! imported into another (or the same one after editing). Entities refer to each other by
//! name and agents by e-mail, never by id, so a document means the same on any instance.
//!
//! Import is an upsert by name: what the document names is created or brought in line; what it
//! does not name is left alone (and listed). Each section of the document has its own module
//! with an `export` and a `sync`; `sync` runs twice: first as a dry run over the whole document
//! (every check, no write; names the document creates get stand-in ids), then, only if all of
//! it passed and the caller asked, for real, section after section in dependency order, each
//! change audited like the same change made on its page. Each change commits on its own: only
//! a change made by someone else between the two passes can stop the second one midway, and
//! then what was written is in the audit log and a second import finishes the job.

mod catalog;
mod departments;
mod priorities;
mod rest;
mod rest_rules;
mod sla;
mod time_rules;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tikal_core::org::Agent;
use tikal_core::sla_plan::CalendarId;
use tikal_core::{AgentId, DepartmentId, DomainError, HelpTopicId, Reason, SlaPlanId};

use crate::{Desk, Principal, Result, ServiceError};

pub use catalog::{CustomFieldEntry, HelpTopicEntry};
pub use departments::{DepartmentEntry, TeamEntry};
pub use priorities::{MatrixEntry, PriorityEntry, StatusEntry, TicketTypeEntry};
pub use rest::{MailTemplateEntry, OrganisationEntry, RoleEntry, SettingsEntry};
pub use rest_rules::RoutingRuleEntry;
pub use sla::{CalendarEntry, SlaPlanEntry};
pub use time_rules::TimeRuleEntry;

/// The largest document accepted (a desk's configuration is a few hundred KiB at most).
pub const MAX_DOCUMENT: usize = 2 * 1024 * 1024;

/// Format version written and understood.
const VERSION: u32 = 1;

/// The document. Each section is a TOML array of tables (`[[department]]`); a section left
/// out is not touched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskDocument {
    pub version: u32,
    #[serde(default, rename = "department", skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<DepartmentEntry>,
    #[serde(default, rename = "team", skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<TeamEntry>,
    #[serde(default, rename = "help_topic", skip_serializing_if = "Vec::is_empty")]
    pub help_topics: Vec<HelpTopicEntry>,
    #[serde(default, rename = "custom_field", skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldEntry>,
    #[serde(default, rename = "priority", skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<PriorityEntry>,
    /// Left out when the desk uses the configuration file's matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_matrix: Option<MatrixEntry>,
    #[serde(default, rename = "ticket_type", skip_serializing_if = "Vec::is_empty")]
    pub ticket_types: Vec<TicketTypeEntry>,
    #[serde(default, rename = "status", skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<StatusEntry>,
    #[serde(default, rename = "calendar", skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<CalendarEntry>,
    #[serde(default, rename = "sla_plan", skip_serializing_if = "Vec::is_empty")]
    pub sla_plans: Vec<SlaPlanEntry>,
    #[serde(default, rename = "role", skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleEntry>,
    #[serde(default, rename = "organisation", skip_serializing_if = "Vec::is_empty")]
    pub organisations: Vec<OrganisationEntry>,
    #[serde(default, rename = "mail_template", skip_serializing_if = "Vec::is_empty")]
    pub mail_templates: Vec<MailTemplateEntry>,
    #[serde(default, rename = "routing_rule", skip_serializing_if = "Vec::is_empty")]
    pub routing_rules: Vec<RoutingRuleEntry>,
    #[serde(default, rename = "time_rule", skip_serializing_if = "Vec::is_empty")]
    pub time_rules: Vec<TimeRuleEntry>,
    /// A table, not an array: `[settings]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsEntry>,
}

/// What an import did (or, in a dry run, would do) to one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportAction {
    Create,
    Update,
    Unchanged,
    /// On this instance but not in the document: left as it is.
    NotInDocument,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportChange {
    /// The kind, as the audit log names it: `department`, `team`...
    pub entity: &'static str,
    pub name: String,
    pub action: ImportAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigReport {
    pub applied: bool,
    pub changes: Vec<ImportChange>,
}

/// A document that cannot be imported: where and why (nothing was changed).
pub(crate) fn invalid(at: impl std::fmt::Display, why: impl std::fmt::Display) -> ServiceError {
    ServiceError::Domain(DomainError::invalid("document", Reason::Other(format!("{at}: {why}"))))
}

/// How names are compared: trimmed, ignoring case (as the pages do).
pub(crate) fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// What the sections of one import share: the caller, whether this pass writes, the agents by
/// address, and the departments by name (those the document creates have a negative stand-in
/// id in a dry run, their real one once written).
pub(crate) struct Sync<'a> {
    pub by: &'a Principal,
    pub apply: bool,
    pub agents: Vec<Agent>,
    pub departments: BTreeMap<String, DepartmentId>,
    pub changes: Vec<ImportChange>,
    /// Help topics by path key (`catalog::path_key`); `None`: a path two topics share here.
    pub topics: BTreeMap<String, Option<HelpTopicId>>,
    /// Calendars and SLA plans by name (stand-in ids as for departments; plans with `active`).
    pub calendars: BTreeMap<String, CalendarId>,
    pub sla_plans: BTreeMap<String, (SlaPlanId, bool)>,
    /// Plans whose escalation department this document creates, with that department's name
    /// key: set after departments are synced (`sla::sync_escalations`).
    pub escalate_later: Vec<(SlaPlanId, String)>,
}

impl Sync<'_> {
    pub fn agent(&self, at: &str, email: &str) -> Result<AgentId> {
        let want = email.trim().to_lowercase();
        self.agents
            .iter()
            .find(|a| a.email.as_str() == want)
            .map(|a| a.id)
            .ok_or_else(|| invalid(at, format!("no agent with the address {email}")))
    }

    pub fn department(&self, at: &str, name: &Option<String>) -> Result<Option<DepartmentId>> {
        name.as_ref()
            .map(|n| self.departments.get(&key(n)).copied().ok_or_else(|| invalid(at, format!("no department named {n}"))))
            .transpose()
    }

    pub fn change(&mut self, entity: &'static str, name: impl Into<String>, action: ImportAction) {
        self.changes.push(ImportChange { entity, name: name.into(), action });
    }
}

impl Desk {
    /// The configuration as a TOML document (administrators only).
    pub async fn export_configuration(&self, by: &Principal) -> Result<String> {
        Self::admin_actor(by)?;
        let mut doc = DeskDocument { version: VERSION, ..Default::default() };
        departments::export(self, &mut doc).await?;
        catalog::export(self, &mut doc).await?;
        priorities::export(self, &mut doc).await?;
        sla::export(self, &mut doc).await?;
        rest::export(self, &mut doc).await?;
        rest_rules::export(self, &mut doc).await?;
        time_rules::export(self, &mut doc).await?;
        let body = toml::to_string_pretty(&doc).map_err(|e| ServiceError::Unsupported(format!("cannot write the document: {e}")))?;
        Ok(format!(
            "# Tikal desk configuration. Import it with a dry run first: `tikal config import FILE`,\n\
             # POST /api/v1/configuration?dry_run=true, or /admin/configuration.\n{body}"
        ))
    }

    /// Imports a configuration document; with `apply: false` only checks it and reports.
    pub async fn import_configuration(&self, by: &Principal, text: &str, apply: bool) -> Result<ConfigReport> {
        Self::admin_actor(by)?;
        if text.len() > MAX_DOCUMENT {
            return Err(ServiceError::TooLarge { what: "the configuration document".into(), limit: MAX_DOCUMENT as u64 });
        }
        let doc: DeskDocument = toml::from_str(text).map_err(|e| invalid("TOML", e.message()))?;
        if doc.version != VERSION {
            return Err(invalid("version", format!("must be {VERSION}")));
        }
        let dry = self.sync_document(by, &doc, false).await?;
        if !apply {
            return Ok(ConfigReport { applied: false, changes: dry });
        }
        self.sync_document(by, &doc, true).await?;
        Ok(ConfigReport { applied: true, changes: dry })
    }

    /// One pass over the sections, in the order their references need.
    async fn sync_document(&self, by: &Principal, doc: &DeskDocument, apply: bool) -> Result<Vec<ImportChange>> {
        let catalog = self.catalog().await?;
        let mut cx = Sync {
            by,
            apply,
            agents: self.store.agents().await?,
            departments: catalog.departments.iter().map(|d| (key(&d.name), d.id)).collect(),
            changes: Vec::new(),
            topics: catalog::topic_paths(&catalog.topics),
            calendars: catalog.calendars.iter().map(|c| (key(&c.name), c.id)).collect(),
            sla_plans: catalog.sla_plans.iter().map(|p| (key(&p.name), (p.id, p.active))).collect(),
            escalate_later: Vec::new(),
        };
        priorities::sync_priorities(self, doc, &mut cx).await?;
        priorities::sync_matrix(self, doc, &mut cx).await?;
        priorities::sync_ticket_types(self, doc, &mut cx).await?;
        priorities::sync_statuses(self, doc, &mut cx).await?;
        sla::sync_calendars(self, doc, &mut cx).await?;
        sla::sync_sla_plans(self, doc, &mut cx).await?;
        departments::sync_departments(self, doc, &mut cx).await?;
        sla::sync_escalations(self, &mut cx).await?;
        departments::sync_teams(self, doc, &mut cx).await?;
        catalog::sync_topics(self, doc, &mut cx).await?;
        catalog::sync_fields(self, doc, &mut cx).await?;
        rest::sync_roles(self, doc, &mut cx).await?;
        rest::sync_organisations(self, doc, &mut cx).await?;
        rest::sync_mail_templates(self, doc, &mut cx).await?;
        rest::sync_settings(self, doc, &mut cx).await?;
        rest_rules::sync_rules(self, doc, &mut cx).await?;
        time_rules::sync_time_rules(self, doc, &mut cx).await?;
        Ok(cx.changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_reads_back_as_written() {
        let doc = DeskDocument {
            version: 1,
            departments: vec![DepartmentEntry {
                name: "UPAT".into(),
                parent: Some("UIT".into()),
                manager: None,
                email: Some("upat@gob.example".into()),
                auto_assign: "least_open".into(),
                active: true,
                next_level: Some("ACGII".into()),
                review_required: Some(true),
                sla_plan: Some("Nivel 1".into()),
            }],
            teams: vec![TeamEntry { name: "Redes".into(), department: None, members: vec!["a@gob.example".into()], active: true }],
            ..Default::default()
        };
        let text = toml::to_string_pretty(&doc).expect("toml");
        assert!(text.contains("[[department]]") && text.contains("name = \"UPAT\""), "{text}");
        assert_eq!(toml::from_str::<DeskDocument>(&text).expect("parse"), doc);
        assert!(toml::from_str::<DeskDocument>("version = 1\n[[department]]\nnombre = \"x\"\n").is_err(), "unknown keys are refused");
    }
}
