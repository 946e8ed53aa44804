//! Routing rules in the configuration document: matched by name, in the document's order;
//! departments, topics and teams named by name (topics by their "Parent / Child" path) and
//! agents by e-mail address.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tikal_core::org::{Agent, HelpTopic};
use tikal_core::routing::{Clause, Condition, References, RuleAction, RuleId, RuleInput};
use tikal_core::{AgentId, DepartmentId, HelpTopicId, TeamId};

use super::{DeskDocument, ImportAction, Sync, invalid, key};
use crate::{Catalog, Desk, Result, ServiceError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleEntry {
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// All conditions must hold (`true`) or any one of them.
    #[serde(default = "yes")]
    pub match_all: bool,
    /// When this rule fires, no later rule runs.
    #[serde(default)]
    pub stop: bool,
    #[serde(default, rename = "condition")]
    pub conditions: Vec<ClauseEntry>,
    #[serde(default, rename = "action")]
    pub actions: Vec<ClauseEntry>,
}

/// A condition or action: its kind (`priority_in`, `set_department`...) and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClauseEntry {
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

fn yes() -> bool {
    true
}

fn topic_path(catalog: &Catalog, id: HelpTopicId) -> String {
    catalog.topic(id).map_or_else(|| id.get().to_string(), |t| t.path(&catalog.topics))
}

pub(super) async fn export(desk: &Desk, doc: &mut DeskDocument) -> Result<()> {
    let catalog = desk.catalog().await?;
    let teams = desk.store.teams().await?;
    let agents = desk.store.agents().await?;
    for r in desk.store.routing_rules().await? {
        let conditions = r
            .conditions
            .iter()
            .map(|c| ClauseEntry {
                kind: c.kind().as_str().into(),
                value: match c {
                    Condition::TopicIs(t) | Condition::TopicUnder(t) => topic_path(&catalog, *t),
                    other => other.value(),
                },
            })
            .collect();
        let actions = r
            .actions
            .iter()
            .map(|a| ClauseEntry {
                kind: a.kind().as_str().into(),
                value: match a {
                    RuleAction::SetDepartment(d) => catalog.department(*d).map_or_else(|| a.value(), |d| d.name.clone()),
                    RuleAction::SetTopic(t) => topic_path(&catalog, *t),
                    RuleAction::SetTeam(t) => teams.iter().find(|x| x.id == *t).map_or_else(|| a.value(), |t| t.name.clone()),
                    RuleAction::SetOwner(o) => {
                        agents.iter().find(|x| x.id == *o).map_or_else(|| a.value(), |x| x.email.as_str().to_string())
                    }
                    other => other.value(),
                },
            })
            .collect();
        doc.routing_rules.push(RoutingRuleEntry {
            name: r.name,
            active: r.active,
            match_all: r.match_all,
            stop: r.stop,
            conditions,
            actions,
        });
    }
    Ok(())
}

/// What rules name, as the document leaves the desk: departments of the document (stand-in ids
/// in a dry run) and of the desk, teams likewise, the desk's topics and agents. With
/// `active_only`, retired entries (and inactive agents) are not found: a rule that is written
/// may not name them, as on its page.
struct Refs<'a> {
    departments: &'a BTreeMap<String, DepartmentId>,
    retired: BTreeSet<DepartmentId>,
    topics: &'a [HelpTopic],
    /// Every topic by path as the document leaves the desk (stand-in ids for those it creates).
    planned_topics: &'a BTreeMap<String, Option<HelpTopicId>>,
    /// Key of the name, id, active.
    teams: Vec<(String, TeamId, bool)>,
    agents: &'a [Agent],
    active_only: bool,
}

impl References for Refs<'_> {
    fn department(&self, v: &str) -> Option<DepartmentId> {
        let id = *self.departments.get(&key(v))?;
        (!self.active_only || !self.retired.contains(&id)).then_some(id)
    }

    /// The desk's topics by path or name, then those the same document creates (by path).
    fn topic(&self, v: &str) -> Option<HelpTopicId> {
        let want = key(v);
        let live = |t: &&HelpTopic| !self.active_only || t.active;
        self.topics
            .iter()
            .filter(live)
            .find(|t| key(&t.path(self.topics)) == want)
            .or_else(|| self.topics.iter().filter(live).find(|t| key(&t.name) == want))
            .map(|t| t.id)
            .or_else(|| {
                let id = (*self.planned_topics.get(&super::catalog::path_key(v))?)?;
                // Only one the document creates: the desk's own were looked at above.
                self.topics.iter().all(|t| t.id != id).then_some(id)
            })
    }

    fn team(&self, v: &str) -> Option<TeamId> {
        self.teams.iter().find(|(k, _, active)| *k == key(v) && (*active || !self.active_only)).map(|(_, id, _)| *id)
    }

    fn agent(&self, v: &str) -> Option<AgentId> {
        let want = key(v);
        self.agents
            .iter()
            .filter(|a| a.active || !self.active_only)
            .find(|a| a.email.as_str() == want || key(a.name.as_str()) == want)
            .map(|a| a.id)
    }
}

