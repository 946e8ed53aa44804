//! Requester accounts and sessions: registration by policy, sign-in with rate limits, profile
//! and password, forgotten-password and status-check links (single use, expiring), and the
//! address confirmation that must come before an account reaches anything of an address.

use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tikal_core::accounts::{AddressState, LinkQuota, LinksSent, PolicyVerdict, RegistrationPlan, plan_registration};
use tikal_core::job::{Job, LinkMail};
use tikal_core::*;
use tikal_store::{LinkToken, PendingRegistration, SessionOwner, SessionRecord, TokenPurpose};

pub use tikal_core::accounts::Refusal;

use crate::{Desk, Principal, Result, ServiceError};
use tikal_core::settings::RegistrationMode;

/// A status-check link or password-reset link works once, within this time.
pub const LINK_LIFETIME: Duration = Duration::hours(24);
/// A session's last use is written at most this often (a write per request would be costly).
const TOUCH_EVERY: Duration = Duration::minutes(1);
/// Failed sign-ins of one account from one client count for this long.
const FAILURE_WINDOW: Duration = Duration::hours(1);
/// Failures allowed without delay; after them each try waits `retry_delay`.
const FREE_FAILURES: u64 = 5;
/// The longest wait between tries.
const MAX_RETRY_DELAY: Duration = Duration::minutes(15);
pub const MIN_PASSWORD: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong address or password: never says which.
    #[error("wrong e-mail or password")]
    Invalid,
    #[error("too many attempts; try again later")]
    Throttled,
    /// The right password, but the address is not confirmed yet.
    #[error("the e-mail address is not confirmed yet")]
    Unconfirmed,
    /// The check itself failed (database error, or too busy to hash): never "wrong password".
    #[error(transparent)]
    Failed(#[from] ServiceError),
}

fn failed(e: tikal_store::StoreError) -> LoginError {
    LoginError::Failed(e.into())
}

/// How long to wait after the latest try when `earlier` tries were made in the window: none for
/// the first `FREE_FAILURES`, then 5 s, doubling, at most `MAX_RETRY_DELAY`.
pub fn retry_delay(earlier: u64) -> Duration {
    if earlier < FREE_FAILURES {
        return Duration::zero();
    }
    let doublings = u32::try_from(earlier - FREE_FAILURES).unwrap_or(u32::MAX).min(12);
    (Duration::seconds(5) * 2i32.pow(doublings)).min(MAX_RETRY_DELAY)
}

/// What registering led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// A new account for an address nobody knew: sign them in.
    SignedIn(RequesterId),
    /// "Check your mail": said for every address when mail is configured, whatever the desk
    /// knows about it.
    CheckMail,
    Refused(Refusal),
}

/// What following an address-confirmation link led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    SignedIn(RequesterId),
    /// Not the password chosen when registering: the link stays usable.
    WrongPassword,
    /// Unknown, used or expired.
    Invalid,
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

/// A link mail waiting in the outbox. It holds a nonce, never the link: the mail worker turns
/// the nonce into the token with the link key of the data directory (ADR 006).
struct LinkRequest<'a> {
    /// The job that mails it, e.g. `Job::TicketLink`.
    kind: fn(LinkMail) -> Job,
    to: &'a EmailAddress,
    /// The link up to its token, e.g. `https://mesa.example/status/`.
    link_base: String,
    number: Option<&'a str>,
    lang: &'a str,
}

/// A stored link about to be mailed.
struct NewLink<'a> {
    purpose: TokenPurpose,
    requester: RequesterId,
    ticket: Option<TicketId>,
    registration: Option<&'a PendingRegistration>,
}

impl Desk {
    /// The registration policy in effect (the administrator's settings, else the file's).
    async fn policy_verdict(&self, email: &EmailAddress) -> Result<PolicyVerdict> {
        let s = self.settings().await?;
        Ok(match s.registration {
            RegistrationMode::Open => PolicyVerdict::Open,
            RegistrationMode::Domains if s.domain_listed(email.domain()) => PolicyVerdict::ListedDomain,
            RegistrationMode::Domains => PolicyVerdict::OtherDomain,
            RegistrationMode::StaffOnly => PolicyVerdict::Closed,
        })
    }

    pub async fn registration_allows(&self, email: &EmailAddress) -> Result<bool> {
        Ok(matches!(self.policy_verdict(email).await?, PolicyVerdict::Open | PolicyVerdict::ListedDomain))
    }

