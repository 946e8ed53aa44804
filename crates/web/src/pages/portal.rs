//! The requester portal: home, my tickets, opening a ticket, the ticket view with reply and the
//! resolution step, status check by link, and the profile.

pub(super) mod forms;
mod kb;
mod profile;
mod status;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::catalog::Audience;
use tikal_core::org::HelpTopic;
use tikal_core::{AttachmentId, EntryKind, EventKind, StateCategory, ThreadEntry, TicketNumber};
use tikal_service::{Catalog, PostMessage, Principal, ResolutionAction, ServiceError, TicketQuery};
use tikal_store::AttachmentMeta;

use super::auth::{FieldErrors, error_for};
use super::{Chrome, PageError, Visitor, page};
use crate::AppState;
use axum::http::StatusCode;
use forms::{FormError, TicketForm, parse_ticket_form};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/tickets", get(list))
        .route("/tickets/new", get(new_form).post(new_submit))
        .route("/tickets/{number}", get(show))
        .route("/tickets/{number}/reply", post(reply))
        .route("/tickets/{number}/resolution", post(resolution))
        .route("/tickets/{number}/print", get(print))
        .route("/tickets/{number}/attachments/{id}", get(attachment))
        .merge(status::router())
        .merge(kb::router())
        .merge(profile::router())
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    c: Chrome,
}

async fn home(v: Visitor) -> Response {
    page(&HomePage { c: v.c })
}

struct Row {
    number: String,
    created: String,
    status: String,
    /// The subject, its matching words marked when searching.
    subject: Vec<tikal_core::search::Segment>,
    /// Searching: the message that matched, cut around the words found.
    snippet: Vec<tikal_core::search::Segment>,
    department: String,
}

#[derive(Template)]
#[template(path = "portal/tickets.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    closed_tab: bool,
    open_count: u64,
    closed_count: u64,
    q: String,
    /// (id, path, selected)
    topics: Vec<(i64, String, bool)>,
    oldest: bool,
    next: Option<String>,
    /// The requester may switch to their organisation's tickets.
    org_available: bool,
    org_scope: bool,
}

#[derive(Deserialize, Default)]
struct ListParams {
    tab: Option<String>,
    q: Option<String>,
    topic: Option<String>,
    sort: Option<String>,
    after: Option<i64>,
    scope: Option<String>,
}

async fn list(State(state): State<AppState>, v: Visitor, Query(p): Query<ListParams>) -> Result<Response, PageError> {
    let by = v.principal()?;
    let desk = &state.desk;
    let closed_tab = p.tab.as_deref() == Some("closed");
    let topic = p.topic.as_deref().and_then(|t| t.parse::<i64>().ok());
    let text = p.q.clone().filter(|q| !q.trim().is_empty());
    let org_available = desk.settings_now().organisation_tickets && matches!(by, Principal::Requester { organisation: Some(_), .. });
    let org_scope = org_available && p.scope.as_deref() == Some("organisation");
    let base = TicketQuery {
        text: text.clone(),
        help_topic: topic.map(tikal_core::HelpTopicId),
        organisation: org_scope,
        limit: 25,
        ..Default::default()
    };
    let err = |e| PageError::from_service(&v.c, e);
    let open_count = desk.count_tickets(by, &TicketQuery { states: StateCategory::active(), ..base.clone() }).await.map_err(err)?;
    let closed_count = desk.count_tickets(by, &TicketQuery { states: StateCategory::done(), ..base.clone() }).await.map_err(err)?;
    let oldest = p.sort.as_deref() == Some("oldest");
    let query = TicketQuery {
        states: if closed_tab { StateCategory::done() } else { StateCategory::active() },
        after: p.after.map(tikal_core::TicketId),
        oldest_first: oldest,
        ..base
    };
    let listing = desk.list_tickets(by, query).await.map_err(err)?;
    let catalog = desk.catalog().await.map_err(err)?;
    let hits = desk.with_snippets(by, listing.tickets.clone(), text.as_deref().unwrap_or_default()).await.map_err(err)?;
    let rows = hits
        .into_iter()
        .map(|h| Row {
            number: h.ticket.number.to_string(),
            created: v.c.when(&h.ticket.created_at),
            status: v.c.status(&catalog, h.ticket.status.as_str()),
            subject: h.subject,
            snippet: if text.is_some() { h.snippet } else { Vec::new() },
            department: catalog.department(h.ticket.department_id).map(|d| d.name.clone()).unwrap_or_default(),
        })
        .collect();
    let next = listing.next.map(|id| {
        let mut url = format!("/tickets?tab={}&after={}", if closed_tab { "closed" } else { "open" }, id.get());
        if let Some(t) = &text {
            url.push_str(&format!("&q={}", super::encode_component(t)));
        }
        if let Some(t) = topic {
            url.push_str(&format!("&topic={t}"));
        }
        if oldest {
            url.push_str("&sort=oldest");
        }
        if org_scope {
            url.push_str("&scope=organisation");
        }
        url
    });
    let topics =
        catalog.topics.iter().filter(|t| t.active).map(|t| (t.id.get(), t.path(&catalog.topics), Some(t.id.get()) == topic)).collect();
    Ok(page(&ListPage {
        c: v.c,
        rows,
        closed_tab,
        open_count,
        closed_count,
        q: p.q.unwrap_or_default(),
        topics,
        oldest,
        next,
        org_available,
        org_scope,
    }))
}

