//! Administration over the API: priorities (names, colours, the impact x urgency matrix),
//! ticket types, statuses, SLA plans and business-hours calendars with their holidays.
//! Each call checks the caller before reading the body; each change is in the audit log.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::priorities::{PriorityLevel, PriorityLevelInput, TicketTypeDef};
use tikal_core::sla::Targets;
use tikal_core::sla_plan::{
    Calendar, CalendarId, CalendarInput, DayInput, Escalation, EscalationAction, HolidayInput, SlaPlan, SlaPlanInput, format_time,
};
use tikal_core::{DepartmentId, DomainError, Reason, SlaPlanId, StatusDef, TicketType};
use tikal_service::NewStatus;
use tikal_store::StatusChange;
use utoipa::{OpenApi, ToSchema};

use super::AdminCaller;
use super::admin::id_of;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/priorities", get(priorities).put(replace_priorities))
        .route("/priority-matrix", get(matrix).put(replace_matrix))
        .route("/ticket-types", get(ticket_types))
        .route("/ticket-types/{key}", get(ticket_type).put(replace_ticket_type))
        .route("/statuses", post(create_status))
        .route("/statuses/{key}", patch(change_status))
        .route("/sla-plans", get(sla_plans).post(create_sla_plan))
        .route("/sla-plans/{id}", get(sla_plan).put(replace_sla_plan))
        .route("/calendars", get(calendars).post(create_calendar))
        .route("/calendars/{id}", get(calendar).put(replace_calendar))
        .route("/calendars/{id}/holidays", post(add_holiday))
        .route("/calendars/{id}/holidays/{holiday}", axum::routing::delete(remove_holiday))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        priorities, replace_priorities, matrix, replace_matrix, ticket_types, ticket_type, replace_ticket_type, create_status,
        change_status, sla_plans, create_sla_plan, sla_plan, replace_sla_plan, calendars, create_calendar, calendar, replace_calendar,
        add_holiday, remove_holiday
    ),
    tags((name = "administration"))
)]
pub struct Doc;

fn not_found(what: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
}

fn yes() -> bool {
    true
}

// ---- priorities ----

/// A priority's names and colour.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PriorityLevelDto {
    /// 1 (very low) .. 5 (very high).
    pub level: u8,
    pub name_es: String,
    pub name_en: String,
    /// `#rrggbb`.
    pub colour: String,
}

fn level_dto(l: &PriorityLevel) -> PriorityLevelDto {
    PriorityLevelDto { level: l.priority.level(), name_es: l.name_es.clone(), name_en: l.name_en.clone(), colour: l.colour.to_string() }
}

/// The five priorities' names and colours, 1 first.
#[utoipa::path(get, path = "/priorities", tag = "administration", responses((status = 200, body = Vec<PriorityLevelDto>), (status = 403)))]
pub async fn priorities(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<PriorityLevelDto>>, ApiError> {
    Ok(Json(state.desk.priority_settings(&by).await?.levels.iter().map(level_dto).collect()))
}

/// Rename and recolour the priorities: all five, each once.
#[utoipa::path(put, path = "/priorities", tag = "administration", request_body = Vec<PriorityLevelDto>,
    responses((status = 200, body = Vec<PriorityLevelDto>), (status = 403), (status = 422)))]
pub async fn replace_priorities(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<Vec<PriorityLevelDto>>, JsonRejection>,
) -> Result<Json<Vec<PriorityLevelDto>>, ApiError> {
    let Json(mut list) = body?;
    list.sort_by_key(|l| l.level);
    if list.iter().map(|l| l.level).ne(1..=5) {
        return Err(DomainError::invalid("level", "the 5 priorities (1-5) must each be given once").into());
    }
    let inputs: Vec<PriorityLevelInput> =
        list.into_iter().map(|l| PriorityLevelInput { name_es: l.name_es, name_en: l.name_en, colour: l.colour }).collect();
    Ok(Json(state.desk.save_priority_levels(&by, &inputs).await?.iter().map(level_dto).collect()))
}

