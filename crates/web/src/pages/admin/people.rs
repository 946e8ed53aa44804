//! Agents (invited by e-mail, their role per department, administrator or not, deactivated)
//! and roles (named permission sets), and the page where an invited agent chooses their
//! password. Requesters, organisations and the CSV import are in `people_requesters`.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::people::{AgentInput, RoleInput, is_builtin_role, refusal};
use tikal_core::permission::Permission;
use tikal_core::{AgentId, DepartmentId, DomainError, Reason, RoleId};
use tikal_service::ServiceError;
use tikal_store::{AgentRow, RoleRow, SessionOwner};

use super::path_id;
use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::agent::AgentVisitor;
use crate::pages::session::AGENT_COOKIE;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/agents", get(agents).post(create_agent))
        .route("/admin/agents/new", get(new_agent))
        .route("/admin/agents/{id}", get(edit_agent).post(update_agent))
        .route("/admin/agents/{id}/invite", post(reinvite))
        .route("/admin/agents/{id}/away", post(set_away))
        .route("/admin/roles", get(roles).post(create_role))
        .route("/admin/roles/new", get(new_role))
        .route("/admin/roles/{id}", get(edit_role).post(update_role))
        .route("/admin/roles/{id}/delete", post(delete_role))
        .route("/agent/invite/{token}", get(invite_form).post(invite_submit))
}

/// A refused change as a message for its form: this section's own refusals (`Reason::Other`
/// with a text of `refusal`) in the user's language, else as every section says them.
pub(super) fn form_error(c: &Chrome, e: ServiceError) -> Result<FormError, PageError> {
    if let ServiceError::Domain(DomainError::Invalid { field, reason: Reason::Other(text) }) = &e
        && let Some((_, code)) = refusal::ALL.iter().find(|(t, _)| t == text)
    {
        let label = c.t(&format!("admin-field-{field}"));
        return Ok(FormError { field: field.to_string(), message: format!("{label}: {}", c.t(&format!("people-refusal-{code}"))) });
    }
    FormError::from_service(c, e)
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    pub saved: Option<String>,
    pub sent: Option<String>,
    pub q: Option<String>,
    pub state: Option<String>,
    pub after: Option<String>,
}

pub(super) fn noticed(mut c: Chrome, q: &ListQuery) -> Chrome {
    if q.saved.is_some() {
        c.notice = Some(c.t("admin-saved"));
    } else if q.sent.is_some() {
        c.notice = Some(c.t("people-invite-sent"));
    }
    c
}

/// A permission's name in the user's language.
pub(super) fn permission_label(c: &Chrome, p: Permission) -> String {
    c.t(&format!("people-perm-{}", p.as_str().replace('.', "-")))
}

// ------------------------------------------------------------------------------------ agents

struct AgentListRow {
    id: i64,
    name: String,
    email: String,
    admin: bool,
    active: bool,
    invited: bool,
    away: bool,
    grants: String,
}

#[derive(Template)]
#[template(path = "admin/people_agents.html")]
struct AgentsPage {
    c: Chrome,
    q: String,
    state: String,
    rows: Vec<AgentListRow>,
}

async fn names(state: &AppState, a: &Admin) -> Result<(BTreeMap<DepartmentId, String>, Vec<RoleRow>), PageError> {
    let depts = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let roles = state.desk.role_rows(a.principal()).await.map_err(|e| a.fail(e))?;
    Ok((depts.into_iter().map(|d| (d.department.id, d.department.name)).collect(), roles))
}

