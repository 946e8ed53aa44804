//! Ticket notifications through a real SMTP server on loopback: a ticket opened through the
//! API, the outbox worker run, and what arrived read back: recipients, the ticket's tag in the
//! subject, Auto-Submitted, our Message-IDs (recorded in the database) and the threading of
//! later mail under the first one.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_core::{DepartmentId, EmailAddress, EntryKind, TicketNumber};
use tikal_jobs::{MailError, Mailer, NotifySettings, OutboxSettings, OutgoingMail, SmtpMailer, Worker};
use tikal_service::{PostMessage, Principal, Upload, UploadData};
use tikal_store::{JobState, MessageIdRow};
use tikal_testkit::{SmtpSink, TestApp};

const PUBLIC: &str = "http://127.0.0.1:8080";
const ROSA: &str = "rosa.perez@gob.example";

fn smtp(sink: &SmtpSink) -> Arc<dyn Mailer> {
    Arc::new(SmtpMailer::new(&sink.url(), "Mesa de Ayuda <mesa@gob.example>").expect("mailer"))
}

/// The outbox worker with ticket notifications, as `tikal serve` builds it.
fn notifier(app: &TestApp, mailer: Arc<dyn Mailer>) -> Worker {
    Worker::new(app.desk.store().clone(), mailer, OutboxSettings::default())
        .desk(app.desk.clone())
        .notify(NotifySettings { public_url: PUBLIC.into() })
}

async fn run(app: &TestApp, sink: &SmtpSink) -> usize {
    notifier(app, smtp(sink)).run_due(tikal_store::now()).await.expect("worker")
}

/// Decodes the RFC 2047 words of a header value (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`).
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("=?") {
        out.push_str(&rest[..start]);
        let word = &rest[start + 2..];
        let parts: Vec<&str> = word.splitn(3, '?').collect();
        let Some(end) = parts.get(2).and_then(|p| p.find("?=")) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = &parts[2][..end];
        let bytes = if parts[1].eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD.decode(text).expect("base64 word")
        } else {
            quoted_printable(&text.replace('_', " "))
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &parts[2][end + 2..];
        // Adjacent encoded words are one text.
        if rest.trim_start().starts_with("=?") {
            rest = rest.trim_start();
        }
    }
    out.push_str(rest);
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// A delivered message, read as a person would: headers unfolded and decoded, every text
/// part (and attachment) decoded.
struct Received {
    raw: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\n\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n", "\n").replace("\n ", " ").replace("\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        unfolded.lines().find(|l| l.to_ascii_lowercase().starts_with(&prefix)).map(|l| decode_words(l[prefix.len()..].trim()))
    }

    fn to(&self) -> String {
        self.header("To").unwrap_or_default()
    }

    fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The parts' bodies, decoded (base64 or quoted-printable).
    fn text(&self) -> String {
        let raw = self.raw.replace("\r\n", "\n");
        let mut out = String::new();
        let mut base64_next = false;
        let mut in_base64 = false;
        let mut chunk = String::new();
        for line in raw.lines() {
            if in_base64 {
                if line.trim().is_empty() || line.starts_with("--") {
                    let bytes = base64::engine::general_purpose::STANDARD.decode(chunk.trim()).unwrap_or_default();
                    out.push_str(&String::from_utf8_lossy(&bytes));
                    out.push('\n');
                    chunk.clear();
                    in_base64 = false;
                } else {
                    chunk.push_str(line.trim());
                    continue;
                }
            }
            if line.to_ascii_lowercase().starts_with("content-transfer-encoding: base64") {
                base64_next = true;
            } else if line.is_empty() && base64_next {
                base64_next = false;
                in_base64 = true;
                continue;
            }
            out.push_str(&String::from_utf8_lossy(&quoted_printable(&format!("{line}\n"))));
        }
        out
    }
}

fn received(sink: &SmtpSink) -> Vec<Received> {
    sink.messages().into_iter().map(|raw| Received { raw }).collect()
}