/// The impact x urgency matrix ticket creation uses.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MatrixDto {
    /// Rows impact low, medium, high; columns urgency low, medium, high; cells priorities 1-5.
    pub matrix: Vec<Vec<u8>>,
    /// Whether an administrator saved it (otherwise it is the configuration file's).
    #[serde(default)]
    #[schema(read_only)]
    pub saved: bool,
}

/// The impact x urgency matrix in use.
#[utoipa::path(get, path = "/priority-matrix", tag = "administration", responses((status = 200, body = MatrixDto), (status = 403)))]
pub async fn matrix(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<MatrixDto>, ApiError> {
    let s = state.desk.priority_settings(&by).await?;
    Ok(Json(MatrixDto { matrix: s.matrix.into(), saved: s.matrix_saved }))
}

/// Set the impact x urgency matrix.
#[utoipa::path(put, path = "/priority-matrix", tag = "administration", request_body = MatrixDto,
    responses((status = 200, body = MatrixDto), (status = 403), (status = 422)))]
pub async fn replace_matrix(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<MatrixDto>, JsonRejection>,
) -> Result<Json<MatrixDto>, ApiError> {
    let Json(dto) = body?;
    let m = state.desk.save_priority_matrix(&by, dto.matrix).await?;
    Ok(Json(MatrixDto { matrix: m.into(), saved: true }))
}

// ---- ticket types ----

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketTypeDto {
    /// incident, service_request, problem or major_incident.
    #[serde(default)]
    #[schema(read_only)]
    pub key: String,
    pub name_es: String,
    pub name_en: String,
    /// `false`: no longer offered for new tickets (tickets that have it keep it).
    #[serde(default = "yes")]
    pub active: bool,
}

fn type_dto(t: &TicketTypeDef) -> TicketTypeDto {
    TicketTypeDto { key: t.kind.as_str().into(), name_es: t.name_es.clone(), name_en: t.name_en.clone(), active: t.active }
}

fn kind_of(path: Result<Path<String>, PathRejection>) -> Result<TicketType, ApiError> {
    path.ok().and_then(|Path(k)| k.parse::<TicketType>().ok()).ok_or_else(|| not_found("ticket type"))
}

/// Ticket types with their names and whether each is offered.
#[utoipa::path(get, path = "/ticket-types", tag = "administration", responses((status = 200, body = Vec<TicketTypeDto>), (status = 403)))]
pub async fn ticket_types(State(state): State<AppState>, _caller: AdminCaller) -> Result<Json<Vec<TicketTypeDto>>, ApiError> {
    Ok(Json(state.desk.ticket_types().await?.iter().map(type_dto).collect()))
}

/// One ticket type.
#[utoipa::path(get, path = "/ticket-types/{key}", tag = "administration", params(("key" = String, Path)),
    responses((status = 200, body = TicketTypeDto), (status = 403), (status = 404)))]
