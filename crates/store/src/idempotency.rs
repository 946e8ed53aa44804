//! Stored first responses of idempotent requests (`Idempotency-Key`). A key is reserved before
//! the request runs, so two identical requests arriving together cannot both create.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, NotSet, QueryFilter, Set};

use crate::convert::micros;
use crate::entity::idempotency_key;
use crate::{Result, Store, StoreError};

/// A reservation older than this belongs to a request that died (a crashed node): the key may
/// be taken over.
const ABANDONED_AFTER: Duration = Duration::seconds(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    /// Hash of the request body: the same key with another body is a client error.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is ours: run the request, then `complete_idempotent` or `release_idempotent`.
    Reserved,
    /// The same key is being processed right now by another request.
    InProgress { request_hash: String },
    /// The stored first response.
    Done(IdempotentResponse),
}

impl Store {
    pub async fn reserve_idempotent(&self, scope: &str, key: &str, request_hash: &str, now: DateTime<Utc>) -> Result<Reservation> {
        let row = idempotency_key::ActiveModel {
            id: NotSet,
            scope: Set(scope.to_string()),
            key: Set(key.to_string()),
            request_hash: Set(request_hash.to_string()),
            status_code: Set(0),
            response_body: Set(String::new()),
            location: Set(None),
            created_at: Set(micros(now)),
        };
        match idempotency_key::Entity::insert(row).exec_without_returning(&self.write).await.map_err(StoreError::from) {
            Ok(_) => return Ok(Reservation::Reserved),
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        let existing = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::Scope.eq(scope))
            .filter(idempotency_key::Column::Key.eq(key))
            .one(&self.write)
            .await?
            .ok_or(StoreError::NotFound("idempotency key"))?;
        if existing.status_code != 0 {
            return Ok(Reservation::Done(IdempotentResponse {
                request_hash: existing.request_hash,
                status: u16::try_from(existing.status_code).unwrap_or(500),
                body: existing.response_body,
                location: existing.location,
            }));
        }
        if existing.created_at < micros(now - ABANDONED_AFTER) {
            // Take over atomically: only one request can move the old timestamp.
            let taken = idempotency_key::Entity::update_many()
                .col_expr(idempotency_key::Column::CreatedAt, sea_orm::sea_query::Expr::value(micros(now)))
                .col_expr(idempotency_key::Column::RequestHash, sea_orm::sea_query::Expr::value(request_hash))
                .filter(idempotency_key::Column::Id.eq(existing.id))
                .filter(idempotency_key::Column::CreatedAt.eq(existing.created_at))
                .filter(idempotency_key::Column::StatusCode.eq(0))
                .exec(&self.write)
                .await?;
            if taken.rows_affected == 1 {
                return Ok(Reservation::Reserved);
            }
        }
        Ok(Reservation::InProgress { request_hash: existing.request_hash })
    }

    /// Stores the response of a reserved key.
    pub async fn complete_idempotent(&self, scope: &str, key: &str, resp: &IdempotentResponse) -> Result<()> {
        idempotency_key::Entity::update_many()
            .col_expr(idempotency_key::Column::StatusCode, sea_orm::sea_query::Expr::value(i32::from(resp.status)))
            .col_expr(idempotency_key::Column::ResponseBody, sea_orm::sea_query::Expr::value(resp.body.clone()))
            .col_expr(idempotency_key::Column::Location, sea_orm::sea_query::Expr::value(resp.location.clone()))
            .filter(idempotency_key::Column::Scope.eq(scope))
            .filter(idempotency_key::Column::Key.eq(key))
            .exec(&self.write)
            .await?;
        Ok(())
    }

    /// Frees a reserved key whose request failed, so a retry runs again.
    pub async fn release_idempotent(&self, scope: &str, key: &str) -> Result<()> {
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::Scope.eq(scope))
            .filter(idempotency_key::Column::Key.eq(key))
            .filter(idempotency_key::Column::StatusCode.eq(0))
            .exec(&self.write)
            .await?;
        Ok(())
    }
}
