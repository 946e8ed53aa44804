//! The wire shapes of API v1: the domain is never serialised directly.

use std::collections::BTreeMap;

use askama::Template;
use serde::{Deserialize, Deserializer, Serialize};
use tikal_core::org::{Department, HelpTopic, Requester};
use tikal_core::{ThreadEntry, Ticket};
use tikal_store::AttachmentMeta;
use utoipa::ToSchema;

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Distinguishes an absent field (leave alone) from `null` (clear it).
pub fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequesterDto {
    pub id: i64,
    pub email: String,
    pub name: String,
}

impl From<&Requester> for RequesterDto {
    fn from(r: &Requester) -> Self {
        RequesterDto { id: r.id.get(), email: r.email.as_str().to_string(), name: r.name.as_str().to_string() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDto {
    /// The human ticket number, e.g. `000042`.
    pub number: String,
    pub subject: String,
    /// The status key: a built-in one (new, open, pending_requester, pending_third_party,
    /// resolved, closed) or one the desk added (see `GET /statuses`).
    pub status: String,
    /// The status's state category: new, open, pending, resolved or closed.
    pub state: String,
    /// 1 (very low) .. 5 (very high)
    pub priority: u8,
    pub impact: Option<u8>,
    pub urgency: Option<u8>,
    /// incident, service_request, problem, major_incident
    #[serde(rename = "type")]
    pub kind: String,
    /// web, email, phone, whatsapp, walk_in, api
    pub channel: String,
    pub department: Named,
    pub help_topic: Option<Named>,
    pub requester: Option<RequesterDto>,
    pub owner_id: Option<i64>,
    pub responsible_id: Option<i64>,
    pub team_id: Option<i64>,
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    pub time_estimate_minutes: Option<u32>,
    pub time_spent_minutes: u32,
    pub response_due_at: Option<String>,
    pub resolution_due_at: Option<String>,
    pub first_response_at: Option<String>,
    pub resolution_approved: bool,
    pub resolution_confirmed: bool,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Tags (set by routing rules), in alphabetical order.
    pub tags: Vec<String>,
}

/// Names for the ids a ticket refers to, loaded once per response (no N+1).
pub struct Names<'a> {
    pub departments: &'a [Department],
    pub topics: &'a [HelpTopic],
    pub requesters: &'a [Requester],
}

impl TicketDto {
    pub fn new(t: &Ticket, names: &Names<'_>) -> Self {
        let department = names.departments.iter().find(|d| d.id == t.department_id);
        TicketDto {
            number: t.number.to_string(),
            subject: t.subject.as_str().to_string(),
            status: t.status.to_string(),
            state: t.status.category().to_string(),
            priority: t.priority.level(),
            impact: t.impact.map(|i| i.level()),
            urgency: t.urgency.map(|u| u.level()),
            kind: t.kind.to_string(),
            channel: t.channel.to_string(),
            department: Named { id: t.department_id.get(), name: department.map(|d| d.name.clone()).unwrap_or_default() },
            help_topic: t.help_topic_id.map(|id| Named {
                id: id.get(),
                name: names.topics.iter().find(|x| x.id == id).map(|x| x.path(names.topics)).unwrap_or_default(),
            }),
            requester: names.requesters.iter().find(|r| r.id == t.requester_id).map(RequesterDto::from),
            owner_id: t.owner_id.map(|a| a.get()),
            responsible_id: t.responsible_id.map(|a| a.get()),
            team_id: t.team_id.map(|a| a.get()),
            custom_fields: serde_json::to_value(&t.custom_fields).unwrap_or_default(),
            time_estimate_minutes: t.time_estimate_minutes,
            time_spent_minutes: t.time_spent_minutes,
            response_due_at: t.response_due_at.map(rfc3339),
            resolution_due_at: t.resolution_due_at.map(rfc3339),
            first_response_at: t.first_response_at.map(rfc3339),
            resolution_approved: t.resolution_approved,
            resolution_confirmed: t.resolution_confirmed,
            resolved_at: t.resolved_at.map(rfc3339),
            closed_at: t.closed_at.map(rfc3339),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            tags: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPage {
    pub tickets: Vec<TicketDto>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// Download URL (same authentication).
    pub url: String,
}

impl AttachmentDto {
    pub fn new(number: &str, a: &AttachmentMeta) -> Self {
        AttachmentDto {
            id: a.id.get(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            url: format!("/api/v1/tickets/{number}/attachments/{}", a.id),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorDto {
    /// agent, requester, api_key, system
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<i64>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryDto {
    pub id: i64,
    /// message, reply, note, event
    pub kind: String,
    pub author: AuthorDto,
    pub body: Option<String>,
    /// For events: created, status_changed, priority_changed, transferred, assigned, ...
    pub event: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
    pub attachments: Vec<AttachmentDto>,
}

impl EntryDto {
    pub fn new(number: &str, e: &ThreadEntry, attachments: &[AttachmentMeta]) -> Self {
        EntryDto {
            id: e.id.get(),
            kind: e.kind.to_string(),
            author: AuthorDto { kind: e.author.kind().to_string(), id: e.author.id(), name: e.author_name.clone() },
            body: e.body.clone(),
            event: e.event.map(|k| k.to_string()),
            before: e.before.clone(),
            after: e.after.clone(),
            reason: e.reason.clone(),
            created_at: rfc3339(e.created_at),
            attachments: attachments.iter().filter(|a| a.entry_id == Some(e.id)).map(|a| AttachmentDto::new(number, a)).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadDto {
    pub number: String,
    pub entries: Vec<EntryDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequesterInput {
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentInput {
    pub filename: String,
    pub content_type: String,
    /// The file's bytes, base64 (standard alphabet, padding optional).
    pub data_base64: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    pub subject: String,
    pub message: String,
    pub requester: RequesterInput,
    pub help_topic_id: Option<i64>,
    pub department_id: Option<i64>,
    /// 1-5; or give `impact` and `urgency` (1-3 each) to derive it from the priority matrix.
    pub priority: Option<u8>,
    pub impact: Option<u8>,
    pub urgency: Option<u8>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Defaults to `api`.
    pub channel: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
    pub attachments: Option<Vec<AttachmentInput>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    pub status: Option<String>,
    pub priority: Option<u8>,
    pub impact: Option<u8>,
    pub urgency: Option<u8>,
    pub department_id: Option<i64>,
    /// An agent id, or `null` to unassign.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub responsible_id: Option<Option<i64>>,
    pub subject: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub help_topic_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>)]
    pub time_estimate_minutes: Option<Option<u32>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMessage {
    /// `reply` (public: the requester sees it) or `note` (internal).
    pub kind: String,
    pub body: String,
    pub attachments: Option<Vec<AttachmentInput>>,
    /// The id of the newest thread entry the writer has seen: the message is refused (409
    /// `thread_changed`) if a newer one exists.
    pub last_seen_entry_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionRequest {
    /// `approve` or `return` (supervisors).
    pub action: String,
    /// Required when returning.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogTime {
    pub minutes: u32,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpTopicDto {
    pub id: i64,
    pub name: String,
    /// "Parent / Child"
    pub path: String,
    pub parent_id: Option<i64>,
    pub department_id: Option<i64>,
    pub default_priority: Option<u8>,
    #[serde(rename = "type")]
    pub default_type: Option<String>,
}

/// A custom field of a help topic's form.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDto {
    /// The key to use in `custom_fields`.
    pub key: String,
    pub label: String,
    /// text, long_text, number, select, multi_select, checkbox, date (YYYY-MM-DD)
    pub kind: String,
    /// The choices of select and multi_select fields.
    pub options: Vec<String>,
    pub required: bool,
}

/// A ticket status as the desk configures it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusDto {
    pub key: String,
    /// new, open, pending, resolved or closed: what the status machine allows from it.
    pub state: String,
    /// A pending status that waits on the requester (their reply reopens the ticket).
    pub awaits_requester: bool,
    pub name_es: String,
    pub name_en: String,
    /// Retired statuses stay on the tickets that have them but can no longer be chosen.
    pub active: bool,
    pub builtin: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentDto {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
}

struct DocOperation {
    method: String,
    path: String,
    summary: String,
    description: String,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsPage {
    title: String,
    description: String,
    operations: Vec<DocOperation>,
}

/// Lists every operation of the document on one plain page.
pub fn render_docs(doc: &utoipa::openapi::OpenApi) -> String {
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        let ops = [("GET", &item.get), ("POST", &item.post), ("PATCH", &item.patch), ("PUT", &item.put), ("DELETE", &item.delete)];
        for (method, op) in ops {
            if let Some(op) = op {
                operations.push(DocOperation {
                    method: method.to_string(),
                    path: format!("/api/v1{path}"),
                    summary: op.summary.clone().unwrap_or_default(),
                    description: op.description.clone().unwrap_or_default(),
                });
            }
        }
    }
    let page = ApiDocsPage { title: doc.info.title.clone(), description: doc.info.description.clone().unwrap_or_default(), operations };
    page.render().unwrap_or_else(|e| format!("template error: {e}"))
}