pub(super) struct FieldView {
    pub(super) name: String,
    pub(super) label: String,
    pub(super) kind: &'static str,
    pub(super) options: Vec<String>,
    pub(super) required: bool,
    pub(super) value: String,
    pub(super) error: Option<String>,
    /// Help shown under the input ("" for none).
    pub(super) help: String,
}

impl FieldView {
    /// The fields of `topic`'s form as `audience` fills it, labelled in the visitor's
    /// language, holding what was typed and the errors beside them.
    pub(super) fn for_topic(
        catalog: &Catalog,
        topic: Option<&HelpTopic>,
        typed: &std::collections::BTreeMap<String, Vec<String>>,
        errors: &FieldErrors,
        lang: super::i18n::Lang,
        audience: tikal_core::catalog::Audience,
    ) -> Vec<FieldView> {
        let english = lang == super::i18n::Lang::En;
        catalog
            .form_for(topic)
            .into_iter()
            .map(|f| {
                let name = format!("cf_{}", f.key);
                FieldView {
                    value: typed.get(&f.key).map(|v| v.join("\n")).unwrap_or_default(),
                    error: error_for(errors, &name).map(str::to_string),
                    name,
                    label: f.label(english).to_string(),
                    kind: f.kind.as_str(),
                    options: f.options.clone(),
                    required: f.required_of(audience),
                    help: f.help(english).to_string(),
                }
            })
            .collect()
    }

    /// Whether a multi-select option was chosen.
    pub(super) fn has(&self, option: &str) -> bool {
        self.value.lines().any(|l| l == option)
    }
}

#[derive(Template)]
#[template(path = "portal/new.html")]
pub(super) struct NewPage {
    c: Chrome,
    /// (id, path, selected)
    topics: Vec<(i64, String, bool)>,
    topic: Option<i64>,
    subject: String,
    body: String,
    fields: Vec<FieldView>,
    errors: FieldErrors,
    max_files: usize,
    max_mb: u64,
    /// Opening without an account: the form asks for an address and a name.
    guest: bool,
    email: String,
    name: String,
}

impl NewPage {
    fn err(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Deserialize, Default)]
struct NewParams {
    topic: Option<String>,
}

async fn new_page(state: &AppState, c: Chrome, form: TicketForm, errors: FieldErrors, guest: bool) -> Result<NewPage, PageError> {
    let catalog = state.desk.catalog().await.map_err(|e| PageError::from_service(&c, e))?;
    // Only leaves of what the portal offers; their path shows the hierarchy.
    let offered = |t: &HelpTopic| catalog.offered(t, Audience::Requester);
    let leaves: Vec<&HelpTopic> = tikal_core::catalog::topic_tree(&catalog.topics)
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| offered(t) && !catalog.topics.iter().any(|x| x.parent_id == Some(t.id) && offered(x)))
        .collect();
    let topic = form.topic.and_then(|id| catalog.topic(tikal_core::HelpTopicId(id))).filter(|t| offered(t));
    let topics = leaves.iter().map(|t| (t.id.get(), t.path(&catalog.topics), Some(t.id) == topic.map(|x| x.id))).collect();
    let fields = FieldView::for_topic(&catalog, topic, &form.fields, &errors, c.lang, Audience::Requester);
    let settings = state.desk.settings_now();
    Ok(NewPage {
        c,
        topics,
        topic: topic.map(|t| t.id.get()),
        subject: form.subject,
        body: form.body,
        fields,
        errors,
        max_files: settings.max_attachments as usize,
        max_mb: u64::from(settings.max_attachment_mb),
        guest,
        email: form.email,
        name: form.name,
    })
}

