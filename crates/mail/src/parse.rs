//! From raw bytes to [`Inbound`]: headers, body text and HTML, attachments.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::{Address as MpAddress, Encoding, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::{Address, Automatic, Inbound, Limits, ParseError, Part, automatic, bounce};

/// Multipart nesting followed at most; deeper parts are still kept as attachments.
const MAX_DEPTH: usize = 32;
/// Tag nesting above which HTML is converted by the simple, non-recursive converter:
/// html2text renders recursively, and a hostile message must not exhaust the stack.
const MAX_HTML_DEPTH: usize = 300;
/// Column width given to html2text: wide, so that paragraphs stay on one line and the reply
/// stripper sees attribution lines whole.
const TEXT_WIDTH: usize = 2000;

/// Parses one RFC 5322 message. Never panics; refuses input above the limits before doing any
/// work proportional to its structure.
pub fn parse(raw: &[u8], limits: &Limits) -> Result<Inbound, ParseError> {
    if raw.len() > limits.max_bytes {
        return Err(ParseError::TooLarge { size: raw.len(), max: limits.max_bytes });
    }
    // Every MIME part and every nesting level needs its own Content-Type line, so counting
    // them bounds the parser's work (and its recursion) before it starts.
    if content_type_lines(raw) > limits.max_parts.saturating_mul(2).saturating_add(8) {
        return Err(ParseError::TooManyParts { max: limits.max_parts });
    }
    let message = read(raw)?;
    if count_parts(&message) > limits.max_parts {
        return Err(ParseError::TooManyParts { max: limits.max_parts });
    }
    if let Some(repaired) = with_guessed_boundary(&message, raw)
        && let Ok(fixed) = read(&repaired)
        && count_parts(&fixed) <= limits.max_parts
    {
        return Ok(build(&fixed, &repaired, limits));
    }
    Ok(build(&message, raw, limits))
}

/// mail-parser over `raw`, refusing what has no header at all.
fn read(raw: &[u8]) -> Result<Message<'_>, ParseError> {
    // mail-parser is written not to panic but carries debug assertions on broken structure;
    // a panic in a third-party parser must not take the intake worker down with it.
    let message = catch_unwind(AssertUnwindSafe(|| MessageParser::default().parse(raw))).ok().flatten().ok_or(ParseError::Unreadable)?;
    let readable = message.parts.first().is_some_and(|root| root.headers.iter().any(|h| is_field_name(&h.name)));
    if !readable {
        return Err(ParseError::Unreadable);
    }
    Ok(message)
}

/// mail-parser takes a header from almost any bytes; a real one has an RFC 5322 field name.
fn is_field_name(name: &HeaderName<'_>) -> bool {
    match name {
        HeaderName::Other(name) => !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':'),
        _ => true,
    }
}

/// A copy of `raw` whose top-level multipart Content-Type gets the boundary it forgot, when
/// the body shows one ("--token" on a line of its own, seen at least twice).
fn with_guessed_boundary(message: &Message<'_>, raw: &[u8]) -> Option<Vec<u8>> {
    let root = message.parts.first()?;
    let content_type = root.content_type()?;
    if !content_type.ctype().eq_ignore_ascii_case("multipart")
        || content_type.attribute("boundary").is_some()
        || matches!(root.body, PartType::Multipart(_))
    {
        return None;
    }
    let body = raw.get(root.offset_body as usize..)?;
    let body = String::from_utf8_lossy(body);
    let boundary = body.lines().find_map(|line| {
        let token = line.trim_end().strip_prefix("--")?;
        let token = token.strip_suffix("--").unwrap_or(token);
        let valid = (1..=70).contains(&token.len()) && token.chars().all(|c| c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(c));
        let opening = format!("--{token}");
        let seen = body.lines().filter(|l| l.starts_with(&opening)).count();
        (valid && seen >= 2).then(|| token.to_owned())
    })?;
    let header = root.headers.iter().find(|h| h.name == HeaderName::ContentType)?;
    // Append the parameter to the header value, before its line ending.
    let mut end = header.offset_end as usize;
    while end > header.offset_start as usize && raw.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
        end -= 1;
    }
    let mut repaired = Vec::with_capacity(raw.len() + boundary.len() + 16);
    repaired.extend_from_slice(raw.get(..end)?);
    repaired.extend_from_slice(format!("; boundary=\"{boundary}\"").as_bytes());
    repaired.extend_from_slice(raw.get(end..)?);
    Some(repaired)
}

