//! The settings an administrator saved: one row per key, its value JSON text; the logo's row
//! carries its bytes. Every write goes through `Store::audited` (with its audit entry, in one
//! transaction), which also tells this node's caches.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::convert::micros;
use crate::entity::{setting, ticket};
use crate::{NewAudit, Result, Store};

/// The key of the logo's row (its value: type and version; its data: the image).
pub const LOGO_KEY: &str = "logo";

impl Store {
    /// Every saved setting but the logo, as (key, JSON text).
    pub async fn settings(&self) -> Result<Vec<(String, String)>> {
        Ok(setting::Entity::find()
            .select_only()
            .column(setting::Column::Key)
            .column(setting::Column::Value)
            .into_tuple::<(String, String)>()
            .all(&self.read)
            .await?)
    }

    /// The logo's description (JSON text) and bytes, when one was uploaded.
    pub async fn logo(&self) -> Result<Option<(String, Vec<u8>)>> {
        let row = setting::Entity::find_by_id(LOGO_KEY.to_string()).one(&self.read).await?;
        Ok(row.and_then(|r| r.data.map(|d| (r.value, d))))
    }

    /// Saves these settings (key, JSON text) with their audit entry; `Some` data stores bytes
    /// with a key (the logo), a key with `None` value is removed.
    pub async fn save_settings(&self, values: Vec<(String, Option<String>, Option<Vec<u8>>)>, audit: NewAudit) -> Result<()> {
        let at = micros(audit.at);
        self.audited(audit, move |txn| {
            Box::pin(async move {
                for (key, value, data) in values {
                    match value {
                        None => {
                            setting::Entity::delete_many().filter(setting::Column::Key.eq(key)).exec(txn).await?;
                        }
                        Some(value) => {
                            let row = setting::ActiveModel { key: Set(key), value: Set(value), data: Set(data), updated_at: Set(at) };
                            setting::Entity::insert(row)
                                .on_conflict(
                                    OnConflict::column(setting::Column::Key)
                                        .update_columns([setting::Column::Value, setting::Column::Data, setting::Column::UpdatedAt])
                                        .to_owned(),
                                )
                                .exec_without_returning(txn)
                                .await?;
                        }
                    }
                }
                Ok(((), None))
            })
        })
        .await
    }

    /// The highest ticket sequence value used so far (for a preview of the next number).
    pub async fn last_ticket_seq(&self) -> Result<Option<i64>> {
        let max: Option<Option<i64>> =
            ticket::Entity::find().select_only().column_as(ticket::Column::Seq.max(), "m").into_tuple().one(&self.read).await?;
        Ok(max.flatten())
    }
}