impl Refs<'_> {
    /// Checks what `clauses` name, for a message that says which and why.
    fn check(&self, at: &str, row: &str, clauses: &[ClauseEntry]) -> Result<()> {
        for (i, c) in clauses.iter().enumerate() {
            let v = c.value.trim();
            let (what, found) = match c.kind.trim() {
                "topic_is" | "topic_under" | "set_topic" => ("topic", self.topic(v).is_some()),
                "set_department" => ("department", self.department(v).is_some()),
                "set_team" => ("team", self.team(v).is_some()),
                "set_owner" => ("agent", self.agent(v).is_some()),
                _ => continue,
            };
            if found || v.is_empty() {
                continue;
            }
            let why = match (what, self.active_only) {
                ("agent", true) => format!("the agent {v} is inactive"),
                ("agent", false) => format!("no agent with the address {v}"),
                (what, true) => format!("the {what} {v} is retired"),
                (what, false) => format!("no {what} named {v}"),
            };
            return Err(invalid(format!("{at}, {row} {}", i + 1), why));
        }
        Ok(())
    }
}

/// A place in the list of rules: a rule the document does not name, or the document's n-th.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Kept(RuleId),
    Doc(usize),
}

/// The order the document asks for: its rules take, in its order, the places its rules hold
/// among the desk's (`now`, new ones last), the others keeping theirs.
fn wanted_order(now: &[Place]) -> Vec<Place> {
    let mut next = 0;
    now.iter()
        .map(|p| match p {
            Place::Kept(_) => *p,
            Place::Doc(_) => {
                next += 1;
                Place::Doc(next - 1)
            }
        })
        .collect()
}

