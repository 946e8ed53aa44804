//! Routing rules: their administration (validated in `tikal_core::routing`, every change in
//! the audit log with before and after), the try-it box, and their application to every new
//! ticket (`tickets.rs` calls `route` once, whatever the channel).

use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::org::{Agent, HelpTopic, Team};
use tikal_core::routing::{self, Clause, Outcome, References, Rule, RuleId, RuleInput, TicketFacts};
use tikal_core::*;

use crate::admin::json;
use crate::{Catalog, Desk, Principal, Result, ServiceError};

/// Finds what a rule names, by id or by name (ignoring case): active departments, topics
/// (by name or "Parent / Child" path), teams, and agents (also by address).
struct Names<'a> {
    catalog: &'a Catalog,
    teams: &'a [Team],
    agents: &'a [Agent],
}

fn id_or<T>(v: &str, by_id: impl Fn(i64) -> Option<T>, by_name: impl Fn(&str) -> Option<T>) -> Option<T> {
    let v = v.trim();
    match v.parse::<i64>() {
        Ok(n) => by_id(n),
        Err(_) => by_name(&v.to_lowercase()),
    }
}

impl References for Names<'_> {
    fn department(&self, v: &str) -> Option<DepartmentId> {
        let all = || self.catalog.departments.iter().filter(|d| d.active);
        id_or(v, |n| all().find(|d| d.id.get() == n).map(|d| d.id), |s| all().find(|d| d.name.to_lowercase() == s).map(|d| d.id))
    }

    fn topic(&self, v: &str) -> Option<HelpTopicId> {
        let all = || self.catalog.topics.iter().filter(|t| t.active);
        let named = |s: &str| {
            all().find(|t| t.path(&self.catalog.topics).to_lowercase() == s).or_else(|| all().find(|t| t.name.to_lowercase() == s))
        };
        id_or(v, |n| all().find(|t| t.id.get() == n).map(|t| t.id), |s| named(s).map(|t| t.id))
    }

    fn team(&self, v: &str) -> Option<TeamId> {
        let all = || self.teams.iter().filter(|t| t.active);
        id_or(v, |n| all().find(|t| t.id.get() == n).map(|t| t.id), |s| all().find(|t| t.name.to_lowercase() == s).map(|t| t.id))
    }

    fn agent(&self, v: &str) -> Option<AgentId> {
        let all = || self.agents.iter().filter(|a| a.active);
        let named = |s: &str| all().find(|a| a.email.as_str() == s || a.name.as_str().to_lowercase() == s).map(|a| a.id);
        id_or(v, |n| all().find(|a| a.id.get() == n).map(|a| a.id), named)
    }
}

/// A rule as the audit log records it.
#[derive(Serialize)]
struct RuleDoc<'a> {
    name: &'a str,
    position: i32,
    active: bool,
    match_all: bool,
    stop: bool,
    conditions: Vec<Clause>,
    actions: Vec<Clause>,
}

fn rule_doc(r: &Rule) -> Option<String> {
    let input = r.input();
    json(&RuleDoc {
        name: &r.name,
        position: r.position,
        active: r.active,
        match_all: r.match_all,
        stop: r.stop,
        conditions: input.conditions,
        actions: input.actions,
    })
}

/// A sample ticket for the try-it box.
#[derive(Debug, Clone)]
pub struct RoutingSample {
    pub channel: Channel,
    pub sender: Option<EmailAddress>,
    pub recipient: Option<EmailAddress>,
    pub subject: String,
    pub body: String,
    pub help_topic_id: Option<HelpTopicId>,
    pub priority: Option<Priority>,
}

/// What the rules would do to a sample: the rules that fire, what they set, and the ticket's
/// department, topic, priority and type as it would be opened.
#[derive(Debug, Clone)]
pub struct Trial {
    pub outcome: Outcome,
    pub department: DepartmentId,
    pub help_topic: Option<HelpTopicId>,
    pub priority: Priority,
    pub kind: TicketType,
}

/// The help topic and its ancestors (bounded: a corrupt cycle must not hang).
pub(crate) fn topic_path(catalog: &Catalog, topic: Option<&HelpTopic>) -> Vec<HelpTopicId> {
    let mut path = Vec::new();
    let mut cur = topic.map(|t| t.id);
    for _ in 0..16 {
        let Some(id) = cur else { break };
        path.push(id);
        cur = catalog.topic(id).and_then(|t| t.parent_id);
    }
    path
}

