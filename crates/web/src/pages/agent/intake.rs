//! Registering a ticket on someone's behalf (`/agent/tickets/new`), as operators do for phone,
//! WhatsApp, walk-in and e-mail reports (seeds 002 and 003): find the caller (or type a new
//! one), see whether it was handled before, then register it with its channel, department,
//! type and impact/urgency.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tikal_core::authz::{Action, Scope};
use tikal_core::org::HelpTopic;
use tikal_core::{Channel, DepartmentId, HelpTopicId, Impact, RequesterId, TicketType, Urgency};
use tikal_service::{Caller, Catalog, ServiceError, TicketQuery};

use super::Staff;
use super::dashboard::Line;
use crate::AppState;
use crate::pages::auth::{FieldErrors, error_for};
use crate::pages::portal::FieldView;
use crate::pages::portal::forms::{FormError, TicketForm, parse_ticket_form};
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new().route("/agent/tickets/new", get(form).post(submit))
}

/// The channels an operator registers a report from.
const CHANNELS: [Channel; 4] = [Channel::Phone, Channel::Whatsapp, Channel::WalkIn, Channel::Email];

#[derive(Deserialize, Default)]
struct Params {
    /// Text to find a caller by.
    who: Option<String>,
    /// The chosen caller.
    requester: Option<i64>,
    topic: Option<String>,
    subject: Option<String>,
}

