//! Routing rules: the ordered list (move up/down, turn on/off), the rule form (a fixed number
//! of condition and action rows, no JavaScript needed) and the try-it box.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::org::{Agent, Team};
use tikal_core::routing::{self, ActionKind, Clause, ConditionKind, Outcome, RuleId, RuleInput};
use tikal_core::{Channel, DomainError, EmailAddress, HelpTopicId, Priority, Reason, TicketType};
use tikal_service::{Catalog, RoutingSample, ServiceError, Trial};

use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

/// Rows the form shows at least (more when a rule written through the API has more).
const ROWS: usize = 5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/rules", get(list).post(create))
        .route("/admin/rules/new", get(new_rule))
        .route("/admin/rules/try", get(try_page).post(try_submit))
        .route("/admin/rules/{id}", get(edit).post(update))
        .route("/admin/rules/{id}/move", post(move_rule))
        .route("/admin/rules/{id}/active", post(set_active))
        .route("/admin/rules/{id}/delete", post(delete))
}

fn rule_id(c: &Chrome, raw: &str) -> Result<RuleId, PageError> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).map(RuleId).ok_or_else(|| PageError::not_found(c))
}

/// A refused rule in the user's language: which row or field, and why.
fn rule_error(c: &Chrome, e: ServiceError) -> Result<FormError, PageError> {
    if let ServiceError::Domain(DomainError::Invalid { field, reason: Reason::Other(m) }) = &e {
        let key = match m.as_str() {
            routing::TOO_COMPLEX => "rules-error-too-complex",
            routing::NOT_A_REGEX => "rules-error-not-a-regex",
            routing::BAD_RANGE => "rules-error-range",
            routing::BAD_FIELD => "rules-error-field",
            routing::BAD_TAG => "rules-error-tag",
            routing::BAD_DOMAIN => "rules-error-domain",
            routing::NAME_TAKEN => "rules-error-name-taken",
            _ => "reason-other",
        };
        let label = c.t(&format!("admin-field-{field}"));
        return Ok(FormError { field: field.to_string(), message: format!("{label}: {}", c.t(key)) });
    }
    FormError::from_service(c, e)
}

/// What rules name, for showing stored ids as names.
struct Lookup<'a> {
    catalog: &'a Catalog,
    teams: &'a [Team],
    agents: &'a [Agent],
}

impl Lookup<'_> {
    /// A stored value as the form shows it (names instead of ids).
    fn shown(&self, kind: &str, value: &str) -> String {
        let id = value.parse::<i64>().ok();
        let named = match kind {
            "topic_is" | "topic_under" | "set_topic" => {
                id.and_then(|i| self.catalog.topic(HelpTopicId(i))).map(|t| t.path(&self.catalog.topics))
            }
            "set_department" => id.and_then(|i| self.catalog.departments.iter().find(|d| d.id.get() == i)).map(|d| d.name.clone()),
            "set_team" => id.and_then(|i| self.teams.iter().find(|t| t.id.get() == i)).map(|t| t.name.clone()),
            "set_owner" => id.and_then(|i| self.agents.iter().find(|a| a.id.get() == i)).map(|a| a.email.as_str().to_string()),
            _ => None,
        };
        named.unwrap_or_else(|| value.to_string())
    }

    /// Every name a value may take (the form's suggestions).
    fn suggestions(&self) -> Vec<String> {
        let mut all: Vec<String> = self.catalog.departments.iter().filter(|d| d.active).map(|d| d.name.clone()).collect();
        all.extend(self.catalog.topics.iter().filter(|t| t.active).map(|t| t.path(&self.catalog.topics)));
        all.extend(self.teams.iter().filter(|t| t.active).map(|t| t.name.clone()));
        all.extend(self.agents.iter().filter(|a| a.active).map(|a| a.email.as_str().to_string()));
        all.extend(Channel::ALL.iter().map(|c| c.to_string()));
        all.extend(TicketType::ALL.iter().map(|t| t.to_string()));
        all
    }

    /// One clause in words: "Prioridad entre: 1-2".
    fn words(&self, c: &Chrome, prefix: &str, cl: &Clause) -> String {
        let label = c.t(&format!("{prefix}{}", cl.kind));
        if cl.value.is_empty() { label } else { format!("{label}: {}", self.shown(&cl.kind, &cl.value)) }
    }
}

