//! Time rules: the list (retire/restore) and the rule form (department, condition, minutes,
//! action, target department).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::DepartmentId;
use tikal_core::automation::{TimeAction, TimeCondition, TimeRuleInput};
use tikal_service::Catalog;

use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/time-rules", get(list).post(create))
        .route("/admin/time-rules/new", get(new_rule))
        .route("/admin/time-rules/{id}", get(edit).post(update))
        .route("/admin/time-rules/{id}/active", post(set_active))
}

fn rule_id(c: &Chrome, raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| PageError::not_found(c))
}

fn department_name(catalog: &Catalog, id: Option<DepartmentId>, c: &Chrome) -> String {
    match id {
        Some(id) => catalog.department(id).map_or_else(|| id.to_string(), |d| d.name.clone()),
        None => c.t("time-rules-any-department"),
    }
}

struct RuleRow {
    id: i64,
    name: String,
    department: String,
    condition: String,
    action: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/time_rules.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<RuleRow>,
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn list(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let rules = state.desk.time_rules(a.principal()).await.map_err(|e| a.fail(e))?;
    let catalog = state.desk.catalog().await.map_err(|e| a.fail(e))?;
    let mut c = a.c().clone();
    if saved.saved.is_some() {
        c.notice = Some(c.t("admin-saved"));
    }
    let rows = rules
        .iter()
        .map(|r| {
            let mut action = c.t(&format!("time-rules-act-{}", r.action));
            if r.action == TimeAction::Transfer {
                action = format!("{action}: {}", department_name(&catalog, r.target_department_id, &c));
            }
            RuleRow {
                id: r.id,
                name: r.name.clone(),
                department: department_name(&catalog, r.department_id, &c),
                condition: c.t1(&format!("time-rules-cond-{}-for", r.condition), "minutes", &r.minutes.to_string()),
                action,
                active: r.active,
            }
        })
        .collect();
    Ok(page(&ListPage { c, rows }).into_response())
}

/// The form's values, as typed.
#[derive(Default)]
struct RuleValues {
    name: String,
    department_id: String,
    condition: String,
    minutes: String,
    action: String,
    target_department_id: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/time_rule.html")]
struct RulePage {
    c: Chrome,
    id: Option<i64>,
    v: RuleValues,
    departments: Vec<(String, String)>,
    conditions: Vec<(&'static str, String)>,
    actions: Vec<(&'static str, String)>,
    error: Option<FormError>,
    history: String,
}

impl RulePage {
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.is(field))
    }
}

async fn rule_page(state: &AppState, a: &Admin, id: Option<i64>, v: RuleValues, error: Option<FormError>) -> Result<RulePage, PageError> {
    let catalog = state.desk.catalog().await.map_err(|e| a.fail(e))?;
    let c = a.c().clone();
    Ok(RulePage {
        departments: catalog.departments.iter().filter(|d| d.active).map(|d| (d.id.to_string(), d.name.clone())).collect(),
        conditions: TimeCondition::ALL.iter().map(|k| (k.as_str(), c.t(&format!("time-rules-cond-{k}")))).collect(),
        actions: TimeAction::ALL.iter().map(|k| (k.as_str(), c.t(&format!("time-rules-act-{k}")))).collect(),
        history: id.map(|i| format!("/admin/audit?entity=time_rule&id={i}")).unwrap_or_default(),
        id,
        c,
        v,
        error,
    })
}

async fn new_rule(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let v = RuleValues { active: true, minutes: "30".into(), ..Default::default() };
    Ok(page(&rule_page(&state, &a, None, v, None).await?).into_response())
}

async fn edit(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = rule_id(a.c(), &raw)?;
    let r = state.desk.time_rule(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let opt = |d: Option<DepartmentId>| d.map(|d| d.to_string()).unwrap_or_default();
    let v = RuleValues {
        name: r.name.clone(),
        department_id: opt(r.department_id),
        condition: r.condition.as_str().into(),
        minutes: r.minutes.to_string(),
        action: r.action.as_str().into(),
        target_department_id: opt(r.target_department_id),
        active: r.active,
    };
    Ok(page(&rule_page(&state, &a, Some(id), v, None).await?).into_response())
}

fn values(f: &Fields) -> RuleValues {
    RuleValues {
        name: f.get("name").into(),
        department_id: f.get("department_id").into(),
        condition: f.get("condition").into(),
        minutes: f.get("minutes").into(),
        action: f.get("action").into(),
        target_department_id: f.get("target_department_id").into(),
        active: f.checked("active"),
    }
}

/// A department field: empty is none; anything else must be an id.
fn department(field: &'static str, raw: &str) -> Result<Option<DepartmentId>, tikal_core::DomainError> {
    match raw.trim() {
        "" => Ok(None),
        s => s
            .parse::<i64>()
            .map(|n| Some(DepartmentId(n)))
            .map_err(|_| tikal_core::DomainError::invalid(field, tikal_core::Reason::NotFound)),
    }
}

fn input_of(v: &RuleValues) -> Result<TimeRuleInput, tikal_core::DomainError> {
    Ok(TimeRuleInput {
        name: v.name.clone(),
        department_id: department("department_id", &v.department_id)?,
        condition: v.condition.clone(),
        minutes: v.minutes.clone(),
        action: v.action.clone(),
        target_department_id: department("target_department_id", &v.target_department_id)?,
        active: v.active,
    })
}

async fn save(state: AppState, a: Admin, id: Option<i64>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let v = values(&f);
    let result = match input_of(&v) {
        Ok(input) => state.desk.save_time_rule(a.principal(), id, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/time-rules?saved=1").into_response()),
        Err(e) => {
            let error = FormError::from_service(a.c(), e)?;
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

async fn set_active(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = rule_id(a.c(), &raw)?;
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    state.desk.set_time_rule_active(a.principal(), id, f.checked("active")).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/time-rules?saved=1").into_response())
}
