//! Routing rules (osTicket's filters, OTRS's postmaster filters): ordered rules an
//! administrator writes to route new tickets. Each rule has conditions (all or any must hold)
//! and actions; `evaluate` runs them over the facts of a ticket being opened.
//!
//! How rules combine, in one place:
//! - Rules run in their order (`position`); retired (inactive) rules are skipped.
//! - Conditions look at the ticket as it arrived (after its help topic's defaults), never at
//!   what an earlier rule changed: the order of rules changes who wins, not who fires.
//! - Every rule that fires applies its actions in order; a later action or rule overrides an
//!   earlier one for the same property (last wins); tags add up; "no auto-response" and
//!   "reject" stay once set.
//! - A rule that fires with `stop` ends the evaluation; so does a rejection.
//!
//! Administrators' regular expressions are bounded: at most `MAX_PATTERN` characters, a
//! compiled size limit, and they run on bounded text (the subject, the first `MAX_BODY_SCAN`
//! bytes of the body). Rust's `regex` matches in linear time, so no pattern can hang a request.

use regex::{Regex, RegexBuilder};

use crate::error::{DomainError, Reason};
use crate::fields::{FieldValue, FieldValues};
use crate::ids::{AgentId, DepartmentId, HelpTopicId, TeamId};
use crate::priority::Priority;
use crate::sla::SlaPolicy;
use crate::string_enum;
use crate::ticket::Opening;
use crate::ticket::{Channel, TicketType};
use crate::values::{EmailAddress, bounded_text};

/// Most conditions and actions of one rule.
pub const MAX_CONDITIONS: usize = 10;
pub const MAX_ACTIONS: usize = 10;
/// Longest regular expression, in characters.
pub const MAX_PATTERN: usize = 300;
/// Largest compiled regular expression, in bytes.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Longest text value of a condition (a word to look for, a custom field's value).
pub const MAX_VALUE: usize = 200;
/// Longest tag.
pub const MAX_TAG: usize = 40;
/// How much of a message's body the conditions read.
pub const MAX_BODY_SCAN: usize = 64 * 1024;
/// A rule's name.
pub const MAX_NAME: usize = 80;

/// The reason given for a regular expression that would take too much memory to run.
pub const TOO_COMPLEX: &str = "is a regular expression too complex to run; simplify it";
/// The reason given for text that is not a regular expression.
pub const NOT_A_REGEX: &str = "is not a valid regular expression";

/// The other reasons a rule's value is refused (pages say them in the user's language).
pub const BAD_RANGE: &str = "the range must go from the lower priority to the higher, e.g. 1-2";
pub const BAD_FIELD: &str = "must be written key=value with the field's key";
pub const BAD_TAG: &str = "a tag holds letters, digits, spaces, - _ and . only";
pub const BAD_DOMAIN: &str = "is not a valid domain, e.g. proveedor.example";
pub const NAME_TAKEN: &str = "is used by another rule";

/// The form fields errors are reported on: `condition_N` / `action_N` (1-based rows).
const CONDITION_ROWS: [&str; MAX_CONDITIONS] = [
    "condition_1",
    "condition_2",
    "condition_3",
    "condition_4",
    "condition_5",
    "condition_6",
    "condition_7",
    "condition_8",
    "condition_9",
    "condition_10",
];
const ACTION_ROWS: [&str; MAX_ACTIONS] =
    ["action_1", "action_2", "action_3", "action_4", "action_5", "action_6", "action_7", "action_8", "action_9", "action_10"];

/// A routing rule's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub i64);

impl RuleId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

string_enum! {
    /// What a condition looks at and how (its field and operator in one).
    pub enum ConditionKind {
        ChannelIs => "channel_is",
        SenderIs => "sender_is",
        SenderDomainIs => "sender_domain_is",
        RecipientIs => "recipient_is",
        SubjectContains => "subject_contains",
        SubjectMatches => "subject_matches",
        BodyContains => "body_contains",
        BodyMatches => "body_matches",
        TopicIs => "topic_is",
        TopicUnder => "topic_under",
        PriorityIn => "priority_in",
        FieldEquals => "field_equals",
    }
}

string_enum! {
    /// What a rule does when it fires.
    pub enum ActionKind {
        SetDepartment => "set_department",
        SetTopic => "set_topic",
        SetPriority => "set_priority",
        SetType => "set_type",
        SetTeam => "set_team",
        SetOwner => "set_owner",
        AddTag => "add_tag",
        NoAutoreply => "no_autoreply",
        Reject => "reject",
    }
}

