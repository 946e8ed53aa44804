//! Queues: the filters and keyset sorts of agents' ticket lists, bounded counts, the ticket
//! counters kept by triggers (migration `m0009_queues`, ADR 011) and saved views.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set, Statement,
};
use tikal_core::queue::{Cursor, DueState, DueWindow, QueueFilter, QueueSort, SavedView, ViewId, ViewName};
use tikal_core::*;

use crate::convert::{micros, time};
use crate::entity::ticket;
use crate::{Result, Store, StoreError, TicketFilter};

/// Rows of `ticket_counts`: how many tickets one department has in one status for one owner.
pub mod ticket_count {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "ticket_counts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub department_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub status: String,
        /// 0: nobody.
        #[sea_orm(primary_key, auto_increment = false)]
        pub owner_id: i64,
        pub n: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod saved_view {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "saved_views")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub query: String,
        pub owner_id: Option<i64>,
        pub shared: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One counter: tickets of a department in a status, owned by someone or nobody.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TicketCount {
    pub department: DepartmentId,
    pub status: String,
    pub owner: Option<AgentId>,
    pub n: u64,
}

/// A view to save or the new contents of one.
#[derive(Debug, Clone)]
pub struct NewView {
    pub name: ViewName,
    pub filter: QueueFilter,
    pub owner: Option<AgentId>,
    pub shared: bool,
}

/// What a sort orders by, and the literal conditions of the partial indexes (repeated word for
/// word so SQLite's planner can match them; see m0009).
const ACTIVE: &str = "resolved_at IS NULL";
const HAS_DUE: &str = "resolution_due_at IS NOT NULL";
const AWAITING_REVIEW: &str = "resolution_approved = FALSE AND resolved_at IS NOT NULL AND closed_at IS NULL";

fn pair(a: ticket::Column, b: ticket::Column) -> Expr {
    Expr::tuple([Expr::col(a), Expr::col(b)])
}

fn key_pair(k: i64, id: TicketId) -> Expr {
    Expr::tuple([Expr::val(k), Expr::val(id.get())])
}

/// The queue conditions of a filter (the older ones are in `Store::filtered`).
pub(crate) fn queue_conditions(mut q: Select<ticket::Entity>, f: &TicketFilter) -> Select<ticket::Entity> {
    use ticket::Column as C;
    if !f.priorities.is_empty() {
        let levels = f.priorities.iter().map(|p| i16::from(p.level()).into()).collect();
        q = q.filter(crate::tickets::unless_rows_checked(f, C::Priority, levels));
    }
    if !f.types.is_empty() {
        q = q.filter(C::Kind.is_in(f.types.iter().map(|t| t.as_str())));
    }
    if !f.channels.is_empty() {
        q = q.filter(C::Channel.is_in(f.channels.iter().map(|c| c.as_str())));
    }
    if f.unassigned {
        q = q.filter(C::OwnerId.is_null());
    }
    for (col, (from, to)) in [(C::CreatedAt, f.created), (C::UpdatedAt, f.updated)] {
        if let Some(from) = from {
            q = q.filter(col.gte(micros(from)));
        }
        if let Some(to) = to {
            q = q.filter(col.lt(micros(to)));
        }
    }
    if let Some(DueWindow { state, now, soon }) = f.due {
        q = q.filter(Expr::cust(ACTIVE));
        let due = C::ResolutionDueAt;
        q = match state {
            DueState::Overdue => q.filter(Expr::cust(HAS_DUE)).filter(due.lt(micros(now))),
            DueState::DueSoon => q.filter(Expr::cust(HAS_DUE)).filter(due.gte(micros(now))).filter(due.lt(micros(soon))),
            DueState::OnTime => q.filter(Expr::cust(HAS_DUE)).filter(due.gte(micros(soon))),
            DueState::None => q.filter(due.is_null()),
        };
    }
    if f.awaiting_review {
        q = q.filter(Expr::cust(AWAITING_REVIEW));
    }
    q
}

/// Orders by the sort and starts after the cursor. `DueAsc` here is its first part: tickets
/// with an active due time.
fn sorted(q: Select<ticket::Entity>, sort: QueueSort, cursor: Option<&Cursor>) -> Select<ticket::Entity> {
    use ticket::Column as C;
    let (key, desc) = match sort {
        QueueSort::UpdatedDesc => (C::UpdatedAt, true),
        QueueSort::CreatedDesc => (C::CreatedAt, true),
        QueueSort::CreatedAsc => (C::CreatedAt, false),
        QueueSort::PriorityDesc => (C::Priority, true),
        QueueSort::DueAsc => (C::ResolutionDueAt, false),
    };
    let mut q = q;
    if sort == QueueSort::DueAsc {
        q = q.filter(Expr::cust(ACTIVE)).filter(Expr::cust(HAS_DUE));
    }
    if let Some(Cursor { key: Some(k), id, .. }) = cursor {
        let here = pair(key, C::Id);
        q = q.filter(if desc { here.lt(key_pair(*k, *id)) } else { here.gt(key_pair(*k, *id)) });
    }
    if desc { q.order_by_desc(key).order_by_desc(C::Id) } else { q.order_by_asc(key).order_by_asc(C::Id) }
}

fn to_view(m: saved_view::Model) -> Result<SavedView> {
    let filter = QueueFilter::parse_query(&m.query).map_err(|e| StoreError::Corrupt(format!("saved view {}: {e}", m.id)))?;
    Ok(SavedView {
        id: ViewId(m.id),
        name: ViewName::parse(&m.name)?,
        filter,
        owner: m.owner_id.map(AgentId),
        shared: m.shared,
        created_at: time(m.created_at)?,
        updated_at: time(m.updated_at)?,
    })
}

impl Store {
    /// One page of a sorted queue (`f.sort` set), keyset-paginated on (sort key, id).
    pub(crate) async fn list_sorted(&self, f: &TicketFilter, sort: QueueSort, limit: u64) -> Result<Vec<ticket::Model>> {
        let cursor = f.cursor.as_ref().filter(|c| c.sort == sort);
        let in_tail = sort == QueueSort::DueAsc && cursor.is_some_and(|c| c.key.is_none());
        let (f, status_term) = self.without_common_statuses(f).await?;
        let f = &f;
        let base = || {
            let q = self.filtered(f);
            match &status_term {
                Some(term) => q.filter(term.clone()),
                None => q,
            }
        };
        let mut rows = if in_tail { Vec::new() } else { sorted(base(), sort, cursor).limit(limit).all(&self.read).await? };
        if sort == QueueSort::DueAsc && (rows.len() as u64) < limit {
            // The tail: done tickets and those without a due time, oldest first.
            let mut q = base().filter(Expr::cust(format!("NOT ({ACTIVE} AND {HAS_DUE})")));
            if let Some(c) = cursor.filter(|_| in_tail) {
                q = q.filter(ticket::Column::Id.gt(c.id.get()));
            }
            let rest = limit - rows.len() as u64;
            rows.extend(q.order_by_asc(ticket::Column::Id).limit(rest).all(&self.read).await?);
        }
        Ok(rows)
    }