    /// The organisation's default language (`es` or `en`).
    pub(crate) async fn default_language(&self) -> Result<String> {
        Ok(self.settings().await?.default_language.as_str().to_string())
    }

    /// Registers an address by the rule of `tikal_core::accounts::plan_registration`: without
    /// mail, only an address the desk has never seen gets an account (outside any
    /// organisation); with mail, every address gets the same "check your mail" answer, and the
    /// account takes effect only when the owner of the address follows the mailed link.
    pub async fn register(
        &self,
        email: &EmailAddress,
        name: &PersonName,
        password: &str,
        lang: Option<&str>,
        base_url: &str,
        client: &str,
    ) -> Result<Registered> {
        let verdict = self.policy_verdict(email).await?;
        if !matches!(verdict, PolicyVerdict::Open | PolicyVerdict::ListedDomain) {
            return Ok(Registered::Refused(match verdict {
                PolicyVerdict::Closed => Refusal::Closed,
                _ => Refusal::OtherDomain,
            }));
        }
        check_password(password)?;
        let mail = self.config.verify_email;
        let known = self.store.requester_account(email).await?;
        let state = match &known {
            None => AddressState::Unknown,
            Some(a) if a.password_hash.is_some() && !a.verification_pending => AddressState::Account,
            Some(_) => AddressState::Known,
        };
        let lang = language(lang);
        let now = tikal_store::now();
        match plan_registration(verdict, mail, state) {
            RegistrationPlan::Refuse(r) => Ok(Registered::Refused(r)),
            RegistrationPlan::CreateAndSignIn => {
                let hash = self.hasher.hash(password.to_string()).await?;
                match self.store.create_requester_account(email, name, &hash, lang, now).await {
                    Ok(id) => Ok(Registered::SignedIn(id)),
                    // Registered, or written to the desk, a moment ago.
                    Err(tikal_store::StoreError::Conflict(_)) => Ok(Registered::Refused(Refusal::Known)),
                    Err(e) => Err(e.into()),
                }
            }
            RegistrationPlan::MailConfirmation => {
                let password_hash = self.hasher.hash(password.to_string()).await?;
                if self.link_allowed(email, client).await? {
                    let registration = PendingRegistration { password_hash, name: name.clone(), language: lang.map(str::to_string) };
                    self.mail_confirmation(email, &registration, base_url).await?;
                }
                Ok(Registered::CheckMail)
            }
            RegistrationPlan::MailAccountExists => {
                // Hashed all the same, so this answer takes as long as the one for a new address.
                self.hasher.hash(password.to_string()).await?;
                if self.link_allowed(email, client).await? {
                    let lang = match known.and_then(|a| a.language) {
                        Some(l) => l,
                        None => self.default_language().await?,
                    };
                    let payload = LinkMail {
                        to: email.as_str().to_string(),
                        link: Some(format!("{base_url}/password/forgot")),
                        lang: Some(lang),
                        ..LinkMail::default()
                    };
                    self.store.enqueue_job(&Job::AccountExists(payload), now).await?;
                }
                Ok(Registered::CheckMail)
            }
        }
    }

    /// Queues the confirmation link of a registration; the registration waits with the link.
    async fn mail_confirmation(&self, email: &EmailAddress, registration: &PendingRegistration, base_url: &str) -> Result<()> {
        // Until the owner confirms, a new requester is named after the address, not after what
        // a stranger may have typed.
        let local = email.as_str().rsplit_once('@').map_or(email.as_str(), |(l, _)| l);
        let placeholder = PersonName::parse(local).unwrap_or_else(|_| registration.name.clone());
        let id = self.store.ensure_requester(email, &placeholder, tikal_store::now()).await?;
        let lang = match registration.language.clone() {
            Some(l) => l,
            None => self.default_language().await?,
        };
        let link = NewLink { purpose: TokenPurpose::VerifyEmail, requester: id, ticket: None, registration: Some(registration) };
        let link_base = format!("{base_url}/register/confirm/");
        self.queue_link(link, LinkRequest { kind: Job::VerifyEmail, to: email, link_base, number: None, lang: &lang }).await
    }

    /// Whether an address-confirmation link is live (the page it opens asks for the password
    /// and shows a button; only the button uses the link).
    pub async fn confirmation_link_live(&self, token: &str) -> Result<bool> {
        Ok(self.store.live_token(&token_hash(token), TokenPurpose::VerifyEmail, tikal_store::now()).await?.is_some())
    }