impl Desk {
    /// Every routing rule in order, inactive ones too (administrators only).
    pub async fn routing_rules(&self, by: &Principal) -> Result<Vec<Rule>> {
        Self::admin_actor(by)?;
        Ok(self.store.routing_rules().await?)
    }

    pub async fn routing_rule(&self, by: &Principal, id: RuleId) -> Result<Rule> {
        self.routing_rules(by).await?.into_iter().find(|r| r.id == id).ok_or(ServiceError::NotFound("routing rule"))
    }

    /// Creates (`id: None`, placed last) or replaces a rule.
    pub async fn save_routing_rule(&self, by: &Principal, id: Option<RuleId>, input: RuleInput) -> Result<Rule> {
        Self::admin_actor(by)?;
        let rules = self.store.routing_rules().await?;
        let before = match id {
            Some(id) => Some(rules.iter().find(|r| r.id == id).cloned().ok_or(ServiceError::NotFound("routing rule"))?),
            None => None,
        };
        let catalog = self.catalog().await?;
        let (teams, agents) = (self.store.teams().await?, self.store.agents().await?);
        let rule = input.validate(&Names { catalog: &catalog, teams: &teams, agents: &agents })?;
        let folded = rule.name.to_lowercase();
        if rules.iter().any(|r| Some(r.id) != id && r.name.to_lowercase() == folded) {
            return Err(DomainError::invalid("name", routing::NAME_TAKEN).into());
        }
        let action = AuditAction::of_save(before.as_ref().map(|b| b.active), rule.active);
        let after =
            Rule { id: id.unwrap_or(RuleId(0)), position: before.as_ref().map_or(rules.len() as i32 + 1, |b| b.position), ..rule.clone() };
        let audit = Self::audit_entry(
            by,
            action,
            AdminEntity::RoutingRule,
            id.map(RuleId::get).unwrap_or_default(),
            rule.name.clone(),
            before.as_ref().and_then(rule_doc),
            rule_doc(&after),
        )?;
        Ok(self.store.save_routing_rule(id, rule, audit).await?)
    }

    /// Turns a rule on or off.
    pub async fn set_routing_rule_active(&self, by: &Principal, id: RuleId, active: bool) -> Result<Rule> {
        let rule = self.routing_rule(by, id).await?;
        if rule.active == active {
            return Ok(rule);
        }
        let input = RuleInput { active, ..rule.input() };
        self.save_routing_rule(by, Some(id), input).await
    }

    /// Deletes a rule.
    pub async fn delete_routing_rule(&self, by: &Principal, id: RuleId) -> Result<()> {
        let rule = self.routing_rule(by, id).await?;
        let audit =
            Self::audit_entry(by, AuditAction::Delete, AdminEntity::RoutingRule, id.get(), rule.name.clone(), rule_doc(&rule), None)?;
        Ok(self.store.delete_routing_rule(id, audit).await?)
    }

    /// Moves a rule one place up (earlier) or down; at either end nothing changes.
    pub async fn move_routing_rule(&self, by: &Principal, id: RuleId, up: bool) -> Result<()> {
        let mut rules = self.routing_rules(by).await?;
        let at = rules.iter().position(|r| r.id == id).ok_or(ServiceError::NotFound("routing rule"))?;
        let other = match (up, at) {
            (true, 0) => return Ok(()),
            (true, at) => at - 1,
            (false, at) if at + 1 >= rules.len() => return Ok(()),
            (false, at) => at + 1,
        };
        let before = rule_doc(&rules[at]);
        rules.swap(at, other);
        // Positions 1..n in the new order (also tidies gaps left by deletions).
        let mut places = Vec::new();
        for (i, r) in rules.iter_mut().enumerate() {
            let p = i32::try_from(i + 1).unwrap_or(i32::MAX);
            if r.position != p {
                r.position = p;
                places.push((r.id, p));
            }
        }
        let moved = rules.iter().find(|r| r.id == id).ok_or(ServiceError::NotFound("routing rule"))?;
        let audit =
            Self::audit_entry(by, AuditAction::Update, AdminEntity::RoutingRule, id.get(), moved.name.clone(), before, rule_doc(moved))?;
        Ok(self.store.place_routing_rules(places, audit).await?)
    }