    /// SQLite's planner, even with statistics, answers `status IN (...) ORDER BY updated_at
    /// LIMIT 50` by reading every ticket of those statuses and sorting them (seconds when they
    /// are a few hundred thousand) instead of walking the sort's index. When the statuses hold
    /// at least 1 % of the tickets (the counters say so, without reading tickets), their term
    /// is written as `+status IN (...)`, which no index serves, so the sort's index is walked
    /// and about 100 entries are read per page; rarer statuses keep their index. PostgreSQL
    /// chooses well by itself.
    async fn without_common_statuses(&self, f: &TicketFilter) -> Result<(TicketFilter, Option<Expr>)> {
        let mut f = f.clone();
        if f.statuses.is_empty() || self.read.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return Ok((f, None));
        }
        let counts = ticket_count::Entity::find().all(&self.read).await?;
        let total: i64 = counts.iter().map(|c| c.n).sum();
        let matching: i64 = counts.iter().filter(|c| f.statuses.iter().any(|s| s.as_str() == c.status)).map(|c| c.n).sum();
        if total == 0 || matching.saturating_mul(100) < total {
            return Ok((f, None));
        }
        let keys: Vec<String> = std::mem::take(&mut f.statuses).iter().map(|s| s.as_str().to_string()).collect();
        let marks = vec!["?"; keys.len()].join(", ");
        Ok((f, Some(Expr::cust_with_values(format!("+status IN ({marks})"), keys))))
    }