async fn lookup_parts(state: &AppState, a: &Admin) -> Result<(std::sync::Arc<Catalog>, Vec<Team>, Vec<Agent>), PageError> {
    let catalog = state.desk.catalog().await.map_err(|e| a.fail(e))?;
    let teams = state.desk.teams(a.principal()).await.map_err(|e| a.fail(e))?;
    let agents = state.desk.agents_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    Ok((catalog, teams, agents))
}

struct RuleRow {
    id: i64,
    name: String,
    conditions: String,
    actions: String,
    active: bool,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "admin/rules.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<RuleRow>,
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn list(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let rules = state.desk.routing_rules(a.principal()).await.map_err(|e| a.fail(e))?;
    let (catalog, teams, agents) = lookup_parts(&state, &a).await?;
    let l = Lookup { catalog: &catalog, teams: &teams, agents: &agents };
    let mut c = a.c().clone();
    if saved.saved.is_some() {
        c.notice = Some(c.t("admin-saved"));
    }
    let n = rules.len();
    let rows = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let input = r.input();
            let join = if r.match_all { c.t("rules-and") } else { c.t("rules-or") };
            RuleRow {
                id: r.id.get(),
                name: r.name.clone(),
                conditions: input.conditions.iter().map(|cl| l.words(&c, "rules-cond-", cl)).collect::<Vec<_>>().join(&format!(" {join} ")),
                actions: input.actions.iter().map(|cl| l.words(&c, "rules-act-", cl)).collect::<Vec<_>>().join("; ")
                    + &if r.stop { format!("; {}", c.t("rules-stop-short")) } else { String::new() },
                active: r.active,
                first: i == 0,
                last: i + 1 == n,
            }
        })
        .collect();
    Ok(page(&ListPage { c, rows }).into_response())
}

/// The rule form's values, as typed.
#[derive(Default)]
struct RuleValues {
    name: String,
    active: bool,
    match_all: bool,
    stop: bool,
    conditions: Vec<(String, String)>,
    actions: Vec<(String, String)>,
}

/// One row of the form: its number, the field errors name, its label, what it holds.
struct Row {
    n: usize,
    field: String,
    label: String,
    kind: String,
    value: String,
}

