//! SLA plans (targets per priority, calendar, pause) and business-hours calendars with their
//! holidays.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::sla::Targets;
use tikal_core::sla_plan::{
    Calendar, CalendarId, CalendarInput, DayInput, Escalation, EscalationAction, HolidayInput, SlaPlan, SlaPlanInput, WEEKDAYS,
    format_duration, format_time, parse_duration,
};
use tikal_core::{DepartmentId, DomainError, SlaPlanId};

use super::path_id;
use super::priorities::{Saved, form_error, with_notice};
use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sla", get(plans).post(create_plan))
        .route("/admin/sla/new", get(new_plan))
        .route("/admin/sla/{id}", get(edit_plan).post(update_plan))
        .route("/admin/calendars", get(calendars).post(create_calendar))
        .route("/admin/calendars/new", get(new_calendar))
        .route("/admin/calendars/{id}", get(edit_calendar).post(update_calendar))
        .route("/admin/calendars/{id}/holidays", post(add_holiday))
        .route("/admin/calendars/{id}/holidays/{holiday}/delete", post(remove_holiday))
}

fn weekday_key(i: usize) -> String {
    format!("prio-weekday-{}", i + 1)
}

// ---- SLA plans ----

struct PlanRow {
    id: i64,
    name: String,
    calendar: String,
    /// (priority level, response, resolution) as H:MM.
    targets: Vec<(u8, String, String)>,
    pause: bool,
    active: bool,
    /// The warning threshold ("75 %") or "" without one.
    warning: String,
    /// The actions at a breach, by their short names.
    breach: String,
}

#[derive(Template)]
#[template(path = "admin/priorities_sla.html")]
struct PlansPage {
    c: Chrome,
    rows: Vec<PlanRow>,
}

fn calendar_name(c: &Chrome, all: &[Calendar], id: Option<CalendarId>) -> String {
    match id {
        None => c.t("prio-calendar-24x7"),
        Some(id) => all.iter().find(|x| x.id == id).map(|x| x.name.clone()).unwrap_or_default(),
    }
}

async fn plans(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let list = state.desk.sla_plans(a.principal()).await.map_err(|e| a.fail(e))?;
    let cals = state.desk.calendars(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = with_notice(&a, &saved);
    let rows = list
        .iter()
        .map(|p| PlanRow {
            id: p.id.get(),
            name: p.name.clone(),
            calendar: calendar_name(&c, &cals, p.calendar_id),
            targets: p
                .targets
                .iter()
                .zip(1..)
                .map(|(t, l)| (l, format_duration(t.first_response_minutes), format_duration(t.resolution_minutes)))
                .collect(),
            pause: p.pause_when_pending,
            active: p.active,
            warning: p.escalation.warn_percent.map(|w| format!("{w} %")).unwrap_or_default(),
            breach: p.escalation.on_breach.iter().map(|x| c.t(&action_key(*x))).collect::<Vec<_>>().join(", "),
        })
        .collect();
    Ok(page(&PlansPage { c, rows }).into_response())
}

#[derive(Default)]
struct PlanValues {
    name: String,
    /// (level, response, resolution) as typed.
    targets: Vec<(u8, String, String)>,
    calendar_id: String,
    pause: bool,
    active: bool,
    /// The escalation as typed: threshold, action names checked, department id ("" = none).
    warn_percent: String,
    on_warning: Vec<String>,
    on_breach: Vec<String>,
    transfer_to: String,
}

/// An escalation action as the form offers it: (name, label, help).
type ActionChoice = (&'static str, String, String);

fn action_key(a: EscalationAction) -> String {
    format!("prio-action-{a}")
}

#[derive(Template)]
#[template(path = "admin/priorities_sla_plan.html")]
struct PlanPage {
    c: Chrome,
    id: Option<i64>,
    v: PlanValues,
    calendars: Vec<(String, String)>,
    /// (id, name) of the departments escalation may send tickets to.
    departments: Vec<(String, String)>,
    actions: Vec<ActionChoice>,
    /// Priority names in the user's language, 1 first.
    priorities: Vec<String>,
    error: Option<FormError>,
}

impl PlanPage {
    fn priority(&self, level: &u8) -> &str {
        self.priorities.get(usize::from(*level).saturating_sub(1)).map_or("", String::as_str)
    }

    fn at_warning(&self, action: &str) -> bool {
        self.v.on_warning.iter().any(|a| a == action)
    }

    fn at_breach(&self, action: &str) -> bool {
        self.v.on_breach.iter().any(|a| a == action)
    }

    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.is(field))
    }
}

