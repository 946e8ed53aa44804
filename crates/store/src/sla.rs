//! What the SLA clock reads and writes besides the ticket row: a ticket's status history (its
//! pauses), the escalations already fired on it, and the tickets whose next check has come.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use tikal_core::escalation::Firing;
use tikal_core::{EventKind, Status, TicketId};

use crate::convert::{micros, time};
use crate::entity::{sla_firing, thread_entry, ticket};
use crate::{Result, Store, StoreError};

/// Records thresholds fired, in the change's transaction. A threshold already recorded (by
/// another node, or an earlier try) fails the insert on the key and so the whole change.
pub(crate) async fn record_firings(txn: &DatabaseTransaction, ticket_id: TicketId, firings: &[Firing], at: DateTime<Utc>) -> Result<()> {
    if firings.is_empty() {
        return Ok(());
    }
    let rows = firings.iter().map(|f| sla_firing::ActiveModel {
        ticket_id: Set(ticket_id.get()),
        target: Set(f.target.as_str().to_string()),
        threshold: Set(f.threshold.as_str().to_string()),
        fired_at: Set(micros(at)),
    });
    sla_firing::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(())
}

impl Store {
    /// The statuses a ticket went through with when it entered each, the opening status
    /// first (what `tikal_core::sla_clock::pauses` reads).
    pub async fn status_history(&self, t: &tikal_core::Ticket) -> Result<Vec<(DateTime<Utc>, Status)>> {
        let rows = thread_entry::Entity::find()
            .filter(thread_entry::Column::TicketId.eq(t.id.get()))
            .filter(thread_entry::Column::EventKind.eq(EventKind::StatusChanged.as_str()))
            .order_by_asc(thread_entry::Column::Id)
            .all(&self.read)
            .await?;
        let first = rows.first().and_then(|r| r.before_value.clone()).unwrap_or_else(|| t.status.as_str().to_string());
        let keys = std::iter::once(first.as_str()).chain(rows.iter().filter_map(|r| r.after_value.as_deref()));
        let book = self.status_map(keys).await?;
        let status = |k: &str| book.get(k).cloned().ok_or_else(|| StoreError::Corrupt(format!("unknown status `{k}`")));
        let mut out = vec![(t.created_at, status(&first)?)];
        for r in &rows {
            if let Some(after) = &r.after_value {
                out.push((time(r.created_at)?, status(after)?));
            }
        }
        Ok(out)
    }

    /// The thresholds already fired on a ticket (unknown names from a newer version left out).
    pub async fn sla_firings(&self, ticket_id: TicketId) -> Result<Vec<Firing>> {
        let rows = sla_firing::Entity::find().filter(sla_firing::Column::TicketId.eq(ticket_id.get())).all(&self.read).await?;
        Ok(rows.iter().filter_map(|r| Some(Firing { target: r.target.parse().ok()?, threshold: r.threshold.parse().ok()? })).collect())
    }

    /// Up to `limit` tickets whose next SLA check is at or before `now`, the most overdue
    /// first (the partial index `tickets_sla_next` holds only tickets that have one).
    pub async fn sla_due_tickets(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<TicketId>> {
        let ids: Vec<i64> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::SlaNextAt.is_not_null())
            .filter(ticket::Column::SlaNextAt.lte(micros(now)))
            .order_by_asc(ticket::Column::SlaNextAt)
            .order_by_asc(ticket::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.read)
            .await?;
        Ok(ids.into_iter().map(TicketId).collect())
    }

    /// Sets when the sweeper next needs a ticket, unless the ticket changed since `version`
    /// was read (its change computed its own). Not a change of the ticket: its version and
    /// update time stay.
    pub async fn set_sla_next(&self, id: TicketId, version: u64, next: Option<DateTime<Utc>>) -> Result<bool> {
        let version = i64::try_from(version).map_err(|_| StoreError::Corrupt(format!("ticket version {version}")))?;
        let res = ticket::Entity::update_many()
            .col_expr(ticket::Column::SlaNextAt, Expr::value(next.map(micros)))
            .filter(ticket::Column::Id.eq(id.get()))
            .filter(ticket::Column::Version.eq(version))
            .exec(&self.write)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// How many tickets wait for the sweeper at `now` (the scheduler page and the benchmark).
    pub async fn count_sla_due(&self, now: DateTime<Utc>) -> Result<u64> {
        let n = ticket::Entity::find()
            .filter(ticket::Column::SlaNextAt.is_not_null())
            .filter(ticket::Column::SlaNextAt.lte(micros(now)))
            .count(&self.read)
            .await?;
        Ok(n)
    }
}
