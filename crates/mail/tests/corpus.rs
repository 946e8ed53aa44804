//! The hand-written corpus under `tests/mail/` (repository root): each file parsed, and the
//! fields a helpdesk relies on checked exactly.

#[path = "corpus/robustness.rs"]
mod robustness;

use tikal_mail::{Address, Automatic, Inbound, Limits, ParseError, SubjectTag, new_text, parse};

const MARKERS: [&str; 2] = ["## Responda por encima de esta línea ##", "## Reply above this line ##"];

fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mail")
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(name)).expect("corpus file is readable")
}

fn parsed(name: &str) -> Inbound {
    parse(&load(name), &Limits::default()).expect("corpus message parses")
}

fn addr(email: &str, name: Option<&str>) -> Address {
    Address { email: email.to_owned(), name: name.map(str::to_owned) }
}

fn tag() -> SubjectTag {
    SubjectTag::new("[#{number}]").expect("valid tag format")
}

#[test]
fn latin1_quoted_printable() {
    let m = parsed("es_latin1_qp.eml");
    assert_eq!(m.from, Some(addr("begona.nunez@example.es", Some("Begoña Núñez Ibáñez"))));
    assert_eq!(m.subject, "La impresora no imprime ¿pueden revisarla?");
    assert_eq!(m.to, [addr("soporte@example.es", Some("Mesa de Ayuda"))]);
    assert_eq!(m.delivered_to, ["soporte@example.es"]);
    assert_eq!(m.message_id.as_deref(), Some("20250303091234.4521@pc-secretaria.example.es"));
    assert_eq!(m.date, Some(1_740_989_554));
    assert_eq!(
        m.text,
        "Buenos días:\n\nLa impresora de la segunda planta (HP LaserJet, aula 2.14) no imprime desde ayer.\n\
         ¿Pueden revisarla? Muestra el mensaje «Atasco de papel» aunque la bandeja está vacía.\n\n\
         Un saludo,\nBegoña Núñez Ibáñez\nSecretaría General - Ext. 4521"
    );
    assert_eq!(m.html, None);
    assert!(m.attachments.is_empty());
    assert_eq!(m.automatic, None);
    assert_eq!(m.bounce, None);
}

#[test]
fn windows_1252_base64() {
    let m = parsed("es_windows1252_base64.eml");
    assert_eq!(m.from, Some(addr("ja.pena@example.es", Some("José Antonio Peña"))));
    assert_eq!(m.subject, "VPN “Corporativa” — error 809");
    assert_eq!(m.date, Some(1_741_110_300));
    assert_eq!(
        m.text,
        "Hola:\n\nEl portátil no conecta a la VPN “Corporativa” — sale el error 809.\n\
         Ya reinicié el router de casa. ¡Es urgente, mañana tengo teletrabajo!\n\
         Coste del módem nuevo, si hiciera falta: 45 €.\n\nJosé Antonio Peña"
    );
}

#[test]
fn utf8_encoded_words_and_address_lists() {
    let m = parsed("es_utf8_rfc2047_subject.eml");
    assert_eq!(m.subject, "¿Cómo cambio mi contraseña del correo?");
    assert_eq!(m.from, Some(addr("ml.gutierrez@example.es", Some("María Luisa Gutiérrez"))));
    assert_eq!(m.reply_to, Some(addr("contratacion@example.es", Some("Contratación (buzón compartido)"))));
    assert_eq!(m.to, [addr("soporte@example.es", Some("Mesa de Ayuda")), addr("jefe.area@example.es", Some("Jefe de Área")),]);
    assert_eq!(m.cc, [addr("ana.lopez@example.es", None), addr("luis.perez@example.es", Some("Pérez, Luis")),]);
    assert_eq!(m.delivered_to, ["mesa+contratacion@example.es", "soporte@example.es"]);
    assert_eq!(m.message_id.as_deref(), Some("CAF=ml.gutierrez.001@mail.example.es"));
    assert_eq!(m.date, Some(1_741_161_662));
    assert!(m.text.starts_with("Hola, equipo de la mesa de ayuda:\n\n¿Cómo cambio"));
    assert!(m.text.ends_with("María Luisa Gutiérrez\nÁrea de Contratación Pública"));
}

