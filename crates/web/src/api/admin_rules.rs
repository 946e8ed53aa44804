//! Routing rules over the API: list, create, read, replace, delete, and try them on a sample
//! ticket (administrators' keys and full-access keys; every change in the audit log).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::routing::{Clause, Rule, RuleId, RuleInput};
use tikal_core::{Channel, DomainError, EmailAddress, HelpTopicId, Priority, Reason};
use tikal_service::{RoutingSample, Trial};
use utoipa::{OpenApi, ToSchema};

use super::AdminCaller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/routing-rules", get(list).post(create))
        .route("/routing-rules/try", post(try_rules))
        .route("/routing-rules/{id}", get(show).put(replace).delete(delete))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, replace, delete, try_rules),
    tags((name = "routing rules", description = "Ordered rules applied to every new ticket: conditions (channel, sender, recipient, subject, body, help topic, priority, custom field) and actions (department, topic, priority, type, team, owner, tag, no auto-response, reject as spam)"))
)]
pub struct Doc;

fn id_of(path: Result<Path<i64>, PathRejection>) -> Result<RuleId, ApiError> {
    match path {
        Ok(Path(id)) if id > 0 => Ok(RuleId(id)),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "routing rule not found")),
    }
}

/// A condition or an action: its kind and its value as text.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClauseDto {
    /// Conditions: channel_is, sender_is, sender_domain_is, recipient_is, subject_contains,
    /// subject_matches, body_contains, body_matches, topic_is, topic_under, priority_in,
    /// field_equals. Actions: set_department, set_topic, set_priority, set_type, set_team,
    /// set_owner, add_tag, no_autoreply, reject.
    pub kind: String,
    /// Departments, topics, teams and agents by id or name (an agent also by address);
    /// priorities `1`..`5` or a range `1-2`; custom fields `key=value`; regular expressions
    /// up to 300 characters (case-insensitive). Answered with ids.
    #[serde(default)]
    pub value: String,
}

/// A routing rule. Rules run in `position` order; conditions see the ticket as it arrived; a
/// later rule overrides an earlier one; tags add up; `stop` ends the check when the rule fires.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoutingRuleDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    /// Its place in the order (1 first); set by creation order and the pages' up/down.
    #[serde(default)]
    #[schema(read_only)]
    pub position: i32,
    #[serde(default = "yes")]
    pub active: bool,
    /// `true`: every condition must hold; `false`: any one.
    #[serde(default = "yes")]
    pub match_all: bool,
    #[serde(default)]
    pub stop: bool,
    pub conditions: Vec<ClauseDto>,
    pub actions: Vec<ClauseDto>,
}

fn yes() -> bool {
    true
}

fn clause_dto(c: Clause) -> ClauseDto {
    ClauseDto { kind: c.kind, value: c.value }
}

fn rule_dto(r: &Rule) -> RoutingRuleDto {
    let input = r.input();
    RoutingRuleDto {
        id: r.id.get(),
        name: r.name.clone(),
        position: r.position,
        active: r.active,
        match_all: r.match_all,
        stop: r.stop,
        conditions: input.conditions.into_iter().map(clause_dto).collect(),
        actions: input.actions.into_iter().map(clause_dto).collect(),
    }
}

fn rule_input(d: RoutingRuleDto) -> RuleInput {
    let clauses = |l: Vec<ClauseDto>| l.into_iter().map(|c| Clause { kind: c.kind, value: c.value }).collect();
    RuleInput {
        name: d.name,
        active: d.active,
        match_all: d.match_all,
        stop: d.stop,
        conditions: clauses(d.conditions),
        actions: clauses(d.actions),
    }
}