fn to<'a>(all: &'a [Received], address: &str) -> Vec<&'a Received> {
    all.iter().filter(|m| m.to().contains(address)).collect()
}

/// A desk with a support department and two of its agents.
struct Desk {
    app: TestApp,
    sink: SmtpSink,
    soporte: DepartmentId,
    ana: Principal,
    luis: Principal,
}

async fn desk() -> Desk {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte Técnico").await;
    let ana = app.agent("ana.torres@gob.example", "agent", &[soporte]).await;
    let luis = app.agent("luis.andrade@gob.example", "supervisor", &[soporte]).await;
    Desk { app, sink, soporte, ana, luis }
}

async fn open(d: &Desk, from: &str) -> TicketNumber {
    let body = json!({
        "subject": "La impresora del piso 3 no imprime",
        "message": "Desde esta mañana la impresora del piso 3 no imprime: la cola se queda en pausa.",
        "requester": {"email": from, "name": "Rosa Pérez"},
        "department_id": d.soporte.get(),
    });
    let r = d.app.post("/api/v1/tickets", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let t: Value = r.json().await.expect("json");
    TicketNumber::parse(t["number"].as_str().expect("number")).expect("number")
}

async fn ids(app: &TestApp, number: &TicketNumber) -> Vec<MessageIdRow> {
    let t = app.desk.store().ticket_by_number(number).await.expect("read").expect("ticket");
    app.desk.store().message_ids(t.id).await.expect("message ids")
}

#[tokio::test]
async fn a_new_ticket_is_acknowledged_and_the_department_alerted() {
    let d = desk().await;
    let number = open(&d, ROSA).await;
    assert_eq!(run(&d.app, &d.sink).await, 1, "one job, three mails");
    let all = received(&d.sink);
    assert_eq!(all.len(), 3, "{:?}", all.iter().map(Received::to).collect::<Vec<_>>());

    let ack = to(&all, ROSA);
    assert_eq!(ack.len(), 1);
    assert_eq!(ack[0].subject(), format!("[#{number}] Recibimos su pedido: La impresora del piso 3 no imprime"));
    assert_eq!(ack[0].header("Auto-Submitted").as_deref(), Some("auto-replied"));
    assert!(ack[0].header("From").expect("from").contains("mesa@gob.example"), "the configured sender");
    assert!(ack[0].header("Reply-To").expect("reply-to").contains("mesa@gob.example"));
    assert!(ack[0].text().contains(&format!("{PUBLIC}/tickets/{number}")), "{}", ack[0].text());
    for agent in ["ana.torres@gob.example", "luis.andrade@gob.example"] {
        let alert = to(&all, agent);
        assert_eq!(alert.len(), 1, "{agent}");
        assert_eq!(alert[0].header("Auto-Submitted").as_deref(), Some("auto-generated"));
        assert!(alert[0].subject().starts_with(&format!("[#{number}] Nuevo ticket en Soporte Técnico")), "{}", alert[0].subject());
        assert!(alert[0].text().contains(&format!("{PUBLIC}/agent/tickets/{number}")), "{}", alert[0].text());
        assert!(alert[0].text().contains("la cola se queda en pausa"), "the request's text");
    }

    // Every Message-ID we sent is recorded with the ticket, with our host.
    let recorded = ids(&d.app, &number).await;
    assert_eq!(recorded.len(), 3);
    for m in &all {
        let id = m.header("Message-ID").expect("a Message-ID");
        assert!(id.starts_with(&format!("<tikal.{number}.")) && id.ends_with("@gob.example>"), "{id}");
        assert!(recorded.iter().any(|r| r.message_id == id && r.outbound && r.entry_id.is_none()), "{id} recorded");
    }
    assert_eq!(recorded[0].message_id, ack[0].header("Message-ID").expect("id"), "the acknowledgement first");
    // The loop brake counts the acknowledgement.
    let hour_ago = tikal_store::now() - chrono::Duration::hours(1);
    assert_eq!(d.app.desk.store().autoreplies_since(ROSA, hour_ago).await.expect("count"), 1);

    assert_eq!(run(&d.app, &d.sink).await, 0, "nothing twice");
    assert_eq!(received(&d.sink).len(), 3);
}

#[tokio::test]
async fn an_agents_reply_threads_under_the_first_message_with_its_files() {
    let d = desk().await;
    let number = open(&d, ROSA).await;
    run(&d.app, &d.sink).await;
    let first = ids(&d.app, &number).await[0].message_id.clone();
    let carlos = EmailAddress::parse("carlos.mena@gob.example").expect("email");
    d.app.desk.add_cc(&d.ana, &number, &carlos, None).await.expect("cc");

    let report = "Cola de impresión reiniciada; controlador 6.2 instalado.";
    let upload = Upload {
        filename: "diagnostico-impresora.txt".into(),
        content_type: "text/plain".into(),
        data: UploadData::Memory(report.as_bytes().to_vec().into()),
    };
    let reply = PostMessage {
        kind: EntryKind::Reply,
        body: "Reiniciamos la cola de impresión. Pruebe de nuevo, por favor.".into(),
        attachments: vec![upload],
    };
    let entry = d.app.desk.post_message(&d.ana, &number, reply).await.expect("reply");
    let note = PostMessage { kind: EntryKind::Note, body: "Revisar el contrato del proveedor".into(), attachments: Vec::new() };
    d.app.desk.post_message(&d.luis, &number, note).await.expect("note");
    assert_eq!(run(&d.app, &d.sink).await, 1);

    let all = received(&d.sink);
    assert_eq!(all.len(), 5, "three for the new ticket, the reply to the requester and to the person in copy");
    let replies: Vec<&Received> = all.iter().filter(|m| m.subject().contains("Respuesta a su pedido")).collect();
    let mut recipients: Vec<String> = replies.iter().map(|m| m.to()).collect();
    recipients.sort();
    assert_eq!(recipients, vec!["carlos.mena@gob.example".to_string(), ROSA.to_string()], "not the agents, not for the note");
    let recorded = ids(&d.app, &number).await;
    for m in replies {
        assert!(m.subject().starts_with(&format!("[#{number}]")), "{}", m.subject());
        assert_eq!(m.header("Auto-Submitted"), None, "a person's reply");
        assert_eq!(m.header("In-Reply-To").as_deref(), Some(first.as_str()), "under the first message");
        assert!(m.header("References").expect("references").starts_with(&first));
        assert!(m.raw.contains("filename=\"diagnostico-impresora.txt\""), "{}", m.raw);
        let text = m.text();
        assert!(text.contains(report) && text.contains("Reiniciamos la cola de impresión"), "{text}");
        assert!(!text.contains("contrato del proveedor"), "never the internal note");
        let id = m.header("Message-ID").expect("id");
        assert!(recorded.iter().any(|r| r.message_id == id && r.entry_id == Some(entry)), "recorded with the reply's entry");
    }
}

#[tokio::test]
async fn assignment_transfer_resolution_and_closure() {
    let d = desk().await;
    let number = open(&d, ROSA).await;
    run(&d.app, &d.sink).await;
    let path = format!("/api/v1/tickets/{number}");

    // Assigned to Ana (by the API): only Ana is told, with the desk's link.
    let ana_id = TestApp::agent_id(&d.ana);
    assert_eq!(d.app.patch(&path, &json!({"owner_id": ana_id.get()})).await.status(), StatusCode::OK);
    run(&d.app, &d.sink).await;
    let all = received(&d.sink);
    let assigned: Vec<&Received> = all.iter().filter(|m| m.subject().contains("Se le asignó")).collect();
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].to(), "ana.torres@gob.example");
    assert_eq!(assigned[0].header("Auto-Submitted").as_deref(), Some("auto-generated"));
    assert!(assigned[0].text().contains(&format!("{PUBLIC}/agent/tickets/{number}")));
    // Taking it back oneself tells nobody.
    let luis_id = TestApp::agent_id(&d.luis);
    d.app
        .desk
        .update_ticket(&d.luis, &number, tikal_core::TicketUpdate { owner_id: Some(Some(luis_id)), ..Default::default() })
        .await
        .expect("take");
    assert_eq!(run(&d.app, &d.sink).await, 0);

    // Luis moves it to the network department: its agents hear of it from its own address; Luis
    // (an agent there too) does not.
    let r = d.app.post("/api/v1/departments", &json!({"name": "Redes", "email": "redes@ti.gob.example"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let redes = DepartmentId(r.json::<Value>().await.expect("json")["id"].as_i64().expect("id"));
    let pedro = d.app.agent("pedro.quispe@gob.example", "agent", &[redes]).await;
    let roles = d.app.desk.store().ensure_builtin_roles().await.expect("roles");
    d.app.desk.store().grant(luis_id, redes, roles["supervisor"]).await.expect("grant");
    d.app.desk.transfer(&d.luis, &number, redes, "Es la red del piso 3").await.expect("transfer");
    run(&d.app, &d.sink).await;
    let all = received(&d.sink);
    let moved: Vec<&Received> = all.iter().filter(|m| m.subject().contains("Nuevo ticket en Redes")).collect();
    assert_eq!(moved.iter().map(|m| m.to()).collect::<Vec<_>>(), vec!["pedro.quispe@gob.example".to_string()]);
    assert!(moved[0].header("From").expect("from").contains("redes@ti.gob.example"), "the department's address");
    assert!(moved[0].header("Reply-To").expect("reply-to").contains("redes@ti.gob.example"));
    assert!(moved[0].header("Message-ID").expect("id").ends_with("@ti.gob.example>"));

    // Pedro resolves it: Rosa is asked to confirm, with links to her ticket's page.
    d.app.desk.resolve(&pedro, &number, "Se reinició el servidor de impresión del piso 3.", None).await.expect("resolve");
    run(&d.app, &d.sink).await;
    let all = received(&d.sink);
    let resolved: Vec<&Received> = all.iter().filter(|m| m.subject().contains("Su pedido fue resuelto")).collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].to(), ROSA);
    let text = resolved[0].text();
    assert!(text.contains(&format!("{PUBLIC}/tickets/{number}?resolution=confirm#resolution")), "{text}");
    assert!(text.contains(&format!("{PUBLIC}/tickets/{number}?resolution=not_solved#resolution")), "{text}");
    assert!(text.contains("Se reinició el servidor de impresión del piso 3.") && text.contains("pedro.quispe@gob.example"), "{text}");

    // Closed: the survey.
    assert_eq!(d.app.patch(&path, &json!({"status": "closed"})).await.status(), StatusCode::OK);
    run(&d.app, &d.sink).await;
    let all = received(&d.sink);
    let survey: Vec<&Received> = all.iter().filter(|m| m.subject().contains("¿Cómo lo atendimos?")).collect();
    assert_eq!(survey.len(), 1);
    assert_eq!(survey[0].to(), ROSA);
    assert!(survey[0].subject().starts_with(&format!("[#{number}]")));
    assert!(survey[0].text().contains(&format!("{PUBLIC}/tickets/{number}#survey")));
}

