//! Delivery status notifications: RFC 3464 reports, and the plain-text ones many servers
//! still send.
//!
//! The heuristic for a report that is not RFC 3464: the sender is `MAILER-DAEMON` or
//! `postmaster` (or a "Mail Delivery" system name) AND the subject is one of the usual failure
//! subjects (English, Spanish, and a few others). The failed recipients are then the addresses
//! written in the body before the copy of the original message starts (a line such as
//! "Received:", "From:", "De:", "----- Original message -----"), except daemon addresses and the
//! report's own sender. The status is the first `X.Y.Z` code with X in 2, 4 or 5, and the
//! diagnostic the line it is on.

use mail_parser::{Message, MessageParser, MessagePart, PartType};

use crate::parse::{clean_id, mime_type};
use crate::{Bounce, Inbound};

/// Subjects of non-RFC failure reports, lower-case; matched as substrings.
const FAILURE_SUBJECTS: [&str; 14] = [
    "undelivered mail returned to sender",
    "delivery status notification (failure)",
    "mail delivery failed",
    "mail delivery failure",
    "delivery failure",
    "undeliverable",
    "returned mail",
    "failure notice",
    "no se puede entregar",
    "no se pudo entregar",
    "mensaje no entregado",
    "correo no entregado",
    "non remis",
    "unzustellbar",
];

const DAEMONS: [&str; 3] = ["mailer-daemon", "postmaster", "mail-daemon"];

pub(crate) fn detect(message: &Message<'_>, inbound: &Inbound) -> Option<Bounce> {
    if let Some(report) = delivery_status(message) {
        let mut bounce = parse_report(&report);
        bounce.original_message_id = original_message_id(message, &inbound.text);
        return Some(bounce);
    }
    if looks_like_plain_bounce(inbound) {
        let mut bounce = guess_from_text(inbound);
        bounce.original_message_id = original_message_id(message, &inbound.text);
        return Some(bounce);
    }
    None
}

/// The text of the message/delivery-status part, when the message has one.
fn delivery_status(message: &Message<'_>) -> Option<String> {
    message
        .parts
        .iter()
        .find(|p| matches!(mime_type(p).as_str(), "message/delivery-status" | "message/global-delivery-status"))
        .map(|p| String::from_utf8_lossy(p.contents()).into_owned())
}

/// Reads the "Field: value" blocks of a delivery-status body (RFC 3464 section 2).
fn parse_report(report: &str) -> Bounce {
    let mut bounce = Bounce::default();
    let mut first_status: Option<(Option<String>, Option<String>)> = None;
    for block in fields_blocks(report) {
        let field = |name: &str| block.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        let recipient = field("final-recipient").or_else(|| field("original-recipient")).map(|r| typed_value(&r));
        let Some(recipient) = recipient.filter(|r| !r.is_empty()) else {
            continue;
        };
        let status = field("status").map(|s| s.split_whitespace().next().unwrap_or_default().to_owned()).filter(|s| !s.is_empty());
        let diagnostic = field("diagnostic-code").map(|d| typed_value(&d)).filter(|d| !d.is_empty());
        let failed = field("action").is_some_and(|a| a.trim().eq_ignore_ascii_case("failed"));
        if failed {
            if bounce.recipients.is_empty() {
                bounce.status = status.clone();
                bounce.diagnostic = diagnostic.clone();
            }
            if !bounce.recipients.contains(&recipient) {
                bounce.recipients.push(recipient);
            }
        }
        first_status.get_or_insert((status, diagnostic));
    }
    if bounce.recipients.is_empty()
        && let Some((status, diagnostic)) = first_status
    {
        // A delay or success notice: report its status, but name no failed recipient.
        bounce.status = status;
        bounce.diagnostic = diagnostic;
    }
    bounce
}

/// Blocks separated by blank lines, each a list of (field, unfolded value).
fn fields_blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// `rfc822; ana@example.es` -> `ana@example.es` (the address-type or diagnostic-type dropped).
fn typed_value(value: &str) -> String {
    let value = match value.split_once(';') {
        Some((kind, rest)) if !kind.contains(char::is_whitespace) && !kind.contains('@') => rest,
        _ => value,
    };
    value.trim().trim_start_matches('<').trim_end_matches('>').trim().to_owned()
}

/// The Message-ID of the returned message: from an attached copy (message/rfc822 or
/// text/rfc822-headers), else from a "Message-ID:" line in the text.
fn original_message_id(message: &Message<'_>, text: &str) -> Option<String> {
    let from_part = |part: &MessagePart<'_>| -> Option<String> {
        match (&part.body, mime_type(part).as_str()) {
            (PartType::Message(nested), _) => nested.message_id().and_then(clean_id),
            (_, "text/rfc822-headers" | "message/rfc822-headers" | "message/rfc822") => {
                let headers = MessageParser::default().parse_headers(part.contents())?;
                headers.message_id().and_then(clean_id)
            }
            _ => None,
        }
    };
    message.parts.iter().skip(1).find_map(from_part).or_else(|| {
        text.lines().find_map(|line| {
            let (name, value) = line.trim().split_once(':')?;
            name.trim().eq_ignore_ascii_case("message-id").then(|| clean_id(value)).flatten()
        })
    })
}