fn build(message: &Message<'_>, raw: &[u8], limits: &Limits) -> Inbound {
    let body = Body::collect(message, raw);
    let mut text = body.text();
    truncate_chars(&mut text, limits.max_text_chars);

    let mut inbound = Inbound {
        message_id: message.message_id().and_then(clean_id),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        from: message.from().and_then(|a| addresses(a).into_iter().next()),
        reply_to: message.reply_to().and_then(|a| addresses(a).into_iter().next()),
        to: message.to().map(addresses).unwrap_or_default(),
        cc: message.cc().map(addresses).unwrap_or_default(),
        delivered_to: delivered_to(message, raw),
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        date: message.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp()),
        text,
        html: body.html(),
        attachments: body.attachments,
        automatic: None,
        bounce: None,
    };
    inbound.bounce = bounce::detect(message, &inbound);
    inbound.automatic = if inbound.bounce.is_some() { Some(Automatic::Bounce) } else { automatic::detect(message, raw) };
    inbound
}

/// Lines starting with `Content-Type`, case-insensitive.
fn content_type_lines(raw: &[u8]) -> usize {
    const NAME: &[u8] = b"content-type";
    let at = |i: usize| raw.get(i..i + NAME.len()).is_some_and(|s| s.eq_ignore_ascii_case(NAME));
    let starts = raw.iter().enumerate().filter(|(_, b)| **b == b'\n').filter(|(i, _)| at(i + 1)).count();
    starts + usize::from(at(0))
}

/// Parts at every level, nested messages included (iterative: nesting depth is attacker-chosen).
fn count_parts(message: &Message<'_>) -> usize {
    let mut stack = vec![message];
    let mut total = 0usize;
    while let Some(m) = stack.pop() {
        total = total.saturating_add(m.parts.len());
        stack.extend(m.parts.iter().filter_map(|p| p.message()));
    }
    total
}

fn truncate_chars(text: &mut String, max: usize) {
    if let Some((cut, _)) = text.char_indices().nth(max) {
        text.truncate(cut);
    }
}

/// A message id without brackets or surrounding space; `None` when nothing is left.
pub(crate) fn clean_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty() && !id.contains(char::is_whitespace)).then(|| id.to_owned())
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => clean_id(id).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|id| clean_id(id)).collect(),
        _ => Vec::new(),
    }
}

fn addresses(list: &MpAddress<'_>) -> Vec<Address> {
    list.iter()
        .filter_map(|addr| {
            let email = addr.address.as_deref()?.trim();
            if email.is_empty() {
                return None;
            }
            let name = addr.name.as_deref().map(str::trim).filter(|n| !n.is_empty() && *n != email).map(str::to_owned);
            Some(Address { email: email.to_owned(), name })
        })
        .collect()
}

/// The raw value of a header of the top-level message, unfolded and trimmed.
pub(crate) fn raw_value(raw: &[u8], header: &mail_parser::Header<'_>) -> String {
    let bytes = raw.get(header.offset_start as usize..header.offset_end as usize).unwrap_or_default();
    String::from_utf8_lossy(bytes).split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

fn delivered_to(message: &Message<'_>, raw: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for header in message.headers() {
        let wanted = match &header.name {
            HeaderName::DeliveredTo => true,
            HeaderName::Other(name) => name.eq_ignore_ascii_case("x-original-to"),
            _ => false,
        };
        if !wanted {
            continue;
        }
        let value = raw_value(raw, header);
        let value = value.trim_start_matches('<').trim_end_matches('>').trim();
        if !value.is_empty() && !out.iter().any(|v| v.eq_ignore_ascii_case(value)) {
            out.push(value.to_owned());
        }
    }
    out
}

/// Lower-case `type/subtype` of a part; text/plain when absent, as RFC 2045 says.
pub(crate) fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => "text/plain".to_owned(),
    }
}

/// One run of body: a plain version, an HTML version, or both (multipart/alternative).
#[derive(Default)]
struct Segment {
    plain: Option<String>,
    html: Option<String>,
}

