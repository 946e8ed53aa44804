//! Mail intake end to end on the real database: raw messages in (the service the pollers call,
//! and `tikal mail ingest` as an MTA pipes), tickets and thread entries out; each message
//! imported once; what cannot be imported kept in quarantine.

use std::io::Write;
use std::process::{Command, Stdio};

use tikal_core::mail_intake::InboundStatus;
use tikal_core::thread::EventKind;
use tikal_core::{EntryKind, TicketNumber};
use tikal_service::{Ingested, MailSource, Principal};
use tikal_testkit::TestApp;

/// A message as a mail client writes it.
fn message(from: &str, subject: &str, id: &str, in_reply_to: Option<&str>, extra: &str, body: &str) -> Vec<u8> {
    let reply = in_reply_to.map(|r| format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n")).unwrap_or_default();
    format!(
        "From: {from}\r\nTo: Mesa de Ayuda <soporte@gob.example>\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{reply}{extra}\
         Date: Mon, 3 Mar 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/mail/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `tikal mail ingest` on the app's database, as an MTA's pipe starts it (the message goes to
/// its standard input).
fn mail_ingest(dir: &std::path::Path, db: &str, stderr: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tikal"))
        .args(["mail", "ingest"])
        .env("TIKAL_DATA_DIR", dir)
        .env("TIKAL_DATABASE_URL", db)
        .env("TIKAL_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn tikal")
}

async fn ingest(app: &TestApp, raw: Vec<u8>) -> Ingested {
    app.desk.ingest_mail(MailSource::Pipe, raw.into()).await.expect("ingest")
}

async fn opened(app: &TestApp, raw: Vec<u8>) -> TicketNumber {
    match ingest(app, raw).await {
        Ingested::Opened(n) => n,
        other => panic!("expected a new ticket, got {other:?}"),
    }
}

async fn entries(app: &TestApp, n: &TicketNumber) -> Vec<tikal_core::thread::ThreadEntry> {
    app.desk.thread(&Principal::System, n).await.expect("thread").1
}

fn bodies(entries: &[tikal_core::thread::ThreadEntry], kind: EntryKind) -> Vec<String> {
    entries.iter().filter(|e| e.kind == kind).filter_map(|e| e.body.clone()).collect()
}

#[tokio::test]
async fn a_new_mail_opens_a_ticket_once_with_its_accents_and_files() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let raw = corpus("es_latin1_qp.eml");
    let n = opened(&app, raw.clone()).await;
    let (t, thread, files) = app.desk.thread(&Principal::System, &n).await.expect("thread");
    assert_eq!(t.channel, tikal_core::Channel::Email);
    let first = bodies(&thread, EntryKind::Message).remove(0);
    assert!(first.chars().any(|c| "áéíóúñ".contains(c)), "accents decoded: {first}");
    assert!(files.is_empty());
    // The MTA retries, a second account holds the same message: one ticket.
    assert_eq!(ingest(&app, raw).await, Ingested::Duplicate(Some(n.clone())));

    let with_file = corpus("attachment_rfc2231_filename.eml");
    let n2 = opened(&app, with_file).await;
    let (_, _, files) = app.desk.thread(&Principal::System, &n2).await.expect("thread");
    assert!(files.iter().any(|f| f.filename.contains("año")), "RFC 2231 name kept: {files:?}");
}

#[tokio::test]
async fn replies_thread_by_reference_and_by_tag_but_a_guessed_number_opens_nothing() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let from = "Sofía Martín <sofia.martin@gob.example>";
    let n = opened(&app, message(from, "La VPN no abre la intranet", "m1@gob.example", None, "", "No conecta desde casa.")).await;

    let reply = String::from(
        "Sigue igual.\r\n\r\nEl lun, 3 mar 2025 a las 10:15, Mesa de Ayuda escribió:\r\n> — Responda por encima de esta línea —\r\n> Hola",
    );
    let r = ingest(&app, message("sofia.martin@gob.example", "Re: La VPN", "m2@gob.example", Some("m1@gob.example"), "", &reply)).await;
    assert_eq!(r, Ingested::Added(n.clone()));
    let msgs = bodies(&entries(&app, &n).await, EntryKind::Message);
    assert_eq!(msgs.last().map(String::as_str), Some("Sigue igual."), "the quoted history is cut");

    let tagged = format!("Re: [#{n}] La VPN");
    let above = "Ya funciona, gracias.\r\n\r\n— Responda por encima de esta línea —\r\nHola Sofía: hemos reiniciado la VPN.";
    let r = ingest(&app, message(from, &tagged, "m3@gob.example", None, "", above)).await;
    assert_eq!(r, Ingested::Added(n.clone()), "the requester's tag threads");
    let msgs = bodies(&entries(&app, &n).await, EntryKind::Message);
    assert_eq!(msgs.last().map(String::as_str), Some("Ya funciona, gracias."), "cut at our marker");

    // The administrator's own tag format is the one looked for.
    let r = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&serde_json::json!({"mail_subject_tag": "[UIT {number}]"}))
        .send()
        .await
        .expect("put");
    assert!(r.status().is_success());
    let theirs = format!("RE: [UIT {n}] La VPN");
    assert_eq!(ingest(&app, message(from, &theirs, "m5@gob.example", None, "", "Una cosa más.")).await, Ingested::Added(n.clone()));
    let bad = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&serde_json::json!({"mail_subject_tag": "{number}"}))
        .send()
        .await
        .expect("put");
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY, "a tag needs text around the number");

    let stranger = ingest(&app, message("otro@externo.example", &tagged, "m4@externo.example", None, "", "Quiero ver ese ticket")).await;
    let Ingested::Opened(other) = stranger else { panic!("a stranger's tag opens their own ticket: {stranger:?}") };
    assert_ne!(other, n);
    assert_eq!(bodies(&entries(&app, &n).await, EntryKind::Message).len(), 4, "nothing of the stranger's in Sofía's ticket");

    // Someone our mail reached (copied, or forwarded to) answers it: in, as themselves.
    let answer =
        message("Jefa de TI <jefa.ti@gob.example>", "Re: La VPN", "m6@gob.example", Some("m1@gob.example"), "", "Lo revisamos desde TI.");
    assert_eq!(ingest(&app, answer).await, Ingested::Added(n.clone()));
    let last = entries(&app, &n).await.into_iter().rfind(|e| e.kind == EntryKind::Message).expect("message");
    assert_eq!((last.author_name.as_deref(), last.body.as_deref()), (Some("Jefa de TI"), Some("Lo revisamos desde TI.")));
    assert!(matches!(last.author, tikal_core::Author::Requester(_)));
}