pub async fn ticket_type(
    State(state): State<AppState>,
    _caller: AdminCaller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<TicketTypeDto>, ApiError> {
    let kind = kind_of(path)?;
    let all = state.desk.ticket_types().await?;
    all.iter().find(|t| t.kind == kind).map(|t| Json(type_dto(t))).ok_or_else(|| not_found("ticket type"))
}

/// Rename a ticket type, or stop (or start again) offering it.
#[utoipa::path(put, path = "/ticket-types/{key}", tag = "administration", params(("key" = String, Path)), request_body = TicketTypeDto,
    responses((status = 200, body = TicketTypeDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_ticket_type(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<TicketTypeDto>, JsonRejection>,
) -> Result<Json<TicketTypeDto>, ApiError> {
    let kind = kind_of(path)?;
    let Json(dto) = body?;
    let t = state.desk.save_ticket_type(&by, kind, &dto.name_es, &dto.name_en, dto.active).await?;
    Ok(Json(type_dto(&t)))
}

// ---- statuses ----

/// A status as an administrator adds it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStatusDto {
    /// Lowercase letters, digits and `_`; made from `name_es` when left out.
    #[serde(default)]
    pub key: Option<String>,
    /// new, open, pending, resolved or closed.
    pub category: String,
    /// Only for pending statuses: the requester's reply reopens the ticket.
    #[serde(default)]
    pub awaits_requester: bool,
    pub name_es: String,
    pub name_en: String,
    /// Order in lists (after the others when left out).
    #[serde(default)]
    pub position: Option<i32>,
}

/// New names, order or state of a status (fields left out stay as they are).
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusPatchDto {
    #[serde(default)]
    pub name_es: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(default)]
    pub position: Option<i32>,
    /// `false` retires it (built-in statuses cannot be retired), `true` restores it.
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminStatusDto {
    pub key: String,
    pub category: String,
    pub awaits_requester: bool,
    pub name_es: String,
    pub name_en: String,
    pub position: i32,
    pub active: bool,
    pub builtin: bool,
}

fn status_dto(d: &StatusDef) -> AdminStatusDto {
    AdminStatusDto {
        key: d.status.to_string(),
        category: d.status.category().to_string(),
        awaits_requester: d.status.awaits_requester(),
        name_es: d.name_es.clone(),
        name_en: d.name_en.clone(),
        position: d.position,
        active: d.active,
        builtin: d.status.is_builtin(),
    }
}

/// Add a status.
#[utoipa::path(post, path = "/statuses", tag = "administration", request_body = NewStatusDto,
    responses((status = 201, body = AdminStatusDto), (status = 403), (status = 409), (status = 422)))]
pub async fn create_status(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<NewStatusDto>, JsonRejection>,
) -> Result<(StatusCode, Json<AdminStatusDto>), ApiError> {
    let Json(dto) = body?;
    let category = dto.category.parse().map_err(|_| ApiError::from(DomainError::invalid("category", Reason::NotAnOption)))?;
    let key = dto.key.filter(|k| !k.trim().is_empty()).unwrap_or_else(|| tikal_core::priorities::status_key_from_name(&dto.name_es));
    let new = NewStatus {
        key,
        category,
        awaits_requester: dto.awaits_requester,
        name_es: dto.name_es,
        name_en: dto.name_en,
        position: dto.position,
    };
    let d = state.desk.create_status(&by, new).await?;
    Ok((StatusCode::CREATED, Json(status_dto(&d))))
}

/// Rename, reorder, retire or restore a status.
#[utoipa::path(patch, path = "/statuses/{key}", tag = "administration", params(("key" = String, Path)), request_body = StatusPatchDto,
    responses((status = 200, body = AdminStatusDto), (status = 403), (status = 404), (status = 422)))]
pub async fn change_status(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<StatusPatchDto>, JsonRejection>,
) -> Result<Json<AdminStatusDto>, ApiError> {
    let Ok(Path(key)) = path else { return Err(not_found("status")) };
    let Json(dto) = body?;
    if state.desk.statuses().await?.iter().all(|d| d.status.as_str() != key) {
        return Err(not_found("status"));
    }
    let change = StatusChange { name_es: dto.name_es, name_en: dto.name_en, position: dto.position, active: dto.active };
    Ok(Json(status_dto(&state.desk.change_status(&by, &key, change).await?)))
}

// ---- SLA plans ----

/// The targets of one priority, in minutes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TargetDto {
    /// 1 (very low) .. 5 (very high).
    pub priority: u8,
    pub first_response_minutes: u32,
    pub resolution_minutes: u32,
}