impl ActionKind {
    /// Whether the action takes a value.
    pub fn takes_value(self) -> bool {
        !matches!(self, ActionKind::NoAutoreply | ActionKind::Reject)
    }
}

/// An administrator's regular expression, compiled within the limits (case-insensitive).
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl Pattern {
    pub fn parse(field: &'static str, raw: &str) -> Result<Pattern, DomainError> {
        let source = raw.trim();
        if source.is_empty() {
            return Err(DomainError::invalid(field, Reason::Required));
        }
        if source.chars().count() > MAX_PATTERN {
            return Err(DomainError::invalid(field, Reason::TooLong { max: MAX_PATTERN }));
        }
        let regex = RegexBuilder::new(source)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(32)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(_) => DomainError::invalid(field, TOO_COMPLEX),
                _ => DomainError::invalid(field, NOT_A_REGEX),
            })?;
        Ok(Pattern { source: source.to_string(), regex })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// One condition, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    ChannelIs(Channel),
    SenderIs(EmailAddress),
    /// A domain, lower case, without `@`; matches the domain and its subdomains.
    SenderDomainIs(String),
    RecipientIs(EmailAddress),
    /// Lower-cased text to find.
    SubjectContains(String),
    SubjectMatches(Pattern),
    BodyContains(String),
    BodyMatches(Pattern),
    TopicIs(HelpTopicId),
    /// The topic or any topic below it.
    TopicUnder(HelpTopicId),
    /// Priority between the two, inclusive.
    PriorityIn(Priority, Priority),
    /// A custom field's value (its key, the value as text, compared ignoring case).
    FieldEquals(String, String),
}

/// One action, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    SetDepartment(DepartmentId),
    SetTopic(HelpTopicId),
    SetPriority(Priority),
    SetType(TicketType),
    SetTeam(TeamId),
    SetOwner(AgentId),
    AddTag(String),
    NoAutoreply,
    Reject,
}

/// A condition or action as written: its kind and its value as text (an id or a name for
/// departments, topics, teams and agents; `1-2` or `4` for priorities; `key=value` for custom
/// fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Clause {
    pub kind: String,
    #[serde(default)]
    pub value: String,
}

impl Clause {
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Clause {
        Clause { kind: kind.into(), value: value.into() }
    }
}

/// A rule as an administrator writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleInput {
    pub name: String,
    pub active: bool,
    /// All conditions must hold (`true`) or any one of them (`false`).
    pub match_all: bool,
    /// When this rule fires, no later rule runs.
    pub stop: bool,
    pub conditions: Vec<Clause>,
    pub actions: Vec<Clause>,
}

/// Looks up what rules refer to by id or by name (the service answers from the catalogue;
/// stored rules hold ids only).
pub trait References {
    fn department(&self, v: &str) -> Option<DepartmentId>;
    fn topic(&self, v: &str) -> Option<HelpTopicId>;
    fn team(&self, v: &str) -> Option<TeamId>;
    fn agent(&self, v: &str) -> Option<AgentId>;
}

/// Ids only, unchecked: how stored rules are read back.
pub struct IdsOnly;

fn positive(v: &str) -> Option<i64> {
    v.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

impl References for IdsOnly {
    fn department(&self, v: &str) -> Option<DepartmentId> {
        positive(v).map(DepartmentId)
    }
    fn topic(&self, v: &str) -> Option<HelpTopicId> {
        positive(v).map(HelpTopicId)
    }
    fn team(&self, v: &str) -> Option<TeamId> {
        positive(v).map(TeamId)
    }
    fn agent(&self, v: &str) -> Option<AgentId> {
        positive(v).map(AgentId)
    }
}

/// A rule that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `RuleId(0)` until stored.
    pub id: RuleId,
    pub name: String,
    pub position: i32,
    pub active: bool,
    pub match_all: bool,
    pub stop: bool,
    pub conditions: Vec<Condition>,
    pub actions: Vec<RuleAction>,
}

fn text_value(field: &'static str, raw: &str) -> Result<String, DomainError> {
    Ok(bounded_text(field, raw, MAX_VALUE)?.to_lowercase())
}

fn priority_value(field: &'static str, raw: &str) -> Result<Priority, DomainError> {
    let bad = || DomainError::invalid(field, Reason::OutOfRange { min: 1, max: 5 });
    raw.trim().parse::<u8>().map_err(|_| bad()).and_then(|p| Priority::try_from(p).map_err(|_| bad()))
}

