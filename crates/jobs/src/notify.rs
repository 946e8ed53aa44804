//! Ticket notifications: each `notify.*` job becomes one mail per recipient (who gets which
//! template is `tikal_core::notice`), written with the administrator's template, else the
//! shipped one, in the recipient's language, with the ticket's tag in the subject and the
//! headers that thread replies back to the ticket. Sending them is `deliver`.

mod deliver;

use tikal_core::TicketNumber;
use tikal_core::notice::{auto_submitted, tagged_subject};
use tikal_core::template::{Language, TemplateError, TemplateKind, TemplateSource, Vars};
use tikal_service::mail_templates::render_with;
use tikal_store::{LinkKey, MessageIdRow};

use crate::mail::{MailAttachment, OutgoingMail};

/// Where the links in notifications point: the address people reach Tikal at
/// (`[portal] public_url`), e.g. `https://mesa.example.gob`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    pub public_url: String,
}

/// A ticket as its mail tells it, in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketText {
    pub number: String,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub department: String,
    pub requester_name: String,
    pub requester_email: String,
}

/// Whom a link is for: requesters open the portal, agents the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Requester,
    Agent,
}

/// Everything one notification mail says besides the ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeText {
    /// The agent who answered, resolved, or was given the ticket.
    pub agent_name: Option<String>,
    /// The reply, the solution or the request's description.
    pub message: Option<String>,
    pub organisation: String,
}

/// The links of a ticket's mail, under `public_url`.
pub fn ticket_url(public_url: &str, number: &str, reader: Reader) -> String {
    let base = public_url.trim_end_matches('/');
    match reader {
        Reader::Requester => format!("{base}/tickets/{number}"),
        Reader::Agent => format!("{base}/agent/tickets/{number}"),
    }
}

/// The values a notification is rendered with.
pub fn notice_vars(ticket: &TicketText, text: &NoticeText, reader: Reader, public_url: &str) -> Vars {
    let page = ticket_url(public_url, &ticket.number, Reader::Requester);
    // The answer to a resolution is given on the ticket's page (`#resolution`); the survey
    // is asked there too.
    Vars::new()
        .text("ticket.number", ticket.number.clone())
        .text("ticket.subject", ticket.subject.clone())
        .text("ticket.status", ticket.status.clone())
        .text("ticket.priority", ticket.priority.clone())
        .text("ticket.department", ticket.department.clone())
        .text("ticket.url", ticket_url(public_url, &ticket.number, reader))
        .text("requester.name", ticket.requester_name.clone())
        .text("requester.email", ticket.requester_email.clone())
        .text("agent.name", text.agent_name.clone().unwrap_or_default())
        .text("message.text", text.message.clone().unwrap_or_default())
        .text("confirm_url", format!("{page}?resolution=confirm#resolution"))
        .text("not_solved_url", format!("{page}?resolution=not_solved#resolution"))
        .text("survey_url", format!("{page}#survey"))
        .text("organisation.name", text.organisation.clone())
}

/// The host part of an address (`Mesa <mesa@example.gob>` -> `example.gob`).
pub fn host_of(address: &str) -> Option<&str> {
    let host = address.rsplit('@').next()?.trim_end_matches('>').trim();
    (address.contains('@') && !host.is_empty()).then_some(host)
}

/// Our Message-ID for the mail of job `job_id` to `address`: `<tikal.{number}.{random}@{host}>`.
/// The random part is the link key's HMAC of the job and the address, so a retried job gives
/// the same id (and finds it already recorded) while nobody can guess ids to thread into a
/// ticket.
pub fn message_id(key: &LinkKey, number: &str, job_id: i64, address: &str, host: &str) -> String {
    let random = key.token(&format!("message-id:{job_id}:{}", address.to_ascii_lowercase()));
    format!("<tikal.{number}.{}@{host}>", &random[..24])
}

/// In-Reply-To and References of a new mail on a ticket whose earlier ids are `earlier`
/// (oldest first): it answers the thread's first message (the requester's own, when the
/// ticket came by mail, else our first), and refers to that one and to our latest.
pub fn threading(earlier: &[MessageIdRow]) -> (Option<String>, Vec<String>) {
    let root = earlier.iter().find(|m| !m.outbound).or(earlier.first()).map(|m| m.message_id.clone());
    let latest = earlier.iter().rev().find(|m| m.outbound).map(|m| m.message_id.clone());
    let mut references: Vec<String> = root.iter().cloned().collect();
    if let Some(l) = latest.filter(|l| Some(l) != root.as_ref()) {
        references.push(l);
    }
    (root, references)
}

/// The envelope of one notification mail: who, from whom, and its threading headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    pub to: String,
    /// The department's address (`Name <address>`); `None`: the configured sender.
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<MailAttachment>,
    /// The subject tag's format (the setting).
    pub subject_tag: String,
}

