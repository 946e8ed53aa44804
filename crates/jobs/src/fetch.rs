//! The mail poller: for each active IMAP or POP3 account whose interval has passed, take its
//! lease (one node at a time), fetch what is new one message at a time, hand each to the
//! intake, and only once the intake has stored it mark it seen, move it or delete it on the
//! server. A failure is kept on the account (`last_error`) and the next poll tries again;
//! what is in the desk already is never imported twice (the account's remote keys).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tikal_core::MailAccountId;
use tikal_core::mail_account::{AfterImport, MAX_MESSAGE_BYTES, MailAccount, Protocol, imap_remote_key, pop3_remote_key};
use tikal_store::{OversizedMessage, Store, StoreError};
use tokio::time::Instant;

use crate::net::{Failure, MailTls};
use crate::{imap, pop3};

/// Where fetched mail goes: stores the raw message (imported, duplicate or quarantined) and
/// answers `Ok` once it is committed; `Err` when nothing could be stored, so the message
/// stays on the server untouched.
#[async_trait::async_trait]
pub trait Intake: Send + Sync {
    async fn ingest(&self, account: MailAccountId, remote_key: String, raw: Bytes) -> Result<(), String>;
}

/// How long a node holds an account while it fetches. It stops taking new messages well
/// before (`MARGIN`), so the lease never runs out under a message in flight, and gives the
/// account back; a backlog goes on at the next poll. Short, because a node that dies
/// mid-poll keeps the account from the others until its lease runs out.
const LEASE: Duration = Duration::from_secs(120);
const MARGIN: Duration = Duration::from_secs(40);
/// Connecting and signing in.
const CONNECT: Duration = Duration::from_secs(30);

