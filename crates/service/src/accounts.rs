//! Requester accounts and sessions: registration by policy, sign-in with rate limits, profile
//! and password, forgotten-password and status-check links (single use, expiring).

use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tikal_core::job::LinkMail;
use tikal_core::*;
use tikal_store::{SessionOwner, SessionRecord, TokenPurpose};

use crate::config::Registration;
use crate::{Desk, Principal, Result, ServiceError, hash_password, verify_password};

/// Sessions last this long from sign-in.
pub const SESSION_LIFETIME: Duration = Duration::days(14);
/// A status-check link or password-reset link works once, within this time.
pub const LINK_LIFETIME: Duration = Duration::hours(24);
const FAILURE_WINDOW: Duration = Duration::minutes(15);
const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// Links mailed to one address per hour at most, so the forms cannot flood someone's inbox.
const MAX_LINKS_PER_HOUR: u64 = 5;
pub const MIN_PASSWORD: usize = 10;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong address or password: never says which.
    #[error("wrong e-mail or password")]
    Invalid,
    #[error("too many attempts; try again later")]
    Throttled,
    /// The right password, but the address is not confirmed yet.
    #[error("the e-mail address is not confirmed yet")]
    Unconfirmed,
}

/// What registering led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// The account is ready: sign them in.
    Ready(RequesterId),
    /// A confirmation link went to the address; the account waits for it.
    ConfirmationSent(RequesterId),
}

/// A new session: the secret for the cookie and the form token.
#[derive(Debug, Clone)]
pub struct SessionStart {
    pub token: String,
    pub csrf_token: String,
}

fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// Secrets are stored hashed: a leaked table opens no session and no link.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(DomainError::invalid("password", Reason::TooShort { min: MIN_PASSWORD }).into());
    }
    if password.len() > 1024 {
        return Err(DomainError::invalid("password", Reason::TooLong { max: 1024 }).into());
    }
    Ok(())
}

fn language(raw: Option<&str>) -> Option<&'static str> {
    match raw {
        Some("es") => Some("es"),
        Some("en") => Some("en"),
        _ => None,
    }
}

impl Desk {
    pub fn registration_allows(&self, email: &EmailAddress) -> bool {
        match &self.config.portal.registration {
            Registration::Open => true,
            Registration::Domains(domains) => domains.iter().any(|d| d.eq_ignore_ascii_case(email.domain())),
            Registration::StaffOnly => false,
        }
    }

    /// Creates a requester account (or gives a password to someone known from earlier tickets).
    /// With outgoing mail configured, the address must be confirmed by a link first.
    pub async fn register(
        &self,
        email: &EmailAddress,
        name: &PersonName,
        password: &str,
        lang: Option<&str>,
        base_url: &str,
    ) -> Result<Registered> {
        if !self.registration_allows(email) {
            return Err(ServiceError::Forbidden);
        }
        check_password(password)?;
        let hash = hash_password(password.to_string()).await?;
        let pending = self.config.verify_email;
        let now = tikal_store::now();
        let id = self.store.register_requester(email, name, &hash, language(lang), pending, now).await?;
        if !pending {
            return Ok(Registered::Ready(id));
        }
        let token = random_token();
        self.store.create_token(&token_hash(&token), TokenPurpose::VerifyEmail, id, None, now, now + LINK_LIFETIME).await?;
        let lang = language(lang).map(str::to_string).unwrap_or_else(|| self.config.portal.default_language.clone());
        let mail = link_mail(email.as_str(), &format!("{base_url}/register/confirm/{token}"), None, &lang);
        self.store.enqueue_job(&Job::VerifyEmail(mail), now).await?;
        Ok(Registered::ConfirmationSent(id))
    }

    /// Confirms an address with its link (once); the account can sign in from then on.
    pub async fn confirm_email(&self, token: &str) -> Result<Option<RequesterId>> {
        let Some((id, _)) = self.store.consume_token(&token_hash(token), TokenPurpose::VerifyEmail, tikal_store::now()).await? else {
            return Ok(None);
        };
        self.store.confirm_requester(id).await?;
        Ok(Some(id))
    }

