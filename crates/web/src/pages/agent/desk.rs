//! The ticket desk (`/agent/tickets/{number}`): one page with the ticket's facts, its whole
//! thread (internal notes, history and the tickets merged into it), the solution, links,
//! collaborators, time sheet and the forms an agent works it with, read in one call
//! (`Desk::ticket_desk`). Every form is a plain POST with the form token and the ticket's
//! `version` as the agent saw it; a reply or note carries instead the newest entry the page
//! showed (`seen`), so the service refuses it when something arrived since (`thread_changed`).
//! A form sent after someone else changed the ticket shows the page again with what was typed.
//! Controls the agent may not use are not shown (`DeskActions`, from `tikal_core::authz`), and
//! the service refuses them anyway. Another department's ticket is "not found", for every
//! route. Presence: the page says the agent is viewing (and, with htmx, replying) and shows
//! who else is on the ticket, refreshed every 20 s by the `presence` fragment.

mod view;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::authz::{self, Action, Actor, PortalRules, Scope};
use tikal_core::desk::{Activity, Collaborator, LinkKind};
use tikal_core::{
    AgentId, AttachmentId, DepartmentId, DomainError, EmailAddress, EntryId, EntryKind, HelpTopicId, Impact, PersonName, Priority,
    StateCategory, StatusKey, Ticket, TicketNumber, TicketType, TicketUpdate, Urgency,
};
use tikal_service::{PostMessage, ResolutionAction, ServiceError};

use super::Staff;
use crate::AppState;
use crate::pages::auth::{FieldErrors, error_for};
use crate::pages::{Chrome, PageError, page};
use view::{Can, Entry, Extras, Forms, Header, Typed};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agent/tickets/{number}", get(show))
        .route("/agent/tickets/{number}/print", get(print))
        .route("/agent/tickets/{number}/attachments/{id}", get(attachment))
        .route("/agent/tickets/{number}/mail/{entry}", get(original_mail))
        .route("/agent/tickets/{number}/reply", post(reply))
        .route("/agent/tickets/{number}/note", post(note))
        .route("/agent/tickets/{number}/properties", post(properties))
        .route("/agent/tickets/{number}/assign", post(assign))
        .route("/agent/tickets/{number}/transfer", post(transfer))
        .route("/agent/tickets/{number}/time", post(log_time))
        .route("/agent/tickets/{number}/resolve", post(resolve))
        .route("/agent/tickets/{number}/review", post(review))
        .route("/agent/tickets/{number}/escalate", post(escalate))
        .route("/agent/tickets/{number}/merge", post(merge))
        .route("/agent/tickets/{number}/links", post(link))
        .route("/agent/tickets/{number}/links/remove", post(unlink))
        .route("/agent/tickets/{number}/collaborators", post(add_collaborator))
        .route("/agent/tickets/{number}/collaborators/remove", post(remove_collaborator))
        .route("/agent/tickets/{number}/presence", get(presence).post(replying))
}

#[derive(Template)]
#[template(path = "agent/ticket.html")]
struct DeskPage {
    c: Chrome,
    h: Header,
    entries: Vec<Entry>,
    can: Can,
    version: u64,
    /// The newest entry shown, sent back with a reply or note (collision check).
    seen: Option<i64>,
    f: Forms,
    x: Extras,
    errors: FieldErrors,
    max_files: usize,
    max_mb: u64,
    /// Knowledge-base articles linked to the ticket as its solution: (id, title).
    kb_linked: Vec<(i64, String)>,
    /// The agent may write articles ("create an article from the solution").
    kb_editor: bool,
}