#[tokio::test]
async fn an_agent_answers_by_mail_only_where_they_may() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let redes = app.department("Redes y Comunicaciones").await;
    app.agent("tecnico@gob.example", "agent", &[mesa]).await;
    app.agent("ajeno@gob.example", "agent", &[redes]).await;
    let n = opened(&app, message("ana@gob.example", "Impresora sin tóner", "p1@gob.example", None, "", "La del piso 3.")).await;
    let t = app.desk.ticket(&Principal::System, &n).await.expect("ticket");
    assert_eq!(t.department_id, mesa, "the first department takes tickets that name none");
    let answer = message("tecnico@gob.example", "Re: Impresora", "p2@gob.example", Some("p1@gob.example"), "", "Cambiamos el tóner hoy.");
    assert_eq!(ingest(&app, answer).await, Ingested::Added(n.clone()));
    let thread = entries(&app, &n).await;
    let reply = thread.iter().find(|e| e.kind == EntryKind::Reply).expect("the agent's reply");
    assert_eq!(reply.body.as_deref(), Some("Cambiamos el tóner hoy."));

    let outsider = message("ajeno@gob.example", "Re: Impresora", "p3@gob.example", Some("p1@gob.example"), "", "Yo lo veo.");
    assert!(matches!(ingest(&app, outsider).await, Ingested::Quarantined(_)));
    assert_eq!(bodies(&entries(&app, &n).await, EntryKind::Reply).len(), 1);
}