/// The body text, HTML and attachments of a message, collected in document order.
struct Body<'m> {
    message: &'m Message<'m>,
    raw: &'m [u8],
    visited: Vec<bool>,
    segments: Vec<Segment>,
    attachments: Vec<Part>,
}

impl<'m> Body<'m> {
    fn collect(message: &'m Message<'m>, raw: &'m [u8]) -> Self {
        let mut body = Body { message, raw, visited: vec![false; message.parts.len()], segments: Vec::new(), attachments: Vec::new() };
        let mut segments = Vec::new();
        body.walk(0, 0, &mut segments);
        // A truncated multipart can leave parts outside the tree: keep them rather than lose
        // what the sender wrote.
        for id in 0..message.parts.len() {
            if body.visited.get(id) == Some(&false) {
                body.walk(id, MAX_DEPTH, &mut segments);
            }
        }
        body.segments = segments;
        body
    }

    fn walk(&mut self, id: usize, depth: usize, out: &mut Vec<Segment>) {
        let message = self.message;
        let Some(part) = message.parts.get(id) else {
            return;
        };
        match self.visited.get_mut(id) {
            Some(seen) if !*seen => *seen = true,
            _ => return,
        }
        let mime = mime_type(part);
        match &part.body {
            PartType::Multipart(children) if depth < MAX_DEPTH => {
                if mime == "multipart/alternative" {
                    self.alternative(children, depth, out);
                } else {
                    for child in children {
                        self.walk(*child as usize, depth + 1, out);
                    }
                }
            }
            PartType::Multipart(_) => {}
            // A multipart whose boundary could not be found or guessed: its raw body is the
            // best text there is.
            _ if mime.starts_with("multipart/") => {
                let raw = self.raw.get(part.offset_body as usize..part.offset_end as usize).unwrap_or_default();
                let text = String::from_utf8_lossy(raw);
                if !text.trim().is_empty() {
                    out.push(Segment { plain: Some(text.into_owned()), html: None });
                }
            }
            // A multipart whose boundary could not be found: mail-parser hands over its
            // body as text, and the sender's words are better shown raw than lost.
            PartType::Text(text) if is_body(part, &mime, "text/plain") || mime.starts_with("multipart/") => {
                out.push(Segment { plain: Some(text.to_string()), html: None })
            }
            PartType::Html(html) if is_body(part, &mime, "text/html") => out.push(Segment { plain: None, html: Some(html.to_string()) }),
            _ => self.attachment(part, mime),
        }
    }

    /// multipart/alternative: the first version with plain text gives the text, the last
    /// one with HTML (the richest, RFC 2046 orders them by preference) gives the HTML.
    fn alternative(&mut self, children: &[u32], depth: usize, out: &mut Vec<Segment>) {
        let versions: Vec<Vec<Segment>> = children
            .iter()
            .map(|child| {
                let mut segments = Vec::new();
                self.walk(*child as usize, depth + 1, &mut segments);
                segments
            })
            .collect();
        let plain =
            versions.iter().find(|v| v.iter().any(|s| s.plain.is_some())).map(|v| join(v.iter().filter_map(|s| s.plain.as_deref()), "\n"));
        let html = versions
            .iter()
            .rev()
            .find(|v| v.iter().any(|s| s.html.is_some()))
            .map(|v| join(v.iter().filter_map(|s| s.html.as_deref()), "\n"));
        if plain.is_some() || html.is_some() {
            out.push(Segment { plain, html });
        }
    }