    /// Puts every rule in `order` at positions 1..n (the configuration import); each rule that
    /// moves is one audited change, as a move on the page is.
    pub(crate) async fn order_routing_rules(&self, by: &Principal, order: &[RuleId]) -> Result<()> {
        Self::admin_actor(by)?;
        let rules = self.store.routing_rules().await?;
        for (i, id) in order.iter().enumerate() {
            let p = i32::try_from(i + 1).unwrap_or(i32::MAX);
            let r = rules.iter().find(|r| r.id == *id).ok_or(ServiceError::NotFound("routing rule"))?;
            if r.position == p {
                continue;
            }
            let after = Rule { position: p, ..r.clone() };
            let audit = Self::audit_entry(
                by,
                AuditAction::Update,
                AdminEntity::RoutingRule,
                id.get(),
                r.name.clone(),
                rule_doc(r),
                rule_doc(&after),
            )?;
            self.store.place_routing_rules(vec![(*id, p)], audit).await?;
        }
        Ok(())
    }

    /// What the rules would do to a sample ticket; nothing is stored.
    pub async fn try_routing_rules(&self, by: &Principal, s: RoutingSample) -> Result<Trial> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let topic = match s.help_topic_id {
            Some(id) => Some(catalog.topic(id).ok_or(DomainError::invalid("sample_topic", Reason::NotFound))?),
            None => None,
        };
        let department = self.resolve_department(&catalog, None, topic)?;
        let priority = s.priority.or(topic.and_then(|t| t.default_priority)).unwrap_or(Priority::Medium);
        let facts = TicketFacts {
            channel: s.channel,
            sender: s.sender,
            recipient: s.recipient,
            subject: s.subject,
            body: s.body,
            topic_path: topic_path(&catalog, topic),
            priority,
            fields: Default::default(),
        };
        let outcome = routing::evaluate(&self.store.routing_rules().await?, &facts);
        Ok(Trial {
            department: outcome.department.unwrap_or(department),
            help_topic: outcome.topic.or(topic.map(|t| t.id)),
            priority: outcome.priority.unwrap_or(priority),
            kind: outcome.kind.or(topic.and_then(|t| t.default_type)).unwrap_or(TicketType::Incident),
            outcome,
        })
    }

    /// Runs the rules over a ticket being opened and applies what they decide to `opening`;
    /// answers whether the requester gets the auto-response. A rejection is
    /// `DomainError::Rejected` (nothing is stored). What a rule names that is gone since (a
    /// retired department, an inactive agent) is left out.
    pub(crate) async fn route(
        &self,
        catalog: &Catalog,
        opening: &mut Opening,
        sender: &EmailAddress,
        recipient: Option<&EmailAddress>,
        body: &str,
    ) -> Result<bool> {
        if !catalog.routing_rules.iter().any(|r| r.active) {
            return Ok(true);
        }
        let topic = opening.help_topic_id.and_then(|t| catalog.topic(t));
        let facts = TicketFacts {
            channel: opening.channel,
            sender: Some(sender.clone()),
            recipient: recipient.cloned(),
            subject: opening.subject.as_str().to_string(),
            body: body.chars().take(routing::MAX_BODY_SCAN).collect(),
            topic_path: topic_path(catalog, topic),
            priority: opening.priority,
            fields: opening.custom_fields.clone(),
        };
        let mut outcome = routing::evaluate(&catalog.routing_rules, &facts);
        if outcome.reject {
            tracing::info!(rules = %outcome.names(), "report rejected by a routing rule");
            return Err(DomainError::Rejected.into());
        }
        if outcome.department.is_some_and(|d| !catalog.department(d).is_some_and(|d| d.active)) {
            outcome.department = None;
        }
        if outcome.topic.is_some_and(|t| !catalog.topic(t).is_some_and(|t| t.active)) {
            outcome.topic = None;
        }
        if let Some(team) = outcome.team
            && !self.store.teams().await?.iter().any(|t| t.id == team && t.active)
        {
            outcome.team = None;
        }
        if let Some(owner) = outcome.owner
            && self.store.agent(owner).await?.is_none_or(|a| !a.active)
        {
            outcome.owner = None;
        }
        outcome.route(opening, &self.config.sla);
        Ok(!outcome.no_autoreply)
    }
}
