//! Failed outgoing mail for administrators: a delivery that really failed (the SMTP server was
//! down) is listed with its error on `/admin/outbox` and `/api/v1/outbox`, retried once the
//! server is back, and delivered once; only dead jobs are retried, and every retry is audited.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use tikal_core::job::LinkMail;
use tikal_core::{Job, JobId};
use tikal_jobs::{NotifySettings, OutboxSettings, SmtpMailer, Worker};
use tikal_service::Principal;
use tikal_store::JobState;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};
use tikal_testkit::{SmtpSink, TestApp};

use crate::admin::assert_admin_only;

/// The outbox worker as `tikal serve` runs it with `[outbox] max_attempts = 1`, sending to `url`.
fn worker(app: &TestApp, url: &str) -> Worker {
    let mailer = Arc::new(SmtpMailer::new(url, "Mesa de Ayuda <mesa@gob.example>").expect("mailer"));
    Worker::new(app.desk.store().clone(), mailer, OutboxSettings { max_attempts: 1, ..OutboxSettings::default() })
        .desk(app.desk.clone())
        .notify(NotifySettings { public_url: "http://127.0.0.1:8080".into() })
}

/// A loopback port nobody listens on.
fn closed_port() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    format!("smtp://127.0.0.1:{port}")
}

/// Opens ticket 000001 and asks for its access link by mail, then runs the worker while the
/// mail server is down: both mails (the ticket's acknowledgement and the link) go dead.
async fn failed_mail(app: &TestApp) -> (i64, i64) {
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Sin red en el piso 3", "luis@gob.example").await;
    let email = tikal_core::EmailAddress::parse("luis@gob.example").expect("email");
    let number = tikal_core::TicketNumber::parse("000001").expect("number");
    app.desk.request_ticket_link(&email, &number, "http://127.0.0.1:8080", "test").await.expect("link");
    assert_eq!(worker(app, &closed_port()).run_due(tikal_store::now()).await.expect("worker"), 0);
    let jobs = app.desk.store().outbox().await.expect("outbox");
    assert!(jobs.iter().all(|j| j.state == JobState::Dead && j.attempts == 1), "given up after one attempt: {jobs:?}");
    let id_of = |kind: &str| jobs.iter().find(|j| j.kind == kind).map(|j| j.id).expect(kind);
    (id_of("notify.ticket_created"), id_of("mail.ticket_link"))
}

async fn outbox(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/outbox{query}")).await;
    assert_eq!(r.status(), StatusCode::OK, "{query}");
    r.json().await.expect("json")
}

async fn audit_retries(app: &TestApp) -> Vec<tikal_core::admin::AuditEntry> {
    let q = tikal_core::admin::AuditQuery { entity: Some(tikal_core::admin::AdminEntity::OutboxJob), limit: 200, ..Default::default() };
    app.desk.audit_log(&Principal::System, &q).await.expect("audit")
}

#[tokio::test]
async fn only_administrators_see_and_retry_failed_mail() {
    let app = TestApp::spawn_with(|s| s.outbox.max_attempts = 1).await;
    let (_, link) = failed_mail(&app).await;
    let retry = format!("/admin/outbox/{link}/retry");
    let api_retry = format!("/api/v1/outbox/{link}/retry");
    assert_admin_only(
        &app,
        &["/admin/outbox", "/admin/outbox?state=dead"],
        &[&retry, "/admin/outbox/retry-dead"],
        &[("GET", "/api/v1/outbox"), ("POST", &api_retry), ("POST", "/api/v1/outbox/retry-dead")],
    )
    .await;
    let jobs = app.desk.store().outbox().await.expect("outbox");
    assert!(jobs.iter().all(|j| j.state == JobState::Dead), "nothing was retried: {jobs:?}");
    assert!(audit_retries(&app).await.is_empty());
}