    fn attachment(&mut self, part: &MessagePart<'_>, mime: String) {
        let number = self.attachments.len() + 1;
        let (data, content_type, name) = match &part.body {
            PartType::Multipart(_) => return,
            PartType::Message(nested) => {
                // Unencoded, the nested message is the part's own bytes; encoded, mail-parser
                // kept the decoded bytes in the nested message.
                let data = match part.encoding {
                    Encoding::None => self
                        .raw
                        .get(part.offset_body as usize..part.offset_end as usize)
                        .map(<[u8]>::to_vec)
                        .unwrap_or_else(|| nested.raw_message.to_vec()),
                    _ => nested.raw_message.to_vec(),
                };
                let subject = nested.subject().map(|s| format!("{}.eml", s.trim())).filter(|s| s.len() > ".eml".len());
                (data, "message/rfc822".to_owned(), subject)
            }
            PartType::Text(text) | PartType::Html(text) => (recovered_bytes(part, text), mime, None),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => (bytes.to_vec(), mime, None),
        };
        let given = name.or_else(|| part.attachment_name().map(str::to_owned));
        let default = if content_type == "text/calendar" {
            "invite.ics".to_owned()
        } else {
            format!("attachment-{number}.{}", extension(&content_type))
        };
        let filename = given.as_deref().and_then(sanitize_filename).unwrap_or(default);
        let content_id = part.content_id().and_then(clean_id);
        let inline = match part.content_disposition() {
            Some(d) if d.is_attachment() => false,
            Some(d) if d.is_inline() => true,
            _ => content_id.is_some(),
        };
        self.attachments.push(Part { filename, content_type, content_id, inline, data });
    }

    fn text(&self) -> String {
        let pieces: Vec<String> = self
            .segments
            .iter()
            .filter_map(|s| match (&s.plain, &s.html) {
                (Some(plain), _) => Some(plain.replace("\r\n", "\n")),
                (None, Some(html)) => Some(html_to_text(html)),
                (None, None) => None,
            })
            .filter(|t| !t.trim().is_empty())
            .collect();
        join(pieces.iter().map(|p| p.trim_end()), "\n\n")
    }

    fn html(&self) -> Option<String> {
        let htmls: Vec<&str> = self.segments.iter().filter_map(|s| s.html.as_deref()).collect();
        (!htmls.is_empty()).then(|| sanitize_html(&join(htmls.into_iter(), "\n")))
    }
}

/// The bytes of a part mail-parser gave as text. When it could not decode a base64 part (a
/// message cut short, no closing boundary) it hands over the encoded text: decode what is there.
fn recovered_bytes(part: &MessagePart<'_>, text: &str) -> Vec<u8> {
    let base64 = part.content_transfer_encoding().is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"));
    if part.is_encoding_problem && base64 {
        let clean: Vec<u8> = text.bytes().filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')).collect();
        // A cut in the middle of a group leaves 1 to 3 extra characters: drop them.
        let whole = clean.len() - clean.len() % 4;
        if let Some(decoded) = mail_parser::decoders::base64::base64_decode(clean.get(..whole).unwrap_or_default()) {
            return decoded;
        }
    }
    text.as_bytes().to_vec()
}

/// A text part is body (not an attachment) unless it is marked as one or carries a file name.
fn is_body(part: &MessagePart<'_>, mime: &str, wanted: &str) -> bool {
    mime == wanted && part.attachment_name().is_none() && !part.content_disposition().is_some_and(|d| d.is_attachment())
}

fn join<'a>(pieces: impl Iterator<Item = &'a str>, sep: &str) -> String {
    pieces.collect::<Vec<_>>().join(sep)
}

/// HTML to plain text with html2text; the crate's simple converter for hostile nesting or
/// when html2text refuses.
fn html_to_text(html: &str) -> String {
    let text = if html_depth(html) <= MAX_HTML_DEPTH {
        html2text::config::plain().allow_width_overflow().string_from_read(html.as_bytes(), TEXT_WIDTH).ok()
    } else {
        None
    };
    let text = text.unwrap_or_else(|| mail_parser::decoders::html::html_to_text(html));
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_owned()
}

/// An upper bound on how deep the tags of `html` nest (void elements do not count).
fn html_depth(html: &str) -> usize {
    const VOID: [&str; 14] =
        ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(offset) = bytes.get(i..).and_then(|s| s.iter().position(|b| *b == b'<')) {
        let start = i + offset + 1;
        let end = bytes.get(start..).and_then(|s| s.iter().position(|b| *b == b'>')).map_or(bytes.len(), |e| start + e);
        let tag = bytes.get(start..end).unwrap_or_default();
        if let Some(b'/') = tag.first() {
            depth = depth.saturating_sub(1);
        } else if tag.first().is_some_and(u8::is_ascii_alphabetic) && tag.last() != Some(&b'/') {
            let name_len = tag.iter().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(tag.len());
            let name = String::from_utf8_lossy(tag.get(..name_len).unwrap_or_default()).to_ascii_lowercase();
            if !VOID.contains(&name.as_str()) {
                depth += 1;
                max = max.max(depth);
            }
        }
        i = end;
    }
    max
}

