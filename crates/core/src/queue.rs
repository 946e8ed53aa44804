//! Queues: what an agent's ticket list shows (filters and sort), written as URL query
//! parameters so a view can be bookmarked and saved; the built-in views; the keyset cursor of a
//! page; and the bounded counts of the dashboard. Pure: parsing, writing back, rules.
//!
//! Parameters (every one optional; lists are comma-separated):
//!
//! | parameter | values |
//! |---|---|
//! | `status` | status keys (`open,en_atencion`) |
//! | `state` | state categories (`new,open,pending,resolved,closed`) |
//! | `priority` | levels 1-5 (`4,5`) |
//! | `type` | `incident`, `service_request`, `problem`, `major_incident` |
//! | `help_topic` | a help topic id |
//! | `owner` | `me`, `none` or an agent id |
//! | `channel` | `web`, `email`, `phone`, `whatsapp`, `walk_in`, `api` |
//! | `department` | a department id |
//! | `created_from`, `created_to`, `updated_from`, `updated_to` | `YYYY-MM-DD` (a whole day, UTC) or an RFC 3339 instant |
//! | `due` | `overdue`, `due_soon`, `on_time`, `none` (active tickets only) |
//! | `review` | `awaiting`: resolved tickets waiting for a supervisor's approval |
//! | `q` | words of the subject, or a ticket number |
//! | `sort` | `updated_desc` (default), `created_desc`, `created_asc`, `priority_desc`, `due_asc` |

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::error::{DomainError, Reason};
use crate::ids::{AgentId, DepartmentId, HelpTopicId, TicketId};
use crate::priority::Priority;
use crate::status::{StateCategory, StatusKey};
use crate::string_enum;
use crate::ticket::{Channel, Ticket, TicketType};

/// How far ahead a due time counts as "due soon".
pub const DUE_SOON: Duration = Duration::hours(4);

/// Bounded counts (overdue, due soon, awaiting review) stop here; the page shows "99+".
pub const COUNT_CAP: u64 = 100;

/// The longest text search accepted.
pub const MAX_TEXT: usize = 200;

string_enum! {
    /// Where a ticket stands against its resolution due time. Only active tickets have one.
    pub enum DueState {
        Overdue => "overdue",
        DueSoon => "due_soon",
        OnTime => "on_time",
        None => "none",
    }
}

string_enum! {
    /// The order of a queue.
    #[derive(Default)]
    pub enum QueueSort {
        /// Most recently changed first (the default).
        #[default]
        UpdatedDesc => "updated_desc",
        CreatedDesc => "created_desc",
        CreatedAsc => "created_asc",
        /// Highest priority first, newest first within a priority.
        PriorityDesc => "priority_desc",
        /// Soonest resolution due time first; tickets without one last.
        DueAsc => "due_asc",
    }
}

impl QueueSort {
    /// One letter naming the sort inside a cursor.
    fn tag(self) -> char {
        match self {
            QueueSort::UpdatedDesc => 'u',
            QueueSort::CreatedDesc => 'c',
            QueueSort::CreatedAsc => 'a',
            QueueSort::PriorityDesc => 'p',
            QueueSort::DueAsc => 'd',
        }
    }
}

/// Whose tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    /// The agent looking at the list.
    Me,
    /// Nobody's: unassigned.
    Nobody,
    Agent(AgentId),
}

/// One end of a time range: a whole day (UTC) or an exact instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    Day(NaiveDate),
    At(DateTime<Utc>),
}