#[derive(Template)]
#[template(path = "agent/new.html")]
struct NewPage {
    c: Chrome,
    who: String,
    found: Option<Vec<Caller>>,
    caller: Option<Caller>,
    earlier: Vec<Line>,
    similar: Option<Vec<Line>>,
    /// (id, path, selected)
    topics: Vec<(i64, String, bool)>,
    topic: Option<i64>,
    /// (id, name, selected): the departments the agent may open tickets in.
    departments: Vec<(i64, String, bool)>,
    /// (value, label key, selected)
    channels: Vec<(&'static str, String, bool)>,
    types: Vec<(&'static str, String, bool)>,
    impact: u8,
    urgency: u8,
    email: String,
    name: String,
    phone: String,
    subject: String,
    body: String,
    fields: Vec<FieldView>,
    errors: FieldErrors,
    max_files: usize,
    max_mb: u64,
}

impl NewPage {
    fn err(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    /// The query string that keeps the chosen caller, topic and subject.
    fn keep(&self, requester: Option<i64>) -> String {
        let mut q = Vec::new();
        if let Some(r) = requester.or(self.caller.as_ref().map(|c| c.requester.id.get())) {
            q.push(format!("requester={r}"));
        }
        if let Some(t) = self.topic {
            q.push(format!("topic={t}"));
        }
        if !self.subject.is_empty() {
            q.push(format!("subject={}", super::urlencoding(&self.subject)));
        }
        q.join("&")
    }
}

/// The longest word of a subject: what "similar" tickets are found by until full-text search.
fn keyword(subject: &str) -> Option<String> {
    subject
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .max_by_key(|w| w.chars().count())
        .map(str::to_lowercase)
}

fn channel_key(ch: Channel) -> &'static str {
    match ch {
        Channel::Phone => "intake-channel-phone",
        Channel::Whatsapp => "intake-channel-whatsapp",
        Channel::WalkIn => "intake-channel-walk-in",
        Channel::Email => "intake-channel-email",
        Channel::Web | Channel::Api => "intake-channel-web",
    }
}

/// What the page needs besides the form's own values.
struct Context {
    caller: Option<Caller>,
    who: String,
    found: Option<Vec<Caller>>,
}

async fn new_page(state: &AppState, s: &Staff, ctx: Context, form: &TicketForm, errors: FieldErrors) -> Result<NewPage, PageError> {
    let c = &s.v.c;
    let fail = |e| PageError::from_service(c, e);
    let catalog: std::sync::Arc<Catalog> = state.desk.catalog().await.map_err(fail)?;
    // Agents are offered every active topic, those hidden from the portal too.
    let offered = |t: &HelpTopic| catalog.offered(t, tikal_core::catalog::Audience::Staff);
    let leaves: Vec<&HelpTopic> = tikal_core::catalog::topic_tree(&catalog.topics)
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| offered(t) && !catalog.topics.iter().any(|x| x.parent_id == Some(t.id) && offered(x)))
        .collect();
    let topic = form.topic.and_then(|id| catalog.topic(HelpTopicId(id))).filter(|t| offered(t));
    let topics = leaves.iter().map(|t| (t.id.get(), t.path(&catalog.topics), Some(t.id) == topic.map(|x| x.id))).collect();
    let chosen_dept =
        form.staff.get("department").and_then(|d| d.parse::<i64>().ok()).or(topic.and_then(|t| t.department_id).map(|d| d.get()));
    let departments = catalog
        .departments
        .iter()
        .filter(|d| state.desk.allow(s.principal(), Action::Create, &Scope::department(d.id)).is_ok())
        .map(|d| (d.id.get(), d.name.clone(), Some(d.id.get()) == chosen_dept))
        .collect();
    let chosen_channel = form.staff.get("channel").map(String::as_str).unwrap_or("phone");
    let channels = CHANNELS.iter().map(|ch| (ch.as_str(), c.t(channel_key(*ch)), ch.as_str() == chosen_channel)).collect();
    let chosen_type =
        form.staff.get("type").map(String::as_str).or(topic.and_then(|t| t.default_type).map(|t| t.as_str())).unwrap_or("incident");
    // The types the desk still offers, named as the administration names them.
    let types = catalog
        .ticket_types
        .iter()
        .filter(|t| t.active || t.kind.as_str() == chosen_type)
        .map(|t| (t.kind.as_str(), t.name(c.lang.code()).to_string(), t.kind.as_str() == chosen_type))
        .collect();
    let level = |k: &str| form.staff.get(k).and_then(|v| v.parse::<u8>().ok()).filter(|v| (1..=3).contains(v)).unwrap_or(2);
    let fields = FieldView::for_topic(&catalog, topic, &form.fields, &errors, c.lang, tikal_core::catalog::Audience::Staff);
    // "Was this handled before?": the caller's earlier tickets, and tickets about the same thing.
    let earlier = match &ctx.caller {
        Some(caller) => {
            let q = TicketQuery { requester_email: Some(caller.requester.email.clone()), limit: 10, ..TicketQuery::default() };
            let listing = state.desk.list_tickets(s.principal(), q).await.map_err(fail)?;
            listing.tickets.iter().map(|t| Line::of(c, &catalog, t)).collect()
        }
        None => Vec::new(),
    };
    let similar = match keyword(&form.subject) {
        Some(word) => {
            let q = TicketQuery { text: Some(word), limit: 5, ..TicketQuery::default() };
            let listing = state.desk.list_tickets(s.principal(), q).await.map_err(fail)?;
            Some(listing.tickets.iter().map(|t| Line::of(c, &catalog, t)).collect())
        }
        None => None,
    };
    let settings = state.desk.settings_now();
    Ok(NewPage {
        c: c.clone(),
        who: ctx.who,
        found: ctx.found,
        caller: ctx.caller,
        earlier,
        similar,
        topics,
        topic: topic.map(|t| t.id.get()),
        departments,
        channels,
        types,
        impact: level("impact"),
        urgency: level("urgency"),
        email: form.email.clone(),
        name: form.name.clone(),
        phone: form.staff.get("phone").cloned().unwrap_or_default(),
        subject: form.subject.clone(),
        body: form.body.clone(),
        fields,
        errors,
        max_files: settings.max_attachments as usize,
        max_mb: u64::from(settings.max_attachment_mb),
    })
}

async fn form(State(state): State<AppState>, s: Staff, Query(p): Query<Params>) -> Result<Response, PageError> {
    let fail = |e| PageError::from_service(&s.v.c, e);
    let who = p.who.unwrap_or_default();
    let found = if who.trim().is_empty() { None } else { Some(state.desk.find_callers(s.principal(), &who).await.map_err(fail)?) };
    let caller = match p.requester {
        Some(id) => Some(state.desk.caller(s.principal(), RequesterId(id)).await.map_err(fail)?),
        None => None,
    };
    let form = TicketForm { topic: p.topic.and_then(|t| t.parse().ok()), subject: p.subject.unwrap_or_default(), ..TicketForm::default() };
    let ctx = Context { caller, who, found };
    Ok(page(&new_page(&state, &s, ctx, &form, Vec::new()).await?))
}

async fn submit(State(state): State<AppState>, s: Staff, multipart: Multipart) -> Result<Response, PageError> {
    let c = &s.v.c;
    let blobs = state.desk.store().blobs();
    let status = |code, key: &str| PageError::Status(Box::new(c.clone()), code, c.t(key));
    let max = state.desk.settings_now().max_attachment_bytes();
    let form = match parse_ticket_form(multipart, max, blobs, |t| s.check_form(t).is_ok()).await {
        Ok(form) => form,
        Err(FormError::Token) => return Err(PageError::csrf(c)),
        Err(FormError::TooLarge(name)) if name.is_empty() => return Err(status(StatusCode::PAYLOAD_TOO_LARGE, "error-form-too-large")),
        Err(FormError::TooLarge(name)) => {
            let msg = crate::pages::portal::too_large_message(c, &state, &name);
            return Err(PageError::Status(Box::new(c.clone()), StatusCode::PAYLOAD_TOO_LARGE, msg));
        }
        Err(FormError::Interrupted) => return Err(status(StatusCode::BAD_REQUEST, "error-upload-failed")),
        Err(FormError::Nul) => return Err(status(StatusCode::UNPROCESSABLE_ENTITY, "error-form-invalid")),
        Err(FormError::Store(e)) => return Err(PageError::from_service(c, e.into())),
    };
    let fail = |e| PageError::from_service(c, e);
    let caller = match form.staff.get("requester").and_then(|r| r.parse::<i64>().ok()) {
        Some(id) => Some(state.desk.caller(s.principal(), RequesterId(id)).await.map_err(fail)?),
        None => None,
    };
    let (cmd, mut errors) = to_command(c, &form, caller.as_ref());
    if let Some(cmd) = cmd.filter(|_| errors.is_empty()) {
        match state.desk.open_ticket(s.principal(), cmd).await {
            Ok((t, requester)) => {
                let phone = form.staff.get("phone").map(String::as_str).unwrap_or_default();
                // The ticket is saved: a number that cannot be kept is only logged.
                if let Err(e) = state.desk.note_caller_phone(s.principal(), requester.id, phone).await {
                    tracing::info!(error = %e, "caller's phone not kept");
                }
                return Ok(Redirect::to(&format!("/agent/tickets/{}?created=1", t.number)).into_response());
            }
            Err(ServiceError::Domain(tikal_core::DomainError::Rejected)) => errors.push(("body".into(), c.t("domain-rejected"))),
            Err(ServiceError::Domain(e)) => errors.extend(c.lang.field_error(&e)),
            Err(ServiceError::TooLarge { what, .. }) => {
                errors.push(("attachments".into(), crate::pages::portal::too_large_message(c, &state, &what)))
            }
            Err(e) => return Err(fail(e)),
        }
    }
    let ctx = Context { caller, who: String::new(), found: None };
    let mut resp = page(&new_page(&state, &s, ctx, &form, errors).await?);
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

/// The command to open the ticket, or the errors of the fields checked here.
fn to_command(c: &Chrome, form: &TicketForm, caller: Option<&Caller>) -> (Option<tikal_service::OpenTicket>, FieldErrors) {
    let lang = c.lang;
    let (mut cmd, mut errors) = form.to_command(lang, caller.is_none());
    if let Some(caller) = caller {
        // The portal's rule reads no address for a signed-in requester; here it is the caller's.
        if let Some(cmd) = cmd.as_mut() {
            cmd.requester_email = Some(caller.requester.email.clone());
            cmd.requester_name = Some(caller.requester.name.clone());
        }
    }
    let invalid = |field: &str, errors: &mut FieldErrors| errors.push((field.to_string(), lang.reason(&tikal_core::Reason::NotAnOption)));
    let channel = match form.staff.get("channel").map(|v| v.parse::<Channel>()) {
        Some(Ok(ch)) if CHANNELS.contains(&ch) => Some(ch),
        _ => {
            invalid("channel", &mut errors);
            None
        }
    };
    let department = match form.staff.get("department").filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match d.parse::<i64>() {
            Ok(id) => Some(DepartmentId(id)),
            Err(_) => {
                invalid("department", &mut errors);
                None
            }
        },
    };
    let kind = match form.staff.get("type").map(|t| t.parse::<TicketType>()) {
        Some(Ok(t)) => Some(t),
        None => None,
        Some(Err(_)) => {
            invalid("type", &mut errors);
            None
        }
    };
    let level = |k: &str, errors: &mut FieldErrors| match form.staff.get(k).and_then(|v| v.parse::<u8>().ok()) {
        Some(v @ 1..=3) => Some(v),
        _ => {
            invalid(k, errors);
            None
        }
    };
    let (impact, urgency) = (level("impact", &mut errors), level("urgency", &mut errors));
    let impact_urgency = match (impact.map(Impact::try_from), urgency.map(Urgency::try_from)) {
        (Some(Ok(i)), Some(Ok(u))) => Some((i, u)),
        _ => None,
    };
    let cmd = cmd.map(|mut cmd| {
        cmd.channel = channel.unwrap_or(Channel::Phone);
        cmd.department_id = department;
        cmd.kind = kind;
        cmd.impact_urgency = impact_urgency;
        cmd
    });
    (cmd, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_tickets_are_found_by_the_longest_word() {
        assert_eq!(keyword("No imprime la impresora del piso 2").as_deref(), Some("impresora"));
        assert_eq!(keyword("VPN caída").as_deref(), Some("caída"));
        assert_eq!(keyword("a b c"), None);
    }
}