/// What a plan does as a ticket nears and passes its due times. Each action fires once per
/// ticket, target (first response, resolution) and threshold, and is written in the ticket's
/// history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EscalationDto {
    /// Percent (1-99) of a target used at which the warning fires; null = no warning.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 99)]
    pub warn_percent: Option<u32>,
    /// Actions at the warning: `notify_owner`, `notify_responsible`, `notify_manager`,
    /// `notify_supervisors`, `raise_priority`, `transfer`, `mark_overdue`.
    #[serde(default)]
    pub on_warning: Vec<String>,
    /// Actions at a breach (same names).
    #[serde(default)]
    pub on_breach: Vec<String>,
    /// Where `transfer` sends tickets; null = the department's next level (neither: the
    /// transfer does nothing).
    #[serde(default)]
    pub transfer_to_department_id: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SlaPlanDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    /// One per priority 1-5.
    pub targets: Vec<TargetDto>,
    /// The business-hours calendar the clock counts in; null = around the clock.
    #[serde(default)]
    pub calendar_id: Option<i64>,
    /// Whether waiting on the requester stops the clock.
    #[serde(default = "yes")]
    pub pause_when_pending: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// Always returned. Optional on input: left out, a replaced plan keeps its escalation and a
    /// new one gets the standard (warn the owner at 75 %; at a breach tell the owner and the
    /// department's manager and mark the ticket overdue).
    #[serde(default)]
    pub escalation: Option<EscalationDto>,
}

fn escalation_dto(e: &Escalation) -> EscalationDto {
    let names = |list: &[EscalationAction]| list.iter().map(|a| a.as_str().to_string()).collect();
    EscalationDto {
        warn_percent: e.warn_percent,
        on_warning: names(&e.on_warning),
        on_breach: names(&e.on_breach),
        transfer_to_department_id: e.transfer_to.map(DepartmentId::get),
    }
}

fn escalation_of(dto: EscalationDto) -> Result<Escalation, ApiError> {
    Ok(Escalation {
        warn_percent: dto.warn_percent,
        on_warning: Escalation::parse_actions("on_warning", dto.on_warning.iter().map(String::as_str))?,
        on_breach: Escalation::parse_actions("on_breach", dto.on_breach.iter().map(String::as_str))?,
        transfer_to: dto.transfer_to_department_id.map(DepartmentId),
    })
}

fn plan_dto(p: &SlaPlan) -> SlaPlanDto {
    SlaPlanDto {
        id: p.id.get(),
        name: p.name.clone(),
        targets: p
            .targets
            .iter()
            .zip(1..)
            .map(|(t, priority)| TargetDto {
                priority,
                first_response_minutes: t.first_response_minutes,
                resolution_minutes: t.resolution_minutes,
            })
            .collect(),
        calendar_id: p.calendar_id.map(CalendarId::get),
        pause_when_pending: p.pause_when_pending,
        active: p.active,
        escalation: Some(escalation_dto(&p.escalation)),
    }
}

/// `keep`: the escalation when the body gives none.
fn plan_input(dto: SlaPlanDto, keep: Escalation) -> Result<SlaPlanInput, ApiError> {
    let mut targets = [Targets { first_response_minutes: 0, resolution_minutes: 0 }; 5];
    let mut given = [false; 5];
    for t in &dto.targets {
        let i = usize::from(t.priority).checked_sub(1).filter(|i| *i < 5);
        let Some(i) = i.filter(|i| !given[*i]) else {
            return Err(DomainError::invalid("targets", "must give each priority 1-5 once").into());
        };
        given[i] = true;
        targets[i] = Targets { first_response_minutes: t.first_response_minutes, resolution_minutes: t.resolution_minutes };
    }
    if given.contains(&false) {
        return Err(DomainError::invalid("targets", "must give each priority 1-5 once").into());
    }
    Ok(SlaPlanInput {
        name: dto.name,
        targets,
        calendar_id: dto.calendar_id.map(CalendarId),
        pause_when_pending: dto.pause_when_pending,
        active: dto.active,
        escalation: match dto.escalation {
            Some(e) => escalation_of(e)?,
            None => keep,
        },
    })
}