fn plan_values(p: &SlaPlan) -> PlanValues {
    PlanValues {
        name: p.name.clone(),
        targets: p
            .targets
            .iter()
            .zip(1..)
            .map(|(t, l)| (l, format_duration(t.first_response_minutes), format_duration(t.resolution_minutes)))
            .collect(),
        calendar_id: p.calendar_id.map(|c| c.get().to_string()).unwrap_or_default(),
        pause: p.pause_when_pending,
        active: p.active,
        warn_percent: p.escalation.warn_percent.map(|w| w.to_string()).unwrap_or_default(),
        on_warning: p.escalation.on_warning.iter().map(|a| a.as_str().to_string()).collect(),
        on_breach: p.escalation.on_breach.iter().map(|a| a.as_str().to_string()).collect(),
        transfer_to: p.escalation.transfer_to.map(|d| d.get().to_string()).unwrap_or_default(),
    }
}

/// The form as typed, to show it again when refused.
fn typed_plan(f: &Fields) -> PlanValues {
    PlanValues {
        name: f.get("name").into(),
        targets: (1..=5u8)
            .map(|l| (l, f.get(&format!("response_{l}")).to_string(), f.get(&format!("resolution_{l}")).to_string()))
            .collect(),
        calendar_id: f.get("calendar_id").into(),
        pause: f.checked("pause_when_pending"),
        active: f.checked("active"),
        warn_percent: f.get("warn_percent").into(),
        on_warning: f.all("on_warning").into_iter().map(String::from).collect(),
        on_breach: f.all("on_breach").into_iter().map(String::from).collect(),
        transfer_to: f.get("transfer_to").into(),
    }
}

async fn plan_page(
    state: &AppState,
    a: &Admin,
    id: Option<SlaPlanId>,
    v: PlanValues,
    error: Option<FormError>,
) -> Result<PlanPage, PageError> {
    let cals = state.desk.calendars(a.principal()).await.map_err(|e| a.fail(e))?;
    let levels = state.desk.priority_levels().await.map_err(|e| a.fail(e))?;
    let depts = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = a.c().clone();
    let priorities = levels.iter().map(|l| format!("{} · {}", l.priority.level(), l.name(c.lang.code()))).collect();
    // Active departments, and the plan's own even if retired since (so saving keeps it).
    let departments = depts
        .iter()
        .filter(|d| d.department.active || v.transfer_to == d.department.id.get().to_string())
        .map(|d| (d.department.id.get().to_string(), d.department.name.clone()))
        .collect();
    let actions =
        EscalationAction::ALL.iter().map(|x| (x.as_str(), c.t(&action_key(*x)), c.t(&format!("{}-hint", action_key(*x))))).collect();
    Ok(PlanPage {
        c,
        id: id.map(SlaPlanId::get),
        v,
        calendars: cals.iter().map(|x| (x.id.get().to_string(), x.name.clone())).collect(),
        departments,
        actions,
        priorities,
        error,
    })
}

async fn new_plan(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let standard = SlaPlan::standard();
    let mut v = plan_values(&SlaPlan {
        id: SlaPlanId(0),
        name: String::new(),
        targets: standard.targets,
        calendar_id: None,
        pause_when_pending: true,
        active: true,
        escalation: standard.escalation.clone(),
    });
    v.name.clear();
    Ok(page(&plan_page(&state, &a, None, v, None).await?).into_response())
}

async fn edit_plan(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = SlaPlanId(path_id(a.c(), &raw)?);
    let p = state.desk.sla_plan(a.principal(), id).await.map_err(|e| a.fail(e))?;
    Ok(page(&plan_page(&state, &a, Some(id), plan_values(&p), None).await?).into_response())
}

