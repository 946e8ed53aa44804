//! Help topics and custom fields in the configuration document.
//!
//! A topic is known by its full path: `name` is its own name and `parent` the path of the
//! topic above it, the names from the top joined by " / " (`parent = "Problema de computadoras"`,
//! `parent = "Problema de computadoras / Problemas en el teclado"`). Names are compared trimmed
//! and ignoring case, as the pages do; a topic whose path changes (renamed, moved) is another
//! topic to the document. A topic's parent may be on this instance or anywhere in the document:
//! topics are written parents first whatever their order. A field is known by its `key` (not its
//! label) and names the topic whose form shows it by path (no `topic`: every form); SLA plans are
//! named, never created, by the document.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tikal_core::admin::AutoAssign;
use tikal_core::catalog::{CustomField, FieldSpec, RequiredFor, TopicInput};
use tikal_core::fields::FieldKind;
use tikal_core::org::{Department, HelpTopic};
use tikal_core::{CustomFieldId, HelpTopicId, Priority, TicketType};

use super::{DeskDocument, ImportAction, Sync, invalid, key};
use crate::admin_catalog::{field_spec, topic_input};
use crate::{Desk, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpTopicEntry {
    pub name: String,
    /// The full path of the topic above ("Padre / Hijo"); none: a top-level topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// 1 (very low) to 5 (very high).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_priority: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_type: Option<String>,
    /// An SLA plan of this instance, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_plan: Option<String>,
    #[serde(default = "yes")]
    pub portal_visible: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub sort: i32,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldEntry {
    pub key: String,
    /// The full path of the topic whose form shows it (and the forms below); none: every form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub kind: String,
    pub label_es: String,
    pub label_en: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help_es: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help_en: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default = "nobody")]
    pub required_for: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub sort: i32,
}

fn yes() -> bool {
    true
}

fn nobody() -> String {
    "none".into()
}

/// How topic paths are compared: each name trimmed and ignoring case, joined by " / ".
pub(crate) fn path_key(path: &str) -> String {
    path.split('/').map(key).collect::<Vec<_>>().join(" / ")
}

/// The instance's topics by path key; `None` where two topics have the same path (possible
/// only with names holding "/"), which the document then cannot name.
pub(crate) fn topic_paths(topics: &[HelpTopic]) -> BTreeMap<String, Option<HelpTopicId>> {
    let mut map = BTreeMap::new();
    for t in topics {
        map.entry(path_key(&t.path(topics))).and_modify(|v| *v = None).or_insert(Some(t.id));
    }
    map
}

impl Sync<'_> {
    fn topic(&self, at: &str, path: &str) -> Result<HelpTopicId> {
        match self.topics.get(&path_key(path)) {
            Some(Some(id)) => Ok(*id),
            Some(None) => Err(invalid(at, format!("more than one help topic here has the path {path}; rename one"))),
            None => Err(invalid(at, format!("no help topic named {path}"))),
        }
    }
}

pub(super) async fn export(desk: &Desk, doc: &mut DeskDocument) -> Result<()> {
    let catalog = desk.catalog().await?;
    let topics = &catalog.topics;
    let path_of = |id: Option<HelpTopicId>| id.and_then(|i| catalog.topic(i)).map(|t| t.path(topics));
    for (t, _) in tikal_core::catalog::topic_tree(topics) {
        doc.help_topics.push(HelpTopicEntry {
            name: t.name.clone(),
            parent: path_of(t.parent_id),
            department: t.department_id.and_then(|d| catalog.department(d)).map(|d| d.name.clone()),
            default_priority: t.default_priority.map(Priority::level),
            default_type: t.default_type.map(|k| k.as_str().to_string()),
            sla_plan: t.sla_plan_id.and_then(|p| catalog.sla_plans.iter().find(|x| x.id == p)).map(|p| p.name.clone()),
            portal_visible: t.portal_visible,
            description: t.description.clone(),
            sort: t.sort,
            active: t.active,
        });
    }
    for f in &catalog.fields {
        doc.custom_fields.push(CustomFieldEntry {
            key: f.key.clone(),
            topic: path_of(f.help_topic_id),
            kind: f.kind.as_str().into(),
            label_es: f.label_es.clone(),
            label_en: f.label_en.clone(),
            help_es: f.help_es.clone(),
            help_en: f.help_en.clone(),
            options: f.options.clone(),
            required_for: f.required_for.as_str().into(),
            active: f.active,
            sort: f.sort,
        });
    }
    Ok(())
}

/// One topic of the document: its path key, the path as written, its parent's path key.
struct Planned<'a> {
    key: String,
    path: String,
    parent: Option<String>,
    entry: &'a HelpTopicEntry,
}