#[test]
fn gmail_reply_in_spanish() {
    let m = parsed("gmail_reply_es.eml");
    assert_eq!(m.from, Some(addr("sofia.martin.ext@gmail.com", Some("Sofía Martín"))));
    assert_eq!(m.in_reply_to, ["ticket-000042-r1@mesa.example.es"]);
    assert_eq!(m.references, ["ticket-000042@mesa.example.es", "ticket-000042-r1@mesa.example.es"]);
    assert_eq!(m.subject, "Re: [#000042] La VPN no abre la intranet");
    assert_eq!(tag().find(&m.subject).as_deref(), Some("000042"));
    assert_eq!(tag().strip(&m.subject), "La VPN no abre la intranet");
    // text/plain is preferred over the HTML alternative for the text.
    assert!(m.text.contains("> Hola Sofía:"), "{}", m.text);
    assert_eq!(
        new_text(&m.text, &MARKERS),
        "Sigue sin funcionar: la VPN conecta pero no abre la intranet.\nLes adjunto más detalles mañana."
    );
    let html = m.html.expect("the HTML alternative is kept");
    assert!(html.contains("<blockquote>"), "{html}");
    assert!(!html.contains("style="), "{html}");
    assert!(m.attachments.is_empty());
}

#[test]
fn outlook_reply_in_spanish() {
    let m = parsed("outlook_reply_es.eml");
    assert_eq!(m.from, Some(addr("luis.nunez@example.es", Some("Luis Núñez"))));
    assert_eq!(m.subject, "RE: [#000043] Contraseña caducada");
    assert_eq!(tag().find(&m.subject).as_deref(), Some("000043"));
    assert_eq!(tag().strip(&m.subject), "Contraseña caducada");
    assert_eq!(m.in_reply_to, ["ticket-000043@mesa.example.es"]);
    assert_eq!(m.date, Some(1_740_997_865));
    assert_eq!(
        new_text(&m.text, &MARKERS),
        "Buenos días:\n\nYa he podido entrar con la contraseña nueva, gracias. Pueden cerrar la solicitud.\n\n\
         Saludos,\nLuis Núñez\nServicio de Personal"
    );
    let html = m.html.expect("HTML kept");
    assert!(!html.contains("<style"), "{html}");
    assert!(!html.contains("MsoNormal"), "{html}");
    assert!(html.contains("<b>Enviado el:</b>"), "{html}");
}

#[test]
fn outlook_reply_in_english_html_only() {
    let m = parsed("outlook_reply_en.eml");
    assert_eq!(m.to, [addr("servicedesk@example.org", Some("IT Service Desk"))]);
    assert_eq!(tag().find(&m.subject).as_deref(), Some("000044"));
    // HTML-only: the text comes from html2text, and the reply stripper understands it.
    assert_eq!(
        new_text(&m.text, &MARKERS),
        "Hi,\n\nThe shared mailbox is still full after the clean-up. Could you raise the quota?\n\nThanks,\nPeter Walsh"
    );
    assert!(m.text.contains("Hello Peter, please delete old items first."));
}

#[test]
fn thunderbird_latin9_bottom_quote() {
    let m = parsed("thunderbird_reply_quoted.eml");
    assert_eq!(m.from, Some(addr("alvaro.munoz@example.es", Some("Álvaro Muñoz"))));
    assert_eq!(m.subject, "Re: [#000045] Escáner no envía correos");
    assert_eq!(m.references, ["ticket-000045@mesa.example.es", "ticket-000045-r1@mesa.example.es"]);
    assert_eq!(
        new_text(&m.text, &MARKERS),
        "Buenas tardes:\n\nEl escáner de la tercera planta ya envía al correo. \
         Gracias por la ayuda, el coste (0 €) es perfecto.\n\nÁlvaro"
    );
}