/// Who else is on the ticket: the notice the page polls (`hx-get`, every 20 s).
#[derive(Template)]
#[template(path = "agent/ticket_presence.html")]
struct PresenceFragment {
    number: String,
    presence: Option<String>,
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

/// What the desk page shows.
struct Loaded {
    h: Header,
    entries: Vec<Entry>,
    can: Can,
    f: Forms,
    x: Extras,
    version: u64,
    seen: Option<i64>,
}

/// Everything the page shows (one `Desk::ticket_desk` call), with the forms holding what was
/// typed and `canned` chosen in the reply's list.
async fn load(state: &AppState, s: &Staff, number: &TicketNumber, typed: &Typed, canned: Option<&str>) -> Result<Loaded, PageError> {
    let c = &s.v.c;
    let d = state.desk.ticket_desk(s.principal(), number).await.map_err(fail(c))?;
    let catalog = state.desk.catalog().await.map_err(fail(c))?;
    let store = state.desk.store();
    let agents = store.agents().await.map_err(|e| fail(c)(e.into()))?;
    let can = Can::of(s, &d.ticket, &catalog, &d.may, d.merged_into.is_some());
    // Who may take the ticket or follow it: active agents holding a role in its department
    // (looked up only for an agent who assigns or adds collaborators).
    let mut staff = Vec::new();
    if can.assign || can.collaborate {
        let grants = store.department_grants(d.ticket.department_id).await.map_err(|e| fail(c)(e.into()))?;
        let sees = |id| grants.iter().any(|(a, perms)| *a == id && perms.contains(&tikal_core::Permission::TicketView));
        staff.extend(agents.iter().filter(|a| a.active && (a.is_admin || sees(a.id))).cloned());
    }
    let followers: Vec<_> = staff.iter().filter(|a| !d.collaborators.iter().any(|p| p.who == Collaborator::Agent(a.id))).cloned().collect();
    let canned_list = if can.reply { state.desk.canned_responses(s.principal()).await.map_err(fail(c))? } else { Vec::new() };
    let names = view::Names { catalog: &catalog, agents: &agents, people: &d.collaborators };
    let mut h = Header::of(c, &names, &d.ticket, d.requester.as_ref());
    h.tags.clone_from(&d.tags);
    h.bounced =
        d.requester_bounce.as_ref().map(|(at, why)| format!("{} {}", c.when(at), why.as_deref().unwrap_or_default()).trim().to_string());
    let entries =
        d.entries.iter().map(|e| Entry { by_mail: d.by_mail.contains(&e.id), ..Entry::of(c, &names, e, &d.attachments) }).collect();
    let assignable = if can.assign { staff.as_slice() } else { &[] };
    let f = Forms::of(c, &names, &d.ticket, assignable, &followers, &canned_list, canned, s, typed);
    let x = Extras::of(
        c,
        &names,
        &d.ticket,
        &d.entries,
        d.solution.as_ref(),
        d.merged_into.as_ref(),
        &d.links,
        &d.time,
        &d.presence,
        d.rules.next_level,
        s.id,
    );
    Ok(Loaded { h, entries, can, f, x, version: d.ticket.version, seen: d.latest_entry.map(|e| e.get()) })
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
    render(state, s, number, (typed, None), errors, notice, status).await
}

async fn render(
    state: &AppState,
    s: Staff,
    number: &TicketNumber,
    (typed, canned): (Typed, Option<String>),
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let Loaded { h, entries, can, f, x, version, seen } = load(state, &s, number, &typed, canned.as_deref()).await?;
    let settings = state.desk.settings_now();
    let kb_linked =
        state.desk.ticket_articles(s.principal(), number).await.map_err(fail(&s.v.c))?.into_iter().map(|a| (a.id.get(), a.title)).collect();
    let kb_editor = state.desk.may_edit_kb(s.principal());
    let mut c = s.v.c;
    c.notice = notice;
    let mut resp = page(&DeskPage {
        kb_linked,
        kb_editor,
        c,
        h,
        entries,
        can,
        version,
        seen,
        f,
        x,
        errors,
        max_files: settings.max_attachments as usize,
        max_mb: u64::from(settings.max_attachment_mb),
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// Which notice a redirect back to the desk shows (`?done=`).
const DONE: [&str; 17] = [
    "kb",
    "reply",
    "note",
    "properties",
    "assign",
    "transfer",
    "time",
    "resolve",
    "approve",
    "return",
    "nothing",
    "escalate",
    "merge",
    "link",
    "unlink",
    "collab",
    "uncollab",
];

#[derive(Deserialize)]
struct ShowParams {
    done: Option<String>,
    /// A canned response to fill the reply with (the list's GET form, or htmx).
    canned: Option<String>,
    /// What the reply held when the canned response was chosen (htmx sends it along).
    body: Option<String>,
    /// A knowledge-base article to insert into the reply, as a link or as its text (`kb_mode`).
    kb: Option<i64>,
    kb_mode: Option<String>,
}

/// The desk. Opening it says this agent is viewing the ticket (another department's ticket is
/// "not found" right there); `?canned=ID` fills the reply with that canned response (and says
/// the agent is replying).
async fn show(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Query(p): Query<ShowParams>,
) -> Result<Response, PageError> {
    let number = number_of(&s, &raw)?;
    let canned = p.canned.filter(|x| !x.is_empty());
    // Choosing a canned response or an article is starting a reply.
    let activity = if canned.is_some() || p.kb.is_some() { Activity::Replying } else { Activity::Viewing };
    state.desk.touch_presence(s.principal(), &number, activity).await.map_err(fail(&s.v.c))?;
    let notice = p.done.filter(|d| DONE.contains(&d.as_str())).map(|d| s.v.c.t(&format!("desk-done-{d}")));
    let mut typed = Typed::default();
    let mut errors = FieldErrors::new();
    if let Some(raw_id) = canned.as_deref() {
        let rendered = match raw_id.parse::<i64>() {
            Ok(id) => state.desk.render_canned(s.principal(), id, &number, s.v.c.lang.code()).await.ok(),
            Err(_) => None,
        };
        match rendered {
            Some(text) => {
                let before = p.body.clone().filter(|b| !b.trim().is_empty());
                typed.reply = Some(before.map_or_else(|| text.clone(), |b| format!("{}\n\n{text}", b.trim_end())));
            }
            None => errors.push(("reply-canned".into(), s.v.c.t("desk-canned-failed"))),
        }
    }
    if let Some(id) = p.kb {
        let a = state.desk.article(Some(s.principal()), tikal_core::ArticleId(id)).await.map_err(fail(&s.v.c))?;
        let text = if p.kb_mode.as_deref() == Some("text") {
            tikal_service::markdown_text(&a.body)
        } else {
            let base = state.desk.config().portal.public_url.trim_end_matches('/').to_string();
            format!("{}: {base}/kb/{}", a.title, a.slug)
        };
        let before = typed.reply.clone().or(p.body.clone()).filter(|b| !b.trim().is_empty());
        typed.reply = Some(before.map_or_else(|| text.clone(), |b| format!("{}\n\n{text}", b.trim_end())));
    }
    render(&state, s, &number, (typed, canned), errors, notice, StatusCode::OK).await
}

async fn print(State(state): State<AppState>, s: Staff, Path(raw): Path<String>) -> Result<Response, PageError> {
    let number = number_of(&s, &raw)?;
    let Loaded { h, entries, .. } = load(&state, &s, &number, &Typed::default(), None).await?;
    Ok(page(&PrintPage { c: s.v.c, h, entries }))
}

/// The presence notice alone, for the page's poll. Keeps "replying" once the page said so.
async fn presence(State(state): State<AppState>, s: Staff, Path(raw): Path<String>) -> Result<Response, PageError> {
    let number = number_of(&s, &raw)?;
    let by = s.principal();
    let now = state.desk.presence(by, &number).await.map_err(fail(&s.v.c))?;
    let replying = now.iter().any(|p| p.agent == s.id && p.activity == Activity::Replying);
    let activity = if replying { Activity::Replying } else { Activity::Viewing };
    state.desk.touch_presence(by, &number, activity).await.map_err(fail(&s.v.c))?;
    Ok(page(&PresenceFragment { presence: view::presence_notice(&s.v.c, &now, s.id), number: number.to_string() }))
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
}

/// The reply box got the focus (htmx): this agent is replying now.
async fn replying(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    let (number, _) = visible(&state, &s, &raw).await?;
    s.check_form(&f.csrf)?;
    let by = s.principal();
    state.desk.touch_presence(by, &number, Activity::Replying).await.map_err(fail(&s.v.c))?;
    let now = state.desk.presence(by, &number).await.map_err(fail(&s.v.c))?;
    Ok(page(&PresenceFragment { presence: view::presence_notice(&s.v.c, &now, s.id), number: number.to_string() }))
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

/// The original message an entry came in, as a download (never shown inline).
async fn original_mail(State(state): State<AppState>, s: Staff, Path((raw, entry)): Path<(String, i64)>) -> Result<Response, PageError> {
    let number = number_of(&s, &raw)?;
    let data = state.desk.original_mail(s.principal(), &number, tikal_core::EntryId(entry)).await.map_err(fail(&s.v.c))?;
    let disposition = format!("attachment; filename=\"{number}-{entry}.eml\"");
    let mut resp = data.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    if let Ok(d) = HeaderValue::from_str(&disposition) {
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
    const FIELDS: [&str; 26] = [
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
        "escalate-reason",
        "merge-into",
        "merge-confirm",
        "link-kind",
        "link-other",
        "collab-agent",
        "cc-email",
    ];
    match c.lang.field_error(e) {
        Some((field, msg)) => {
            let field = match field.as_str() {
                "body" | "comment" => body.to_string(),
                "help_topic_id" => "topic".into(),
                "department_id" => "department".into(),
                "type" => "kind".into(),
                "time_estimate_minutes" => "estimate".into(),
                "agent_id" => "agent".into(),
                "email" => "email".into(),
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

/// The newest entry the page showed, in a reply's or note's action URL.
#[derive(Deserialize)]
struct SeenParam {
    seen: Option<i64>,
}

/// A reply to the requester or an internal note, with attachments (multipart, read as the
/// portal reads its forms: token first, files streamed to disk within the limits).
async fn message(
    state: AppState,
    s: Staff,
    raw: String,
    seen: Option<i64>,
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
    let files = !form.uploads.is_empty();
    let msg = PostMessage { kind, body: form.body.clone(), attachments: form.uploads.clone() };
    // The service compares `seen` with the newest entry of the (combined) thread.
    match state.desk.post_message_seen(s.principal(), &number, msg, seen.map(EntryId)).await {
        Ok(_) => Ok(done(&number, what)),
        Err(ServiceError::Domain(DomainError::ThreadChanged { .. })) => {
            let mut notice = s.v.c.t("desk-thread-changed");
            if files {
                notice = format!("{notice} {}", s.v.c.t("desk-stale-files"));
            }
            again(&state, s, &number, typed, Vec::new(), Some(notice), StatusCode::CONFLICT).await
        }
        Err(e) => refused(&state, s, &number, typed, name, "body", e).await,
    }
}

async fn reply(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Query(v): Query<SeenParam>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    message(state, s, raw, v.seen, multipart, EntryKind::Reply).await
}

async fn note(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Query(v): Query<SeenParam>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    message(state, s, raw, v.seen, multipart, EntryKind::Note).await
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
    if gate(&Can::here(s, t, &catalog)) { Ok(()) } else { Err(PageError::from_service(&s.v.c, ServiceError::Forbidden)) }
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

/// Moves the ticket to another department; the reason (required) is kept on the `transferred`
/// event, which agents see in the history.
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
    match state.desk.transfer(s.principal(), &number, target.id, reason.trim()).await {
        Ok(moved) => Ok(moved_on(&s, &number, &moved, "transfer")),
        Err(e) => refused(&state, s, &number, typed, "transfer", "reason", e).await,
    }
}

/// Back to the desk after a move, or to the dashboard when the agent has no role in the new
/// department (the ticket is hidden from them now).
fn moved_on(s: &Staff, number: &TicketNumber, moved: &Ticket, what: &str) -> Response {
    if may(s, moved, Action::View) { done(number, what) } else { Redirect::to("/agent").into_response() }
}

#[derive(Deserialize)]
struct EscalateForm {
    csrf: String,
    version: Option<u64>,
    reason: Option<String>,
}

/// Sends the ticket to its department's next level with a reason (required).
async fn escalate(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<EscalateForm>,
) -> Result<Response, PageError> {
    let (number, _, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |c| c.escalate).await?;
    let reason = f.reason.clone().unwrap_or_default();
    let typed = Typed { escalate_reason: Some(reason.clone()), ..Typed::default() };
    if !fresh {
        let notice = stale_notice(&s.v.c);
        return again(&state, s, &number, typed, Vec::new(), notice, StatusCode::CONFLICT).await;
    }
    if reason.trim().is_empty() {
        let errors = vec![("escalate-reason".into(), s.v.c.lang.reason(&tikal_core::Reason::Required))];
        return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match state.desk.escalate(s.principal(), &number, reason.trim()).await {
        Ok(moved) => Ok(moved_on(&s, &number, &moved, "escalate")),
        Err(e) => refused(&state, s, &number, typed, "escalate", "reason", e).await,
    }
}

#[derive(Deserialize)]
struct MergeForm {
    csrf: String,
    version: Option<u64>,
    into: Option<String>,
    confirm: Option<String>,
}

/// A ticket number typed in a form, or the error beside `field`.
fn typed_number(c: &Chrome, raw: Option<&str>, field: &str) -> Result<TicketNumber, FieldErrors> {
    TicketNumber::parse(raw.unwrap_or_default().trim().trim_start_matches('#'))
        .map_err(|_| vec![(field.to_string(), c.t("desk-number-invalid"))])
}

/// A refusal about the other ticket of a merge or link: one that does not exist (or that this
/// agent may not see) and one they may not change, said beside the number.
fn other_ticket(c: &Chrome, field: &str, e: &ServiceError) -> Option<FieldErrors> {
    match e {
        ServiceError::NotFound(_) => Some(vec![(field.to_string(), c.t("desk-other-not-found"))]),
        ServiceError::Forbidden => Some(vec![(field.to_string(), c.t("desk-other-forbidden"))]),
        _ => None,
    }
}

/// Merges this ticket into another (confirmed by a checkbox): this one closes and points to the
/// survivor, whose page the agent lands on.
async fn merge(State(state): State<AppState>, s: Staff, Path(raw): Path<String>, Form(f): Form<MergeForm>) -> Result<Response, PageError> {
    let (number, _, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |c| c.merge).await?;
    let typed = Typed { merge_into: f.into.clone(), ..Typed::default() };
    if !fresh {
        let notice = stale_notice(&s.v.c);
        return again(&state, s, &number, typed, Vec::new(), notice, StatusCode::CONFLICT).await;
    }
    let mut errors = FieldErrors::new();
    let into = typed_number(&s.v.c, f.into.as_deref(), "merge-into").map_err(|e| errors.extend(e)).ok();
    if f.confirm.as_deref() != Some("yes") {
        errors.push(("merge-confirm".into(), s.v.c.t("desk-merge-confirm-required")));
    }
    let Some(into) = into.filter(|_| errors.is_empty()) else {
        return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match state.desk.merge(s.principal(), &number, &into).await {
        Ok(survivor) => Ok(done(&survivor.number, "merge")),
        Err(e) => match other_ticket(&s.v.c, "merge-into", &e) {
            Some(errors) => again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await,
            None => refused(&state, s, &number, typed, "merge", "into", e).await,
        },
    }
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    kind: Option<String>,
    other: Option<String>,
}

/// Links this ticket to another ("this ticket is <kind> <other>").
async fn link(State(state): State<AppState>, s: Staff, Path(raw): Path<String>, Form(f): Form<LinkForm>) -> Result<Response, PageError> {
    let (number, ..) = start(&state, &s, &raw, &f.csrf, None, |c| c.link).await?;
    let typed = Typed { link_kind: f.kind.clone(), link_other: f.other.clone(), ..Typed::default() };
    let mut errors = FieldErrors::new();
    let kind = f.kind.as_deref().and_then(|k| k.parse::<LinkKind>().ok());
    if kind.is_none() {
        errors.push(("link-kind".into(), s.v.c.t("desk-invalid-choice")));
    }
    let other = typed_number(&s.v.c, f.other.as_deref(), "link-other").map_err(|e| errors.extend(e)).ok();
    let (Some(kind), Some(other)) = (kind, other) else {
        return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match state.desk.link(s.principal(), &number, &other, kind).await {
        Ok(()) => Ok(done(&number, "link")),
        Err(e) => match other_ticket(&s.v.c, "link-other", &e) {
            Some(errors) => again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await,
            None => refused(&state, s, &number, typed, "link", "other", e).await,
        },
    }
}

#[derive(Deserialize)]
struct UnlinkForm {
    csrf: String,
    other: String,
}

async fn unlink(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<UnlinkForm>,
) -> Result<Response, PageError> {
    let (number, ..) = start(&state, &s, &raw, &f.csrf, None, |c| c.link).await?;
    let Ok(other) = TicketNumber::parse(f.other.trim()) else { return Ok(done(&number, "nothing")) };
    match state.desk.unlink(s.principal(), &number, &other).await {
        Ok(()) => Ok(done(&number, "unlink")),
        // Removed by someone else meanwhile.
        Err(ServiceError::NotFound(_)) => Ok(done(&number, "nothing")),
        Err(e) => refused(&state, s, &number, Typed::default(), "link", "other", e).await,
    }
}

#[derive(Deserialize)]
struct CollabForm {
    csrf: String,
    /// An agent chosen in the list.
    agent: Option<String>,
    /// Or a requester copied by address (registered if new).
    email: Option<String>,
    name: Option<String>,
}

/// Adds a collaborator: an agent from the list, or a requester copied by e-mail address.
async fn add_collaborator(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<CollabForm>,
) -> Result<Response, PageError> {
    let (number, ..) = start(&state, &s, &raw, &f.csrf, None, |c| c.collaborate).await?;
    let typed = Typed { collab_agent: f.agent.clone(), cc_email: f.email.clone(), cc_name: f.name.clone(), ..Typed::default() };
    let c = &s.v.c;
    let by = s.principal();
    let (form, result) = if let Some(agent) = f.agent.as_deref().filter(|a| !a.is_empty()) {
        match agent.parse::<i64>() {
            Ok(id) => ("collab", state.desk.add_collaborator(by, &number, Collaborator::Agent(AgentId(id))).await),
            Err(_) => {
                let errors = vec![("collab-agent".into(), c.t("desk-invalid-choice"))];
                return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    } else {
        let email = match EmailAddress::parse(f.email.as_deref().unwrap_or_default()) {
            Ok(e) => e,
            Err(e) => {
                let msg = c.lang.field_error(&e).map_or_else(|| c.lang.domain_error(&e), |(_, m)| m);
                let errors = vec![("cc-email".into(), msg)];
                return again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        };
        let name = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).and_then(|n| PersonName::parse(n).ok());
        ("cc", state.desk.add_cc(by, &number, &email, name).await.map(|_| ()))
    };
    match result {
        Ok(()) => Ok(done(&number, "collab")),
        Err(ServiceError::Conflict(_)) => {
            let field = if form == "cc" { "cc-email" } else { "collab-agent" };
            let errors = vec![(field.to_string(), c.t("desk-collab-already"))];
            again(&state, s, &number, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => refused(&state, s, &number, typed, form, "email", e).await,
    }
}

#[derive(Deserialize)]
struct UncollabForm {
    csrf: String,
    /// `agent:ID` or `requester:ID`.
    who: String,
}

async fn remove_collaborator(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<UncollabForm>,
) -> Result<Response, PageError> {
    let (number, ..) = start(&state, &s, &raw, &f.csrf, None, |c| c.collaborate).await?;
    let who = match f.who.split_once(':').map(|(k, id)| (k, id.parse::<i64>())) {
        Some(("agent", Ok(id))) => Collaborator::Agent(AgentId(id)),
        Some(("requester", Ok(id))) => Collaborator::Requester(tikal_core::RequesterId(id)),
        _ => return Ok(done(&number, "nothing")),
    };
    match state.desk.remove_collaborator(s.principal(), &number, who).await {
        Ok(()) => Ok(done(&number, "uncollab")),
        Err(ServiceError::NotFound(_)) => Ok(done(&number, "nothing")),
        Err(e) => refused(&state, s, &number, Typed::default(), "collab", "agent", e).await,
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

/// Resolves with a solution (`Desk::resolve`): the solution is recorded with the ticket (shown
/// in the desk's solution box and, as a `solution_recorded` entry, in the requester's thread,
/// once) and the ticket moves to the resolved status; where the department reviews
/// resolutions, it then waits for a supervisor.
async fn resolve(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let (number, t, fresh) = start(&state, &s, &raw, &f.csrf, f.version, |_| true).await?;
    if !may(&s, &t, Action::SetStatus { from: t.status.category(), to: StateCategory::Resolved }) {
        return Err(PageError::from_service(&s.v.c, ServiceError::Forbidden));
    }
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
    let Some(resolved) = view::resolved_status(&catalog).and_then(|r| StatusKey::parse(r.as_str()).ok()) else {
        return Err(PageError::from_service(&s.v.c, ServiceError::Conflict("no resolved status is active".into())));
    };
    match state.desk.resolve(s.principal(), &number, &solution, Some(&resolved)).await {
        Ok(_) => Ok(done(&number, "resolve")),
        Err(e) => refused(&state, s, &number, typed, "resolve", "solution", e).await,
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
            admin: false,
            staff: true,
            theme: None,
            logo: None,
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