/// ammonia's defaults, plus: images keep only `cid:` sources (no remote or data: images).
fn sanitize_html(html: &str) -> String {
    if html_depth(html) > MAX_HTML_DEPTH {
        // Same stack concern as html_to_text: such HTML is shown as escaped text.
        return format!("<pre>{}</pre>", ammonia::clean_text(html));
    }
    ammonia::Builder::default()
        .add_url_schemes(["cid"])
        .add_clean_content_tags(["title"])
        .attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" {
                let is_cid = value.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("cid:"));
                return is_cid.then_some(value.into());
            }
            Some(value.into())
        })
        .clean(html)
        .to_string()
}

/// A file name safe to store and offer for download: last path component, no control or
/// reserved characters, no leading dots, at most 150 characters (extension kept).
pub(crate) fn sanitize_filename(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        base.chars().map(|c| if c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c }).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '_' || c == '.') {
        return None;
    }
    const MAX: usize = 150;
    if cleaned.chars().count() <= MAX {
        return Some(cleaned.to_owned());
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.chars().count() <= 10 => (stem, Some(ext)),
        _ => (cleaned, None),
    };
    let keep = MAX - ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    Some(match ext {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    })
}

/// A file extension for a MIME type, for parts that came without a name.
fn extension(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/bmp" => "bmp",
        "image/tiff" => "tif",
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.oasis.opendocument.text" => "odt",
        "application/vnd.oasis.opendocument.spreadsheet" => "ods",
        "text/plain" => "txt",
        "text/html" => "html",
        "text/csv" => "csv",
        "text/calendar" => "ics",
        "message/rfc822" => "eml",
        "message/delivery-status" | "message/global-delivery-status" => "txt",
        "text/rfc822-headers" => "txt",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(sanitize_filename("C:\\Users\\ana\\informe año.pdf").as_deref(), Some("informe año.pdf"));
        assert_eq!(sanitize_filename("a\u{0}b\r\n.txt").as_deref(), Some("a_b__.txt"));
        assert_eq!(sanitize_filename("...").as_deref(), None);
        assert_eq!(sanitize_filename("  ").as_deref(), None);
        let long = format!("{}.pdf", "x".repeat(400));
        let cut = sanitize_filename(&long).expect("a long name is cut, not refused");
        assert_eq!(cut.chars().count(), 150);
        assert!(cut.ends_with(".pdf"));
    }

    #[test]
    fn html_depth_counts_nesting_not_tags() {
        assert_eq!(html_depth("<p>a<br>b<img src=x></p><p>c</p>"), 1);
        assert_eq!(html_depth("<div><div><span>x</span></div></div>"), 3);
        assert_eq!(html_depth(&"<div>".repeat(1000)), 1000);
        assert_eq!(html_depth("a < b > c"), 0);
    }

    #[test]
    fn sanitised_html_keeps_cid_images_only() {
        let html = r#"<p onclick="x()">Hola</p><script>alert(1)</script><img src="cid:logo@x"><img src="https://tracker.example/p.gif"><img src="data:image/png;base64,AAAA"><a href="https://intranet.example/vpn">VPN</a>"#;
        let clean = sanitize_html(html);
        assert!(clean.contains(r#"<img src="cid:logo@x">"#), "{clean}");
        assert!(!clean.contains("tracker"), "{clean}");
        assert!(!clean.contains("data:"), "{clean}");
        assert!(!clean.contains("script"), "{clean}");
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(clean.contains(r#"href="https://intranet.example/vpn""#), "{clean}");
    }

    #[test]
    fn deeply_nested_html_does_not_exhaust_the_stack() {
        let html = format!("{}¡Hola!{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
        assert_eq!(html_to_text(&html), "¡Hola!");
        assert!(sanitize_html(&html).starts_with("<pre>"));
    }

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        let mut text = "contraseña".to_owned();
        truncate_chars(&mut text, 9);
        assert_eq!(text, "contraseñ");
        truncate_chars(&mut text, 100);
        assert_eq!(text, "contraseñ");
    }
}