/// What one round of polling did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    /// Accounts this node fetched from (others were not due or held by another node).
    pub accounts: usize,
    /// Messages handed to the intake and stored.
    pub imported: usize,
    /// Accounts whose poll failed (see their `last_error`).
    pub failed: usize,
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{0}")]
    Server(#[from] Failure),
    #[error("the message could not be stored: {0}")]
    Intake(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Fetcher {
    store: Store,
    intake: Arc<dyn Intake>,
    tls: MailTls,
    stop: Arc<AtomicBool>,
    lease: Duration,
    margin: Duration,
}

impl Fetcher {
    pub fn new(store: Store, intake: Arc<dyn Intake>, tls: MailTls) -> Fetcher {
        Fetcher { store, intake, tls, stop: Arc::default(), lease: LEASE, margin: MARGIN }
    }

    /// Another lease (and the time before its end when no new message is taken); tests of a
    /// node dying mid-poll use a short one.
    pub fn with_lease(mut self, lease: Duration, margin: Duration) -> Fetcher {
        self.lease = lease;
        self.margin = margin.min(lease);
        self
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Polls every account due at `now` once.
    pub async fn poll_due(&self, now: DateTime<Utc>) -> Result<PollReport, StoreError> {
        let mut report = PollReport::default();
        for account in self.store.mail_accounts().await?.into_iter().filter(|a| a.due(now)) {
            if self.stopping() {
                break;
            }
            if let Some(result) = self.poll_account(&account, now).await? {
                report.accounts += 1;
                match result {
                    Ok(n) => report.imported += n,
                    Err(_) => report.failed += 1,
                }
            }
        }
        Ok(report)
    }

    /// Fetches from one account if its lease can be had: `None` when another node holds it.
    /// The poll's own failure is in the inner result (and on the account).
    pub async fn poll_account(&self, account: &MailAccount, now: DateTime<Utc>) -> Result<Option<Result<usize, String>>, StoreError> {
        let until = now + chrono::Duration::from_std(self.lease).unwrap_or_else(|_| chrono::Duration::minutes(2));
        let Some(lease) = self.store.claim_mail_account(account.id, account.last_polled_at, now, until).await? else {
            return Ok(None);
        };
        let result = self.fetch(account).await.map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::warn!(account = account.id.get(), name = %account.name, error = %e, "mail poll failed; the next poll tries again");
        }
        match self.store.release_mail_account(account.id, lease, tikal_store::now(), result.as_ref().err().map(String::as_str)).await {
            Ok(()) => {}
            Err(StoreError::LeaseLost) => tracing::warn!(account = account.id.get(), "the account's lease ran out during the poll"),
            Err(e) => return Err(e),
        }
        Ok(Some(result))
    }

    async fn fetch(&self, account: &MailAccount) -> Result<usize, FetchError> {
        let sealed = self.store.mail_account_secret(account.id).await?;
        let password = self.store.secret_key().open(&sealed)?;
        let until = Instant::now() + (self.lease - self.margin);
        let connect = Instant::now() + CONNECT;
        match account.protocol {
            Protocol::Imap => {
                let (mut session, mailbox) = imap::open(account, &password, &self.tls, connect).await?;
                let result = self.imap_messages(&mut session, account, mailbox.uid_validity.unwrap_or(0), until).await;
                imap::close(session).await;
                result
            }
            Protocol::Pop3 => {
                let (mut session, _) = pop3::open(account, &password, &self.tls, connect).await?;
                let result = self.pop3_messages(&mut session, account, until).await;
                // Deletions are applied at QUIT; if it fails they are not, and the next poll
                // deletes what it finds stored already.
                let quit = pop3::quit(session).await;
                let n = result?;
                quit?;
                Ok(n)
            }
            Protocol::Smtp => Ok(0),
        }
    }

    async fn imap_messages(
        &self,
        session: &mut imap::Session,
        account: &MailAccount,
        validity: u32,
        until: Instant,
    ) -> Result<usize, FetchError> {
        let uids = imap::candidates(session, account.after_import).await?;
        let keys: Vec<String> = uids.iter().map(|u| imap_remote_key(validity, *u)).collect();
        let known = self.store.known_remote_keys(account.id, &keys).await?;
        let mut imported = 0;
        for (uid, key) in uids.into_iter().zip(keys) {
            if self.stopping() || Instant::now() > until {
                break;
            }
            match known.get(&key) {
                // Stored on an earlier poll whose after-import step failed: do it now.
                Some(k) if k.raw_kept => imap::after_import(session, account, uid).await?,
                // Too large: it stays on the server for a person to deal with.
                Some(_) => {}
                None => {
                    let Some(size) = imap::size(session, uid).await? else { continue };
                    if u64::from(size) > MAX_MESSAGE_BYTES {
                        self.oversized(account, key, u64::from(size), MAX_MESSAGE_BYTES).await?;
                        continue;
                    }
                    let Some(raw) = imap::body(session, uid).await? else { continue };
                    self.intake.ingest(account.id, key, Bytes::from(raw)).await.map_err(FetchError::Intake)?;
                    imported += 1;
                    imap::after_import(session, account, uid).await?;
                }
            }
        }
        Ok(imported)
    }

    async fn pop3_messages(&self, session: &mut pop3::Session, account: &MailAccount, until: Instant) -> Result<usize, FetchError> {
        let listed = pop3::listing(session).await?;
        let keys: Vec<String> = listed.iter().map(|l| pop3_remote_key(&l.uidl)).collect();
        let known = self.store.known_remote_keys(account.id, &keys).await?;
        let delete = account.after_import == AfterImport::Delete;
        let limit = MAX_MESSAGE_BYTES.min(pop3::MAX_POP3_BYTES);
        let mut imported = 0;
        for (m, key) in listed.into_iter().zip(keys) {
            if self.stopping() || Instant::now() > until {
                break;
            }
            match known.get(&key) {
                Some(k) if k.raw_kept && delete => pop3::delete(session, m.number).await?,
                Some(_) => {}
                None if m.size > limit => self.oversized(account, key, m.size, limit).await?,
                None => {
                    let raw = pop3::retrieve(session, m.number).await?;
                    self.intake.ingest(account.id, key, Bytes::from(raw)).await.map_err(FetchError::Intake)?;
                    imported += 1;
                    if delete {
                        pop3::delete(session, m.number).await?;
                    }
                }
            }
        }
        Ok(imported)
    }

    async fn oversized(&self, account: &MailAccount, key: String, size: u64, limit: u64) -> Result<(), StoreError> {
        tracing::warn!(account = account.id.get(), remote_key = %key, size, "message too large to fetch; left on the server");
        let reason = format!("too large: {size} bytes (the limit is {limit}); left on the server");
        self.store
            .record_oversized_mail(OversizedMessage { account: account.id, remote_key: key, size, reason, at: tikal_store::now() })
            .await
    }

    /// Polls every `every` until `shutdown` resolves. A poll in progress then finishes the
    /// message in hand, stops, and gives its lease back before this returns.
    pub async fn run(self, every: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let poll = self.poll_due(tikal_store::now());
            tokio::pin!(poll);
            let result = tokio::select! {
                r = &mut poll => r,
                () = &mut shutdown => {
                    self.stop.store(true, Ordering::Release);
                    if let Err(e) = poll.await {
                        tracing::error!(error = %e, "mail poller: stopping");
                    }
                    return;
                }
            };
            match result {
                Ok(r) if r.imported > 0 => tracing::info!(imported = r.imported, accounts = r.accounts, "mail fetched"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "mail poller: accounts could not be read or released; trying again later"),
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// The desk's own intake: the message is stored raw, then parsed into a ticket or a reply
/// (or kept as a duplicate, ignored or quarantined — stored all the same).
#[async_trait::async_trait]
impl Intake for tikal_service::Desk {
    async fn ingest(&self, account: MailAccountId, remote_key: String, raw: Bytes) -> Result<(), String> {
        let source = tikal_service::MailSource::Account { id: account, remote_key };
        self.ingest_mail(source, raw).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