fn grants_text(r: &AgentRow, depts: &BTreeMap<DepartmentId, String>, roles: &[RoleRow]) -> String {
    r.grants
        .iter()
        .map(|(d, role)| {
            let d = depts.get(d).cloned().unwrap_or_default();
            let role = roles.iter().find(|x| x.id == *role).map(|x| x.name.clone()).unwrap_or_default();
            format!("{d}: {role}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn agents(State(state): State<AppState>, a: Admin, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
    let wanted = match q.state.as_deref() {
        Some("inactive") => Some(false),
        Some("all") => None,
        _ => Some(true),
    };
    let rows = state.desk.agent_rows(a.principal(), q.q.as_deref(), wanted).await.map_err(|e| a.fail(e))?;
    let (depts, roles) = names(&state, &a).await?;
    let rows = rows
        .iter()
        .map(|r| AgentListRow {
            id: r.agent.id.get(),
            name: r.agent.name.as_str().into(),
            email: r.agent.email.as_str().into(),
            admin: r.agent.is_admin,
            active: r.agent.active,
            invited: !r.has_password,
            away: r.away,
            grants: grants_text(r, &depts, &roles),
        })
        .collect();
    let c = noticed(a.c().clone(), &q);
    let state_value = match wanted {
        Some(true) => "active",
        Some(false) => "inactive",
        None => "all",
    };
    Ok(page(&AgentsPage { c, q: q.q.unwrap_or_default(), state: state_value.into(), rows }).into_response())
}

#[derive(Default)]
struct AgentValues {
    email: String,
    name: String,
    is_admin: bool,
    active: bool,
    /// Department id → role id, as typed.
    grants: BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "admin/people_agent.html")]
struct AgentPage {
    c: Chrome,
    id: Option<i64>,
    v: AgentValues,
    departments: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    invited: bool,
    error: Option<FormError>,
}

impl AgentPage {
    fn granted(&self, dept: &str, role: &str) -> bool {
        self.v.grants.get(dept).is_some_and(|r| r == role)
    }
}

async fn agent_page(
    state: &AppState,
    a: &Admin,
    id: Option<AgentId>,
    v: AgentValues,
    invited: bool,
    error: Option<FormError>,
) -> Result<AgentPage, PageError> {
    let depts = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let roles = state.desk.role_rows(a.principal()).await.map_err(|e| a.fail(e))?;
    Ok(AgentPage {
        c: a.c().clone(),
        id: id.map(|i| i.get()),
        v,
        departments: depts.iter().map(|d| (d.department.id.get().to_string(), d.department.name.clone())).collect(),
        roles: roles.iter().map(|r| (r.id.get().to_string(), r.name.clone())).collect(),
        invited,
        error,
    })
}

async fn new_agent(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let v = AgentValues { active: true, ..Default::default() };
    Ok(page(&agent_page(&state, &a, None, v, false, None).await?).into_response())
}

async fn edit_agent(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = AgentId(path_id(a.c(), &raw)?);
    let r = state.desk.agent_row(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let v = AgentValues {
        email: r.agent.email.as_str().into(),
        name: r.agent.name.as_str().into(),
        is_admin: r.agent.is_admin,
        active: r.agent.active,
        grants: r.grants.iter().map(|(d, role)| (d.get().to_string(), role.get().to_string())).collect(),
    };
    Ok(page(&agent_page(&state, &a, Some(id), v, !r.has_password, None).await?).into_response())
}

fn agent_values(f: &Fields) -> AgentValues {
    AgentValues {
        email: f.get("person_email").into(),
        name: f.get("name").into(),
        is_admin: f.checked("is_admin"),
        active: f.checked("active"),
        grants: f
            .0
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("grant_").map(|d| (d.to_string(), v.trim().to_string())))
            .filter(|(_, v)| !v.is_empty())
            .collect(),
    }
}

/// The grants of the form: `grant_<department id>` = role id ("" for none).
fn agent_input(f: &Fields) -> Result<AgentInput, DomainError> {
    let mut grants = Vec::new();
    for (k, v) in &f.0 {
        let Some(d) = k.strip_prefix("grant_") else { continue };
        let dept = super::opt_id("grants", d)?.ok_or_else(|| DomainError::invalid("grants", Reason::NotAnOption))?;
        if let Some(role) = super::opt_id("grants", v)? {
            grants.push((DepartmentId(dept), RoleId(role)));
        }
    }
    Ok(AgentInput {
        email: f.get("person_email").into(),
        name: f.get("name").into(),
        is_admin: f.checked("is_admin"),
        active: f.checked("active"),
        grants,
    })
}

async fn save_agent(state: AppState, a: Admin, id: Option<AgentId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let result = match agent_input(&f) {
        Ok(input) => state.desk.save_agent(a.principal(), id, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) if id.is_none() => Ok(Redirect::to("/admin/agents?sent=1").into_response()),
        Ok(_) => Ok(Redirect::to("/admin/agents?saved=1&state=all").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let invited = match id {
                Some(id) => state.desk.agent_row(a.principal(), id).await.map(|r| !r.has_password).unwrap_or(false),
                None => false,
            };
            Ok(refused(&agent_page(&state, &a, id, agent_values(&f), invited, Some(error)).await?))
        }
    }
}

async fn create_agent(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_agent(state, a, None, &body).await
}

async fn update_agent(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = AgentId(path_id(a.c(), &raw)?);
    save_agent(state, a, Some(id), &body).await
}

/// Marks an agent away (no automatic assignments) or back, for them (audited).
async fn set_away(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let id = AgentId(path_id(a.c(), &raw)?);
    state.desk.set_away(a.principal(), id, f.checked("away")).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/agents?saved=1&state=all").into_response())
}

async fn reinvite(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let id = AgentId(path_id(a.c(), &raw)?);
    match state.desk.reinvite_agent(a.principal(), id).await {
        Ok(()) => Ok(Redirect::to("/admin/agents?sent=1&state=all").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let r = state.desk.agent_row(a.principal(), id).await.map_err(|e| a.fail(e))?;
            let v = AgentValues {
                email: r.agent.email.as_str().into(),
                name: r.agent.name.as_str().into(),
                is_admin: r.agent.is_admin,
                active: r.agent.active,
                grants: r.grants.iter().map(|(d, role)| (d.get().to_string(), role.get().to_string())).collect(),
            };
            Ok(refused(&agent_page(&state, &a, Some(id), v, !r.has_password, Some(error)).await?))
        }
    }
}

// ------------------------------------------------------------------------------------- roles

struct RoleListRow {
    id: i64,
    name: String,
    builtin: bool,
    permissions: String,
    grants: u64,
}

#[derive(Template)]
#[template(path = "admin/people_roles.html")]
struct RolesPage {
    c: Chrome,
    rows: Vec<RoleListRow>,
}

async fn roles(State(state): State<AppState>, a: Admin, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
    let rows = state.desk.role_rows(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = noticed(a.c().clone(), &q);
    let rows = rows
        .iter()
        .map(|r| RoleListRow {
            id: r.id.get(),
            name: r.name.clone(),
            builtin: is_builtin_role(&r.name),
            permissions: r.permissions.iter().map(|p| permission_label(&c, *p)).collect::<Vec<_>>().join(", "),
            grants: r.grants,
        })
        .collect();
    Ok(page(&RolesPage { c, rows }).into_response())
}

#[derive(Template)]
#[template(path = "admin/people_role.html")]
struct RolePage {
    c: Chrome,
    id: Option<i64>,
    name: String,
    builtin: bool,
    grants: u64,
    /// (permission, label, checked)
    permissions: Vec<(&'static str, String, bool)>,
    error: Option<FormError>,
}

fn role_page(
    a: &Admin,
    id: Option<RoleId>,
    name: String,
    builtin: bool,
    grants: u64,
    checked: &[&str],
    error: Option<FormError>,
) -> RolePage {
    let c = a.c().clone();
    let permissions = Permission::ALL.iter().map(|p| (p.as_str(), permission_label(&c, *p), checked.contains(&p.as_str()))).collect();
    RolePage { c, id: id.map(|i| i.get()), name, builtin, grants, permissions, error }
}

async fn new_role(a: Admin) -> Response {
    page(&role_page(&a, None, String::new(), false, 0, &["ticket.view"], None))
}

async fn edit_role(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = RoleId(path_id(a.c(), &raw)?);
    let r = state.desk.role_row(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let checked: Vec<&str> = r.permissions.iter().map(|p| p.as_str()).collect();
    Ok(page(&role_page(&a, Some(id), r.name.clone(), is_builtin_role(&r.name), r.grants, &checked, None)))
}

async fn save_role(state: AppState, a: Admin, id: Option<RoleId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let perms: Result<Vec<Permission>, DomainError> = f
        .all("perm")
        .into_iter()
        .map(|p| p.parse::<Permission>().map_err(|_| DomainError::invalid("permissions", Reason::NotAnOption)))
        .collect();
    let result = match perms {
        Ok(permissions) => state.desk.save_role(a.principal(), id, RoleInput { name: f.get("name").into(), permissions }).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/roles?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let (builtin, grants) = match id {
                Some(id) => {
                    let r = state.desk.role_row(a.principal(), id).await.map_err(|e| a.fail(e))?;
                    (is_builtin_role(&r.name), r.grants)
                }
                None => (false, 0),
            };
            let checked = f.all("perm");
            Ok(refused(&role_page(&a, id, f.get("name").into(), builtin, grants, &checked, Some(error))))
        }
    }
}

async fn create_role(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_role(state, a, None, &body).await
}

async fn update_role(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = RoleId(path_id(a.c(), &raw)?);
    save_role(state, a, Some(id), &body).await
}

async fn delete_role(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let id = RoleId(path_id(a.c(), &raw)?);
    match state.desk.delete_role(a.principal(), id).await {
        Ok(()) => Ok(Redirect::to("/admin/roles?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let r = state.desk.role_row(a.principal(), id).await.map_err(|e| a.fail(e))?;
            let checked: Vec<&str> = r.permissions.iter().map(|p| p.as_str()).collect();
            Ok(refused(&role_page(&a, Some(id), r.name.clone(), is_builtin_role(&r.name), r.grants, &checked, Some(error))))
        }
    }
}

// ------------------------------------------------------------------- an invited agent's link

#[derive(Template)]
#[template(path = "admin/people_invite.html")]
struct InvitePage {
    c: Chrome,
    token: String,
    name: String,
    email: String,
    min: usize,
    error: Option<String>,
}

/// The invitation link's page: the password form (only its POST uses the link), or why the
/// link does not work.
async fn invite_form(
    State(state): State<AppState>,
    AgentVisitor(v): AgentVisitor,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let Some(agent) = state.desk.invite_live(&token).await.map_err(|e| PageError::from_service(&v.c, e))? else {
        return Err(PageError::Status(Box::new(v.c.clone()), axum::http::StatusCode::NOT_FOUND, v.c.t("people-invite-invalid")));
    };
    let p = InvitePage {
        c: v.c,
        token,
        name: agent.name.as_str().into(),
        email: agent.email.as_str().into(),
        min: tikal_service::MIN_PASSWORD,
        error: None,
    };
    Ok(page(&p))
}

async fn invite_submit(
    State(state): State<AppState>,
    AgentVisitor(v): AgentVisitor,
    Path(token): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    v.check_form(f.get("csrf"))?;
    let password = f.0.iter().find(|(k, _)| k == "password").map(|(_, p)| p.clone()).unwrap_or_default();
    let agent = state.desk.invite_live(&token).await.map_err(|e| PageError::from_service(&v.c, e))?;
    match state.desk.accept_invite(&token, &password).await {
        Ok(id) => crate::pages::auth::start_session_with(&state, SessionOwner::Agent(id), "/agent", AGENT_COOKIE)
            .await
            .map_err(|e| PageError::from_service(&v.c, e)),
        Err(e) => {
            let error = match e {
                ServiceError::Domain(d) => v.c.lang.field_error(&d).map(|(_, m)| m),
                ServiceError::NotFound(_) => Some(v.c.t("people-invite-invalid")),
                other => return Err(PageError::from_service(&v.c, other)),
            };
            let (name, email) = agent.map(|a| (a.name.as_str().to_string(), a.email.as_str().to_string())).unwrap_or_default();
            let p = InvitePage { c: v.c, token, name, email, min: tikal_service::MIN_PASSWORD, error };
            Ok(refused(&p))
        }
    }
}
