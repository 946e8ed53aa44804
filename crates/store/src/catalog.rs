//! The service catalogue's administrative writes: help topics (with their order among
//! siblings) and custom fields, each committed with its audit entries.

use sea_orm::{ActiveModelTrait, EntityTrait, NotSet, QueryOrder, Set};
use tikal_core::catalog::{CustomField, FieldSpec, TopicInput};
use tikal_core::org::HelpTopic;
use tikal_core::{CustomFieldId, DepartmentId, HelpTopicId};

use crate::admin::{NewAudit, insert_audit};
use crate::directory::to_topic;
use crate::entity::{custom_field, help_topic};
use crate::{Result, Store, StoreError};

fn to_custom_field(m: custom_field::Model) -> Result<CustomField> {
    // Rows written before labels had two languages carry `label` only.
    let label_es = if m.label_es.is_empty() { m.label.clone() } else { m.label_es };
    let label_en = if m.label_en.is_empty() { m.label.clone() } else { m.label_en };
    Ok(CustomField {
        id: CustomFieldId(m.id),
        help_topic_id: m.help_topic_id.map(HelpTopicId),
        key: m.key,
        kind: m.kind.parse()?,
        options: serde_json::from_str(&m.options).map_err(|e| StoreError::Corrupt(format!("field options: {e}")))?,
        label_es,
        label_en,
        help_es: m.help_es,
        help_en: m.help_en,
        required_for: m.required_for.parse()?,
        active: m.active,
        sort: m.sort,
    })
}

impl Store {
    /// Every custom field, retired ones too, in form order.
    pub async fn catalog_fields(&self) -> Result<Vec<CustomField>> {
        let rows = custom_field::Entity::find()
            .order_by_asc(custom_field::Column::Sort)
            .order_by_asc(custom_field::Column::Id)
            .all(&self.read)
            .await?;
        rows.into_iter().map(to_custom_field).collect()
    }

    /// Creates (`id: None`) or updates a help topic, with its audit entry.
    pub async fn save_help_topic(&self, id: Option<HelpTopicId>, t: TopicInput, audit: NewAudit) -> Result<HelpTopic> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = help_topic::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(t.name),
                    parent_id: Set(t.parent_id.map(HelpTopicId::get)),
                    department_id: Set(t.department_id.map(DepartmentId::get)),
                    default_priority: Set(t.default_priority.map(|p| i16::from(p.level()))),
                    default_type: Set(t.default_type.map(|k| k.as_str().to_string())),
                    active: Set(t.active),
                    sort: Set(t.sort),
                    portal_visible: Set(t.portal_visible),
                    sla_plan_id: Set(t.sla_plan_id.map(|p| p.get())),
                    description: Set(t.description),
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => row.insert(txn).await?,
                };
                let created = id.is_none().then(|| saved.id.to_string());
                Ok((to_topic(saved)?, created))
            })
        })
        .await
    }

    /// Sets the sort numbers of topics (a move among siblings), one audit entry per topic, all
    /// in one transaction.
    pub async fn reorder_help_topics(&self, moves: Vec<(HelpTopicId, i32)>, audits: Vec<NewAudit>) -> Result<()> {
        let Some(first) = audits.first().cloned() else { return Ok(()) };
        let rest: Vec<NewAudit> = audits.into_iter().skip(1).collect();
        self.audited(first, move |txn| {
            Box::pin(async move {
                for (id, sort) in moves {
                    let row = help_topic::ActiveModel { id: Set(id.get()), sort: Set(sort), ..Default::default() };
                    help_topic::Entity::update(row).exec(txn).await?;
                }
                for a in &rest {
                    insert_audit(txn, a).await?;
                }
                Ok(((), None))
            })
        })
        .await
    }

    /// Creates (`id: None`) or updates a custom field, with its audit entry. `label` and
    /// `required` (read by older code) follow the Spanish label and `required_for`.
    pub async fn save_custom_field(&self, id: Option<CustomFieldId>, f: FieldSpec, audit: NewAudit) -> Result<CustomField> {
        let options = serde_json::to_string(&f.options).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = custom_field::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    key: Set(f.key),
                    label: Set(f.label_es.clone()),
                    kind: Set(f.kind.as_str().to_string()),
                    options: Set(options),
                    required: Set(f.required_for != tikal_core::catalog::RequiredFor::None),
                    help_topic_id: Set(f.help_topic_id.map(HelpTopicId::get)),
                    sort: Set(f.sort),
                    label_es: Set(f.label_es),
                    label_en: Set(f.label_en),
                    help_es: Set(f.help_es),
                    help_en: Set(f.help_en),
                    required_for: Set(f.required_for.as_str().to_string()),
                    active: Set(f.active),
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => row.insert(txn).await?,
                };
                let created = id.is_none().then(|| saved.id.to_string());
                Ok((to_custom_field(saved)?, created))
            })
        })
        .await
    }
}
