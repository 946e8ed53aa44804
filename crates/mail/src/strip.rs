//! The new text of a reply, without the history its mail client quoted below it.

/// The new text of a reply: `text` cut at the first line that starts the quoted history, and
/// without a trailing `>`-quoted block. Cut points, in the order they appear:
/// - a line containing one of `markers` (our "reply above this line" line, any language);
/// - an attribution line: "On … wrote:", "El … escribió:", "Le … a écrit :" (also when the
///   client wrapped it over two lines);
/// - Outlook's header block: "De:/From:" followed within a few lines by "Enviado el:/Sent:/
///   Fecha:/Date:" and "Para:/To:/Asunto:/Subject:" (with the "____" rule above it, if any);
/// - "-----Mensaje original-----", "-----Original Message-----", "-----Message d'origine-----".
///
/// Trailing whitespace is trimmed. When the cut leaves nothing (a reply written below the
/// quote, or a message that is only a quote), the whole text is returned, trimmed at the end.
pub fn new_text<'a>(text: &'a str, markers: &[&str]) -> &'a str {
    let markers: Vec<String> = markers.iter().map(|m| m.trim().to_lowercase()).filter(|m| !m.is_empty()).collect();
    let lines: Vec<(usize, &str)> = line_offsets(text);
    let mut end = text.len();
    for (index, (offset, line)) in lines.iter().enumerate() {
        let next = lines.get(index + 1).map(|(_, l)| *l);
        let following: Vec<&str> = lines.iter().skip(index + 1).take(6).map(|(_, l)| *l).collect();
        let lower = line.to_lowercase();
        if markers.iter().any(|m| lower.contains(m.as_str())) || is_attribution(line, next) || is_original_message_rule(line) {
            end = *offset;
            break;
        }
        if is_outlook_header(line, &following) {
            end = match index.checked_sub(1).and_then(|i| lines.get(i)) {
                Some((prev_offset, prev)) if is_rule(prev) => *prev_offset,
                _ => *offset,
            };
            break;
        }
    }
    let kept = drop_trailing_quote(text.get(..end).unwrap_or(text));
    if kept.trim().is_empty() { text.trim_end() } else { kept }
}

/// Each line with the byte offset where it starts.
fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n')
        .map(|raw| {
            let start = offset;
            offset += raw.len();
            (start, raw.trim_end_matches(['\n', '\r']))
        })
        .collect()
}

/// The text without a block of `>`-quoted (or empty) lines at its end.
fn drop_trailing_quote(text: &str) -> &str {
    let mut body = text.trim_end();
    loop {
        let start = body.rfind('\n').map_or(0, |i| i + 1);
        let last = body.get(start..).unwrap_or_default().trim();
        if body.is_empty() || !last.starts_with('>') {
            return body;
        }
        if start == 0 {
            return "";
        }
        // `start - 1` is the '\n' before the quoted line: an ASCII byte, so a char boundary.
        body = body.get(..start - 1).unwrap_or_default().trim_end();
    }
}

/// Leading markup that clients and html2text put before a header name ("*De:*", "> From:").
fn bare(line: &str) -> &str {
    line.trim().trim_start_matches(['*', '_', ' ', '\u{a0}']).trim()
}

fn starts_with_ci(line: &str, prefix: &str) -> bool {
    line.get(..prefix.len()).is_some_and(|s| s.eq_ignore_ascii_case(prefix))
}

const ATTRIBUTION_ENDINGS: [&str; 6] = ["wrote:", "escribió:", "escribio:", "a écrit :", "a écrit:", "ha escrito:"];

fn is_attribution(line: &str, next: Option<&str>) -> bool {
    let line = bare(line.trim().trim_start_matches('>'));
    let starts = ["on ", "el ", "le ", "en "].iter().any(|p| starts_with_ci(line, p));
    if !starts {
        return false;
    }
    let ends = |l: &str| {
        let l = l.trim().trim_end_matches('*').trim_end().to_lowercase();
        ATTRIBUTION_ENDINGS.iter().any(|e| l.ends_with(e))
    };
    // Gmail wraps a long attribution before the address; one more line is enough.
    ends(line) || (line.chars().count() < 200 && next.is_some_and(|n| n.len() < 200 && ends(n)))
}

fn is_original_message_rule(line: &str) -> bool {
    let trimmed = line.trim();
    if !trimmed.starts_with("---") {
        return false;
    }
    let words = trimmed.trim_matches(|c: char| c == '-' || c.is_whitespace());
    ["mensaje original", "original message", "message d'origine"].iter().any(|w| words.eq_ignore_ascii_case(w))
}

fn is_rule(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.len() >= 10 && trimmed.chars().all(|c| c == '_' || c == '-')
}