#[tokio::test]
async fn a_rule_that_suppresses_the_auto_response_leaves_the_alert() {
    let d = desk().await;
    let rule = json!({
        "name": "Proveedor: sin respuesta automática",
        "conditions": [{"kind": "sender_domain_is", "value": "@proveedor.example"}],
        "actions": [{"kind": "no_autoreply"}],
    });
    assert_eq!(d.app.post("/api/v1/routing-rules", &rule).await.status(), StatusCode::CREATED);
    open(&d, "ventas@proveedor.example").await;
    run(&d.app, &d.sink).await;
    let all = received(&d.sink);
    assert!(to(&all, "ventas@proveedor.example").is_empty(), "no auto-response");
    assert_eq!(to(&all, "ana.torres@gob.example").len(), 1, "the department is still alerted");
    assert_eq!(to(&all, "luis.andrade@gob.example").len(), 1);
    let hour_ago = tikal_store::now() - chrono::Duration::hours(1);
    assert_eq!(d.app.desk.store().autoreplies_since("ventas@proveedor.example", hour_ago).await.expect("count"), 0);
}

#[tokio::test]
async fn a_bouncing_address_gets_no_automatic_mail_but_replies_still_go() {
    let d = desk().await;
    open(&d, ROSA).await;
    run(&d.app, &d.sink).await;
    let store = d.app.desk.store();
    let rosa = EmailAddress::parse(ROSA).expect("email");
    assert_eq!(
        store.flag_bounced(std::slice::from_ref(&rosa), "550 5.1.1 buzón inexistente", tikal_store::now()).await.expect("bounce"),
        1
    );
    let second = open(&d, ROSA).await;
    run(&d.app, &d.sink).await;
    let all = received(&d.sink);
    assert_eq!(to(&all, ROSA).len(), 1, "only the first ticket's acknowledgement");
    assert_eq!(to(&all, "ana.torres@gob.example").len(), 2, "both alerts");
    assert!(store.outbox().await.expect("outbox").is_empty(), "the job is done, not waiting nor dead");

    let reply = PostMessage { kind: EntryKind::Reply, body: "¿Sigue sin imprimir?".into(), attachments: Vec::new() };
    d.app.desk.post_message(&d.ana, &second, reply).await.expect("reply");
    run(&d.app, &d.sink).await;
    let all = received(&d.sink);
    let replies = to(&all, ROSA);
    assert_eq!(replies.len(), 2, "a person's reply goes to a bouncing address too");
    assert!(replies.iter().any(|m| m.text().contains("¿Sigue sin imprimir?")));
}