#[tokio::test]
async fn automatic_mail_gets_no_auto_response_and_bounces_flag_the_address() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let n = opened(&app, message("luis@gob.example", "Correo lleno", "b1@gob.example", None, "", "No recibo correos.")).await;
    let auto = opened(&app, corpus("auto_reply_out_of_office.eml")).await;
    let jobs = app.desk.store().outbox().await.expect("outbox");
    let created: Vec<_> = jobs.iter().filter(|j| j.kind == "notify.ticket_created").collect();
    assert_eq!(created.len(), 2);
    assert!(created.iter().any(|j| j.payload.contains("\"autoreply\":false")), "the auto-reply gets none: {created:?}");
    assert_ne!(n, auto);

    // A report about mail to Luis that references his ticket's message.
    let dsn = String::from(
        "From: MAILER-DAEMON@gob.example\r\nTo: soporte@gob.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <dsn1@gob.example>\r\nReferences: <b1@gob.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\n\
         Content-Type: text/plain\r\n\r\nNo se pudo entregar.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.gob.example\r\n\r\nFinal-Recipient: rfc822; luis@gob.example\r\nAction: failed\r\n\
         Status: 5.2.2\r\nDiagnostic-Code: smtp; 552 Mailbox full\r\n--B--\r\n",
    );
    assert_eq!(ingest(&app, dsn.into_bytes()).await, Ingested::DeliveryFailure(Some(n.clone())));
    let thread = entries(&app, &n).await;
    let failure = thread.iter().find(|e| e.event == Some(EventKind::DeliveryFailed)).expect("recorded on the ticket");
    assert!(failure.after.as_deref().is_some_and(|a| a.contains("luis@gob.example") && a.contains("5.2.2")), "{failure:?}");
    let luis = app.desk.store().requester_holding(&tikal_core::EmailAddress::parse("luis@gob.example").expect("email")).await;
    let luis = luis.expect("read").expect("luis");
    let bounced = app.desk.store().requester_bounce(luis).await.expect("bounce");
    assert!(bounced.is_some(), "the address is flagged");

    // The administrator sees it on the requester's page and clears it once the mailbox works.
    use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};
    let (_, password) = app.admin_with_password("directora.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, &app, "directora.ti@gob.example", &password).await;
    let (_, page) = get(&c, &app, &format!("/admin/requesters/{}", luis.get())).await;
    assert!(page.contains("id=\"bounced\"") && page.contains("5.2.2"), "{page}");
    let (status, page) = post(&c, &app, &format!("/admin/requesters/{}/bounce", luis.get()), &[("csrf", &csrf(&page))]).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(!page.contains("id=\"bounced\""), "cleared");
    assert!(app.desk.store().requester_bounce(luis).await.expect("bounce").is_none());
    let log =
        app.desk.audit_log(&Principal::System, &tikal_core::admin::AuditQuery { limit: 10, ..Default::default() }).await.expect("audit");
    assert!(log.iter().any(|e| e.before.as_deref().is_some_and(|b| b.contains("mail_bounced_at"))), "audited");
}

#[tokio::test]
async fn a_reply_long_after_closing_opens_a_linked_ticket() {
    let app =
        TestApp::spawn_with(|s| s.desk.resolution = Some(tikal_core::ResolutionPolicy { reopen_window_days: 0, ..Default::default() }))
            .await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let n = opened(&app, message("eva@gob.example", "Alta en el sistema", "c1@gob.example", None, "", "Necesito acceso.")).await;
    let closed = app.patch(&format!("/api/v1/tickets/{n}"), &serde_json::json!({"status": "closed"})).await;
    assert!(closed.status().is_success());
    let r =
        ingest(&app, message("eva@gob.example", "Re: Alta", "c2@gob.example", Some("c1@gob.example"), "", "Otra vez sin acceso.")).await;
    let Ingested::Opened(new) = r else { panic!("a new ticket: {r:?}") };
    let links = app.desk.links(&Principal::System, &new).await.expect("links");
    assert!(links.iter().any(|l| l.ticket.number == n), "linked to the closed one");
}

#[tokio::test]
async fn unreadable_or_refused_mail_waits_in_quarantine_and_can_be_processed_again() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let r = ingest(&app, corpus("no_from.eml")).await;
    assert!(matches!(r, Ingested::Quarantined(_)), "{r:?}");
    let admin = Principal::System;
    let held = app.desk.inbound_mail(&admin, Some(InboundStatus::Quarantined), None).await.expect("list");
    assert_eq!(held.len(), 1);
    let (row, raw) = app.desk.inbound_raw(&admin, held[0].0.id).await.expect("raw");
    assert_eq!(raw.as_ref(), corpus("no_from.eml").as_slice(), "the original is kept byte for byte");
    assert!(row.reason.is_some());
    let agent = app.agent("curioso@gob.example", "agent", &[mesa]).await;
    assert!(app.desk.inbound_mail(&agent, None, None).await.is_err(), "administrators only");

    // Reprocessing something still unreadable keeps it in quarantine; nothing is lost.
    assert!(matches!(app.desk.reprocess_mail(&admin, held[0].0.id).await.expect("again"), Ingested::Quarantined(_)));
    assert!(app.desk.reprocess_mail(&agent, held[0].0.id).await.is_err());
}

