//! Account mail through a real SMTP server on loopback: status-check links and password resets
//! are queued with the request and delivered by the outbox worker, even after the server was
//! down for a while.

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use tikal_jobs::{SmtpMailer, Worker};
use tikal_testkit::{SmtpSink, TestApp};

fn browser() -> Client {
    Client::builder().cookie_store(true).build().expect("client")
}

fn csrf(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a form token") + 19;
    html[start..].split('"').next().unwrap_or_default().to_string()
}

/// The link in a delivered message (quoted-printable may wrap long lines).
pub fn link_in(message: &str, path: &str) -> String {
    let body = message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let start = body.find("http://").expect("a link");
    let link: String = body[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(link.contains(path), "{link}");
    link
}

/// An outbox worker delivering to the SMTP sink at `url`.
pub fn worker(app: &TestApp, url: &str) -> Worker {
    let mailer = Arc::new(SmtpMailer::new(url, "Mesa de Ayuda <mesa@gob.example>").expect("mailer"));
    Worker::new(app.desk.store().clone(), mailer, tikal_jobs::OutboxSettings::default())
}

#[tokio::test]
async fn status_link_arrives_by_mail_and_opens_the_ticket() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Teléfono IP sin tono", "rosa@gob.example").await;
    let c = browser();
    let html = c.get(app.url("/status")).send().await.expect("get").text().await.expect("body");
    let form = [("csrf", csrf(&html)), ("email", "rosa@gob.example".into()), ("number", "000001".into())];
    assert_eq!(c.post(app.url("/status")).form(&form).send().await.expect("post").status(), StatusCode::OK);

    let sent = worker(&app, &sink.url()).run_due(tikal_store::now()).await.expect("worker");
    assert_eq!(sent, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("To: rosa@gob.example"), "{}", messages[0]);
    assert!(messages[0].contains("Acceso a su ticket 000001"));
    let link = link_in(&messages[0], "/status/");
    let path = link.split("127.0.0.1:8080").nth(1).expect("a link to the configured public URL");
    let reader = browser();
    let html = reader.get(app.url(path)).send().await.expect("get").text().await.expect("body");
    assert!(html.contains("Abrir el ticket"), "the link shows a button: {html}");
    let page = reader.post(app.url(path)).form(&[("csrf", csrf(&html))]).send().await.expect("post");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("body").contains("Teléfono IP sin tono"));
    assert_eq!(worker(&app, &sink.url()).run_due(tikal_store::now()).await.expect("worker"), 0, "sent once");
}

#[tokio::test]
async fn password_reset_by_mail() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    let c = browser();
    let html = c.get(app.url("/register")).send().await.expect("get").text().await.expect("body");
    let form =
        [("csrf", csrf(&html)), ("email", "ana@gob.example".into()), ("name", "Ana".into()), ("password", "la clave de siempre".into())];
    c.post(app.url("/register")).form(&form).send().await.expect("register");

    let stranger = browser();
    let html = stranger.get(app.url("/password/forgot")).send().await.expect("get").text().await.expect("body");
    let form = [("csrf", csrf(&html)), ("email", "ana@gob.example".into())];
    assert_eq!(stranger.post(app.url("/password/forgot")).form(&form).send().await.expect("post").status(), StatusCode::OK);
    worker(&app, &sink.url()).run_due(tikal_store::now()).await.expect("worker");
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let link = link_in(&messages[0], "/password/reset/");
    let path = link.split("127.0.0.1:8080").nth(1).expect("path").to_string();

    let html = stranger.get(app.url(&path)).send().await.expect("get").text().await.expect("body");
    let form = [("csrf", csrf(&html)), ("password", "una clave completamente nueva".into())];
    let r = stranger.post(app.url(&path)).form(&form).send().await.expect("reset");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.url().path().starts_with("/tickets"), "signed in after the reset");
    let old = app.desk.sign_in("ana@gob.example", "la clave de siempre", "test").await;
    assert!(old.is_err(), "the old password no longer works");
    assert!(app.desk.sign_in("ana@gob.example", "una clave completamente nueva", "test").await.is_ok());
    let later = browser();
    let html = later.get(app.url(&path)).send().await.expect("get").text().await.expect("body");
    let form = [("csrf", csrf(&html)), ("password", "otra clave más para probar".into())];
    let again = later.post(app.url(&path)).form(&form).send().await.expect("reuse");
    assert!(again.text().await.expect("body").contains("no es válido"), "a reset link works once");
}

#[tokio::test]
async fn mail_waits_while_the_server_is_down() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Sin red", "luis@gob.example").await;
    let email = tikal_core::EmailAddress::parse("luis@gob.example").expect("email");
    let number = tikal_core::TicketNumber::parse("000001").expect("number");
    app.desk.request_ticket_link(&email, &number, "http://127.0.0.1:8080", "test").await.expect("link");

    // Nothing listens on this port: the attempt fails and the job is kept for later.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let now = tikal_store::now();
    assert_eq!(worker(&app, &format!("smtp://127.0.0.1:{closed}")).run_due(now).await.expect("worker"), 0);
    let pending = app.desk.store().pending_jobs().await.expect("jobs");
    assert!(pending.iter().any(|(k, _)| k == "mail.ticket_link"), "still queued");

    let sink = SmtpSink::start().await;
    let w = worker(&app, &sink.url());
    assert_eq!(w.run_due(now).await.expect("worker"), 0, "not before its retry time");
    assert_eq!(w.run_due(now + chrono::Duration::seconds(31)).await.expect("worker"), 1, "delivered on retry");
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn with_mail_configured_new_accounts_confirm_their_address() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app =
        TestApp::spawn_with(|s| s.mail = Some(tikal_jobs::MailSettings { smtp_url: url.clone(), from: "Mesa <mesa@gob.example>".into() }))
            .await;
    let c = browser();
    let html = c.get(app.url("/register")).send().await.expect("get").text().await.expect("body");
    let form = [
        ("csrf", csrf(&html)),
        ("email", "nuevo@gob.example".into()),
        ("name", "Nuevo".into()),
        ("password", "una clave bastante larga".into()),
    ];
    let page = c.post(app.url("/register")).form(&form).send().await.expect("register").text().await.expect("body");
    assert!(page.contains("Le enviamos un correo con un enlace para activar su cuenta"), "{page}");

    let html = c.get(app.url("/login")).send().await.expect("get").text().await.expect("body");
    let form = [("csrf", csrf(&html)), ("email", "nuevo@gob.example".into()), ("password", "una clave bastante larga".into())];
    let r = c.post(app.url("/login")).form(&form).send().await.expect("login");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "not before confirming: the password waits with the link");

    worker(&app, &url).run_due(tikal_store::now()).await.expect("worker");
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("Confirme su correo"));
    let link = link_in(&messages[0], "/register/confirm/");
    let path = link.split("127.0.0.1:8080").nth(1).expect("path").to_string();
    let html = c.get(app.url(&path)).send().await.expect("confirm page").text().await.expect("body");
    let form = [("csrf", csrf(&html)), ("password", "una clave bastante larga".into())];
    let r = c.post(app.url(&path)).form(&form).send().await.expect("confirm");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.url().path().starts_with("/tickets"), "confirmed and signed in");
    assert!(app.desk.sign_in("nuevo@gob.example", "una clave bastante larga", "test").await.is_ok());
    assert_eq!(browser().get(app.url(&path)).send().await.expect("again").status(), StatusCode::NOT_FOUND, "the link works once");
}