/// Refuses one address for good (as a server's 550 would), sends the rest through SMTP.
struct Refusing {
    inner: Arc<dyn Mailer>,
    refused: &'static str,
}

#[async_trait::async_trait]
impl Mailer for Refusing {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        if mail.to == self.refused {
            return Err(MailError::Refused("550 5.1.1 buzón inexistente".into()));
        }
        self.inner.send(mail).await
    }

    fn sender(&self) -> Option<String> {
        self.inner.sender()
    }
}

#[tokio::test]
async fn a_refused_address_sets_the_job_aside_and_a_server_that_is_down_is_retried() {
    let d = desk().await;
    let number = open(&d, ROSA).await;
    let store = d.app.desk.store();
    let refusing = Arc::new(Refusing { inner: smtp(&d.sink), refused: ROSA });
    notifier(&d.app, refusing).run_due(tikal_store::now()).await.expect("worker");
    let jobs = store.outbox().await.expect("outbox");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, JobState::Dead, "not retried forever");
    let why = jobs[0].last_error.clone().expect("why");
    assert!(why.contains(ROSA) && why.contains("550"), "{why}");
    let all = received(&d.sink);
    assert_eq!(all.len(), 2, "the agents got their alerts");
    assert_eq!(ids(&d.app, &number).await.len(), 2, "the refused mail's id is not kept");

    // The server is down: the reply waits and goes once it is back.
    let reply = PostMessage { kind: EntryKind::Reply, body: "Vamos a revisarla.".into(), attachments: Vec::new() };
    d.app.desk.post_message(&d.ana, &number, reply).await.expect("reply");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let down: Arc<dyn Mailer> =
        Arc::new(SmtpMailer::new(&format!("smtp://127.0.0.1:{closed}"), "Mesa <mesa@gob.example>").expect("mailer"));
    let now = tikal_store::now();
    assert_eq!(notifier(&d.app, down).run_due(now).await.expect("worker"), 0);
    let waiting: Vec<_> = store.outbox().await.expect("outbox").into_iter().filter(|j| j.kind == "notify.agent_reply").collect();
    assert_eq!((waiting[0].state, waiting[0].attempts), (JobState::Pending, 1));
    assert!(waiting[0].last_error.is_some());
    let w = notifier(&d.app, smtp(&d.sink));
    assert_eq!(w.run_due(now).await.expect("worker"), 0, "not before its retry time");
    assert_eq!(w.run_due(now + chrono::Duration::seconds(31)).await.expect("worker"), 1);
    assert_eq!(w.run_due(now + chrono::Duration::seconds(120)).await.expect("worker"), 0);
    assert_eq!(to(&received(&d.sink), ROSA).len(), 1, "the reply, once");
}