/// A domain as `proveedor.example` (an `@` or `*.` before it is dropped).
fn domain_value(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let d = raw.trim().trim_start_matches('*').trim_start_matches('.').trim_start_matches('@').to_lowercase();
    EmailAddress::parse(&format!("x@{d}")).map_err(|_| DomainError::invalid(field, BAD_DOMAIN))?;
    Ok(d)
}

impl Condition {
    pub fn parse(field: &'static str, c: &Clause, refs: &dyn References) -> Result<Condition, DomainError> {
        let kind = c.kind.trim().parse::<ConditionKind>().map_err(|_| DomainError::invalid(field, Reason::NotAnOption))?;
        let v = c.value.trim();
        if v.is_empty() {
            return Err(DomainError::invalid(field, Reason::Required));
        }
        let not_found = || DomainError::invalid(field, Reason::NotFound);
        Ok(match kind {
            ConditionKind::ChannelIs => Condition::ChannelIs(v.parse().map_err(|_| DomainError::invalid(field, Reason::NotAnOption))?),
            ConditionKind::SenderIs => {
                Condition::SenderIs(EmailAddress::parse(v).map_err(|_| DomainError::invalid(field, Reason::InvalidEmail))?)
            }
            ConditionKind::RecipientIs => {
                Condition::RecipientIs(EmailAddress::parse(v).map_err(|_| DomainError::invalid(field, Reason::InvalidEmail))?)
            }
            ConditionKind::SenderDomainIs => Condition::SenderDomainIs(domain_value(field, v)?),
            ConditionKind::SubjectContains => Condition::SubjectContains(text_value(field, v)?),
            ConditionKind::BodyContains => Condition::BodyContains(text_value(field, v)?),
            ConditionKind::SubjectMatches => Condition::SubjectMatches(Pattern::parse(field, v)?),
            ConditionKind::BodyMatches => Condition::BodyMatches(Pattern::parse(field, v)?),
            ConditionKind::TopicIs => Condition::TopicIs(refs.topic(v).ok_or_else(not_found)?),
            ConditionKind::TopicUnder => Condition::TopicUnder(refs.topic(v).ok_or_else(not_found)?),
            ConditionKind::PriorityIn => {
                let (lo, hi) = match v.split_once('-') {
                    Some((a, b)) => (priority_value(field, a)?, priority_value(field, b)?),
                    None => (priority_value(field, v)?, priority_value(field, v)?),
                };
                if lo > hi {
                    return Err(DomainError::invalid(field, BAD_RANGE));
                }
                Condition::PriorityIn(lo, hi)
            }
            ConditionKind::FieldEquals => {
                let (key, value) = v.split_once('=').ok_or_else(|| DomainError::invalid(field, BAD_FIELD))?;
                let key = key.trim();
                if !crate::fields::valid_key(key) {
                    return Err(DomainError::invalid(field, BAD_FIELD));
                }
                Condition::FieldEquals(key.to_string(), text_value(field, value)?)
            }
        })
    }

    pub fn kind(&self) -> ConditionKind {
        match self {
            Condition::ChannelIs(_) => ConditionKind::ChannelIs,
            Condition::SenderIs(_) => ConditionKind::SenderIs,
            Condition::SenderDomainIs(_) => ConditionKind::SenderDomainIs,
            Condition::RecipientIs(_) => ConditionKind::RecipientIs,
            Condition::SubjectContains(_) => ConditionKind::SubjectContains,
            Condition::SubjectMatches(_) => ConditionKind::SubjectMatches,
            Condition::BodyContains(_) => ConditionKind::BodyContains,
            Condition::BodyMatches(_) => ConditionKind::BodyMatches,
            Condition::TopicIs(_) => ConditionKind::TopicIs,
            Condition::TopicUnder(_) => ConditionKind::TopicUnder,
            Condition::PriorityIn(..) => ConditionKind::PriorityIn,
            Condition::FieldEquals(..) => ConditionKind::FieldEquals,
        }
    }

    /// The value as stored (ids for references).
    pub fn value(&self) -> String {
        match self {
            Condition::ChannelIs(c) => c.to_string(),
            Condition::SenderIs(e) | Condition::RecipientIs(e) => e.to_string(),
            Condition::SenderDomainIs(s) | Condition::SubjectContains(s) | Condition::BodyContains(s) => s.clone(),
            Condition::SubjectMatches(p) | Condition::BodyMatches(p) => p.as_str().to_string(),
            Condition::TopicIs(t) | Condition::TopicUnder(t) => t.get().to_string(),
            Condition::PriorityIn(lo, hi) if lo == hi => lo.to_string(),
            Condition::PriorityIn(lo, hi) => format!("{lo}-{hi}"),
            Condition::FieldEquals(k, v) => format!("{k}={v}"),
        }
    }

