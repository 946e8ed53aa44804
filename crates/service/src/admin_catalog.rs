//! Administration of the service catalogue: help topics and the custom fields of their forms.
//! Validated in `tikal_core::catalog`, each change committed with its audit entry.

use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::catalog::{CustomField, FieldSpec, TopicInput, move_topic};
use tikal_core::org::HelpTopic;
use tikal_core::{CustomFieldId, DomainError, HelpTopicId, Reason};

use crate::admin::json;
use crate::{Desk, Principal, Result, ServiceError};

#[derive(Debug, Serialize)]
struct TopicDoc<'a> {
    name: &'a str,
    parent_id: Option<i64>,
    department_id: Option<i64>,
    default_priority: Option<u8>,
    default_type: Option<&'static str>,
    sla_plan_id: Option<i64>,
    portal_visible: bool,
    active: bool,
    sort: i32,
    description: &'a str,
}

fn topic_doc(t: &HelpTopic) -> Option<String> {
    json(&TopicDoc {
        name: &t.name,
        parent_id: t.parent_id.map(HelpTopicId::get),
        department_id: t.department_id.map(|d| d.get()),
        default_priority: t.default_priority.map(|p| p.level()),
        default_type: t.default_type.map(|k| k.as_str()),
        sla_plan_id: t.sla_plan_id.map(|p| p.get()),
        portal_visible: t.portal_visible,
        active: t.active,
        sort: t.sort,
        description: &t.description,
    })
}

fn topic_of(id: HelpTopicId, i: &TopicInput) -> HelpTopic {
    HelpTopic {
        id,
        name: i.name.clone(),
        parent_id: i.parent_id,
        department_id: i.department_id,
        default_priority: i.default_priority,
        default_type: i.default_type,
        active: i.active,
        portal_visible: i.portal_visible,
        sla_plan_id: i.sla_plan_id,
        description: i.description.clone(),
        sort: i.sort,
    }
}

#[derive(Debug, Serialize)]
struct FieldDoc<'a> {
    key: &'a str,
    kind: &'static str,
    options: &'a [String],
    label_es: &'a str,
    label_en: &'a str,
    help_es: &'a str,
    help_en: &'a str,
    required_for: &'static str,
    help_topic_id: Option<i64>,
    active: bool,
    sort: i32,
}

fn field_doc(f: &FieldSpec) -> Option<String> {
    json(&FieldDoc {
        key: &f.key,
        kind: f.kind.as_str(),
        options: &f.options,
        label_es: &f.label_es,
        label_en: &f.label_en,
        help_es: &f.help_es,
        help_en: &f.help_en,
        required_for: f.required_for.as_str(),
        help_topic_id: f.help_topic_id.map(HelpTopicId::get),
        active: f.active,
        sort: f.sort,
    })
}

/// A stored field as what an administrator edits.
pub fn field_spec(f: &CustomField) -> FieldSpec {
    FieldSpec {
        key: f.key.clone(),
        kind: f.kind,
        options: f.options.clone(),
        label_es: f.label_es.clone(),
        label_en: f.label_en.clone(),
        help_es: f.help_es.clone(),
        help_en: f.help_en.clone(),
        required_for: f.required_for,
        help_topic_id: f.help_topic_id,
        active: f.active,
        sort: f.sort,
    }
}

/// A stored topic as what an administrator edits.
pub fn topic_input(t: &HelpTopic) -> TopicInput {
    TopicInput {
        name: t.name.clone(),
        parent_id: t.parent_id,
        department_id: t.department_id,
        default_priority: t.default_priority,
        default_type: t.default_type,
        sla_plan_id: t.sla_plan_id,
        portal_visible: t.portal_visible,
        active: t.active,
        sort: t.sort,
        description: t.description.clone(),
    }
}

impl Desk {
    /// Every help topic, retired ones too (administrators only).
    pub async fn help_topics_for_admin(&self, by: &Principal) -> Result<Vec<HelpTopic>> {
        Self::admin_actor(by)?;
        Ok(self.catalog().await?.topics.clone())
    }

