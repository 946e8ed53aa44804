//! Requester accounts, sessions, single-use tokens and login attempts.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, Set};
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
    /// When a request last used it (updated at most once a minute).
    pub last_seen_at: DateTime<Utc>,
}

/// The registration an address-confirmation link carries: it takes effect only when the owner
/// of the address follows the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRegistration {
    pub password_hash: String,
    pub name: PersonName,
    pub language: Option<String>,
}

/// A live single-use link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken {
    pub requester: RequesterId,
    pub ticket: Option<TicketId>,
    pub registration: Option<PendingRegistration>,
}

fn to_link(m: access_token::Model) -> Result<LinkToken> {
    let registration = match (m.password_hash, m.name) {
        (Some(password_hash), Some(name)) => Some(PendingRegistration {
            password_hash,
            name: PersonName::parse(&name).map_err(|e| StoreError::Corrupt(format!("pending name: {e}")))?,
            language: m.language,
        }),
        _ => None,
    };
    Ok(LinkToken { requester: RequesterId(m.requester_id), ticket: m.ticket_id.map(TicketId), registration })
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
        crate::people::requester_by_address(&self.write, email.as_str()).await?.map(to_account).transpose()
    }

    pub async fn requester_account_by_id(&self, id: RequesterId) -> Result<Option<RequesterAccount>> {
        requester::Entity::find_by_id(id.get()).one(&self.read).await?.map(to_account).transpose()
    }

    /// Creates a new requester with a password, outside any organisation (nobody has
    /// confirmed the address). An address already known is a conflict: registration must never
    /// take over a requester (ADR 006).
    pub async fn create_requester_account(
        &self,
        email: &EmailAddress,
        name: &PersonName,
        password_hash: &str,
        language: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<RequesterId> {
        let row = requester::ActiveModel {
            id: NotSet,
            email: Set(email.as_str().to_string()),
            name: Set(name.as_str().to_string()),
            phone: Set(None),
            organisation_id: Set(None),
            language: Set(language.map(str::to_string)),
            password_hash: Set(Some(password_hash.to_string())),
            created_at: Set(micros(at)),
            verification_pending: Set(false),
        };
        Ok(RequesterId(requester::Entity::insert(row).exec(&self.write).await?.last_insert_id))
    }

    /// The requester of an address, created without password or organisation if unknown (the
    /// holder of an address-confirmation link).
    pub async fn ensure_requester(&self, email: &EmailAddress, name: &PersonName, at: DateTime<Utc>) -> Result<RequesterId> {
        if let Some(r) = crate::people::requester_by_address(&self.write, email.as_str()).await? {
            return Ok(RequesterId(r.id));
        }
        let row = requester::ActiveModel {
            id: NotSet,
            email: Set(email.as_str().to_string()),
            name: Set(name.as_str().to_string()),
            phone: Set(None),
            organisation_id: Set(None),
            language: Set(None),
            password_hash: Set(None),
            created_at: Set(micros(at)),
            verification_pending: Set(false),
        };
        match requester::Entity::insert(row).exec(&self.write).await.map_err(StoreError::from) {
            Ok(r) => Ok(RequesterId(r.last_insert_id)),
            // Created meanwhile by another request.
            Err(StoreError::Conflict(_)) => requester::Entity::find()
                .filter(requester::Column::Email.eq(email.as_str()))
                .one(&self.write)
                .await?
                .map(|r| RequesterId(r.id))
                .ok_or(StoreError::NotFound("requester")),
            Err(e) => Err(e),
        }
    }

    /// The owner of the address confirmed it: the registration takes effect (password, name,
    /// language) and the requester joins the organisation of their e-mail domain, if any.
    pub async fn confirm_registration(&self, id: RequesterId, registration: Option<&PendingRegistration>) -> Result<()> {
        let r = requester::Entity::find_by_id(id.get()).one(&self.write).await?.ok_or(StoreError::NotFound("requester"))?;
        let organisation = match r.organisation_id {
            Some(o) => Some(o),
            None => {
                let domain = r.email.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
                organisations_by_domain(&self.write, vec![domain.clone()]).await?.get(&domain).copied()
            }
        };
        let mut am = requester::ActiveModel {
            id: Set(id.get()),
            organisation_id: Set(organisation),
            verification_pending: Set(false),
            ..<requester::ActiveModel as Default>::default()
        };
        if let Some(reg) = registration {
            am.password_hash = Set(Some(reg.password_hash.clone()));
            am.name = Set(reg.name.as_str().to_string());
            am.language = Set(reg.language.clone());
        }
        requester::Entity::update(am).exec(&self.write).await?;
        Ok(())
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
            last_seen_at: Set(micros(at)),
        };
        session::Entity::insert(row).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// The live session with this id hash: not expired, begun after `begun_after` (the
    /// absolute lifetime) and used after `seen_after` (the idle timeout).
    pub async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        begun_after: DateTime<Utc>,
        seen_after: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>> {
        let Some(m) = session::Entity::find_by_id(id_hash.to_string())
            .filter(session::Column::ExpiresAt.gt(micros(now)))
            .filter(session::Column::CreatedAt.gt(micros(begun_after)))
            .filter(session::Column::LastSeenAt.gt(micros(seen_after)))
            .one(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let owner = match (m.principal_kind.as_str(), m.ticket_id) {
            ("requester", _) => SessionOwner::Requester(RequesterId(m.principal_id)),
            ("agent", _) => SessionOwner::Agent(AgentId(m.principal_id)),
            ("ticket_link", Some(t)) => SessionOwner::TicketLink { requester: RequesterId(m.principal_id), ticket: TicketId(t) },
            (other, _) => return Err(StoreError::Corrupt(format!("session kind {other}"))),
        };
        Ok(Some(SessionRecord { owner, csrf_token: m.csrf_token, expires_at: time(m.expires_at)?, last_seen_at: time(m.last_seen_at)? }))
    }

    /// Records that the session was used at `now` (the idle timeout counts from here).
    pub async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<()> {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, sea_orm::sea_query::Expr::value(micros(now)))
            .filter(session::Column::IdHash.eq(id_hash))
            .exec(&self.write)
            .await?;
        Ok(())
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
        self.create_link(token_hash, purpose, requester, ticket, None, at, expires_at).await
    }

    /// An address-confirmation link that carries the registration it confirms.
    pub async fn create_registration_token(
        &self,
        token_hash: &str,
        requester: RequesterId,
        registration: &PendingRegistration,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.create_link(token_hash, TokenPurpose::VerifyEmail, requester, None, Some(registration), at, expires_at).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_link(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        requester: RequesterId,
        ticket: Option<TicketId>,
        registration: Option<&PendingRegistration>,
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
            password_hash: Set(registration.map(|r| r.password_hash.clone())),
            name: Set(registration.map(|r| r.name.as_str().to_string())),
            language: Set(registration.and_then(|r| r.language.clone())),
        };
        access_token::Entity::insert(row).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// A link that is live (unused, unexpired), without using it: the page a link opens shows
    /// a button, and only the button's POST uses the link.
    pub async fn live_token(&self, token_hash: &str, purpose: TokenPurpose, now: DateTime<Utc>) -> Result<Option<LinkToken>> {
        access_token::Entity::find_by_id(token_hash.to_string())
            .filter(access_token::Column::Purpose.eq(purpose.as_str()))
            .filter(access_token::Column::UsedAt.is_null())
            .filter(access_token::Column::ExpiresAt.gt(micros(now)))
            .one(&self.write)
            .await?
            .map(to_link)
            .transpose()
    }

    /// Uses a link once: marks it used and returns it if it was live. Of two concurrent uses,
    /// only one succeeds.
    pub async fn consume_token(&self, token_hash: &str, purpose: TokenPurpose, now: DateTime<Utc>) -> Result<Option<LinkToken>> {
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
        to_link(row).map(Some)
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