    pub fn clause(&self) -> Clause {
        Clause::new(self.kind().as_str(), self.value())
    }

    fn holds(&self, f: &TicketFacts) -> bool {
        match self {
            Condition::ChannelIs(c) => f.channel == *c,
            Condition::SenderIs(e) => f.sender.as_ref() == Some(e),
            Condition::SenderDomainIs(d) => f.sender.as_ref().is_some_and(|s| {
                let sd = s.domain();
                sd == d || sd.strip_suffix(d.as_str()).is_some_and(|rest| rest.ends_with('.'))
            }),
            Condition::RecipientIs(e) => f.recipient.as_ref() == Some(e),
            Condition::SubjectContains(t) => f.subject.to_lowercase().contains(t.as_str()),
            Condition::SubjectMatches(p) => p.is_match(&f.subject),
            Condition::BodyContains(t) => f.scanned_body().to_lowercase().contains(t.as_str()),
            Condition::BodyMatches(p) => p.is_match(f.scanned_body()),
            Condition::TopicIs(t) => f.topic_path.first() == Some(t),
            Condition::TopicUnder(t) => f.topic_path.contains(t),
            Condition::PriorityIn(lo, hi) => (*lo..=*hi).contains(&f.priority),
            Condition::FieldEquals(k, v) => f.fields.get(k).is_some_and(|x| field_text(x).iter().any(|x| x.to_lowercase() == *v)),
        }
    }
}

/// A custom field's value as the texts a condition compares with.
fn field_text(v: &FieldValue) -> Vec<String> {
    match v {
        FieldValue::Bool(b) => vec![if *b { "true".into() } else { "false".into() }],
        FieldValue::Number(n) => vec![n.to_string()],
        FieldValue::Text(s) => vec![s.clone()],
        FieldValue::List(l) => l.clone(),
    }
}

impl RuleAction {
    pub fn parse(field: &'static str, c: &Clause, refs: &dyn References) -> Result<RuleAction, DomainError> {
        let kind = c.kind.trim().parse::<ActionKind>().map_err(|_| DomainError::invalid(field, Reason::NotAnOption))?;
        let v = c.value.trim();
        if kind.takes_value() && v.is_empty() {
            return Err(DomainError::invalid(field, Reason::Required));
        }
        let not_found = || DomainError::invalid(field, Reason::NotFound);
        Ok(match kind {
            ActionKind::SetDepartment => RuleAction::SetDepartment(refs.department(v).ok_or_else(not_found)?),
            ActionKind::SetTopic => RuleAction::SetTopic(refs.topic(v).ok_or_else(not_found)?),
            ActionKind::SetPriority => RuleAction::SetPriority(priority_value(field, v)?),
            ActionKind::SetType => RuleAction::SetType(v.parse().map_err(|_| DomainError::invalid(field, Reason::NotAnOption))?),
            ActionKind::SetTeam => RuleAction::SetTeam(refs.team(v).ok_or_else(not_found)?),
            ActionKind::SetOwner => RuleAction::SetOwner(refs.agent(v).ok_or_else(not_found)?),
            ActionKind::AddTag => RuleAction::AddTag(tag(field, v)?),
            ActionKind::NoAutoreply => RuleAction::NoAutoreply,
            ActionKind::Reject => RuleAction::Reject,
        })
    }

    pub fn kind(&self) -> ActionKind {
        match self {
            RuleAction::SetDepartment(_) => ActionKind::SetDepartment,
            RuleAction::SetTopic(_) => ActionKind::SetTopic,
            RuleAction::SetPriority(_) => ActionKind::SetPriority,
            RuleAction::SetType(_) => ActionKind::SetType,
            RuleAction::SetTeam(_) => ActionKind::SetTeam,
            RuleAction::SetOwner(_) => ActionKind::SetOwner,
            RuleAction::AddTag(_) => ActionKind::AddTag,
            RuleAction::NoAutoreply => ActionKind::NoAutoreply,
            RuleAction::Reject => ActionKind::Reject,
        }
    }

