//! Inbound mail as it arrived: one row per message (its raw bytes are a blob), each imported
//! once; the Message-IDs threading follows; the auto-response brake; bounced addresses.
//!
//! A message's ticket change and its `imported` mark (with its Message-ID) are written in the
//! same transaction (`write_origin`), so a crash leaves it either imported or still `received`
//! (processed again), never both nor lost.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::*;
use tikal_core::mail_intake::InboundStatus;
use tikal_core::{DepartmentId, EmailAddress, EntryId, HelpTopicId, InboundMailId, MailAccountId, TicketId};

use crate::convert::{micros, opt_time, time};
use crate::entity::{department, mail_account, mail_inbound, mail_message_id, requester_mail};
use crate::{Result, Store, StoreError};

/// A message as received, before it is processed.
#[derive(Debug, Clone)]
pub struct NewInbound {
    pub account: Option<MailAccountId>,
    /// Where its server keeps it (`imap:<uidvalidity>:<uid>`, `pop3:<uidl>`).
    pub remote_key: Option<String>,
    pub message_id: Option<String>,
    pub sha256: String,
    pub size: u64,
    pub sender: Option<String>,
    pub subject: Option<String>,
}

/// A stored inbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMail {
    pub id: InboundMailId,
    pub account: Option<MailAccountId>,
    pub remote_key: Option<String>,
    pub message_id: Option<String>,
    pub sha256: String,
    pub size: u64,
    pub status: InboundStatus,
    pub reason: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub ticket: Option<TicketId>,
    pub entry: Option<EntryId>,
    pub attempts: u32,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

/// Recording a message: new, or one of the account's already stored (a poll that saw it again).
#[derive(Debug, Clone)]
pub enum Recorded {
    New(InboundMailId),
    Known(Box<InboundMail>),
}

/// The mail a ticket change comes from: written with the change (`write_origin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailOrigin {
    pub inbound: InboundMailId,
    /// Its Message-ID (or stand-in, `tikal_core::mail_intake::message_key`).
    pub message_key: String,
}

fn to_inbound(m: mail_inbound::Model) -> Result<InboundMail> {
    Ok(InboundMail {
        id: InboundMailId(m.id),
        account: m.account_id.map(MailAccountId),
        remote_key: m.remote_key,
        message_id: m.message_id,
        sha256: m.sha256,
        size: u64::try_from(m.size).unwrap_or_default(),
        status: m.status.parse().map_err(|_| StoreError::Corrupt(format!("inbound mail status {}", m.status)))?,
        reason: m.reason,
        sender: m.sender,
        subject: m.subject,
        ticket: m.ticket_id.map(TicketId),
        entry: m.entry_id.map(EntryId),
        attempts: u32::try_from(m.attempts).unwrap_or_default(),
        received_at: time(m.received_at)?,
        processed_at: opt_time(m.processed_at)?,
    })
}

/// Text kept for the list of inbound mail: bounded, whatever the sender wrote.
fn bounded(s: Option<String>) -> Option<String> {
    s.map(|s| s.chars().take(300).collect())
}

/// Marks the message imported into `ticket` and remembers its Message-ID, inside the change's
/// transaction. A Message-ID already remembered (the same message through another account, or
/// two nodes at once) fails the transaction with `Conflict`: the caller records a duplicate.
pub(crate) async fn write_origin(txn: &DatabaseTransaction, origin: &MailOrigin, ticket: TicketId, entry: Option<EntryId>) -> Result<()> {
    let now = micros(crate::now());
    let row = mail_message_id::ActiveModel {
        message_id: Set(origin.message_key.clone()),
        ticket_id: Set(ticket.get()),
        entry_id: Set(entry.map(EntryId::get)),
        outbound: Set(false),
        created_at: Set(now),
    };
    mail_message_id::Entity::insert(row).exec_without_returning(txn).await?;
    let done = mail_inbound::Entity::update_many()
        .col_expr(mail_inbound::Column::Status, Expr::value(InboundStatus::Imported.as_str()))
        .col_expr(mail_inbound::Column::TicketId, Expr::value(ticket.get()))
        .col_expr(mail_inbound::Column::EntryId, Expr::value(entry.map(EntryId::get)))
        .col_expr(mail_inbound::Column::Reason, Expr::value(Option::<String>::None))
        .col_expr(mail_inbound::Column::ProcessedAt, Expr::value(now))
        .filter(mail_inbound::Column::Id.eq(origin.inbound.get()))
        .filter(mail_inbound::Column::Status.ne(InboundStatus::Imported.as_str()))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(StoreError::Conflict("the message was imported meanwhile".into()));
    }
    Ok(())
}

