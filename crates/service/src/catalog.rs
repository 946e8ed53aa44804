//! The service catalogue (departments, help topics, their forms) read on almost every request
//! and changed rarely: cached per node for a few seconds, and dropped at once when this node's
//! store writes to it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tikal_core::catalog::{Audience, CustomField};
use tikal_core::fields::FieldDef;
use tikal_core::org::{Department, HelpTopic};
use tikal_core::{DepartmentId, HelpTopicId, StateCategory, Status, StatusDef};

use crate::{Desk, Result};

/// How long another node's catalogue change may take to show here.
const CATALOG_TTL: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct Catalog {
    pub departments: Vec<Department>,
    pub topics: Vec<HelpTopic>,
    /// Every custom field, retired ones too, in form order.
    pub fields: Vec<CustomField>,
    /// Every status in list order, retired ones included.
    pub statuses: Vec<StatusDef>,
    /// The departments' own desk rules (next level, review of resolutions); see `desk.rs`.
    pub department_rules: Vec<(DepartmentId, tikal_core::desk::DepartmentRules)>,
    /// The five priorities' names and colours, 1 first.
    pub priority_levels: Vec<tikal_core::priorities::PriorityLevel>,
    /// The matrix an administrator saved (`None`: the configuration's); see `Desk::priority_matrix`.
    pub priority_matrix: Option<tikal_core::PriorityMatrix>,
    /// Ticket types with their names, and whether each is still offered.
    pub ticket_types: Vec<tikal_core::priorities::TicketTypeDef>,
    /// SLA plans by name, retired ones too.
    pub sla_plans: Vec<tikal_core::sla_plan::SlaPlan>,
    /// Business-hours calendars by name, with their holidays.
    pub calendars: Vec<tikal_core::sla_plan::Calendar>,
    /// Routing rules in order, inactive ones too (`rules.rs`).
    pub routing_rules: Vec<tikal_core::routing::Rule>,
}

impl Catalog {
    pub fn department(&self, id: DepartmentId) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn topic(&self, id: HelpTopicId) -> Option<&HelpTopic> {
        self.topics.iter().find(|t| t.id == id)
    }

    pub fn status(&self, key: &str) -> Option<&StatusDef> {
        self.statuses.iter().find(|s| s.status.as_str() == key)
    }

    /// The statuses of these categories (retired ones too: tickets may still have them).
    pub fn statuses_in(&self, categories: &[StateCategory]) -> Vec<Status> {
        self.statuses.iter().filter(|s| categories.contains(&s.status.category())).map(|s| s.status.clone()).collect()
    }

    /// The form of a help topic: fields for every form, then those of the topic and its
    /// ancestors (a field of "Problema de computadoras" also shows under "Teclado"). Retired
    /// fields are on no form.
    pub fn form_for(&self, topic: Option<&HelpTopic>) -> Vec<&CustomField> {
        let mut chain = Vec::new();
        let mut cur = topic.map(|t| t.id);
        // Bounded: a corrupt parent cycle must not hang a request.
        for _ in 0..16 {
            let Some(id) = cur else { break };
            chain.push(id);
            cur = self.topic(id).and_then(|t| t.parent_id);
        }
        self.fields.iter().filter(|f| f.active && f.help_topic_id.is_none_or(|t| chain.contains(&t))).collect()
    }

    /// The definitions a topic's form is checked against when `audience` fills it.
    pub fn fields_for(&self, topic: Option<&HelpTopic>, audience: Audience) -> Vec<FieldDef> {
        self.form_for(topic).into_iter().map(|f| f.def(audience)).collect()
    }

    /// Whether new tickets may be opened under `topic` by `audience` (it and the topics above
    /// it are active; requesters see only topics visible in the portal).
    pub fn offered(&self, topic: &HelpTopic, audience: Audience) -> bool {
        tikal_core::catalog::topic_offered(topic, &self.topics, audience)
    }

    /// A field by key, retired ones too (tickets keep their values).
    pub fn field(&self, key: &str) -> Option<&CustomField> {
        self.fields.iter().find(|f| f.key == key)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Caches {
    catalog: Mutex<Option<(u64, Instant, Arc<Catalog>)>>,
    pub(crate) settings: crate::settings::SettingsCache,
    /// What this node last recorded of an agent's presence on a ticket (by agent and ticket
    /// number), and when (see `Desk::touch_presence`).
    pub(crate) presence: Mutex<std::collections::HashMap<(tikal_core::AgentId, String), (tikal_core::desk::Activity, Instant)>>,
}

impl Desk {
    pub async fn catalog(&self) -> Result<Arc<Catalog>> {
        let version = self.store.catalog_version();
        if let Ok(guard) = self.caches.catalog.lock()
            && let Some((v, at, c)) = guard.as_ref()
            && *v == version
            && at.elapsed() < CATALOG_TTL
        {
            return Ok(c.clone());
        }
        let catalog = Arc::new(Catalog {
            departments: self.store.departments().await?,
            topics: self.store.help_topics().await?,
            fields: self.store.catalog_fields().await?,
            statuses: self.store.statuses().await?,
            department_rules: self.store.department_rules().await?,
            priority_levels: self.store.priority_levels().await?,
            priority_matrix: self.store.priority_matrix().await?,
            ticket_types: self.store.ticket_types().await?,
            sla_plans: self.store.sla_plans().await?,
            calendars: self.store.calendars().await?,
            routing_rules: self.store.routing_rules().await?,
        });
        if let Ok(mut guard) = self.caches.catalog.lock() {
            *guard = Some((version, Instant::now(), catalog.clone()));
        }
        Ok(catalog)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tikal_core::fields::FieldKind;

    fn topic(id: i64, parent: Option<i64>) -> HelpTopic {
        HelpTopic::named(HelpTopicId(id), &format!("t{id}"), parent.map(HelpTopicId))
    }

    fn field(key: &str, topic: Option<i64>) -> CustomField {
        CustomField {
            id: tikal_core::CustomFieldId(0),
            help_topic_id: topic.map(HelpTopicId),
            key: key.into(),
            kind: FieldKind::Text,
            options: vec![],
            label_es: key.into(),
            label_en: key.into(),
            help_es: String::new(),
            help_en: String::new(),
            required_for: tikal_core::catalog::RequiredFor::None,
            active: true,
            sort: 0,
        }
    }

    #[test]
    fn forms_inherit_from_ancestors() {
        let c = Catalog {
            departments: vec![],
            topics: vec![topic(1, None), topic(2, Some(1)), topic(3, None)],
            fields: vec![
                field("global", None),
                field("padre", Some(1)),
                field("otro", Some(3)),
                CustomField { active: false, ..field("retirado", None) },
            ],
            statuses: vec![],
            department_rules: vec![],
            ..Default::default()
        };
        let keys =
            |t: Option<i64>| c.form_for(t.and_then(|id| c.topic(HelpTopicId(id)))).into_iter().map(|f| f.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(Some(2)), vec!["global", "padre"]);
        assert_eq!(keys(Some(3)), vec!["global", "otro"]);
        assert_eq!(keys(None), vec!["global"]);
        let cyclic = Catalog { topics: vec![topic(1, Some(2)), topic(2, Some(1))], ..Default::default() };
        assert!(cyclic.form_for(cyclic.topic(HelpTopicId(1))).is_empty());
    }
}
