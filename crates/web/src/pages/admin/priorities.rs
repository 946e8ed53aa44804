//! Priorities (names, colours, the impact x urgency matrix), ticket types and statuses.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::priorities::{PriorityLevelInput, status_key_from_name};
use tikal_core::{DomainError, Reason, StateCategory, TicketType};
use tikal_service::{NewStatus, ServiceError};
use tikal_store::StatusChange;

use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/priorities", get(priorities).post(save_levels))
        .route("/admin/priorities/matrix", post(save_matrix))
        .route("/admin/types", get(types))
        .route("/admin/types/{key}", post(save_type))
        .route("/admin/statuses", get(statuses).post(create_status))
        .route("/admin/statuses/{key}", get(edit_status).post(change_status))
        .merge(super::priorities_sla::router())
        .route("/branding/priorities.css", get(priority_colours))
}

/// The priorities' colours as a stylesheet (the site's policy allows no inline style): a bar
/// beside each priority in queues, the dashboard and the desk, and the swatches of the
/// administration page. Public and short-lived in caches, so a change shows within a minute.
async fn priority_colours(State(state): State<AppState>) -> Response {
    let levels = match state.desk.catalog().await {
        Ok(c) => c.priority_levels.clone(),
        Err(_) => Vec::new(),
    };
    let mut css = String::new();
    for l in &levels {
        // Colours are validated `#rrggbb` on save: nothing else can reach the stylesheet.
        let (n, colour) = (l.priority.level(), l.colour.as_str());
        css.push_str(&format!(
            ".prio-{n} {{ border-left: .35em solid {colour}; padding-left: .4em; }}\n.prio-swatch-{n} {{ background: {colour}; }}\n"
        ));
    }
    ([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"), (axum::http::header::CACHE_CONTROL, "public, max-age=60")], css)
        .into_response()
}

/// Reasons of this section said in the user's language (the core says them in English).
const WHY: &[(&str, &str)] = &[
    (tikal_core::priorities::WHY_COLOUR, "prio-why-colour"),
    (tikal_core::priorities::WHY_LAST_TYPE, "prio-why-last-type"),
    (tikal_core::sla_plan::WHY_RESPONSE_AFTER_RESOLUTION, "prio-why-response-after-resolution"),
    (tikal_core::sla_plan::WHY_TIME, "prio-why-time"),
    (tikal_core::sla_plan::WHY_DURATION, "prio-why-duration"),
    (tikal_core::sla_plan::WHY_START_AFTER_END, "prio-why-start-after-end"),
    (tikal_core::sla_plan::WHY_TIME_ZONE, "prio-why-time-zone"),
    (tikal_core::sla_plan::WHY_NAME_TAKEN, "prio-why-name-taken"),
    (tikal_core::sla_plan::WHY_HOLIDAY_TWICE, "prio-why-holiday-twice"),
    (tikal_core::sla_plan::WHY_NO_HOURS, "prio-why-no-hours"),
    (tikal_core::sla_plan::WHY_WARN_PERCENT, "prio-why-warn-percent"),
    ("must be 3 rows of 3 priorities (1-5)", "prio-why-matrix"),
    ("a built-in status can be renamed but not retired", "prio-why-builtin-status"),
    ("must be 2-40 lowercase letters, digits or _, starting with a letter", "prio-why-status-key"),
    ("must be 1-60 characters without control characters", "prio-why-status-name"),
    ("only a pending status can wait on the requester", "prio-why-awaits"),
];

/// A refused form's message in the user's language: the field's label (`prio-field-*`) and
/// why, with this section's reasons translated (the core says them in English).
pub(super) fn form_error(c: &Chrome, e: ServiceError) -> Result<FormError, PageError> {
    match e {
        ServiceError::Domain(DomainError::Invalid { field, reason }) => {
            let why = match &reason {
                Reason::Other(text) => WHY.iter().find(|(t, _)| t == text).map_or_else(|| c.lang.reason(&reason), |(_, key)| c.t(key)),
                r => c.lang.reason(r),
            };
            Ok(FormError { message: format!("{}: {why}", c.t(&format!("prio-field-{field}"))), field: field.to_string() })
        }
        other => FormError::from_service(c, other),
    }
}

/// `?saved=1` after a change: the page says so.
#[derive(serde::Deserialize)]
pub(super) struct Saved {
    saved: Option<String>,
}

pub(super) fn with_notice(a: &Admin, saved: &Saved) -> Chrome {
    let mut c = a.c().clone();
    if saved.saved.is_some() {
        c.notice = Some(c.t("admin-saved"));
    }
    c
}

// ---- priorities ----

#[derive(Clone, Default)]
struct LevelValues {
    level: u8,
    name_es: String,
    name_en: String,
    colour: String,
}

#[derive(Template)]
#[template(path = "admin/priorities.html")]
struct PrioritiesPage {
    c: Chrome,
    levels: Vec<LevelValues>,
    /// Rows impact high..low: (impact level, [(urgency level, chosen priority)]).
    matrix: Vec<(u8, Vec<(u8, String)>)>,
    matrix_saved: bool,
    error: Option<FormError>,
    matrix_error: Option<FormError>,
}

impl PrioritiesPage {
    fn name_of(&self, level: &u8) -> String {
        self.levels
            .iter()
            .find(|l| l.level == *level)
            .map(|l| if self.c.lang.code() == "en" { l.name_en.clone() } else { l.name_es.clone() })
            .unwrap_or_default()
    }
}

struct Typed {
    levels: Option<Vec<LevelValues>>,
    matrix: Option<Vec<Vec<String>>>,
}

async fn priorities_page(
    state: &AppState,
    a: &Admin,
    c: Chrome,
    typed: Typed,
    error: Option<FormError>,
    matrix_error: Option<FormError>,
) -> Result<PrioritiesPage, PageError> {
    let s = state.desk.priority_settings(a.principal()).await.map_err(|e| a.fail(e))?;
    let levels = typed.levels.unwrap_or_else(|| {
        s.levels
            .iter()
            .map(|l| LevelValues {
                level: l.priority.level(),
                name_es: l.name_es.clone(),
                name_en: l.name_en.clone(),
                colour: l.colour.to_string(),
            })
            .collect()
    });
    let stored: Vec<Vec<u8>> = s.matrix.into();
    let cells = typed.matrix.unwrap_or_else(|| stored.iter().map(|r| r.iter().map(u8::to_string).collect()).collect());
    let matrix =
        (1..=3u8).rev().map(|i| (i, (1..=3u8).map(|u| (u, cells[usize::from(i - 1)][usize::from(u - 1)].clone())).collect())).collect();
    Ok(PrioritiesPage { c, levels, matrix, matrix_saved: s.matrix_saved, error, matrix_error })
}

async fn priorities(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let c = with_notice(&a, &saved);
    Ok(page(&priorities_page(&state, &a, c, Typed { levels: None, matrix: None }, None, None).await?).into_response())
}

async fn save_levels(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let typed: Vec<LevelValues> = (1..=5u8)
        .map(|l| LevelValues {
            level: l,
            name_es: f.get(&format!("name_es_{l}")).into(),
            name_en: f.get(&format!("name_en_{l}")).into(),
            colour: f.get(&format!("colour_{l}")).into(),
        })
        .collect();
    let inputs: Vec<PriorityLevelInput> = typed
        .iter()
        .map(|v| PriorityLevelInput { name_es: v.name_es.clone(), name_en: v.name_en.clone(), colour: v.colour.clone() })
        .collect();
    match state.desk.save_priority_levels(a.principal(), &inputs).await {
        Ok(_) => Ok(Redirect::to("/admin/priorities?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let p = priorities_page(&state, &a, a.c().clone(), Typed { levels: Some(typed), matrix: None }, Some(error), None).await?;
            Ok(refused(&p))
        }
    }
}

async fn save_matrix(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let typed: Vec<Vec<String>> = (1..=3).map(|i| (1..=3).map(|u| f.get(&format!("m_{i}_{u}")).to_string()).collect()).collect();
    let parsed: Option<Vec<Vec<u8>>> = typed.iter().map(|r| r.iter().map(|v| v.parse::<u8>().ok()).collect()).collect();
    let result = match parsed {
        Some(rows) => state.desk.save_priority_matrix(a.principal(), rows).await,
        None => Err(DomainError::invalid("priority_matrix", "must be 3 rows of 3 priorities (1-5)").into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/priorities?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let p = priorities_page(&state, &a, a.c().clone(), Typed { levels: None, matrix: Some(typed) }, None, Some(error)).await?;
            Ok(refused(&p))
        }
    }
}

// ---- ticket types ----

struct TypeRow {
    key: &'static str,
    name_es: String,
    name_en: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/priorities_types.html")]
struct TypesPage {
    c: Chrome,
    rows: Vec<TypeRow>,
    /// The row whose form was refused, and why.
    error: Option<FormError>,
    error_key: String,
}

async fn types_page(
    state: &AppState,
    a: &Admin,
    c: Chrome,
    typed: Option<TypeRow>,
    error: Option<FormError>,
) -> Result<TypesPage, PageError> {
    let all = state.desk.ticket_types().await.map_err(|e| a.fail(e))?;
    let error_key = typed.as_ref().map(|t| t.key.to_string()).unwrap_or_default();
    let rows = all
        .iter()
        .map(|t| match &typed {
            Some(v) if v.key == t.kind.as_str() => {
                TypeRow { key: v.key, name_es: v.name_es.clone(), name_en: v.name_en.clone(), active: v.active }
            }
            _ => TypeRow { key: t.kind.as_str(), name_es: t.name_es.clone(), name_en: t.name_en.clone(), active: t.active },
        })
        .collect();
    Ok(TypesPage { c, rows, error, error_key })
}

async fn types(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let c = with_notice(&a, &saved);
    Ok(page(&types_page(&state, &a, c, None, None).await?).into_response())
}

async fn save_type(
    State(state): State<AppState>,
    a: Admin,
    Path(key): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let kind = key.parse::<TicketType>().map_err(|_| PageError::not_found(a.c()))?;
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let typed =
        TypeRow { key: kind.as_str(), name_es: f.get("name_es").into(), name_en: f.get("name_en").into(), active: f.checked("active") };
    match state.desk.save_ticket_type(a.principal(), kind, &typed.name_es, &typed.name_en, typed.active).await {
        Ok(_) => Ok(Redirect::to("/admin/types?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&types_page(&state, &a, a.c().clone(), Some(typed), Some(error)).await?))
        }
    }
}

// ---- statuses ----

struct StatusRow {
    key: String,
    name_es: String,
    name_en: String,
    category: String,
    awaits_requester: bool,
    builtin: bool,
    position: i32,
    active: bool,
}

#[derive(Default)]
struct NewStatusValues {
    key: String,
    name_es: String,
    name_en: String,
    category: String,
    awaits_requester: bool,
}

#[derive(Template)]
#[template(path = "admin/priorities_statuses.html")]
struct StatusesPage {
    c: Chrome,
    rows: Vec<StatusRow>,
    v: NewStatusValues,
    categories: Vec<(&'static str, String)>,
    error: Option<FormError>,
}

async fn statuses_page(
    state: &AppState,
    a: &Admin,
    c: Chrome,
    v: NewStatusValues,
    error: Option<FormError>,
) -> Result<StatusesPage, PageError> {
    let all = state.desk.statuses().await.map_err(|e| a.fail(e))?;
    let rows = all
        .iter()
        .map(|d| StatusRow {
            key: d.status.to_string(),
            name_es: d.name_es.clone(),
            name_en: d.name_en.clone(),
            category: c.t(&format!("prio-category-{}", d.status.category())),
            awaits_requester: d.status.awaits_requester(),
            builtin: d.status.is_builtin(),
            position: d.position,
            active: d.active,
        })
        .collect();
    let categories = StateCategory::ALL.iter().map(|k| (k.as_str(), c.t(&format!("prio-category-{k}")))).collect();
    Ok(StatusesPage { c, rows, v, categories, error })
}

async fn statuses(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let c = with_notice(&a, &saved);
    let v = NewStatusValues { category: "pending".into(), ..Default::default() };
    Ok(page(&statuses_page(&state, &a, c, v, None).await?).into_response())
}

async fn create_status(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let v = NewStatusValues {
        key: f.get("key").into(),
        name_es: f.get("name_es").into(),
        name_en: f.get("name_en").into(),
        category: f.get("category").into(),
        awaits_requester: f.checked("awaits_requester"),
    };
    let result = match v.category.parse::<StateCategory>() {
        Ok(category) => {
            let key = if v.key.is_empty() { status_key_from_name(&v.name_es) } else { v.key.clone() };
            let new = NewStatus {
                key,
                category,
                awaits_requester: v.awaits_requester,
                name_es: v.name_es.clone(),
                name_en: v.name_en.clone(),
                position: None,
            };
            state.desk.create_status(a.principal(), new).await
        }
        Err(_) => Err(DomainError::invalid("category", Reason::NotAnOption).into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/statuses?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&statuses_page(&state, &a, a.c().clone(), v, Some(error)).await?))
        }
    }
}

struct StatusValues {
    name_es: String,
    name_en: String,
    position: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/priorities_status.html")]
struct StatusPage {
    c: Chrome,
    key: String,
    category: String,
    builtin: bool,
    v: StatusValues,
    error: Option<FormError>,
}

async fn status_page(
    state: &AppState,
    a: &Admin,
    key: &str,
    v: Option<StatusValues>,
    error: Option<FormError>,
) -> Result<StatusPage, PageError> {
    let all = state.desk.statuses().await.map_err(|e| a.fail(e))?;
    let d = all.iter().find(|d| d.status.as_str() == key).ok_or_else(|| PageError::not_found(a.c()))?;
    let c = a.c().clone();
    let v = v.unwrap_or_else(|| StatusValues {
        name_es: d.name_es.clone(),
        name_en: d.name_en.clone(),
        position: d.position.to_string(),
        active: d.active,
    });
    Ok(StatusPage {
        category: c.t(&format!("prio-category-{}", d.status.category())),
        c,
        key: key.to_string(),
        builtin: d.status.is_builtin(),
        v,
        error,
    })
}

async fn edit_status(State(state): State<AppState>, a: Admin, Path(key): Path<String>) -> Result<Response, PageError> {
    Ok(page(&status_page(&state, &a, &key, None, None).await?).into_response())
}

async fn change_status(
    State(state): State<AppState>,
    a: Admin,
    Path(key): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    // The page must exist before anything is read into the desk.
    status_page(&state, &a, &key, None, None).await?;
    let v = StatusValues {
        name_es: f.get("name_es").into(),
        name_en: f.get("name_en").into(),
        position: f.get("position").into(),
        active: f.checked("active"),
    };
    let position = match v.position.as_str() {
        "" => Ok(None),
        p => p.parse::<i32>().map(Some).map_err(|_| DomainError::invalid("position", Reason::NotANumber)),
    };
    let result = match position {
        Ok(position) => {
            let change =
                StatusChange { name_es: Some(v.name_es.clone()), name_en: Some(v.name_en.clone()), position, active: Some(v.active) };
            state.desk.change_status(a.principal(), &key, change).await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/statuses?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&status_page(&state, &a, &key, Some(v), Some(error)).await?))
        }
    }
}
