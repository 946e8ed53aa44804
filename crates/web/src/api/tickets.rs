//! /api/v1/tickets: open, list, show, update, thread, messages, resolution, time, attachments.

use std::collections::BTreeMap;

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use tikal_core::fields::FieldInput;
use tikal_core::queue::{Cursor, QueueFilter, QueueSort};
use tikal_core::*;
use tikal_service::{Desk, OpenTicket, PostMessage, Principal, ResolutionAction, ServiceError, TicketQuery, Upload};
use tikal_store::{Created, IdempotencyClaim, IdempotentRecord};
use utoipa::IntoParams;

use super::ApiCaller;
use super::dto::*;
use super::idempotency::{self, Replay};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets", post(create).get(list))
        .route("/tickets/{number}", get(show).patch(update))
        .route("/tickets/{number}/thread", get(thread))
        .route("/tickets/{number}/messages", post(post_message))
        .route("/tickets/{number}/resolution", post(resolution))
        .route("/tickets/{number}/time", post(log_time))
        .route("/tickets/{number}/attachments/{id}", get(attachment))
}

fn invalid(field: &'static str, reason: impl Into<tikal_core::Reason>) -> ApiError {
    DomainError::invalid(field, reason).into()
}

fn parse_enum<T: std::str::FromStr>(field: &'static str, raw: Option<&str>) -> Result<Option<T>, ApiError> {
    raw.map(|s| s.parse::<T>().map_err(|_| invalid(field, format!("unknown value `{}`", s.chars().take(40).collect::<String>()))))
        .transpose()
}

fn impact_urgency(impact: Option<u8>, urgency: Option<u8>) -> Result<Option<(Impact, Urgency)>, ApiError> {
    match (impact, urgency) {
        (Some(i), Some(u)) => Ok(Some((Impact::try_from(i)?, Urgency::try_from(u)?))),
        (None, None) => Ok(None),
        _ => Err(invalid("impact", "impact and urgency go together")),
    }
}

fn uploads(list: Option<Vec<AttachmentInput>>) -> Result<Vec<Upload>, ApiError> {
    let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
    list.unwrap_or_default()
        .into_iter()
        .map(|a| {
            let trimmed = a.data_base64.trim_end_matches('=');
            let data =
                engine.decode(trimmed).map_err(|_| invalid("attachments", format!("`{}`: data_base64 is not valid base64", a.filename)))?;
            Ok(Upload { filename: a.filename, content_type: a.content_type, data: data.into() })
        })
        .collect()
}

fn field_input(v: serde_json::Value) -> Result<FieldInput, ApiError> {
    use serde_json::Value;
    Ok(match v {
        Value::Null => FieldInput::Null,
        Value::Bool(b) => FieldInput::Bool(b),
        Value::Number(n) => FieldInput::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => FieldInput::Text(s),
        Value::Array(items) => FieldInput::List(
            items
                .into_iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| invalid("custom_fields", "lists hold strings only")))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(_) => return Err(invalid("custom_fields", "values are strings, numbers, booleans or lists")),
    })
}

pub(super) fn parse_number(raw: &str) -> Result<TicketNumber, ApiError> {
    TicketNumber::parse(raw).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "ticket not found"))
}

/// The `{number}` of a ticket URL; a malformed one is simply a ticket that does not exist.
pub struct TicketPath(pub(super) TicketNumber);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for TicketPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await?;
        parse_number(&raw).map(TicketPath)
    }
}

