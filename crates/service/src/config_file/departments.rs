//! Departments and teams in the configuration document.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tikal_core::admin::{AutoAssign, DepartmentInput, TeamInput, would_cycle};
use tikal_core::desk::DepartmentRules;
use tikal_core::org::Department;
use tikal_core::{AgentId, DepartmentId};

use super::{DeskDocument, ImportAction, Sync, invalid, key};
use crate::{Desk, Result};

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
    /// The SLA plan's name; left out: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_plan: Option<String>,
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

pub(super) async fn export(desk: &Desk, doc: &mut DeskDocument) -> Result<()> {
    let catalog = desk.catalog().await?;
    let agents = desk.store.agents().await?;
    let email_of = |id: Option<AgentId>| id.and_then(|i| agents.iter().find(|a| a.id == i)).map(|a| a.email.as_str().to_string());
    let name_of = |id: Option<DepartmentId>| id.and_then(|i| catalog.department(i)).map(|d| d.name.clone());
    for d in &catalog.departments {
        let rules = desk.rules_of(&catalog, d.id);
        doc.departments.push(DepartmentEntry {
            name: d.name.clone(),
            parent: name_of(d.parent_id),
            manager: email_of(d.manager_id),
            email: d.email.as_ref().map(|e| e.as_str().to_string()),
            auto_assign: d.auto_assign.as_str().into(),
            active: d.active,
            next_level: name_of(rules.next_level),
            review_required: rules.review_required,
            sla_plan: d.sla_plan_id.and_then(|p| catalog.sla_plans.iter().find(|x| x.id == p)).map(|p| p.name.clone()),
        });
    }
    for t in desk.store.teams().await? {
        doc.teams.push(TeamEntry {
            name: t.name.clone(),
            department: name_of(t.department_id),
            members: t.members.iter().filter_map(|m| email_of(Some(*m))).collect(),
            active: t.active,
        });
    }
    Ok(())
}

/// Departments: new ones are created bare first (so parents and levels named later in the
/// document exist), then every changed one is set in full.
pub(super) async fn sync_departments(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let catalog = desk.catalog().await?;
    let mut seen = BTreeSet::new();
    for (i, d) in doc.departments.iter().enumerate() {
        if !seen.insert(key(&d.name)) {
            return Err(invalid(format!("department {}", d.name), "appears twice"));
        }
        if cx.departments.contains_key(&key(&d.name)) {
            continue;
        }
        let id = if cx.apply {
            let bare = DepartmentInput { name: d.name.clone(), active: d.active, ..Default::default() };
            desk.save_department(cx.by, None, bare, None).await?.id
        } else {
            DepartmentId(-(i as i64) - 1)
        };
        cx.departments.insert(key(&d.name), id);
    }

    // Every department as the document would leave them, to check names, parents and cycles
    // across the whole set before anything is written.
    let mut all: Vec<Department> = catalog.departments.clone();
    let mut planned = Vec::new();
    for d in &doc.departments {
        let at = format!("department {}", d.name);
        let id = cx.departments[&key(&d.name)];
        let here = catalog.department(id);
        let auto_assign =
            d.auto_assign.parse::<AutoAssign>().map_err(|_| invalid(&at, "auto_assign must be off, round_robin or least_open"))?;
        let input = DepartmentInput {
            name: d.name.clone(),
            parent_id: cx.department(&at, &d.parent)?,
            manager_id: d.manager.as_deref().map(|m| cx.agent(&at, m)).transpose()?,
            email: d.email.clone().unwrap_or_default(),
            sla_plan_id: cx.sla_plan(&at, &d.sla_plan, here.and_then(|x| x.sla_plan_id))?,
            auto_assign: Some(auto_assign),
            active: d.active,
        };
        let rules = DepartmentRules { next_level: cx.department(&at, &d.next_level)?, review_required: d.review_required };
        rules.validate(id).map_err(|e| invalid(&at, e))?;
        let others: Vec<Department> = all.iter().filter(|x| x.id != id).cloned().collect();
        let s = input.clone().validate(Some(id), &others).map_err(|e| invalid(&at, e))?;
        all.retain(|x| x.id != id);
        all.push(Department {
            id,
            name: s.name,
            parent_id: s.parent_id,
            manager_id: s.manager_id,
            email: s.email,
            sla_plan_id: s.sla_plan_id,
            auto_assign: s.auto_assign,
            active: s.active,
        });
        planned.push((id, input, rules));
    }
    for (id, input, _) in &planned {
        if let Some(p) = input.parent_id
            && would_cycle(*id, p, &all)
        {
            return Err(invalid(format!("department {}", input.name), "its parent chain comes back to it"));
        }
    }

    for (id, input, rules) in planned {
        let same = catalog.department(id).is_some_and(|here| {
            here.name == input.name.trim()
                && here.parent_id == input.parent_id
                && here.manager_id == input.manager_id
                && here.email.as_ref().map(|e| e.as_str()) == Some(input.email.trim()).filter(|e| !e.is_empty())
                && Some(here.auto_assign) == input.auto_assign
                && here.active == input.active
                && here.sla_plan_id == input.sla_plan_id
                && desk.rules_of(&catalog, id) == rules
        });
        let action = match catalog.department(id) {
            _ if same => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
            // Created bare above in this pass, or to be created.
            None => ImportAction::Create,
        };
        let name = input.name.trim().to_string();
        if cx.apply && !same {
            desk.save_department(cx.by, Some(id), input, Some(rules)).await?;
        }
        cx.change("department", name, action);
    }
    for d in &catalog.departments {
        if !seen.contains(&key(&d.name)) {
            cx.change("department", d.name.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

pub(super) async fn sync_teams(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let here = desk.store.teams().await?;
    let names: Vec<_> = here.iter().map(|t| (t.id, t.name.clone())).collect();
    let mut seen = BTreeSet::new();
    for t in &doc.teams {
        let at = format!("team {}", t.name);
        if !seen.insert(key(&t.name)) {
            return Err(invalid(at, "appears twice"));
        }
        let existing = here.iter().find(|x| key(&x.name) == key(&t.name));
        let input = TeamInput {
            name: t.name.clone(),
            department_id: cx.department(&at, &t.department)?,
            members: t.members.iter().map(|m| cx.agent(&at, m)).collect::<Result<_>>()?,
            active: t.active,
        };
        let input = input.validate(existing.map(|x| x.id), &names).map_err(|e| invalid(&at, e))?;
        let action = match existing {
            None => ImportAction::Create,
            Some(x)
                if x.name == input.name
                    && x.department_id == input.department_id
                    && x.members == input.members
                    && x.active == input.active =>
            {
                ImportAction::Unchanged
            }
            Some(_) => ImportAction::Update,
        };
        let name = input.name.clone();
        if cx.apply && action != ImportAction::Unchanged {
            desk.save_team(cx.by, existing.map(|x| x.id), input).await?;
        }
        cx.change("team", name, action);
    }
    for t in &here {
        if !seen.contains(&key(&t.name)) {
            cx.change("team", t.name.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}
