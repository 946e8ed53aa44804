//! Time rules in the configuration document (`[[time_rule]]`): matched by name; departments
//! named by name. Checked as their page checks them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tikal_core::automation::TimeRuleInput;

use super::{DeskDocument, ImportAction, Sync, invalid, key};
use crate::{Desk, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRuleEntry {
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// Left out: tickets of every department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// `unassigned`, `no_first_response`, `pending_requester` or `not_updated`.
    pub condition: String,
    pub minutes: u32,
    /// `notify_supervisors`, `notify_manager`, `notify_owner`, `raise_priority` or `transfer`.
    pub action: String,
    /// The department a `transfer` moves the ticket to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_to: Option<String>,
}

fn yes() -> bool {
    true
}

pub(super) async fn export(desk: &Desk, doc: &mut DeskDocument) -> Result<()> {
    let catalog = desk.catalog().await?;
    let name =
        |d: Option<tikal_core::DepartmentId>| d.map(|d| catalog.department(d).map_or_else(|| d.get().to_string(), |x| x.name.clone()));
    for r in desk.store.time_rules().await? {
        doc.time_rules.push(TimeRuleEntry {
            name: r.name,
            active: r.active,
            department: name(r.department_id),
            condition: r.condition.as_str().into(),
            minutes: r.minutes,
            action: r.action.as_str().into(),
            transfer_to: name(r.target_department_id),
        });
    }
    Ok(())
}

/// Each rule validated like its page validates it and compared with the desk's rule of the same
/// name; written through the page's use case (audited).
pub(super) async fn sync_time_rules(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let here = desk.store.time_rules().await?;
    let mut seen = BTreeSet::new();
    for r in &doc.time_rules {
        let at = format!("time_rule {}", r.name);
        if !seen.insert(key(&r.name)) {
            return Err(invalid(at, "appears twice"));
        }
        let input = TimeRuleInput {
            name: r.name.clone(),
            department_id: cx.department(&format!("{at}, department"), &r.department)?,
            condition: r.condition.clone(),
            minutes: r.minutes.to_string(),
            action: r.action.clone(),
            target_department_id: cx.department(&format!("{at}, transfer_to"), &r.transfer_to)?,
            active: r.active,
        };
        let s = input.clone().validate().map_err(|e| invalid(&at, e))?;
        let existing = here.iter().find(|x| key(&x.name) == key(&r.name));
        let same = existing.is_some_and(|x| {
            x.name == s.name
                && x.active == s.active
                && x.department_id == s.department_id
                && x.condition == s.condition
                && x.minutes == s.minutes
                && x.action == s.action
                && x.target_department_id == s.target_department_id
        });
        let action = match (existing, same) {
            (None, _) => ImportAction::Create,
            (Some(_), true) => ImportAction::Unchanged,
            (Some(_), false) => ImportAction::Update,
        };
        if cx.apply && !same {
            desk.save_time_rule(cx.by, existing.map(|x| x.id), input).await?;
        }
        cx.change("time_rule", s.name, action);
    }
    for r in &here {
        if !seen.contains(&key(&r.name)) {
            cx.change("time_rule", r.name.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_rules_read_back_as_written() {
        let doc = DeskDocument {
            version: 1,
            time_rules: vec![TimeRuleEntry {
                name: "Sin asignar 30 min".into(),
                active: true,
                department: Some("Mesa de Ayuda (Nivel 1)".into()),
                condition: "unassigned".into(),
                minutes: 30,
                action: "transfer".into(),
                transfer_to: Some("Soporte (Nivel 2)".into()),
            }],
            ..Default::default()
        };
        let text = toml::to_string_pretty(&doc).expect("toml");
        assert!(text.contains("[[time_rule]]\nname = \"Sin asignar 30 min\""), "{text}");
        assert!(text.contains("transfer_to = \"Soporte (Nivel 2)\""), "{text}");
        assert_eq!(toml::from_str::<DeskDocument>(&text).expect("parse"), doc);
        let bare = "version = 1\n[[time_rule]]\nname = \"x\"\ncondition = \"not_updated\"\nminutes = 60\naction = \"notify_owner\"\n";
        let read = toml::from_str::<DeskDocument>(bare).expect("defaults");
        assert!(read.time_rules[0].active && read.time_rules[0].department.is_none());
        assert!(toml::from_str::<DeskDocument>(&format!("{bare}minutos = 3\n")).is_err(), "unknown keys are refused");
    }
}
