//! Benchmark data (`tikal bench seed`): requesters and tickets written in large multi-row
//! statements, thousands of rows per transaction, straight to the tables. Not a use case of the
//! desk: no events, no notifications, no SLA clock; each ticket gets its first message only.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, NotSet, QueryFilter, Set, TransactionTrait};
use tikal_core::*;

use crate::convert::micros;
use crate::create::next_seqs;
use crate::entity::{requester, thread_entry, ticket};
use crate::{Result, Store, StoreError};

/// Rows per INSERT statement: 28 ticket columns x 500 stays under SQLite's 32,766 variables.
const ROWS_PER_STATEMENT: usize = 500;

/// One benchmark ticket, decided by the caller; the store adds the number and the ids.
#[derive(Debug, Clone)]
pub struct SeedTicket {
    pub subject: Subject,
    /// The requester's first message.
    pub body: String,
    pub requester_id: RequesterId,
    pub requester_name: String,
    pub channel: Channel,
    pub kind: TicketType,
    pub help_topic_id: Option<HelpTopicId>,
    pub department_id: DepartmentId,
    pub priority: Priority,
    pub status: Status,
    pub owner_id: Option<AgentId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// SLA due times (the overdue and due-soon queues).
    pub response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
}

impl Store {
    /// Finds or creates requesters by address (joined to the organisation of their domain);
    /// returns their ids in the order given.
    pub async fn bench_requesters(&self, people: &[(EmailAddress, PersonName)], at: DateTime<Utc>) -> Result<Vec<RequesterId>> {
        let txn = self.write.begin().await?;
        let mut domains: Vec<String> = people.iter().map(|(e, _)| e.domain().to_string()).collect();
        domains.sort();
        domains.dedup();
        let orgs = crate::accounts::organisations_by_domain(&txn, domains).await?;
        let mut ids: BTreeMap<String, i64> = BTreeMap::new();
        for chunk in people.chunks(ROWS_PER_STATEMENT) {
            let rows = chunk.iter().map(|(email, name)| requester::ActiveModel {
                id: NotSet,
                email: Set(email.as_str().to_string()),
                name: Set(name.as_str().to_string()),
                phone: Set(None),
                organisation_id: Set(orgs.get(email.domain()).copied()),
                language: Set(Some("es".into())),
                password_hash: Set(None),
                created_at: Set(micros(at)),
                verification_pending: Set(false),
            });
            requester::Entity::insert_many(rows)
                .on_conflict(OnConflict::column(requester::Column::Email).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
            let emails: Vec<&str> = chunk.iter().map(|(e, _)| e.as_str()).collect();
            for m in requester::Entity::find().filter(requester::Column::Email.is_in(emails)).all(&txn).await? {
                ids.insert(m.email, m.id);
            }
        }
        txn.commit().await?;
        people.iter().map(|(e, _)| ids.get(e.as_str()).copied().map(RequesterId).ok_or(StoreError::NotFound("requester"))).collect()
    }

    /// Writes benchmark tickets and their first messages in one transaction, numbered like
    /// any other ticket (the numbering sequence moves on, so later tickets do not collide).
    pub async fn bench_seed(&self, tickets: &[SeedTicket], format: &NumberFormat) -> Result<()> {
        let txn = self.write.begin().await?;
        let seqs = next_seqs(&txn, tickets.len()).await?;
        let numbered: Vec<(&SeedTicket, i64, String)> = tickets
            .iter()
            .zip(seqs)
            .map(|(t, seq)| (t, seq, format.format(u64::try_from(seq).unwrap_or(0), t.created_at.year()).as_str().to_string()))
            .collect();
        for chunk in numbered.chunks(ROWS_PER_STATEMENT) {
            let rows = chunk.iter().map(|(t, seq, number)| ticket_row(t, *seq, number));
            let inserted = ticket::Entity::insert_many(rows).exec_with_returning(&txn).await?;
            let ids: BTreeMap<String, i64> = inserted.into_iter().map(|m| (m.number, m.id)).collect();
            let mut messages = Vec::with_capacity(chunk.len());
            for (t, _, number) in chunk {
                let id = ids.get(number).copied().ok_or(StoreError::NotFound("inserted ticket"))?;
                messages.push(thread_entry::ActiveModel {
                    id: NotSet,
                    ticket_id: Set(id),
                    kind: Set(EntryKind::Message.as_str().to_string()),
                    author_kind: Set(Author::Requester(t.requester_id).kind().to_string()),
                    author_id: Set(Some(t.requester_id.get())),
                    author_name: Set(Some(t.requester_name.clone())),
                    body: Set(Some(t.body.clone())),
                    event_kind: Set(None),
                    before_value: Set(None),
                    after_value: Set(None),
                    reason: Set(None),
                    created_at: Set(micros(t.created_at)),
                });
            }
            thread_entry::Entity::insert_many(messages).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

fn ticket_row(t: &SeedTicket, seq: i64, number: &str) -> ticket::ActiveModel {
    ticket::ActiveModel {
        id: NotSet,
        number: Set(number.to_string()),
        seq: Set(seq),
        subject: Set(t.subject.as_str().to_string()),
        requester_id: Set(t.requester_id.get()),
        channel: Set(t.channel.as_str().to_string()),
        help_topic_id: Set(t.help_topic_id.map(HelpTopicId::get)),
        kind: Set(t.kind.as_str().to_string()),
        department_id: Set(t.department_id.get()),
        priority: Set(i16::from(t.priority.level())),
        impact: Set(None),
        urgency: Set(None),
        status: Set(t.status.as_str().to_string()),
        owner_id: Set(t.owner_id.map(AgentId::get)),
        responsible_id: Set(None),
        team_id: Set(None),
        custom_fields: Set("{}".into()),
        time_estimate_minutes: Set(None),
        time_spent_minutes: Set(0),
        response_due_at: Set(Some(micros(t.response_due_at))),
        resolution_due_at: Set(Some(micros(t.resolution_due_at))),
        first_response_at: Set(t.first_response_at.map(micros)),
        resolution_approved: Set(false),
        resolution_confirmed: Set(false),
        resolved_at: Set(t.resolved_at.map(micros)),
        closed_at: Set(t.closed_at.map(micros)),
        created_at: Set(micros(t.created_at)),
        updated_at: Set(micros(t.updated_at)),
        version: Set(0),
        request_token: Set(None),
    }
}
