//! The ticket desk's tables (migration `m0008_desk`): department rules, solutions, merges,
//! links, collaborators, presence, canned responses, time entries as a list, the review queue
//! and API keys that act as an agent. Changes that touch tickets are written with the tickets'
//! own changes (events, version) in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use tikal_core::desk::{Activity, CannedOwner, CannedText, Collaborator, DepartmentRules, LinkKind, StoredLink};
use tikal_core::*;

use crate::convert::{micros, time};
use crate::entity::{api_key, attachment, collaborator, thread_entry, time_entry};
use crate::tickets::{AttachmentMeta, TicketChange, write_change};
use crate::{Result, Store, StoreError};

entity!(department_rules, "department_rules", {
    #[sea_orm(primary_key, auto_increment = false)] department_id: i64,
    next_level_id: Option<i64>,
    review_required: Option<bool>,
    updated_at: i64,
});

entity!(ticket_solution, "ticket_solutions", {
    #[sea_orm(primary_key, auto_increment = false)] ticket_id: i64,
    body: String,
    author_kind: String,
    author_id: Option<i64>,
    author_name: Option<String>,
    created_at: i64,
});

entity!(ticket_merge, "ticket_merges", {
    #[sea_orm(primary_key, auto_increment = false)] merged_id: i64,
    survivor_id: i64,
    created_at: i64,
});

entity!(ticket_link, "ticket_links", {
    #[sea_orm(primary_key)] id: i64,
    low_id: i64,
    high_id: i64,
    kind: String,
    created_at: i64,
});

entity!(ticket_presence, "ticket_presence", {
    #[sea_orm(primary_key, auto_increment = false)] ticket_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] agent_id: i64,
    activity: String,
    seen_at: i64,
});

entity!(canned_response, "canned_responses", {
    #[sea_orm(primary_key)] id: i64,
    title: String,
    body: String,
    department_id: Option<i64>,
    agent_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
});

entity!(agent_api_key, "agent_api_keys", {
    #[sea_orm(primary_key, auto_increment = false)] api_key_id: i64,
    agent_id: i64,
});

