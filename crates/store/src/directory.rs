//! The organisation: departments, help topics and their forms, requesters, agents, roles and
//! API keys.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tikal_core::fields::FieldDef;
use tikal_core::org::{Agent, Department, HelpTopic, Organisation, Requester};
use tikal_core::permission::{Permission, format_permissions, parse_permissions};
use tikal_core::*;

use crate::convert::micros;
use crate::entity::{agent, agent_department, api_key, custom_field, department, help_topic, organisation, requester, role};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone)]
pub struct NewHelpTopic {
    pub name: String,
    pub parent_id: Option<HelpTopicId>,
    pub department_id: Option<DepartmentId>,
    pub default_priority: Option<Priority>,
    pub default_type: Option<TicketType>,
}

#[derive(Debug, Clone)]
pub struct NewCustomField {
    pub def: FieldDef,
    /// The help topic whose form shows it; `None` for every form.
    pub help_topic_id: Option<HelpTopicId>,
}

#[derive(Debug, Clone)]
pub struct NewAgent {
    pub email: EmailAddress,
    pub name: PersonName,
    pub password_hash: Option<String>,
    pub is_admin: bool,
}

pub(crate) fn to_department(m: department::Model) -> Result<Department> {
    Ok(Department {
        id: DepartmentId(m.id),
        name: m.name,
        parent_id: m.parent_id.map(DepartmentId),
        manager_id: m.manager_id.map(AgentId),
        email: m.email.as_deref().map(EmailAddress::parse).transpose()?,
        sla_plan_id: m.sla_plan_id.map(SlaPlanId),
        auto_assign: m.auto_assign.parse()?,
        active: m.active,
    })
}

pub(crate) fn to_topic(m: help_topic::Model) -> Result<HelpTopic> {
    Ok(HelpTopic {
        id: HelpTopicId(m.id),
        name: m.name,
        parent_id: m.parent_id.map(HelpTopicId),
        department_id: m.department_id.map(DepartmentId),
        default_priority: m.default_priority.map(|p| Priority::try_from(i64::from(p))).transpose()?,
        default_type: m.default_type.as_deref().map(str::parse).transpose()?,
        active: m.active,
        portal_visible: m.portal_visible,
        sla_plan_id: m.sla_plan_id.map(SlaPlanId),
        description: m.description,
        sort: m.sort,
    })
}

fn to_field(m: custom_field::Model) -> Result<FieldDef> {
    Ok(FieldDef {
        key: m.key,
        label: m.label,
        kind: m.kind.parse()?,
        options: serde_json::from_str(&m.options).map_err(|e| StoreError::Corrupt(format!("field options: {e}")))?,
        required: m.required,
    })
}