impl TryFrom<CreateTicket> for OpenTicket {
    type Error = ApiError;
    fn try_from(d: CreateTicket) -> Result<Self, ApiError> {
        Ok(OpenTicket {
            requester_email: Some(EmailAddress::parse(&d.requester.email)?),
            requester_name: d.requester.name.as_deref().filter(|n| !n.trim().is_empty()).map(PersonName::parse).transpose()?,
            subject: Subject::parse(&d.subject)?,
            body: d.message,
            channel: parse_enum("channel", d.channel.as_deref())?.unwrap_or(Channel::Api),
            help_topic_id: d.help_topic_id.map(HelpTopicId),
            department_id: d.department_id.map(DepartmentId),
            priority: d.priority.map(Priority::try_from).transpose()?,
            impact_urgency: impact_urgency(d.impact, d.urgency)?,
            kind: parse_enum("type", d.kind.as_deref())?,
            custom_fields: d
                .custom_fields
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| Ok((k, field_input(v)?)))
                .collect::<Result<BTreeMap<_, _>, ApiError>>()?,
            attachments: uploads(d.attachments)?,
            recipient: None,
        })
    }
}

impl TryFrom<UpdateTicket> for TicketUpdate {
    type Error = ApiError;
    fn try_from(d: UpdateTicket) -> Result<Self, ApiError> {
        Ok(TicketUpdate {
            status: None,
            priority: d.priority.map(Priority::try_from).transpose()?,
            impact_urgency: impact_urgency(d.impact, d.urgency)?,
            department_id: d.department_id.map(DepartmentId),
            owner_id: d.owner_id.map(|o| o.map(AgentId)),
            responsible_id: d.responsible_id.map(|o| o.map(AgentId)),
            team_id: None,
            subject: d.subject.as_deref().map(Subject::parse).transpose()?,
            kind: parse_enum("type", d.kind.as_deref())?,
            help_topic_id: d.help_topic_id.map(|o| o.map(HelpTopicId)),
            time_estimate_minutes: d.time_estimate_minutes,
        })
    }
}

/// Renders tickets with the names they refer to, loading each kind of name once.
pub(super) async fn render(desk: &Desk, tickets: &[Ticket]) -> Result<Vec<TicketDto>, ApiError> {
    let mut ids: Vec<RequesterId> = tickets.iter().map(|t| t.requester_id).collect();
    ids.sort();
    ids.dedup();
    let requesters = desk.store().requesters_by_ids(&ids).await.map_err(tikal_service::ServiceError::from)?;
    render_with(desk, tickets, &requesters).await
}

async fn render_with(desk: &Desk, tickets: &[Ticket], requesters: &[tikal_core::org::Requester]) -> Result<Vec<TicketDto>, ApiError> {
    let catalog = desk.catalog().await?;
    let (departments, topics) = (&catalog.departments, &catalog.topics);
    let names = Names { departments, topics, requesters };
    let ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
    let mut tags = desk.store().ticket_tags(&ids).await.map_err(ServiceError::from)?;
    Ok(tickets.iter().map(|t| TicketDto { tags: tags.remove(&t.id).unwrap_or_default(), ..TicketDto::new(t, &names) }).collect())
}

pub(super) async fn render_one(desk: &Desk, t: &Ticket) -> Result<TicketDto, ApiError> {
    render(desk, std::slice::from_ref(t)).await?.pop().ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "ticket not found"))
}

/// Open a ticket.
///
/// With an `Idempotency-Key` header, a retried request returns the first response instead of
/// opening a second ticket.
#[utoipa::path(post, path = "/tickets", tag = "tickets", request_body = CreateTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = TicketDto, headers(("Location" = String))), (status = 401), (status = 413), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let claim = idempotency::claim(&by, &headers, "POST /tickets", &body)?;
    if let Some(c) = &claim
        && let Some(earlier) = state.desk.store().idempotent_record(&c.scope, &c.key).await.map_err(ServiceError::from)?
    {
        return replay(&state, &by, c, earlier).await;
    }
    let dto: CreateTicket = parse_json(&body)?;
    let cmd = dto.try_into()?;
    let (ticket, requester) = match &claim {
        None => state.desk.open_ticket(&by, cmd).await?,
        Some(c) => match state.desk.open_ticket_once(&by, cmd, c.clone()).await? {
            Created::New(t, r) => (t, r),
            Created::Earlier(earlier) => return replay(&state, &by, c, earlier).await,
        },
    };
    metrics::counter!("tickets_created_total", "channel" => ticket.channel.as_str()).increment(1);
    let location = format!("/api/v1/tickets/{}", ticket.number);
    let dto = render_with(&state.desk, std::slice::from_ref(&ticket), &[requester])
        .await?
        .pop()
        .ok_or_else(|| ApiError::bad_request("ticket not rendered"))?;
    let json = serde_json::to_string(&dto).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Some(c) = &claim {
        idempotency::remember(&state.desk, c, StatusCode::CREATED, &json, &location).await;
    }
    Ok(created(json, &location))
}

