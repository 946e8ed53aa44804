//! Stored first responses of idempotent requests (`Idempotency-Key`).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, NotSet, QueryFilter, Set};

use crate::convert::micros;
use crate::entity::idempotency_key;
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    /// Hash of the request body: the same key with another body is a client error.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

impl Store {
    pub async fn idempotent_response(&self, scope: &str, key: &str) -> Result<Option<IdempotentResponse>> {
        let row = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Scope.eq(scope))
            .filter(idempotency_key::Column::Key.eq(key))
            .one(&self.write)
            .await?;
        Ok(row.map(|r| IdempotentResponse {
            request_hash: r.request_hash,
            status: u16::try_from(r.status_code).unwrap_or(500),
            body: r.response_body,
            location: r.location,
        }))
    }

    /// Records a response. A concurrent duplicate loses with `Conflict` (unique index).
    pub async fn save_idempotent_response(&self, scope: &str, key: &str, resp: &IdempotentResponse, at: DateTime<Utc>) -> Result<()> {
        let row = idempotency_key::ActiveModel {
            id: NotSet,
            scope: Set(scope.to_string()),
            key: Set(key.to_string()),
            request_hash: Set(resp.request_hash.clone()),
            status_code: Set(i32::from(resp.status)),
            response_body: Set(resp.body.clone()),
            location: Set(resp.location.clone()),
            created_at: Set(micros(at)),
        };
        idempotency_key::Entity::insert(row).exec_without_returning(&self.write).await?;
        Ok(())
    }
}
