//! The multipart forms of the portal (a new ticket, a reply): text fields, custom fields
//! (`cf_<key>`) and files, with the size limit enforced while reading.

use std::collections::BTreeMap;

use axum::extract::Multipart;
use tikal_core::fields::FieldInput;
use tikal_core::{Channel, EmailAddress, HelpTopicId, PersonName, Subject};
use tikal_service::{OpenTicket, Upload};

use super::super::Lang;
use super::super::auth::FieldErrors;

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
    pub uploads: Vec<Upload>,
}

/// Reads the form; `Err(file name)` when a file is over `max_bytes` (reading stops there).
pub async fn parse_ticket_form(mut multipart: Multipart, max_bytes: u64) -> Result<TicketForm, String> {
    let mut form = TicketForm::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // A truncated or oversized body: whatever was read is kept, the rest is lost.
            Err(e) => return if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE { Err(String::new()) } else { Ok(form) },
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "attachments" {
            let filename = field.file_name().unwrap_or_default().to_string();
            let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
            let mut field = field;
            let mut data = Vec::new();
            while let Ok(Some(chunk)) = field.chunk().await {
                data.extend_from_slice(&chunk);
                if data.len() as u64 > max_bytes {
                    return Err(filename);
                }
            }
            // A file input left empty still sends a part without a name or bytes.
            if !filename.is_empty() && !data.is_empty() {
                form.uploads.push(Upload { filename, content_type, data: data.into() });
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "csrf" => form.csrf = value,
            "email" => form.email = value,
            "name" => form.name = value,
            "topic" => form.topic = value.parse().ok(),
            "subject" => form.subject = value,
            "body" => form.body = value,
            other => {
                if let Some(key) = other.strip_prefix("cf_") {
                    form.fields.entry(key.to_string()).or_default().push(value);
                }
            }
        }
    }
    Ok(form)
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
        });
        (cmd, errors)
    }
}