/// The answer to a create whose `Idempotency-Key` an earlier request used.
async fn replay(state: &AppState, by: &Principal, claim: &IdempotencyClaim, earlier: IdempotentRecord) -> Result<Response, ApiError> {
    match idempotency::replay(claim, earlier)? {
        Replay::Stored(resp) => Ok(resp),
        Replay::Ticket(number) => {
            let t = state.desk.ticket(by, &number).await?;
            let json = serde_json::to_string(&render_one(&state.desk, &t).await?).map_err(|e| ApiError::bad_request(e.to_string()))?;
            let location = format!("/api/v1/tickets/{}", t.number);
            Ok(idempotency::mark_replayed(created(json, &location), None))
        }
    }
}

fn created(json: String, location: &str) -> Response {
    let mut resp = (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], json).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// Parses a JSON body with the same errors as the `Json` extractor.
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error(&mut de)?;
    de.end().map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", crate::error::public_message(&e.to_string())))?;
    Ok(value)
}

fn serde_path_to_error<'de, T: serde::Deserialize<'de>>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, ApiError> {
    T::deserialize(de).map_err(|e| {
        let (status, code) = match e.classify() {
            serde_json::error::Category::Data => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
            _ => (StatusCode::BAD_REQUEST, "malformed_json"),
        };
        ApiError::new(status, code, crate::error::public_message(&e.to_string()))
    })
}

/// The queue parameters are those of `tikal_core::queue::QueueFilter` (docs/api.md).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Comma-separated status keys, e.g. `new,open` (see `GET /statuses`).
    status: Option<String>,
    /// Comma-separated state categories (`new`, `open`, `pending`, `resolved`, `closed`): every
    /// status of these categories, including ones an administrator added.
    state: Option<String>,
    /// A department id.
    department: Option<String>,
    /// Requester e-mail.
    requester: Option<String>,
    /// Comma-separated priority levels 1-5.
    priority: Option<String>,
    /// Comma-separated types: `incident`, `service_request`, `problem`, `major_incident`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// A help topic id.
    help_topic: Option<String>,
    /// `me` (the calling agent), `none` (unassigned) or an agent id.
    owner: Option<String>,
    /// Comma-separated channels: `web`, `email`, `phone`, `whatsapp`, `walk_in`, `api`.
    channel: Option<String>,
    /// Created on or after: `YYYY-MM-DD` (UTC) or an RFC 3339 time.
    created_from: Option<String>,
    /// Created on or before this day (or before this RFC 3339 time).
    created_to: Option<String>,
    updated_from: Option<String>,
    updated_to: Option<String>,
    /// Active tickets by resolution due time: `overdue`, `due_soon` (within 4 hours), `on_time`, `none`.
    due: Option<String>,
    /// `awaiting`: resolved tickets waiting for approval where the caller may approve.
    review: Option<String>,
    /// Full-text search: every word must appear in the subject, a message or an internal
    /// note (accents, capitals and word forms folded: "telefono" finds "teléfono",
    /// "impresoras" finds "impresora"); a ticket number or a requester's e-mail address is
    /// matched exactly.
    q: Option<String>,
    /// `updated_desc` (default), `created_desc`, `created_asc`, `priority_desc`, `due_asc`.
    sort: Option<String>,
    /// From `next_cursor` of the previous page (same parameters).
    cursor: Option<String>,
    /// 1-200, default 50.
    limit: Option<u64>,
}

