//! Priorities (names, colours, the impact x urgency matrix), ticket types and statuses in the
//! configuration document. Priorities and ticket types are fixed sets: the document renames
//! them; statuses are keyed by their key, and the built-in ones can only be renamed.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tikal_core::priorities::{Colour, PriorityLevel, PriorityLevelInput, TicketTypeDef, WHY_LAST_TYPE, label, validate_levels};
use tikal_core::{Priority, PriorityMatrix, StateCategory, Status, StatusDef, StatusKey, TicketType};
use tikal_store::StatusChange;

use super::{DeskDocument, ImportAction, Sync, invalid};
use crate::{Desk, NewStatus, Result};

/// One priority's names and colour (`level` 1 = very low .. 5 = very high).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityEntry {
    pub level: u8,
    pub name_es: String,
    pub name_en: String,
    /// `#rrggbb`.
    pub colour: String,
}

/// The impact x urgency matrix: one row per impact, each the priorities (1-5) for urgency
/// low, medium and high.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixEntry {
    pub impact_low: Vec<u8>,
    pub impact_medium: Vec<u8>,
    pub impact_high: Vec<u8>,
}

impl From<PriorityMatrix> for MatrixEntry {
    fn from(m: PriorityMatrix) -> Self {
        let mut rows: Vec<Vec<u8>> = m.into();
        let impact_high = rows.pop().unwrap_or_default();
        let impact_medium = rows.pop().unwrap_or_default();
        let impact_low = rows.pop().unwrap_or_default();
        MatrixEntry { impact_low, impact_medium, impact_high }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketTypeEntry {
    /// `incident`, `service_request`, `problem` or `major_incident`.
    pub key: String,
    pub name_es: String,
    pub name_en: String,
    /// Whether it is offered for new tickets.
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusEntry {
    pub key: String,
    /// `new`, `open`, `pending`, `resolved` or `closed` (fixed once the status exists).
    pub category: String,
    #[serde(default)]
    pub awaits_requester: bool,
    pub name_es: String,
    pub name_en: String,
    /// Order in lists; left out: kept (or after the others for a new status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i32>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

pub(super) async fn export(desk: &Desk, doc: &mut DeskDocument) -> Result<()> {
    let catalog = desk.catalog().await?;
    doc.priorities = catalog
        .priority_levels
        .iter()
        .map(|l| PriorityEntry {
            level: l.priority.level(),
            name_es: l.name_es.clone(),
            name_en: l.name_en.clone(),
            colour: l.colour.to_string(),
        })
        .collect();
    doc.priority_matrix = catalog.priority_matrix.clone().map(MatrixEntry::from);
    doc.ticket_types = catalog
        .ticket_types
        .iter()
        .map(|t| TicketTypeEntry { key: t.kind.as_str().into(), name_es: t.name_es.clone(), name_en: t.name_en.clone(), active: t.active })
        .collect();
    doc.statuses = catalog
        .statuses
        .iter()
        .map(|s| StatusEntry {
            key: s.status.as_str().into(),
            category: s.status.category().as_str().into(),
            awaits_requester: s.status.awaits_requester(),
            name_es: s.name_es.clone(),
            name_en: s.name_en.clone(),
            position: Some(s.position),
            active: s.active,
        })
        .collect();
    Ok(())
}

fn level_name(l: &PriorityLevel) -> String {
    format!("{} ({})", l.priority.level(), l.name_es)
}

/// The five priorities' names and colours: those the document names are set, the others kept;
/// one write (as on the page) if any changed.
pub(super) async fn sync_priorities(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    if doc.priorities.is_empty() {
        return Ok(());
    }
    let catalog = desk.catalog().await?;
    let mut current = PriorityLevel::defaults();
    for l in &catalog.priority_levels {
        if let Some(c) = current.iter_mut().find(|c| c.priority == l.priority) {
            *c = l.clone();
        }
    }
    let mut wanted: Vec<PriorityLevelInput> = current
        .iter()
        .map(|l| PriorityLevelInput { name_es: l.name_es.clone(), name_en: l.name_en.clone(), colour: l.colour.to_string() })
        .collect();
    let mut named = BTreeSet::new();
    for p in &doc.priorities {
        let at = format!("priority {}", p.level);
        let priority = Priority::try_from(p.level).map_err(|_| invalid(&at, "level must be 1 (very low) to 5 (very high)"))?;
        if !named.insert(priority) {
            return Err(invalid(at, "appears twice"));
        }
        label("name_es", &p.name_es).map_err(|e| invalid(&at, e))?;
        label("name_en", &p.name_en).map_err(|e| invalid(&at, e))?;
        Colour::parse("colour", &p.colour).map_err(|e| invalid(&at, e))?;
        wanted[usize::from(p.level - 1)] =
            PriorityLevelInput { name_es: p.name_es.clone(), name_en: p.name_en.clone(), colour: p.colour.clone() };
    }
    let levels = validate_levels(&wanted).map_err(|e| invalid("priority", e))?;
    let changed = levels != current;
    if cx.apply && changed {
        desk.save_priority_levels(cx.by, &wanted).await?;
    }
    for (after, before) in levels.iter().zip(&current) {
        let action = match () {
            _ if !named.contains(&after.priority) => ImportAction::NotInDocument,
            _ if after == before => ImportAction::Unchanged,
            _ => ImportAction::Update,
        };
        cx.change("priority", level_name(after), action);
    }
    Ok(())
}

/// The matrix, when the document has one: written only if it differs from the one in use.
pub(super) async fn sync_matrix(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let Some(m) = &doc.priority_matrix else {
        return Ok(());
    };
    let rows = vec![m.impact_low.clone(), m.impact_medium.clone(), m.impact_high.clone()];
    let matrix = PriorityMatrix::try_from(rows.clone())
        .map_err(|_| invalid("priority_matrix", "impact_low, impact_medium and impact_high must each be 3 priorities (1-5)"))?;
    let catalog = desk.catalog().await?;
    let same = desk.priority_matrix(&catalog) == matrix;
    if cx.apply && !same {
        desk.save_priority_matrix(cx.by, rows).await?;
    }
    cx.change("priority", "matrix", if same { ImportAction::Unchanged } else { ImportAction::Update });
    Ok(())
}

/// Ticket types: renamed, offered or not. At least one stays offered once the document is
/// applied; those it offers are written first so no step leaves none.
pub(super) async fn sync_ticket_types(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    if doc.ticket_types.is_empty() {
        return Ok(());
    }
    let catalog = desk.catalog().await?;
    let mut all = catalog.ticket_types.clone();
    let mut seen = BTreeSet::new();
    let mut planned = Vec::new();
    for t in &doc.ticket_types {
        let at = format!("ticket type {}", t.key);
        let kind: TicketType =
            t.key.trim().parse().map_err(|_| invalid(&at, "key must be incident, service_request, problem or major_incident"))?;
        if !seen.insert(kind) {
            return Err(invalid(at, "appears twice"));
        }
        let def = TicketTypeDef {
            kind,
            name_es: label("name_es", &t.name_es).map_err(|e| invalid(&at, e))?,
            name_en: label("name_en", &t.name_en).map_err(|e| invalid(&at, e))?,
            active: t.active,
        };
        match all.iter_mut().find(|x| x.kind == kind) {
            Some(x) => *x = def.clone(),
            None => return Err(invalid(at, "is not a ticket type of this desk")),
        }
        planned.push(def);
    }
    if !all.iter().any(|t| t.active) {
        return Err(invalid("ticket_type", WHY_LAST_TYPE));
    }
    let changed = |d: &TicketTypeDef| catalog.ticket_types.iter().find(|x| x.kind == d.kind) != Some(d);
    if cx.apply {
        for d in planned.iter().filter(|d| d.active).chain(planned.iter().filter(|d| !d.active)) {
            if changed(d) {
                desk.save_ticket_type(cx.by, d.kind, &d.name_es, &d.name_en, d.active).await?;
            }
        }
    }
    for d in &planned {
        cx.change("ticket_type", d.kind.as_str(), if changed(d) { ImportAction::Update } else { ImportAction::Unchanged });
    }
    for t in catalog.ticket_types.iter().filter(|t| !seen.contains(&t.kind)) {
        cx.change("ticket_type", t.kind.as_str(), ImportAction::NotInDocument);
    }
    Ok(())
}

/// Statuses by key: new ones are added, existing ones renamed, reordered, retired or restored.
/// A status's category cannot change, and a built-in status cannot be retired.
pub(super) async fn sync_statuses(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    if doc.statuses.is_empty() {
        return Ok(());
    }
    let catalog = desk.catalog().await?;
    let mut seen = BTreeSet::new();
    let mut planned = Vec::new();
    for s in &doc.statuses {
        let at = format!("status {}", s.key);
        let k = StatusKey::parse(s.key.trim()).map_err(|e| invalid(&at, e))?;
        if !seen.insert(k.as_str().to_string()) {
            return Err(invalid(at, "appears twice"));
        }
        let category: StateCategory =
            s.category.trim().parse().map_err(|_| invalid(&at, "category must be new, open, pending, resolved or closed"))?;
        Status::new(k.clone(), category, s.awaits_requester).map_err(|e| invalid(&at, e))?;
        let name_es = StatusDef::validate_name("name_es", &s.name_es).map_err(|e| invalid(&at, e))?;
        let name_en = StatusDef::validate_name("name_en", &s.name_en).map_err(|e| invalid(&at, e))?;
        match catalog.status(k.as_str()) {
            Some(here) => {
                if here.status.category() != category || here.status.awaits_requester() != s.awaits_requester {
                    return Err(invalid(
                        at,
                        format!(
                            "its category ({}{}) cannot change",
                            here.status.category(),
                            if here.status.awaits_requester() { ", awaits the requester" } else { "" }
                        ),
                    ));
                }
                if !s.active && here.status.is_builtin() {
                    return Err(invalid(at, "a built-in status can be renamed but not retired"));
                }
                let change = StatusChange {
                    name_es: (here.name_es != name_es).then(|| name_es.clone()),
                    name_en: (here.name_en != name_en).then(|| name_en.clone()),
                    position: s.position.filter(|p| *p != here.position),
                    active: (here.active != s.active).then_some(s.active),
                };
                planned.push((k, None, Some(change)));
            }
            None => {
                let new = NewStatus {
                    key: k.as_str().into(),
                    category,
                    awaits_requester: s.awaits_requester,
                    name_es,
                    name_en,
                    position: s.position,
                };
                planned.push((k, Some((new, s.active)), None));
            }
        }
    }
    for (k, new, change) in planned {
        let action = match (&new, &change) {
            (Some(_), _) => ImportAction::Create,
            (None, Some(c)) if c.name_es.is_none() && c.name_en.is_none() && c.position.is_none() && c.active.is_none() => {
                ImportAction::Unchanged
            }
            _ => ImportAction::Update,
        };
        if cx.apply {
            if let Some((new, active)) = new {
                desk.create_status(cx.by, new).await?;
                if !active {
                    let retire = StatusChange { name_es: None, name_en: None, position: None, active: Some(false) };
                    desk.change_status(cx.by, k.as_str(), retire).await?;
                }
            } else if let Some(change) = change.filter(|_| action == ImportAction::Update) {
                desk.change_status(cx.by, k.as_str(), change).await?;
            }
        }
        cx.change("status", k.as_str(), action);
    }
    for s in catalog.statuses.iter().filter(|s| !seen.contains(s.status.as_str())) {
        cx.change("status", s.status.as_str(), ImportAction::NotInDocument);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_reads_as_rows_of_impact() {
        let m = PriorityMatrix::default();
        let e = MatrixEntry::from(m);
        assert_eq!(e, MatrixEntry { impact_low: vec![1, 2, 3], impact_medium: vec![2, 3, 4], impact_high: vec![3, 4, 5] });
    }
}