fn plan_input(f: &Fields) -> Result<SlaPlanInput, DomainError> {
    const RESPONSE: [&str; 5] = ["response_1", "response_2", "response_3", "response_4", "response_5"];
    const RESOLUTION: [&str; 5] = ["resolution_1", "resolution_2", "resolution_3", "resolution_4", "resolution_5"];
    let mut targets = [Targets { first_response_minutes: 0, resolution_minutes: 0 }; 5];
    for (i, t) in targets.iter_mut().enumerate() {
        t.first_response_minutes = parse_duration(RESPONSE[i], f.get(RESPONSE[i]))?;
        t.resolution_minutes = parse_duration(RESOLUTION[i], f.get(RESOLUTION[i]))?;
    }
    Ok(SlaPlanInput {
        name: f.get("name").into(),
        targets,
        calendar_id: f.id("calendar_id")?.map(CalendarId),
        pause_when_pending: f.checked("pause_when_pending"),
        active: f.checked("active"),
        escalation: Escalation {
            warn_percent: Escalation::parse_warn_percent(f.get("warn_percent"))?,
            on_warning: Escalation::parse_actions("on_warning", f.all("on_warning"))?,
            on_breach: Escalation::parse_actions("on_breach", f.all("on_breach"))?,
            transfer_to: f.id("transfer_to")?.map(DepartmentId),
        },
    })
}

async fn save_plan(state: AppState, a: Admin, id: Option<SlaPlanId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let result = match plan_input(&f) {
        Ok(input) => state.desk.save_sla_plan(a.principal(), id, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/sla?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&plan_page(&state, &a, id, typed_plan(&f), Some(error)).await?))
        }
    }
}

async fn create_plan(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_plan(state, a, None, &body).await
}

async fn update_plan(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = SlaPlanId(path_id(a.c(), &raw)?);
    save_plan(state, a, Some(id), &body).await
}

// ---- calendars ----

struct CalendarRow {
    id: i64,
    name: String,
    time_zone: String,
    hours: String,
    holidays: usize,
}

#[derive(Template)]
#[template(path = "admin/priorities_calendars.html")]
struct CalendarsPage {
    c: Chrome,
    rows: Vec<CalendarRow>,
}