impl TimeBound {
    fn parse(param: &'static str, raw: &str) -> Result<TimeBound, QueueError> {
        if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            return Ok(TimeBound::Day(day));
        }
        DateTime::parse_from_rfc3339(raw)
            .map(|t| TimeBound::At(t.with_timezone(&Utc)))
            .map_err(|_| QueueError::bad(param, raw, "a date (YYYY-MM-DD) or an RFC 3339 time"))
    }

    fn write(&self) -> String {
        match self {
            TimeBound::Day(d) => d.format("%Y-%m-%d").to_string(),
            TimeBound::At(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        }
    }

    /// The instant a range starting here starts.
    fn start(&self) -> DateTime<Utc> {
        match self {
            TimeBound::Day(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default(),
            TimeBound::At(t) => *t,
        }
    }

    /// The instant a range ending here ends (exclusive): a day includes all of itself.
    fn end(&self) -> DateTime<Utc> {
        match self {
            TimeBound::Day(d) => d.succ_opt().and_then(|n| n.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()).unwrap_or(DateTime::<Utc>::MAX_UTC),
            TimeBound::At(t) => *t,
        }
    }
}

/// A time range; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub from: Option<TimeBound>,
    pub to: Option<TimeBound>,
}

impl TimeRange {
    pub fn is_empty(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// `[start, end)` as instants.
    pub fn bounds(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        (self.from.as_ref().map(TimeBound::start), self.to.as_ref().map(TimeBound::end))
    }
}

/// A bad query parameter. `Display` is the English text of the API; `param` names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("unknown parameter `{0}`")]
    UnknownParameter(String),
    #[error("`{0}` is given more than once")]
    Repeated(&'static str),
    #[error("`{param}`: `{value}` is not {expected}")]
    BadValue { param: &'static str, value: String, expected: &'static str },
    #[error("`{0}`: the range ends before it starts")]
    BackwardsRange(&'static str),
    #[error("`{param}` is longer than {max} characters")]
    TooLong { param: &'static str, max: usize },
    #[error("the cursor is not one this list gave")]
    BadCursor,
}

impl QueueError {
    fn bad(param: &'static str, value: &str, expected: &'static str) -> QueueError {
        QueueError::BadValue { param, value: value.chars().take(40).collect(), expected }
    }

    /// The parameter the error is about.
    pub fn param(&self) -> &str {
        match self {
            QueueError::UnknownParameter(p) => p,
            QueueError::Repeated(p) | QueueError::BackwardsRange(p) => p,
            QueueError::BadValue { param, .. } | QueueError::TooLong { param, .. } => param,
            QueueError::BadCursor => "cursor",
        }
    }
}

impl From<QueueError> for DomainError {
    fn from(e: QueueError) -> Self {
        let field = match &e {
            QueueError::Repeated(p) | QueueError::BackwardsRange(p) => p,
            QueueError::BadValue { param, .. } | QueueError::TooLong { param, .. } => param,
            QueueError::UnknownParameter(_) => "query",
            QueueError::BadCursor => "cursor",
        };
        let reason = match &e {
            QueueError::BadValue { value, expected, .. } => format!("`{value}` is not {expected}"),
            QueueError::Repeated(_) => "is given more than once".into(),
            QueueError::BackwardsRange(_) => "the range ends before it starts".into(),
            QueueError::TooLong { max, .. } => return DomainError::invalid(field, Reason::TooLong { max: *max }),
            QueueError::UnknownParameter(_) | QueueError::BadCursor => e.to_string(),
        };
        DomainError::Invalid { field, reason: Reason::Other(reason) }
    }
}

/// What a queue shows and in which order. Every filter narrows (AND); a list inside one filter
/// widens (OR). `Default` is every ticket the agent may see, most recently changed first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueFilter {
    pub statuses: Vec<StatusKey>,
    pub states: Vec<StateCategory>,
    pub priorities: Vec<Priority>,
    pub types: Vec<TicketType>,
    pub help_topic: Option<HelpTopicId>,
    pub owner: Option<OwnerFilter>,
    pub channels: Vec<Channel>,
    pub department: Option<DepartmentId>,
    pub created: TimeRange,
    pub updated: TimeRange,
    pub due: Option<DueState>,
    /// Resolved tickets waiting for a supervisor's approval, in departments where the agent may
    /// approve.
    pub awaiting_review: bool,
    pub text: Option<String>,
    pub sort: QueueSort,
}

/// Every parameter a queue filter reads.
pub const FILTER_PARAMS: [&str; 17] = [
    "status",
    "state",
    "priority",
    "type",
    "help_topic",
    "owner",
    "channel",
    "department",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "due",
    "review",
    "q",
    "sort",
    // Not a filter, but part of a queue's URL: read by whoever pages.
    "cursor",
];

fn list<T>(param: &'static str, raw: &str, expected: &'static str, one: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, QueueError> {
    let mut out = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        out.push(one(item).ok_or_else(|| QueueError::bad(param, item, expected))?);
    }
    Ok(out)
}

fn id(param: &'static str, raw: &str) -> Result<i64, QueueError> {
    raw.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| QueueError::bad(param, raw, "a positive id"))
}

fn join<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(",")
}

