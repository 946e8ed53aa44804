//! Requester accounts, sessions, single-use tokens and login attempts.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, Set};
use tikal_core::org::Requester;
use tikal_core::*;

use crate::convert::{micros, time};
use crate::entity::{access_token, login_attempt, organisation, requester, session};
use crate::{Result, Store, StoreError};

/// Who a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOwner {
    Requester(RequesterId),
    Agent(AgentId),
    /// Opened from a status-check link: one ticket of one requester, nothing else.
    TicketLink {
        requester: RequesterId,
        ticket: TicketId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub owner: SessionOwner,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    TicketLink,
    PasswordReset,
    VerifyEmail,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::TicketLink => "ticket_link",
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::VerifyEmail => "verify_email",
        }
    }
}

/// A sign-in attempt written before its password was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInAttempt {
    pub id: i64,
    /// Other attempts of the same subject within the window (failures, and attempts running now).
    pub earlier: u64,
    /// When the latest of those was made.
    pub latest: Option<DateTime<Utc>>,
}

/// A requester's stored profile and password hash.
#[derive(Debug, Clone)]
pub struct RequesterAccount {
    pub requester: Requester,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub password_hash: Option<String>,
    /// Registered but the address is not confirmed yet: may not sign in.
    pub verification_pending: bool,
}

fn to_account(m: requester::Model) -> Result<RequesterAccount> {
    Ok(RequesterAccount {
        phone: m.phone.clone(),
        language: m.language.clone(),
        password_hash: m.password_hash.clone(),
        verification_pending: m.verification_pending,
        requester: crate::directory::to_requester(m)?,
    })
}

/// The organisations of these e-mail domains (an organisation claims a domain).
pub(crate) async fn organisations_by_domain<C: sea_orm::ConnectionTrait>(
    db: &C,
    domains: Vec<String>,
) -> Result<std::collections::BTreeMap<String, i64>> {
    if domains.is_empty() {
        return Ok(Default::default());
    }
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Domain.is_in(domains))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|o| o.domain.map(|d| (d, o.id)))
        .collect())
}

impl Store {
    pub async fn requester_account(&self, email: &EmailAddress) -> Result<Option<RequesterAccount>> {
        requester::Entity::find().filter(requester::Column::Email.eq(email.as_str())).one(&self.write).await?.map(to_account).transpose()
    }

    pub async fn requester_account_by_id(&self, id: RequesterId) -> Result<Option<RequesterAccount>> {
        requester::Entity::find_by_id(id.get()).one(&self.read).await?.map(to_account).transpose()
    }

    /// Creates a requester with a password, or sets the password of one known only from
    /// tickets (someone who wrote before registering). An existing password is a conflict.
    pub async fn register_requester(
        &self,
        email: &EmailAddress,
        name: &PersonName,
        password_hash: &str,
        language: Option<&str>,
        pending: bool,
        at: DateTime<Utc>,
    ) -> Result<RequesterId> {
        match requester::Entity::find().filter(requester::Column::Email.eq(email.as_str())).one(&self.write).await? {
            Some(existing) if existing.password_hash.is_some() => Err(StoreError::Conflict("account exists".into())),
            Some(existing) => {
                let id = existing.id;
                let mut am: requester::ActiveModel = existing.into();
                am.name = Set(name.as_str().to_string());
                am.password_hash = Set(Some(password_hash.to_string()));
                am.language = Set(language.map(str::to_string));
                am.verification_pending = Set(pending);
                am.update(&self.write).await?;
                Ok(RequesterId(id))
            }
            None => {
                let orgs = organisations_by_domain(&self.write, vec![email.domain().to_string()]).await?;
                let row = requester::ActiveModel {
                    id: NotSet,
                    email: Set(email.as_str().to_string()),
                    name: Set(name.as_str().to_string()),
                    phone: Set(None),
                    organisation_id: Set(orgs.get(email.domain()).copied()),
                    language: Set(language.map(str::to_string)),
                    password_hash: Set(Some(password_hash.to_string())),
                    created_at: Set(micros(at)),
                    verification_pending: Set(pending),
                };
                Ok(RequesterId(requester::Entity::insert(row).exec(&self.write).await?.last_insert_id))
            }
        }
    }

