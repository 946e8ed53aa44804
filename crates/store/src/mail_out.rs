//! What the outbox worker reads and writes to send ticket notifications: the Message-IDs of a
//! ticket's mail (threading), the automatic replies sent per address (loop brake), the
//! requesters' addresses with their language and bounce state, and the agents a department's
//! alerts go to.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use tikal_core::{AgentId, DepartmentId, EntryId, RequesterId, TicketId};

use crate::convert::{micros, opt_time, time};
use crate::entity::{agent, agent_department, mail_autoreply, mail_message_id, requester, requester_mail};
use crate::{Result, Store};

/// A Message-ID of a ticket's mail: one we sent (`outbound`) or one we received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageIdRow {
    /// With its angle brackets: `<tikal.000042.3f9a@mesa.example.gob>`.
    pub message_id: String,
    pub ticket_id: TicketId,
    /// The entry the mail carried (an agent's reply, a requester's message), if any.
    pub entry_id: Option<EntryId>,
    pub outbound: bool,
    pub created_at: DateTime<Utc>,
}

/// A requester as mail reaches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecipient {
    pub id: RequesterId,
    pub email: String,
    pub name: String,
    /// The language they chose (`es`, `en`), if they did.
    pub language: Option<String>,
    /// Set when mail to the address bounced: no automatic mail goes to it.
    pub bounced_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Records a Message-ID of ours before the mail is sent, so a reply to it finds its ticket
    /// even if the worker stops right after sending. `false` when it was recorded already: that
    /// mail was sent, or was being sent when a worker stopped (not sent again).
    pub async fn record_outbound_message_id(
        &self,
        message_id: &str,
        ticket: TicketId,
        entry: Option<EntryId>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let row = mail_message_id::ActiveModel {
            message_id: Set(message_id.to_string()),
            ticket_id: Set(ticket.get()),
            entry_id: Set(entry.map(EntryId::get)),
            outbound: Set(true),
            created_at: Set(micros(at)),
        };
        let inserted = mail_message_id::Entity::insert(row)
            .on_conflict(OnConflict::column(mail_message_id::Column::MessageId).do_nothing().to_owned())
            .exec_without_returning(&self.write)
            .await?;
        Ok(inserted == 1)
    }

    /// Forgets a Message-ID of ours whose mail the server refused: it was never sent, and the
    /// next attempt records it again.
    pub async fn forget_outbound_message_id(&self, message_id: &str) -> Result<()> {
        mail_message_id::Entity::delete_many()
            .filter(mail_message_id::Column::MessageId.eq(message_id))
            .filter(mail_message_id::Column::Outbound.eq(true))
            .exec(&self.write)
            .await?;
        Ok(())
    }

    /// Every Message-ID of a ticket's mail, oldest first.
    pub async fn message_ids(&self, ticket: TicketId) -> Result<Vec<MessageIdRow>> {
        mail_message_id::Entity::find()
            .filter(mail_message_id::Column::TicketId.eq(ticket.get()))
            .order_by_asc(mail_message_id::Column::CreatedAt)
            .order_by_asc(mail_message_id::Column::MessageId)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|m| {
                Ok(MessageIdRow {
                    message_id: m.message_id,
                    ticket_id: TicketId(m.ticket_id),
                    entry_id: m.entry_id.map(EntryId),
                    outbound: m.outbound,
                    created_at: time(m.created_at)?,
                })
            })
            .collect()
    }

    /// Notes an automatic reply sent to `address` (the intake counts them to brake loops).
    pub async fn record_autoreply(&self, address: &str, at: DateTime<Utc>) -> Result<()> {
        let row = mail_autoreply::ActiveModel { id: sea_orm::NotSet, address: Set(address.to_ascii_lowercase()), sent_at: Set(micros(at)) };
        mail_autoreply::Entity::insert(row).exec_without_returning(&self.write).await?;
        Ok(())
    }

    /// How many automatic replies went to `address` since `since`.
    pub async fn autoreplies_since(&self, address: &str, since: DateTime<Utc>) -> Result<u64> {
        Ok(mail_autoreply::Entity::find()
            .filter(mail_autoreply::Column::Address.eq(address.to_ascii_lowercase()))
            .filter(mail_autoreply::Column::SentAt.gte(micros(since)))
            .count(&self.read)
            .await?)
    }

    /// The requesters with what mail to them needs (in the order of `ids`; unknown ids are
    /// left out).
    pub async fn mail_recipients(&self, ids: &[RequesterId]) -> Result<Vec<MailRecipient>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<i64> = ids.iter().map(|i| i.get()).collect();
        let rows = requester::Entity::find().filter(requester::Column::Id.is_in(keys.clone())).all(&self.read).await?;
        let bounces = requester_mail::Entity::find().filter(requester_mail::Column::Id.is_in(keys)).all(&self.read).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(r) = rows.iter().find(|r| r.id == id.get()) else { continue };
            let bounced = bounces.iter().find(|b| b.id == r.id).and_then(|b| b.mail_bounced_at);
            out.push(MailRecipient {
                id: *id,
                email: r.email.clone(),
                name: r.name.clone(),
                language: r.language.clone(),
                bounced_at: opt_time(bounced)?,
            });
        }
        Ok(out)
    }

    /// The active agents who hold a role in `department` (its alerts go to them), by id.
    pub async fn department_agents(&self, department: DepartmentId) -> Result<Vec<AgentId>> {
        let granted: Vec<i64> = agent_department::Entity::find()
            .filter(agent_department::Column::DepartmentId.eq(department.get()))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|g| g.agent_id)
            .collect();
        if granted.is_empty() {
            return Ok(Vec::new());
        }
        Ok(agent::Entity::find()
            .filter(agent::Column::Id.is_in(granted))
            .filter(agent::Column::Active.eq(true))
            .order_by_asc(agent::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|a| AgentId(a.id))
            .collect())
    }

    /// The active agents of a department whose role there grants `permission` (the
    /// supervisors an alert goes to are those who may approve solutions).
    pub async fn department_agents_with(
        &self,
        department: DepartmentId,
        permission: tikal_core::permission::Permission,
    ) -> Result<Vec<AgentId>> {
        let granted: Vec<AgentId> =
            self.department_grants(department).await?.into_iter().filter(|(_, p)| p.contains(&permission)).map(|(a, _)| a).collect();
        let active = self.department_agents(department).await?;
        Ok(active.into_iter().filter(|a| granted.contains(a)).collect())
    }

    /// A time rule's name (for its alert mail); `None` once it is gone.
    pub async fn time_rule_name(&self, id: i64) -> Result<Option<String>> {
        Ok(crate::entity::time_rule::Entity::find_by_id(id).one(&self.read).await?.map(|r| r.name))
    }
}