pub(crate) fn to_requester(m: requester::Model) -> Result<Requester> {
    Ok(Requester {
        id: RequesterId(m.id),
        email: EmailAddress::parse(&m.email)?,
        name: PersonName::parse(&m.name)?,
        organisation_id: m.organisation_id.map(OrganisationId),
    })
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

impl Store {
    pub async fn create_department(&self, name: &str, parent: Option<DepartmentId>, at: DateTime<Utc>) -> Result<Department> {
        let row = department::ActiveModel {
            id: NotSet,
            name: Set(name.to_string()),
            parent_id: Set(parent.map(DepartmentId::get)),
            created_at: Set(micros(at)),
            ..Default::default()
        };
        let d = to_department(row.insert(&self.write).await?)?;
        self.catalog_changed();
        Ok(d)
    }

    /// First start: when there is no department at all, creates `department` and a help topic
    /// `topic` routed to it, so tickets can be opened at once; returns them. Does nothing (and
    /// returns `None`) once any department exists, so one renamed or removed by an
    /// administrator is never brought back. Safe when several nodes start at once: on
    /// PostgreSQL a transaction-scoped advisory lock serialises the check and the inserts; on
    /// SQLite the transaction takes the write lock before it looks.
    pub async fn ensure_default_catalog(
        &self,
        department: &str,
        topic: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<(Department, HelpTopic)>> {
        let backend = self.write.get_database_backend();
        let txn = match backend {
            DbBackend::Sqlite => {
                let options = TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
                self.write.begin_with_options(options).await?
            }
            _ => {
                let txn = self.write.begin().await?;
                // Any constant works; this one reads "tikalcat".
                txn.execute_raw(Statement::from_string(backend, "SELECT pg_advisory_xact_lock(8388353847128711540)")).await?;
                txn
            }
        };
        if department::Entity::find().count(&txn).await? > 0 {
            txn.rollback().await?;
            return Ok(None);
        }
        let d = department::ActiveModel {
            name: Set(department.to_string()),
            parent_id: Set(None),
            created_at: Set(micros(at)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let t = help_topic::ActiveModel {
            id: NotSet,
            name: Set(topic.to_string()),
            parent_id: Set(None),
            department_id: Set(Some(d.id)),
            default_priority: Set(None),
            default_type: Set(None),
            active: Set(true),
            sort: Set(0),
            portal_visible: Set(true),
            sla_plan_id: Set(None),
            description: Set(String::new()),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        self.catalog_changed();
        Ok(Some((to_department(d)?, to_topic(t)?)))
    }

    pub async fn departments(&self) -> Result<Vec<Department>> {
        department::Entity::find().order_by_asc(department::Column::Name).all(&self.read).await?.into_iter().map(to_department).collect()
    }

    pub async fn create_help_topic(&self, t: NewHelpTopic) -> Result<HelpTopic> {
        let row = help_topic::ActiveModel {
            id: NotSet,
            name: Set(t.name),
            parent_id: Set(t.parent_id.map(HelpTopicId::get)),
            department_id: Set(t.department_id.map(DepartmentId::get)),
            default_priority: Set(t.default_priority.map(|p| i16::from(p.level()))),
            default_type: Set(t.default_type.map(|k| k.as_str().to_string())),
            active: Set(true),
            sort: Set(0),
            portal_visible: Set(true),
            sla_plan_id: Set(None),
            description: Set(String::new()),
        };
        let t = to_topic(row.insert(&self.write).await?)?;
        self.catalog_changed();
        Ok(t)
    }

    pub async fn help_topics(&self) -> Result<Vec<HelpTopic>> {
        help_topic::Entity::find()
            .order_by_asc(help_topic::Column::Sort)
            .order_by_asc(help_topic::Column::Name)
            .all(&self.read)
            .await?
            .into_iter()
            .map(to_topic)
            .collect()
    }

    pub async fn create_custom_field(&self, f: NewCustomField) -> Result<()> {
        let row = custom_field::ActiveModel {
            id: NotSet,
            key: Set(f.def.key),
            label_es: Set(f.def.label.clone()),
            label_en: Set(f.def.label.clone()),
            help_es: Set(String::new()),
            help_en: Set(String::new()),
            required_for: Set(if f.def.required { "requester" } else { "none" }.to_string()),
            active: Set(true),
            label: Set(f.def.label),
            kind: Set(f.def.kind.as_str().to_string()),
            options: Set(serde_json::to_string(&f.def.options).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            required: Set(f.def.required),
            help_topic_id: Set(f.help_topic_id.map(HelpTopicId::get)),
            sort: Set(0),
        };
        custom_field::Entity::insert(row).exec_without_returning(&self.write).await?;
        self.catalog_changed();
        Ok(())
    }

    /// Every custom field with the help topic whose form shows it (`None`: every form).
    pub async fn custom_fields(&self) -> Result<Vec<(Option<HelpTopicId>, FieldDef)>> {
        let rows = custom_field::Entity::find()
            .order_by_asc(custom_field::Column::Sort)
            .order_by_asc(custom_field::Column::Id)
            .all(&self.read)
            .await?;
        rows.into_iter().map(|r| Ok((r.help_topic_id.map(HelpTopicId), to_field(r)?))).collect()
    }

    pub async fn requesters_by_ids(&self, ids: &[RequesterId]) -> Result<Vec<Requester>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        requester::Entity::find()
            .filter(requester::Column::Id.is_in(ids.iter().map(|i| i.get())))
            .all(&self.read)
            .await?
            .into_iter()
            .map(to_requester)
            .collect()
    }

    /// Requesters whose name, e-mail or phone contains `text` (case aside), with their phone;
    /// at most `limit`, by name. A text of three characters or more is looked up in a trigram
    /// index: on PostgreSQL those of migration `m0024` (at a few thousand requesters its
    /// planner would rather lower every requester's three columns, 3-6 ms, than read them,
    /// well under a millisecond, so scans are ruled out for the statement); on SQLite the FTS5
    /// table of `m0025`, which also folds the case of letters beyond ASCII. Shorter texts scan
    /// the requesters.
    pub async fn search_requesters(&self, text: &str, limit: u64) -> Result<Vec<(Requester, Option<String>)>> {
        let Some(condition) = requester_text_condition(self.backend(), text) else {
            return Ok(Vec::new());
        };
        let find = requester::Entity::find().filter(condition).order_by_asc(requester::Column::Name).limit(limit);
        let rows = if self.backend() == DbBackend::Postgres && trigram_searchable(text) {
            let txn = self.read.begin().await?;
            txn.execute_unprepared("SET LOCAL enable_seqscan = off").await?;
            let rows = find.all(&txn).await?;
            txn.commit().await?;
            rows
        } else {
            find.all(&self.read).await?
        };
        rows.into_iter()
            .map(|m| {
                let phone = m.phone.clone();
                Ok((to_requester(m)?, phone))
            })
            .collect()
    }

    /// Records a requester's phone number when none is known yet (an operator's note of the
    /// number a caller rang from never replaces one the requester gave).
    pub async fn set_requester_phone_if_missing(&self, id: RequesterId, phone: &str) -> Result<()> {
        requester::Entity::update_many()
            .col_expr(requester::Column::Phone, Expr::value(phone.to_string()))
            .filter(requester::Column::Id.eq(id.get()))
            .filter(requester::Column::Phone.is_null())
            .exec(&self.write)
            .await?;
        Ok(())
    }

    pub async fn requester_by_email(&self, email: &EmailAddress) -> Result<Option<Requester>> {
        crate::people::requester_by_address(&self.read, email.as_str()).await?.map(to_requester).transpose()
    }

    /// An organisation; requesters whose address is at `domain` join it when they first appear.
    pub async fn create_organisation(&self, name: &str, domain: Option<&str>, at: DateTime<Utc>) -> Result<Organisation> {
        let row = organisation::ActiveModel {
            id: NotSet,
            name: Set(name.to_string()),
            domain: Set(domain.map(|d| d.trim().to_lowercase())),
            created_at: Set(micros(at)),
        };
        let m = row.insert(&self.write).await?;
        Ok(Organisation { id: OrganisationId(m.id), name: m.name })
    }

    pub async fn organisations(&self) -> Result<Vec<(Organisation, Option<String>)>> {
        Ok(organisation::Entity::find()
            .order_by_asc(organisation::Column::Name)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|m| (Organisation { id: OrganisationId(m.id), name: m.name }, m.domain))
            .collect())
    }

    pub async fn set_requester_organisation(&self, requester: RequesterId, org: Option<OrganisationId>) -> Result<()> {
        let am = requester::ActiveModel {
            id: Set(requester.get()),
            organisation_id: Set(org.map(OrganisationId::get)),
            ..<requester::ActiveModel as Default>::default()
        };
        requester::Entity::update(am).exec(&self.write).await?;
        Ok(())
    }

    pub async fn create_agent(&self, a: NewAgent, at: DateTime<Utc>) -> Result<Agent> {
        self.create_agent_with_grants(a, &[], at).await
    }

    /// An agent by sign-in address, with the stored password hash (none: cannot sign in).
    pub async fn agent_login(&self, email: &EmailAddress) -> Result<Option<(Agent, Option<String>)>> {
        let Some(m) = agent::Entity::find().filter(agent::Column::Email.eq(email.as_str())).one(&self.read).await? else {
            return Ok(None);
        };
        let hash = m.password_hash.clone();
        Ok(Some((to_agent(m)?, hash)))
    }

    /// A role's id by name.
    pub async fn role_by_name(&self, name: &str) -> Result<Option<RoleId>> {
        Ok(role::Entity::find().filter(role::Column::Name.eq(name)).one(&self.read).await?.map(|r| RoleId(r.id)))
    }

    /// Creates an agent with their role in each department, all or nothing. An address
    /// already used by an agent is a conflict.
    pub async fn create_agent_with_grants(&self, a: NewAgent, grants: &[(DepartmentId, RoleId)], at: DateTime<Utc>) -> Result<Agent> {
        let txn = self.write.begin().await?;
        let row = agent::ActiveModel {
            id: NotSet,
            email: Set(a.email.as_str().to_string()),
            name: Set(a.name.as_str().to_string()),
            password_hash: Set(a.password_hash),
            is_admin: Set(a.is_admin),
            active: Set(true),
            created_at: Set(micros(at)),
            ..Default::default()
        };
        let agent = to_agent(row.insert(&txn).await?)?;
        for (dept, role) in grants {
            let row =
                agent_department::ActiveModel { agent_id: Set(agent.id.get()), department_id: Set(dept.get()), role_id: Set(role.get()) };
            agent_department::Entity::insert(row).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        Ok(agent)
    }

    pub async fn agents(&self) -> Result<Vec<Agent>> {
        agent::Entity::find().order_by_asc(agent::Column::Name).all(&self.read).await?.into_iter().map(to_agent).collect()
    }

    pub async fn agent(&self, id: AgentId) -> Result<Option<Agent>> {
        agent::Entity::find_by_id(id.get()).one(&self.read).await?.map(to_agent).transpose()
    }

    /// Creates the built-in roles if they are missing; returns every role's id by name.
    pub async fn ensure_builtin_roles(&self) -> Result<BTreeMap<String, RoleId>> {
        let existing = role::Entity::find().all(&self.write).await?;
        for (name, perms) in tikal_core::permission::builtin_roles() {
            if !existing.iter().any(|r| r.name == name) {
                let row = role::ActiveModel { id: NotSet, name: Set(name.to_string()), permissions: Set(format_permissions(&perms)) };
                role::Entity::insert(row).exec_without_returning(&self.write).await?;
            }
        }
        Ok(role::Entity::find().all(&self.write).await?.into_iter().map(|r| (r.name, RoleId(r.id))).collect())
    }

    /// Grants `role` to the agent in a department (replacing an earlier grant there).
    pub async fn grant(&self, agent: AgentId, dept: DepartmentId, role: RoleId) -> Result<()> {
        agent_department::Entity::delete_many()
            .filter(agent_department::Column::AgentId.eq(agent.get()))
            .filter(agent_department::Column::DepartmentId.eq(dept.get()))
            .exec(&self.write)
            .await?;
        let row = agent_department::ActiveModel { agent_id: Set(agent.get()), department_id: Set(dept.get()), role_id: Set(role.get()) };
        agent_department::Entity::insert(row).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// The permissions each agent holds in one department through their role there
    /// (administrators hold all of them everywhere and are not listed). Two queries, whatever
    /// the number of agents.
    pub async fn department_grants(&self, dept: DepartmentId) -> Result<Vec<(AgentId, Vec<Permission>)>> {
        let grants = agent_department::Entity::find().filter(agent_department::Column::DepartmentId.eq(dept.get())).all(&self.read).await?;
        let roles: BTreeMap<i64, String> = role::Entity::find().all(&self.read).await?.into_iter().map(|r| (r.id, r.permissions)).collect();
        grants
            .into_iter()
            .map(|g| {
                let perms = roles.get(&g.role_id).ok_or(StoreError::Corrupt(format!("role {}", g.role_id)))?;
                Ok((AgentId(g.agent_id), parse_permissions(perms)?.into_iter().collect()))
            })
            .collect()
    }

    /// What an agent may do, per department. Inactive agents may do nothing.
    pub async fn agent_access(&self, id: AgentId) -> Result<Access> {
        let Some(a) = agent::Entity::find_by_id(id.get()).one(&self.read).await? else {
            return Err(StoreError::NotFound("agent"));
        };
        if !a.active {
            return Ok(Access::default());
        }
        if a.is_admin {
            return Ok(Access::full());
        }
        let grants = agent_department::Entity::find().filter(agent_department::Column::AgentId.eq(id.get())).all(&self.read).await?;
        let roles: BTreeMap<i64, String> = role::Entity::find().all(&self.read).await?.into_iter().map(|r| (r.id, r.permissions)).collect();
        let mut access = Access::default();
        for g in grants {
            let perms = roles.get(&g.role_id).ok_or(StoreError::Corrupt(format!("role {}", g.role_id)))?;
            let perms: Vec<Permission> = parse_permissions(perms)?.into_iter().collect();
            access.grant(DepartmentId(g.department_id), perms);
        }
        Ok(access)
    }

    pub async fn create_api_key(&self, name: &str, key_hash: &str, at: DateTime<Utc>) -> Result<ApiKeyId> {
        let row = api_key::ActiveModel {
            id: NotSet,
            name: Set(name.to_string()),
            key_hash: Set(key_hash.to_string()),
            revoked: Set(false),
            created_at: Set(micros(at)),
        };
        Ok(ApiKeyId(api_key::Entity::insert(row).exec(&self.write).await?.last_insert_id))
    }

    /// Every key: (id, name, created, revoked).
    pub async fn api_keys(&self) -> Result<Vec<(ApiKeyId, String, DateTime<Utc>, bool)>> {
        api_key::Entity::find()
            .order_by_asc(api_key::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|k| Ok((ApiKeyId(k.id), k.name, crate::convert::time(k.created_at)?, k.revoked)))
            .collect()
    }

    /// Revokes a key; `false` when there is no such key.
    pub async fn revoke_api_key(&self, id: ApiKeyId) -> Result<bool> {
        let res = api_key::Entity::update_many()
            .col_expr(api_key::Column::Revoked, sea_orm::sea_query::Expr::value(true))
            .filter(api_key::Column::Id.eq(id.get()))
            .exec(&self.write)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// The live key with this hash: (id, name).
    pub async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<(ApiKeyId, String)>> {
        Ok(api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .filter(api_key::Column::Revoked.eq(false))
            .one(&self.read)
            .await?
            .map(|k| (ApiKeyId(k.id), k.name)))
    }
}

/// Whether a trigram index can answer `text`: three characters or more (one trigram).
fn trigram_searchable(text: &str) -> bool {
    text.trim().chars().count() >= 3
}

/// "The requester's name, address or phone contains `text`", case aside; `None` when there is
/// nothing to look for. On SQLite a text of three characters or more asks the trigram table of
/// migration `m0025`, one FTS5 phrase (the text as typed, quotes doubled), which folds the case
/// of every letter where `lower` folds ASCII only; otherwise `lower(column) LIKE`, which
/// PostgreSQL answers from the trigram indexes of `m0024`.
pub(crate) fn requester_text_condition(backend: DbBackend, text: &str) -> Option<Condition> {
    let pattern = crate::convert::contains_pattern(text)?;
    if backend != DbBackend::Postgres && trigram_searchable(text) {
        let phrase = format!("\"{}\"", text.trim().replace('"', "\"\""));
        return Some(Condition::all().add(Expr::cust_with_values(
            "\"requesters\".\"id\" IN (SELECT rowid FROM requester_trgm WHERE requester_trgm MATCH ?)",
            [phrase],
        )));
    }
    let like = |col: requester::Column| crate::convert::lower_like(col, &pattern);
    Some(Condition::any().add(like(requester::Column::Name)).add(like(requester::Column::Email)).add(like(requester::Column::Phone)))
}
