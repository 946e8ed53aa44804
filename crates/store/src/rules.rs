//! Routing rules and ticket tags. Rules are written with their audit entry (`Store::audited`);
//! tags are written with the ticket that gets them (`create.rs`).

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, Set};
use tikal_core::TicketId;
use tikal_core::routing::{Rule, RuleId};

use crate::convert::micros;
use crate::entity::{routing_rule, ticket_tag};
use crate::{NewAudit, Result, Store, StoreError};

fn to_rule(m: routing_rule::Model) -> Result<Rule> {
    Rule::from_stored(RuleId(m.id), m.name, m.position, m.active, m.match_all, m.stop, &m.conditions, &m.actions)
        .map_err(|e| StoreError::Corrupt(format!("routing rule {}: {e}", m.id)))
}

/// Writes the tags of new tickets (`(ticket, tag)` pairs).
pub(crate) async fn insert_tags(conn: &impl ConnectionTrait, tags: Vec<(TicketId, String)>) -> Result<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let rows = tags.into_iter().map(|(t, tag)| ticket_tag::ActiveModel { ticket_id: Set(t.get()), tag: Set(tag) });
    ticket_tag::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

impl Store {
    /// Every routing rule, in order (inactive ones too).
    pub async fn routing_rules(&self) -> Result<Vec<Rule>> {
        let rows = routing_rule::Entity::find()
            .order_by_asc(routing_rule::Column::Position)
            .order_by_asc(routing_rule::Column::Id)
            .all(&self.read)
            .await?;
        rows.into_iter().map(to_rule).collect()
    }

    /// Creates (`id: None`, placed last) or replaces a rule (keeping its place), with its
    /// audit entry.
    pub async fn save_routing_rule(&self, id: Option<RuleId>, rule: Rule, audit: NewAudit) -> Result<Rule> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let position = match id {
                    Some(id) => {
                        let old = routing_rule::Entity::find_by_id(id.get()).one(txn).await?.ok_or(StoreError::NotFound("routing rule"))?;
                        old.position
                    }
                    None => {
                        let last: Option<i32> = routing_rule::Entity::find()
                            .select_only()
                            .column_as(routing_rule::Column::Position.max(), "m")
                            .into_tuple::<Option<i32>>()
                            .one(txn)
                            .await?
                            .flatten();
                        last.map_or(1, |p| p.saturating_add(1))
                    }
                };
                let row = routing_rule::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(rule.name.clone()),
                    position: Set(position),
                    active: Set(rule.active),
                    match_all: Set(rule.match_all),
                    stop: Set(rule.stop),
                    conditions: Set(rule.conditions_json()),
                    actions: Set(rule.actions_json()),
                    updated_at: Set(micros(at)),
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => row.insert(txn).await?,
                };
                let created = id.is_none().then(|| saved.id.to_string());
                Ok((Rule { id: RuleId(saved.id), position: saved.position, ..rule }, created))
            })
        })
        .await
    }

    /// Deletes a rule, with its audit entry.
    pub async fn delete_routing_rule(&self, id: RuleId, audit: NewAudit) -> Result<()> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let r = routing_rule::Entity::delete_by_id(id.get()).exec(txn).await?;
                if r.rows_affected == 0 {
                    return Err(StoreError::NotFound("routing rule"));
                }
                Ok(((), None))
            })
        })
        .await
    }

    /// Gives rules new places (`(rule, position)`), with one audit entry.
    pub async fn place_routing_rules(&self, places: Vec<(RuleId, i32)>, audit: NewAudit) -> Result<()> {
        let at = micros(audit.at);
        self.audited(audit, move |txn| {
            Box::pin(async move {
                for (id, position) in places {
                    let row =
                        routing_rule::ActiveModel { id: Set(id.get()), position: Set(position), updated_at: Set(at), ..Default::default() };
                    row.update(txn).await?;
                }
                Ok(((), None))
            })
        })
        .await
    }

    /// The tags of these tickets, in alphabetical order.
    pub async fn ticket_tags(&self, tickets: &[TicketId]) -> Result<BTreeMap<TicketId, Vec<String>>> {
        let mut out: BTreeMap<TicketId, Vec<String>> = BTreeMap::new();
        if tickets.is_empty() {
            return Ok(out);
        }
        let rows = ticket_tag::Entity::find()
            .filter(ticket_tag::Column::TicketId.is_in(tickets.iter().map(|t| t.get())))
            .order_by_asc(ticket_tag::Column::Tag)
            .all(&self.read)
            .await?;
        for r in rows {
            out.entry(TicketId(r.ticket_id)).or_default().push(r.tag);
        }
        Ok(out)
    }
}