/// Whether this visitor opens tickets as a guest; without an account and without guest
/// tickets, to the sign-in page.
fn as_guest(state: &AppState, v: &Visitor) -> Result<bool, PageError> {
    match (&v.principal, state.desk.settings_now().guests_may_open) {
        (Some(_), _) => Ok(false),
        (None, true) => Ok(true),
        (None, false) => Err(PageError::login()),
    }
}

async fn new_form(State(state): State<AppState>, v: Visitor, Query(p): Query<NewParams>) -> Result<Response, PageError> {
    let guest = as_guest(&state, &v)?;
    let form = TicketForm { topic: p.topic.and_then(|t| t.parse().ok()), ..Default::default() };
    Ok(page(&new_page(&state, v.c, form, Vec::new(), guest).await?))
}

async fn new_submit(State(state): State<AppState>, v: Visitor, multipart: Multipart) -> Result<Response, PageError> {
    let guest = as_guest(&state, &v)?;
    let form = read_form(&state, &v, multipart).await?;
    let (cmd, mut errors) = form.to_command(v.c.lang, guest);
    if let Some(cmd) = cmd.filter(|_| errors.is_empty()) {
        let opened = match &v.principal {
            Some(by) => state.desk.open_ticket(by, cmd).await,
            None => state.desk.open_guest_ticket(cmd).await,
        };
        match opened {
            // Post/redirect/get: a reload of the next page does not open a second ticket. A
            // guest follows the ticket with a status-check link.
            // Suggestions this browser opened did not avoid this ticket.
            Ok((t, _)) if guest => {
                deflection_missed(&state, &v).await;
                return Ok(Redirect::to(&format!("/status?created={}", t.number)).into_response());
            }
            Ok((t, _)) => {
                deflection_missed(&state, &v).await;
                return Ok(Redirect::to(&format!("/tickets/{}?created=1", t.number)).into_response());
            }
            // A routing rule refused it as spam: said plainly, next to the message.
            Err(ServiceError::Domain(tikal_core::DomainError::Rejected)) => errors.push(("body".into(), v.c.t("domain-rejected"))),
            Err(ServiceError::Domain(e)) => errors.extend(v.c.lang.field_error(&e)),
            Err(ServiceError::TooLarge { what, .. }) => errors.push(("attachments".into(), too_large_message(&v.c, &state, &what))),
            Err(e) => return Err(PageError::from_service(&v.c, e)),
        }
    }
    let mut resp = page(&new_page(&state, v.c, form, errors, guest).await?);
    *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

/// Records that this browser opened a ticket after reading suggestions; the ticket is open
/// already, so a failure here is logged, not shown.
async fn deflection_missed(state: &AppState, v: &Visitor) {
    if let Err(e) = state.desk.ticket_opened_after_suggestions(&v.c.csrf).await {
        tracing::warn!(error = %e, "recording a ticket after knowledge-base suggestions");
    }
}

/// Reads a multipart form within the upload limit; its form token is checked first.
pub(in crate::pages) async fn read_form(state: &AppState, v: &Visitor, multipart: Multipart) -> Result<TicketForm, PageError> {
    let blobs = state.desk.store().blobs();
    let status = |code, key: &str| PageError::Status(Box::new(v.c.clone()), code, v.c.t(key));
    match parse_ticket_form(multipart, state.desk.settings_now().max_attachment_bytes(), blobs, |t| v.check_form(t).is_ok()).await {
        Ok(form) => Ok(form),
        Err(FormError::Token) => Err(PageError::csrf(&v.c)),
        Err(FormError::TooLarge(name)) if name.is_empty() => Err(status(StatusCode::PAYLOAD_TOO_LARGE, "error-form-too-large")),
        Err(FormError::TooLarge(name)) => {
            Err(PageError::Status(Box::new(v.c.clone()), StatusCode::PAYLOAD_TOO_LARGE, too_large_message(&v.c, state, &name)))
        }
        Err(FormError::Interrupted) => Err(status(StatusCode::BAD_REQUEST, "error-upload-failed")),
        Err(FormError::Nul) => Err(status(StatusCode::UNPROCESSABLE_ENTITY, "error-form-invalid")),
        Err(FormError::Store(e)) => Err(PageError::from_service(&v.c, e.into())),
    }
}

pub(in crate::pages) fn too_large_message(c: &Chrome, state: &AppState, name: &str) -> String {
    let mb = state.desk.settings_now().max_attachment_mb.to_string();
    c.t2("error-too-large", "name", name, "mb", &mb)
}

struct EntryView {
    id: i64,
    who: String,
    mine: bool,
    when: String,
    text: String,
    event: bool,
    files: Vec<crate::pages::FileView>,
}

#[derive(Template)]
#[template(path = "portal/ticket.html")]
struct TicketPage {
    c: Chrome,
    number: String,
    subject: String,
    status: String,
    resolved: bool,
    closed: bool,
    department: String,
    topic: String,
    created: String,
    entries: Vec<EntryView>,
    reopen_days: String,
    /// Closed too long ago to reopen with a reply: a new ticket instead.
    expired: bool,
    topic_id: Option<i64>,
    error: Option<String>,
    print: bool,
}

fn entry_view(c: &Chrome, catalog: &Catalog, e: &ThreadEntry, files: &[AttachmentMeta]) -> EntryView {
    let files = files.iter().filter(|a| a.entry_id == Some(e.id)).map(crate::pages::FileView::of).collect();
    let mine = matches!(e.author, tikal_core::Author::Requester(_));
    let who = if mine { e.author_name.clone().unwrap_or_default() } else { c.t("ticket-by-agent") };
    let text = match (e.kind, e.event) {
        (EntryKind::Event, Some(EventKind::Created)) => c.t("ticket-event-created"),
        (EntryKind::Event, Some(EventKind::StatusChanged)) => {
            let name = |s: &Option<String>| s.as_deref().map(|x| c.status(catalog, x)).unwrap_or_default();
            c.t2("ticket-event-status", "before", &name(&e.before), "after", &name(&e.after))
        }
        (EntryKind::Event, Some(EventKind::Transferred)) => c.t("ticket-event-transferred"),
        (EntryKind::Event, Some(EventKind::ResolutionConfirmed)) => c.t("ticket-event-confirmed"),
        (EntryKind::Event, Some(EventKind::ResolutionRejected)) => {
            c.t1("ticket-event-rejected", "reason", e.reason.as_deref().unwrap_or_default())
        }
        (EntryKind::Event, Some(EventKind::Reopened)) => c.t("ticket-event-reopened"),
        // The solution the desk recorded when resolving: the requester reads it here, once.
        (EntryKind::Event, Some(EventKind::SolutionRecorded)) => {
            c.t1("ticket-event-solution", "solution", e.after.as_deref().unwrap_or_default())
        }
        (EntryKind::Event, Some(EventKind::Escalated)) => c.t("ticket-event-escalated"),
        (EntryKind::Event, Some(EventKind::MergedInto)) => {
            c.t1("ticket-event-merged-into", "number", e.after.as_deref().unwrap_or_default())
        }
        (EntryKind::Event, Some(EventKind::MergedFrom)) => {
            c.t1("ticket-event-merged-from", "number", e.after.as_deref().unwrap_or_default())
        }
        _ => e.body.clone().unwrap_or_default(),
    };
    EntryView { id: e.id.get(), who, mine, when: c.when(&e.created_at), text, event: e.kind == EntryKind::Event, files }
}

async fn ticket_page(
    state: &AppState,
    v: &Visitor,
    number: &TicketNumber,
    error: Option<String>,
    print: bool,
) -> Result<TicketPage, PageError> {
    let by = v.principal()?;
    let err = |e| PageError::from_service(&v.c, e);
    let (t, entries, files) = state.desk.thread(by, number).await.map_err(err)?;
    let catalog = state.desk.catalog().await.map_err(err)?;
    let resolution = state.desk.resolution_policy().await.map_err(err)?;
    Ok(TicketPage {
        c: v.c.clone(),
        number: t.number.to_string(),
        subject: t.subject.as_str().to_string(),
        status: v.c.status(&catalog, t.status.as_str()),
        resolved: t.status.category() == StateCategory::Resolved,
        closed: t.status.category() == StateCategory::Closed,
        department: catalog.department(t.department_id).map(|d| d.name.clone()).unwrap_or_default(),
        topic: t.help_topic_id.and_then(|id| catalog.topic(id)).map(|x| x.path(&catalog.topics)).unwrap_or_default(),
        created: v.c.when(&t.created_at),
        entries: entries.iter().map(|e| entry_view(&v.c, &catalog, e, &files)).collect(),
        reopen_days: resolution.reopen_window_days.to_string(),
        expired: !t.reopens_on_reply(tikal_store::now(), &resolution),
        topic_id: t.help_topic_id.map(|id| id.get()),
        error,
        print,
    })
}

fn number_of(v: &Visitor, raw: &str) -> Result<TicketNumber, PageError> {
    TicketNumber::parse(raw).map_err(|_| PageError::not_found(&v.c))
}

#[derive(Deserialize)]
struct ShowParams {
    created: Option<String>,
}

/// The ticket page again, saying why an action on it was refused.
async fn refused(state: &AppState, v: &Visitor, number: &TicketNumber, e: &tikal_core::DomainError) -> Result<Response, PageError> {
    let msg = v.c.lang.field_error(e).map(|(_, m)| m).unwrap_or_else(|| v.c.lang.domain_error(e));
    let mut resp = page(&ticket_page(state, v, number, Some(msg), false).await?);
    *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Path(number): Path<String>,
    Query(p): Query<ShowParams>,
) -> Result<Response, PageError> {
    let number = number_of(&v, &number)?;
    let mut t = ticket_page(&state, &v, &number, None, false).await?;
    if p.created.is_some() {
        t.c.notice = Some(format!("{} {}", t.c.t1("created-lead", "number", number.as_str()), t.c.t("created-next")));
    }
    Ok(page(&t))
}

async fn print(State(state): State<AppState>, v: Visitor, Path(number): Path<String>) -> Result<Response, PageError> {
    let number = number_of(&v, &number)?;
    Ok(page(&ticket_page(&state, &v, &number, None, true).await?))
}

async fn reply(State(state): State<AppState>, v: Visitor, Path(number): Path<String>, multipart: Multipart) -> Result<Response, PageError> {
    let number = number_of(&v, &number)?;
    let by = v.principal()?.clone();
    // Whose ticket it is, before a byte of the upload is read.
    state.desk.ticket(&by, &number).await.map_err(|e| PageError::from_service(&v.c, e))?;
    let form = read_form(&state, &v, multipart).await?;
    let msg = PostMessage { kind: EntryKind::Message, body: form.body.clone(), attachments: form.uploads.clone() };
    match state.desk.post_message(&by, &number, msg).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{number}")).into_response()),
        Err(ServiceError::Domain(e)) => refused(&state, &v, &number, &e).await,
        Err(e) => Err(PageError::from_service(&v.c, e)),
    }
}