/// Sends the first mail, then hangs as a worker that stops before it marks the job done.
struct StopsAfterFirst {
    inner: Arc<dyn Mailer>,
    sent: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Mailer for StopsAfterFirst {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        if self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
            std::future::pending::<()>().await;
        }
        self.inner.send(mail).await
    }

    fn sender(&self) -> Option<String> {
        self.inner.sender()
    }
}

#[tokio::test]
async fn a_worker_that_stops_mid_job_never_makes_anyone_get_a_mail_twice() {
    let d = desk().await;
    let number = open(&d, ROSA).await;
    let stops = Arc::new(StopsAfterFirst { inner: smtp(&d.sink), sent: 0.into() });
    let now = tikal_store::now();
    let w = notifier(&d.app, stops);
    assert!(tokio::time::timeout(Duration::from_secs(3), w.run_due(now)).await.is_err(), "the worker hung after its first mail");
    assert_eq!(received(&d.sink).len(), 1);
    assert_eq!(ids(&d.app, &number).await.len(), 2, "the sent mail's id and the one in doubt are kept");

    // Once the lease runs out another worker finishes the job: the rest, not the first again.
    let later = now + chrono::Duration::seconds(121);
    assert_eq!(notifier(&d.app, smtp(&d.sink)).run_due(later).await.expect("worker"), 1);
    let all = received(&d.sink);
    assert_eq!(to(&all, ROSA).len(), 1, "the acknowledgement once");
    let agents = to(&all, "ana.torres@gob.example").len() + to(&all, "luis.andrade@gob.example").len();
    assert_eq!(agents, 1, "the alert in doubt is not sent again; the other goes");
    assert!(d.app.desk.store().outbox().await.expect("outbox").is_empty(), "done");
}

