//! The ticket desk (`/agent/tickets/{number}`): one page with the ticket's facts, its whole
//! thread (internal notes and history included) and the forms an agent works it with. Every
//! form is a plain POST with the form token and the ticket's `version` as the agent saw it; a
//! form sent after someone else changed the ticket shows the page again with what was typed.
//! Controls the agent may not use are not shown (`tikal_core::authz`), and the service refuses
//! them anyway. Another department's ticket is "not found", for every route.

mod view;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::authz::{self, Action, Actor, PortalRules, Scope};
use tikal_core::{
    AgentId, AttachmentId, DepartmentId, DomainError, EntryKind, HelpTopicId, Impact, Priority, StateCategory, Ticket, TicketNumber,
    TicketType, TicketUpdate, Urgency,
};
use tikal_service::{PostMessage, ResolutionAction, ServiceError};

use super::Staff;
use crate::AppState;
use crate::pages::auth::{FieldErrors, error_for};
use crate::pages::{Chrome, PageError, page};
use view::{Can, Entry, Forms, Header, Typed};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agent/tickets/{number}", get(show))
        .route("/agent/tickets/{number}/print", get(print))
        .route("/agent/tickets/{number}/attachments/{id}", get(attachment))
        .route("/agent/tickets/{number}/reply", post(reply))
        .route("/agent/tickets/{number}/note", post(note))
        .route("/agent/tickets/{number}/properties", post(properties))
        .route("/agent/tickets/{number}/assign", post(assign))
        .route("/agent/tickets/{number}/transfer", post(transfer))
        .route("/agent/tickets/{number}/time", post(log_time))
        .route("/agent/tickets/{number}/resolve", post(resolve))
        .route("/agent/tickets/{number}/review", post(review))
}

#[derive(Template)]
#[template(path = "agent/ticket.html")]
struct DeskPage {
    c: Chrome,
    h: Header,
    entries: Vec<Entry>,
    can: Can,
    version: u64,
    f: Forms,
    errors: FieldErrors,
    max_files: usize,
    max_mb: u64,
}

impl DeskPage {
    fn err(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Template)]
#[template(path = "agent/ticket_print.html")]
struct PrintPage {
    c: Chrome,
    h: Header,
    entries: Vec<Entry>,
}

/// Whether `by` may do `action` on `t` (the one rule; the service asks it again).
fn may(s: &Staff, t: &Ticket, action: Action) -> bool {
    s.access().is_some_and(|a| authz::authorize(Actor::Agent(a), action, &Scope::of(t), PortalRules::default()).is_ok())
}

fn number_of(s: &Staff, raw: &str) -> Result<TicketNumber, PageError> {
    TicketNumber::parse(raw).map_err(|_| PageError::not_found(&s.v.c))
}

fn fail(c: &Chrome) -> impl Fn(ServiceError) -> PageError + '_ {
    move |e| PageError::from_service(c, e)
}

/// The ticket, when this agent may see it; otherwise "not found" (before any form is read).
async fn visible(state: &AppState, s: &Staff, raw: &str) -> Result<(TicketNumber, Ticket), PageError> {
    let number = number_of(s, raw)?;
    let t = state.desk.ticket(s.principal(), &number).await.map_err(fail(&s.v.c))?;
    Ok((number, t))
}

/// Everything the page shows, with the forms holding what was typed.
async fn load(
    state: &AppState,
    s: &Staff,
    number: &TicketNumber,
    typed: &Typed,
) -> Result<(Header, Vec<Entry>, Can, Forms, u64), PageError> {
    let c = &s.v.c;
    let (t, entries, files) = state.desk.thread(s.principal(), number).await.map_err(fail(c))?;
    let catalog = state.desk.catalog().await.map_err(fail(c))?;
    let store = state.desk.store();
    let requester = store.requesters_by_ids(&[t.requester_id]).await.map_err(|e| fail(c)(e.into()))?.pop();
    let agents = store.agents().await.map_err(|e| fail(c)(e.into()))?;
    let can = Can::of(s, &t, &catalog);
    // Who may take the ticket: active agents holding a role in its department (looked up only
    // for an agent who assigns).
    let mut staff = Vec::new();
    for a in agents.iter().filter(|a| a.active && can.assign) {
        let access = store.agent_access(a.id).await.map_err(|e| fail(c)(e.into()))?;
        if access.allows(t.department_id, tikal_core::Permission::TicketView) {
            staff.push(a.clone());
        }
    }
    let names = view::Names { catalog: &catalog, agents: &agents };
    let h = Header::of(c, &names, &t, requester.as_ref());
    let entries = entries.iter().map(|e| Entry::of(c, &names, e, &files)).collect();
    let f = Forms::of(c, &names, &t, &staff, s, typed);
    Ok((h, entries, can, f, t.version))
}