/// "De: Ana <ana@…>" followed by the sent and subject/to lines of Outlook's quoted header.
fn is_outlook_header(line: &str, following: &[&str]) -> bool {
    let has = |line: &str, names: &[&str]| {
        let line = bare(line);
        names.iter().any(|n| starts_with_ci(line, n))
    };
    if !has(line, &["de:", "from:", "von:", "de :"]) {
        return false;
    }
    let sent = following.iter().any(|l| has(l, &["enviado el:", "enviado:", "sent:", "fecha:", "date:", "envoyé :", "envoyé:"]));
    let other = following.iter().any(|l| has(l, &["para:", "to:", "asunto:", "subject:", "cc:", "à :", "objet :"]));
    sent && other
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKERS: [&str; 2] = ["## Responda por encima de esta línea ##", "## Reply above this line ##"];

    #[test]
    fn cuts_at_our_marker_line() {
        let text =
            "La impresora ya funciona, gracias.\n\n> ## Responda por encima de esta línea ##\n> Su solicitud #000042 fue resuelta.\n";
        assert_eq!(new_text(text, &MARKERS), "La impresora ya funciona, gracias.");
        let text = "Thanks!\n## REPLY ABOVE THIS LINE ##\nTicket resolved.";
        assert_eq!(new_text(text, &MARKERS), "Thanks!");
    }

    #[test]
    fn gmail_spanish_attribution() {
        let text = "Sigue sin conectar la VPN desde casa.\n\nEl lun, 3 mar 2025 a las 10:15, Mesa de Ayuda (<soporte@example.es>) escribió:\n> ¿Puede probar de nuevo?\n";
        assert_eq!(new_text(text, &MARKERS), "Sigue sin conectar la VPN desde casa.");
    }

    #[test]
    fn gmail_attribution_wrapped_over_two_lines() {
        let text = "Yes, it works now.\n\nOn Mon, Mar 3, 2025 at 10:15 AM IT Service Desk <\nservicedesk@example.org> wrote:\n> Please try again.\n";
        assert_eq!(new_text(text, &MARKERS), "Yes, it works now.");
    }

    #[test]
    fn english_and_french_attributions() {
        let text = "Done.\nOn 03/03/2025 10:15, Service Desk wrote:\n> old";
        assert_eq!(new_text(text, &MARKERS), "Done.");
        let text = "Merci.\n\nLe lun. 3 mars 2025 à 10:15, Support <s@x.fr> a écrit :\n> ancien";
        assert_eq!(new_text(text, &MARKERS), "Merci.");
    }

    #[test]
    fn outlook_spanish_header_block() {
        let text = "Adjunto la captura del error de contraseña.\n\nSaludos,\nLuis\n\n________________________________\nDe: Mesa de Ayuda <soporte@example.es>\nEnviado el: lunes, 3 de marzo de 2025 10:15\nPara: Luis Núñez <luis@example.es>\nAsunto: RE: [#000042] Contraseña caducada\n\nBuenos días, ¿puede enviar una captura?\n";
        assert_eq!(new_text(text, &MARKERS), "Adjunto la captura del error de contraseña.\n\nSaludos,\nLuis");
    }

    #[test]
    fn outlook_english_header_block_with_bold_markup() {
        let text = "Printer on floor 2 is fixed.\r\n\r\n*From:* Service Desk <desk@example.org>\r\n*Sent:* Monday, March 3, 2025 10:15 AM\r\n*To:* Ana <ana@example.org>\r\n*Subject:* RE: Printer\r\n\r\nold text";
        assert_eq!(new_text(text, &MARKERS), "Printer on floor 2 is fixed.");
    }

    #[test]
    fn original_message_rules() {
        let text = "Ok, cerrado.\n-----Mensaje original-----\nDe: x\n";
        assert_eq!(new_text(text, &MARKERS), "Ok, cerrado.");
        let text = "Fine.\n\n----- Original Message -----\nFrom: x";
        assert_eq!(new_text(text, &MARKERS), "Fine.");
    }

    #[test]
    fn trailing_quote_without_attribution() {
        let text = "Gracias, ya imprime.\n\n> Reinicie la impresora.\n>\n> Mesa de ayuda\n\n";
        assert_eq!(new_text(text, &MARKERS), "Gracias, ya imprime.");
    }

    #[test]
    fn interleaved_quotes_keep_the_answers() {
        let text = "> ¿Qué impresora?\nLa del segundo piso.\n> ¿Desde cuándo?\nDesde ayer.\n> Gracias";
        assert_eq!(new_text(text, &MARKERS), "> ¿Qué impresora?\nLa del segundo piso.\n> ¿Desde cuándo?\nDesde ayer.");
    }

    #[test]
    fn nothing_left_gives_the_whole_text() {
        let text = "El lun, 3 mar 2025, Soporte escribió:\n> antiguo\n\nRespuesta debajo.  \n";
        assert_eq!(new_text(text, &MARKERS), "El lun, 3 mar 2025, Soporte escribió:\n> antiguo\n\nRespuesta debajo.");
        assert_eq!(new_text("", &MARKERS), "");
        assert_eq!(new_text("> solo cita", &MARKERS), "> solo cita");
    }

    #[test]
    fn plain_text_is_kept_whole() {
        let text = "El equipo no enciende.\nEl monitor parpadea.\nDe: nada más que decir.";
        assert_eq!(new_text(text, &MARKERS), text);
        assert_eq!(new_text("Hola  \n\n", &[]), "Hola");
    }
}