#[test]
fn html_only_is_converted_and_sanitised() {
    let m = parsed("html_only.eml");
    assert!(m.text.contains("Solicitud de alta"), "{}", m.text);
    assert!(m.text.contains("Mi jefa, Ángela Ruiz, ya lo autorizó. ¿Cuánto tardará?"), "{}", m.text);
    assert!(m.text.contains("https://intranet.example.es/solicitudes/781"), "links survive as text: {}", m.text);
    assert!(!m.text.contains("document.cookie"), "{}", m.text);
    assert!(!m.text.contains("color:red"), "{}", m.text);
    let html = m.html.expect("HTML kept");
    for banned in ["<script", "cookie", "onload", "onclick", "<style", "seguimiento", "Aviso"] {
        assert!(!html.contains(banned), "{banned} left in {html}");
    }
    assert!(html.contains("<b>acceso</b>"), "{html}");
    assert!(html.contains(r#"<a href="https://intranet.example.es/solicitudes/781" rel="noopener noreferrer">"#), "{html}");
}

#[test]
fn inline_image_by_content_id() {
    let m = parsed("inline_image_cid.eml");
    assert_eq!(m.from, Some(addr("ines.garcia@example.es", Some("Inés García"))));
    assert_eq!(m.text, "Adjunto captura del error al abrir el correo:\n\n[captura]\n\nInés");
    let html = m.html.expect("HTML kept");
    assert!(html.contains(r#"src="cid:captura.1741251600@example.es""#), "{html}");
    let [image] = m.attachments.as_slice() else {
        panic!("one inline image expected: {:?}", m.attachments);
    };
    assert_eq!(image.filename, "captura_error.png");
    assert_eq!(image.content_type, "image/png");
    assert_eq!(image.content_id.as_deref(), Some("captura.1741251600@example.es"));
    assert!(image.inline);
    assert!(image.data.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(image.data.len(), 71);
}

#[test]
fn attachment_names_rfc2231_and_paths() {
    let m = parsed("attachment_rfc2231_filename.eml");
    assert_eq!(m.from, Some(addr("rosa.jimenez@example.es", Some("Rosa Jiménez"))));
    assert_eq!(m.subject, "Informe del año e inventario");
    assert_eq!(m.text, "Les envío el informe del año y el inventario de equipos averiados.");
    let names: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert_eq!(names, ["informe_año.pdf", "solicitud_última_versión.odt", "inventario.csv", "attachment-4.bin"]);
    let types: Vec<&str> = m.attachments.iter().map(|a| a.content_type.as_str()).collect();
    assert_eq!(types, ["application/pdf", "application/vnd.oasis.opendocument.text", "text/csv", "application/octet-stream"]);
    assert!(m.attachments.iter().all(|a| !a.inline && a.content_id.is_none()));
    assert!(m.attachments[0].data.starts_with(b"%PDF-1.4\n% informe anual"));
    let all_bytes: Vec<u8> = (0..=255).collect();
    assert_eq!(m.attachments[1].data, all_bytes, "binary survives base64 exactly");
    assert_eq!(String::from_utf8_lossy(&m.attachments[2].data), "equipo;ubicación;estado\nPC-0142;Planta 1;averiado\n");
    assert_eq!(m.attachments[3].data, b"sin nombre");
}

#[test]
fn forwarded_message_kept_whole() {
    let m = parsed("forwarded_rfc822.eml");
    assert_eq!(m.subject, "RV: Corte programado del servicio de correo");
    assert_eq!(m.text, "Les reenvío el aviso del proveedor para que lo publiquen en la intranet.");
    let [eml] = m.attachments.as_slice() else {
        panic!("one forwarded message expected: {:?}", m.attachments);
    };
    assert_eq!(eml.filename, "Corte programado del servicio de correo.eml");
    assert_eq!(eml.content_type, "message/rfc822");
    let raw = String::from_utf8_lossy(&eml.data);
    assert!(raw.starts_with("From: Proveedor de Correo <avisos@proveedor.example.com>"), "{raw}");
    assert!(raw.contains("Message-ID: <aviso-corte-2025-03@proveedor.example.com>"));
    assert!(!raw.contains("--fwd-boundary"), "{raw}");
    // The nested message is a stand-alone, parseable message.
    let nested = parse(&eml.data, &Limits::default()).expect("the .eml parses");
    assert_eq!(nested.text, "El sábado 15 de marzo, de 22:00 a 02:00, el servicio de correo no estará disponible por mantenimiento.");
}

#[test]
fn base64_forwarded_message_is_decoded() {
    let inner = "From: a@example.es\r\nSubject: Impresora\r\n\r\nSin t\u{f3}ner.\r\n";
    let raw = format!(
        "From: b@example.es\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nVa adjunto.\r\n\
         --b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64_encode(inner.as_bytes())
    );
    let m = parse(raw.as_bytes(), &Limits::default()).expect("parses");
    let [eml] = m.attachments.as_slice() else {
        panic!("one attachment expected: {:?}", m.attachments);
    };
    assert_eq!(eml.filename, "Impresora.eml");
    assert_eq!(eml.content_type, "message/rfc822");
    assert_eq!(eml.data, inner.as_bytes());
}

/// Small base64 encoder so the test needs no extra dependency.
fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn calendar_invitation_becomes_an_ics_attachment() {
    let m = parsed("calendar_invite.eml");
    assert_eq!(m.subject, "Invitación: Migración del correo");
    assert_eq!(m.text, "Sesión informativa sobre la migración del correo, lunes 17 a las 10:00.");
    assert!(m.html.is_some_and(|h| h.contains("<b>migración del correo</b>")));
    let [ics] = m.attachments.as_slice() else {
        panic!("one invitation expected: {:?}", m.attachments);
    };
    assert_eq!(ics.filename, "invite.ics");
    assert_eq!(ics.content_type, "text/calendar");
    let text = String::from_utf8_lossy(&ics.data);
    assert!(text.starts_with("BEGIN:VCALENDAR"));
    assert!(text.contains("SUMMARY:Migración del correo: sesión informativa"));
    assert!(text.contains("LOCATION:Sala de formación, 1ª planta"));
}

#[test]
fn out_of_office_is_automatic() {
    let m = parsed("auto_reply_out_of_office.eml");
    assert_eq!(m.automatic, Some(Automatic::AutoSubmitted("auto-replied".to_owned())));
    assert_eq!(m.bounce, None);
    assert_eq!(m.subject, "Respuesta automática: [#000046] Teléfono sin línea");
    assert_eq!(tag().find(&m.subject).as_deref(), Some("000046"));
    assert_eq!(m.in_reply_to, ["ticket-000046-r2@mesa.example.es"]);
}

#[test]
fn bulk_and_list_mail_are_automatic() {
    let bulk = parsed("precedence_bulk.eml");
    assert_eq!(bulk.automatic, Some(Automatic::Precedence("bulk".to_owned())));
    assert_eq!(bulk.subject, "Boletín de marzo: novedades informáticas");
    assert_eq!(bulk.text, "Este mes: nuevas impresoras en la planta baja y cambio de contraseñas cada 90 días.");
    let list = parsed("mailing_list.eml");
    assert_eq!(list.automatic, Some(Automatic::MailingList));
    assert_eq!(list.subject, "[informatica] Actualización del antivirus");
    assert_eq!(list.to, [addr("informatica@lists.example.es", Some("Lista Informática"))]);
}

#[test]
fn postfix_delivery_status_notification() {
    let m = parsed("bounce_dsn_postfix.eml");
    assert_eq!(m.automatic, Some(Automatic::Bounce));
    let bounce = m.bounce.expect("a bounce");
    assert_eq!(bounce.recipients, ["pedro.gomes@example.es"]);
    assert_eq!(bounce.status.as_deref(), Some("5.1.1"));
    assert_eq!(
        bounce.diagnostic.as_deref(),
        Some("550 5.1.1 <pedro.gomes@example.es>: Recipient address rejected: User unknown in virtual mailbox table")
    );
    assert_eq!(bounce.original_message_id.as_deref(), Some("ticket-000047-r1@mesa.example.es"));
    assert_eq!(m.from, Some(addr("MAILER-DAEMON@correo.example.es", Some("Mail Delivery System"))));
    assert!(m.text.starts_with("This is the mail system at host correo.example.es."));
    let types: Vec<&str> = m.attachments.iter().map(|a| a.content_type.as_str()).collect();
    assert_eq!(types, ["message/delivery-status", "text/rfc822-headers"]);
}

#[test]
fn exchange_spanish_plain_text_bounce() {
    let m = parsed("bounce_exchange_spanish.eml");
    assert_eq!(m.automatic, Some(Automatic::Bounce));
    let bounce = m.bounce.expect("recognised by the heuristic");
    // soporte@example.es is in the copied headers below the cut, so it is not a recipient.
    assert_eq!(bounce.recipients, ["pedro.gomez@example.es"]);
    assert_eq!(bounce.status.as_deref(), Some("5.1.10"));
    assert!(bounce.diagnostic.as_deref().is_some_and(|d| d.contains("RecipientNotFound")), "{bounce:?}");
    assert_eq!(bounce.original_message_id.as_deref(), Some("ticket-000048-r3@mesa.example.es"));
    assert!(m.text.contains("La dirección de correo electrónico que escribió no se encontró."));
}

#[test]
fn ordinary_mail_from_a_person_is_not_a_bounce() {
    for name in ["es_latin1_qp.eml", "gmail_reply_es.eml", "no_from.eml"] {
        let m = parsed(name);
        assert_eq!(m.bounce, None, "{name}");
        assert_eq!(m.automatic, None, "{name}");
    }
}

#[test]
fn multipart_without_boundary_is_repaired() {
    let m = parsed("malformed_no_boundary.eml");
    assert_eq!(m.from, Some(addr("tomas.ferrer@example.es", Some("Tomás Ferrer"))));
    assert_eq!(m.subject, "El escáner no funciona");
    assert_eq!(m.text, "El escáner no funciona desde la actualización.");
    assert!(m.attachments.is_empty());
}

#[test]
fn multipart_without_any_visible_boundary_keeps_its_text() {
    let raw = "From: a@example.es\r\nContent-Type: multipart/mixed\r\n\r\nLa impresora está apagada.\r\n";
    let m = parse(raw.as_bytes(), &Limits::default()).expect("parses");
    assert_eq!(m.text, "La impresora está apagada.");
}

#[test]
fn truncated_multipart_keeps_what_arrived() {
    let m = parsed("malformed_truncated_multipart.eml");
    assert_eq!(m.subject, "Teléfono sin línea");
    assert_eq!(m.text, "El teléfono del despacho 3.07 no tiene línea.");
    let [photo] = m.attachments.as_slice() else {
        panic!("the cut attachment is kept: {:?}", m.attachments);
    };
    assert_eq!(photo.filename, "foto.jpg");
    assert!(photo.data.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]));
}

#[test]
fn message_without_from() {
    let m = parsed("no_from.eml");
    assert_eq!(m.from, None);
    assert_eq!(m.subject, "Sin remitente: ¿quién soy?");
    assert_eq!(m.text, "Este mensaje llegó sin cabecera From. ¡Cuidado!");
    assert_eq!(m.to, [addr("soporte@example.es", None)]);
}

#[test]
fn huge_headers() {
    let m = parsed("huge_header.eml");
    assert_eq!(m.subject, "Contraseña Contraseña Contraseña Contraseña Contraseña");
    assert_eq!(m.references.len(), 400);
    assert_eq!(m.references[0], "hilo-0000@mesa.example.es");
    assert_eq!(m.references[399], "hilo-0399@mesa.example.es");
    assert_eq!(m.text, "Cabeceras enormes, cuerpo corto.");
    assert_eq!(m.from, Some(addr("pruebas@example.es", Some("Sistema de Pruebas"))));
}

#[test]
fn size_is_refused_before_parsing() {
    let raw = load("attachment_rfc2231_filename.eml");
    let limits = Limits { max_bytes: 100, ..Limits::default() };
    assert_eq!(parse(&raw, &limits), Err(ParseError::TooLarge { size: raw.len(), max: 100 }));
}

#[test]
fn part_count_is_capped() {
    let raw = load("attachment_rfc2231_filename.eml");
    let limits = Limits { max_parts: 3, ..Limits::default() };
    assert_eq!(parse(&raw, &limits), Err(ParseError::TooManyParts { max: 3 }));
    let limits = Limits { max_parts: 6, ..Limits::default() };
    assert!(parse(&raw, &limits).is_ok(), "root + 5 parts fit in 6");
}

#[test]
fn text_is_truncated_to_the_limit() {
    let raw = load("es_latin1_qp.eml");
    let limits = Limits { max_text_chars: 12, ..Limits::default() };
    let m = parse(&raw, &limits).expect("parses");
    assert_eq!(m.text, "Buenos días:");
}

#[test]
fn not_mail_at_all() {
    let limits = Limits::default();
    assert_eq!(parse(b"", &limits), Err(ParseError::Unreadable));
    assert_eq!(parse(b"\r\n\r\n", &limits), Err(ParseError::Unreadable));
    assert_eq!(parse(b"\x00\x01\x02\xff\xfe", &limits), Err(ParseError::Unreadable));
    assert_eq!(parse("hola, la impresora\nno funciona\n".as_bytes(), &limits), Err(ParseError::Unreadable));
}

#[test]
fn null_sender_is_automatic() {
    let raw = "Return-Path: <>\r\nFrom: avisos@example.es\r\nSubject: Aviso\r\n\r\nTexto\r\n";
    let m = parse(raw.as_bytes(), &Limits::default()).expect("parses");
    assert_eq!(m.automatic, Some(Automatic::NullSender));
    assert_eq!(m.bounce, None);
}