impl QueueFilter {
    /// Parses a URL query string (`status=open&sort=due_asc`, with or without the leading `?`).
    /// `cursor` is skipped (the caller reads it); anything else unknown is an error.
    pub fn parse_query(query: &str) -> Result<QueueFilter, QueueError> {
        let pairs: Vec<(String, String)> = query_pairs(query).collect();
        QueueFilter::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// Parses decoded `(name, value)` pairs. Empty values count as absent (an emptied form
    /// field); `cursor` is skipped.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<QueueFilter, QueueError> {
        let mut f = QueueFilter::default();
        let mut seen: Vec<&'static str> = Vec::new();
        for (name, value) in pairs {
            let Some(param) = FILTER_PARAMS.iter().copied().find(|p| *p == name) else {
                return Err(QueueError::UnknownParameter(name.chars().take(40).collect()));
            };
            let value = value.trim();
            if param == "cursor" || value.is_empty() {
                continue;
            }
            if seen.contains(&param) {
                return Err(QueueError::Repeated(param));
            }
            seen.push(param);
            f.set(param, value)?;
        }
        for (name, range) in [("created", &f.created), ("updated", &f.updated)] {
            if let (Some(from), Some(to)) = range.bounds()
                && to <= from
            {
                return Err(QueueError::BackwardsRange(if name == "created" { "created_to" } else { "updated_to" }));
            }
        }
        Ok(f)
    }

    fn set(&mut self, param: &'static str, v: &str) -> Result<(), QueueError> {
        match param {
            "status" => self.statuses = list(param, v, "a status key", |s| StatusKey::parse(s).ok())?,
            "state" => self.states = list(param, v, "a state category", |s| s.parse().ok())?,
            "priority" => {
                self.priorities =
                    list(param, v, "a priority from 1 to 5", |s| s.parse::<u8>().ok().and_then(|n| Priority::try_from(n).ok()))?
            }
            "type" => self.types = list(param, v, "a ticket type", |s| s.parse().ok())?,
            "channel" => self.channels = list(param, v, "a channel", |s| s.parse().ok())?,
            "help_topic" => self.help_topic = Some(HelpTopicId(id(param, v)?)),
            "department" => self.department = Some(DepartmentId(id(param, v)?)),
            "owner" => {
                self.owner = Some(match v {
                    "me" => OwnerFilter::Me,
                    "none" => OwnerFilter::Nobody,
                    n => OwnerFilter::Agent(AgentId(id(param, n).map_err(|_| QueueError::bad(param, n, "me, none or an agent id"))?)),
                })
            }
            "created_from" => self.created.from = Some(TimeBound::parse(param, v)?),
            "created_to" => self.created.to = Some(TimeBound::parse(param, v)?),
            "updated_from" => self.updated.from = Some(TimeBound::parse(param, v)?),
            "updated_to" => self.updated.to = Some(TimeBound::parse(param, v)?),
            "due" => self.due = Some(v.parse().map_err(|_| QueueError::bad(param, v, "overdue, due_soon, on_time or none"))?),
            "review" if v == "awaiting" => self.awaiting_review = true,
            "review" => return Err(QueueError::bad(param, v, "awaiting")),
            "q" if v.chars().count() > MAX_TEXT => return Err(QueueError::TooLong { param, max: MAX_TEXT }),
            "q" if v.chars().any(|c| c.is_control()) => return Err(QueueError::bad(param, v, "text without control characters")),
            "q" => self.text = Some(v.to_string()),
            "sort" => self.sort = v.parse().map_err(|_| QueueError::bad(param, v, "a sort order"))?,
            _ => return Err(QueueError::UnknownParameter(param.to_string())),
        }
        Ok(())
    }

