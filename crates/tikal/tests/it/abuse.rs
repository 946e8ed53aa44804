//! Abuse: memory, CPU and connections stay bounded; hostile input gets a clean answer.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tikal_core::{EmailAddress, PersonName};
use tikal_service::LoginError;
use tikal_testkit::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PASSWORD: &str = "una clave larga 123";

/// A client without cookies: tests set them by hand.
fn plain() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// An anonymous form token: the cookie and the same value for the form.
async fn anonymous_token(app: &TestApp, path: &str) -> String {
    let r = plain().get(app.url(path)).send().await.expect("get");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("tikal_csrf="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .expect("a form-token cookie");
    assert_eq!(cookie.len(), 32);
    cookie
}

async fn account(app: &TestApp, email: &str) {
    let email = EmailAddress::parse(email).expect("email");
    let name = PersonName::parse("Ana Pérez").expect("name");
    app.desk.register(&email, &name, PASSWORD, Some("es"), "http://127.0.0.1", "127.0.0.1").await.expect("register");
}

fn blob_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| {
                        let p = e.path();
                        if p.file_name().is_some_and(|n| n == ".incoming") {
                            0
                        } else if p.is_dir() {
                            walk(&p)
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&app.dir.path().join("attachments"))
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_counted_before_the_check() {
    let app = TestApp::spawn().await;
    account(&app, "ana@gob.example").await;
    let tries = (0..30).map(|_| {
        let desk = app.desk.clone();
        tokio::spawn(async move { desk.sign_in("ana@gob.example", "incorrecta", "203.0.113.9").await })
    });
    let results: Vec<_> = futures::future::join_all(tries).await.into_iter().map(|r| r.expect("task")).collect();
    let checked = results.iter().filter(|r| matches!(r, Err(LoginError::Invalid))).count();
    let throttled = results.iter().filter(|r| matches!(r, Err(LoginError::Throttled))).count();
    assert!(checked <= 5, "at most the allowance reaches the password check, not {checked}");
    assert_eq!(checked + throttled, 30, "{results:?}");

    // The stranger's failures do not lock the owner out: the owner's own client signs in.
    let id = app.desk.sign_in("ana@gob.example", PASSWORD, "198.51.100.7").await.expect("the owner signs in");
    assert!(id.get() > 0);
    // The stranger's client, once its allowance is used, waits even with the right password.
    for _ in checked..5 {
        assert!(matches!(app.desk.sign_in("ana@gob.example", "incorrecta", "203.0.113.9").await, Err(LoginError::Invalid)));
    }
    assert!(matches!(app.desk.sign_in("ana@gob.example", "incorrecta", "203.0.113.9").await, Err(LoginError::Throttled)));
    assert!(matches!(app.desk.sign_in("ana@gob.example", PASSWORD, "203.0.113.9").await, Err(LoginError::Throttled)));
}

#[tokio::test]
async fn a_database_error_at_sign_in_is_not_a_wrong_password() {
    let app = TestApp::spawn().await;
    account(&app, "ana@gob.example").await;
    let token = anonymous_token(&app, "/login").await;
    app.desk.store().clone().close().await;
    assert!(matches!(app.desk.sign_in("ana@gob.example", "incorrecta", "203.0.113.9").await, Err(LoginError::Failed(_))));
    let r = plain()
        .post(app.url("/login"))
        .header("cookie", format!("tikal_csrf={token}"))
        .header("accept-language", "en")
        .form(&[("csrf", token.as_str()), ("email", "ana@gob.example"), ("password", "incorrecta")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let page = r.text().await.expect("body");
    assert!(!page.contains("Wrong e-mail or password") && page.contains("unexpected error"), "{page}");
}

#[tokio::test]
async fn sign_in_forms_are_rate_limited_per_client() {
    let app = TestApp::spawn().await;
    let token = anonymous_token(&app, "/login").await;
    let attempt = |forwarded: &'static str| {
        plain()
            .post(app.url("/login"))
            .header("cookie", format!("tikal_csrf={token}"))
            .header("accept-language", "es")
            .header("x-forwarded-for", forwarded)
            .form(&[("csrf", token.as_str()), ("email", "nadie@gob.example"), ("password", "incorrecta")])
            .send()
    };
    let mut limited = None;
    for i in 0..14 {
        // The header is not believed without trusted proxies: every try is the same client.
        let forwarded = if i % 2 == 0 { "192.0.2.1" } else { "192.0.2.2" };
        let r = attempt(forwarded).await.expect("post");
        if r.status() == StatusCode::TOO_MANY_REQUESTS && r.headers().contains_key("retry-after") {
            limited = Some(r.text().await.expect("body"));
            break;
        }
    }
    let page = limited.expect("a burst of sign-ins from one client is cut off");
    assert!(page.contains("Demasiados intentos desde su conexión"), "a page in the visitor's language: {page}");
}

#[tokio::test]
async fn trusted_proxies_name_the_client() {
    let app = TestApp::spawn_with(|s| s.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")]).await;
    let token = anonymous_token(&app, "/login").await;
    for i in 0..14 {
        let r = plain()
            .post(app.url("/login"))
            .header("cookie", format!("tikal_csrf={token}"))
            .header("x-forwarded-for", format!("6.6.6.6, 198.51.100.{i}"))
            .form(&[("csrf", token.as_str()), ("email", "nadie@gob.example"), ("password", "incorrecta")])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "each forwarded client has its own allowance");
    }
}

#[tokio::test]
async fn password_hashing_is_bounded_and_the_rest_wait_outside() {
    let app = TestApp::spawn_with(|s| s.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")]).await;
    let token = anonymous_token(&app, "/register").await;
    let posts = (0..60).map(|i| {
        plain()
            .post(app.url("/register"))
            .header("cookie", format!("tikal_csrf={token}"))
            .header("accept-language", "en")
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .form(&[("csrf", token.as_str()), ("email", &format!("p{i}@gob.example")), ("name", "Persona"), ("password", PASSWORD)])
            .send()
    });
    let mut busy = 0;
    let mut done = 0;
    for r in futures::future::join_all(posts).await {
        let r = r.expect("post");
        match r.status() {
            StatusCode::SEE_OTHER => done += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.headers()["retry-after"], "5");
                assert!(r.text().await.expect("body").contains("The server is busy"), "a page in the visitor's language");
                busy += 1;
            }
            other => panic!("unexpected {other}: {}", r.text().await.unwrap_or_default()),
        }
    }
    assert!(busy > 0, "beyond the queue, registrations are told to come back");
    assert!(done > 0, "those in the queue are served");
}

/// Reads until the server closes the connection; `true` if it did within `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn idle_and_half_sent_connections_are_closed_and_others_are_served() {
    let app = TestApp::spawn_with(|s| {
        s.http.header_read_timeout_secs = 1;
        s.http.max_connections = 40;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut hogs = Vec::new();
    for i in 0..60 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        if i % 2 == 0 {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.expect("half a request");
        }
        hogs.push(s);
    }
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(15), plain().get(app.url("/healthz")).send())
        .await
        .expect("the server still answers")
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(15));
    for s in &mut hogs {
        assert!(closed_within(s, Duration::from_secs(10)).await, "an idle or half-sent connection is closed");
    }
}