/// What a desk change writes besides the tickets' own rows, in the same transaction.
#[derive(Debug, Clone)]
pub enum DeskWrite {
    Nothing,
    /// The ticket's solution (replaces an earlier one: a returned resolution is solved again).
    Solution {
        ticket: TicketId,
        body: String,
        author: Author,
        author_name: String,
    },
    Merge {
        merged: TicketId,
        survivor: TicketId,
    },
    Link(StoredLink),
    Unlink(StoredLink),
    AddCollaborator {
        ticket: TicketId,
        who: Collaborator,
    },
    RemoveCollaborator {
        ticket: TicketId,
        who: Collaborator,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SolutionRow {
    pub body: String,
    pub author: Author,
    pub author_name: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimeEntryRow {
    pub id: i64,
    pub agent: Option<AgentId>,
    pub minutes: u32,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CannedRow {
    pub id: i64,
    pub owner: CannedOwner,
    pub text: CannedText,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which canned responses a caller may see: every one (`all`), or their own (`agent`), the
/// desk's, and those of `departments`.
#[derive(Debug, Clone, Default)]
pub struct CannedFilter {
    pub all: bool,
    pub agent: Option<AgentId>,
    pub departments: Option<Vec<DepartmentId>>,
}

fn canned_row(m: canned_response::Model) -> Result<CannedRow> {
    let owner = match (m.agent_id, m.department_id) {
        (Some(a), None) => CannedOwner::Personal(AgentId(a)),
        (None, Some(d)) => CannedOwner::Department(DepartmentId(d)),
        (None, None) => CannedOwner::Desk,
        (Some(_), Some(_)) => return Err(StoreError::Corrupt(format!("canned response {} has two owners", m.id))),
    };
    Ok(CannedRow {
        id: m.id,
        owner,
        text: CannedText { title: m.title, body: m.body },
        created_at: time(m.created_at)?,
        updated_at: time(m.updated_at)?,
    })
}

fn owner_columns(owner: CannedOwner) -> (Option<i64>, Option<i64>) {
    match owner {
        CannedOwner::Personal(a) => (Some(a.get()), None),
        CannedOwner::Department(d) => (None, Some(d.get())),
        CannedOwner::Desk => (None, None),
    }
}

fn collaborator_condition(ticket: TicketId, who: Collaborator) -> Condition {
    let c = Condition::all().add(collaborator::Column::TicketId.eq(ticket.get()));
    match who {
        Collaborator::Agent(a) => c.add(collaborator::Column::AgentId.eq(a.get())),
        Collaborator::Requester(r) => c.add(collaborator::Column::RequesterId.eq(r.get())),
    }
}

fn link_row(l: &StoredLink, at: DateTime<Utc>) -> ticket_link::ActiveModel {
    ticket_link::ActiveModel {
        id: NotSet,
        low_id: Set(l.low.get()),
        high_id: Set(l.high.get()),
        kind: Set(l.kind.as_str().to_string()),
        created_at: Set(micros(at)),
    }
}

async fn write_extra(txn: &DatabaseTransaction, write: &DeskWrite, at: DateTime<Utc>) -> Result<()> {
    match write {
        DeskWrite::Nothing => {}
        DeskWrite::Solution { ticket, body, author, author_name } => {
            let row = ticket_solution::ActiveModel {
                ticket_id: Set(ticket.get()),
                body: Set(body.clone()),
                author_kind: Set(author.kind().to_string()),
                author_id: Set(author.id()),
                author_name: Set(Some(author_name.clone())),
                created_at: Set(micros(at)),
            };
            ticket_solution::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(ticket_solution::Column::TicketId)
                        .update_columns([
                            ticket_solution::Column::Body,
                            ticket_solution::Column::AuthorKind,
                            ticket_solution::Column::AuthorId,
                            ticket_solution::Column::AuthorName,
                            ticket_solution::Column::CreatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
        }
        DeskWrite::Merge { merged, survivor } => {
            let row =
                ticket_merge::ActiveModel { merged_id: Set(merged.get()), survivor_id: Set(survivor.get()), created_at: Set(micros(at)) };
            ticket_merge::Entity::insert(row).exec_without_returning(txn).await?;
        }
        DeskWrite::Link(l) => {
            ticket_link::Entity::insert(link_row(l, at)).exec_without_returning(txn).await?;
        }
        DeskWrite::Unlink(l) => {
            ticket_link::Entity::delete_many()
                .filter(ticket_link::Column::LowId.eq(l.low.get()))
                .filter(ticket_link::Column::HighId.eq(l.high.get()))
                .exec(txn)
                .await?;
        }
        DeskWrite::AddCollaborator { ticket, who } => {
            let (agent, requester) = match who {
                Collaborator::Agent(a) => (Some(a.get()), None),
                Collaborator::Requester(r) => (None, Some(r.get())),
            };
            let row =
                collaborator::ActiveModel { id: NotSet, ticket_id: Set(ticket.get()), agent_id: Set(agent), requester_id: Set(requester) };
            collaborator::Entity::insert(row).exec_without_returning(txn).await?;
        }
        DeskWrite::RemoveCollaborator { ticket, who } => {
            collaborator::Entity::delete_many().filter(collaborator_condition(*ticket, *who)).exec(txn).await?;
        }
    }
    Ok(())
}

impl Store {
    /// Saves changes of one or two tickets (each only if still at the version it was read at,
    /// else `Stale` and nothing is written) with what the desk writes besides, in one
    /// transaction. Each ticket's `version` is incremented once committed.
    pub async fn save_desk_change(&self, changes: &mut [(Ticket, TicketChange)], write: &DeskWrite) -> Result<()> {
        let at = changes.iter().map(|(t, _)| t.updated_at).max().unwrap_or_else(crate::now);
        let txn = self.write.begin().await?;
        let result = async {
            for (t, change) in changes.iter() {
                write_change(&txn, t, change).await?;
            }
            write_extra(&txn, write, at).await
        }
        .await;
        match result {
            Ok(()) => txn.commit().await?,
            Err(e) => {
                txn.rollback().await?;
                return Err(e);
            }
        }
        for (t, _) in changes.iter_mut() {
            t.version += 1;
        }
        Ok(())
    }

    /// Every department's rules (a small table, read with the catalogue).
    pub async fn department_rules(&self) -> Result<Vec<(DepartmentId, DepartmentRules)>> {
        Ok(department_rules::Entity::find()
            .all(&self.read)
            .await?
            .into_iter()
            .map(|m| {
                let rules = DepartmentRules { next_level: m.next_level_id.map(DepartmentId), review_required: m.review_required };
                (DepartmentId(m.department_id), rules)
            })
            .collect())
    }

    /// Sets a department's desk rules, with its audit entry.
    pub async fn set_department_rules(&self, department: DepartmentId, rules: DepartmentRules, audit: crate::NewAudit) -> Result<()> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move { upsert_department_rules(txn, department, rules, at).await.map(|()| ((), None)) })
        })
        .await
    }

    pub async fn solution(&self, ticket: TicketId) -> Result<Option<SolutionRow>> {
        let Some(m) = ticket_solution::Entity::find_by_id(ticket.get()).one(&self.read).await? else {
            return Ok(None);
        };
        Ok(Some(SolutionRow {
            body: m.body,
            author: Author::from_parts(&m.author_kind, m.author_id)?,
            author_name: m.author_name,
            at: time(m.created_at)?,
        }))
    }

    /// The ticket this one was merged into, if it was.
    pub async fn merged_into(&self, ticket: TicketId) -> Result<Option<TicketId>> {
        Ok(ticket_merge::Entity::find_by_id(ticket.get()).one(&self.read).await?.map(|m| TicketId(m.survivor_id)))
    }

    /// The tickets merged into this one, directly or through tickets merged into them.
    pub async fn merged_from(&self, survivor: TicketId) -> Result<Vec<TicketId>> {
        let mut out: Vec<TicketId> = Vec::new();
        let mut frontier = vec![survivor.get()];
        // Bounded: merges never form a cycle (a merged ticket is closed and cannot be merged
        // into), but stored data is not trusted to be perfect.
        for _ in 0..8 {
            if frontier.is_empty() {
                break;
            }
            let rows = ticket_merge::Entity::find()
                .filter(ticket_merge::Column::SurvivorId.is_in(frontier.clone()))
                .order_by_asc(ticket_merge::Column::MergedId)
                .all(&self.read)
                .await?;
            frontier = rows.iter().map(|m| m.merged_id).filter(|id| *id != survivor.get() && !out.contains(&TicketId(*id))).collect();
            out.extend(frontier.iter().copied().map(TicketId));
        }
        Ok(out)
    }

    /// A survivor's combined thread: its own entries, and the messages, replies and notes (not
    /// the events) of the tickets merged into it, in the order they were written.
    pub async fn merged_thread(&self, survivor: TicketId, merged: &[TicketId]) -> Result<Vec<ThreadEntry>> {
        let cond = Condition::any().add(thread_entry::Column::TicketId.eq(survivor.get())).add(
            Condition::all()
                .add(thread_entry::Column::TicketId.is_in(merged.iter().map(|t| t.get())))
                .add(thread_entry::Column::Kind.ne(EntryKind::Event.as_str())),
        );
        thread_entry::Entity::find()
            .filter(cond)
            .order_by_asc(thread_entry::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(crate::tickets::to_entry)
            .collect()
    }

    /// The attachments of a survivor and of the tickets merged into it.
    pub async fn merged_attachments(&self, survivor: TicketId, merged: &[TicketId]) -> Result<Vec<AttachmentMeta>> {
        let ids: Vec<i64> = std::iter::once(survivor).chain(merged.iter().copied()).map(TicketId::get).collect();
        Ok(attachment::Entity::find()
            .filter(attachment::Column::TicketId.is_in(ids))
            .order_by_asc(attachment::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(crate::tickets::to_attachment)
            .collect())
    }

    /// The newest entry of these tickets' threads.
    pub async fn latest_entry(&self, tickets: &[TicketId]) -> Result<Option<EntryId>> {
        let row: Option<Option<i64>> = thread_entry::Entity::find()
            .select_only()
            .column_as(Expr::expr(Func::max(Expr::col(thread_entry::Column::Id))), "latest")
            .filter(thread_entry::Column::TicketId.is_in(tickets.iter().map(|t| t.get())))
            .into_tuple()
            .one(&self.read)
            .await?;
        Ok(row.flatten().map(EntryId))
    }

    /// Every link of a ticket, in either direction.
    pub async fn links(&self, ticket: TicketId) -> Result<Vec<StoredLink>> {
        let id = ticket.get();
        ticket_link::Entity::find()
            .filter(Condition::any().add(ticket_link::Column::LowId.eq(id)).add(ticket_link::Column::HighId.eq(id)))
            .order_by_asc(ticket_link::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|m| Ok(StoredLink { low: TicketId(m.low_id), high: TicketId(m.high_id), kind: m.kind.parse::<LinkKind>()? }))
            .collect()
    }

    pub async fn collaborators(&self, ticket: TicketId) -> Result<Vec<(i64, Collaborator)>> {
        collaborator::Entity::find()
            .filter(collaborator::Column::TicketId.eq(ticket.get()))
            .order_by_asc(collaborator::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|m| match (m.agent_id, m.requester_id) {
                (Some(a), None) => Ok((m.id, Collaborator::Agent(AgentId(a)))),
                (None, Some(r)) => Ok((m.id, Collaborator::Requester(RequesterId(r)))),
                _ => Err(StoreError::Corrupt(format!("collaborator row {}", m.id))),
            })
            .collect()
    }

    /// The time logged on a ticket, oldest first.
    pub async fn time_entries(&self, ticket: TicketId) -> Result<Vec<TimeEntryRow>> {
        time_entry::Entity::find()
            .filter(time_entry::Column::TicketId.eq(ticket.get()))
            .order_by_asc(time_entry::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|m| {
                Ok(TimeEntryRow {
                    id: m.id,
                    agent: m.agent_id.map(AgentId),
                    minutes: u32::try_from(m.minutes).unwrap_or(0),
                    note: m.note,
                    at: time(m.created_at)?,
                })
            })
            .collect()
    }

    /// Records that `agent` is on the ticket now, and forgets presences that expired there.
    pub async fn touch_presence(&self, ticket: TicketId, agent: AgentId, activity: Activity, now: DateTime<Utc>) -> Result<()> {
        let row = ticket_presence::ActiveModel {
            ticket_id: Set(ticket.get()),
            agent_id: Set(agent.get()),
            activity: Set(activity.as_str().to_string()),
            seen_at: Set(micros(now)),
        };
        let txn = self.write.begin().await?;
        ticket_presence::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([ticket_presence::Column::TicketId, ticket_presence::Column::AgentId])
                    .update_columns([ticket_presence::Column::Activity, ticket_presence::Column::SeenAt])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        ticket_presence::Entity::delete_many()
            .filter(ticket_presence::Column::TicketId.eq(ticket.get()))
            .filter(ticket_presence::Column::SeenAt.lt(micros(now - tikal_core::desk::PRESENCE_TTL)))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The agents seen on a ticket since `since`, most recent first.
    pub async fn presence(&self, ticket: TicketId, since: DateTime<Utc>) -> Result<Vec<(AgentId, Activity, DateTime<Utc>)>> {
        ticket_presence::Entity::find()
            .filter(ticket_presence::Column::TicketId.eq(ticket.get()))
            .filter(ticket_presence::Column::SeenAt.gte(micros(since)))
            .order_by_desc(ticket_presence::Column::SeenAt)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|m| Ok((AgentId(m.agent_id), m.activity.parse::<Activity>()?, time(m.seen_at)?)))
            .collect()
    }

    pub async fn create_canned(&self, owner: CannedOwner, text: &CannedText, at: DateTime<Utc>) -> Result<CannedRow> {
        let (agent, department) = owner_columns(owner);
        let row = canned_response::ActiveModel {
            id: NotSet,
            title: Set(text.title.clone()),
            body: Set(text.body.clone()),
            department_id: Set(department),
            agent_id: Set(agent),
            created_at: Set(micros(at)),
            updated_at: Set(micros(at)),
        };
        let id = canned_response::Entity::insert(row).exec(&self.write).await?.last_insert_id;
        self.canned(id).await?.ok_or(StoreError::NotFound("canned response"))
    }

    pub async fn canned(&self, id: i64) -> Result<Option<CannedRow>> {
        canned_response::Entity::find_by_id(id).one(&self.read).await?.map(canned_row).transpose()
    }

    pub async fn update_canned(&self, id: i64, owner: CannedOwner, text: &CannedText, at: DateTime<Utc>) -> Result<CannedRow> {
        let (agent, department) = owner_columns(owner);
        let res = canned_response::Entity::update_many()
            .col_expr(canned_response::Column::Title, Expr::value(text.title.clone()))
            .col_expr(canned_response::Column::Body, Expr::value(text.body.clone()))
            .col_expr(canned_response::Column::AgentId, Expr::value(agent))
            .col_expr(canned_response::Column::DepartmentId, Expr::value(department))
            .col_expr(canned_response::Column::UpdatedAt, Expr::value(micros(at)))
            .filter(canned_response::Column::Id.eq(id))
            .exec(&self.write)
            .await?;
        if res.rows_affected != 1 {
            return Err(StoreError::NotFound("canned response"));
        }
        self.canned(id).await?.ok_or(StoreError::NotFound("canned response"))
    }

    pub async fn delete_canned(&self, id: i64) -> Result<bool> {
        Ok(canned_response::Entity::delete_by_id(id).exec(&self.write).await?.rows_affected == 1)
    }

    /// The canned responses a caller may see, by title.
    pub async fn canned_list(&self, f: &CannedFilter) -> Result<Vec<CannedRow>> {
        let mut q = canned_response::Entity::find();
        if !f.all {
            let mut shared = Condition::any().add(canned_response::Column::DepartmentId.is_null());
            match &f.departments {
                Some(depts) => shared = shared.add(canned_response::Column::DepartmentId.is_in(depts.iter().map(|d| d.get()))),
                None => shared = shared.add(canned_response::Column::DepartmentId.is_not_null()),
            }
            let desk_or_department = Condition::all().add(canned_response::Column::AgentId.is_null()).add(shared);
            let mut visible = Condition::any().add(desk_or_department);
            if let Some(me) = f.agent {
                visible = visible.add(canned_response::Column::AgentId.eq(me.get()));
            }
            q = q.filter(visible);
        }
        q.order_by_asc(canned_response::Column::Title)
            .order_by_asc(canned_response::Column::Id)
            .limit(500)
            .all(&self.read)
            .await?
            .into_iter()
            .map(canned_row)
            .collect()
    }

    /// Creates an API key that acts as `agent` (with the agent's rights) rather than with full
    /// access.
    pub async fn create_agent_api_key(&self, agent: AgentId, name: &str, key_hash: &str, at: DateTime<Utc>) -> Result<ApiKeyId> {
        let txn = self.write.begin().await?;
        let row = api_key::ActiveModel {
            id: NotSet,
            name: Set(name.to_string()),
            key_hash: Set(key_hash.to_string()),
            revoked: Set(false),
            created_at: Set(micros(at)),
        };
        let id = api_key::Entity::insert(row).exec(&txn).await?.last_insert_id;
        agent_api_key::Entity::insert(agent_api_key::ActiveModel { api_key_id: Set(id), agent_id: Set(agent.get()) })
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(ApiKeyId(id))
    }

    /// The agent an API key acts as, if it is an agent's key.
    pub async fn api_key_agent(&self, key: ApiKeyId) -> Result<Option<AgentId>> {
        let q = Query::select()
            .column(agent_api_key::Column::AgentId)
            .from(agent_api_key::Entity)
            .and_where(agent_api_key::Column::ApiKeyId.eq(key.get()))
            .to_owned();
        let row = self.read.query_one(&q).await?;
        Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.map(AgentId))
    }
}

pub(crate) async fn upsert_department_rules(
    conn: &impl ConnectionTrait,
    department: DepartmentId,
    rules: DepartmentRules,
    at: DateTime<Utc>,
) -> Result<()> {
    let row = department_rules::ActiveModel {
        department_id: Set(department.get()),
        next_level_id: Set(rules.next_level.map(DepartmentId::get)),
        review_required: Set(rules.review_required),
        updated_at: Set(micros(at)),
    };
    department_rules::Entity::insert(row)
        .on_conflict(
            OnConflict::column(department_rules::Column::DepartmentId)
                .update_columns([
                    department_rules::Column::NextLevelId,
                    department_rules::Column::ReviewRequired,
                    department_rules::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