/// Writes one notification: `template` in `lang` (the administrator's `stored` one, else the
/// shipped one) with `vars`, the ticket's tag in the subject and the `Auto-Submitted` header
/// of automatic mail.
pub fn compose_notice(
    template: TemplateKind,
    lang: Language,
    stored: Option<&TemplateSource>,
    vars: &Vars,
    number: &TicketNumber,
    envelope: Envelope,
) -> Result<OutgoingMail, TemplateError> {
    let rendered = render_with(template, lang, stored, vars)?;
    Ok(OutgoingMail {
        to: envelope.to,
        subject: tagged_subject(&rendered.subject, &envelope.subject_tag, number),
        text: rendered.text,
        html: rendered.html,
        from: envelope.from,
        reply_to: envelope.reply_to,
        message_id: Some(envelope.message_id),
        in_reply_to: envelope.in_reply_to,
        references: envelope.references,
        auto_submitted: auto_submitted(template).map(str::to_string),
        attachments: envelope.attachments,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use tikal_core::TicketId;

    use super::*;
    use crate::mail::build_message;

    fn ticket(lang: Language) -> TicketText {
        let es = lang == Language::Es;
        TicketText {
            number: "000042".into(),
            subject: "La impresora del piso 3 no imprime".into(),
            status: if es { "Abierto" } else { "Open" }.into(),
            priority: if es { "Alta" } else { "High" }.into(),
            department: "Soporte Técnico".into(),
            requester_name: "Rosa Pérez".into(),
            requester_email: "rosa@gob.example".into(),
        }
    }

    fn number() -> TicketNumber {
        TicketNumber::parse("000042").expect("number")
    }

    fn envelope() -> Envelope {
        Envelope {
            to: "rosa@gob.example".into(),
            message_id: "<tikal.000042.abc@gob.example>".into(),
            subject_tag: "[#{number}]".into(),
            ..Default::default()
        }
    }

    fn row(id: &str, outbound: bool) -> MessageIdRow {
        MessageIdRow { message_id: id.into(), ticket_id: TicketId(1), entry_id: None, outbound, created_at: Utc::now() }
    }

    #[test]
    fn the_auto_response_in_spanish_carries_the_tag_and_the_portal_link() {
        let text =
            NoticeText { message: Some("Sale la hoja en blanco".into()), organisation: "Mesa de Ayuda UIT".into(), ..Default::default() };
        let vars = notice_vars(&ticket(Language::Es), &text, Reader::Requester, "https://mesa.example.gob/");
        let m = compose_notice(TemplateKind::NewTicketAutoreply, Language::Es, None, &vars, &number(), envelope()).expect("composed");
        assert_eq!(m.subject, "[#000042] Recibimos su pedido: La impresora del piso 3 no imprime");
        assert!(m.text.contains("Estimado/a Rosa Pérez") && m.text.contains("Sale la hoja en blanco"), "{}", m.text);
        assert!(m.text.contains("https://mesa.example.gob/tickets/000042\n"), "{}", m.text);
        assert_eq!(m.auto_submitted.as_deref(), Some("auto-replied"));
        assert_eq!(m.message_id.as_deref(), Some("<tikal.000042.abc@gob.example>"));
    }

    #[test]
    fn the_resolution_in_english_links_to_confirm_and_to_say_not_solved() {
        let text =
            NoticeText { agent_name: Some("Luis Andrade".into()), message: Some("Toner replaced".into()), organisation: "UIT".into() };
        let vars = notice_vars(&ticket(Language::En), &text, Reader::Requester, "https://mesa.example.gob");
        let m = compose_notice(TemplateKind::Resolution, Language::En, None, &vars, &number(), envelope()).expect("composed");
        assert_eq!(m.subject, "[#000042] Your request was resolved: La impresora del piso 3 no imprime");
        assert!(m.text.contains("Luis Andrade resolved your ticket 000042"), "{}", m.text);
        assert!(m.text.contains("https://mesa.example.gob/tickets/000042?resolution=confirm#resolution"), "{}", m.text);
        assert!(m.text.contains("https://mesa.example.gob/tickets/000042?resolution=not_solved#resolution"), "{}", m.text);
        assert_eq!(m.auto_submitted.as_deref(), Some("auto-generated"));
    }

    #[test]
    fn agents_get_desk_links_and_a_reply_is_a_human_message() {
        let text = NoticeText { agent_name: Some("Ana Torres".into()), ..Default::default() };
        let vars = notice_vars(&ticket(Language::Es), &text, Reader::Agent, "https://mesa.example.gob");
        let m = compose_notice(TemplateKind::Assignment, Language::Es, None, &vars, &number(), envelope()).expect("composed");
        assert_eq!(m.subject, "[#000042] Se le asignó: La impresora del piso 3 no imprime");
        assert!(m.text.contains("https://mesa.example.gob/agent/tickets/000042"), "{}", m.text);
        let vars = notice_vars(&ticket(Language::Es), &text, Reader::Requester, "https://mesa.example.gob");
        let m = compose_notice(TemplateKind::AgentReply, Language::Es, None, &vars, &number(), envelope()).expect("composed");
        assert_eq!(m.auto_submitted, None);
    }

    #[test]
    fn an_administrators_template_with_html_and_its_own_tag() {
        let stored = TemplateSource {
            subject: "Ticket [#{{ ticket.number }}] resuelto".into(),
            text_body: "Confirme: {{ confirm_url }}".into(),
            html_body: Some("<p><a href=\"{{ confirm_url }}\">Confirmar</a></p>".into()),
        };
        let vars = notice_vars(&ticket(Language::Es), &NoticeText::default(), Reader::Requester, "https://m.example");
        let m = compose_notice(TemplateKind::Resolution, Language::Es, Some(&stored), &vars, &number(), envelope()).expect("composed");
        assert_eq!(m.subject, "Ticket [#000042] resuelto", "the tag is not written twice");
        assert!(m.html.expect("html").contains("href=\"https://m.example/tickets/000042?resolution=confirm#resolution\""));
    }

    #[test]
    fn replies_thread_under_the_first_message_and_our_latest() {
        assert_eq!(threading(&[]), (None, Vec::new()));
        let ours = [row("<a@x>", true), row("<b@x>", true), row("<c@x>", true)];
        assert_eq!(threading(&ours), (Some("<a@x>".into()), vec!["<a@x>".into(), "<c@x>".into()]));
        let by_mail = [row("<ours@x>", true), row("<rosa@gob.example>", false), row("<later@x>", true)];
        let (reply_to, refs) = threading(&by_mail);
        assert_eq!(reply_to.as_deref(), Some("<rosa@gob.example>"), "the requester's own message first");
        assert_eq!(refs, vec!["<rosa@gob.example>".to_string(), "<later@x>".to_string()]);
        assert_eq!(threading(&[row("<only@x>", true)]), (Some("<only@x>".into()), vec!["<only@x>".into()]));
    }

    #[test]
    fn message_ids_are_stable_per_job_and_address_and_name_our_host() {
        let key = LinkKey::from_bytes([7; 32]);
        let a = message_id(&key, "000042", 5, "rosa@gob.example", "gob.example");
        assert!(a.starts_with("<tikal.000042.") && a.ends_with("@gob.example>"), "{a}");
        assert_eq!(a, message_id(&key, "000042", 5, "Rosa@Gob.Example", "gob.example"));
        assert_ne!(a, message_id(&key, "000042", 6, "rosa@gob.example", "gob.example"));
        assert_ne!(a, message_id(&key, "000042", 5, "ana@gob.example", "gob.example"));
        assert_eq!(host_of("Mesa de Ayuda <mesa@gob.example>"), Some("gob.example"));
        assert_eq!(host_of("nadie"), None);
    }

    #[test]
    fn the_headers_reach_the_message() {
        let mail = OutgoingMail {
            to: "rosa@gob.example".into(),
            subject: "[#000042] Respuesta".into(),
            text: "Ya quedó".into(),
            from: Some("Soporte Técnico <soporte@gob.example>".into()),
            reply_to: Some("Soporte Técnico <soporte@gob.example>".into()),
            message_id: Some("<tikal.000042.abc@gob.example>".into()),
            in_reply_to: Some("<first@gob.example>".into()),
            references: vec!["<first@gob.example>".into(), "<latest@gob.example>".into()],
            auto_submitted: Some("auto-generated".into()),
            attachments: vec![MailAttachment { filename: "informe.txt".into(), content_type: "text/plain".into(), data: b"hola".to_vec() }],
            ..Default::default()
        };
        let default_from = "Mesa <mesa@gob.example>".parse().expect("mailbox");
        let raw = String::from_utf8(build_message(&mail, &default_from).expect("built").formatted()).expect("utf-8");
        assert!(raw.contains("Message-ID: <tikal.000042.abc@gob.example>"), "{raw}");
        assert!(raw.contains("In-Reply-To: <first@gob.example>"), "{raw}");
        assert!(raw.contains("References: <first@gob.example> <latest@gob.example>"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.contains("soporte@gob.example") && !raw.contains("mesa@gob.example"), "{raw}");
        assert!(raw.contains("Reply-To:"), "{raw}");
        assert!(raw.contains("multipart/mixed") && raw.contains("filename=\"informe.txt\""), "{raw}");
        let bad = OutgoingMail { to: "no es una dirección".into(), ..mail };
        assert!(matches!(build_message(&bad, &default_from), Err(crate::MailError::Address(_))));
    }
}