/// Rules: each checked like its page checks it and compared with the desk's; then placed in the
/// document's order (see `wanted_order`).
pub(super) async fn sync_rules(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let catalog = desk.catalog().await?;
    let here = desk.store.routing_rules().await?;
    let teams = desk.store.teams().await?;

    let mut retired: BTreeSet<DepartmentId> = catalog.departments.iter().filter(|d| !d.active).map(|d| d.id).collect();
    for d in &doc.departments {
        if let Some(id) = cx.departments.get(&key(&d.name)) {
            if d.active {
                retired.remove(id);
            } else {
                retired.insert(*id);
            }
        }
    }
    let mut team_list: Vec<(String, TeamId, bool)> = teams.iter().map(|t| (key(&t.name), t.id, t.active)).collect();
    for (i, t) in doc.teams.iter().enumerate() {
        match team_list.iter_mut().find(|x| x.0 == key(&t.name)) {
            Some(x) => x.2 = t.active,
            None => team_list.push((key(&t.name), TeamId(-(i as i64) - 1), t.active)),
        }
    }
    let mut refs = Refs {
        departments: &cx.departments,
        retired,
        topics: &catalog.topics,
        planned_topics: &cx.topics,
        teams: team_list,
        agents: &cx.agents,
        active_only: false,
    };

    let mut seen = BTreeMap::new();
    let mut planned = Vec::new();
    for (j, r) in doc.routing_rules.iter().enumerate() {
        let at = format!("routing_rule {}", r.name);
        if seen.insert(key(&r.name), j).is_some() {
            return Err(invalid(at, "appears twice"));
        }
        let clauses = |list: &[ClauseEntry]| list.iter().map(|c| Clause::new(c.kind.clone(), c.value.clone())).collect::<Vec<_>>();
        let input = RuleInput {
            name: r.name.clone(),
            active: r.active,
            match_all: r.match_all,
            stop: r.stop,
            conditions: clauses(&r.conditions),
            actions: clauses(&r.actions),
        };
        refs.active_only = false;
        refs.check(&at, "condition", &r.conditions)?;
        refs.check(&at, "action", &r.actions)?;
        let rule = input.validate(&refs).map_err(|e| invalid(&at, e))?;
        let existing = here.iter().find(|x| key(&x.name) == key(&r.name));
        let same = existing.is_some_and(|x| {
            x.name == rule.name
                && x.active == rule.active
                && x.match_all == rule.match_all
                && x.stop == rule.stop
                && x.conditions == rule.conditions
                && x.actions == rule.actions
        });
        if !same {
            // Written through the rules' page use case, which takes only what is in service.
            refs.active_only = true;
            refs.check(&at, "condition", &r.conditions)?;
            refs.check(&at, "action", &r.actions)?;
            input.validate(&refs).map_err(|e| invalid(&at, e))?;
        }
        planned.push((existing.map(|x| x.id), rule, same));
    }

    let mut now: Vec<Place> = here.iter().map(|x| seen.get(&key(&x.name)).map_or(Place::Kept(x.id), |j| Place::Doc(*j))).collect();
    now.extend(planned.iter().enumerate().filter(|(_, p)| p.0.is_none()).map(|(j, _)| Place::Doc(j)));
    let wanted = wanted_order(&now);
    let moved = |j: usize| now.iter().position(|p| *p == Place::Doc(j)) != wanted.iter().position(|p| *p == Place::Doc(j));

    for (j, (id, rule, same)) in planned.iter().enumerate() {
        let action = match id {
            None => ImportAction::Create,
            Some(_) if *same && !moved(j) => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
        };
        if cx.apply && !same {
            desk.save_routing_rule(cx.by, *id, rule.input()).await?;
        }
        cx.change("routing_rule", rule.name.clone(), action);
    }
    if cx.apply && now != wanted {
        let stored = desk.store.routing_rules().await?;
        let order = wanted
            .iter()
            .map(|p| match p {
                Place::Kept(id) => Some(*id),
                Place::Doc(j) => stored.iter().find(|x| key(&x.name) == key(&doc.routing_rules[*j].name)).map(|x| x.id),
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(ServiceError::NotFound("routing rule"))?;
        desk.order_routing_rules(cx.by, &order).await?;
    }
    for r in &here {
        if !seen.contains_key(&key(&r.name)) {
            cx.change("routing_rule", r.name.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documents_rules_take_their_places_in_its_order() {
        let k = |n| Place::Kept(RuleId(n));
        // The desk: X, A (doc 1), B (doc 0); the document: B, A, C (new).
        let now = [k(9), Place::Doc(1), Place::Doc(0), Place::Doc(2)];
        assert_eq!(wanted_order(&now), vec![k(9), Place::Doc(0), Place::Doc(1), Place::Doc(2)]);
        let same = [Place::Doc(0), k(3), Place::Doc(1)];
        assert_eq!(wanted_order(&same), same.to_vec());
    }

    #[test]
    fn the_rest_of_the_configuration_reads_back_as_written() {
        use crate::config_file::rest::{MailTemplateEntry, OrganisationEntry, RoleEntry, SettingsEntry};
        let doc = DeskDocument {
            version: 1,
            roles: vec![RoleEntry { name: "Consultor".into(), permissions: vec!["ticket.view".into(), "ticket.note".into()] }],
            organisations: vec![OrganisationEntry { name: "UPAT".into(), domain: Some("upat.gob.example".into()) }],
            mail_templates: vec![MailTemplateEntry {
                kind: "password_reset".into(),
                language: "es".into(),
                subject: "Recupere su clave".into(),
                text: "Abra {{ link }}\n".into(),
                html: None,
            }],
            routing_rules: vec![RoutingRuleEntry {
                name: "Prioridad baja a Nivel 1".into(),
                active: true,
                match_all: true,
                stop: false,
                conditions: vec![ClauseEntry { kind: "priority_in".into(), value: "1-2".into() }],
                actions: vec![
                    ClauseEntry { kind: "set_department".into(), value: "Mesa de Ayuda (Nivel 1)".into() },
                    ClauseEntry { kind: "no_autoreply".into(), value: String::new() },
                ],
            }],
            settings: Some(SettingsEntry {
                organisation_name: Some("Mesa de Ayuda UIT".into()),
                default_language: Some("en".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let text = toml::to_string_pretty(&doc).expect("toml");
        for part in [
            "[[role]]\nname = \"Consultor\"",
            "[[organisation]]\nname = \"UPAT\"\ndomain = \"upat.gob.example\"",
            "[[mail_template]]\nkind = \"password_reset\"\nlanguage = \"es\"",
            "[[routing_rule]]\nname = \"Prioridad baja a Nivel 1\"",
            "[[routing_rule.condition]]\nkind = \"priority_in\"\nvalue = \"1-2\"",
            "[[routing_rule.action]]\nkind = \"no_autoreply\"\n",
            "[settings]\norganisation_name = \"Mesa de Ayuda UIT\"\ndefault_language = \"en\"\n",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        assert_eq!(toml::from_str::<DeskDocument>(&text).expect("parse"), doc);
        let read = toml::from_str::<DeskDocument>("version = 1\n[settings]\ntime_zone = \"America/Guayaquil\"\n").expect("one setting");
        assert_eq!(read.settings.and_then(|s| s.time_zone).as_deref(), Some("America/Guayaquil"));
        for bad in ["version = 1\n[settings]\nlogo = \"x.png\"\n", "version = 1\n[[role]]\nname = \"X\"\npermisos = []\n"] {
            assert!(toml::from_str::<DeskDocument>(bad).is_err(), "unknown keys are refused: {bad}");
        }
    }
}