impl ListParams {
    /// The queue parameters as `(name, value)` pairs for `QueueFilter::from_pairs`.
    fn queue_pairs(&self) -> Vec<(&'static str, &str)> {
        let fields = [
            ("status", &self.status),
            ("state", &self.state),
            ("department", &self.department),
            ("priority", &self.priority),
            ("type", &self.kind),
            ("help_topic", &self.help_topic),
            ("owner", &self.owner),
            ("channel", &self.channel),
            ("created_from", &self.created_from),
            ("created_to", &self.created_to),
            ("updated_from", &self.updated_from),
            ("updated_to", &self.updated_to),
            ("due", &self.due),
            ("review", &self.review),
            ("q", &self.q),
            ("sort", &self.sort),
        ];
        fields.into_iter().filter_map(|(k, v)| v.as_deref().map(|v| (k, v))).collect()
    }
}

pub(super) fn encode_cursor(c: &Cursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.encode())
}

pub(super) fn decode_cursor(raw: &str, sort: QueueSort) -> Result<Cursor, ApiError> {
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "invalid_cursor", "cursor is not one this API returned for these parameters");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    Cursor::decode(&text, sort).map_err(|_| bad())
}

/// List tickets: an agent's queue, filtered and sorted (most recently changed first by
/// default), with keyset pagination.
#[utoipa::path(get, path = "/tickets", tag = "tickets", params(ListParams), responses((status = 200, body = TicketPage), (status = 400), (status = 422)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<TicketPage>, ApiError> {
    let Query(p) = params?;
    let filter = QueueFilter::from_pairs(p.queue_pairs()).map_err(DomainError::from)?;
    let cursor = p.cursor.as_deref().map(|c| decode_cursor(c, filter.sort)).transpose()?;
    let query = TicketQuery {
        requester_email: p.requester.as_deref().map(EmailAddress::parse).transpose()?,
        cursor,
        queue: Some(filter),
        limit: p.limit.unwrap_or(50),
        ..Default::default()
    };
    let listing = state.desk.list_tickets(&by, query).await?;
    Ok(Json(TicketPage { tickets: render(&state.desk, &listing.tickets).await?, next_cursor: listing.cursor.as_ref().map(encode_cursor) }))
}

/// One ticket.
#[utoipa::path(get, path = "/tickets/{number}", tag = "tickets", params(("number" = String, Path)), responses((status = 200, body = TicketDto), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<TicketDto>, ApiError> {
    let t = state.desk.ticket(&by, &number).await?;
    Ok(Json(render_one(&state.desk, &t).await?))
}

/// Change status, priority (or impact and urgency), department (transfer), owner, subject...
///
/// Every change is recorded in the thread as an event with before and after values.
#[utoipa::path(patch, path = "/tickets/{number}", tag = "tickets", params(("number" = String, Path)), request_body = UpdateTicket,
    responses((status = 200, body = TicketDto), (status = 404), (status = 409, description = "Not allowed by the status machine"), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<UpdateTicket>, JsonRejection>,
) -> Result<Json<TicketDto>, ApiError> {
    let Json(mut dto) = body?;
    // Statuses are data: the key is looked up (and must not be retired) before the update.
    let status = match dto.status.take() {
        Some(key) => Some(state.desk.status_to_choose(&key).await?),
        None => None,
    };
    let update = TicketUpdate { status, ..dto.try_into()? };
    let t = state.desk.update_ticket(&by, &number, update).await?;
    Ok(Json(render_one(&state.desk, &t).await?))
}