    /// The filter as `(name, value)` pairs in a fixed order; defaults are left out.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut push = |k: &'static str, v: String| {
            if !v.is_empty() {
                out.push((k, v));
            }
        };
        push("status", join(&self.statuses, |s| s.as_str().to_string()));
        push("state", join(&self.states, |s| s.as_str().to_string()));
        push("priority", join(&self.priorities, |p| p.level().to_string()));
        push("type", join(&self.types, |t| t.as_str().to_string()));
        push("help_topic", self.help_topic.map(|t| t.to_string()).unwrap_or_default());
        push(
            "owner",
            match self.owner {
                Some(OwnerFilter::Me) => "me".into(),
                Some(OwnerFilter::Nobody) => "none".into(),
                Some(OwnerFilter::Agent(a)) => a.to_string(),
                None => String::new(),
            },
        );
        push("channel", join(&self.channels, |c| c.as_str().to_string()));
        push("department", self.department.map(|d| d.to_string()).unwrap_or_default());
        let bound = |b: &Option<TimeBound>| b.as_ref().map(TimeBound::write).unwrap_or_default();
        push("created_from", bound(&self.created.from));
        push("created_to", bound(&self.created.to));
        push("updated_from", bound(&self.updated.from));
        push("updated_to", bound(&self.updated.to));
        push("due", self.due.map(|d| d.as_str().to_string()).unwrap_or_default());
        push("review", if self.awaiting_review { "awaiting".into() } else { String::new() });
        push("q", self.text.clone().unwrap_or_default());
        if self.sort != QueueSort::default() {
            push("sort", self.sort.as_str().to_string());
        }
        out
    }

    /// The filter as a URL query string without the `?` (empty for the default), encoded.
    pub fn to_query(&self) -> String {
        self.to_pairs().iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }

    /// Whether the filter can only match active tickets (a due state is one of active tickets).
    pub fn active_only(&self) -> bool {
        self.due.is_some() || (!self.states.is_empty() && self.statuses.is_empty() && self.states.iter().all(|s| s.is_active()))
    }
}

/// The instants splitting due states at `now`: overdue before `now`, due soon before `soon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueWindow {
    pub state: DueState,
    pub now: DateTime<Utc>,
    pub soon: DateTime<Utc>,
}

impl DueWindow {
    pub fn at(state: DueState, now: DateTime<Utc>) -> DueWindow {
        DueWindow { state, now, soon: now + DUE_SOON }
    }
}

/// Where an active ticket with this resolution due time stands at `now`.
pub fn due_state(due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DueState {
    match due {
        None => DueState::None,
        Some(d) if d < now => DueState::Overdue,
        Some(d) if d < now + DUE_SOON => DueState::DueSoon,
        Some(_) => DueState::OnTime,
    }
}

/// The position after the last ticket of a page: its sort key and id. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub sort: QueueSort,
    /// The sort key of the last ticket: a time in microseconds, or the priority level; `None`
    /// for a ticket without a due time under `DueAsc`.
    pub key: Option<i64>,
    pub id: TicketId,
}

impl Cursor {
    /// `u1700000000000000.42`; `dn.42` for a ticket without due time.
    pub fn encode(&self) -> String {
        let key = self.key.map(|k| k.to_string()).unwrap_or_else(|| "n".into());
        format!("{}{key}.{}", self.sort.tag(), self.id.get())
    }