#[derive(Deserialize)]
struct ResolutionForm {
    csrf: String,
    answer: String,
    comment: Option<String>,
}

/// "Sí, está resuelto" closes (or awaits approval); "No" reopens with the requester's comment.
async fn resolution(
    State(state): State<AppState>,
    v: Visitor,
    Path(number): Path<String>,
    Form(f): Form<ResolutionForm>,
) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let number = number_of(&v, &number)?;
    let by = v.principal()?;
    if !matches!(by, Principal::Requester { .. } | Principal::TicketLink { .. }) {
        return Err(PageError::from_service(&v.c, ServiceError::Forbidden));
    }
    let action = if f.answer == "yes" { ResolutionAction::Confirm } else { ResolutionAction::Reject };
    match state.desk.resolution(by, &number, action, f.comment.as_deref().unwrap_or_default()).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{number}")).into_response()),
        Err(ServiceError::Domain(e)) => refused(&state, &v, &number, &e).await,
        Err(e) => Err(PageError::from_service(&v.c, e)),
    }
}

async fn attachment(State(state): State<AppState>, v: Visitor, Path((number, id)): Path<(String, i64)>) -> Result<Response, PageError> {
    let number = number_of(&v, &number)?;
    let (meta, data) =
        state.desk.attachment(v.principal()?, &number, AttachmentId(id)).await.map_err(|e| PageError::from_service(&v.c, e))?;
    let mut resp = data.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(d) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{}", super::encode_component(&meta.filename))) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(resp)
}