/// Every routing rule, in order.
#[utoipa::path(get, path = "/routing-rules", tag = "routing rules", responses((status = 200, body = Vec<RoutingRuleDto>), (status = 403)))]
pub async fn list(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<RoutingRuleDto>>, ApiError> {
    Ok(Json(state.desk.routing_rules(&by).await?.iter().map(rule_dto).collect()))
}

/// Create a rule (placed last).
#[utoipa::path(post, path = "/routing-rules", tag = "routing rules", request_body = RoutingRuleDto,
    responses((status = 201, body = RoutingRuleDto), (status = 403), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<RoutingRuleDto>, JsonRejection>,
) -> Result<(StatusCode, Json<RoutingRuleDto>), ApiError> {
    let Json(dto) = body?;
    let r = state.desk.save_routing_rule(&by, None, rule_input(dto)).await?;
    Ok((StatusCode::CREATED, Json(rule_dto(&r))))
}

/// A rule.
#[utoipa::path(get, path = "/routing-rules/{id}", tag = "routing rules", params(("id" = i64, Path)),
    responses((status = 200, body = RoutingRuleDto), (status = 403), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<RoutingRuleDto>, ApiError> {
    let id = id_of(path)?;
    Ok(Json(rule_dto(&state.desk.routing_rule(&by, id).await?)))
}

/// Replace a rule (it keeps its place).
#[utoipa::path(put, path = "/routing-rules/{id}", tag = "routing rules", params(("id" = i64, Path)), request_body = RoutingRuleDto,
    responses((status = 200, body = RoutingRuleDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<RoutingRuleDto>, JsonRejection>,
) -> Result<Json<RoutingRuleDto>, ApiError> {
    let id = id_of(path)?;
    let Json(dto) = body?;
    let r = state.desk.save_routing_rule(&by, Some(id), rule_input(dto)).await?;
    Ok(Json(rule_dto(&r)))
}

/// Delete a rule.
#[utoipa::path(delete, path = "/routing-rules/{id}", tag = "routing rules", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = id_of(path)?;
    state.desk.delete_routing_rule(&by, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A sample ticket to try the rules on.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SampleDto {
    /// web (default), email, phone, whatsapp, walk_in, api.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub help_topic_id: Option<i64>,
    /// 1..5; left out: the help topic's default, else 3.
    #[serde(default)]
    pub priority: Option<u8>,
}

/// What the rules would do to the sample.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrialDto {
    /// The rules that fire, in order.
    pub fired: Vec<FiredDto>,
    /// The ticket would be refused (spam) and not created.
    pub rejected: bool,
    pub autoreply: bool,
    pub department_id: i64,
    pub help_topic_id: Option<i64>,
    pub priority: u8,
    #[serde(rename = "type")]
    pub kind: String,
    pub team_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiredDto {
    pub id: i64,
    pub name: String,
}

fn sample(d: SampleDto) -> Result<RoutingSample, ApiError> {
    let email = |field: &'static str, v: Option<String>| -> Result<Option<EmailAddress>, ApiError> {
        v.filter(|v| !v.trim().is_empty())
            .map(|v| EmailAddress::parse(&v).map_err(|_| ApiError::from(DomainError::invalid(field, Reason::InvalidEmail))))
            .transpose()
    };
    Ok(RoutingSample {
        channel: match d.channel.as_deref() {
            None | Some("") => Channel::Web,
            Some(c) => c.parse().map_err(|_| ApiError::from(DomainError::invalid("channel", Reason::NotAnOption)))?,
        },
        sender: email("sender", d.sender)?,
        recipient: email("recipient", d.recipient)?,
        subject: d.subject,
        body: d.message,
        help_topic_id: d.help_topic_id.map(HelpTopicId),
        priority: d.priority.map(Priority::try_from).transpose()?,
    })
}

fn trial_dto(t: Trial) -> TrialDto {
    let o = t.outcome;
    TrialDto {
        fired: o.fired.iter().map(|f| FiredDto { id: f.id.get(), name: f.name.clone() }).collect(),
        rejected: o.reject,
        autoreply: !o.no_autoreply,
        department_id: t.department.get(),
        help_topic_id: t.help_topic.map(|h| h.get()),
        priority: t.priority.level(),
        kind: t.kind.to_string(),
        team_id: o.team.map(|x| x.get()),
        owner_id: o.owner.map(|x| x.get()),
        tags: o.tags,
    }
}

/// Which rules would fire for a sample ticket, and how it would be opened. Nothing is stored.
#[utoipa::path(post, path = "/routing-rules/try", tag = "routing rules", request_body = SampleDto,
    responses((status = 200, body = TrialDto), (status = 403), (status = 422)))]
pub async fn try_rules(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<SampleDto>, JsonRejection>,
) -> Result<Json<TrialDto>, ApiError> {
    let Json(dto) = body?;
    let t = state.desk.try_routing_rules(&by, sample(dto)?).await?;
    Ok(Json(trial_dto(t)))
}