    /// The cursor after `t` in a list sorted by `sort`.
    pub fn after(sort: QueueSort, t: &Ticket) -> Cursor {
        let key = match sort {
            QueueSort::UpdatedDesc => Some(t.updated_at.timestamp_micros()),
            QueueSort::CreatedDesc | QueueSort::CreatedAsc => Some(t.created_at.timestamp_micros()),
            QueueSort::PriorityDesc => Some(i64::from(t.priority.level())),
            // Only active tickets are ordered by due time; the rest follow in id order.
            QueueSort::DueAsc => t.resolution_due_at.filter(|_| t.resolved_at.is_none()).map(|d| d.timestamp_micros()),
        };
        Cursor { sort, key, id: t.id }
    }

    /// Reads a cursor made by `encode` for a list sorted by `sort`.
    pub fn decode(raw: &str, sort: QueueSort) -> Result<Cursor, QueueError> {
        let rest = raw.strip_prefix(sort.tag()).ok_or(QueueError::BadCursor)?;
        let (key, id) = rest.split_once('.').ok_or(QueueError::BadCursor)?;
        let id = id.parse::<i64>().map_err(|_| QueueError::BadCursor)?;
        let key = match key {
            "n" if sort == QueueSort::DueAsc => None,
            k => Some(k.parse::<i64>().map_err(|_| QueueError::BadCursor)?),
        };
        if sort != QueueSort::DueAsc && key.is_none() {
            return Err(QueueError::BadCursor);
        }
        Ok(Cursor { sort, key, id: TicketId(id) })
    }
}

string_enum! {
    /// The views every agent has.
    pub enum BuiltinView {
        /// "Mis tickets": active tickets I own.
        Mine => "mine",
        /// "Sin asignar": active tickets nobody owns, in my departments.
        Unassigned => "unassigned",
        /// "Vencidos": active tickets past their resolution due time.
        Overdue => "overdue",
        /// "Pendientes de revisión": resolved tickets waiting for approval where I may approve.
        AwaitingReview => "review",
    }
}

impl BuiltinView {
    /// The view's filter as a query string.
    pub fn query(self) -> &'static str {
        match self {
            BuiltinView::Mine => "state=new,open,pending&owner=me",
            BuiltinView::Unassigned => "state=new,open,pending&owner=none",
            BuiltinView::Overdue => "due=overdue&sort=due_asc",
            BuiltinView::AwaitingReview => "review=awaiting&sort=updated_desc",
        }
    }

    pub fn filter(self) -> QueueFilter {
        // The queries above are constants checked by a test.
        QueueFilter::parse_query(self.query()).unwrap_or_default()
    }

    pub fn name(self, lang: &str) -> &'static str {
        let es = lang.starts_with("es");
        match self {
            BuiltinView::Mine if es => "Mis tickets",
            BuiltinView::Mine => "My tickets",
            BuiltinView::Unassigned if es => "Sin asignar",
            BuiltinView::Unassigned => "Unassigned",
            BuiltinView::Overdue if es => "Vencidos",
            BuiltinView::Overdue => "Overdue",
            BuiltinView::AwaitingReview if es => "Pendientes de revisión",
            BuiltinView::AwaitingReview => "Awaiting review",
        }
    }
}

/// A saved view's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ViewId(pub i64);

impl ViewId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for ViewId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A view's name: one line, 1-80 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewName(String);

impl ViewName {
    pub const MAX: usize = 80;

    pub fn parse(raw: &str) -> Result<ViewName, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("name", Reason::Required));
        }
        if s.chars().count() > Self::MAX {
            return Err(DomainError::invalid("name", Reason::TooLong { max: Self::MAX }));
        }
        if s.chars().any(|c| c.is_control() || crate::values::is_bidi_control(c)) {
            return Err(DomainError::invalid("name", Reason::ControlCharacters));
        }
        Ok(ViewName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A view an agent saved: a name and a filter, personal or shared with every agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub id: ViewId,
    pub name: ViewName,
    pub filter: QueueFilter,
    /// Who made it; `None` for a view an integration made (always shared).
    pub owner: Option<AgentId>,
    pub shared: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A count that stops at `COUNT_CAP` ("99+").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BoundedCount {
    pub count: u64,
}

impl BoundedCount {
    pub fn capped(&self) -> bool {
        self.count >= COUNT_CAP
    }
}

impl std::fmt::Display for BoundedCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.capped() { write!(f, "{}+", COUNT_CAP - 1) } else { self.count.fmt(f) }
    }
}