/// `tikal mail ingest` as Postfix's pipe runs it: the number on standard output, 0 when kept.
#[tokio::test]
async fn the_mta_pipe_prints_the_ticket_number() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let (dir, db) = (app.dir.path().to_path_buf(), app.database_url.clone());
    let run = move |raw: Vec<u8>| {
        let mut child = mail_ingest(&dir, &db, Stdio::piped());
        child.stdin.take().expect("stdin").write_all(&raw).expect("write");
        child.wait_with_output().expect("wait")
    };
    let out = tokio::task::spawn_blocking(move || {
        let first = message("rosa@gob.example", "Teclado roto", "k1@gob.example", None, "", "Se rompió la tecla Ñ.");
        (run(first.clone()), run(first), run(b"\x00\x01 no es un correo".to_vec()))
    });
    let (a, b, junk) = out.await.expect("join");
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let number = String::from_utf8_lossy(&a.stdout).trim().to_string();
    let n = TicketNumber::parse(&number).expect("a ticket number");
    assert_eq!(String::from_utf8_lossy(&b.stdout).trim(), number, "a retried pipe answers the same ticket");
    assert!(junk.status.success(), "unreadable mail is kept, not bounced");
    assert!(String::from_utf8_lossy(&junk.stderr).contains("quarantine"));
    assert!(app.desk.ticket(&Principal::System, &n).await.is_ok());
}

/// The quarantine page and the API: administrators only; a message posted over HTTP is
/// imported; one that was refused by the registration policy is processed again once the
/// policy admits its sender.
#[tokio::test]
async fn administrators_see_the_quarantine_download_originals_and_process_them_again() {
    use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    crate::admin::assert_admin_only(
        &app,
        &["/admin/inbound", "/admin/inbound/1/raw"],
        &["/admin/inbound/1/process", "/admin/requesters/1/bounce"],
        &[("GET", "/api/v1/mail/inbound"), ("POST", "/api/v1/mail/inbound"), ("POST", "/api/v1/mail/inbound/1/process")],
    )
    .await;

    // Only the organisation's domain may open tickets: a stranger's mail is set aside.
    let r = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&serde_json::json!({"registration": "domains", "allowed_domains": ["gob.example"]}))
        .send()
        .await
        .expect("put");
    assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
    let raw = message("vecino@externo.example", "Wifi de la biblioteca", "q1@externo.example", None, "", "No conecta.");
    let r = app
        .client
        .post(app.url("/api/v1/mail/inbound"))
        .bearer_auth(&app.key)
        .header("content-type", "message/rfc822")
        .body(raw.clone())
        .send()
        .await
        .expect("post");
    let out: serde_json::Value = r.json().await.expect("json");
    assert_eq!(out["outcome"], "ignored", "{out}");

    let (admin, password) = app.admin_with_password("directora.ti@gob.example").await;
    let _ = admin;
    let c = browser();
    agent_sign_in(&c, &app, "directora.ti@gob.example", &password).await;
    let (status, html) = get(&c, &app, "/admin/inbound?status=ignored").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(html.contains("vecino@externo.example") && html.contains("Wifi de la biblioteca"), "{html}");
    let listed: Vec<serde_json::Value> = app
        .client
        .get(app.url("/api/v1/mail/inbound?status=ignored"))
        .bearer_auth(&app.key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let id = listed[0]["id"].as_i64().expect("id");
    let download = c.get(app.url(&format!("/admin/inbound/{id}/raw"))).send().await.expect("raw");
    assert_eq!(download.headers()["content-type"], "message/rfc822");
    assert_eq!(download.bytes().await.expect("bytes").as_ref(), raw.as_slice());

    // The policy opens; processing again imports it.
    let r = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&serde_json::json!({"registration": "open"}))
        .send()
        .await
        .expect("put");
    assert!(r.status().is_success());
    let (status, page) = post(&c, &app, &format!("/admin/inbound/{id}/process"), &[("csrf", &csrf(&html))]).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(page.contains("se abrió el ticket") || page.contains("ticket opened"), "{page}");
    let again: serde_json::Value = app
        .client
        .post(app.url(&format!("/api/v1/mail/inbound/{id}/process")))
        .bearer_auth(&app.key)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(again["outcome"], "duplicate", "processed once: {again}");
}

