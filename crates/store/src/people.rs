//! People administration: agents with their grants and invitations, roles, requesters (edit,
//! merge, import) and organisations. Every write here is an audited change (`Store::audited`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};
use tikal_core::org::{Agent, Organisation, Requester};
use tikal_core::people::{AgentSettings, ImportAction, ImportValues, OrganisationSettings, RequesterSettings, RoleSettings};
use tikal_core::permission::{Permission, format_permissions, parse_permissions};
use tikal_core::*;

use crate::convert::{micros, opt_time};
use crate::entity::{
    access_token, agent, agent_department, agent_invite, collaborator, organisation, requester, requester_merge, role, session,
    thread_entry, ticket,
};
use crate::{NewAudit, Result, Store, StoreError};

/// An agent as administration lists them.
#[derive(Debug, Clone)]
pub struct AgentRow {
    pub agent: Agent,
    pub grants: Vec<(DepartmentId, RoleId)>,
    /// Whether they have chosen a password (an invited agent has not, until they follow the link).
    pub has_password: bool,
    /// Marked away: no automatic assignments.
    pub away: bool,
}

#[derive(Debug, Clone)]
pub struct RoleRow {
    pub id: RoleId,
    pub name: String,
    pub permissions: BTreeSet<Permission>,
    /// How many grants (agent × department) hold it.
    pub grants: u64,
}

#[derive(Debug, Clone)]
pub struct RequesterRow {
    pub requester: Requester,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub has_password: bool,
    /// The requester this one was merged into.
    pub merged_into: Option<RequesterId>,
}

#[derive(Debug, Clone)]
pub struct OrganisationRow {
    pub organisation: Organisation,
    pub domain: Option<String>,
    pub requesters: u64,
}

/// What merging a requester moves (or moved) to the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeCounts {
    pub tickets: u64,
    pub collaborations: u64,
    pub messages: u64,
    pub sessions: u64,
}

/// An agent's invitation link to write with their creation.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    /// The mail that carries the link, queued in the same transaction.
    pub mail: Job,
}

fn to_agent(m: agent::Model) -> Result<Agent> {
    Ok(Agent {
        id: AgentId(m.id),
        email: EmailAddress::parse(&m.email)?,
        name: PersonName::parse(&m.name)?,
        is_admin: m.is_admin,
        active: m.active,
    })
}

fn to_row(m: requester::Model, merged_into: Option<RequesterId>) -> Result<RequesterRow> {
    Ok(RequesterRow {
        phone: m.phone.clone(),
        language: m.language.clone(),
        has_password: m.password_hash.is_some(),
        merged_into,
        requester: crate::directory::to_requester(m)?,
    })
}

