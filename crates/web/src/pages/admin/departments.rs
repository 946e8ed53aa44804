//! Departments (queues) and teams: list, create, edit, retire.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tikal_core::admin::{AutoAssign, DepartmentInput, TeamInput};
use tikal_core::desk::DepartmentRules;
use tikal_core::org::{Agent, Department, Team};
use tikal_core::{AgentId, DepartmentId, SlaPlanId, TeamId};

use super::path_id;
use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/departments", get(departments).post(create_department))
        .route("/admin/departments/new", get(new_department))
        .route("/admin/departments/{id}", get(edit_department).post(update_department))
        .route("/admin/teams", get(teams).post(create_team))
        .route("/admin/teams/new", get(new_team))
        .route("/admin/teams/{id}", get(edit_team).post(update_team))
}

struct DepartmentRow {
    id: i64,
    name: String,
    parent: String,
    manager: String,
    email: String,
    review: String,
    next_level: String,
    auto_assign: String,
    active: bool,
    tickets: u64,
}

#[derive(Template)]
#[template(path = "admin/departments.html")]
struct DepartmentsPage {
    c: Chrome,
    rows: Vec<DepartmentRow>,
}

fn name_of(all: &[Department], id: Option<DepartmentId>) -> String {
    id.and_then(|i| all.iter().find(|d| d.id == i)).map(|d| d.name.clone()).unwrap_or_default()
}

fn agent_name(agents: &[Agent], id: Option<AgentId>) -> String {
    id.and_then(|i| agents.iter().find(|a| a.id == i)).map(|a| a.name.as_str().to_string()).unwrap_or_default()
}

fn review_label(c: &Chrome, r: Option<bool>) -> String {
    c.t(match r {
        None => "admin-review-inherit",
        Some(true) => "admin-review-yes",
        Some(false) => "admin-review-no",
    })
}

/// `?saved=1` after a change: the list says so.
#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

fn with_notice(mut c: Chrome, saved: &Saved) -> Chrome {
    if saved.saved.is_some() {
        c.notice = Some(c.t("admin-saved"));
    }
    c
}

async fn departments(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let list = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let agents = state.desk.agents_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = with_notice(a.c().clone(), &saved);
    let all: Vec<Department> = list.iter().map(|d| d.department.clone()).collect();
    let rows = list
        .iter()
        .map(|d| DepartmentRow {
            id: d.department.id.get(),
            name: d.department.name.clone(),
            parent: name_of(&all, d.department.parent_id),
            manager: agent_name(&agents, d.department.manager_id),
            email: d.department.email.as_ref().map(|e| e.as_str().to_string()).unwrap_or_default(),
            review: review_label(&c, d.rules.review_required),
            next_level: name_of(&all, d.rules.next_level),
            auto_assign: c.t(&format!("admin-auto-{}", d.department.auto_assign)),
            active: d.department.active,
            tickets: d.tickets,
        })
        .collect();
    Ok(page(&DepartmentsPage { c, rows }).into_response())
}