fn hours_summary(c: &Chrome, cal: &Calendar) -> String {
    WEEKDAYS
        .iter()
        .enumerate()
        .filter_map(|(i, d)| cal.hours_on(*d).map(|h| format!("{} {}-{}", c.t(&weekday_key(i)), format_time(h.start), format_time(h.end))))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn calendars(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let list = state.desk.calendars(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = with_notice(&a, &saved);
    let rows = list
        .iter()
        .map(|x| CalendarRow {
            id: x.id.get(),
            name: x.name.clone(),
            time_zone: x.time_zone.name().to_string(),
            hours: hours_summary(&c, x),
            holidays: x.holidays.len(),
        })
        .collect();
    Ok(page(&CalendarsPage { c, rows }).into_response())
}

struct DayValues {
    n: usize,
    label: String,
    open: bool,
    start: String,
    end: String,
}

struct HolidayRow {
    id: i64,
    date: String,
    yearly: bool,
    name: String,
}

#[derive(Default)]
struct HolidayValues {
    date: String,
    yearly: bool,
    name: String,
}

#[derive(Template)]
#[template(path = "admin/priorities_calendar.html")]
struct CalendarPage {
    c: Chrome,
    id: Option<i64>,
    name: String,
    time_zone: String,
    days: Vec<DayValues>,
    holidays: Vec<HolidayRow>,
    h: HolidayValues,
    error: Option<FormError>,
    holiday_error: Option<FormError>,
}

struct CalendarValues {
    name: String,
    time_zone: String,
    days: Vec<DayInput>,
}

fn calendar_values(cal: &Calendar) -> CalendarValues {
    CalendarValues {
        name: cal.name.clone(),
        time_zone: cal.time_zone.name().to_string(),
        days: WEEKDAYS
            .iter()
            .map(|d| match cal.hours_on(*d) {
                Some(h) => DayInput { open: true, start: format_time(h.start), end: format_time(h.end) },
                None => DayInput { open: false, start: String::new(), end: String::new() },
            })
            .collect(),
    }
}

fn typed_calendar(f: &Fields) -> CalendarValues {
    CalendarValues {
        name: f.get("name").into(),
        time_zone: f.get("time_zone").into(),
        days: (1..=7)
            .map(|n| DayInput {
                open: f.checked(&format!("open_{n}")),
                start: f.get(&format!("start_{n}")).into(),
                end: f.get(&format!("end_{n}")).into(),
            })
            .collect(),
    }
}

async fn calendar_page(
    state: &AppState,
    a: &Admin,
    c: Chrome,
    id: Option<CalendarId>,
    v: Option<CalendarValues>,
    error: Option<FormError>,
    (h, holiday_error): (HolidayValues, Option<FormError>),
) -> Result<CalendarPage, PageError> {
    let stored = match id {
        Some(id) => Some(state.desk.calendar(a.principal(), id).await.map_err(|e| a.fail(e))?),
        None => None,
    };
    let v = match (v, &stored) {
        (Some(v), _) => v,
        (None, Some(s)) => calendar_values(s),
        (None, None) => CalendarValues {
            name: String::new(),
            time_zone: state.desk.config().portal.time_zone.clone(),
            days: (0..7).map(|i| DayInput { open: i < 5, start: "08:00".into(), end: "17:00".into() }).collect(),
        },
    };
    let days = v
        .days
        .into_iter()
        .enumerate()
        .map(|(i, d)| DayValues { n: i + 1, label: c.t(&weekday_key(i)), open: d.open, start: d.start, end: d.end })
        .collect();
    let holidays = stored
        .map(|s| {
            s.holidays
                .iter()
                .map(|x| HolidayRow { id: x.id, date: x.date.format("%Y-%m-%d").to_string(), yearly: x.yearly, name: x.name.clone() })
                .collect()
        })
        .unwrap_or_default();
    Ok(CalendarPage { c, id: id.map(CalendarId::get), name: v.name, time_zone: v.time_zone, days, holidays, h, error, holiday_error })
}

async fn new_calendar(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let c = a.c().clone();
    Ok(page(&calendar_page(&state, &a, c, None, None, None, (HolidayValues::default(), None)).await?).into_response())
}

async fn edit_calendar(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    Query(saved): Query<Saved>,
) -> Result<Response, PageError> {
    let id = CalendarId(path_id(a.c(), &raw)?);
    let c = with_notice(&a, &saved);
    Ok(page(&calendar_page(&state, &a, c, Some(id), None, None, (HolidayValues::default(), None)).await?).into_response())
}

async fn save_calendar(state: AppState, a: Admin, id: Option<CalendarId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let v = typed_calendar(&f);
    let input = CalendarInput { name: v.name.clone(), time_zone: v.time_zone.clone(), days: v.days.clone() };
    match state.desk.save_calendar(a.principal(), id, input).await {
        Ok(cal) => Ok(Redirect::to(&format!("/admin/calendars/{}?saved=1", cal.id)).into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let c = a.c().clone();
            Ok(refused(&calendar_page(&state, &a, c, id, Some(v), Some(error), (HolidayValues::default(), None)).await?))
        }
    }
}

async fn create_calendar(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_calendar(state, a, None, &body).await
}

async fn update_calendar(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = CalendarId(path_id(a.c(), &raw)?);
    save_calendar(state, a, Some(id), &body).await
}

async fn add_holiday(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = CalendarId(path_id(a.c(), &raw)?);
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let h = HolidayValues { date: f.get("holiday_date").into(), yearly: f.checked("yearly"), name: f.get("holiday_name").into() };
    let input = HolidayInput { date: h.date.clone(), yearly: h.yearly, name: h.name.clone() };
    match state.desk.add_holiday(a.principal(), id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/calendars/{id}?saved=1")).into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let c = a.c().clone();
            Ok(refused(&calendar_page(&state, &a, c, Some(id), None, None, (h, Some(error))).await?))
        }
    }
}

async fn remove_holiday(
    State(state): State<AppState>,
    a: Admin,
    Path((raw, holiday)): Path<(String, String)>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = CalendarId(path_id(a.c(), &raw)?);
    let holiday = path_id(a.c(), &holiday)?;
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    state.desk.remove_holiday(a.principal(), id, holiday).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/admin/calendars/{id}?saved=1")).into_response())
}