/// SLA plans, retired ones too.
#[utoipa::path(get, path = "/sla-plans", tag = "administration", responses((status = 200, body = Vec<SlaPlanDto>), (status = 403)))]
pub async fn sla_plans(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<SlaPlanDto>>, ApiError> {
    Ok(Json(state.desk.sla_plans(&by).await?.iter().map(plan_dto).collect()))
}

/// Create an SLA plan.
#[utoipa::path(post, path = "/sla-plans", tag = "administration", request_body = SlaPlanDto,
    responses((status = 201, body = SlaPlanDto), (status = 403), (status = 422)))]
pub async fn create_sla_plan(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<SlaPlanDto>, JsonRejection>,
) -> Result<(StatusCode, Json<SlaPlanDto>), ApiError> {
    let Json(dto) = body?;
    let p = state.desk.save_sla_plan(&by, None, plan_input(dto, Escalation::standard())?).await?;
    Ok((StatusCode::CREATED, Json(plan_dto(&p))))
}

/// One SLA plan.
#[utoipa::path(get, path = "/sla-plans/{id}", tag = "administration", params(("id" = i64, Path)),
    responses((status = 200, body = SlaPlanDto), (status = 403), (status = 404)))]
pub async fn sla_plan(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<SlaPlanDto>, ApiError> {
    let id = SlaPlanId(id_of(path, "SLA plan")?);
    Ok(Json(plan_dto(&state.desk.sla_plan(&by, id).await?)))
}

/// Replace an SLA plan.
#[utoipa::path(put, path = "/sla-plans/{id}", tag = "administration", params(("id" = i64, Path)), request_body = SlaPlanDto,
    responses((status = 200, body = SlaPlanDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_sla_plan(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<SlaPlanDto>, JsonRejection>,
) -> Result<Json<SlaPlanDto>, ApiError> {
    let id = SlaPlanId(id_of(path, "SLA plan")?);
    let Json(dto) = body?;
    let keep = match dto.escalation {
        // Not used: the body gives the escalation.
        Some(_) => Escalation::default(),
        None => state.desk.sla_plan(&by, id).await?.escalation,
    };
    Ok(Json(plan_dto(&state.desk.save_sla_plan(&by, Some(id), plan_input(dto, keep)?).await?)))
}

// ---- calendars ----

/// Working hours of one weekday (local time of the calendar).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HoursDto {
    /// 1 = Monday .. 7 = Sunday.
    pub weekday: u8,
    /// `HH:MM`.
    pub start: String,
    /// `HH:MM`, after `start` (`24:00` is the end of the day).
    pub end: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HolidayDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Recurs every year on the same month and day.
    #[serde(default)]
    pub yearly: bool,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarDto {
    #[serde(default)]
    #[schema(read_only)]
    pub id: i64,
    pub name: String,
    /// IANA name, e.g. `America/Guayaquil`.
    pub time_zone: String,
    /// Worked weekdays (a weekday left out is not worked).
    pub hours: Vec<HoursDto>,
    /// Added and removed with `/calendars/{id}/holidays`; ignored here.
    #[serde(default)]
    #[schema(read_only)]
    pub holidays: Vec<HolidayDto>,
}

fn calendar_dto(c: &Calendar) -> CalendarDto {
    CalendarDto {
        id: c.id.get(),
        name: c.name.clone(),
        time_zone: c.time_zone.name().into(),
        hours: c
            .hours
            .iter()
            .map(|h| HoursDto {
                weekday: u8::try_from(h.weekday.number_from_monday()).unwrap_or(1),
                start: format_time(h.start),
                end: format_time(h.end),
            })
            .collect(),
        holidays: c
            .holidays
            .iter()
            .map(|h| HolidayDto { id: h.id, date: h.date.format("%Y-%m-%d").to_string(), yearly: h.yearly, name: h.name.clone() })
            .collect(),
    }
}

fn calendar_input(dto: CalendarDto) -> Result<CalendarInput, ApiError> {
    let mut days = vec![DayInput::default(); 7];
    for h in dto.hours {
        let i = usize::from(h.weekday).checked_sub(1).filter(|i| *i < 7);
        let Some(day) = i.and_then(|i| days.get_mut(i)).filter(|d| !d.open) else {
            return Err(DomainError::invalid("weekday", "must be 1 (Monday) to 7 (Sunday), each once").into());
        };
        *day = DayInput { open: true, start: h.start, end: h.end };
    }
    Ok(CalendarInput { name: dto.name, time_zone: dto.time_zone, days })
}

/// Business-hours calendars with their holidays.
#[utoipa::path(get, path = "/calendars", tag = "administration", responses((status = 200, body = Vec<CalendarDto>), (status = 403)))]
pub async fn calendars(State(state): State<AppState>, AdminCaller(by): AdminCaller) -> Result<Json<Vec<CalendarDto>>, ApiError> {
    Ok(Json(state.desk.calendars(&by).await?.iter().map(calendar_dto).collect()))
}

/// Create a calendar.
#[utoipa::path(post, path = "/calendars", tag = "administration", request_body = CalendarDto,
    responses((status = 201, body = CalendarDto), (status = 403), (status = 422)))]
pub async fn create_calendar(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    body: Result<Json<CalendarDto>, JsonRejection>,
) -> Result<(StatusCode, Json<CalendarDto>), ApiError> {
    let Json(dto) = body?;
    let c = state.desk.save_calendar(&by, None, calendar_input(dto)?).await?;
    Ok((StatusCode::CREATED, Json(calendar_dto(&c))))
}

/// One calendar with its holidays.
#[utoipa::path(get, path = "/calendars/{id}", tag = "administration", params(("id" = i64, Path)),
    responses((status = 200, body = CalendarDto), (status = 403), (status = 404)))]