/// Splits a query string into decoded pairs (`+` is a space, `%XX` a byte; bad UTF-8 is
/// replaced).
pub fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k), decode(v))
    })
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(h)) => {
                let n = std::str::from_utf8(h).ok().and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(b'%');
                out.push(n);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value: letters, digits and `-._~,:` stay as they are.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_filter_round_trips() {
        let raw = "status=open,en_atencion&state=pending&priority=4,5&type=incident,problem&help_topic=3&owner=12&channel=phone,whatsapp\
                   &department=2&created_from=2026-01-01&created_to=2026-01-31&updated_from=2026-02-01T08:30:00Z&due=overdue\
                   &review=awaiting&q=impresora%20piso%202&sort=due_asc";
        let f = QueueFilter::parse_query(raw).expect("parses");
        assert_eq!(f.priorities, vec![Priority::High, Priority::VeryHigh]);
        assert_eq!(f.owner, Some(OwnerFilter::Agent(AgentId(12))));
        assert_eq!(f.text.as_deref(), Some("impresora piso 2"));
        assert_eq!(f.sort, QueueSort::DueAsc);
        let (from, to) = f.created.bounds();
        assert_eq!(to.expect("end") - from.expect("start"), Duration::days(31), "a day bound includes the whole day");
        let again = QueueFilter::parse_query(&f.to_query()).expect("written back parses");
        assert_eq!(again, f);
        assert_eq!(again.to_query(), f.to_query());
    }

    #[test]
    fn the_default_is_empty_and_sorted_by_update() {
        let f = QueueFilter::parse_query("").expect("empty");
        assert_eq!(f, QueueFilter::default());
        assert_eq!(f.sort, QueueSort::UpdatedDesc);
        assert_eq!(f.to_query(), "");
        assert_eq!(QueueFilter::parse_query("?owner=me&owner=").expect("empty value is absent").owner, Some(OwnerFilter::Me));
        assert_eq!(QueueFilter::parse_query("owner=none&cursor=u1.2").expect("cursor skipped").owner, Some(OwnerFilter::Nobody));
        assert_eq!(QueueFilter::parse_query("q=a+b").expect("plus").text.as_deref(), Some("a b"));
    }

    #[test]
    fn bad_values_say_which_parameter() {
        let err = |q: &str| QueueFilter::parse_query(q).expect_err(q);
        assert_eq!(err("colour=red"), QueueError::UnknownParameter("colour".into()));
        assert!(matches!(err("priority=7"), QueueError::BadValue { param: "priority", .. }));
        assert!(matches!(err("priority=4,x"), QueueError::BadValue { param: "priority", .. }));
        assert!(matches!(err("state=opened"), QueueError::BadValue { param: "state", .. }));
        assert!(matches!(err("status=Open"), QueueError::BadValue { param: "status", .. }));
        assert!(matches!(err("owner=-3"), QueueError::BadValue { param: "owner", .. }));
        assert!(matches!(err("owner=someone"), QueueError::BadValue { param: "owner", .. }));
        assert!(matches!(err("department=0"), QueueError::BadValue { param: "department", .. }));
        assert!(matches!(err("created_from=31/01/2026"), QueueError::BadValue { param: "created_from", .. }));
        assert!(matches!(err("due=late"), QueueError::BadValue { param: "due", .. }));
        assert!(matches!(err("sort=random"), QueueError::BadValue { param: "sort", .. }));
        assert!(matches!(err("review=yes"), QueueError::BadValue { param: "review", .. }));
        assert_eq!(err("owner=me&owner=none"), QueueError::Repeated("owner"));
        assert_eq!(err("created_from=2026-02-01&created_to=2026-01-01"), QueueError::BackwardsRange("created_to"));
        assert_eq!(err(&format!("q={}", "a".repeat(201))), QueueError::TooLong { param: "q", max: MAX_TEXT });
        let e: DomainError = err("priority=9").into();
        assert_eq!(e.code(), "invalid_field");
        assert_eq!(e.to_string(), "priority: `9` is not a priority from 1 to 5");
        assert!(matches!(err("q=a%00b"), QueueError::BadValue { param: "q", .. }));
    }

    #[test]
    fn the_same_day_is_a_valid_range() {
        let f = QueueFilter::parse_query("created_from=2026-01-05&created_to=2026-01-05").expect("one day");
        let (from, to) = f.created.bounds();
        assert_eq!(to.expect("end") - from.expect("start"), Duration::days(1));
    }

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        for sort in QueueSort::ALL.iter().copied() {
            let c = Cursor { sort, key: Some(1_700_000_000_000_000), id: TicketId(42) };
            assert_eq!(Cursor::decode(&c.encode(), sort), Ok(c));
            let other = QueueSort::ALL.iter().copied().find(|s| *s != sort).expect("another sort");
            assert_eq!(Cursor::decode(&c.encode(), other), Err(QueueError::BadCursor), "a cursor of {sort} is not one of {other}");
        }
        let no_due = Cursor { sort: QueueSort::DueAsc, key: None, id: TicketId(7) };
        assert_eq!(Cursor::decode(&no_due.encode(), QueueSort::DueAsc), Ok(no_due));
        assert_eq!(Cursor::decode("un.7", QueueSort::UpdatedDesc), Err(QueueError::BadCursor));
        for junk in ["", "u", "u12", "u12.x", "x1.2", "u1.2.3"] {
            assert_eq!(Cursor::decode(junk, QueueSort::UpdatedDesc), Err(QueueError::BadCursor), "{junk}");
        }
    }

    #[test]
    fn builtin_views_parse() {
        for v in BuiltinView::ALL {
            let f = QueueFilter::parse_query(v.query()).expect("built-in query parses");
            assert_eq!(v.filter(), f);
            assert_ne!(v.name("es"), v.name("en"));
        }
        assert_eq!(BuiltinView::Mine.filter().owner, Some(OwnerFilter::Me));
        assert!(BuiltinView::AwaitingReview.filter().awaiting_review);
        assert!(BuiltinView::Overdue.filter().active_only());
    }

    #[test]
    fn due_states() {
        let now = Utc::now();
        assert_eq!(due_state(None, now), DueState::None);
        assert_eq!(due_state(Some(now - Duration::minutes(1)), now), DueState::Overdue);
        assert_eq!(due_state(Some(now), now), DueState::DueSoon);
        assert_eq!(due_state(Some(now + DUE_SOON), now), DueState::OnTime);
    }

    #[test]
    fn bounded_counts_show_99_plus() {
        assert_eq!(BoundedCount { count: 3 }.to_string(), "3");
        assert_eq!(BoundedCount { count: 99 }.to_string(), "99");
        assert_eq!(BoundedCount { count: 100 }.to_string(), "99+");
    }

    #[test]
    fn view_names() {
        assert_eq!(ViewName::parse("  Impresoras del piso 2 ").expect("name").as_str(), "Impresoras del piso 2");
        assert!(ViewName::parse(" ").is_err());
        assert!(ViewName::parse(&"x".repeat(81)).is_err());
        assert!(ViewName::parse("a\u{202E}b").is_err());
    }

    #[test]
    fn percent_coding() {
        assert_eq!(decode("a%20b%zz%"), "a b%zz%");
        assert_eq!(decode("%C3%B1"), "ñ");
        assert_eq!(encode("año & más"), "a%C3%B1o%20%26%20m%C3%A1s");
    }
}