/// On the agent desk: a mail's inline picture shows in the thread, the original message can be
/// downloaded by staff of the ticket (and only them), and a bouncing address is marked.
#[tokio::test]
async fn the_desk_shows_inline_pictures_and_offers_the_original() {
    use tikal_testkit::web::{agent_sign_in, browser, get};
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let redes = app.department("Redes y Comunicaciones").await;
    let raw = corpus("inline_image_cid.eml");
    let n = opened(&app, raw.clone()).await;
    let (_, password) = app.agent_with_password("operador@gob.example", "agent", &[mesa]).await;
    let c = browser();
    agent_sign_in(&c, &app, "operador@gob.example", &password).await;
    let (status, page) = get(&c, &app, &format!("/agent/tickets/{n}")).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(page.contains("class=\"inline-image\""), "the picture is shown: {page}");
    let entry = entries(&app, &n).await.into_iter().find(|e| e.kind == EntryKind::Message).expect("message").id;
    let link = format!("/agent/tickets/{n}/mail/{entry}");
    assert!(page.contains(&link), "the original is offered");
    let original = c.get(app.url(&link)).send().await.expect("original");
    assert_eq!(original.headers()["content-type"], "message/rfc822");
    assert_eq!(original.bytes().await.expect("bytes").as_ref(), raw.as_slice());

    let (_, other) = app.agent_with_password("redes@gob.example", "agent", &[redes]).await;
    let c2 = browser();
    agent_sign_in(&c2, &app, "redes@gob.example", &other).await;
    let refused = c2.get(app.url(&link)).send().await.expect("refused");
    assert_eq!(refused.status(), reqwest::StatusCode::NOT_FOUND, "another department's agent learns nothing");
}

/// An MTA pipes messages while the intake processes are killed at random moments (kill -9,
/// before, during or after their write); it then retries every message, as MTAs do for a
/// pipe that did not exit 0. Every message ends in exactly one ticket: nothing lost, nothing
/// twice.
#[tokio::test]
async fn killed_pipes_lose_and_duplicate_nothing() {
    const MESSAGES: u64 = 16;
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let (dir, db) = (app.dir.path().to_path_buf(), app.database_url.clone());
    let pipe = move |i: u64| {
        let mut child = mail_ingest(&dir, &db, Stdio::null());
        let raw = message(
            &format!("usuario{i}@gob.example"),
            &format!("Caso {i}: sin acceso al sistema"),
            &format!("kill{i}@gob.example"),
            None,
            "",
            "No entra.",
        );
        // A pipe the kill closed early is fine: the MTA sees the failure and retries.
        let _ = child.stdin.take().expect("stdin").write_all(&raw);
        child
    };
    let runs = tokio::task::spawn_blocking(move || {
        let children: Vec<_> = (0..MESSAGES).map(|i| (i, pipe(i))).collect();
        let mut killed = 0;
        for (i, mut child) in children {
            if i % 2 == 0 {
                // Spread over the process's life: before the desk opened, while it writes, after.
                std::thread::sleep(std::time::Duration::from_millis((i * 37) % 400));
                if child.kill().is_ok() {
                    killed += 1;
                }
            }
            let _ = child.wait();
        }
        // The MTA's retries, each to its end.
        let numbers: Vec<String> = (0..MESSAGES)
            .map(|i| {
                let out = pipe(i).wait_with_output().expect("wait");
                assert!(out.status.success(), "message {i}: {:?}", out.status);
                String::from_utf8_lossy(&out.stdout).trim().to_string()
            })
            .collect();
        (killed, numbers)
    });
    let (killed, numbers) = runs.await.expect("join");
    assert!(killed > 0, "some pipes were killed");
    let distinct: std::collections::BTreeSet<_> = numbers.iter().collect();
    assert_eq!(distinct.len() as u64, MESSAGES, "one ticket per message: {numbers:?}");
    let listed: serde_json::Value = app.get("/api/v1/tickets?limit=100").await.json().await.expect("json");
    assert_eq!(listed["tickets"].as_array().map(Vec::len), Some(MESSAGES as usize), "no ticket twice");
    for n in &numbers {
        let t = TicketNumber::parse(n).expect("number");
        assert_eq!(bodies(&entries(&app, &t).await, EntryKind::Message).len(), 1, "{n}: its message once");
    }
    let unfinished = app.desk.inbound_mail(&Principal::System, Some(InboundStatus::Received), None).await.expect("list");
    assert!(unfinished.is_empty(), "a retry finishes the row its killed attempt left: {unfinished:?}");
}

