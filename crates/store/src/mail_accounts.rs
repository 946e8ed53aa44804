//! E-mail accounts: their settings (the password sealed with the desk's secret key, never
//! returned with them), the lease a node holds while it fetches from one, and which of an
//! account's messages are in the desk already.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};
use tikal_core::mail_account::{MailAccount, MailAccountSettings};
use tikal_core::{DepartmentId, HelpTopicId, MailAccountId};

use crate::convert::{micros, opt_time, time};
use crate::entity::{mail_account, mail_inbound};
use crate::{NewAudit, Result, Store, StoreError};

/// A message of an account already in `mail_inbound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownMessage {
    /// Its raw bytes are stored (imported, duplicate or quarantined after download). `false`:
    /// it was refused before download (too large), so it must stay on the server.
    pub raw_kept: bool,
}

/// A message too large to download, recorded in quarantine (its bytes stay on the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OversizedMessage {
    pub account: MailAccountId,
    pub remote_key: String,
    pub size: u64,
    pub reason: String,
    pub at: DateTime<Utc>,
}

fn to_account(m: mail_account::Model) -> Result<MailAccount> {
    let port = u16::try_from(m.port).map_err(|_| StoreError::Corrupt(format!("mail account port {}", m.port)))?;
    let poll = u32::try_from(m.poll_seconds).map_err(|_| StoreError::Corrupt(format!("poll interval {}", m.poll_seconds)))?;
    Ok(MailAccount {
        id: MailAccountId(m.id),
        name: m.name,
        protocol: m.protocol.parse()?,
        host: m.host,
        port,
        security: m.security.parse()?,
        username: m.username,
        address: m.address,
        folder: m.folder,
        after_import: m.after_import.parse()?,
        move_to: m.move_to,
        poll_seconds: poll,
        department_id: m.department_id.map(DepartmentId),
        help_topic_id: m.help_topic_id.map(HelpTopicId),
        active: m.active,
        locked_until: opt_time(m.locked_until)?,
        last_polled_at: opt_time(m.last_polled_at)?,
        last_error: m.last_error,
        updated_at: time(m.updated_at)?,
    })
}

/// Errors kept on an account are for people to read: a line, not a novel.
fn clip(text: &str) -> String {
    text.chars().take(1000).collect()
}

impl Store {
    /// Every e-mail account, by name.
    pub async fn mail_accounts(&self) -> Result<Vec<MailAccount>> {
        let rows = mail_account::Entity::find().order_by_asc(mail_account::Column::Name).all(&self.read).await?;
        rows.into_iter().map(to_account).collect()
    }

    pub async fn mail_account(&self, id: MailAccountId) -> Result<Option<MailAccount>> {
        mail_account::Entity::find_by_id(id.get()).one(&self.read).await?.map(to_account).transpose()
    }

    /// The account's password as stored: sealed with the secret key (`SecretKey::open`).
    pub async fn mail_account_secret(&self, id: MailAccountId) -> Result<String> {
        let row = mail_account::Entity::find_by_id(id.get()).one(&self.read).await?;
        row.map(|m| m.password_secret).ok_or(StoreError::NotFound("mail account"))
    }