#[tokio::test]
async fn a_failed_mail_is_shown_with_its_error_and_retried_once() {
    let app = TestApp::spawn_with(|s| s.outbox.max_attempts = 1).await;
    let (created, link) = failed_mail(&app).await;

    // The API lists both with the error, the ticket the acknowledgement is about, newest first.
    let dead = outbox(&app, "?state=dead").await;
    assert_eq!(dead.iter().map(|j| j["id"].as_i64().expect("id")).collect::<Vec<_>>(), vec![link, created], "{dead:?}");
    assert!(dead.iter().all(|j| j["state"] == "dead" && j["attempts"] == 1), "{dead:?}");
    assert!(dead.iter().all(|j| j["last_error"].as_str().is_some_and(|e| e.contains("SMTP"))), "the error is kept: {dead:?}");
    assert_eq!((&dead[1]["ticket_number"], &dead[1]["kind"]), (&Value::from("000001"), &Value::from("notify.ticket_created")));
    assert_eq!(dead[0]["ticket_number"], Value::Null, "account mail names no ticket id");
    assert_eq!(dead[0]["payload"]["to"], "luis@gob.example");
    assert_eq!(outbox(&app, "?kind=mail.ticket_link").await.len(), 1);
    assert!(outbox(&app, "?state=pending").await.is_empty());
    for bad in ["?state=done", "?state=nada", "?kind=mail.nope"] {
        assert_eq!(app.get(&format!("/api/v1/outbox{bad}")).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // The page says it in words, with the error and the ticket linked; the index counts them.
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&c, &app, "/admin/outbox").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Correo saliente (2 envíos fallidos)"), "the count in the title: {html}");
    assert!(html.contains("Enlace de acceso a un ticket") && html.contains("Ticket nuevo"), "kinds in words: {html}");
    assert!(html.contains("href=\"/agent/tickets/000001\""), "the ticket linked: {html}");
    assert!(html.contains("SMTP") && html.contains("Fallido"), "{html}");
    assert!(html.contains("Reintentar todos los fallidos"), "{html}");
    assert!(html.contains(&format!("action=\"/admin/outbox/{link}/retry\"")), "a retry button on a dead job: {html}");
    let (_, index) = get(&c, &app, "/admin").await;
    assert!(index.contains("href=\"/admin/outbox\"") && index.contains("2 envíos fallidos"), "{index}");
    let (_, html) = get(&c, &app, "/admin/outbox?kind=mail.ticket_link").await;
    assert!(!html.contains("href=\"/agent/tickets/000001\""), "filtered by kind: {html}");

    // A pending job is not retried: the page says so, the API answers 409, nothing is audited.
    app.open_ticket("Impresora sin tóner", "ana@gob.example").await;
    let pending = outbox(&app, "?state=pending").await;
    assert_eq!(pending.len(), 1);
    let pending_id = pending[0]["id"].as_i64().expect("id");
    let (_, html) = get(&c, &app, "/admin/outbox").await;
    assert!(!html.contains(&format!("action=\"/admin/outbox/{pending_id}/retry\"")), "no button on a pending job");
    let token = csrf(&html);
    let (status, html) = post(&c, &app, &format!("/admin/outbox/{pending_id}/retry"), &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("El envío {pending_id} ya no está fallido")), "{html}");
    let r = app.post(&format!("/api/v1/outbox/{pending_id}/retry"), &Value::Null).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.expect("json");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("only a dead job")), "{body}");
    assert_eq!(app.post("/api/v1/outbox/999999/retry", &Value::Null).await.status(), StatusCode::NOT_FOUND);
    let stranger = app.desk.retry_job(&Principal::System, JobId(pending_id)).await;
    assert!(matches!(stranger, Err(tikal_service::ServiceError::Conflict(_))), "{stranger:?}");
    assert!(audit_retries(&app).await.is_empty(), "refusals change nothing");

    // Retry the link from the page: pending now, attempts from zero, the error kept for now.
    let (status, html) = post(&c, &app, &format!("/admin/outbox/{link}/retry"), &[("csrf", &token), ("state", "dead")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("El envío {link} volvió a la cola")), "{html}");
    let job = app.desk.store().job(JobId(link)).await.expect("job").expect("exists");
    assert_eq!((job.state, job.attempts), (JobState::Pending, 0));
    assert!(job.last_error.as_deref().is_some_and(|e| e.contains("SMTP")), "kept until the next attempt");
    assert!(job.run_at <= tikal_store::now(), "due now");
    let audit = audit_retries(&app).await;
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].action.as_str(), audit[0].entity_id.as_str()), ("retry", link.to_string().as_str()));
    assert_eq!(audit[0].actor_kind, "agent", "by the administrator who pressed it");

    // The server is back: the link arrives, once.
    let sink = SmtpSink::start().await;
    let w = worker(&app, &sink.url());
    w.run_due(tikal_store::now()).await.expect("worker");
    w.run_due(tikal_store::now()).await.expect("worker");
    let links: Vec<String> = sink.messages().into_iter().filter(|m| m.contains("Acceso a su ticket 000001")).collect();
    assert_eq!(links.len(), 1, "{:?}", sink.messages());
    assert!(links[0].contains("To: luis@gob.example"));
    assert!(app.desk.store().job(JobId(link)).await.expect("job").expect("kept a while").state == JobState::Done);
    assert_eq!(app.post(&format!("/api/v1/outbox/{link}/retry"), &Value::Null).await.status(), StatusCode::CONFLICT, "sent: not again");

    // Retry all: none of a kind that has no dead job, then the one left; each audited.
    let r: Value = app.post("/api/v1/outbox/retry-dead?kind=mail.ticket_link", &Value::Null).await.json().await.expect("json");
    assert_eq!(r["retried"], 0);
    let r: Value = app.post("/api/v1/outbox/retry-dead", &Value::Null).await.json().await.expect("json");
    assert_eq!(r["retried"], 1);
    let r: Value = app.post("/api/v1/outbox/retry-dead", &Value::Null).await.json().await.expect("json");
    assert_eq!(r["retried"], 0, "nothing dead any more");
    let audit = audit_retries(&app).await;
    assert_eq!(audit.len(), 2);
    assert_eq!((audit[0].entity_id.as_str(), audit[0].summary.as_str()), (created.to_string().as_str(), "notify.ticket_created"));
    assert_eq!(audit[0].actor_kind, "api_key");
    let (_, html) = get(&c, &app, "/admin/outbox").await;
    assert!(!html.contains("envíos fallidos") && !html.contains("Reintentar todos"), "none left: {html}");
}