    pub fn value(&self) -> String {
        match self {
            RuleAction::SetDepartment(d) => d.get().to_string(),
            RuleAction::SetTopic(t) => t.get().to_string(),
            RuleAction::SetPriority(p) => p.to_string(),
            RuleAction::SetType(t) => t.to_string(),
            RuleAction::SetTeam(t) => t.get().to_string(),
            RuleAction::SetOwner(a) => a.get().to_string(),
            RuleAction::AddTag(t) => t.clone(),
            RuleAction::NoAutoreply | RuleAction::Reject => String::new(),
        }
    }

    pub fn clause(&self) -> Clause {
        Clause::new(self.kind().as_str(), self.value())
    }
}

/// A tag: one word or a few (letters, digits, `-`, `_`, `.`, spaces), lower case.
pub fn tag(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let t = bounded_text(field, raw, MAX_TAG)?.to_lowercase();
    if !t.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ')) {
        return Err(DomainError::invalid(field, BAD_TAG));
    }
    Ok(t)
}

impl RuleInput {
    /// Checks the rule: a name, 1..=10 conditions and actions (blank rows are dropped), every
    /// value of the right form, every regular expression within the limits, every reference
    /// found by `refs`. Errors name the row (`condition_2`, `action_1`).
    pub fn validate(&self, refs: &dyn References) -> Result<Rule, DomainError> {
        let name = bounded_text("name", &self.name, MAX_NAME)?;
        let blank = |c: &&Clause| !(c.kind.trim().is_empty() && c.value.trim().is_empty());
        let conditions: Vec<&Clause> = self.conditions.iter().filter(blank).collect();
        let actions: Vec<&Clause> = self.actions.iter().filter(blank).collect();
        if conditions.is_empty() {
            return Err(DomainError::invalid("conditions", Reason::Required));
        }
        if actions.is_empty() {
            return Err(DomainError::invalid("actions", Reason::Required));
        }
        if conditions.len() > MAX_CONDITIONS {
            return Err(DomainError::invalid("conditions", format!("at most {MAX_CONDITIONS}")));
        }
        if actions.len() > MAX_ACTIONS {
            return Err(DomainError::invalid("actions", format!("at most {MAX_ACTIONS}")));
        }
        let conditions =
            conditions.iter().zip(CONDITION_ROWS).map(|(c, field)| Condition::parse(field, c, refs)).collect::<Result<Vec<_>, _>>()?;
        let actions = actions.iter().zip(ACTION_ROWS).map(|(c, field)| RuleAction::parse(field, c, refs)).collect::<Result<Vec<_>, _>>()?;
        Ok(Rule { id: RuleId(0), name, position: 0, active: self.active, match_all: self.match_all, stop: self.stop, conditions, actions })
    }
}

impl Rule {
    /// The rule as written (ids for references), to edit it again.
    pub fn input(&self) -> RuleInput {
        RuleInput {
            name: self.name.clone(),
            active: self.active,
            match_all: self.match_all,
            stop: self.stop,
            conditions: self.conditions.iter().map(Condition::clause).collect(),
            actions: self.actions.iter().map(RuleAction::clause).collect(),
        }
    }

    /// Whether its conditions hold for `f`.
    pub fn matches(&self, f: &TicketFacts) -> bool {
        if self.match_all { self.conditions.iter().all(|c| c.holds(f)) } else { self.conditions.iter().any(|c| c.holds(f)) }
    }

