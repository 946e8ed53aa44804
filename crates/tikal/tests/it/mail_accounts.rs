//! E-mail accounts at `/admin/mail` and `/api/v1/mail-accounts`: administrators only; the
//! password is stored sealed and never shown again (page, API, audit log); the connection
//! test against a real Dovecot names the step that failed with the server's words. Fetching
//! from those accounts is in `fetch`.

mod fetch;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_core::MailAccountId;
use tikal_core::mail_account::{ProbeOutcome, ProbeStep};
use tikal_jobs::{MailTls, ServerProbe};
use tikal_service::{MailProbe, Principal};
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};
use tikal_testkit::{Dovecot, TestApp};

use crate::admin::assert_admin_only;

pub const USER: &str = "mesa";
pub const PASSWORD: &str = "clave de buzón 2026";

/// Creates an account through the API; returns its JSON.
pub async fn create(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/mail-accounts", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "create mail account");
    r.json().await.expect("json")
}

/// An IMAP account on the Dovecot peer (plain, on loopback).
pub fn imap_body(name: &str, server: &Dovecot, user: &str, password: &str) -> Value {
    json!({"name": name, "protocol": "imap", "host": "127.0.0.1", "port": server.imap_port, "security": "none",
           "username": user, "password": password, "address": format!("{user}@uni.example"), "poll_seconds": 30})
}

pub fn pop3_body(name: &str, server: &Dovecot, user: &str, password: &str) -> Value {
    json!({"name": name, "protocol": "pop3", "host": "127.0.0.1", "port": server.pop3_port, "security": "none",
           "username": user, "password": password, "poll_seconds": 30})
}

pub fn id_of(v: &Value) -> MailAccountId {
    MailAccountId(v["id"].as_i64().expect("id"))
}