/// Help topics, parents first: each new topic is created in full once its parent exists (on
/// the instance, or earlier in this pass); the dry run gives new ones stand-in ids.
pub(super) async fn sync_topics(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let catalog = desk.catalog().await?;
    let mut seen = BTreeSet::new();
    let mut pending = Vec::with_capacity(doc.help_topics.len());
    for e in &doc.help_topics {
        let path = match &e.parent {
            Some(p) => format!("{} / {}", p.trim(), e.name.trim()),
            None => e.name.trim().to_string(),
        };
        let k = path_key(&path);
        if !seen.insert(k.clone()) {
            return Err(invalid(format!("help topic {path}"), "appears twice"));
        }
        pending.push(Planned { key: k, parent: e.parent.as_deref().map(path_key), path, entry: e });
    }
    // Parents first: a topic is ready once its parent is on the instance or already placed.
    let mut order: Vec<Planned> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let (ready, later): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|p| p.parent.as_ref().is_none_or(|pk| cx.topics.contains_key(pk) || order.iter().any(|o| &o.key == pk)));
        if ready.is_empty() {
            let p = &later[0];
            return Err(invalid(
                format!("help topic {}", p.path),
                format!("no help topic named {}", p.entry.parent.as_deref().unwrap_or_default()),
            ));
        }
        order.extend(ready);
        pending = later;
    }

    // The departments as the document leaves them (a topic may not go to a retired one).
    let mut departments: Vec<Department> = catalog.departments.clone();
    for d in &doc.departments {
        let Some(&id) = cx.departments.get(&key(&d.name)) else { continue };
        match departments.iter_mut().find(|x| x.id == id) {
            Some(x) => x.active = d.active,
            None => departments.push(Department {
                id,
                name: d.name.clone(),
                parent_id: None,
                manager_id: None,
                email: None,
                sla_plan_id: None,
                auto_assign: AutoAssign::Off,
                active: d.active,
            }),
        }
    }

    let mut all = catalog.topics.clone();
    for (i, p) in order.iter().enumerate() {
        let (e, at) = (p.entry, format!("help topic {}", p.path));
        let existing = match cx.topics.get(&p.key) {
            Some(Some(id)) if catalog.topic(*id).is_some() => Some(*id),
            Some(None) => return Err(invalid(&at, "more than one help topic here has this path; rename one")),
            _ => None,
        };
        let input = TopicInput {
            name: e.name.clone(),
            parent_id: e.parent.as_deref().map(|x| cx.topic(&at, x)).transpose()?,
            department_id: cx.department(&at, &e.department)?,
            default_priority: e
                .default_priority
                .map(|n| Priority::try_from(n).map_err(|_| invalid(&at, "default_priority must be 1 to 5")))
                .transpose()?,
            default_type: e
                .default_type
                .as_deref()
                .map(|s| {
                    s.parse::<TicketType>()
                        .map_err(|_| invalid(&at, "default_type must be incident, service_request, problem or major_incident"))
                })
                .transpose()?,
            // Plans the same document creates count (synced before topics).
            sla_plan_id: cx.sla_plan(&at, &e.sla_plan, existing.and_then(|id| catalog.topic(id)).and_then(|t| t.sla_plan_id))?,
            portal_visible: e.portal_visible,
            active: e.active,
            sort: e.sort,
            description: e.description.clone(),
        };
        let valid = input.clone().validate(existing, &all, &departments).map_err(|x| invalid(&at, x))?;
        let here = existing.and_then(|id| catalog.topic(id));
        let action = match here {
            Some(h) if topic_input(h) == valid => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
            None => ImportAction::Create,
        };
        let id = if cx.apply && action != ImportAction::Unchanged {
            desk.save_help_topic(cx.by, existing, input).await?.id
        } else {
            existing.unwrap_or(HelpTopicId(-(i as i64) - 1))
        };
        cx.topics.insert(p.key.clone(), Some(id));
        all.retain(|x| x.id != id);
        all.push(HelpTopic {
            id,
            name: valid.name,
            parent_id: valid.parent_id,
            department_id: valid.department_id,
            default_priority: valid.default_priority,
            default_type: valid.default_type,
            active: valid.active,
            portal_visible: valid.portal_visible,
            sla_plan_id: valid.sla_plan_id,
            description: valid.description,
            sort: valid.sort,
        });
        cx.change("help_topic", p.path.clone(), action);
    }
    for t in &catalog.topics {
        let path = t.path(&catalog.topics);
        if !seen.contains(&path_key(&path)) {
            cx.change("help_topic", path, ImportAction::NotInDocument);
        }
    }
    Ok(())
}

