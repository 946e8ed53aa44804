//! E-mail templates an administrator wrote (kinds without a row use the shipped default).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use tikal_core::template::{Language, TemplateKind, TemplateSource};

use crate::convert::{micros, time};
use crate::entity::mail_template;
use crate::{NewAudit, Result, Store};

/// A template stored for one kind and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    pub kind: TemplateKind,
    pub language: Language,
    pub source: TemplateSource,
    pub updated_at: DateTime<Utc>,
}

fn to_template(m: mail_template::Model) -> Result<StoredTemplate> {
    Ok(StoredTemplate {
        kind: m.kind.parse()?,
        language: m.language.parse()?,
        source: TemplateSource { subject: m.subject, text_body: m.text_body, html_body: m.html_body },
        updated_at: time(m.updated_at)?,
    })
}

impl Store {
    /// Every stored template.
    pub async fn mail_templates(&self) -> Result<Vec<StoredTemplate>> {
        let rows = mail_template::Entity::find()
            .order_by_asc(mail_template::Column::Kind)
            .order_by_asc(mail_template::Column::Language)
            .all(&self.read)
            .await?;
        rows.into_iter().map(to_template).collect()
    }

    /// The stored template of `kind` in `language`, if an administrator wrote one.
    pub async fn mail_template(&self, kind: TemplateKind, language: Language) -> Result<Option<StoredTemplate>> {
        let key = (kind.as_str().to_string(), language.as_str().to_string());
        mail_template::Entity::find_by_id(key).one(&self.read).await?.map(to_template).transpose()
    }

    /// Stores (creates or replaces) a template, with its audit entry.
    pub async fn save_mail_template(
        &self,
        kind: TemplateKind,
        language: Language,
        source: TemplateSource,
        audit: NewAudit,
    ) -> Result<StoredTemplate> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let key = (kind.as_str().to_string(), language.as_str().to_string());
                let exists = mail_template::Entity::find_by_id(key).one(txn).await?.is_some();
                let row = mail_template::ActiveModel {
                    kind: Set(kind.as_str().to_string()),
                    language: Set(language.as_str().to_string()),
                    subject: Set(source.subject),
                    text_body: Set(source.text_body),
                    html_body: Set(source.html_body),
                    updated_at: Set(micros(at)),
                };
                let saved = if exists { row.update(txn).await? } else { row.insert(txn).await? };
                Ok((to_template(saved)?, None))
            })
        })
        .await
    }

    /// Deletes a stored template (the default applies again), with its audit entry. Whether
    /// there was one to delete.
    pub async fn delete_mail_template(&self, kind: TemplateKind, language: Language, audit: NewAudit) -> Result<bool> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let key = (kind.as_str().to_string(), language.as_str().to_string());
                let r = mail_template::Entity::delete_by_id(key).exec(txn).await?;
                Ok((r.rows_affected > 0, None))
            })
        })
        .await
    }
}