    /// Checks a requester's password, counting failures per account and per client address.
    pub async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<RequesterId, LoginError> {
        let now = tikal_store::now();
        let since = now - FAILURE_WINDOW;
        let account_key = format!("acct:{}", email.trim().to_lowercase());
        let client_key = format!("ip:{client}");
        let failures = |key: String| async move { self.store.count_attempts(&key, since).await.unwrap_or(u64::MAX) };
        if failures(account_key.clone()).await >= MAX_FAILURES_PER_ACCOUNT || failures(client_key.clone()).await >= MAX_FAILURES_PER_ADDRESS
        {
            return Err(LoginError::Throttled);
        }
        let account = match EmailAddress::parse(email) {
            Ok(e) => self.store.requester_account(&e).await.ok().flatten(),
            Err(_) => None,
        };
        let hash = account.as_ref().and_then(|a| a.password_hash.clone());
        // Verify against a fixed hash when there is no account, so timing does not tell.
        let ok = match hash {
            Some(h) => verify_password(password.to_string(), h).await,
            None => {
                let _ = verify_password(password.to_string(), DUMMY_HASH.to_string()).await;
                false
            }
        };
        match (ok, account) {
            (true, Some(a)) if a.verification_pending => Err(LoginError::Unconfirmed),
            (true, Some(a)) => Ok(a.requester.id),
            _ => {
                let _ = self.store.record_attempts(&[account_key, client_key], now).await;
                Err(LoginError::Invalid)
            }
        }
    }

    pub async fn start_session(&self, owner: SessionOwner) -> Result<SessionStart> {
        let (token, csrf_token) = (random_token(), random_token());
        let now = tikal_store::now();
        self.store.create_session(&token_hash(&token), &owner, &csrf_token, now, now + SESSION_LIFETIME).await?;
        Ok(SessionStart { token, csrf_token })
    }

    pub async fn session(&self, token: &str) -> Result<Option<SessionRecord>> {
        if token.len() != 64 {
            return Ok(None);
        }
        Ok(self.store.session(&token_hash(token), tikal_store::now()).await?)
    }

    pub async fn end_session(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }

    /// The principal a session acts as, and a signed-in requester's saved language (one lookup).
    pub async fn session_principal(&self, owner: &SessionOwner) -> Result<(Principal, Option<String>)> {
        let account =
            |id: RequesterId| async move { self.store.requester_account_by_id(id).await?.ok_or(ServiceError::NotFound("requester")) };
        match owner {
            SessionOwner::Requester(id) => {
                let a = account(*id).await?;
                let name = a.requester.name.as_str().to_string();
                Ok((Principal::Requester { id: *id, name, organisation: a.requester.organisation_id }, a.language))
            }
            SessionOwner::TicketLink { requester, ticket } => {
                let a = account(*requester).await?;
                let name = a.requester.name.as_str().to_string();
                Ok((Principal::TicketLink { requester: *requester, ticket: *ticket, name }, None))
            }
            SessionOwner::Agent(id) => Ok((self.agent_principal(*id).await?, None)),
        }
    }

    pub async fn requester_profile(&self, id: RequesterId) -> Result<tikal_store::RequesterAccount> {
        self.store.requester_account_by_id(id).await?.ok_or(ServiceError::NotFound("requester"))
    }