    /// The conditions as stored (JSON of `Clause`s).
    pub fn conditions_json(&self) -> String {
        serde_json::to_string(&self.conditions.iter().map(Condition::clause).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
    }

    pub fn actions_json(&self) -> String {
        serde_json::to_string(&self.actions.iter().map(RuleAction::clause).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
    }

    /// A stored rule read back.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        id: RuleId,
        name: String,
        position: i32,
        active: bool,
        match_all: bool,
        stop: bool,
        conditions: &str,
        actions: &str,
    ) -> Result<Rule, DomainError> {
        let read = |s: &str| -> Result<Vec<Clause>, DomainError> {
            serde_json::from_str(s).map_err(|_| DomainError::invalid("conditions", "stored rule is not readable"))
        };
        let input = RuleInput { name, active, match_all, stop, conditions: read(conditions)?, actions: read(actions)? };
        let mut rule = input.validate(&IdsOnly)?;
        rule.id = id;
        rule.position = position;
        Ok(rule)
    }
}

/// What the rules look at about a ticket being opened (or a sample in the try-it box).
#[derive(Debug, Clone)]
pub struct TicketFacts {
    pub channel: Channel,
    pub sender: Option<EmailAddress>,
    /// The address the report was sent to (e-mail only).
    pub recipient: Option<EmailAddress>,
    pub subject: String,
    pub body: String,
    /// The help topic first, then its ancestors.
    pub topic_path: Vec<HelpTopicId>,
    pub priority: Priority,
    pub fields: FieldValues,
}

impl TicketFacts {
    /// The body as far as the rules read it (cut at a character boundary).
    pub fn scanned_body(&self) -> &str {
        let mut end = self.body.len().min(MAX_BODY_SCAN);
        while !self.body.is_char_boundary(end) {
            end -= 1;
        }
        &self.body[..end]
    }
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub id: RuleId,
    pub name: String,
}

/// What the rules decided for a ticket: only what they set (`None`: left as it was).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub fired: Vec<Fired>,
    pub department: Option<DepartmentId>,
    pub topic: Option<HelpTopicId>,
    pub priority: Option<Priority>,
    pub kind: Option<TicketType>,
    pub team: Option<TeamId>,
    pub owner: Option<AgentId>,
    pub tags: Vec<String>,
    pub no_autoreply: bool,
    pub reject: bool,
}