fn form_rows(c: &Chrome, what: &str, list: &[(String, String)]) -> Vec<Row> {
    list.iter()
        .enumerate()
        .map(|(i, (kind, value))| {
            let field = format!("{what}_{}", i + 1);
            Row { n: i + 1, label: c.t(&format!("admin-field-{field}")), field, kind: kind.clone(), value: value.clone() }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/rule.html")]
struct RulePage {
    c: Chrome,
    id: Option<i64>,
    v: RuleValues,
    condition_rows: Vec<Row>,
    action_rows: Vec<Row>,
    condition_kinds: Vec<(&'static str, String)>,
    action_kinds: Vec<(&'static str, String)>,
    suggestions: Vec<String>,
    error: Option<FormError>,
    history: String,
}

impl RulePage {
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.is(field))
    }
}

fn padded(mut rows: Vec<(String, String)>) -> Vec<(String, String)> {
    let want = rows.len().max(ROWS).min(routing::MAX_CONDITIONS.max(routing::MAX_ACTIONS));
    rows.resize(want, (String::new(), String::new()));
    rows
}

async fn rule_page(
    state: &AppState,
    a: &Admin,
    id: Option<RuleId>,
    mut v: RuleValues,
    error: Option<FormError>,
) -> Result<RulePage, PageError> {
    let (catalog, teams, agents) = lookup_parts(state, a).await?;
    let l = Lookup { catalog: &catalog, teams: &teams, agents: &agents };
    let c = a.c().clone();
    v.conditions = padded(v.conditions);
    v.actions = padded(v.actions);
    Ok(RulePage {
        condition_rows: form_rows(&c, "condition", &v.conditions),
        action_rows: form_rows(&c, "action", &v.actions),
        condition_kinds: ConditionKind::ALL.iter().map(|k| (k.as_str(), c.t(&format!("rules-cond-{k}")))).collect(),
        action_kinds: ActionKind::ALL.iter().map(|k| (k.as_str(), c.t(&format!("rules-act-{k}")))).collect(),
        suggestions: l.suggestions(),
        history: id.map(|i| format!("/admin/audit?entity=routing_rule&id={i}")).unwrap_or_default(),
        id: id.map(RuleId::get),
        c,
        v,
        error,
    })
}

async fn new_rule(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let v = RuleValues { active: true, match_all: true, ..Default::default() };
    Ok(page(&rule_page(&state, &a, None, v, None).await?).into_response())
}

async fn edit(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = rule_id(a.c(), &raw)?;
    let r = state.desk.routing_rule(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let (catalog, teams, agents) = lookup_parts(&state, &a).await?;
    let l = Lookup { catalog: &catalog, teams: &teams, agents: &agents };
    let input = r.input();
    let shown = |list: &[Clause]| list.iter().map(|cl| (cl.kind.clone(), l.shown(&cl.kind, &cl.value))).collect();
    let v = RuleValues {
        name: r.name.clone(),
        active: r.active,
        match_all: r.match_all,
        stop: r.stop,
        conditions: shown(&input.conditions),
        actions: shown(&input.actions),
    };
    Ok(page(&rule_page(&state, &a, Some(id), v, None).await?).into_response())
}

fn rows(f: &Fields, prefix: &str) -> Vec<(String, String)> {
    (1..=routing::MAX_CONDITIONS.max(routing::MAX_ACTIONS))
        .map(|i| (f.get(&format!("{prefix}_kind_{i}")).to_string(), f.get(&format!("{prefix}_value_{i}")).to_string()))
        .collect()
}

fn values(f: &Fields) -> RuleValues {
    let trim = |mut v: Vec<(String, String)>| {
        while v.last().is_some_and(|(k, x)| k.is_empty() && x.is_empty()) {
            v.pop();
        }
        v
    };
    RuleValues {
        name: f.get("name").into(),
        active: f.checked("active"),
        match_all: f.get("match") != "any",
        stop: f.checked("stop"),
        conditions: trim(rows(f, "cond")),
        actions: trim(rows(f, "act")),
    }
}

fn input_of(v: &RuleValues) -> RuleInput {
    let clauses = |list: &[(String, String)]| list.iter().map(|(k, x)| Clause::new(k.as_str(), x.as_str())).collect();
    RuleInput {
        name: v.name.clone(),
        active: v.active,
        match_all: v.match_all,
        stop: v.stop,
        conditions: clauses(&v.conditions),
        actions: clauses(&v.actions),
    }
}

async fn save(state: AppState, a: Admin, id: Option<RuleId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let v = values(&f);
    match state.desk.save_routing_rule(a.principal(), id, input_of(&v)).await {
        Ok(_) => Ok(Redirect::to("/admin/rules?saved=1").into_response()),
        Err(e) => {
            let error = rule_error(a.c(), e)?;
            Ok(refused(&rule_page(&state, &a, id, v, Some(error)).await?))
        }
    }
}

async fn create(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save(state, a, None, &body).await
}

async fn update(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let id = rule_id(a.c(), &raw)?;
    save(state, a, Some(id), &body).await
}

async fn move_rule(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = rule_id(a.c(), &raw)?;
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let up = match f.get("direction") {
        "up" => true,
        "down" => false,
        _ => return Err(a.fail(DomainError::invalid("direction", Reason::NotAnOption).into())),
    };
    state.desk.move_routing_rule(a.principal(), id, up).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/rules?saved=1").into_response())
}

async fn set_active(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = rule_id(a.c(), &raw)?;
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    state.desk.set_routing_rule_active(a.principal(), id, f.checked("active")).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/rules?saved=1").into_response())
}

async fn delete(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let id = rule_id(a.c(), &raw)?;
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    state.desk.delete_routing_rule(a.principal(), id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/rules?saved=1").into_response())
}

/// The try-it form's values.
#[derive(Default)]
struct Sample {
    channel: String,
    sender: String,
    recipient: String,
    subject: String,
    body: String,
    topic: String,
    priority: String,
}

/// What the try-it box shows.
struct TrialView {
    fired: Vec<String>,
    rejected: bool,
    no_autoreply: bool,
    department: String,
    topic: String,
    priority: String,
    kind: String,
    team: String,
    owner: String,
    tags: String,
}

#[derive(Template)]
#[template(path = "admin/rules_try.html")]
struct TryPage {
    c: Chrome,
    s: Sample,
    channels: Vec<(&'static str, String)>,
    topics: Vec<(String, String)>,
    result: Option<TrialView>,
    error: Option<FormError>,
}

fn sample_of(f: &Fields) -> Sample {
    Sample {
        channel: f.get("channel").into(),
        sender: f.get("sender").into(),
        recipient: f.get("recipient").into(),
        subject: f.get("subject").into(),
        body: f.get("body").into(),
        topic: f.get("topic").into(),
        priority: f.get("priority").into(),
    }
}

fn parse_sample(s: &Sample) -> Result<RoutingSample, DomainError> {
    let email = |field: &'static str, v: &str| -> Result<Option<EmailAddress>, DomainError> {
        match v.trim() {
            "" => Ok(None),
            v => EmailAddress::parse(v).map(Some).map_err(|_| DomainError::invalid(field, Reason::InvalidEmail)),
        }
    };
    Ok(RoutingSample {
        channel: match s.channel.as_str() {
            "" => Channel::Web,
            c => c.parse().map_err(|_| DomainError::invalid("sample_channel", Reason::NotAnOption))?,
        },
        sender: email("sample_sender", &s.sender)?,
        recipient: email("sample_recipient", &s.recipient)?,
        subject: s.subject.clone(),
        body: s.body.clone(),
        help_topic_id: super::opt_id("sample_topic", &s.topic)?.map(HelpTopicId),
        priority: match s.priority.as_str() {
            "" => None,
            p => Some(
                p.parse::<u8>()
                    .ok()
                    .and_then(|p| Priority::try_from(p).ok())
                    .ok_or(DomainError::invalid("sample_priority", Reason::OutOfRange { min: 1, max: 5 }))?,
            ),
        },
    })
}

fn trial_view(c: &Chrome, l: &Lookup<'_>, t: &Trial) -> TrialView {
    let o: &Outcome = &t.outcome;
    let none = || c.t("admin-none");
    TrialView {
        fired: o.fired.iter().map(|f| f.name.clone()).collect(),
        rejected: o.reject,
        no_autoreply: o.no_autoreply,
        department: l.shown("set_department", &t.department.get().to_string()),
        topic: t.help_topic.map_or_else(none, |h| l.shown("set_topic", &h.get().to_string())),
        priority: format!("{} · {}", t.priority.level(), c.t(&format!("desk-priority-{}", t.priority.level()))),
        kind: c.t(&format!("desk-type-{}", t.kind)),
        team: o.team.map_or_else(none, |x| l.shown("set_team", &x.get().to_string())),
        owner: o.owner.map_or_else(none, |x| l.shown("set_owner", &x.get().to_string())),
        tags: if o.tags.is_empty() { none() } else { o.tags.join(", ") },
    }
}

async fn try_view(state: &AppState, a: &Admin, s: Sample, trial: Option<&Trial>, error: Option<FormError>) -> Result<TryPage, PageError> {
    let (catalog, teams, agents) = lookup_parts(state, a).await?;
    let l = Lookup { catalog: &catalog, teams: &teams, agents: &agents };
    let c = a.c().clone();
    Ok(TryPage {
        channels: Channel::ALL.iter().map(|ch| (ch.as_str(), c.t(&format!("desk-channel-{ch}")))).collect(),
        topics: catalog.topics.iter().filter(|t| t.active).map(|t| (t.id.get().to_string(), t.path(&catalog.topics))).collect(),
        result: trial.map(|t| trial_view(&c, &l, t)),
        c,
        s,
        error,
    })
}

async fn try_page(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let s = Sample { channel: "web".into(), ..Default::default() };
    Ok(page(&try_view(&state, &a, s, None, None).await?).into_response())
}

async fn try_submit(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let s = sample_of(&f);
    let result = match parse_sample(&s) {
        Ok(sample) => state.desk.try_routing_rules(a.principal(), sample).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(trial) => Ok(page(&try_view(&state, &a, s, Some(&trial), None).await?).into_response()),
        Err(e) => {
            let error = FormError::from_service(a.c(), e)?;
            Ok(refused(&try_view(&state, &a, s, None, Some(error)).await?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_rows_at_the_end_are_dropped_and_the_form_is_padded() {
        let f = Fields::parse(b"name=x&cond_kind_1=priority_in&cond_value_1=1-2&cond_kind_3=&act_kind_1=reject&match=any");
        let v = values(&f);
        assert_eq!(v.conditions, vec![("priority_in".to_string(), "1-2".to_string())]);
        assert_eq!(v.actions, vec![("reject".to_string(), String::new())]);
        assert!(!v.match_all);
        assert_eq!(padded(v.conditions).len(), ROWS);
    }
}