#[tokio::test]
async fn only_administrators_manage_mail_accounts() {
    let app = TestApp::spawn().await;
    assert_admin_only(
        &app,
        &["/admin/mail", "/admin/mail/new", "/admin/mail/1"],
        &["/admin/mail", "/admin/mail/1", "/admin/mail/1/test"],
        &[
            ("GET", "/api/v1/mail-accounts"),
            ("POST", "/api/v1/mail-accounts"),
            ("GET", "/api/v1/mail-accounts/1"),
            ("PUT", "/api/v1/mail-accounts/1"),
            ("POST", "/api/v1/mail-accounts/1/test"),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_password_is_sealed_and_never_shown() {
    let app = TestApp::spawn().await;
    let secret = "s3creto-del-buzón";
    let body = json!({"name": "Soporte", "protocol": "imap", "host": "mail.uni.example", "security": "tls",
                      "username": "soporte", "password": secret, "address": "soporte@uni.example"});
    let created = create(&app, body.clone()).await;
    assert!(!created.to_string().contains(secret), "not in the answer: {created}");
    assert_eq!(
        (created["port"].as_u64(), created["folder"].as_str(), created["password_set"].as_bool()),
        (Some(993), Some("INBOX"), Some(true))
    );
    let id = id_of(&created);

    // Stored sealed: not the text, and it opens with the desk's key only.
    let store = app.desk.store();
    let sealed = store.mail_account_secret(id).await.expect("secret");
    assert!(!sealed.contains(secret) && sealed.starts_with("v1:"), "{sealed}");
    assert_eq!(store.secret_key().open(&sealed).expect("open"), secret);
    let other = tikal_store::SecretKey::new(app.dir.path(), Some(tikal_store::SecretKeyBytes([1; 32])));
    assert_eq!(other.open(&sealed).expect_err("another key").to_string(), "cannot decrypt: the secret key changed");
    assert!(app.dir.path().join("secret.key").exists(), "made in the data directory on first use");

    // A replace without a password keeps it; deactivating works the same way.
    let mut again = body.clone();
    again["password"] = json!("");
    again["active"] = json!(false);
    let r = app
        .client
        .put(app.url(&format!("/api/v1/mail-accounts/{}", id.get())))
        .bearer_auth(&app.key)
        .json(&again)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let replaced: Value = r.json().await.expect("json");
    assert_eq!(replaced["active"], false);
    assert_eq!(store.secret_key().open(&store.mail_account_secret(id).await.expect("secret")).expect("open"), secret, "kept");

    // Nowhere on the pages, nor in the audit log.
    let (admin, password) = app.admin_with_password("admin.correo@uni.example").await;
    let c = browser();
    agent_sign_in(&c, &app, "admin.correo@uni.example", &password).await;
    let (status, html) = get(&c, &app, &format!("/admin/mail/{}", id.get())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(secret) && html.contains("•••"), "the form says a password is set, not which");
    let (_, list) = get(&c, &app, "/admin/mail").await;
    assert!(list.contains("Soporte") && !list.contains(secret));
    let q = tikal_core::admin::AuditQuery { entity: Some(tikal_core::admin::AdminEntity::MailAccount), limit: 50, ..Default::default() };
    let entries = app.desk.audit_log(&admin, &q).await.expect("audit");
    assert_eq!(entries.len(), 2, "created and retired");
    for e in &entries {
        assert!(!format!("{e:?}").contains(secret), "audit entry holds no password: {e:?}");
    }

    // A refused form is shown again in Spanish, without the password typed.
    let token = csrf(&html);
    let (status, html) = post(
        &c,
        &app,
        "/admin/mail",
        &[
            ("csrf", &token),
            ("name", "Otra"),
            ("protocol", "imap"),
            ("host", "mail.uni.example"),
            ("security", "tls"),
            ("username", "otra"),
            ("password", "tecleada-123"),
            ("poll_seconds", "5"),
            ("active", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Revisar cada") && !html.contains("tecleada-123"), "{html}");
}

#[tokio::test]
async fn the_connection_test_names_the_step_that_failed() {
    let server = Dovecot::start(&[(USER, PASSWORD)]).await;
    server.append(USER, PASSWORD, "INBOX", b"Subject: uno\r\n\r\nhola\r\n").await;
    let app = TestApp::spawn().await;
    let good = create(&app, imap_body("Buzón", &server, USER, PASSWORD)).await;
    let r: Value = app.post(&format!("/api/v1/mail-accounts/{}/test", good["id"]), &json!({})).await.json().await.expect("json");
    assert_eq!((r["ok"].as_bool(), r["messages"].as_u64()), (Some(true), Some(1)), "{r}");

    let cases = [
        (imap_body("Clave mala", &server, USER, "no es la clave"), "login", "Authentication failed"),
        (json!({"port": closed_port()}), "connect", ""),
        (json!({"folder": "NoExiste"}), "folder", "NoExiste"),
        (pop3_body("POP mala", &server, USER, "mala"), "login", ""),
    ];
    for (i, (change, step, says)) in cases.into_iter().enumerate() {
        let mut body = imap_body(&format!("Caso {i}"), &server, USER, PASSWORD);
        if change.get("name").is_some() {
            body = change;
        } else {
            for (k, v) in change.as_object().expect("object") {
                body[k] = v.clone();
            }
        }
        let a = create(&app, body).await;
        let r: Value = app.post(&format!("/api/v1/mail-accounts/{}/test", a["id"]), &json!({})).await.json().await.expect("json");
        assert_eq!((r["ok"].as_bool(), r["step"].as_str()), (Some(false), Some(step)), "case {i}: {r}");
        assert!(r["detail"].as_str().expect("detail").contains(says), "case {i}: the server's words: {r}");
    }
    let pop = create(&app, pop3_body("POP", &server, USER, PASSWORD)).await;
    let r: Value = app.post(&format!("/api/v1/mail-accounts/{}/test", pop["id"]), &json!({})).await.json().await.expect("json");
    assert_eq!((r["ok"].as_bool(), r["messages"].as_u64()), (Some(true), Some(1)), "{r}");

    // The page's button says it in the administrator's language.
    let (_, password) = app.admin_with_password("admin.prueba@uni.example").await;
    let c = browser();
    let html = agent_sign_in(&c, &app, "admin.prueba@uni.example", &password).await;
    let bad =
        app.desk.mail_accounts(&Principal::System).await.expect("accounts").into_iter().find(|a| a.name == "Clave mala").expect("account");
    let (status, html) = post(&c, &app, &format!("/admin/mail/{}/test", bad.id.get()), &[("csrf", &csrf(&html))]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Inicio de sesión rechazado: ") && html.contains("Authentication failed"), "{html}");
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

#[tokio::test]
async fn tls_is_checked_against_the_trusted_roots() {
    let server = Dovecot::start_with_tls(&[(USER, PASSWORD)]).await;
    let (imaps, pop3s, cert) = server.tls.clone().expect("tls");
    let app = TestApp::spawn().await;
    let body = |name: &str, protocol: &str, port: u16| json!({"name": name, "protocol": protocol, "host": "localhost", "port": port, "security": "tls", "username": USER, "password": PASSWORD});
    let imap = create(&app, body("IMAPS", "imap", imaps)).await;
    let pop = create(&app, body("POP3S", "pop3", pop3s)).await;
    let starttls = create(&app, body("STARTTLS", "imap", server.imap_port)).await;
    let mut starttls_body = body("STARTTLS2", "imap", server.imap_port);
    starttls_body["security"] = json!("starttls");
    let upgraded = create(&app, starttls_body).await;
    let trusted = ServerProbe::new(MailTls::with_roots(&[cert.into()]).expect("roots"));
    for (a, ok) in [(&imap, true), (&pop, true), (&upgraded, true), (&starttls, false)] {
        let account = app.desk.mail_account(&Principal::System, id_of(a)).await.expect("account");
        let outcome = trusted.probe(&account, PASSWORD).await;
        assert_eq!(matches!(outcome, ProbeOutcome::Passed { .. }), ok, "{}: {outcome:?}", account.name);
    }
    // The desk's own probe trusts public roots only: a self-signed certificate is refused.
    let r: Value = app.post(&format!("/api/v1/mail-accounts/{}/test", imap["id"]), &json!({})).await.json().await.expect("json");
    assert_eq!((r["ok"].as_bool(), r["step"].as_str()), (Some(false), Some(ProbeStep::Tls.as_str())), "{r}");
}