impl Outcome {
    /// The names of the rules that fired, for the ticket's history.
    pub fn names(&self) -> String {
        self.fired.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    fn apply(&mut self, a: &RuleAction) {
        match a {
            RuleAction::SetDepartment(d) => self.department = Some(*d),
            RuleAction::SetTopic(t) => self.topic = Some(*t),
            RuleAction::SetPriority(p) => self.priority = Some(*p),
            RuleAction::SetType(t) => self.kind = Some(*t),
            RuleAction::SetTeam(t) => self.team = Some(*t),
            RuleAction::SetOwner(o) => self.owner = Some(*o),
            RuleAction::AddTag(t) => {
                if !self.tags.contains(t) {
                    self.tags.push(t.clone());
                }
            }
            RuleAction::NoAutoreply => self.no_autoreply = true,
            RuleAction::Reject => self.reject = true,
        }
    }
}

impl Outcome {
    /// Applies what the rules set to a ticket being opened; a new priority brings its own
    /// due times.
    pub fn route(&self, o: &mut Opening, sla: &SlaPolicy) {
        if let Some(d) = self.department {
            o.department_id = d;
        }
        if let Some(t) = self.topic {
            o.help_topic_id = Some(t);
        }
        if let Some(p) = self.priority
            && p != o.priority
        {
            o.priority = p;
            let (response, resolution) = sla.due(p, o.at);
            o.response_due_at = Some(response);
            o.resolution_due_at = Some(resolution);
        }
        if let Some(k) = self.kind {
            o.kind = k;
        }
        o.team_id = self.team.or(o.team_id);
        o.owner_id = self.owner.or(o.owner_id);
        o.tags.clone_from(&self.tags);
        o.routed_by = (!self.fired.is_empty()).then(|| self.names());
    }
}

/// Runs `rules` (in `position` order, inactive ones skipped) over `f`; see the module's
/// documentation for how they combine.
pub fn evaluate(rules: &[Rule], f: &TicketFacts) -> Outcome {
    let mut ordered: Vec<&Rule> = rules.iter().filter(|r| r.active).collect();
    ordered.sort_by_key(|r| (r.position, r.id));
    let mut out = Outcome::default();
    for r in ordered {
        if !r.matches(f) {
            continue;
        }
        out.fired.push(Fired { id: r.id, name: r.name.clone() });
        for a in &r.actions {
            out.apply(a);
        }
        if r.stop || out.reject {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names;
    impl References for Names {
        fn department(&self, v: &str) -> Option<DepartmentId> {
            match v {
                "Mesa de Ayuda (Nivel 1)" | "1" => Some(DepartmentId(1)),
                "Consultoría TI (Nivel 2)" | "2" => Some(DepartmentId(2)),
                _ => None,
            }
        }
        fn topic(&self, v: &str) -> Option<HelpTopicId> {
            IdsOnly.topic(v)
        }
        fn team(&self, v: &str) -> Option<TeamId> {
            IdsOnly.team(v)
        }
        fn agent(&self, v: &str) -> Option<AgentId> {
            IdsOnly.agent(v)
        }
    }

    fn rule(id: i64, name: &str, conditions: &[(&str, &str)], actions: &[(&str, &str)]) -> Rule {
        let input = RuleInput {
            name: name.into(),
            active: true,
            match_all: true,
            stop: false,
            conditions: conditions.iter().map(|(k, v)| Clause::new(*k, *v)).collect(),
            actions: actions.iter().map(|(k, v)| Clause::new(*k, *v)).collect(),
        };
        let mut r = input.validate(&Names).expect("valid rule");
        r.id = RuleId(id);
        r.position = i32::try_from(id).expect("small");
        r
    }

    fn facts(priority: u8) -> TicketFacts {
        TicketFacts {
            channel: Channel::Web,
            sender: Some(EmailAddress::parse("ana@gob.example").expect("email")),
            recipient: None,
            subject: "No imprime la impresora del 2º piso".into(),
            body: "Sale una hoja en blanco".into(),
            topic_path: vec![HelpTopicId(5), HelpTopicId(1)],
            priority: Priority::try_from(priority).expect("priority"),
            fields: FieldValues::new(),
        }
    }

    /// Seed 004: priorities 1-2 to the level-1 desk, 3-5 to level 2.
    fn seed_004() -> Vec<Rule> {
        vec![
            rule(1, "Prioridad baja a Nivel 1", &[("priority_in", "1-2")], &[("set_department", "Mesa de Ayuda (Nivel 1)")]),
            rule(2, "Prioridad media o alta a Nivel 2", &[("priority_in", "3-5")], &[("set_department", "Consultoría TI (Nivel 2)")]),
        ]
    }

    #[test]
    fn seed_004s_levels_are_expressible() {
        let rules = seed_004();
        for (p, dept, name) in [
            (1, 1, "Prioridad baja a Nivel 1"),
            (2, 1, "Prioridad baja a Nivel 1"),
            (3, 2, "Prioridad media o alta a Nivel 2"),
            (5, 2, "Prioridad media o alta a Nivel 2"),
        ] {
            let out = evaluate(&rules, &facts(p));
            assert_eq!(out.department, Some(DepartmentId(dept)), "priority {p}");
            assert_eq!(out.names(), name);
        }
        assert_eq!(rules[0].conditions[0].value(), "1-2");
        assert_eq!(rules[0].actions[0].value(), "1", "stored as the id");
    }

    #[test]
    fn later_rules_override_tags_add_up_and_stop_ends() {
        let mut rules = vec![
            rule(1, "a", &[("sender_domain_is", "@gob.example")], &[("set_priority", "2"), ("add_tag", "Interno")]),
            rule(2, "b", &[("subject_contains", "IMPRESORA")], &[("set_priority", "4"), ("add_tag", "impresoras"), ("add_tag", "interno")]),
            rule(3, "c", &[("channel_is", "web")], &[("set_type", "service_request")]),
        ];
        let out = evaluate(&rules, &facts(3));
        assert_eq!(out.priority, Some(Priority::High), "the later rule wins");
        assert_eq!(out.tags, vec!["interno".to_string(), "impresoras".to_string()]);
        assert_eq!(out.kind, Some(TicketType::ServiceRequest));
        assert_eq!(out.fired.len(), 3);
        rules[1].stop = true;
        let out = evaluate(&rules, &facts(3));
        assert_eq!(out.names(), "a, b");
        assert_eq!(out.kind, None);
        // Inactive rules are skipped; order is by position, not by the slice.
        rules[1].active = false;
        rules.swap(0, 2);
        assert_eq!(evaluate(&rules, &facts(3)).names(), "a, c");
    }

    #[test]
    fn any_or_all_conditions() {
        let mut r = rule(1, "x", &[("channel_is", "email"), ("topic_under", "1")], &[("add_tag", "x")]);
        assert!(!r.matches(&facts(3)));
        r.match_all = false;
        assert!(r.matches(&facts(3)));
        let exact = rule(2, "y", &[("topic_is", "1")], &[("add_tag", "y")]);
        assert!(!exact.matches(&facts(3)), "topic_is is the topic itself, not a child");
    }

    #[test]
    fn sender_domain_and_recipient_and_fields() {
        let mut f = facts(3);
        f.sender = Some(EmailAddress::parse("ventas@soporte.proveedor.example").expect("email"));
        f.recipient = Some(EmailAddress::parse("mesa@gob.example").expect("email"));
        f.fields.insert("edificio".into(), FieldValue::Text("Matriz".into()));
        assert!(rule(1, "d", &[("sender_domain_is", "proveedor.example")], &[("add_tag", "p")]).matches(&f));
        assert!(!rule(1, "d", &[("sender_domain_is", "veedor.example")], &[("add_tag", "p")]).matches(&f));
        assert!(rule(1, "r", &[("recipient_is", "MESA@gob.example")], &[("add_tag", "p")]).matches(&f));
        assert!(rule(1, "f", &[("field_equals", "edificio=matriz")], &[("add_tag", "p")]).matches(&f));
        assert!(!rule(1, "f", &[("field_equals", "piso=2")], &[("add_tag", "p")]).matches(&f));
    }

    #[test]
    fn reject_ends_and_regexes_match_case_insensitively() {
        let rules = vec![
            rule(1, "spam", &[("subject_matches", r"(?:viagra|casino|loter[ií]a)")], &[("reject", "")]),
            rule(2, "todo", &[("channel_is", "web")], &[("add_tag", "web")]),
        ];
        let mut f = facts(3);
        f.subject = "Gane la LOTERÍA hoy".into();
        let out = evaluate(&rules, &f);
        assert!(out.reject);
        assert!(out.tags.is_empty(), "nothing after a rejection");
        assert!(!evaluate(&rules, &facts(3)).reject);
    }

    #[test]
    fn the_body_is_read_up_to_a_bound() {
        let mut f = facts(3);
        f.body = format!("{}ñfin", "a".repeat(MAX_BODY_SCAN - 1));
        assert!(f.scanned_body().len() < MAX_BODY_SCAN);
        assert!(!rule(1, "b", &[("body_contains", "fin")], &[("add_tag", "x")]).matches(&f));
        f.body = "ok fin".into();
        assert!(rule(1, "b", &[("body_matches", r"\bfin$")], &[("add_tag", "x")]).matches(&f));
    }

    fn refused(conditions: &[(&str, &str)], actions: &[(&str, &str)]) -> DomainError {
        let input = RuleInput {
            name: "r".into(),
            conditions: conditions.iter().map(|(k, v)| Clause::new(*k, *v)).collect(),
            actions: actions.iter().map(|(k, v)| Clause::new(*k, *v)).collect(),
            ..Default::default()
        };
        input.validate(&Names).expect_err("refused")
    }

    #[test]
    fn bad_values_are_refused_naming_the_row() {
        let tag = [("add_tag", "x")];
        assert_eq!(refused(&[("subject_matches", "(a")], &tag), DomainError::invalid("condition_1", NOT_A_REGEX));
        assert_eq!(
            refused(&[("channel_is", "web"), ("subject_matches", r"(\w{50}){50}")], &tag),
            DomainError::invalid("condition_2", TOO_COMPLEX)
        );
        assert_eq!(
            refused(&[("subject_matches", &"a".repeat(MAX_PATTERN + 1))], &tag),
            DomainError::invalid("condition_1", Reason::TooLong { max: MAX_PATTERN })
        );
        assert_eq!(refused(&[("subject_matches", r"(a)\1")], &tag), DomainError::invalid("condition_1", NOT_A_REGEX), "no backreferences");
        assert_eq!(refused(&[("priority_in", "4-2")], &tag).to_string().split(':').next(), Some("condition_1"));
        assert_eq!(refused(&[("priority_in", "7")], &tag), DomainError::invalid("condition_1", Reason::OutOfRange { min: 1, max: 5 }));
        assert_eq!(refused(&[("sender_is", "no es correo")], &tag), DomainError::invalid("condition_1", Reason::InvalidEmail));
        assert_eq!(refused(&[("color_is", "rojo")], &tag), DomainError::invalid("condition_1", Reason::NotAnOption));
        assert_eq!(refused(&[("channel_is", "web")], &[("set_department", "Nivel 9")]), DomainError::invalid("action_1", Reason::NotFound));
        assert_eq!(refused(&[("channel_is", "web")], &[("add_tag", "a<b>")]).to_string().split(':').next(), Some("action_1"));
        assert_eq!(refused(&[], &tag), DomainError::invalid("conditions", Reason::Required));
        assert_eq!(refused(&[("channel_is", "web")], &[("", "")]), DomainError::invalid("actions", Reason::Required));
    }

    #[test]
    fn stored_rules_read_back() {
        let r = &seed_004()[1];
        let back = Rule::from_stored(r.id, r.name.clone(), r.position, true, true, false, &r.conditions_json(), &r.actions_json())
            .expect("readable");
        assert_eq!(&back, r);
    }
}