    /// Creates (`id: None`, with a sealed password) or updates an account, with its audit
    /// entry. `password_secret: None` keeps the stored password.
    pub async fn save_mail_account(
        &self,
        id: Option<MailAccountId>,
        s: MailAccountSettings,
        password_secret: Option<String>,
        audit: NewAudit,
    ) -> Result<MailAccount> {
        let at = micros(audit.at);
        self.audited(audit, move |txn| {
            Box::pin(async move {
                if id.is_none() && password_secret.is_none() {
                    return Err(StoreError::Corrupt("a new mail account needs a password".into()));
                }
                let row = mail_account::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(s.name),
                    protocol: Set(s.protocol.as_str().into()),
                    host: Set(s.host),
                    port: Set(i32::from(s.port)),
                    security: Set(s.security.as_str().into()),
                    username: Set(s.username),
                    password_secret: password_secret.map_or(NotSet, Set),
                    address: Set(s.address.map(|a| a.as_str().to_string())),
                    folder: Set(s.folder),
                    after_import: Set(s.after_import.as_str().into()),
                    move_to: Set(s.move_to),
                    poll_seconds: Set(i32::try_from(s.poll_seconds).unwrap_or(i32::MAX)),
                    department_id: Set(s.department_id.map(DepartmentId::get)),
                    help_topic_id: Set(s.help_topic_id.map(HelpTopicId::get)),
                    active: Set(s.active),
                    locked_until: NotSet,
                    last_polled_at: NotSet,
                    // A changed account gets a fresh chance: the old error may not apply.
                    last_error: Set(None),
                    updated_at: Set(at),
                };
                let saved = if id.is_some() { row.update(txn).await? } else { row.insert(txn).await? };
                let new_id = id.is_none().then(|| saved.id.to_string());
                Ok((to_account(saved)?, new_id))
            })
        })
        .await
    }

    /// Takes the account for fetching until `until`, if it is active and no node holds it
    /// (one conditional UPDATE: of several nodes asking at once, one gets it). The returned
    /// instant is the lease, to give back to `release_mail_account`. `polled_at`: the last
    /// poll the caller saw; if another node polled since, the account is not due any more.
    pub async fn claim_mail_account(
        &self,
        id: MailAccountId,
        polled_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        // Microseconds of jitter tell two nodes' leases apart even when their clocks agree.
        let lease = micros(until) + i64::from(rand::random::<u16>());
        let res = mail_account::Entity::update_many()
            .col_expr(mail_account::Column::LockedUntil, Expr::value(lease))
            .filter(mail_account::Column::Id.eq(id.get()))
            .filter(mail_account::Column::Active.eq(true))
            .filter(match polled_at {
                Some(t) => mail_account::Column::LastPolledAt.eq(micros(t)),
                None => mail_account::Column::LastPolledAt.is_null(),
            })
            .filter(
                Condition::any().add(mail_account::Column::LockedUntil.is_null()).add(mail_account::Column::LockedUntil.lt(micros(now))),
            )
            .exec(&self.write)
            .await?;
        Ok((res.rows_affected == 1).then_some(lease))
    }

    /// Gives the lease back, recording the poll and its error (`None`: it went well). A lease
    /// that ran out and was taken by another node is left alone (`LeaseLost`).
    pub async fn release_mail_account(&self, id: MailAccountId, lease: i64, polled_at: DateTime<Utc>, error: Option<&str>) -> Result<()> {
        let res = mail_account::Entity::update_many()
            .col_expr(mail_account::Column::LockedUntil, Expr::value(Option::<i64>::None))
            .col_expr(mail_account::Column::LastPolledAt, Expr::value(micros(polled_at)))
            .col_expr(mail_account::Column::LastError, Expr::value(error.map(clip)))
            .filter(mail_account::Column::Id.eq(id.get()))
            .filter(mail_account::Column::LockedUntil.eq(lease))
            .exec(&self.write)
            .await?;
        if res.rows_affected != 1 {
            return Err(StoreError::LeaseLost);
        }
        Ok(())
    }

    /// Records why an account cannot be fetched from, without a lease (its password cannot be
    /// decrypted, say).
    pub async fn set_mail_account_error(&self, id: MailAccountId, polled_at: DateTime<Utc>, error: &str) -> Result<()> {
        mail_account::Entity::update_many()
            .col_expr(mail_account::Column::LastPolledAt, Expr::value(micros(polled_at)))
            .col_expr(mail_account::Column::LastError, Expr::value(clip(error)))
            .filter(mail_account::Column::Id.eq(id.get()))
            .exec(&self.write)
            .await?;
        Ok(())
    }

    /// Which of `keys` (remote keys of the account's messages) are in the desk already. One
    /// stored but not processed (`received`: its processing was cut short, a node died) is
    /// not: it is fetched and handed to the intake again, which finishes it.
    pub async fn known_remote_keys(&self, account: MailAccountId, keys: &[String]) -> Result<HashMap<String, KnownMessage>> {
        let mut known = HashMap::new();
        for chunk in keys.chunks(500) {
            let rows = mail_inbound::Entity::find()
                .filter(mail_inbound::Column::AccountId.eq(account.get()))
                .filter(mail_inbound::Column::RemoteKey.is_in(chunk.iter().cloned()))
                .filter(mail_inbound::Column::Status.ne(tikal_core::mail_intake::InboundStatus::Received.as_str()))
                .all(&self.read)
                .await?;
            for r in rows {
                if let Some(k) = r.remote_key {
                    known.insert(k, KnownMessage { raw_kept: !r.sha256.is_empty() });
                }
            }
        }
        Ok(known)
    }

    /// Records a message refused before download (too large) in quarantine, once: its row
    /// has no bytes (empty digest) and it is never fetched again.
    pub async fn record_oversized_mail(&self, m: OversizedMessage) -> Result<()> {
        let row = mail_inbound::ActiveModel {
            id: NotSet,
            account_id: Set(Some(m.account.get())),
            remote_key: Set(Some(m.remote_key)),
            message_id: Set(None),
            sha256: Set(String::new()),
            size: Set(i64::try_from(m.size).unwrap_or(i64::MAX)),
            status: Set("quarantined".into()),
            reason: Set(Some(clip(&m.reason))),
            sender: Set(None),
            subject: Set(None),
            ticket_id: Set(None),
            entry_id: Set(None),
            attempts: Set(0),
            received_at: Set(micros(m.at)),
            processed_at: Set(Some(micros(m.at))),
        };
        let on_conflict = OnConflict::columns([mail_inbound::Column::AccountId, mail_inbound::Column::RemoteKey]).do_nothing().to_owned();
        match mail_inbound::Entity::insert(row).on_conflict(on_conflict).exec_without_returning(&self.write).await {
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