pub async fn calendar(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<CalendarDto>, ApiError> {
    let id = CalendarId(id_of(path, "calendar")?);
    Ok(Json(calendar_dto(&state.desk.calendar(&by, id).await?)))
}

/// Replace a calendar's name, time zone and hours (its holidays stay).
#[utoipa::path(put, path = "/calendars/{id}", tag = "administration", params(("id" = i64, Path)), request_body = CalendarDto,
    responses((status = 200, body = CalendarDto), (status = 403), (status = 404), (status = 422)))]
pub async fn replace_calendar(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<CalendarDto>, JsonRejection>,
) -> Result<Json<CalendarDto>, ApiError> {
    let id = CalendarId(id_of(path, "calendar")?);
    let Json(dto) = body?;
    Ok(Json(calendar_dto(&state.desk.save_calendar(&by, Some(id), calendar_input(dto)?).await?)))
}

/// Add a holiday to a calendar.
#[utoipa::path(post, path = "/calendars/{id}/holidays", tag = "administration", params(("id" = i64, Path)), request_body = HolidayDto,
    responses((status = 201, body = CalendarDto), (status = 403), (status = 404), (status = 422)))]
pub async fn add_holiday(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<HolidayDto>, JsonRejection>,
) -> Result<(StatusCode, Json<CalendarDto>), ApiError> {
    let id = CalendarId(id_of(path, "calendar")?);
    let Json(dto) = body?;
    let c = state.desk.add_holiday(&by, id, HolidayInput { date: dto.date, yearly: dto.yearly, name: dto.name }).await?;
    Ok((StatusCode::CREATED, Json(calendar_dto(&c))))
}

/// Remove a holiday from a calendar.
#[utoipa::path(delete, path = "/calendars/{id}/holidays/{holiday}", tag = "administration", params(("id" = i64, Path), ("holiday" = i64, Path)),
    responses((status = 200, body = CalendarDto), (status = 403), (status = 404)))]
pub async fn remove_holiday(
    State(state): State<AppState>,
    AdminCaller(by): AdminCaller,
    path: Result<Path<(i64, i64)>, PathRejection>,
) -> Result<Json<CalendarDto>, ApiError> {
    let Ok(Path((id, holiday))) = path else { return Err(not_found("holiday")) };
    Ok(Json(calendar_dto(&state.desk.remove_holiday(&by, CalendarId(id), holiday).await?)))
}