/// The department form's values, as typed (shown again when refused).
#[derive(Default)]
struct DepartmentValues {
    name: String,
    parent_id: String,
    manager_id: String,
    email: String,
    sla_plan_id: String,
    auto_assign: String,
    next_level_id: String,
    review: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/department.html")]
struct DepartmentPage {
    c: Chrome,
    id: Option<i64>,
    v: DepartmentValues,
    /// (id, name) of the departments it may sit below or escalate to.
    departments: Vec<(String, String)>,
    agents: Vec<(String, String)>,
    auto_modes: Vec<(&'static str, String)>,
    error: Option<FormError>,
    history: String,
    /// (id, name) of the SLA plans it may follow (active ones, and the one it has).
    sla_plans: Vec<(String, String)>,
}

impl DepartmentPage {
    fn sel(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

async fn department_page(
    state: &AppState,
    a: &Admin,
    id: Option<DepartmentId>,
    v: DepartmentValues,
    error: Option<FormError>,
) -> Result<DepartmentPage, PageError> {
    let list = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let agents = state.desk.agents_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = a.c().clone();
    let departments = list
        .iter()
        .filter(|d| Some(d.department.id) != id)
        .map(|d| (d.department.id.get().to_string(), d.department.name.clone()))
        .collect();
    let agents = agents.iter().filter(|a| a.active).map(|a| (a.id.get().to_string(), a.name.as_str().to_string())).collect();
    let auto_modes = AutoAssign::ALL.iter().map(|m| (m.as_str(), c.t(&format!("admin-auto-{m}")))).collect();
    let history = id.map(|i| format!("/admin/audit?entity=department&id={}", i.get())).unwrap_or_default();
    let plans = state.desk.sla_plans(a.principal()).await.map_err(|e| a.fail(e))?;
    let sla_plans = plans
        .iter()
        .filter(|p| p.active || p.id.get().to_string() == v.sla_plan_id)
        .map(|p| (p.id.get().to_string(), p.name.clone()))
        .collect();
    Ok(DepartmentPage { c, id: id.map(|i| i.get()), v, departments, agents, auto_modes, error, history, sla_plans })
}

async fn new_department(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let v = DepartmentValues { active: true, auto_assign: "off".into(), review: "inherit".into(), ..Default::default() };
    Ok(page(&department_page(&state, &a, None, v, None).await?).into_response())
}

async fn edit_department(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = DepartmentId(path_id(a.c(), &raw)?);
    let (d, rules) = state.desk.department_for_admin(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let s = |o: Option<i64>| o.map(|i| i.to_string()).unwrap_or_default();
    let v = DepartmentValues {
        name: d.name,
        parent_id: s(d.parent_id.map(|p| p.get())),
        manager_id: s(d.manager_id.map(|m| m.get())),
        email: d.email.map(|e| e.as_str().to_string()).unwrap_or_default(),
        sla_plan_id: s(d.sla_plan_id.map(|p| p.get())),
        auto_assign: d.auto_assign.as_str().into(),
        next_level_id: s(rules.next_level.map(|n| n.get())),
        review: match rules.review_required {
            None => "inherit",
            Some(true) => "yes",
            Some(false) => "no",
        }
        .into(),
        active: d.active,
    };
    Ok(page(&department_page(&state, &a, Some(id), v, None).await?).into_response())
}

fn department_values(f: &Fields) -> DepartmentValues {
    DepartmentValues {
        name: f.get("name").into(),
        parent_id: f.get("parent_id").into(),
        manager_id: f.get("manager_id").into(),
        email: f.get("email").into(),
        sla_plan_id: f.get("sla_plan_id").into(),
        auto_assign: f.get("auto_assign").into(),
        next_level_id: f.get("next_level_id").into(),
        review: f.get("review").into(),
        active: f.checked("active"),
    }
}

fn department_input(f: &Fields) -> Result<(DepartmentInput, DepartmentRules), tikal_core::DomainError> {
    let auto_assign = match f.get("auto_assign") {
        "" => None,
        m => Some(m.parse::<AutoAssign>().map_err(|_| tikal_core::DomainError::invalid("auto_assign", tikal_core::Reason::NotAnOption))?),
    };
    let input = DepartmentInput {
        name: f.get("name").into(),
        parent_id: f.id("parent_id")?.map(DepartmentId),
        manager_id: f.id("manager_id")?.map(AgentId),
        email: f.get("email").into(),
        sla_plan_id: f.id("sla_plan_id")?.map(SlaPlanId),
        auto_assign,
        active: f.checked("active"),
    };
    let review_required = match f.get("review") {
        "yes" => Some(true),
        "no" => Some(false),
        "" | "inherit" => None,
        _ => return Err(tikal_core::DomainError::invalid("review", tikal_core::Reason::NotAnOption)),
    };
    Ok((input, DepartmentRules { next_level: f.id("next_level_id")?.map(DepartmentId), review_required }))
}

async fn save_department(state: AppState, a: Admin, id: Option<DepartmentId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let result = match department_input(&f) {
        Ok((input, rules)) => state.desk.save_department(a.principal(), id, input, Some(rules)).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/departments?saved=1").into_response()),
        Err(e) => {
            let error = FormError::from_service(a.c(), e)?;
            let p = department_page(&state, &a, id, department_values(&f), Some(error)).await?;
            Ok(refused(&p))
        }
    }
}

async fn create_department(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_department(state, a, None, &body).await
}

async fn update_department(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = DepartmentId(path_id(a.c(), &raw)?);
    save_department(state, a, Some(id), &body).await
}

struct TeamRow {
    id: i64,
    name: String,
    department: String,
    members: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/teams.html")]
struct TeamsPage {
    c: Chrome,
    rows: Vec<TeamRow>,
}

async fn teams(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let teams = state.desk.teams(a.principal()).await.map_err(|e| a.fail(e))?;
    let depts = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let all: Vec<Department> = depts.into_iter().map(|d| d.department).collect();
    let agents = state.desk.agents_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let rows = teams
        .iter()
        .map(|t| TeamRow {
            id: t.id.get(),
            name: t.name.clone(),
            department: name_of(&all, t.department_id),
            members: t.members.iter().map(|m| agent_name(&agents, Some(*m))).collect::<Vec<_>>().join(", "),
            active: t.active,
        })
        .collect();
    Ok(page(&TeamsPage { c: with_notice(a.c().clone(), &saved), rows }).into_response())
}

#[derive(Default)]
struct TeamValues {
    name: String,
    department_id: String,
    members: Vec<String>,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/team.html")]
struct TeamPage {
    c: Chrome,
    id: Option<i64>,
    v: TeamValues,
    departments: Vec<(String, String)>,
    agents: Vec<(String, String)>,
    error: Option<FormError>,
}

impl TeamPage {
    fn member(&self, id: &str) -> bool {
        self.v.members.iter().any(|m| m == id)
    }
}

async fn team_page(
    state: &AppState,
    a: &Admin,
    id: Option<TeamId>,
    v: TeamValues,
    error: Option<FormError>,
) -> Result<TeamPage, PageError> {
    let depts = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let agents = state.desk.agents_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    Ok(TeamPage {
        c: a.c().clone(),
        id: id.map(|i| i.get()),
        v,
        departments: depts.iter().map(|d| (d.department.id.get().to_string(), d.department.name.clone())).collect(),
        agents: agents.iter().filter(|a| a.active).map(|a| (a.id.get().to_string(), a.name.as_str().to_string())).collect(),
        error,
    })
}

async fn new_team(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    Ok(page(&team_page(&state, &a, None, TeamValues { active: true, ..Default::default() }, None).await?).into_response())
}

fn find_team(teams: &[Team], id: TeamId) -> Option<&Team> {
    teams.iter().find(|t| t.id == id)
}

async fn edit_team(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = TeamId(path_id(a.c(), &raw)?);
    let teams = state.desk.teams(a.principal()).await.map_err(|e| a.fail(e))?;
    let t = find_team(&teams, id).ok_or_else(|| PageError::not_found(a.c()))?;
    let v = TeamValues {
        name: t.name.clone(),
        department_id: t.department_id.map(|d| d.get().to_string()).unwrap_or_default(),
        members: t.members.iter().map(|m| m.get().to_string()).collect(),
        active: t.active,
    };
    Ok(page(&team_page(&state, &a, Some(id), v, None).await?).into_response())
}

async fn save_team(state: AppState, a: Admin, id: Option<TeamId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let input = (|| -> Result<TeamInput, tikal_core::DomainError> {
        Ok(TeamInput {
            name: f.get("name").into(),
            department_id: f.id("department_id")?.map(DepartmentId),
            members: f.ids("members")?.into_iter().map(AgentId).collect(),
            active: f.checked("active"),
        })
    })();
    let result = match input {
        Ok(input) => state.desk.save_team(a.principal(), id, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/teams?saved=1").into_response()),
        Err(e) => {
            let error = FormError::from_service(a.c(), e)?;
            let v = TeamValues {
                name: f.get("name").into(),
                department_id: f.get("department_id").into(),
                members: f.all("members").into_iter().map(str::to_string).collect(),
                active: f.checked("active"),
            };
            Ok(refused(&team_page(&state, &a, id, v, Some(error)).await?))
        }
    }
}

async fn create_team(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_team(state, a, None, &body).await
}

async fn update_team(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = TeamId(path_id(a.c(), &raw)?);
    save_team(state, a, Some(id), &body).await
}