    /// Confirms an address with its link and the password chosen when registering (so a link
    /// mailed to someone who did not register cannot activate a stranger's password); the
    /// registration takes effect and the link is used up.
    pub async fn confirm_email(&self, token: &str, password: &str) -> Result<Confirmed> {
        let hash = token_hash(token);
        let Some(link) = self.store.live_token(&hash, TokenPurpose::VerifyEmail, tikal_store::now()).await? else {
            return Ok(Confirmed::Invalid);
        };
        let expected = match &link.registration {
            Some(r) => Some(r.password_hash.clone()),
            // Registered before links carried their registration: the password is on the account.
            None => self.store.requester_account_by_id(link.requester).await?.and_then(|a| a.password_hash),
        };
        let ok = match expected {
            Some(h) => self.hasher.verify(password.to_string(), h).await?,
            None => false,
        };
        if !ok {
            return Ok(Confirmed::WrongPassword);
        }
        let Some(link) = self.store.consume_token(&hash, TokenPurpose::VerifyEmail, tikal_store::now()).await? else {
            return Ok(Confirmed::Invalid);
        };
        self.store.confirm_registration(link.requester, link.registration.as_ref()).await?;
        self.store.delete_requester_sessions(link.requester).await?;
        Ok(Confirmed::SignedIn(link.requester))
    }

    /// Checks a requester's password. Failures are throttled per account *and* client address
    /// together, so a stranger elsewhere cannot lock the owner out: after `FREE_FAILURES` in
    /// the window, each further try waits a growing delay since the latest one. The attempt is
    /// written before the password is checked, so concurrent tries count against each other.
    pub async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<RequesterId, LoginError> {
        let subject = format!("signin:{}|{client}", email.trim().to_lowercase());
        let attempt = self.begin_attempt(&subject).await?;
        let account = match EmailAddress::parse(email) {
            Ok(e) => self.store.requester_account(&e).await.map_err(failed)?,
            Err(_) => None,
        };
        let hash = account.as_ref().and_then(|a| a.password_hash.clone());
        let ok = self.verify_attempt(attempt, password, hash).await?;
        match account {
            Some(a) if ok => {
                self.store.clear_sign_in_attempts(&subject).await.map_err(failed)?;
                if a.verification_pending { Err(LoginError::Unconfirmed) } else { Ok(a.requester.id) }
            }
            // The attempt row stays: it is the recorded failure.
            _ => Err(LoginError::Invalid),
        }
    }

    /// Checks an agent's password at the workspace's sign-in, under the same throttling as
    /// requesters (counted apart: an agent who is also a requester has two accounts). An
    /// inactive agent cannot sign in, and is told the same as for a wrong password.
    pub async fn agent_sign_in(&self, email: &str, password: &str, client: &str) -> Result<AgentId, LoginError> {
        let subject = format!("agent-signin:{}|{client}", email.trim().to_lowercase());
        let attempt = self.begin_attempt(&subject).await?;
        let account = match EmailAddress::parse(email) {
            Ok(e) => self.store.agent_login(&e).await.map_err(failed)?,
            Err(_) => None,
        };
        let hash = account.as_ref().and_then(|(_, h)| h.clone());
        let ok = self.verify_attempt(attempt, password, hash).await?;
        match account {
            Some((agent, _)) if ok && agent.active => {
                self.store.clear_sign_in_attempts(&subject).await.map_err(failed)?;
                Ok(agent.id)
            }
            _ => Err(LoginError::Invalid),
        }
    }

    /// Records a sign-in attempt for `subject`, or refuses it while the subject must wait.
    async fn begin_attempt(&self, subject: &str) -> Result<i64, LoginError> {
        let now = tikal_store::now();
        let attempt = self.store.begin_sign_in_attempt(subject, now, now - FAILURE_WINDOW).await.map_err(failed)?;
        if let Some(latest) = attempt.latest
            && now < latest + retry_delay(attempt.earlier)
        {
            // Refused before the check: not a failure of its own.
            self.store.forget_sign_in_attempt(attempt.id).await.map_err(failed)?;
            return Err(LoginError::Throttled);
        }
        Ok(attempt.id)
    }

