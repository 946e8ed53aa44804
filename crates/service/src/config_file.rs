//! The desk's configuration as one readable TOML document: exported from one instance and
//! imported into another (or the same one after editing). Entities refer to each other by
//! name and agents by e-mail, never by id, so a document means the same on any instance.
//! Import is an upsert by name: what the document names is created or brought in line; what it
//! does not name is left alone (and listed). A dry run validates the whole document and lists
//! every change without making one; applying validates again first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tikal_core::admin::{AutoAssign, DepartmentInput, TeamInput};
use tikal_core::desk::DepartmentRules;
use tikal_core::org::Department;
use tikal_core::{AgentId, DepartmentId, DomainError, Reason};

use crate::{Desk, Principal, Result, ServiceError};

/// The largest document accepted (a desk's configuration is a few hundred KiB at most).
pub const MAX_DOCUMENT: usize = 2 * 1024 * 1024;

/// Format version written and understood.
const VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskDocument {
    pub version: u32,
    #[serde(default, rename = "department", skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<DepartmentEntry>,
    #[serde(default, rename = "team", skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<TeamEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentEntry {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The manager's e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default = "off")]
    pub auto_assign: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_required: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamEntry {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Members' e-mail addresses.
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn off() -> String {
    "off".into()
}

fn yes() -> bool {
    true
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
    /// `department`, `team`...
    pub entity: &'static str,
    pub name: String,
    pub action: ImportAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub applied: bool,
    pub changes: Vec<ImportChange>,
}

/// A document that cannot be imported: where and why (nothing was changed).
fn invalid(at: String, why: impl Into<String>) -> ServiceError {
    ServiceError::Domain(DomainError::invalid("document", Reason::Other(format!("{at}: {}", why.into()))))
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Desk {
    /// The configuration as a TOML document (administrators only).
    pub async fn export_configuration(&self, by: &Principal) -> Result<String> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let agents = self.store.agents().await?;
        let email_of = |id: Option<AgentId>| id.and_then(|i| agents.iter().find(|a| a.id == i)).map(|a| a.email.as_str().to_string());
        let name_of = |id: Option<DepartmentId>| id.and_then(|i| catalog.department(i)).map(|d| d.name.clone());
        let mut doc = DeskDocument { version: VERSION, ..Default::default() };
        for d in &catalog.departments {
            let rules = self.rules_of(&catalog, d.id);
            doc.departments.push(DepartmentEntry {
                name: d.name.clone(),
                parent: name_of(d.parent_id),
                manager: email_of(d.manager_id),
                email: d.email.as_ref().map(|e| e.as_str().to_string()),
                auto_assign: d.auto_assign.as_str().into(),
                active: d.active,
                next_level: name_of(rules.next_level),
                review_required: rules.review_required,
            });
        }
        for t in self.store.teams().await? {
            doc.teams.push(TeamEntry {
                name: t.name.clone(),
                department: name_of(t.department_id),
                members: t.members.iter().filter_map(|m| email_of(Some(*m))).collect(),
                active: t.active,
            });
        }
        let body = toml::to_string_pretty(&doc).map_err(|e| ServiceError::Unsupported(format!("cannot write the document: {e}")))?;
        Ok(format!(
            "# Tikal desk configuration (departments, teams...). Import it with a dry run first:\n\
             # POST /api/v1/configuration?dry_run=true, or /admin/configuration.\n{body}"
        ))
    }

    /// Imports a configuration document; with `apply: false` only validates it and reports.
    pub async fn import_configuration(&self, by: &Principal, text: &str, apply: bool) -> Result<ImportReport> {
        Self::admin_actor(by)?;
        if text.len() > MAX_DOCUMENT {
            return Err(ServiceError::TooLarge { what: "the configuration document".into(), limit: MAX_DOCUMENT as u64 });
        }
        let doc: DeskDocument = toml::from_str(text).map_err(|e| invalid("TOML".into(), e.message().to_string()))?;
        if doc.version != VERSION {
            return Err(invalid("version".into(), format!("must be {VERSION}")));
        }
        let plan = self.plan_import(&doc).await?;
        if apply {
            self.apply_import(by, &plan).await?;
        }
        Ok(ImportReport { applied: apply, changes: plan.changes })
    }

    /// Validates the whole document against this instance and works out every change.
    async fn plan_import(&self, doc: &DeskDocument) -> Result<ImportPlan> {
        let catalog = self.catalog().await?;
        let agents = self.store.agents().await?;
        let agent_by_email: BTreeMap<String, AgentId> = agents.iter().map(|a| (a.email.as_str().to_string(), a.id)).collect();
        let agent = |at: &str, email: &str| {
            agent_by_email
                .get(&email.trim().to_lowercase())
                .copied()
                .ok_or_else(|| invalid(at.into(), format!("no agent with the address {email}")))
        };

        // Every department the document names, with the id it has here or a stand-in (negative)
        // for one it creates, so parents, levels and cycles can be checked before anything is written.
        let mut ids: BTreeMap<String, DepartmentId> = catalog.departments.iter().map(|d| (key(&d.name), d.id)).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (i, d) in doc.departments.iter().enumerate() {
            if !seen.insert(key(&d.name)) {
                return Err(invalid(format!("department {}", d.name), "appears twice"));
            }
            let next = DepartmentId(-(i as i64) - 1);
            ids.entry(key(&d.name)).or_insert(next);
        }
        let dept = |at: &str, name: &Option<String>| -> Result<Option<DepartmentId>> {
            name.as_ref()
                .map(|n| ids.get(&key(n)).copied().ok_or_else(|| invalid(at.into(), format!("no department named {n}"))))
                .transpose()
        };

        let mut virtual_all: Vec<Department> = catalog.departments.clone();
        let mut departments = Vec::new();
        for d in &doc.departments {
            let at = format!("department {}", d.name);
            let id = ids[&key(&d.name)];
            let auto_assign = d
                .auto_assign
                .parse::<AutoAssign>()
                .map_err(|_| invalid(at.clone(), "auto_assign must be off, round_robin or least_open"))?;
            let input = DepartmentInput {
                name: d.name.clone(),
                parent_id: dept(&at, &d.parent)?,
                manager_id: d.manager.as_deref().map(|m| agent(&at, m)).transpose()?,
                email: d.email.clone().unwrap_or_default(),
                sla_plan_id: catalog.departments.iter().find(|x| x.id == id).and_then(|x| x.sla_plan_id),
                auto_assign: Some(auto_assign),
                active: d.active,
            };
            let rules = DepartmentRules { next_level: dept(&at, &d.next_level)?, review_required: d.review_required };
            rules.validate(id).map_err(|e| invalid(at.clone(), e.to_string()))?;
            let others: Vec<Department> = virtual_all.iter().filter(|x| x.id != id).cloned().collect();
            let settings = input.clone().validate(Some(id), &others).map_err(|e| invalid(at.clone(), e.to_string()))?;
            let stand_in = Department {
                id,
                name: settings.name.clone(),
                parent_id: settings.parent_id,
                manager_id: settings.manager_id,
                email: settings.email.clone(),
                sla_plan_id: settings.sla_plan_id,
                auto_assign: settings.auto_assign,
                active: settings.active,
            };
            virtual_all.retain(|x| x.id != id);
            virtual_all.push(stand_in);
            departments.push((id, input, rules));
        }
        // Parents named in the document may come later in it: check for cycles over the whole set.
        for (id, input, _) in &departments {
            if let Some(p) = input.parent_id
                && tikal_core::admin::would_cycle(*id, p, &virtual_all)
            {
                return Err(invalid(format!("department {}", input.name), "its parent chain comes back to it"));
            }
        }

        let teams_here = self.store.teams().await?;
        let mut teams = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for t in &doc.teams {
            let at = format!("team {}", t.name);
            if !seen.insert(key(&t.name)) {
                return Err(invalid(at, "appears twice"));
            }
            let existing = teams_here.iter().find(|x| key(&x.name) == key(&t.name)).map(|x| x.id);
            let input = TeamInput {
                name: t.name.clone(),
                department_id: dept(&at, &t.department)?,
                members: t.members.iter().map(|m| agent(&at, m)).collect::<Result<_>>()?,
                active: t.active,
            };
            let names: Vec<_> = teams_here.iter().map(|x| (x.id, x.name.clone())).collect();
            let input = input.validate(existing, &names).map_err(|e| invalid(at, e.to_string()))?;
            teams.push((existing, input));
        }

        let mut changes = Vec::new();
        for (id, input, rules) in &departments {
            let action = match catalog.department(*id) {
                None => ImportAction::Create,
                Some(here) => {
                    let same = here.name == input.name.trim()
                        && here.parent_id == input.parent_id
                        && here.manager_id == input.manager_id
                        && here.email.as_ref().map(|e| e.as_str()) == Some(input.email.trim()).filter(|e| !e.is_empty())
                        && Some(here.auto_assign) == input.auto_assign
                        && here.active == input.active
                        && self.rules_of(&catalog, *id) == *rules;
                    if same { ImportAction::Unchanged } else { ImportAction::Update }
                }
            };
            changes.push(ImportChange { entity: "department", name: input.name.trim().to_string(), action });
        }
        for d in &catalog.departments {
            if !seen_in(&doc.departments.iter().map(|x| key(&x.name)).collect::<Vec<_>>(), &d.name) {
                changes.push(ImportChange { entity: "department", name: d.name.clone(), action: ImportAction::NotInDocument });
            }
        }
        for (existing, input) in &teams {
            let action = match existing.and_then(|id| teams_here.iter().find(|t| t.id == id)) {
                None => ImportAction::Create,
                Some(here) => {
                    let same = here.name == input.name
                        && here.department_id == input.department_id
                        && here.members == input.members
                        && here.active == input.active;
                    if same { ImportAction::Unchanged } else { ImportAction::Update }
                }
            };
            changes.push(ImportChange { entity: "team", name: input.name.clone(), action });
        }
        for t in &teams_here {
            if !seen.contains(&key(&t.name)) {
                changes.push(ImportChange { entity: "team", name: t.name.clone(), action: ImportAction::NotInDocument });
            }
        }
        Ok(ImportPlan { departments, teams, changes })
    }

    /// Writes a validated plan: departments first (new ones created bare, then every one set in
    /// full, so parents and levels named later in the document exist), then teams. Each change
    /// is audited like the same change made on its page.
    async fn apply_import(&self, by: &Principal, plan: &ImportPlan) -> Result<()> {
        let mut real: BTreeMap<DepartmentId, DepartmentId> = BTreeMap::new();
        for (id, input, _) in &plan.departments {
            if id.get() < 0 {
                let bare = DepartmentInput { name: input.name.clone(), active: input.active, ..Default::default() };
                let created = self.save_department(by, None, bare, None).await?;
                real.insert(*id, created.id);
            }
        }
        let fix = |d: Option<DepartmentId>| d.map(|d| real.get(&d).copied().unwrap_or(d));
        for ((id, input, rules), change) in plan.departments.iter().zip(&plan.changes) {
            if change.action == ImportAction::Unchanged {
                continue;
            }
            let id = fix(Some(*id)).unwrap_or(*id);
            let mut input = input.clone();
            input.parent_id = fix(input.parent_id);
            let rules = DepartmentRules { next_level: fix(rules.next_level), review_required: rules.review_required };
            self.save_department(by, Some(id), input, Some(rules)).await?;
        }
        let team_changes = plan.changes.iter().filter(|c| c.entity == "team" && c.action != ImportAction::NotInDocument);
        for ((existing, input), change) in plan.teams.iter().zip(team_changes) {
            if change.action == ImportAction::Unchanged {
                continue;
            }
            let mut input = input.clone();
            input.department_id = fix(input.department_id);
            self.save_team(by, *existing, input).await?;
        }
        Ok(())
    }
}

fn seen_in(keys: &[String], name: &str) -> bool {
    keys.contains(&key(name))
}

struct ImportPlan {
    departments: Vec<(DepartmentId, DepartmentInput, DepartmentRules)>,
    teams: Vec<(Option<tikal_core::TeamId>, TeamInput)>,
    changes: Vec<ImportChange>,
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
            }],
            teams: vec![TeamEntry { name: "Redes".into(), department: None, members: vec!["a@gob.example".into()], active: true }],
        };
        let text = toml::to_string_pretty(&doc).expect("toml");
        assert!(text.contains("[[department]]") && text.contains("name = \"UPAT\""), "{text}");
        assert_eq!(toml::from_str::<DeskDocument>(&text).expect("parse"), doc);
        assert!(toml::from_str::<DeskDocument>("version = 1\n[[department]]\nnombre = \"x\"\n").is_err(), "unknown keys are refused");
    }
}