/// Custom fields, matched by key; a field's kind (like its key) cannot change.
pub(super) async fn sync_fields(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let catalog = desk.catalog().await?;
    // The topics as the document leaves them: only whether each exists matters to a field.
    let topics: Vec<HelpTopic> = cx.topics.values().flatten().map(|&id| HelpTopic::named(id, "", None)).collect();
    let mut all = catalog.fields.clone();
    let mut seen = BTreeSet::new();
    for (i, f) in doc.custom_fields.iter().enumerate() {
        let name = f.key.trim().to_string();
        let at = format!("custom field {name}");
        if !seen.insert(name.clone()) {
            return Err(invalid(at, "appears twice"));
        }
        let kind = f
            .kind
            .parse::<FieldKind>()
            .map_err(|_| invalid(&at, "kind must be text, long_text, number, select, multi_select, checkbox or date"))?;
        let required_for =
            f.required_for.parse::<RequiredFor>().map_err(|_| invalid(&at, "required_for must be none, requester or agent"))?;
        let existing = catalog.fields.iter().find(|x| x.key == name);
        let spec = FieldSpec {
            key: name.clone(),
            kind,
            options: f.options.clone(),
            label_es: f.label_es.clone(),
            label_en: f.label_en.clone(),
            help_es: f.help_es.clone(),
            help_en: f.help_en.clone(),
            required_for,
            help_topic_id: f.topic.as_deref().map(|t| cx.topic(&at, t)).transpose()?,
            active: f.active,
            sort: f.sort,
        };
        let valid = spec.clone().validate(existing.map(|x| x.id), &all, &topics).map_err(|x| invalid(&at, x))?;
        let action = match existing {
            Some(x) if field_spec(x) == valid => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
            None => ImportAction::Create,
        };
        if cx.apply && action != ImportAction::Unchanged {
            desk.save_custom_field(cx.by, existing.map(|x| x.id), spec).await?;
        }
        if existing.is_none() {
            all.push(CustomField {
                id: CustomFieldId(-(i as i64) - 1),
                help_topic_id: valid.help_topic_id,
                key: valid.key,
                kind: valid.kind,
                options: valid.options,
                label_es: valid.label_es,
                label_en: valid.label_en,
                help_es: valid.help_es,
                help_en: valid.help_en,
                required_for: valid.required_for,
                active: valid.active,
                sort: valid.sort,
            });
        }
        cx.change("custom_field", name, action);
    }
    for f in &catalog.fields {
        if !seen.contains(&f.key) {
            cx.change("custom_field", f.key.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_fields_read_back_as_written() {
        let doc = DeskDocument {
            version: 1,
            help_topics: vec![HelpTopicEntry {
                name: "Problemas en el teclado".into(),
                parent: Some("Problema de computadoras".into()),
                department: Some("Mesa de Ayuda (Nivel 1)".into()),
                default_priority: Some(3),
                default_type: Some("incident".into()),
                sla_plan: None,
                portal_visible: true,
                description: String::new(),
                sort: 10,
                active: true,
            }],
            custom_fields: vec![CustomFieldEntry {
                key: "ubicacion".into(),
                topic: Some("Problema de computadoras".into()),
                kind: "select".into(),
                label_es: "Ubicación".into(),
                label_en: "Location".into(),
                help_es: "Dónde está el equipo".into(),
                help_en: String::new(),
                options: vec!["Piso 1".into(), "Planta baja".into()],
                required_for: "requester".into(),
                active: true,
                sort: 0,
            }],
            ..Default::default()
        };
        let text = toml::to_string_pretty(&doc).expect("toml");
        for line in [
            "[[help_topic]]",
            "parent = \"Problema de computadoras\"",
            "default_priority = 3",
            "[[custom_field]]",
            "key = \"ubicacion\"",
            "label_es = \"Ubicación\"",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert!(!text.contains("help_en") && !text.contains("sla_plan") && !text.contains("description"), "empty values left out: {text}");
        assert_eq!(toml::from_str::<DeskDocument>(&text).expect("parse"), doc);
        // What may be left out takes the pages' defaults.
        let short: DeskDocument =
            toml::from_str("version = 1\n[[custom_field]]\nkey = \"k\"\nkind = \"text\"\nlabel_es = \"K\"\nlabel_en = \"K\"\n")
                .expect("parse");
        assert_eq!((short.custom_fields[0].required_for.as_str(), short.custom_fields[0].active), ("none", true));
        assert!(toml::from_str::<DeskDocument>("version = 1\n[[help_topic]]\nname = \"x\"\nparentt = \"y\"\n").is_err());
    }

    #[test]
    fn topic_paths_ignore_case_and_spacing_and_know_when_two_topics_share_one() {
        assert_eq!(path_key(" Problema de computadoras/problemas EN el teclado "), "problema de computadoras / problemas en el teclado");
        let t = |id: i64, name: &str, parent: Option<i64>| HelpTopic::named(HelpTopicId(id), name, parent.map(HelpTopicId));
        let all = vec![t(1, "Correo", None), t(2, "Outlook", Some(1)), t(3, "Correo / Outlook", None), t(4, "Impresoras", None)];
        let map = topic_paths(&all);
        assert_eq!(map.get("correo"), Some(&Some(HelpTopicId(1))));
        assert_eq!(map.get("correo / outlook"), Some(&None), "ambiguous");
        assert_eq!(map.get("impresoras"), Some(&Some(HelpTopicId(4))));
    }
}