#[tokio::test]
async fn retry_all_from_the_page_and_pages_of_fifty() {
    let app = TestApp::spawn_with(|s| s.outbox.max_attempts = 1).await;
    let store = app.desk.store();
    let now = tikal_store::now();
    for i in 0..53 {
        let mail = LinkMail { to: format!("p{i}@gob.example"), link: Some("http://x/password/forgot".into()), ..LinkMail::default() };
        let job = if i % 2 == 0 { Job::PasswordReset(mail) } else { Job::VerifyEmail(mail) };
        store.enqueue_job(&job, now).await.expect("enqueue");
    }
    assert_eq!(worker(&app, &closed_port()).run_due(now).await.expect("worker"), 0);

    let first = outbox(&app, "").await;
    assert_eq!(first.len(), 50, "a page of fifty");
    let last = first[49]["id"].as_i64().expect("id");
    let rest = outbox(&app, &format!("?before={last}")).await;
    assert_eq!(rest.len(), 3);
    let mut ids: Vec<i64> = first.iter().chain(&rest).map(|j| j["id"].as_i64().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");
    ids.dedup();
    assert_eq!(ids.len(), 53);

    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (_, html) = get(&c, &app, "/admin/outbox?state=dead").await;
    assert!(html.contains(&format!("/admin/outbox?before={last}&amp;state=dead")), "a link to the next page: {html}");
    let (_, html) = get(&c, &app, "/admin/outbox?kind=mail.verify_email").await;
    assert!(html.contains("26 envíos fallidos"), "the button counts the kind filtered on: {html}");
    let token = csrf(&html);
    let (status, html) =
        post(&c, &app, "/admin/outbox/retry-dead", &[("csrf", &token), ("kind", "mail.verify_email"), ("state", "")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("26 envíos fallidos volvieron a la cola"), "{html}");
    assert_eq!(outbox(&app, "?state=pending").await.len(), 26);
    assert_eq!(app.desk.dead_job_count(&Principal::System, None).await.expect("count"), 27, "the other kind is left");
    assert_eq!(audit_retries(&app).await.len(), 26, "one entry per job");
    let (status, _) = post(&c, &app, "/admin/outbox/retry-dead", &[("csrf", "forged"), ("kind", "")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the form token is checked");
    assert_eq!(app.desk.dead_job_count(&Principal::System, None).await.expect("count"), 27);
}

/// `tikal outbox retry` on the same database as a running server.
fn retry_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tikal"))
        .env("TIKAL_DATA_DIR", app.dir.path())
        .env("TIKAL_DATABASE_URL", &app.database_url)
        .env("TIKAL_LOG", "warn")
        .args(["outbox", "retry"])
        .args(args)
        .output()
        .expect("run tikal")
}

#[tokio::test]
async fn the_command_line_retries_one_dead_job_or_all() {
    let app = TestApp::spawn_with(|s| s.outbox.max_attempts = 1).await;
    let (created, link) = failed_mail(&app).await;
    let out = retry_cli(&app, &[&link.to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("job {link} (mail.ticket_link) is back in the queue")));
    let job = app.desk.store().job(JobId(link)).await.expect("job").expect("exists");
    assert_eq!((job.state, job.attempts), (JobState::Pending, 0));

    let again = retry_cli(&app, &[&link.to_string()]);
    assert!(!again.status.success(), "a pending job is refused");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("only a dead job can be retried"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(!retry_cli(&app, &["999999"]).status.success(), "an unknown job is refused");
    assert!(!retry_cli(&app, &[]).status.success(), "an id or --all-dead is needed");
    assert!(!retry_cli(&app, &["--all-dead", "--kind", "mail.nope"]).status.success(), "an unknown kind is refused");

    let none = retry_cli(&app, &["--all-dead", "--kind", "mail.ticket_link"]);
    assert!(String::from_utf8_lossy(&none.stdout).contains("0 dead job(s)"), "{}", String::from_utf8_lossy(&none.stdout));
    let all = retry_cli(&app, &["--all-dead"]);
    assert!(String::from_utf8_lossy(&all.stdout).contains("1 dead job(s)"), "{}", String::from_utf8_lossy(&all.stdout));
    let audit = audit_retries(&app).await;
    assert_eq!(audit.iter().map(|e| e.entity_id.clone()).collect::<Vec<_>>(), vec![created.to_string(), link.to_string()]);
    assert!(audit.iter().all(|e| e.actor_kind == "system"));
    assert_eq!(app.desk.dead_job_count(&Principal::System, None).await.expect("count"), 0);
}