/// The requesters that absorbed these rows' requesters, by the rows' addresses: a merged
/// requester's address leads to the one it was merged into, so mail, sign-in and new tickets
/// from it go to the survivor.
pub(crate) async fn follow_merges(db: &impl ConnectionTrait, rows: Vec<requester::Model>) -> Result<Vec<(String, requester::Model)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let merges: BTreeMap<i64, i64> = requester_merge::Entity::find()
        .filter(requester_merge::Column::MergedId.is_in(rows.iter().map(|r| r.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.merged_id, m.into_id))
        .collect();
    if merges.is_empty() {
        return Ok(rows.into_iter().map(|r| (r.email.clone(), r)).collect());
    }
    let survivors: BTreeMap<i64, requester::Model> = requester::Entity::find()
        .filter(requester::Column::Id.is_in(merges.values().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    rows.into_iter()
        .map(|r| match merges.get(&r.id) {
            Some(into) => {
                let s = survivors.get(into).cloned().ok_or(StoreError::Corrupt(format!("requester merged into {into}")))?;
                Ok((r.email, s))
            }
            None => Ok((r.email.clone(), r)),
        })
        .collect()
}

/// The requester of an address, following a merge.
pub(crate) async fn requester_by_address(db: &impl ConnectionTrait, email: &str) -> Result<Option<requester::Model>> {
    let rows = requester::Entity::find().filter(requester::Column::Email.eq(email)).all(db).await?;
    Ok(follow_merges(db, rows).await?.into_iter().next().map(|(_, m)| m))
}

fn not_merged() -> sea_orm::sea_query::SimpleExpr {
    requester::Column::Id
        .not_in_subquery(Query::select().column(requester_merge::Column::MergedId).from(requester_merge::Entity).to_owned())
}

async fn replace_grants(txn: &impl ConnectionTrait, agent: AgentId, grants: &[(DepartmentId, RoleId)]) -> Result<()> {
    agent_department::Entity::delete_many().filter(agent_department::Column::AgentId.eq(agent.get())).exec(txn).await?;
    for (d, r) in grants {
        let row = agent_department::ActiveModel { agent_id: Set(agent.get()), department_id: Set(d.get()), role_id: Set(r.get()) };
        agent_department::Entity::insert(row).exec_without_returning(txn).await?;
    }
    Ok(())
}

async fn end_agent_sessions(txn: &impl ConnectionTrait, agent: AgentId) -> Result<()> {
    session::Entity::delete_many()
        .filter(session::Column::PrincipalKind.eq("agent"))
        .filter(session::Column::PrincipalId.eq(agent.get()))
        .exec(txn)
        .await?;
    Ok(())
}

impl Store {
    /// Every agent with their grants, by name.
    pub async fn agent_rows(&self) -> Result<Vec<AgentRow>> {
        let agents = agent::Entity::find().order_by_asc(agent::Column::Name).all(&self.read).await?;
        let grants = agent_department::Entity::find().all(&self.read).await?;
        agents
            .into_iter()
            .map(|m| {
                let mut g: Vec<(DepartmentId, RoleId)> =
                    grants.iter().filter(|g| g.agent_id == m.id).map(|g| (DepartmentId(g.department_id), RoleId(g.role_id))).collect();
                g.sort();
                let has_password = m.password_hash.is_some();
                let away = m.away;
                Ok(AgentRow { agent: to_agent(m)?, grants: g, has_password, away })
            })
            .collect()
    }

    /// Creates (`id: None`) or updates an agent and replaces their grants, with the audit
    /// entry; a new agent's invitation link is stored with them. A deactivated agent's
    /// sessions end in the same transaction (their keys are refused while they are inactive).
    pub async fn save_agent(&self, id: Option<AgentId>, s: AgentSettings, invite: Option<NewInvite>, audit: NewAudit) -> Result<Agent> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = agent::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    email: Set(s.email.as_str().to_string()),
                    name: Set(s.name.as_str().to_string()),
                    password_hash: NotSet,
                    is_admin: Set(s.is_admin),
                    active: Set(s.active),
                    created_at: if id.is_none() { Set(micros(at)) } else { NotSet },
                    ..Default::default()
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => {
                        let mut row = row;
                        row.password_hash = Set(None);
                        row.insert(txn).await?
                    }
                };
                let agent_id = AgentId(saved.id);
                replace_grants(txn, agent_id, &s.grants).await?;
                if !s.active {
                    end_agent_sessions(txn, agent_id).await?;
                }
                if let Some(inv) = invite {
                    let row = agent_invite::ActiveModel {
                        token_hash: Set(inv.token_hash.clone()),
                        agent_id: Set(saved.id),
                        created_at: Set(micros(at)),
                        expires_at: Set(micros(inv.expires_at)),
                        used_at: Set(None),
                    };
                    agent_invite::Entity::insert(row).exec_without_returning(txn).await?;
                    crate::entity::job::Entity::insert(crate::jobs::job_row(&inv.mail, at)?).exec_without_returning(txn).await?;
                }
                let created = id.is_none().then(|| saved.id.to_string());
                Ok((to_agent(saved)?, created))
            })
        })
        .await
    }

    /// Stores another invitation link for an agent (the earlier ones stop working).
    pub async fn reinvite_agent(&self, agent: AgentId, invite: NewInvite, audit: NewAudit) -> Result<()> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                agent_invite::Entity::update_many()
                    .col_expr(agent_invite::Column::UsedAt, Expr::value(micros(at)))
                    .filter(agent_invite::Column::AgentId.eq(agent.get()))
                    .filter(agent_invite::Column::UsedAt.is_null())
                    .exec(txn)
                    .await?;
                let row = agent_invite::ActiveModel {
                    token_hash: Set(invite.token_hash.clone()),
                    agent_id: Set(agent.get()),
                    created_at: Set(micros(at)),
                    expires_at: Set(micros(invite.expires_at)),
                    used_at: Set(None),
                };
                agent_invite::Entity::insert(row).exec_without_returning(txn).await?;
                crate::entity::job::Entity::insert(crate::jobs::job_row(&invite.mail, at)?).exec_without_returning(txn).await?;
                Ok(((), None))
            })
        })
        .await
    }

    /// The active agent a live (unused, unexpired) invitation link is for, without using it.
    pub async fn live_invite(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Agent>> {
        let Some(inv) = agent_invite::Entity::find_by_id(token_hash.to_string())
            .filter(agent_invite::Column::UsedAt.is_null())
            .filter(agent_invite::Column::ExpiresAt.gt(micros(now)))
            .one(&self.write)
            .await?
        else {
            return Ok(None);
        };
        let a = agent::Entity::find_by_id(inv.agent_id).one(&self.write).await?.map(to_agent).transpose()?;
        Ok(a.filter(|a| a.active))
    }

    /// Uses an invitation link once and sets the agent's password with it; every session of
    /// the agent ends. `None` when the link is not live or the agent is inactive.
    pub async fn accept_invite(&self, token_hash: &str, password_hash: &str, now: DateTime<Utc>) -> Result<Option<AgentId>> {
        let txn = self.write.begin().await?;
        let Some(inv) = agent_invite::Entity::find_by_id(token_hash.to_string()).one(&txn).await? else {
            return Ok(None);
        };
        let used = agent_invite::Entity::update_many()
            .col_expr(agent_invite::Column::UsedAt, Expr::value(micros(now)))
            .filter(agent_invite::Column::TokenHash.eq(token_hash))
            .filter(agent_invite::Column::UsedAt.is_null())
            .filter(agent_invite::Column::ExpiresAt.gt(micros(now)))
            .exec(&txn)
            .await?;
        let set = agent::Entity::update_many()
            .col_expr(agent::Column::PasswordHash, Expr::value(password_hash.to_string()))
            .filter(agent::Column::Id.eq(inv.agent_id))
            .filter(agent::Column::Active.eq(true))
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 || set.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(None);
        }
        end_agent_sessions(&txn, AgentId(inv.agent_id)).await?;
        txn.commit().await?;
        Ok(Some(AgentId(inv.agent_id)))
    }

    /// Every role with its permissions and how many grants hold it, by name.
    pub async fn role_rows(&self) -> Result<Vec<RoleRow>> {
        let roles = role::Entity::find().order_by_asc(role::Column::Name).all(&self.read).await?;
        let grants = agent_department::Entity::find().all(&self.read).await?;
        roles
            .into_iter()
            .map(|r| {
                Ok(RoleRow {
                    id: RoleId(r.id),
                    grants: grants.iter().filter(|g| g.role_id == r.id).count() as u64,
                    permissions: parse_permissions(&r.permissions)?,
                    name: r.name,
                })
            })
            .collect()
    }

    pub async fn save_role(&self, id: Option<RoleId>, s: RoleSettings, audit: NewAudit) -> Result<RoleId> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = role::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(s.name),
                    permissions: Set(format_permissions(&s.permissions)),
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => row.insert(txn).await?,
                };
                Ok((RoleId(saved.id), id.is_none().then(|| saved.id.to_string())))
            })
        })
        .await
    }

    /// Deletes a role no grant holds; `Conflict` when one does (checked in the transaction).
    pub async fn delete_role(&self, id: RoleId, audit: NewAudit) -> Result<()> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let used = agent_department::Entity::find().filter(agent_department::Column::RoleId.eq(id.get())).count(txn).await?;
                if used > 0 {
                    return Err(StoreError::Conflict("role in use".into()));
                }
                role::Entity::delete_by_id(id.get()).exec(txn).await?;
                Ok(((), None))
            })
        })
        .await
    }

    /// Requesters (not merged ones) whose name, address or phone contains `q`, by id after
    /// `after`: a keyset page of at most `limit`.
    pub async fn requester_rows(&self, q: Option<&str>, after: Option<RequesterId>, limit: u64) -> Result<Vec<RequesterRow>> {
        let mut find = requester::Entity::find().filter(not_merged());
        if let Some(condition) = q.and_then(|q| crate::directory::requester_text_condition(self.backend(), q)) {
            find = find.filter(condition);
        }
        if let Some(a) = after {
            find = find.filter(requester::Column::Id.gt(a.get()));
        }
        find.order_by_asc(requester::Column::Id).limit(limit).all(&self.read).await?.into_iter().map(|m| to_row(m, None)).collect()
    }

    /// One requester, merged or not.
    pub async fn requester_row(&self, id: RequesterId) -> Result<Option<RequesterRow>> {
        let Some(m) = requester::Entity::find_by_id(id.get()).one(&self.write).await? else { return Ok(None) };
        let merged = requester_merge::Entity::find_by_id(id.get()).one(&self.write).await?.map(|m| RequesterId(m.into_id));
        to_row(m, merged).map(Some)
    }

    /// The requester holding an address (merged ones too: the address stays theirs).
    pub async fn requester_holding(&self, email: &EmailAddress) -> Result<Option<RequesterId>> {
        Ok(requester::Entity::find().filter(requester::Column::Email.eq(email.as_str())).one(&self.write).await?.map(|m| RequesterId(m.id)))
    }

    pub async fn save_requester(&self, id: RequesterId, s: RequesterSettings, audit: NewAudit) -> Result<()> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let am = requester::ActiveModel {
                    id: Set(id.get()),
                    email: Set(s.email.as_str().to_string()),
                    name: Set(s.name.as_str().to_string()),
                    phone: Set(s.phone),
                    organisation_id: Set(s.organisation_id.map(OrganisationId::get)),
                    language: Set(s.language.map(|l| l.as_str().to_string())),
                    ..<requester::ActiveModel as Default>::default()
                };
                requester::Entity::update(am).exec(txn).await?;
                Ok(((), None))
            })
        })
        .await
    }

    /// What merging `from` would move: its tickets, collaborations, messages and open sessions.
    pub async fn merge_counts(&self, from: RequesterId) -> Result<MergeCounts> {
        merge_counts(&self.write, from).await
    }

    /// Merges `from` into `into` in one transaction: its tickets, collaborations and messages
    /// become `into`'s; its sessions end and its links stop working; it can no longer sign in
    /// (no password, and its address leads to `into`). The record stays, marked merged, so
    /// every reference to it keeps its history.
    pub async fn merge_requesters(&self, from: RequesterId, into: RequesterId, audit: NewAudit) -> Result<MergeCounts> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let counts = merge_counts(txn, from).await?;
                ticket::Entity::update_many()
                    .col_expr(ticket::Column::RequesterId, Expr::value(into.get()))
                    .col_expr(ticket::Column::Version, Expr::col(ticket::Column::Version).add(1))
                    .filter(ticket::Column::RequesterId.eq(from.get()))
                    .exec(txn)
                    .await?;
                // A collaboration `into` already has on the ticket (or on its own ticket) goes.
                let into_tickets = Query::select()
                    .column(collaborator::Column::TicketId)
                    .from(collaborator::Entity)
                    .and_where(collaborator::Column::RequesterId.eq(into.get()))
                    .to_owned();
                let own = Query::select()
                    .column(ticket::Column::Id)
                    .from(ticket::Entity)
                    .and_where(ticket::Column::RequesterId.eq(into.get()))
                    .to_owned();
                collaborator::Entity::delete_many()
                    .filter(collaborator::Column::RequesterId.eq(from.get()))
                    .filter(
                        Condition::any()
                            .add(collaborator::Column::TicketId.in_subquery(into_tickets))
                            .add(collaborator::Column::TicketId.in_subquery(own)),
                    )
                    .exec(txn)
                    .await?;
                collaborator::Entity::update_many()
                    .col_expr(collaborator::Column::RequesterId, Expr::value(into.get()))
                    .filter(collaborator::Column::RequesterId.eq(from.get()))
                    .exec(txn)
                    .await?;
                thread_entry::Entity::update_many()
                    .col_expr(thread_entry::Column::AuthorId, Expr::value(into.get()))
                    .filter(thread_entry::Column::AuthorKind.eq("requester"))
                    .filter(thread_entry::Column::AuthorId.eq(from.get()))
                    .exec(txn)
                    .await?;
                session::Entity::delete_many()
                    .filter(session::Column::PrincipalKind.is_in(["requester", "ticket_link"]))
                    .filter(session::Column::PrincipalId.eq(from.get()))
                    .exec(txn)
                    .await?;
                access_token::Entity::update_many()
                    .col_expr(access_token::Column::UsedAt, Expr::value(micros(at)))
                    .filter(access_token::Column::RequesterId.eq(from.get()))
                    .filter(access_token::Column::UsedAt.is_null())
                    .exec(txn)
                    .await?;
                requester::Entity::update_many()
                    .col_expr(requester::Column::PasswordHash, Expr::value(Option::<String>::None))
                    .filter(requester::Column::Id.eq(from.get()))
                    .exec(txn)
                    .await?;
                // Requesters merged into `from` earlier now lead to `into` directly.
                requester_merge::Entity::update_many()
                    .col_expr(requester_merge::Column::IntoId, Expr::value(into.get()))
                    .filter(requester_merge::Column::IntoId.eq(from.get()))
                    .exec(txn)
                    .await?;
                let row =
                    requester_merge::ActiveModel { merged_id: Set(from.get()), into_id: Set(into.get()), created_at: Set(micros(at)) };
                requester_merge::Entity::insert(row).exec_without_returning(txn).await?;
                Ok((counts, None))
            })
        })
        .await
    }

    /// Every organisation with its domain and how many requesters belong to it, by name.
    pub async fn organisation_rows(&self) -> Result<Vec<OrganisationRow>> {
        let orgs = organisation::Entity::find().order_by_asc(organisation::Column::Name).all(&self.read).await?;
        let members: Vec<(Option<i64>, i64)> = requester::Entity::find()
            .select_only()
            .column(requester::Column::OrganisationId)
            .column_as(requester::Column::Id.count(), "n")
            .filter(requester::Column::OrganisationId.is_not_null())
            .group_by(requester::Column::OrganisationId)
            .into_tuple()
            .all(&self.read)
            .await?;
        Ok(orgs
            .into_iter()
            .map(|o| OrganisationRow {
                requesters: members.iter().find(|(id, _)| *id == Some(o.id)).map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0)),
                organisation: Organisation { id: OrganisationId(o.id), name: o.name },
                domain: o.domain,
            })
            .collect())
    }

    pub async fn save_organisation(&self, id: Option<OrganisationId>, s: OrganisationSettings, audit: NewAudit) -> Result<Organisation> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = organisation::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(s.name),
                    domain: Set(s.domain),
                    created_at: if id.is_none() { Set(micros(at)) } else { NotSet },
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => row.insert(txn).await?,
                };
                let created = id.is_none().then(|| saved.id.to_string());
                Ok((Organisation { id: OrganisationId(saved.id), name: saved.name }, created))
            })
        })
        .await
    }

    /// The requesters of these addresses (a merged one's address gives the survivor).
    pub async fn requesters_by_addresses(&self, emails: &[String]) -> Result<BTreeMap<String, RequesterId>> {
        let mut out = BTreeMap::new();
        for chunk in emails.chunks(500) {
            let rows = requester::Entity::find().filter(requester::Column::Email.is_in(chunk.iter().cloned())).all(&self.write).await?;
            for (email, m) in follow_merges(&self.write, rows).await? {
                out.insert(email, RequesterId(m.id));
            }
        }
        Ok(out)
    }

    /// Imports checked rows in one transaction: new requesters are created (joining the
    /// organisation of their domain when the row names none); existing ones get the row's
    /// non-empty values. Returns (created, updated).
    pub async fn import_requesters(&self, rows: Vec<(ImportAction, ImportValues)>, audit: NewAudit) -> Result<(u64, u64)> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let domains: BTreeSet<String> = rows.iter().map(|(_, v)| v.email.domain().to_string()).collect();
                let by_domain = crate::accounts::organisations_by_domain(txn, domains.into_iter().collect()).await?;
                let (mut created, mut updated) = (0, 0);
                for (action, v) in rows {
                    match action {
                        ImportAction::Create => {
                            let name = v.name.clone().unwrap_or_else(|| PersonName::from_email(&v.email));
                            let org = v.organisation_id.map(OrganisationId::get).or_else(|| by_domain.get(v.email.domain()).copied());
                            let row = requester::ActiveModel {
                                id: NotSet,
                                email: Set(v.email.as_str().to_string()),
                                name: Set(name.as_str().to_string()),
                                phone: Set(v.phone),
                                organisation_id: Set(org),
                                language: Set(v.language.map(|l| l.as_str().to_string())),
                                password_hash: Set(None),
                                created_at: Set(micros(at)),
                                verification_pending: Set(false),
                            };
                            requester::Entity::insert(row).exec_without_returning(txn).await?;
                            created += 1;
                        }
                        ImportAction::Update(id) => {
                            let mut am = requester::ActiveModel { id: Set(id.get()), ..<requester::ActiveModel as Default>::default() };
                            if let Some(n) = v.name {
                                am.name = Set(n.as_str().to_string());
                            }
                            if let Some(p) = v.phone {
                                am.phone = Set(Some(p));
                            }
                            if let Some(o) = v.organisation_id {
                                am.organisation_id = Set(Some(o.get()));
                            }
                            if let Some(l) = v.language {
                                am.language = Set(Some(l.as_str().to_string()));
                            }
                            if am.is_changed() {
                                requester::Entity::update(am).exec(txn).await?;
                            }
                            updated += 1;
                        }
                    }
                }
                Ok(((created, updated), None))
            })
        })
        .await
    }

    /// When an agent last had an invitation sent that is still live.
    pub async fn live_invite_sent(&self, agent: AgentId, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let m = agent_invite::Entity::find()
            .filter(agent_invite::Column::AgentId.eq(agent.get()))
            .filter(agent_invite::Column::UsedAt.is_null())
            .filter(agent_invite::Column::ExpiresAt.gt(micros(now)))
            .order_by_desc(agent_invite::Column::CreatedAt)
            .one(&self.read)
            .await?;
        opt_time(m.map(|m| m.created_at))
    }
}

async fn merge_counts(db: &impl ConnectionTrait, from: RequesterId) -> Result<MergeCounts> {
    Ok(MergeCounts {
        tickets: ticket::Entity::find().filter(ticket::Column::RequesterId.eq(from.get())).count(db).await?,
        collaborations: collaborator::Entity::find().filter(collaborator::Column::RequesterId.eq(from.get())).count(db).await?,
        messages: thread_entry::Entity::find()
            .filter(thread_entry::Column::AuthorKind.eq("requester"))
            .filter(thread_entry::Column::AuthorId.eq(from.get()))
            .count(db)
            .await?,
        sessions: session::Entity::find()
            .filter(session::Column::PrincipalKind.is_in(["requester", "ticket_link"]))
            .filter(session::Column::PrincipalId.eq(from.get()))
            .count(db)
            .await?,
    })
}