    pub async fn update_requester_profile(
        &self,
        id: RequesterId,
        name: &PersonName,
        phone: Option<&str>,
        language: Option<&str>,
    ) -> Result<()> {
        let am = requester::ActiveModel {
            id: Set(id.get()),
            name: Set(name.as_str().to_string()),
            phone: Set(phone.map(str::to_string)),
            language: Set(language.map(str::to_string)),
            ..<requester::ActiveModel as Default>::default()
        };
        requester::Entity::update(am).exec(&self.write).await?;
        Ok(())
    }

    pub async fn confirm_requester(&self, id: RequesterId) -> Result<()> {
        let am = requester::ActiveModel {
            id: Set(id.get()),
            verification_pending: Set(false),
            ..<requester::ActiveModel as Default>::default()
        };
        requester::Entity::update(am).exec(&self.write).await?;
        Ok(())
    }

    pub async fn set_requester_password(&self, id: RequesterId, password_hash: &str) -> Result<()> {
        let am = requester::ActiveModel {
            id: Set(id.get()),
            password_hash: Set(Some(password_hash.to_string())),
            ..<requester::ActiveModel as Default>::default()
        };
        requester::Entity::update(am).exec(&self.write).await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        owner: &SessionOwner,
        csrf_token: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let (kind, principal, ticket) = match owner {
            SessionOwner::Requester(id) => ("requester", id.get(), None),
            SessionOwner::Agent(id) => ("agent", id.get(), None),
            SessionOwner::TicketLink { requester, ticket } => ("ticket_link", requester.get(), Some(ticket.get())),
        };
        let row = session::ActiveModel {
            id_hash: Set(id_hash.to_string()),
            principal_kind: Set(kind.to_string()),
            principal_id: Set(principal),
            ticket_id: Set(ticket),
            csrf_token: Set(csrf_token.to_string()),
            created_at: Set(micros(at)),
            expires_at: Set(micros(expires_at)),
        };
        session::Entity::insert(row).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// The live session with this id hash.
    pub async fn session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let Some(m) =
            session::Entity::find_by_id(id_hash.to_string()).filter(session::Column::ExpiresAt.gt(micros(now))).one(&self.read).await?
        else {
            return Ok(None);
        };
        let owner = match (m.principal_kind.as_str(), m.ticket_id) {
            ("requester", _) => SessionOwner::Requester(RequesterId(m.principal_id)),
            ("agent", _) => SessionOwner::Agent(AgentId(m.principal_id)),
            ("ticket_link", Some(t)) => SessionOwner::TicketLink { requester: RequesterId(m.principal_id), ticket: TicketId(t) },
            (other, _) => return Err(StoreError::Corrupt(format!("session kind {other}"))),
        };
        Ok(Some(SessionRecord { owner, csrf_token: m.csrf_token, expires_at: time(m.expires_at)? }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        session::Entity::delete_by_id(id_hash.to_string()).exec(&self.write).await?;
        Ok(())
    }

    /// Ends every session of a requester (after a password change or reset).
    pub async fn delete_requester_sessions(&self, id: RequesterId) -> Result<()> {
        session::Entity::delete_many()
            .filter(session::Column::PrincipalKind.eq("requester"))
            .filter(session::Column::PrincipalId.eq(id.get()))
            .exec(&self.write)
            .await?;
        Ok(())
    }

    pub async fn create_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        requester: RequesterId,
        ticket: Option<TicketId>,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let row = access_token::ActiveModel {
            token_hash: Set(token_hash.to_string()),
            purpose: Set(purpose.as_str().to_string()),
            requester_id: Set(requester.get()),
            ticket_id: Set(ticket.map(TicketId::get)),
            expires_at: Set(micros(expires_at)),
            used_at: Set(None),
            created_at: Set(micros(at)),
        };
        access_token::Entity::insert(row).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// Uses a token once: marks it used and returns (requester, ticket) if it was live.
    pub async fn consume_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<(RequesterId, Option<TicketId>)>> {
        let res = access_token::Entity::update_many()
            .col_expr(access_token::Column::UsedAt, sea_orm::sea_query::Expr::value(micros(now)))
            .filter(access_token::Column::TokenHash.eq(token_hash))
            .filter(access_token::Column::Purpose.eq(purpose.as_str()))
            .filter(access_token::Column::UsedAt.is_null())
            .filter(access_token::Column::ExpiresAt.gt(micros(now)))
            .exec(&self.write)
            .await?;
        if res.rows_affected != 1 {
            return Ok(None);
        }
        let row = access_token::Entity::find_by_id(token_hash.to_string()).one(&self.write).await?.ok_or(StoreError::NotFound("token"))?;
        Ok(Some((RequesterId(row.requester_id), row.ticket_id.map(TicketId))))
    }

    /// Deletes what has expired: sessions, used or expired links, attempts and idempotency
    /// records older than a day. Safe to run on several nodes at once.
    pub async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let day_ago = micros(now - chrono::Duration::days(1));
        let mut removed = 0;
        removed +=
            session::Entity::delete_many().filter(session::Column::ExpiresAt.lte(micros(now))).exec(&self.write).await?.rows_affected;
        removed +=
            access_token::Entity::delete_many().filter(access_token::Column::ExpiresAt.lte(day_ago)).exec(&self.write).await?.rows_affected;
        removed +=
            login_attempt::Entity::delete_many().filter(login_attempt::Column::At.lte(day_ago)).exec(&self.write).await?.rows_affected;
        removed += crate::entity::idempotency_key::Entity::delete_many()
            .filter(crate::entity::idempotency_key::Column::CreatedAt.lte(day_ago))
            .exec(&self.write)
            .await?
            .rows_affected;
        Ok(removed)
    }

    /// Records a sign-in attempt for `subject` *before* its password is checked, and tells how
    /// many other attempts the subject has had since `since` and when the latest was. Writing
    /// first makes concurrent attempts see each other: of N at once, at most the allowance gets
    /// through to the password check.
    pub async fn begin_sign_in_attempt(&self, subject: &str, at: DateTime<Utc>, since: DateTime<Utc>) -> Result<SignInAttempt> {
        let row = login_attempt::ActiveModel { id: NotSet, subject: Set(subject.to_string()), at: Set(micros(at)) };
        let id = login_attempt::Entity::insert(row).exec(&self.write).await?.last_insert_id;
        let others = login_attempt::Entity::find()
            .filter(login_attempt::Column::Subject.eq(subject))
            .filter(login_attempt::Column::At.gt(micros(since)))
            .filter(login_attempt::Column::Id.ne(id))
            .all(&self.write)
            .await?;
        let latest = others.iter().map(|a| a.at).max().map(time).transpose()?;
        Ok(SignInAttempt { id, earlier: others.len() as u64, latest })
    }

    /// Takes back an attempt that was refused before its password was checked (it does not
    /// count as a failure).
    pub async fn forget_sign_in_attempt(&self, id: i64) -> Result<()> {
        login_attempt::Entity::delete_by_id(id).exec(&self.write).await?;
        Ok(())
    }

    /// Clears a subject's attempts (after a successful sign-in).
    pub async fn clear_sign_in_attempts(&self, subject: &str) -> Result<()> {
        login_attempt::Entity::delete_many().filter(login_attempt::Column::Subject.eq(subject)).exec(&self.write).await?;
        Ok(())
    }

    pub async fn record_attempts(&self, subjects: &[String], at: DateTime<Utc>) -> Result<()> {
        let rows = subjects.iter().map(|s| login_attempt::ActiveModel { id: NotSet, subject: Set(s.clone()), at: Set(micros(at)) });
        login_attempt::Entity::insert_many(rows).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// Attempts counted for `subject` (failed sign-ins of an account or a client, links mailed
    /// to an address) since `since`.
    pub async fn count_attempts(&self, subject: &str, since: DateTime<Utc>) -> Result<u64> {
        Ok(login_attempt::Entity::find()
            .filter(login_attempt::Column::Subject.eq(subject))
            .filter(login_attempt::Column::At.gt(micros(since)))
            .count(&self.write)
            .await?)
    }
}