#[tokio::test]
async fn forms_are_small_and_bad_forms_get_a_page() {
    let app = TestApp::spawn().await;
    let token = anonymous_token(&app, "/login").await;
    let big = "x".repeat(100 * 1024);
    let r = plain()
        .post(app.url("/login"))
        .header("cookie", format!("tikal_csrf={token}"))
        .header("accept-language", "es")
        .form(&[("csrf", token.as_str()), ("email", big.as_str()), ("password", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.expect("body").contains("demasiado grande"));

    let r = plain()
        .post(app.url("/login"))
        .header("cookie", format!("tikal_csrf={token}"))
        .header("accept-language", "en")
        .form(&[("email", "ana@gob.example"), ("password", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.headers()["content-type"].to_str().expect("type").starts_with("text/html"));
    let page = r.text().await.expect("body");
    assert!(page.contains("The form could not be read") && !page.contains("deserialize"), "{page}");
}

#[tokio::test]
async fn api_errors_name_no_rust_types() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Impresora", "rosa@gob.example").await;
    let rust = ["struct", "CreateTicket", "UpdateTicket", "i64", "u8", "u32", "Option<", "alloc::", "core::", "String"];
    let answers = [
        app.post_raw("/api/v1/tickets", "[]").await,
        app.post_raw("/api/v1/tickets", r#"{"subject": 5, "message": "x", "requester": {"email": "a@b.example"}}"#).await,
        app.post_raw("/api/v1/tickets", r#"{"subject": "x", "message": "x", "requester": {"email": "a@b.example"}, "priority": "alta"}"#)
            .await,
        app.patch("/api/v1/tickets/000001", &json!({"priority": "alta"})).await,
        app.patch("/api/v1/tickets/000001", &json!([1, 2])).await,
        app.post_raw("/api/v1/tickets", "{not json").await,
        app.get("/api/v1/tickets/000001/attachments/abc").await,
        app.get("/api/v1/tickets?priority=alta").await,
        app.get("/api/v1/tickets?department=x").await,
    ];
    for r in answers {
        let status = r.status();
        assert!(status.is_client_error(), "{status}");
        let body: Value = r.json().await.expect("json error");
        let message = body["error"]["message"].as_str().expect("message").to_string();
        assert!(body["error"]["code"].is_string());
        for word in rust {
            assert!(!message.contains(word), "`{word}` in: {message}");
        }
    }
}

#[tokio::test]
async fn a_nul_character_is_refused_everywhere() {
    let app = TestApp::spawn_with(|s| s.portal.guests_may_open = true).await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.desk
        .store()
        .create_custom_field(tikal_store::NewCustomField {
            def: tikal_core::fields::FieldDef {
                key: "inventario".into(),
                label: "Inventario".into(),
                kind: tikal_core::fields::FieldKind::Text,
                options: vec![],
                required: false,
            },
            help_topic_id: None,
        })
        .await
        .expect("field");
    let base = json!({"subject": "Impresora", "message": "Sin tóner", "requester": {"email": "rosa@gob.example", "name": "Rosa"}});
    let with = |path: &[&str], value: &str| {
        let mut v = base.clone();
        let mut cur = &mut v;
        for p in &path[..path.len() - 1] {
            cur = cur.as_object_mut().expect("object").entry(p.to_string()).or_insert(json!({}));
        }
        cur[path[path.len() - 1]] = json!(value);
        v
    };
    for body in [
        with(&["subject"], "Impre\u{0}sora"),
        with(&["message"], "Sin\u{0} tóner"),
        with(&["requester", "name"], "Ro\u{0}sa"),
        with(&["custom_fields", "inventario"], "PC\u{0}42"),
    ] {
        let r = app.post("/api/v1/tickets", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e: Value = r.json().await.expect("json");
        assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("control characters")), "{e}");
    }
    let ticket = app.open_ticket("Impresora", "rosa@gob.example").await;
    let number = ticket["number"].as_str().expect("number").to_string();
    let r = app.post(&format!("/api/v1/tickets/{number}/messages"), &json!({"kind": "reply", "body": "Hola\u{0}"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/tickets?q=%00").await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The portal: a guest's new-ticket form, field by field.
    let token = anonymous_token(&app, "/tickets/new").await;
    for (field, value) in [("subject", "Sin\0red"), ("body", "No hay\0conexión"), ("name", "Pe\0dro"), ("cf_inventario", "PC\0")] {
        let mut form = reqwest::multipart::Form::new().text("csrf", token.clone());
        for (k, v) in [("email", "pedro@gob.example"), ("name", "Pedro"), ("subject", "Sin red"), ("body", "No hay conexión")] {
            if k != field {
                form = form.text(k, v);
            }
        }
        form = form.text(field, value.to_string());
        let r = plain()
            .post(app.url("/tickets/new"))
            .header("cookie", format!("tikal_csrf={token}"))
            .header("accept-language", "es")
            .multipart(form)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(r.text().await.expect("body").contains("<html"), "a page");
    }
    let r = plain()
        .post(app.url("/status"))
        .header("cookie", format!("tikal_csrf={token}"))
        .form(&[("csrf", token.as_str()), ("email", "rosa\0@gob.example"), ("number", "000001")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed: Value = app.get("/api/v1/tickets").await.json().await.expect("json");
    assert_eq!(listed["tickets"].as_array().map(Vec::len), Some(1), "only the clean ticket was opened: {listed}");
}

#[tokio::test]
async fn a_language_redirect_with_control_characters_goes_home() {
    let app = TestApp::spawn().await;
    let token = anonymous_token(&app, "/").await;
    for back in ["/\t/evil.example", "/tickets\r\nSet-Cookie: x=1", "/ /evil.example", "/tickets?tab=closed"] {
        let r = plain()
            .post(app.url("/language"))
            .header("cookie", format!("tikal_csrf={token}"))
            .form(&[("csrf", token.as_str()), ("lang", "en"), ("back", back)])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let location = r.headers()["location"].to_str().expect("location").to_string();
        if back == "/tickets?tab=closed" {
            assert_eq!(location, back, "a clean path is kept");
        } else {
            assert_eq!(location, "/", "{back:?}");
        }
    }
}

#[tokio::test]
async fn a_revoked_api_key_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let key = app.desk.create_api_key("integracion").await.expect("key");
    let call = || app.client.get(app.url("/api/v1/departments")).bearer_auth(&key).send();
    assert_eq!(call().await.expect("get").status(), StatusCode::OK);
    let (id, ..) = app.desk.store().api_keys().await.expect("list").into_iter().find(|k| k.1 == "integracion").expect("listed");
    assert!(app.desk.store().revoke_api_key(id).await.expect("revoke"));
    assert_eq!(call().await.expect("get").status(), StatusCode::UNAUTHORIZED, "not after a cache expires: now");
}

#[tokio::test]
async fn an_upload_to_someone_elses_ticket_leaves_no_file() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Impresora de Rosa", "rosa@gob.example").await;
    account(&app, "ana@gob.example").await;
    let c = Client::builder().cookie_store(true).build().expect("client");
    let html = c.get(app.url("/login")).send().await.expect("get").text().await.expect("body");
    let start = html.find("name=\"csrf\" value=\"").expect("token") + 19;
    let token = html[start..].split('"').next().unwrap_or_default().to_string();
    let r = c
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("email", "ana@gob.example"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    let html = r.text().await.expect("body");
    let start = html.find("name=\"csrf\" value=\"").expect("token") + 19;
    let token = html[start..].split('"').next().unwrap_or_default().to_string();
    let form = reqwest::multipart::Form::new()
        .text("csrf", token)
        .text("body", "mire esto")
        .part("attachments", reqwest::multipart::Part::bytes(vec![7u8; 50_000]).file_name("foto.png").mime_str("image/png").expect("mime"));
    let r = c.post(app.url("/tickets/000001/reply")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(blob_files(&app), 0, "nothing was stored for a ticket the sender may not see");

    // The same through the service, as a requester who is not the ticket's (the API path).
    let ana = app.requester("ana@gob.example").await;
    let number = tikal_core::TicketNumber::parse("000001").expect("number");
    let msg = tikal_service::PostMessage {
        kind: tikal_core::EntryKind::Message,
        body: "mire esto".into(),
        attachments: vec![tikal_service::Upload {
            filename: "foto.png".into(),
            content_type: "image/png".into(),
            data: vec![8u8; 1000].into(),
        }],
    };
    assert!(matches!(app.desk.post_message(&ana, &number, msg).await, Err(tikal_service::ServiceError::NotFound(_))));
    assert_eq!(blob_files(&app), 0);
}

#[tokio::test]
async fn housekeeping_removes_files_no_attachment_refers_to() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"factura");
    let r = app
        .post(
            "/api/v1/tickets",
            &json!({"subject": "Con adjunto", "message": "ver", "requester": {"email": "rosa@gob.example"},
                    "attachments": [{"filename": "f.txt", "content_type": "text/plain", "data_base64": data}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let orphan = app.desk.store().blobs().put(b"nadie me usa".to_vec().into()).await.expect("orphan");
    assert_eq!(blob_files(&app), 2);
    let now = tikal_store::now();
    assert_eq!(app.desk.store().purge_orphan_blobs(now - chrono_hours(1)).await.expect("purge"), 0, "recent files are kept");
    assert_eq!(app.desk.store().purge_orphan_blobs(now + chrono_hours(1)).await.expect("purge"), 1);
    assert_eq!(blob_files(&app), 1);
    assert!(app.desk.store().blobs().get(&orphan.sha256).await.is_err());
    let thread: Value = app.get("/api/v1/tickets/000001/thread").await.json().await.expect("json");
    let id = thread["entries"][0]["attachments"][0]["id"].as_i64().expect("attachment id");
    assert_eq!(app.get(&format!("/api/v1/tickets/000001/attachments/{id}")).await.status(), StatusCode::OK, "a used file stays");
}

fn chrono_hours(h: i64) -> chrono::Duration {
    chrono::Duration::hours(h)
}

#[tokio::test]
async fn a_cut_off_upload_is_an_error_not_a_shorter_file() {
    let app = TestApp::spawn_with(|s| s.portal.guests_may_open = true).await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let token = anonymous_token(&app, "/tickets/new").await;
    let boundary = "XyZzYbOuNdArY";
    let mut body = String::new();
    for (k, v) in [("csrf", token.as_str()), ("email", "pedro@gob.example"), ("name", "Pedro"), ("subject", "Sin red"), ("body", "No hay")]
    {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    ));
    body.push_str(&"a".repeat(10_000));
    let declared = body.len() + 50_000;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    let head = format!(
        "POST /tickets/new HTTP/1.1\r\nHost: {addr}\r\nCookie: tikal_csrf={token}\r\nAccept-Language: es\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.expect("head");
    s.write_all(body.as_bytes()).await.expect("part of the body");
    s.shutdown().await.expect("the client stops sending");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("El envío se interrumpió"), "{answer}");
    let listed: Value = app.get("/api/v1/tickets").await.json().await.expect("json");
    assert_eq!(listed["tickets"].as_array().map(Vec::len), Some(0), "no ticket with a shorter file: {listed}");
    assert_eq!(blob_files(&app), 0);
}