    pub async fn update_profile(&self, id: RequesterId, name: &PersonName, phone: Option<&str>, lang: Option<&str>) -> Result<()> {
        let phone = phone.map(str::trim).filter(|p| !p.is_empty());
        if phone.is_some_and(|p| p.len() > 40 || !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))) {
            return Err(DomainError::invalid("phone", Reason::InvalidPhone).into());
        }
        Ok(self.store.update_requester_profile(id, name, phone, language(lang)).await?)
    }

    /// Changes the password after checking the current one; other sessions end.
    pub async fn change_password(&self, id: RequesterId, current: &str, new: &str) -> Result<()> {
        let account = self.requester_profile(id).await?;
        let ok = match account.password_hash {
            Some(h) => verify_password(current.to_string(), h).await,
            None => false,
        };
        if !ok {
            return Err(DomainError::invalid("current_password", Reason::Incorrect).into());
        }
        check_password(new)?;
        let hash = hash_password(new.to_string()).await?;
        self.store.set_requester_password(id, &hash).await?;
        self.store.delete_requester_sessions(id).await?;
        Ok(())
    }

    /// Counts a link mailed to `email`; `false` when the hourly allowance is used up.
    async fn link_allowed(&self, email: &EmailAddress) -> Result<bool> {
        let now = tikal_store::now();
        let key = format!("link:{email}");
        if self.store.count_attempts(&key, now - Duration::hours(1)).await? >= MAX_LINKS_PER_HOUR {
            tracing::warn!("link mail limit reached for an address");
            return Ok(false);
        }
        self.store.record_attempts(&[key], now).await?;
        Ok(true)
    }

    /// "Ver Estado de un Ticket": if `email` opened ticket `number`, a single-use link to it is
    /// queued for that address. Answers the same either way, so it tells nothing to a prober.
    pub async fn request_ticket_link(&self, email: &EmailAddress, number: &TicketNumber, base_url: &str) -> Result<()> {
        let Some(t) = self.store.ticket_by_number(number).await? else { return Ok(()) };
        let Some(r) = self.store.requester_by_email(email).await? else { return Ok(()) };
        if t.requester_id != r.id || !self.link_allowed(email).await? {
            return Ok(());
        }
        let token = random_token();
        let now = tikal_store::now();
        self.store.create_token(&token_hash(&token), TokenPurpose::TicketLink, r.id, Some(t.id), now, now + LINK_LIFETIME).await?;
        let lang = self.mail_language(r.id).await;
        let mail = link_mail(r.email.as_str(), &format!("{base_url}/status/{token}"), Some(t.number.as_str()), &lang);
        self.store.enqueue_job(&Job::TicketLink(mail), now).await?;
        Ok(())
    }

    /// Uses a status-check link: the session it opens sees that ticket only.
    pub async fn open_ticket_link(&self, token: &str) -> Result<Option<SessionOwner>> {
        let used = self.store.consume_token(&token_hash(token), TokenPurpose::TicketLink, tikal_store::now()).await?;
        Ok(used.and_then(|(requester, ticket)| ticket.map(|ticket| SessionOwner::TicketLink { requester, ticket })))
    }

    /// Queues a password-reset link for an account; answers the same whether it exists or not.
    pub async fn request_password_reset(&self, email: &EmailAddress, base_url: &str) -> Result<()> {
        let Some(a) = self.store.requester_account(email).await? else { return Ok(()) };
        if !self.link_allowed(email).await? {
            return Ok(());
        }
        let token = random_token();
        let now = tikal_store::now();
        self.store.create_token(&token_hash(&token), TokenPurpose::PasswordReset, a.requester.id, None, now, now + LINK_LIFETIME).await?;
        let lang = a.language.clone().unwrap_or_else(|| self.config.portal.default_language.clone());
        let mail = link_mail(a.requester.email.as_str(), &format!("{base_url}/password/reset/{token}"), None, &lang);
        self.store.enqueue_job(&Job::PasswordReset(mail), now).await?;
        Ok(())
    }

    /// The language of mail to a requester: theirs, else the organisation's default.
    async fn mail_language(&self, id: RequesterId) -> String {
        let saved = self.store.requester_account_by_id(id).await.ok().flatten().and_then(|a| a.language);
        saved.unwrap_or_else(|| self.config.portal.default_language.clone())
    }

    /// Sets a new password with a reset link (once); every session of the account ends.
    pub async fn reset_password(&self, token: &str, new: &str) -> Result<RequesterId> {
        check_password(new)?;
        let Some((id, _)) = self.store.consume_token(&token_hash(token), TokenPurpose::PasswordReset, tikal_store::now()).await? else {
            return Err(ServiceError::NotFound("link"));
        };
        let hash = hash_password(new.to_string()).await?;
        self.store.set_requester_password(id, &hash).await?;
        self.store.delete_requester_sessions(id).await?;
        Ok(id)
    }
}

/// The outbox payload of a link e-mail (sent by the mail worker of the e-mail milestone).
fn link_mail(to: &str, link: &str, number: Option<&str>, lang: &str) -> LinkMail {
    LinkMail { to: to.to_string(), link: link.to_string(), number: number.map(str::to_string), lang: Some(lang.to_string()) }
}

/// An Argon2id hash of a random string, verified when an address has no account.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0CkVJ0mO8Zq0ZSQ2fYq3l5Jw0mNwq6h3n8o1e0x3Q2Q";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_mail_carries_address_link_and_number() {
        let m = link_mail("a\"b@x.example", "https://h/status/abc", Some("000001"), "es");
        assert_eq!(m.to, "a\"b@x.example");
        assert_eq!(m.link, "https://h/status/abc");
        assert_eq!(m.number.as_deref(), Some("000001"));
        assert_eq!(m.lang.as_deref(), Some("es"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
