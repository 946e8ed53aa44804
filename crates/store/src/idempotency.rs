//! Idempotent creates (`Idempotency-Key`). The record of a key is written in the transaction
//! that opens the ticket (`create.rs`), so a key and its ticket exist together or not at all:
//! a failed create leaves the key free, a committed one can never be created again, whatever
//! crashes in between. The first response is stored afterwards, for a faithful replay; if it
//! never got stored, the ticket itself is shown.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value};
use tikal_core::{TicketId, TicketNumber};

use crate::entity::{idempotency_key, ticket};
use crate::{Result, Store, StoreError};

/// A create that carries an `Idempotency-Key`: the key is recorded with the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// Who asked and for what (a key is only unique per caller and operation).
    pub scope: String,
    pub key: String,
    /// Hash of the request body: the same key with another body is a client error.
    pub request_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

/// What an earlier request with the same key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentRecord {
    pub request_hash: String,
    /// The ticket it opened.
    pub ticket: Option<TicketNumber>,
    /// Its stored response, once the web layer has recorded it.
    pub response: Option<IdempotentResponse>,
}

pub(crate) async fn lookup(db: &impl ConnectionTrait, scope: &str, key: &str) -> Result<Option<IdempotentRecord>> {
    let Some(row) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let ticket = match row.ticket_id {
        Some(id) => {
            let t = ticket::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("ticket of an idempotency key"))?;
            Some(TicketNumber::parse(&t.number)?)
        }
        None => None,
    };
    let response = (row.status_code != 0).then(|| IdempotentResponse {
        status: u16::try_from(row.status_code).unwrap_or(500),
        body: row.response_body,
        location: row.location,
    });
    Ok(Some(IdempotentRecord { request_hash: row.request_hash, ticket, response }))
}

pub(crate) fn claim_row(c: &IdempotencyClaim, ticket_id: TicketId, created_at: i64) -> idempotency_key::ActiveModel {
    use sea_orm::{NotSet, Set};
    idempotency_key::ActiveModel {
        id: NotSet,
        scope: Set(c.scope.clone()),
        key: Set(c.key.clone()),
        request_hash: Set(c.request_hash.clone()),
        status_code: Set(0),
        response_body: Set(String::new()),
        location: Set(None),
        created_at: Set(created_at),
        ticket_id: Set(Some(ticket_id.get())),
    }
}

impl Store {
    /// The earlier request with this key, if any. A read connection sees every committed
    /// create (on SQLite each read starts from the newest commit of the WAL), and it does not
    /// wait behind the ticket writer's batch. A create committed after this look-up is caught
    /// in the writer's transaction by the key's unique index.
    pub async fn idempotent_record(&self, scope: &str, key: &str) -> Result<Option<IdempotentRecord>> {
        lookup(&self.read, scope, key).await
    }

    /// Stores the first response of a key whose ticket is committed (for replays). It is
    /// written by the ticket writer, in the transaction of its next batch: one commit (and on
    /// SQLite one sync) for the responses and tickets of a whole batch instead of one each.
    pub async fn store_idempotent_response(&self, scope: &str, key: &str, resp: &IdempotentResponse) -> Result<()> {
        self.creator.store_response(StoredResponse { scope: scope.to_string(), key: key.to_string(), response: resp.clone() }).await
    }
}

/// The first response of a key, to be stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredResponse {
    pub scope: String,
    pub key: String,
    pub response: IdempotentResponse,
}

/// Stores first responses (never replacing one already stored), in one statement:
/// `UPDATE .. FROM (VALUES ..)`, understood by SQLite (3.33+) and PostgreSQL alike.
pub(crate) async fn store_responses(db: &impl ConnectionTrait, list: &[&StoredResponse]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(list.len());
    let mut values: Vec<Value> = Vec::with_capacity(list.len() * 5);
    for r in list {
        let n = values.len();
        rows.push(format!("(${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5));
        values.push(r.scope.clone().into());
        values.push(r.key.clone().into());
        values.push(i32::from(r.response.status).into());
        values.push(r.response.body.clone().into());
        values.push(r.response.location.clone().into());
    }
    // VALUES columns are named column1.. on both databases.
    let sql = format!(
        "UPDATE idempotency_keys SET status_code = v.column3, response_body = v.column4, location = v.column5 \
         FROM (VALUES {}) AS v WHERE idempotency_keys.scope = v.column1 AND idempotency_keys.key = v.column2 \
         AND idempotency_keys.status_code = 0",
        rows.join(", ")
    );
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values)).await?;
    Ok(())
}