/// With no `[mail]` in the file, the outbox sends through the SMTP account an administrator
/// configured; until there is one, nothing is claimed and mail waits without using attempts.
#[tokio::test]
async fn notifications_go_out_through_the_configured_smtp_account() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let mailer = std::sync::Arc::new(tikal_jobs::AccountMailer::new(app.desk.clone(), None));
    let worker = tikal_jobs::Worker::new(app.desk.store().clone(), mailer, tikal_jobs::OutboxSettings::default())
        .desk(app.desk.clone())
        .notify(tikal_jobs::NotifySettings { public_url: "http://127.0.0.1:8080".into() });
    app.open_ticket("El proyector del aula 5 no enciende", "rosa@gob.example").await;
    assert_eq!(worker.run_due(tikal_store::now()).await.expect("run"), 0, "no way to send yet");
    let jobs = app.desk.store().outbox().await.expect("outbox");
    assert!(jobs.iter().all(|j| j.attempts == 0), "nothing used up: {jobs:?}");

    let port: u16 = sink.url().rsplit(':').next().and_then(|p| p.parse().ok()).expect("sink port");
    let body = serde_json::json!({"name": "Salida", "protocol": "smtp", "host": "127.0.0.1", "port": port, "security": "none",
        "username": "", "password": "", "address": "soporte@gob.example"});
    let r = app.post("/api/v1/mail-accounts", &body).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
    assert!(worker.run_due(tikal_store::now()).await.expect("run") > 0);
    let sent = sink.messages();
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|m| m.contains("soporte@gob.example")), "from the account's address: {sent:?}");
}