/// The thread: messages, replies, internal notes and recorded events, oldest first.
#[utoipa::path(get, path = "/tickets/{number}/thread", tag = "tickets", params(("number" = String, Path)), responses((status = 200, body = ThreadDto), (status = 404)))]
pub async fn thread(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
) -> Result<Json<ThreadDto>, ApiError> {
    let (t, entries, attachments) = state.desk.thread(&by, &number).await?;
    let n = t.number.to_string();
    Ok(Json(ThreadDto { entries: entries.iter().map(|e| EntryDto::new(&n, e, &attachments)).collect(), number: n }))
}

/// Add a public reply or an internal note.
///
/// With `last_seen_entry_id` (the newest entry the writer has seen), the message is refused
/// with 409 `thread_changed` when something newer arrived in the thread meanwhile.
#[utoipa::path(post, path = "/tickets/{number}/messages", tag = "tickets", params(("number" = String, Path)), request_body = CreateMessage,
    responses((status = 201, body = EntryDto), (status = 404), (status = 409, description = "`thread_changed`: read the new entries first"), (status = 422)))]
pub async fn post_message(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<CreateMessage>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(dto) = body?;
    let kind = match dto.kind.as_str() {
        "reply" => EntryKind::Reply,
        "note" => EntryKind::Note,
        other => return Err(invalid("kind", format!("must be reply or note, not `{}`", other.chars().take(20).collect::<String>()))),
    };
    let msg = PostMessage { kind, body: dto.body, attachments: uploads(dto.attachments)? };
    let id = state.desk.post_message_seen(&by, &number, msg, dto.last_seen_entry_id.map(EntryId)).await?;
    let (t, entries, attachments) = state.desk.thread(&by, &number).await?;
    let entry = entries.iter().find(|e| e.id == id).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "entry not found"))?;
    let json =
        serde_json::to_string(&EntryDto::new(t.number.as_str(), entry, &attachments)).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(created(json, &format!("/api/v1/tickets/{}/thread#entry-{}", t.number, id)))
}

/// Approve a resolution (closes the ticket) or return it to the agent with a reason.
#[utoipa::path(post, path = "/tickets/{number}/resolution", tag = "tickets", params(("number" = String, Path)), request_body = ResolutionRequest,
    responses((status = 200, body = TicketDto), (status = 403), (status = 404), (status = 409)))]
pub async fn resolution(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<ResolutionRequest>, JsonRejection>,
) -> Result<Json<TicketDto>, ApiError> {
    let Json(dto) = body?;
    let action = match dto.action.as_str() {
        "approve" => ResolutionAction::Approve,
        "return" => ResolutionAction::Return,
        _ => return Err(invalid("action", "must be approve or return")),
    };
    let t = state.desk.resolution(&by, &number, action, dto.reason.as_deref().unwrap_or_default()).await?;
    Ok(Json(render_one(&state.desk, &t).await?))
}

/// Log time worked on the ticket.
#[utoipa::path(post, path = "/tickets/{number}/time", tag = "tickets", params(("number" = String, Path)), request_body = LogTime,
    responses((status = 200, body = TicketDto), (status = 404), (status = 422)))]
pub async fn log_time(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    TicketPath(number): TicketPath,
    body: Result<Json<LogTime>, JsonRejection>,
) -> Result<Json<TicketDto>, ApiError> {
    let Json(dto) = body?;
    let t = state.desk.log_time(&by, &number, dto.minutes, dto.note).await?;
    Ok(Json(render_one(&state.desk, &t).await?))
}

/// Download an attachment.
#[utoipa::path(get, path = "/tickets/{number}/attachments/{id}", tag = "tickets", params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404)))]
pub async fn attachment(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<(String, i64)>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path((number, id)) = path?;
    let (meta, data) = state.desk.attachment(&by, &parse_number(&number)?, AttachmentId(id)).await?;
    // Always a download, never rendered in our origin: uploaded HTML or SVG must not run here.
    let disposition = format!("attachment; filename*=UTF-8''{}", percent_encode(&meta.filename));
    let mut resp = data.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