impl Store {
    /// Stores a message's row (its bytes are already a blob). A message of an account that is
    /// already stored answers `Known` with its row.
    pub async fn record_inbound(&self, m: NewInbound) -> Result<Recorded> {
        let row = mail_inbound::ActiveModel {
            id: NotSet,
            account_id: Set(m.account.map(MailAccountId::get)),
            remote_key: Set(m.remote_key.clone()),
            message_id: Set(m.message_id),
            sha256: Set(m.sha256),
            size: Set(i64::try_from(m.size).unwrap_or(i64::MAX)),
            status: Set(InboundStatus::Received.as_str().into()),
            reason: Set(None),
            sender: Set(bounded(m.sender)),
            subject: Set(bounded(m.subject)),
            ticket_id: Set(None),
            entry_id: Set(None),
            attempts: Set(0),
            received_at: Set(micros(crate::now())),
            processed_at: Set(None),
        };
        match mail_inbound::Entity::insert(row).exec(&self.write).await {
            Ok(r) => Ok(Recorded::New(InboundMailId(r.last_insert_id))),
            Err(e) => match (StoreError::from(e), m.account, m.remote_key) {
                (StoreError::Conflict(_), Some(account), Some(key)) => {
                    let known = mail_inbound::Entity::find()
                        .filter(mail_inbound::Column::AccountId.eq(account.get()))
                        .filter(mail_inbound::Column::RemoteKey.eq(key))
                        .one(&self.write)
                        .await?
                        .ok_or(StoreError::NotFound("inbound mail"))?;
                    Ok(Recorded::Known(Box::new(to_inbound(known)?)))
                }
                (e, _, _) => Err(e),
            },
        }
    }

    pub async fn inbound(&self, id: InboundMailId) -> Result<Option<InboundMail>> {
        mail_inbound::Entity::find_by_id(id.get()).one(&self.write).await?.map(to_inbound).transpose()
    }

    /// Inbound messages, newest first, of one status or all; `before` pages on.
    pub async fn inbound_list(&self, status: Option<InboundStatus>, before: Option<InboundMailId>, limit: u64) -> Result<Vec<InboundMail>> {
        let mut q = mail_inbound::Entity::find().order_by_desc(mail_inbound::Column::Id).limit(limit);
        if let Some(s) = status {
            q = q.filter(mail_inbound::Column::Status.eq(s.as_str()));
        }
        if let Some(b) = before {
            q = q.filter(mail_inbound::Column::Id.lt(b.get()));
        }
        q.all(&self.read).await?.into_iter().map(to_inbound).collect()
    }

    /// How many inbound messages have `status` (the administration's quarantine badge).
    pub async fn inbound_count(&self, status: InboundStatus) -> Result<u64> {
        Ok(mail_inbound::Entity::find().filter(mail_inbound::Column::Status.eq(status.as_str())).count(&self.read).await?)
    }

    /// Records what became of a message that went into no ticket change (quarantined, ignored,
    /// a duplicate), or a ticket it was attached to outside a change (a bounce's event).
    pub async fn set_inbound_outcome(
        &self,
        id: InboundMailId,
        status: InboundStatus,
        reason: Option<String>,
        ticket: Option<TicketId>,
    ) -> Result<()> {
        mail_inbound::Entity::update_many()
            .col_expr(mail_inbound::Column::Status, Expr::value(status.as_str()))
            .col_expr(mail_inbound::Column::Reason, Expr::value(bounded(reason)))
            .col_expr(mail_inbound::Column::TicketId, Expr::value(ticket.map(TicketId::get)))
            .col_expr(mail_inbound::Column::Attempts, Expr::col(mail_inbound::Column::Attempts).add(1))
            .col_expr(mail_inbound::Column::ProcessedAt, Expr::value(micros(crate::now())))
            .filter(mail_inbound::Column::Id.eq(id.get()))
            // An imported message stays imported, whatever a late second attempt concludes.
            .filter(mail_inbound::Column::Status.ne(InboundStatus::Imported.as_str()))
            .exec(&self.write)
            .await?;
        Ok(())
    }

    /// A piped or posted message with these bytes stored earlier whose processing was cut short
    /// (the MTA retries the same bytes): its row is processed instead of a second one.
    pub async fn unfinished_inbound(&self, sha256: &str) -> Result<Option<InboundMailId>> {
        let row = mail_inbound::Entity::find()
            .filter(mail_inbound::Column::AccountId.is_null())
            .filter(mail_inbound::Column::Sha256.eq(sha256))
            .filter(mail_inbound::Column::Status.eq(InboundStatus::Received.as_str()))
            .order_by_asc(mail_inbound::Column::Id)
            .one(&self.write)
            .await?;
        Ok(row.map(|r| InboundMailId(r.id)))
    }

    /// Counts a processing attempt that failed for a reason that may pass (the database
    /// answered an error): the message stays `received` and is tried again.
    pub async fn inbound_attempted(&self, id: InboundMailId, reason: &str) -> Result<()> {
        mail_inbound::Entity::update_many()
            .col_expr(mail_inbound::Column::Reason, Expr::value(bounded(Some(reason.to_string()))))
            .col_expr(mail_inbound::Column::Attempts, Expr::col(mail_inbound::Column::Attempts).add(1))
            .filter(mail_inbound::Column::Id.eq(id.get()))
            .exec(&self.write)
            .await?;
        Ok(())
    }