    /// How many tickets match, counting at most `cap` rows (`SELECT COUNT(*) FROM (... LIMIT
    /// cap)`): the cost is bounded by `cap`, whatever the table's size.
    pub async fn count_capped(&self, f: &TicketFilter, cap: u64) -> Result<u64> {
        let f = &self.resolve_text(f).await?;
        let inner = self.filtered(f).select_only().column(ticket::Column::Id).limit(cap).into_query();
        let outer = Query::select().expr(Expr::cust("COUNT(*)")).from_subquery(inner, Alias::new("capped")).to_owned();
        let backend = self.read.get_database_backend();
        let row = self.read.query_one_raw(backend.build(&outer)).await?;
        Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    /// The maintained counters of these departments (all when `None`); zero rows left out.
    pub async fn ticket_counts(&self, departments: Option<&[DepartmentId]>) -> Result<Vec<TicketCount>> {
        let mut q = ticket_count::Entity::find().filter(ticket_count::Column::N.ne(0));
        if let Some(d) = departments {
            q = q.filter(ticket_count::Column::DepartmentId.is_in(d.iter().map(|d| d.get())));
        }
        q.all(&self.read).await?.into_iter().map(count_row).collect()
    }

    /// The same numbers counted from the tickets themselves: reads every ticket. For checks
    /// (tests, `tikal` diagnostics), never on a request path.
    pub async fn recount_tickets(&self) -> Result<Vec<TicketCount>> {
        let backend = self.read.get_database_backend();
        let sql = "SELECT department_id, status, COALESCE(owner_id, 0), COUNT(*) FROM tickets \
                   GROUP BY department_id, status, COALESCE(owner_id, 0)";
        let mut out = Vec::new();
        for r in self.read.query_all_raw(Statement::from_string(backend, sql)).await? {
            out.push(count_row(ticket_count::Model {
                department_id: r.try_get_by_index(0)?,
                status: r.try_get_by_index(1)?,
                owner_id: r.try_get_by_index(2)?,
                n: r.try_get_by_index(3)?,
            })?);
        }
        out.sort();
        Ok(out)
    }

    pub async fn create_view(&self, v: &NewView, at: DateTime<Utc>) -> Result<SavedView> {
        let row = saved_view::ActiveModel {
            id: NotSet,
            name: Set(v.name.as_str().to_string()),
            query: Set(v.filter.to_query()),
            owner_id: Set(v.owner.map(AgentId::get)),
            shared: Set(v.shared),
            created_at: Set(micros(at)),
            updated_at: Set(micros(at)),
        };
        let id = saved_view::Entity::insert(row).exec(&self.write).await?.last_insert_id;
        self.view(ViewId(id)).await?.ok_or(StoreError::NotFound("view"))
    }

    pub async fn view(&self, id: ViewId) -> Result<Option<SavedView>> {
        saved_view::Entity::find_by_id(id.get()).one(&self.write).await?.map(to_view).transpose()
    }

    /// The shared views and, for an agent, their personal ones: by name.
    pub async fn views_for(&self, agent: Option<AgentId>) -> Result<Vec<SavedView>> {
        let mut q = saved_view::Entity::find();
        q = match agent {
            Some(a) => q.filter(saved_view::Column::Shared.eq(true).or(saved_view::Column::OwnerId.eq(a.get()))),
            None => q.filter(saved_view::Column::Shared.eq(true)),
        };
        q.order_by_asc(saved_view::Column::Name)
            .order_by_asc(saved_view::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(to_view)
            .collect()
    }

    /// Replaces a view's name, filter and sharing (its owner stays).
    pub async fn update_view(&self, id: ViewId, v: &NewView, at: DateTime<Utc>) -> Result<SavedView> {
        let res = saved_view::Entity::update_many()
            .col_expr(saved_view::Column::Name, Expr::val(v.name.as_str()))
            .col_expr(saved_view::Column::Query, Expr::val(v.filter.to_query()))
            .col_expr(saved_view::Column::Shared, Expr::val(v.shared))
            .col_expr(saved_view::Column::UpdatedAt, Expr::val(micros(at)))
            .filter(saved_view::Column::Id.eq(id.get()))
            .exec(&self.write)
            .await?;
        if res.rows_affected != 1 {
            return Err(StoreError::NotFound("view"));
        }
        self.view(id).await?.ok_or(StoreError::NotFound("view"))
    }

    pub async fn delete_view(&self, id: ViewId) -> Result<bool> {
        Ok(saved_view::Entity::delete_by_id(id.get()).exec(&self.write).await?.rows_affected == 1)
    }
}

fn count_row(m: ticket_count::Model) -> Result<TicketCount> {
    Ok(TicketCount {
        department: DepartmentId(m.department_id),
        status: m.status,
        owner: (m.owner_id != 0).then_some(AgentId(m.owner_id)),
        n: u64::try_from(m.n).map_err(|_| StoreError::Corrupt(format!("ticket count {} below zero", m.n)))?,
    })
}