    /// Every custom field, retired ones too (administrators only).
    pub async fn custom_fields_for_admin(&self, by: &Principal) -> Result<Vec<CustomField>> {
        Self::admin_actor(by)?;
        Ok(self.catalog().await?.fields.clone())
    }

    /// Creates (`id: None`) or updates a help topic.
    pub async fn save_help_topic(&self, by: &Principal, id: Option<HelpTopicId>, input: TopicInput) -> Result<HelpTopic> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let before = match id {
            Some(id) => Some(catalog.topic(id).cloned().ok_or(ServiceError::NotFound("help topic"))?),
            None => None,
        };
        let input = input.validate(id, &catalog.topics, &catalog.departments)?;
        // A plan must exist and be active, unless the topic already had it.
        if let Some(plan) = input.sla_plan_id
            && !catalog.sla_plans.iter().any(|p| p.id == plan && (p.active || before.as_ref().is_some_and(|b| b.sla_plan_id == Some(plan))))
        {
            return Err(DomainError::invalid("sla_plan_id", Reason::NotFound).into());
        }
        let after = topic_of(id.unwrap_or(HelpTopicId(0)), &input);
        let audit = Self::audit_entry(
            by,
            AuditAction::of_save(before.as_ref().map(|b| b.active), input.active),
            AdminEntity::HelpTopic,
            id.map(HelpTopicId::get).unwrap_or_default(),
            after.path(&catalog.topics),
            before.as_ref().and_then(topic_doc),
            topic_doc(&after),
        )?;
        Ok(self.store.save_help_topic(id, input, audit).await?)
    }

    /// Moves a topic one place up or down among its siblings. Nothing changes (and nothing is
    /// recorded) when it is already first or last.
    pub async fn move_help_topic(&self, by: &Principal, id: HelpTopicId, up: bool) -> Result<()> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let topic = catalog.topic(id).ok_or(ServiceError::NotFound("help topic"))?;
        let moves = move_topic(&catalog.topics, id, up);
        let mut audits = Vec::with_capacity(moves.len());
        // The moved topic's entry first: it is what the administrator did.
        let mut ordered = moves.clone();
        ordered.sort_by_key(|(t, _)| *t != topic.id);
        for (tid, sort) in &ordered {
            let Some(t) = catalog.topic(*tid) else { continue };
            let after = HelpTopic { sort: *sort, ..t.clone() };
            audits.push(Self::audit_entry(
                by,
                AuditAction::Update,
                AdminEntity::HelpTopic,
                tid.get(),
                t.path(&catalog.topics),
                topic_doc(t),
                topic_doc(&after),
            )?);
        }
        Ok(self.store.reorder_help_topics(moves, audits).await?)
    }

    /// Creates (`id: None`) or updates (and so retires or restores) a custom field.
    pub async fn save_custom_field(&self, by: &Principal, id: Option<CustomFieldId>, spec: FieldSpec) -> Result<CustomField> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let before = match id {
            Some(id) => Some(catalog.fields.iter().find(|f| f.id == id).cloned().ok_or(ServiceError::NotFound("custom field"))?),
            None => None,
        };
        let spec = spec.validate(id, &catalog.fields, &catalog.topics)?;
        let audit = Self::audit_entry(
            by,
            AuditAction::of_save(before.as_ref().map(|b| b.active), spec.active),
            AdminEntity::CustomField,
            id.map(CustomFieldId::get).unwrap_or_default(),
            format!("{} ({})", spec.label_es, spec.key),
            before.as_ref().and_then(|b| field_doc(&field_spec(b))),
            field_doc(&spec),
        )?;
        self.store.save_custom_field(id, spec, audit).await.map_err(|e| match e {
            tikal_store::StoreError::Conflict(_) => {
                ServiceError::Domain(tikal_core::DomainError::invalid("key", tikal_core::catalog::CatalogProblem::DuplicateKey.text()))
            }
            other => other.into(),
        })
    }
}