    /// Whether `password` matches `hash`. Without a hash (no such account, or none set) it is
    /// checked against a fixed one, so timing does not tell whether the account exists.
    async fn verify_attempt(&self, attempt: i64, password: &str, hash: Option<String>) -> Result<bool, LoginError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
        match self.hasher.verify(password.to_string(), hash).await {
            Ok(ok) => Ok(ok && known),
            Err(e) => {
                // Not checked (busy): not a failure either.
                self.store.forget_sign_in_attempt(attempt).await.map_err(failed)?;
                Err(LoginError::Failed(e))
            }
        }
    }

    pub async fn start_session(&self, owner: SessionOwner) -> Result<SessionStart> {
        let (token, csrf_token) = (random_token(), random_token());
        let now = tikal_store::now();
        self.store.create_session(&token_hash(&token), &owner, &csrf_token, now, now + self.config.portal.session_lifetime()).await?;
        Ok(SessionStart { token, csrf_token })
    }

    /// How long a session cookie is kept: the absolute lifetime of a session.
    pub fn session_lifetime(&self) -> Duration {
        self.config.portal.session_lifetime()
    }

    /// The live session of a cookie: within its absolute lifetime and idle timeout. Using it
    /// moves the idle timeout on. A database failure is an error, never "no session".
    pub async fn session(&self, token: &str) -> Result<Option<SessionRecord>> {
        if token.len() != 64 {
            return Ok(None);
        }
        let policy = &self.config.portal;
        let now = tikal_store::now();
        let hash = token_hash(token);
        let record = self.store.session(&hash, now, now - policy.session_lifetime(), now - policy.session_idle()).await?;
        if let Some(r) = &record
            && now - r.last_seen_at >= TOUCH_EVERY
        {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(record)
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
            Some(h) => self.hasher.verify(current.to_string(), h).await?,
            None => false,
        };
        if !ok {
            return Err(DomainError::invalid("current_password", Reason::Incorrect).into());
        }
        check_password(new)?;
        let hash = self.hasher.hash(new.to_string()).await?;
        self.store.set_requester_password(id, &hash).await?;
        self.store.delete_requester_sessions(id).await?;
        Ok(())
    }

    /// Counts a link mailed to `email` at the request of `client`; `false` when an hourly
    /// allowance is used up. Counted per client and address, per client and per address, so a
    /// stranger cannot use up the allowance of someone else's address.
    async fn link_allowed(&self, email: &EmailAddress, client: &str) -> Result<bool> {
        let now = tikal_store::now();
        let since = now - Duration::hours(1);
        let keys = [format!("link:{email}|{client}"), format!("linkc:{client}"), format!("link:{email}")];
        let sent = LinksSent {
            by_client_to_address: self.store.count_attempts(&keys[0], since).await?,
            by_client: self.store.count_attempts(&keys[1], since).await?,
            to_address: self.store.count_attempts(&keys[2], since).await?,
        };
        if !LinkQuota::default().allows(sent) {
            tracing::warn!("link mail limit reached");
            return Ok(false);
        }
        self.store.record_attempts(&keys, now).await?;
        Ok(true)
    }

    /// Stores a link (its token's hash) and queues its mail (a nonce from which only the
    /// holder of the link key can make the token).
    async fn queue_link(&self, link: NewLink<'_>, mail: LinkRequest<'_>) -> Result<()> {
        let nonce = random_token();
        let key = self.store.link_key();
        let hash = token_hash(&key.token(&nonce));
        let now = tikal_store::now();
        match link.registration {
            Some(r) => self.store.create_registration_token(&hash, link.requester, r, now, now + LINK_LIFETIME).await?,
            None => self.store.create_token(&hash, link.purpose, link.requester, link.ticket, now, now + LINK_LIFETIME).await?,
        }
        let payload = LinkMail {
            to: mail.to.as_str().to_string(),
            link_base: Some(mail.link_base),
            nonce: Some(nonce),
            key: Some(key.id().to_string()),
            number: mail.number.map(str::to_string),
            lang: Some(mail.lang.to_string()),
            link: None,
        };
        self.store.enqueue_job(&(mail.kind)(payload), now).await?;
        Ok(())
    }

    /// "Ver Estado de un Ticket": if `email` opened ticket `number`, a single-use link to it is
    /// queued for that address. Answers the same either way, so it tells nothing to a prober.
    pub async fn request_ticket_link(&self, email: &EmailAddress, number: &TicketNumber, base_url: &str, client: &str) -> Result<()> {
        let Some(t) = self.store.ticket_by_number(number).await? else { return Ok(()) };
        let Some(r) = self.store.requester_by_email(email).await? else { return Ok(()) };
        if t.requester_id != r.id || !self.link_allowed(email, client).await? {
            return Ok(());
        }
        let lang = self.mail_language(r.id).await?;
        let link = NewLink { purpose: TokenPurpose::TicketLink, requester: r.id, ticket: Some(t.id), registration: None };
        let mail = LinkRequest {
            kind: Job::TicketLink,
            to: &r.email,
            link_base: format!("{base_url}/status/"),
            number: Some(t.number.as_str()),
            lang: &lang,
        };
        self.queue_link(link, mail).await
    }

    /// The ticket a live status-check link opens, without using the link.
    pub async fn ticket_link_target(&self, token: &str) -> Result<Option<TicketNumber>> {
        let Some(link) = self.store.live_token(&token_hash(token), TokenPurpose::TicketLink, tikal_store::now()).await? else {
            return Ok(None);
        };
        let Some(ticket) = link.ticket else { return Ok(None) };
        Ok(self.store.ticket_by_id(ticket).await?.map(|t| t.number))
    }

    /// Uses a status-check link: the session it opens sees that ticket only.
    pub async fn open_ticket_link(&self, token: &str) -> Result<Option<(SessionOwner, TicketNumber)>> {
        let used = self.store.consume_token(&token_hash(token), TokenPurpose::TicketLink, tikal_store::now()).await?;
        let Some(LinkToken { requester, ticket: Some(ticket), .. }) = used else { return Ok(None) };
        let t = self.store.ticket_by_id(ticket).await?.ok_or(ServiceError::NotFound("ticket"))?;
        Ok(Some((SessionOwner::TicketLink { requester, ticket }, t.number)))
    }

    /// Queues a password-reset link for a requester; answers the same whether it exists or not.
    pub async fn request_password_reset(&self, email: &EmailAddress, base_url: &str, client: &str) -> Result<()> {
        let Some(a) = self.store.requester_account(email).await? else { return Ok(()) };
        if !self.link_allowed(email, client).await? {
            return Ok(());
        }
        let lang = match a.language.clone() {
            Some(l) => l,
            None => self.default_language().await?,
        };
        let link = NewLink { purpose: TokenPurpose::PasswordReset, requester: a.requester.id, ticket: None, registration: None };
        let mail = LinkRequest {
            kind: Job::PasswordReset,
            to: &a.requester.email,
            link_base: format!("{base_url}/password/reset/"),
            number: None,
            lang: &lang,
        };
        self.queue_link(link, mail).await
    }

    /// The language of mail to a requester: theirs, else the organisation's default.
    async fn mail_language(&self, id: RequesterId) -> Result<String> {
        let saved = self.store.requester_account_by_id(id).await?.and_then(|a| a.language);
        match saved {
            Some(l) => Ok(l),
            None => self.default_language().await,
        }
    }

    /// Whether a password-reset link is live (its page shows the form; only the form uses it).
    pub async fn reset_link_live(&self, token: &str) -> Result<bool> {
        Ok(self.store.live_token(&token_hash(token), TokenPurpose::PasswordReset, tikal_store::now()).await?.is_some())
    }

    /// Sets a new password with a reset link (once); every session of the account ends. The
    /// link proves the address, so an unconfirmed account is confirmed by it.
    pub async fn reset_password(&self, token: &str, new: &str) -> Result<RequesterId> {
        check_password(new)?;
        let Some(link) = self.store.consume_token(&token_hash(token), TokenPurpose::PasswordReset, tikal_store::now()).await? else {
            return Err(ServiceError::NotFound("link"));
        };
        let hash = self.hasher.hash(new.to_string()).await?;
        self.store.set_requester_password(link.requester, &hash).await?;
        self.store.confirm_registration(link.requester, None).await?;
        self.store.delete_requester_sessions(link.requester).await?;
        Ok(link.requester)
    }
}

/// An Argon2id hash of a random string, verified when an address has no account.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0CkVJ0mO8Zq0ZSQ2fYq3l5Jw0mNwq6h3n8o1e0x3Q2Q";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_delays_grow_and_stop_growing() {
        assert_eq!(retry_delay(0), Duration::zero());
        assert_eq!(retry_delay(FREE_FAILURES - 1), Duration::zero());
        assert_eq!(retry_delay(FREE_FAILURES), Duration::seconds(5));
        assert_eq!(retry_delay(FREE_FAILURES + 1), Duration::seconds(10));
        assert_eq!(retry_delay(FREE_FAILURES + 3), Duration::seconds(40));
        assert_eq!(retry_delay(FREE_FAILURES + 40), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(u64::MAX), MAX_RETRY_DELAY);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