fn looks_like_plain_bounce(inbound: &Inbound) -> bool {
    let Some(from) = &inbound.from else {
        return false;
    };
    let local = from.email.split('@').next().unwrap_or_default().to_ascii_lowercase();
    let name = from.name.as_deref().unwrap_or_default().to_lowercase();
    let daemon = DAEMONS.contains(&local.as_str()) || name.contains("mail delivery");
    let subject = inbound.subject.to_lowercase();
    daemon && FAILURE_SUBJECTS.iter().any(|s| subject.contains(s))
}

fn guess_from_text(inbound: &Inbound) -> Bounce {
    let own = inbound.from.as_ref().map(|f| f.email.to_ascii_lowercase()).unwrap_or_default();
    let mut recipients: Vec<String> = Vec::new();
    let mut status = None;
    let mut diagnostic = None;
    for line in inbound.text.lines() {
        if starts_original_copy(line) {
            break;
        }
        for address in addresses_in(line) {
            let lower = address.to_ascii_lowercase();
            let local = lower.split('@').next().unwrap_or_default();
            if lower != own && !DAEMONS.contains(&local) && !recipients.iter().any(|r| r.eq_ignore_ascii_case(&address)) {
                recipients.push(address);
            }
        }
        if status.is_none()
            && let Some(code) = status_code(line)
        {
            status = Some(code);
            let line: String = line.trim().chars().take(500).collect();
            diagnostic = Some(line);
        }
    }
    Bounce { recipients, status, diagnostic, original_message_id: None }
}

/// Where the copy of the returned message usually starts in a plain-text report.
fn starts_original_copy(line: &str) -> bool {
    let trimmed = line.trim().trim_start_matches('>').trim();
    let lower = trimmed.to_lowercase();
    let header = ["received:", "return-path:", "from:", "de:", "message-id:"].iter().any(|h| lower.starts_with(h));
    let marker =
        ["original message", "mensaje original", "message d'origine", "undelivered message", "copy of the message", "copia del mensaje"]
            .iter()
            .any(|m| lower.contains(m));
    header || (marker && lower.starts_with('-'))
}

/// Things that look like e-mail addresses in a line (local@domain.tld).
fn addresses_in(line: &str) -> Vec<String> {
    let is_part = |c: char| c.is_alphanumeric() || "._%+-@'".contains(c);
    line.split(|c: char| !is_part(c))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '\'' || c == '-'))
        .filter(|w| {
            let Some((local, domain)) = w.split_once('@') else {
                return false;
            };
            !local.is_empty() && !domain.contains('@') && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        .map(str::to_owned)
        .collect()
}

/// An enhanced status code (RFC 3463) such as `5.1.1` in a line.
fn status_code(line: &str) -> Option<String> {
    line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|w| w.trim_end_matches('.'))
        .find(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3
                && matches!(parts.first(), Some(&("2" | "4" | "5")))
                && parts.iter().skip(1).all(|p| (1..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_fields_with_folding_and_several_recipients() {
        let report = "Reporting-MTA: dns; correo.example.es\n\
                      Arrival-Date: Mon, 3 Mar 2025 10:00:00 +0100\n\
                      \n\
                      Final-Recipient: rfc822; ok@example.es\n\
                      Action: delivered\n\
                      Status: 2.0.0\n\
                      \n\
                      Final-Recipient: rfc822; nadie@example.es\n\
                      Original-Recipient: rfc822;nadie@example.es\n\
                      Action: failed\n\
                      Status: 5.1.1\n\
                      Diagnostic-Code: smtp; 550 5.1.1 <nadie@example.es>:\n\
                      \x20   Recipient address rejected: User unknown\n";
        let bounce = parse_report(report);
        assert_eq!(bounce.recipients, ["nadie@example.es"]);
        assert_eq!(bounce.status.as_deref(), Some("5.1.1"));
        assert_eq!(bounce.diagnostic.as_deref(), Some("550 5.1.1 <nadie@example.es>: Recipient address rejected: User unknown"));
    }

    #[test]
    fn delay_notice_names_no_failed_recipient() {
        let report = "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.es\nAction: delayed\nStatus: 4.4.7\n";
        let bounce = parse_report(report);
        assert!(bounce.recipients.is_empty());
        assert_eq!(bounce.status.as_deref(), Some("4.4.7"));
    }

    #[test]
    fn status_codes_and_addresses_in_prose() {
        assert_eq!(status_code("Remote server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'").as_deref(), Some("5.1.10"));
        assert_eq!(status_code("version 1.2.3 of 10.0.0.1"), None);
        assert_eq!(
            addresses_in("<pedro.gomez@example.es>: host said, see postmaster@x.es."),
            ["pedro.gomez@example.es", "postmaster@x.es"]
        );
        assert!(addresses_in("user@localhost or @twitter").is_empty());
    }
}