    /// The ticket of the newest of these Message-IDs we sent or received.
    pub async fn ticket_of_message_ids(&self, ids: &[String]) -> Result<Option<TicketId>> {
        if ids.is_empty() {
            return Ok(None);
        }
        let ids: Vec<String> = ids.iter().take(100).cloned().collect();
        let row = mail_message_id::Entity::find()
            .filter(mail_message_id::Column::MessageId.is_in(ids))
            .order_by_desc(mail_message_id::Column::CreatedAt)
            .one(&self.write)
            .await?;
        Ok(row.map(|r| TicketId(r.ticket_id)))
    }

    /// Flags the requesters at these addresses: mail to them bounced.
    pub async fn flag_bounced(&self, addresses: &[EmailAddress], reason: &str, at: DateTime<Utc>) -> Result<u64> {
        if addresses.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = crate::entity::requester::Entity::find()
            .select_only()
            .column(crate::entity::requester::Column::Id)
            .filter(crate::entity::requester::Column::Email.is_in(addresses.iter().map(|a| a.as_str().to_string())))
            .into_tuple()
            .all(&self.write)
            .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let res = requester_mail::Entity::update_many()
            .col_expr(requester_mail::Column::MailBouncedAt, Expr::value(micros(at)))
            .col_expr(requester_mail::Column::MailBounceReason, Expr::value(bounded(Some(reason.to_string()))))
            .filter(requester_mail::Column::Id.is_in(ids))
            .exec(&self.write)
            .await?;
        Ok(res.rows_affected)
    }

    /// Clears the requester's bounce flag (an administrator fixed the address or its mailbox),
    /// with its audit entry.
    pub async fn clear_bounce(&self, id: tikal_core::RequesterId, audit: crate::NewAudit) -> Result<()> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                requester_mail::Entity::update_many()
                    .col_expr(requester_mail::Column::MailBouncedAt, Expr::value(Option::<i64>::None))
                    .col_expr(requester_mail::Column::MailBounceReason, Expr::value(Option::<String>::None))
                    .filter(requester_mail::Column::Id.eq(id.get()))
                    .exec(txn)
                    .await?;
                Ok(((), None))
            })
        })
        .await
    }

    /// When mail to the requester last bounced, and why.
    pub async fn requester_bounce(&self, id: tikal_core::RequesterId) -> Result<Option<(DateTime<Utc>, Option<String>)>> {
        let row = requester_mail::Entity::find_by_id(id.get()).one(&self.read).await?;
        match row {
            Some(r) => Ok(opt_time(r.mail_bounced_at)?.map(|at| (at, r.mail_bounce_reason))),
            None => Ok(None),
        }
    }

    /// Which of these entries came in by mail (their original can be downloaded).
    pub async fn entries_by_mail(&self, entries: &[EntryId]) -> Result<HashSet<EntryId>> {
        let mut out = HashSet::new();
        for chunk in entries.chunks(500) {
            let rows: Vec<Option<i64>> = mail_inbound::Entity::find()
                .select_only()
                .column(mail_inbound::Column::EntryId)
                .filter(mail_inbound::Column::EntryId.is_in(chunk.iter().map(|e| e.get())))
                .into_tuple()
                .all(&self.read)
                .await?;
            out.extend(rows.into_iter().flatten().map(EntryId));
        }
        Ok(out)
    }

    /// The message an entry came in.
    pub async fn inbound_of_entry(&self, entry: EntryId) -> Result<Option<InboundMail>> {
        mail_inbound::Entity::find()
            .filter(mail_inbound::Column::EntryId.eq(entry.get()))
            .one(&self.read)
            .await?
            .map(to_inbound)
            .transpose()
    }

    /// The desk's own addresses (mailboxes and departments), lower-cased: mail from them is
    /// the desk talking to itself.
    pub async fn own_addresses(&self) -> Result<HashSet<String>> {
        let accounts: Vec<Option<String>> =
            mail_account::Entity::find().select_only().column(mail_account::Column::Address).into_tuple().all(&self.read).await?;
        let departments: Vec<Option<String>> =
            department::Entity::find().select_only().column(department::Column::Email).into_tuple().all(&self.read).await?;
        Ok(accounts.into_iter().chain(departments).flatten().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect())
    }

    /// Where an account's new tickets go (department, help topic).
    pub async fn account_routing(&self, id: MailAccountId) -> Result<(Option<DepartmentId>, Option<HelpTopicId>)> {
        let row = mail_account::Entity::find_by_id(id.get()).one(&self.read).await?.ok_or(StoreError::NotFound("mail account"))?;
        Ok((row.department_id.map(DepartmentId), row.help_topic_id.map(HelpTopicId)))
    }

    /// The blobs inbound messages keep (the housekeeping's orphan purge leaves them).
    pub(crate) async fn inbound_blobs(&self, among: &[String]) -> Result<HashSet<String>> {
        let rows: Vec<String> = mail_inbound::Entity::find()
            .select_only()
            .column(mail_inbound::Column::Sha256)
            .filter(mail_inbound::Column::Sha256.is_in(among.iter().cloned()))
            .into_tuple()
            .all(&self.write)
            .await?;
        Ok(rows.into_iter().collect())
    }
}
