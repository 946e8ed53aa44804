//! The multipart forms of the portal (a new ticket, a reply): text fields, custom fields
//! (`cf_<key>`) and files. The form token must come first and is checked before anything else
//! is read; files go to disk as they arrive, with the size limit enforced while reading; a body
//! that ends early is an error, never a shorter file.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use tikal_core::fields::FieldInput;
use tikal_core::{Channel, EmailAddress, HelpTopicId, PersonName, Subject};
use tikal_service::{OpenTicket, Upload, UploadData};
use tikal_store::{BlobStore, StoreError};

use super::super::Lang;
use super::super::auth::FieldErrors;

/// The fields of the agents' register-on-behalf form besides the portal's.
pub const STAFF_FIELDS: [&str; 7] = ["requester", "phone", "channel", "department", "type", "impact", "urgency"];

/// A text field longer than this is refused (the longest, a message body, takes 64 KiB).
const MAX_TEXT_FIELD: usize = 128 * 1024;

#[derive(Debug, Default)]
pub struct TicketForm {
    pub csrf: String,
    /// A guest's address and name (the guest form only).
    pub email: String,
    pub name: String,
    pub topic: Option<i64>,
    pub subject: String,
    pub body: String,
    /// Custom field values by key; several for a multi-select.
    pub fields: BTreeMap<String, Vec<String>>,
    /// The fields only staff forms carry (`STAFF_FIELDS`): requester, channel, department...
    pub staff: BTreeMap<&'static str, String>,
    pub uploads: Vec<Upload>,
}

/// Why a form was not read.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// The first field is not a valid form token.
    #[error("the form token is missing or wrong")]
    Token,
    /// A file (named) or a text field (empty name) is over its limit.
    #[error("`{0}` is too large")]
    TooLarge(String),
    /// The body ended early or could not be read.
    #[error("the form was cut off")]
    Interrupted,
    #[error("a field contains a NUL character")]
    Nul,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn read_error(e: &MultipartError, name: &str) -> FormError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE { FormError::TooLarge(name.to_string()) } else { FormError::Interrupted }
}

/// Reads the form. `token_ok` checks the form token, which must be the first field: nothing
/// after it is read for a stranger. Files are written to the blob store's incoming directory.
pub async fn parse_ticket_form(
    mut multipart: Multipart,
    max_bytes: u64,
    blobs: &BlobStore,
    token_ok: impl Fn(&str) -> bool,
) -> Result<TicketForm, FormError> {
    let mut form = TicketForm::default();
    let mut checked = false;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| read_error(&e, ""))? {
        let name = field.name().unwrap_or_default().to_string();
        if !checked {
            let token = if name == "csrf" { read_text(&mut field).await? } else { String::new() };
            if !token_ok(&token) {
                return Err(FormError::Token);
            }
            checked = true;
            form.csrf = token;
            continue;
        }
        if name == "attachments" {
            let filename = field.file_name().unwrap_or_default().to_string();
            let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
            let mut file = blobs.incoming()?;
            while let Some(chunk) = field.chunk().await.map_err(|e| read_error(&e, &filename))? {
                if file.size() + chunk.len() as u64 > max_bytes {
                    return Err(FormError::TooLarge(filename));
                }
                file.write(&chunk).await?;
            }
            // A file input left empty still sends a part without a name or bytes.
            if !filename.is_empty() && file.size() > 0 {
                let data = UploadData::File(Arc::new(file.finish().await?));
                form.uploads.push(Upload { filename, content_type, data });
            }
            continue;
        }
        let value = read_text(&mut field).await?;
        match name.as_str() {
            "email" => form.email = value,
            "name" => form.name = value,
            "topic" => form.topic = value.parse().ok(),
            "subject" => form.subject = value,
            "body" => form.body = value,
            other => {
                if let Some(key) = other.strip_prefix("cf_") {
                    form.fields.entry(key.to_string()).or_default().push(value);
                } else if let Some(known) = STAFF_FIELDS.iter().find(|k| **k == other) {
                    form.staff.insert(known, value);
                }
            }
        }
    }
    if !checked {
        return Err(FormError::Token);
    }
    Ok(form)
}

/// A text field, bounded, as UTF-8 (invalid sequences replaced), without NUL.
async fn read_text(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, FormError> {
    let mut raw = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| read_error(&e, ""))? {
        if raw.len() + chunk.len() > MAX_TEXT_FIELD {
            return Err(FormError::TooLarge(String::new()));
        }
        raw.extend_from_slice(&chunk);
    }
    if raw.contains(&0) {
        return Err(FormError::Nul);
    }
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

impl TicketForm {
    /// The command to open the ticket, or the errors of the fields the portal checks itself.
    pub fn to_command(&self, lang: Lang, guest: bool) -> (Option<OpenTicket>, FieldErrors) {
        let mut errors = FieldErrors::new();
        let (mut requester_email, mut requester_name) = (None, None);
        if guest {
            requester_email = EmailAddress::parse(&self.email).map_err(|e| errors.extend(lang.field_error(&e))).ok();
            requester_name = PersonName::parse(&self.name).map_err(|e| errors.extend(lang.field_error(&e))).ok();
        }
        let subject = Subject::parse(&self.subject).map_err(|e| errors.extend(lang.field_error(&e))).ok();
        if self.body.trim().is_empty() {
            errors.push(("body".into(), lang.reason(&tikal_core::Reason::Required)));
        }
        let custom_fields = self
            .fields
            .iter()
            .map(|(k, values)| {
                let input = match values.as_slice() {
                    [] => FieldInput::Null,
                    [one] => FieldInput::Text(one.clone()),
                    many => FieldInput::List(many.to_vec()),
                };
                (k.clone(), input)
            })
            .collect();
        let cmd = subject.map(|subject| OpenTicket {
            requester_email,
            requester_name,
            subject,
            body: self.body.clone(),
            channel: Channel::Web,
            help_topic_id: self.topic.map(HelpTopicId),
            department_id: None,
            priority: None,
            impact_urgency: None,
            kind: None,
            custom_fields,
            attachments: self.uploads.clone(),
            recipient: None,
        });
        (cmd, errors)
    }
}