/// Every message of the corpus (`tests/mail`) lands where it should, on a desk whose tickets
/// 000042-000048 were opened by the people who answer them there.
#[tokio::test]
async fn every_corpus_message_lands_where_it_should() {
    use tikal_core::NumberFormat;
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    let owners = [
        (42, "sofia.martin.ext@gmail.com"),
        (43, "luis.nunez@example.es"),
        (44, "p.walsh@example.org"),
        (45, "alvaro.munoz@example.es"),
        (46, "marta.vidal@example.es"),
        (47, "pedro.gomes@example.es"),
        (48, "vecina@example.es"),
    ];
    for i in 1..=48 {
        let email = owners.iter().find(|(n, _)| *n == i).map_or("relleno@example.es", |(_, e)| e);
        let new = tikal_testkit::new_ticket(email, &format!("Caso {i}"), dept, tikal_core::Channel::Email);
        store.create_ticket(new, &NumberFormat::default(), &[]).await.expect("ticket");
    }
    // The notification the Postfix report returns was ours, about 000047.
    let t47 = store.ticket_by_number(&TicketNumber::parse("000047").expect("number")).await.expect("read").expect("47");
    store.record_outbound_message_id("ticket-000047-r1@mesa.example.es", t47.id, None, tikal_store::now()).await.expect("record");

    let n = |s: &str| TicketNumber::parse(s).expect("number");
    type Expect = Box<dyn Fn(&Ingested) -> bool>;
    let expected: Vec<(&str, Expect)> = vec![
        ("attachment_rfc2231_filename.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("auto_reply_out_of_office.eml", Box::new(move |i| *i == Ingested::Added(n("000046")))),
        ("bounce_dsn_postfix.eml", Box::new(move |i| *i == Ingested::DeliveryFailure(Some(n("000047"))))),
        ("bounce_exchange_spanish.eml", Box::new(move |i| *i == Ingested::DeliveryFailure(Some(n("000048"))))),
        ("calendar_invite.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("es_latin1_qp.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("es_utf8_rfc2047_subject.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("es_windows1252_base64.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("forwarded_rfc822.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("gmail_reply_es.eml", Box::new(move |i| *i == Ingested::Added(n("000042")))),
        ("html_only.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("huge_header.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("inline_image_cid.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("mailing_list.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("malformed_no_boundary.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("malformed_truncated_multipart.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("no_from.eml", Box::new(|i| matches!(i, Ingested::Quarantined(_)))),
        ("outlook_reply_en.eml", Box::new(move |i| *i == Ingested::Added(n("000044")))),
        ("outlook_reply_es.eml", Box::new(move |i| *i == Ingested::Added(n("000043")))),
        ("precedence_bulk.eml", Box::new(|i| matches!(i, Ingested::Opened(_)))),
        ("thunderbird_reply_quoted.eml", Box::new(move |i| *i == Ingested::Added(n("000045")))),
    ];
    let files = std::fs::read_dir(format!("{}/../../tests/mail", env!("CARGO_MANIFEST_DIR"))).expect("corpus").count();
    assert_eq!(files, expected.len(), "every file of the corpus has its expectation");
    for (file, ok) in &expected {
        let outcome = ingest(&app, corpus(file)).await;
        assert!(ok(&outcome), "{file}: {outcome:?}");
    }
    // Replies keep only their new text; the machines got no acknowledgement.
    let thread = entries(&app, &n("000043")).await;
    let reply = bodies(&thread, EntryKind::Message).pop().expect("Luis's reply");
    assert!(!reply.contains("Enviado el") && !reply.contains("De:"), "Outlook's quoted block cut: {reply}");
    let jobs = store.outbox().await.expect("outbox");
    let quiet = jobs.iter().filter(|j| j.kind == "notify.ticket_created" && j.payload.contains("\"autoreply\":false")).count();
    assert!(quiet >= 2, "the list and the bulletin get no auto-response: {quiet}");
    let pedro = store
        .requester_holding(&tikal_core::EmailAddress::parse("pedro.gomes@example.es").expect("email"))
        .await
        .expect("read")
        .expect("pedro");
    assert!(store.requester_bounce(pedro).await.expect("bounce").is_some(), "Pedro's address is flagged");
}