/// The desk page with `typed` kept in its forms, `errors` next to their fields and `notice`
/// on top, answered with `status`.
async fn again(
    state: &AppState,
    s: Staff,
    number: &TicketNumber,
    typed: Typed,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (h, entries, can, f, version) = load(state, &s, number, &typed).await?;
    let config = state.desk.config();
    let mut c = s.v.c;
    c.notice = notice;
    let mut resp = page(&DeskPage {
        c,
        h,
        entries,
        can,
        version,
        f,
        errors,
        max_files: config.max_attachments,
        max_mb: config.max_attachment_bytes / (1024 * 1024),
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// Which notice a redirect back to the desk shows (`?done=`).
const DONE: [&str; 10] = ["reply", "note", "properties", "assign", "transfer", "time", "resolve", "approve", "return", "nothing"];

#[derive(Deserialize)]
struct ShowParams {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Query(p): Query<ShowParams>,
) -> Result<Response, PageError> {
    let number = number_of(&s, &raw)?;
    let notice = p.done.filter(|d| DONE.contains(&d.as_str())).map(|d| s.v.c.t(&format!("desk-done-{d}")));
    again(&state, s, &number, Typed::default(), Vec::new(), notice, StatusCode::OK).await
}

async fn print(State(state): State<AppState>, s: Staff, Path(raw): Path<String>) -> Result<Response, PageError> {
    let number = number_of(&s, &raw)?;
    let (h, entries, ..) = load(&state, &s, &number, &Typed::default()).await?;
    Ok(page(&PrintPage { c: s.v.c, h, entries }))
}

async fn attachment(State(state): State<AppState>, s: Staff, Path((raw, id)): Path<(String, i64)>) -> Result<Response, PageError> {
    let number = number_of(&s, &raw)?;
    let (meta, data) = state.desk.attachment(s.principal(), &number, AttachmentId(id)).await.map_err(fail(&s.v.c))?;
    let mut resp = data.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(d) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{}", view::urlencode(&meta.filename))) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(resp)
}

/// Back to the desk with a notice.
fn done(number: &TicketNumber, what: &str) -> Response {
    Redirect::to(&format!("/agent/tickets/{number}?done={what}")).into_response()
}

/// The notice for a form sent from a page older than the ticket.
fn stale_notice(c: &Chrome) -> Option<String> {
    Some(c.t("desk-stale"))
}

/// Where a refusal of the service goes on the page: next to the field it names (`form-field`),
/// else at the top of the form. `body` names the form's own text field.
fn place(c: &Chrome, form: &str, body: &str, e: &DomainError) -> (String, String) {
    const FIELDS: [&str; 19] = [
        "reply-body",
        "reply-attachments",
        "note-body",
        "note-attachments",
        "props-status",
        "props-priority",
        "props-impact",
        "props-urgency",
        "props-kind",
        "props-topic",
        "props-estimate",
        "assign-owner",
        "assign-responsible",
        "transfer-department",
        "transfer-reason",
        "time-minutes",
        "time-note",
        "resolve-solution",
        "review-reason",
    ];
    match c.lang.field_error(e) {
        Some((field, msg)) => {
            let field = match field.as_str() {
                "body" | "comment" => body.to_string(),
                "help_topic_id" => "topic".into(),
                "department_id" => "department".into(),
                "type" => "kind".into(),
                "time_estimate_minutes" => "estimate".into(),
                other => other.to_string(),
            };
            let key = format!("{form}-{field}");
            if FIELDS.contains(&key.as_str()) { (key, msg) } else { (form.to_string(), msg) }
        }
        None => (form.to_string(), c.lang.domain_error(e)),
    }
}

/// A refusal of the service as the page shows it: a domain error beside its field (422), a
/// conflict as the stale notice (409), anything else as an error page.
async fn refused(
    state: &AppState,
    s: Staff,
    number: &TicketNumber,
    typed: Typed,
    form: &str,
    body: &str,
    e: ServiceError,
) -> Result<Response, PageError> {
    match e {
        ServiceError::Domain(e) => {
            let errors = vec![place(&s.v.c, form, body, &e)];
            again(state, s, number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        ServiceError::TooLarge { .. } | ServiceError::Unsupported(_) => {
            let errors = vec![(format!("{form}-attachments"), s.v.c.t("desk-attachment-refused"))];
            again(state, s, number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        ServiceError::Conflict(_) => {
            let notice = stale_notice(&s.v.c);
            again(state, s, number, typed, Vec::new(), notice, StatusCode::CONFLICT).await
        }
        e => Err(PageError::from_service(&s.v.c, e)),
    }
}

#[derive(Deserialize)]
struct VersionParam {
    version: Option<u64>,
}

/// A reply to the requester or an internal note, with attachments (multipart, read as the
/// portal reads its forms: token first, files streamed to disk within the limits).
async fn message(
    state: AppState,
    s: Staff,
    raw: String,
    version: Option<u64>,
    multipart: Multipart,
    kind: EntryKind,
) -> Result<Response, PageError> {
    // Whose ticket it is, before a byte of the upload is read.
    let (number, t) = visible(&state, &s, &raw).await?;
    allowed(&state, &s, &t, if kind == EntryKind::Note { |c| c.note } else { |c| c.reply }).await?;
    let form = crate::pages::portal::read_form(&state, &s.v, multipart).await?;
    let (name, what) = if kind == EntryKind::Note { ("note", "note") } else { ("reply", "reply") };
    let typed = if kind == EntryKind::Note {
        Typed { note: Some(form.body.clone()), ..Typed::default() }
    } else {
        Typed { reply: Some(form.body.clone()), ..Typed::default() }
    };
    if version != Some(t.version) {
        let mut notice = s.v.c.t("desk-stale");
        if !form.uploads.is_empty() {
            notice = format!("{notice} {}", s.v.c.t("desk-stale-files"));
        }
        return again(&state, s, &number, typed, Vec::new(), Some(notice), StatusCode::CONFLICT).await;
    }
    let msg = PostMessage { kind, body: form.body.clone(), attachments: form.uploads.clone() };
    match state.desk.post_message(s.principal(), &number, msg).await {
        Ok(_) => Ok(done(&number, what)),
        Err(e) => refused(&state, s, &number, typed, name, "body", e).await,
    }
}

async fn reply(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Query(v): Query<VersionParam>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    message(state, s, raw, v.version, multipart, EntryKind::Reply).await
}

async fn note(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Query(v): Query<VersionParam>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    message(state, s, raw, v.version, multipart, EntryKind::Note).await
}

/// The common start of a URL-encoded form: the ticket (or "not found"), the form token, and
/// whether the ticket is still the one the agent saw.
async fn start(
    state: &AppState,
    s: &Staff,
    raw: &str,
    csrf: &str,
    version: Option<u64>,
    gate: fn(&Can) -> bool,
) -> Result<(TicketNumber, Ticket, bool), PageError> {
    let (number, t) = visible(state, s, raw).await?;
    s.check_form(csrf)?;
    allowed(state, s, &t, gate).await?;
    let fresh = version == Some(t.version);
    Ok((number, t, fresh))
}

/// Refuses a form whose control this agent is not offered, before anything else is looked at
/// (the service decides again on what the form asks).
async fn allowed(state: &AppState, s: &Staff, t: &Ticket, gate: fn(&Can) -> bool) -> Result<(), PageError> {
    let catalog = state.desk.catalog().await.map_err(fail(&s.v.c))?;
    if gate(&Can::of(s, t, &catalog)) { Ok(()) } else { Err(PageError::from_service(&s.v.c, ServiceError::Forbidden)) }
}

#[derive(Deserialize)]
struct PropsForm {
    csrf: String,
    version: Option<u64>,
    status: Option<String>,
    priority: Option<String>,
    impact: Option<String>,
    urgency: Option<String>,
    kind: Option<String>,
    topic: Option<String>,
    estimate: Option<String>,
}

/// The update a properties form asks for: only what differs from the ticket.
fn props_update(c: &Chrome, catalog: &tikal_service::Catalog, t: &Ticket, f: &PropsForm) -> Result<TicketUpdate, FieldErrors> {
    let mut u = TicketUpdate::default();
    let mut errors = FieldErrors::new();
    let mut invalid = |field: &str| errors.push((format!("props-{field}"), c.t("desk-invalid-choice")));
    if let Some(key) = f.status.as_deref().filter(|k| !k.is_empty() && *k != t.status.as_str()) {
        match catalog.status(key) {
            Some(d) => u.status = Some(d.status.clone()),
            None => invalid("status"),
        }
    }
    let level = |v: &Option<String>| v.as_deref().filter(|x| !x.is_empty()).map(|x| x.parse::<u8>());
    match (level(&f.impact), level(&f.urgency)) {
        (Some(Ok(i)), Some(Ok(ug))) => match (Impact::try_from(i), Urgency::try_from(ug)) {
            (Ok(i), Ok(ug)) if (Some(i), Some(ug)) != (t.impact, t.urgency) => u.impact_urgency = Some((i, ug)),
            (Ok(_), Ok(_)) => {}
            (Err(_), _) => invalid("impact"),
            (_, Err(_)) => invalid("urgency"),
        },
        (None, None) => {}
        (Some(Err(_)) | None, _) => invalid("impact"),
        (Some(Ok(_)), _) => invalid("urgency"),
    }
    if u.impact_urgency.is_none() {
        match level(&f.priority) {
            Some(Ok(p)) => match Priority::try_from(p) {
                Ok(p) if p != t.priority => u.priority = Some(p),
                Ok(_) => {}
                Err(_) => invalid("priority"),
            },
            Some(Err(_)) => invalid("priority"),
            None => {}
        }
    }
    if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
        match k.parse::<TicketType>() {
            Ok(k) if k != t.kind => u.kind = Some(k),
            Ok(_) => {}
            Err(_) => invalid("kind"),
        }
    }
    if let Some(topic) = f.topic.as_deref() {
        let chosen = if topic.is_empty() { Ok(None) } else { topic.parse::<i64>().map(|id| Some(HelpTopicId(id))) };
        match chosen {
            Ok(x) if x != t.help_topic_id => u.help_topic_id = Some(x),
            Ok(_) => {}
            Err(_) => invalid("topic"),
        }
    }
    if let Some(est) = f.estimate.as_deref().map(str::trim) {
        let chosen = if est.is_empty() { Ok(None) } else { est.parse::<u32>().map(Some) };
        match chosen {
            Ok(Some(0)) | Err(_) => errors.push(("props-estimate".into(), c.t("desk-minutes-invalid"))),
            Ok(x) if x != t.time_estimate_minutes => u.time_estimate_minutes = Some(x),
            Ok(_) => {}
        }
    }
    if errors.is_empty() { Ok(u) } else { Err(errors) }
}

async fn properties(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<PropsForm>,
) -> Result<Response, PageError> {
    let (number, t, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |c| c.properties()).await?;
    let typed = Typed {
        status: f.status.clone(),
        priority: f.priority.clone(),
        impact: f.impact.clone(),
        urgency: f.urgency.clone(),
        kind: f.kind.clone(),
        topic: f.topic.clone(),
        estimate: f.estimate.clone(),
        ..Typed::default()
    };
    if !fresh {
        let notice = stale_notice(&s.v.c);
        return again(&state, s, &number, typed, Vec::new(), notice, StatusCode::CONFLICT).await;
    }
    let catalog = state.desk.catalog().await.map_err(fail(&s.v.c))?;
    let update = match props_update(&s.v.c, &catalog, &t, &f) {
        Ok(u) => u,
        Err(errors) => return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if update == TicketUpdate::default() {
        return Ok(done(&number, "nothing"));
    }
    match state.desk.update_ticket(s.principal(), &number, update).await {
        Ok(_) => Ok(done(&number, "properties")),
        Err(e) => refused(&state, s, &number, typed, "props", "status", e).await,
    }
}

#[derive(Deserialize)]
struct AssignForm {
    csrf: String,
    version: Option<u64>,
    owner: Option<String>,
    responsible: Option<String>,
}

/// An agent chosen in a list: empty is nobody.
fn agent_choice(v: &str) -> Result<Option<AgentId>, ()> {
    if v.is_empty() { Ok(None) } else { v.parse::<i64>().map(|id| Some(AgentId(id))).map_err(|_| ()) }
}

async fn assign(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    let (number, t, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |c| c.assign).await?;
    let typed = Typed { owner: f.owner.clone(), responsible: f.responsible.clone(), ..Typed::default() };
    if !fresh {
        let notice = stale_notice(&s.v.c);
        return again(&state, s, &number, typed, Vec::new(), notice, StatusCode::CONFLICT).await;
    }
    let mut update = TicketUpdate::default();
    let mut errors = FieldErrors::new();
    for (field, value, current, slot) in [
        ("assign-owner", &f.owner, t.owner_id, &mut update.owner_id),
        ("assign-responsible", &f.responsible, t.responsible_id, &mut update.responsible_id),
    ] {
        if let Some(v) = value {
            match agent_choice(v) {
                Ok(x) if x != current => *slot = Some(x),
                Ok(_) => {}
                Err(()) => errors.push((field.into(), s.v.c.t("desk-invalid-choice"))),
            }
        }
    }
    if !errors.is_empty() {
        return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if update == TicketUpdate::default() {
        return Ok(done(&number, "nothing"));
    }
    match state.desk.update_ticket(s.principal(), &number, update).await {
        Ok(_) => Ok(done(&number, "assign")),
        Err(e) => refused(&state, s, &number, typed, "assign", "owner", e).await,
    }
}

#[derive(Deserialize)]
struct TransferForm {
    csrf: String,
    version: Option<u64>,
    department: Option<String>,
    reason: Option<String>,
}

/// Moves the ticket to another department. The service takes no reason yet, so the reason is
/// recorded first as an internal note ("Transferred to X: reason"), then the ticket moves.
async fn transfer(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<TransferForm>,
) -> Result<Response, PageError> {
    let (number, t, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |c| c.transfer).await?;
    let reason = f.reason.clone().unwrap_or_default();
    let typed = Typed { department: f.department.clone(), transfer_reason: Some(reason.clone()), ..Typed::default() };
    if !fresh {
        let notice = stale_notice(&s.v.c);
        return again(&state, s, &number, typed, Vec::new(), notice, StatusCode::CONFLICT).await;
    }
    let catalog = state.desk.catalog().await.map_err(fail(&s.v.c))?;
    let mut errors = FieldErrors::new();
    let target = f
        .department
        .as_deref()
        .and_then(|d| d.parse::<i64>().ok())
        .and_then(|id| catalog.department(DepartmentId(id)))
        .filter(|d| d.id != t.department_id);
    if target.is_none() {
        errors.push(("transfer-department".into(), s.v.c.t("desk-transfer-choose")));
    }
    if reason.trim().is_empty() {
        errors.push(("transfer-reason".into(), s.v.c.lang.reason(&tikal_core::Reason::Required)));
    }
    let Some(target) = target.filter(|_| errors.is_empty()) else {
        return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    // Refused before the note is written: nothing is recorded for a transfer that cannot happen.
    if !may(&s, &t, Action::Transfer) || !may(&s, &t, Action::Note) {
        return Err(PageError::from_service(&s.v.c, ServiceError::Forbidden));
    }
    let (dept, dept_id) = (target.name.clone(), target.id);
    let body = s.v.c.t2("desk-transfer-note", "department", &dept, "reason", reason.trim());
    let msg = PostMessage { kind: EntryKind::Note, body, attachments: Vec::new() };
    if let Err(e) = state.desk.post_message(s.principal(), &number, msg).await {
        return refused(&state, s, &number, typed, "transfer", "reason", e).await;
    }
    let update = TicketUpdate { department_id: Some(dept_id), ..TicketUpdate::default() };
    match state.desk.update_ticket(s.principal(), &number, update).await {
        Ok(moved) => {
            // An agent without a role in the new department no longer sees the ticket.
            if may(&s, &moved, Action::View) { Ok(done(&number, "transfer")) } else { Ok(Redirect::to("/agent").into_response()) }
        }
        Err(e) => refused(&state, s, &number, typed, "transfer", "reason", e).await,
    }
}

#[derive(Deserialize)]
struct TimeForm {
    csrf: String,
    version: Option<u64>,
    minutes: Option<String>,
    note: Option<String>,
}

async fn log_time(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<TimeForm>,
) -> Result<Response, PageError> {
    let (number, _, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |c| c.log_time).await?;
    let typed = Typed { minutes: f.minutes.clone(), time_note: f.note.clone(), ..Typed::default() };
    if !fresh {
        let notice = stale_notice(&s.v.c);
        return again(&state, s, &number, typed, Vec::new(), notice, StatusCode::CONFLICT).await;
    }
    let Some(minutes) = f.minutes.as_deref().and_then(|m| m.trim().parse::<u32>().ok()) else {
        let errors = vec![("time-minutes".into(), s.v.c.t("desk-minutes-invalid"))];
        return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let note = f.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    match state.desk.log_time(s.principal(), &number, minutes, note).await {
        Ok(_) => Ok(done(&number, "time")),
        Err(e) => refused(&state, s, &number, typed, "time", "note", e).await,
    }
}

#[derive(Deserialize)]
struct ResolveForm {
    csrf: String,
    version: Option<u64>,
    solution: Option<String>,
}

/// Resolves with a solution: the solution goes to the requester as a reply (they are asked to
/// confirm it), then the ticket moves to the resolved status. Both permissions are checked
/// before anything is written.
async fn resolve(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let (number, t, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |c| c.reply).await?;
    let solution = f.solution.clone().unwrap_or_default();
    let typed = Typed { solution: Some(solution.clone()), ..Typed::default() };
    if !fresh {
        let notice = stale_notice(&s.v.c);
        return again(&state, s, &number, typed, Vec::new(), notice, StatusCode::CONFLICT).await;
    }
    if solution.trim().is_empty() {
        let errors = vec![("resolve-solution".into(), s.v.c.lang.reason(&tikal_core::Reason::Required))];
        return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let catalog = state.desk.catalog().await.map_err(fail(&s.v.c))?;
    let Some(resolved) = view::resolved_status(&catalog) else {
        return Err(PageError::from_service(&s.v.c, ServiceError::Conflict("no resolved status is active".into())));
    };
    let to = Action::SetStatus { from: t.status.category(), to: StateCategory::Resolved };
    if !may(&s, &t, Action::Reply) || !may(&s, &t, to) {
        return Err(PageError::from_service(&s.v.c, ServiceError::Forbidden));
    }
    if !t.status.can_move_to(&resolved) {
        let errors =
            vec![("resolve".into(), s.v.c.lang.domain_error(&DomainError::InvalidTransition { from: t.status.clone(), to: resolved }))];
        return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let msg = PostMessage { kind: EntryKind::Reply, body: solution, attachments: Vec::new() };
    if let Err(e) = state.desk.post_message(s.principal(), &number, msg).await {
        return refused(&state, s, &number, typed, "resolve", "solution", e).await;
    }
    let update = TicketUpdate { status: Some(resolved), ..TicketUpdate::default() };
    match state.desk.update_ticket(s.principal(), &number, update).await {
        Ok(_) => Ok(done(&number, "resolve")),
        Err(e) => refused(&state, s, &number, Typed::default(), "resolve", "solution", e).await,
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    csrf: String,
    version: Option<u64>,
    action: String,
    reason: Option<String>,
}

/// A supervisor approves a resolution, or returns it to the agent with a reason.
async fn review(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    let (number, _, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |c| c.supervise).await?;
    let reason = f.reason.clone().unwrap_or_default();
    let typed = Typed { review_reason: Some(reason.clone()), ..Typed::default() };
    if !fresh {
        let notice = stale_notice(&s.v.c);
        return again(&state, s, &number, typed, Vec::new(), notice, StatusCode::CONFLICT).await;
    }
    let (action, what) = match f.action.as_str() {
        "approve" => (ResolutionAction::Approve, "approve"),
        "return" => (ResolutionAction::Return, "return"),
        _ => {
            return Err(PageError::from_service(
                &s.v.c,
                ServiceError::Domain(DomainError::invalid("action", tikal_core::Reason::NotAnOption)),
            ));
        }
    };
    match state.desk.resolution(s.principal(), &number, action, &reason).await {
        Ok(_) => Ok(done(&number, what)),
        Err(e) => refused(&state, s, &number, typed, "review", "reason", e).await,
    }
}

#[cfg(test)]
mod tests {
    use tikal_core::*;
    use tikal_service::Catalog;

    use super::*;

    fn chrome() -> Chrome {
        Chrome {
            lang: crate::pages::Lang::En,
            org: "Mesa".into(),
            user: None,
            csrf: String::new(),
            time_zone: chrono_tz::UTC,
            notice: None,
            here: "/agent".into(),
        }
    }

    fn ticket() -> Ticket {
        let (matrix, sla) = (PriorityMatrix::default(), tikal_core::sla::SlaPolicy::default());
        let o = Opening::decide(
            Subject::parse("No imprime").expect("subject"),
            Channel::Phone,
            DepartmentId(1),
            TopicDefaults::default(),
            Requested::default(),
            Default::default(),
            OpeningRules { matrix: &matrix, sla: &sla },
            chrono::Utc::now(),
        )
        .expect("opening");
        Ticket::open(&o, TicketNumber::parse("000001").expect("number"), RequesterId(1))
    }

    fn form(pairs: &[(&str, &str)]) -> PropsForm {
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        PropsForm {
            csrf: String::new(),
            version: Some(0),
            status: get("status"),
            priority: get("priority"),
            impact: get("impact"),
            urgency: get("urgency"),
            kind: get("kind"),
            topic: get("topic"),
            estimate: get("estimate"),
        }
    }

    #[test]
    fn a_properties_form_asks_only_for_what_changed() {
        let catalog = Catalog { statuses: StatusDef::builtin(), ..Catalog::default() };
        let (c, t) = (chrome(), ticket());
        let same = form(&[
            ("status", "new"),
            ("priority", "3"),
            ("impact", ""),
            ("urgency", ""),
            ("kind", "incident"),
            ("topic", ""),
            ("estimate", ""),
        ]);
        assert_eq!(props_update(&c, &catalog, &t, &same).ok(), Some(TicketUpdate::default()), "the form as loaded changes nothing");
        let u = props_update(&c, &catalog, &t, &form(&[("status", "open"), ("priority", "5"), ("estimate", "45")])).expect("valid");
        assert_eq!(u.status, Some(Status::OPEN));
        assert_eq!(u.priority, Some(Priority::VeryHigh));
        assert_eq!(u.time_estimate_minutes, Some(Some(45)));
        // Impact and urgency chosen together win over the priority list.
        let u = props_update(&c, &catalog, &t, &form(&[("priority", "1"), ("impact", "3"), ("urgency", "2")])).expect("valid");
        assert_eq!((u.priority, u.impact_urgency), (None, Some((Impact::High, Urgency::Medium))));
    }

    #[test]
    fn a_properties_form_with_nonsense_is_refused_field_by_field() {
        let catalog = Catalog { statuses: StatusDef::builtin(), ..Catalog::default() };
        let (c, t) = (chrome(), ticket());
        let errors = props_update(
            &c,
            &catalog,
            &t,
            &form(&[("status", "flying"), ("priority", "9"), ("impact", "2"), ("kind", "x"), ("estimate", "0")]),
        )
        .expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        for f in ["props-status", "props-urgency", "props-kind", "props-estimate"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn refusals_land_beside_their_field() {
        let c = chrome();
        let (field, _) = place(&c, "transfer", "reason", &DomainError::invalid("body", Reason::Required));
        assert_eq!(field, "transfer-reason");
        let (field, _) = place(&c, "time", "note", &DomainError::invalid("minutes", "must be between 1 and 1440"));
        assert_eq!(field, "time-minutes");
        let (field, msg) = place(&c, "props", "status", &DomainError::ApprovalRequired);
        assert_eq!((field.as_str(), msg.as_str()), ("props", "A supervisor must approve the solution first."));
        let (field, _) = place(&c, "assign", "owner", &DomainError::invalid("team", Reason::NotFound));
        assert_eq!(field, "assign", "a field the form does not have: at the top of the form");
    }
}
