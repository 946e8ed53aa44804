//! The requester portal over HTTP, as a browser without JavaScript meets it: forms, cookies,
//! redirects. (Real-browser tests live in tests/browser.)

use reqwest::{Client, StatusCode};
use serde_json::json;
use tikal_core::EmailAddress;
use tikal_testkit::TestApp;
use tikal_testkit::web::{browser, csrf, get, post};

/// The links of the queued mail of one kind, as the mail worker makes them.
pub async fn queued_links(app: &TestApp, kind: &str) -> Vec<String> {
    let key = app.desk.store().link_key();
    app.desk
        .store()
        .pending_jobs()
        .await
        .expect("jobs")
        .iter()
        .filter(|(k, _)| k == kind)
        .map(|(_, p)| {
            let v: serde_json::Value = serde_json::from_str(p).expect("json");
            format!("{}{}", v["link_base"].as_str().expect("link base"), key.token(v["nonce"].as_str().expect("nonce")))
        })
        .collect()
}

pub async fn register(app: &TestApp, email: &str, lang: &str) -> Client {
    let c = browser();
    let (_, html) = get(&c, app, "/register").await;
    let token = csrf(&html);
    let (status, html) =
        post(&c, app, "/register", &[("csrf", &token), ("email", email), ("name", "Ana Pérez"), ("password", "una clave larga 123")]).await;
    assert_eq!(status, StatusCode::OK, "registered and signed in: {html}");
    let (_, html) = get(&c, app, "/profile").await;
    let token = csrf(&html);
    post(&c, app, "/profile", &[("csrf", &token), ("name", "Ana Pérez"), ("phone", ""), ("language", lang)]).await;
    c
}

#[tokio::test]
async fn register_open_a_ticket_and_follow_it() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let c = register(&app, "ana@gob.example", "es").await;
    let (status, html) = get(&c, &app, "/tickets/new").await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf(&html);
    let form = reqwest::multipart::Form::new()
        .text("csrf", token.clone())
        .text("subject", "El teclado no responde")
        .text("body", "Varias teclas no funcionan")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"foto".to_vec()).file_name("teclado.jpg").mime_str("image/jpeg").expect("mime"),
        );
    let r = c.post(app.url("/tickets/new")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    assert!(html.contains("000001"), "the number is shown: {html}");
    let (_, list) = get(&c, &app, "/tickets").await;
    assert!(list.contains("El teclado no responde") && list.contains("Abiertos (1)"), "{list}");

    // The desk replies and resolves; the requester sees the reply and confirms.
    let n = "/api/v1/tickets/000001";
    app.post(&format!("{n}/messages"), &json!({"kind": "reply", "body": "Cambiamos el teclado"})).await;
    app.post(&format!("{n}/messages"), &json!({"kind": "note", "body": "NOTA INTERNA"})).await;
    app.patch(n, &json!({"status": "resolved"})).await;
    let (_, page) = get(&c, &app, "/tickets/000001").await;
    assert!(page.contains("Cambiamos el teclado"));
    assert!(!page.contains("NOTA INTERNA"), "never an internal note");
    assert!(page.contains("teclado.jpg"));
    let token = csrf(&page);
    let (status, page) = post(&c, &app, "/tickets/000001/resolution", &[("csrf", &token), ("answer", "yes")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Cerrado"), "confirmed: closed");
    let t: serde_json::Value = app.get(n).await.json().await.expect("json");
    assert_eq!(t["status"], "closed");
    let (_, print) = get(&c, &app, "/tickets/000001/print").await;
    assert!(print.contains("class=\"ticket print\""));
}

#[tokio::test]
async fn nobody_sees_a_ticket_that_is_not_theirs() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Del otro usuario", "luis@gob.example").await;
    let ana = register(&app, "ana@gob.example", "en").await;
    let (status, html) = get(&ana, &app, "/tickets/000001").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another requester's number");
    assert!(html.contains("We could not find that page or ticket."), "in the user's language");
    assert_eq!(get(&ana, &app, "/tickets/000001/attachments/1").await.0, StatusCode::NOT_FOUND);
    let (_, list) = get(&ana, &app, "/tickets").await;
    assert!(!list.contains("Del otro usuario"));
    // Without a session: to the sign-in page.
    let anonymous = browser();
    let (status, html) = get(&anonymous, &app, "/tickets/000001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/login\""));
}

#[tokio::test]
async fn status_links_are_single_use_and_open_one_ticket() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Impresora sin tóner", "rosa@gob.example").await;
    app.open_ticket("Otro caso de Rosa", "rosa@gob.example").await;
    let c = browser();
    let (_, html) = get(&c, &app, "/status").await;
    let token = csrf(&html);
    let (status, answer) = post(&c, &app, "/status", &[("csrf", &token), ("email", "rosa@gob.example"), ("number", "000001")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, wrong) = post(&c, &app, "/status", &[("csrf", &token), ("email", "nadie@gob.example"), ("number", "000001")]).await;
    let msg = |h: &str| h.split("id=\"status-message\">").nth(1).and_then(|s| s.split('<').next()).map(str::to_string);
    assert_eq!(msg(&answer), msg(&wrong), "the same answer: the form tells nothing");

    // The link's mail is in the outbox (the mail worker makes the link from its nonce).
    let links = queued_links(&app, "mail.ticket_link").await;
    assert_eq!(links.len(), 1, "only the matching request queued a link");
    let path = links[0].split("127.0.0.1:8080").nth(1).expect("a link to this site").to_string();
    let (status, page) = get(&c, &app, &path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, page) = post(&c, &app, &path, &[("csrf", &csrf(&page))]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Impresora sin tóner"), "the link opens its ticket");
    assert_eq!(get(&c, &app, "/tickets/000002").await.0, StatusCode::NOT_FOUND, "and nothing else");
    let other = browser();
    let (status, _) = get(&other, &app, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a link works once");
    let (status, _) = get(&other, &app, "/status/0000000000000000000000000000000000000000000000000000000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a guessed link");

    // An expired link: issued more than its lifetime ago, never used.
    let store = app.desk.store();
    let rosa = store.requester_by_email(&EmailAddress::parse("rosa@gob.example").expect("email")).await.expect("lookup").expect("rosa");
    let ticket = store.ticket_by_number(&tikal_core::TicketNumber::parse("000001").expect("n")).await.expect("lookup").expect("ticket");
    let token = "e".repeat(64);
    let issued = tikal_store::now() - tikal_service::LINK_LIFETIME - chrono::Duration::minutes(1);
    let hash = tikal_service::token_hash(&token);
    store
        .create_token(&hash, tikal_store::TokenPurpose::TicketLink, rosa.id, Some(ticket.id), issued, issued + tikal_service::LINK_LIFETIME)
        .await
        .expect("token");
    let (status, page) = get(&browser(), &app, &format!("/status/{token}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an expired link");
    assert!(!page.contains("Impresora sin tóner"));
}

#[tokio::test]
async fn forms_need_their_token_and_sign_in_is_rate_limited() {
    let app = TestApp::spawn().await;
    let c = register(&app, "ana@gob.example", "es").await;
    let (status, _) = post(&c, &app, "/profile", &[("csrf", "x"), ("name", "Otro"), ("phone", ""), ("language", "es")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a form without its token");
    let r = c.post(app.url("/logout")).header("origin", "https://evil.example").form(&[("csrf", "whatever")]).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let intruder = browser();
    let (_, html) = get(&intruder, &app, "/login").await;
    let token = csrf(&html);
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = post(&intruder, &app, "/login", &[("csrf", &token), ("email", "ana@gob.example"), ("password", "incorrecta")]).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "locked after repeated failures");
    let (status, _) =
        post(&intruder, &app, "/login", &[("csrf", &token), ("email", "ana@gob.example"), ("password", "una clave larga 123")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    let (unknown, _) = post(&browser(), &app, "/login", &[("csrf", &token), ("email", "nadie@gob.example"), ("password", "x")]).await;
    assert_eq!(unknown, StatusCode::FORBIDDEN, "a token belongs to its browser");
}

#[tokio::test]
async fn bad_input_keeps_what_was_typed_and_says_why() {
    let app = TestApp::spawn().await;
    let c = browser();
    let (_, html) = get(&c, &app, "/register").await;
    let token = csrf(&html);
    let r = c
        .post(app.url("/register"))
        .header("accept-language", "en")
        .form(&[("csrf", token.as_str()), ("email", "not-an-address"), ("name", "María"), ("password", "corta")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("It is not a valid e-mail address."), "{html}");
    assert!(html.contains("value=\"María\""), "what was typed is kept");
    assert!(app.desk.store().requester_account(&EmailAddress::parse("x@y.example").expect("e")).await.expect("lookup").is_none());
}

#[tokio::test]
async fn registration_policy_and_guest_tickets() {
    let app = TestApp::spawn_with(|s| {
        s.portal.registration = tikal_service::Registration::Domains(vec!["institucion.gob.example".into()]);
        s.portal.guests_may_open = true;
    })
    .await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let c = browser();
    let (_, html) = get(&c, &app, "/register").await;
    let token = csrf(&html);
    let (status, html) = post(
        &c,
        &app,
        "/register",
        &[("csrf", &token), ("email", "ana@gmail.example"), ("name", "Ana"), ("password", "una clave larga 123")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Solo se admiten correos institucionales"), "{html}");
    let (status, html) = post(
        &c,
        &app,
        "/register",
        &[("csrf", &token), ("email", "ana@institucion.gob.example"), ("name", "Ana"), ("password", "una clave larga 123")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "without mail, not even the institution's domain");
    assert!(html.contains("necesita que este sitio pueda enviar correo"), "{html}");

    // A guest opens a ticket without an account and is pointed to the status check.
    let guest = browser();
    let (status, html) = get(&guest, &app, "/tickets/new").await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf(&html);
    let form = reqwest::multipart::Form::new()
        .text("csrf", token)
        .text("name", "Pedro Flores")
        .text("email", "pedro@externo.example")
        .text("subject", "Consulta sobre el sitio web")
        .text("body", "No carga la página de trámites");
    let r = guest.post(app.url("/tickets/new")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.url().path() == "/status" && r.text().await.expect("body").contains("000001"));
    let t: serde_json::Value = app.get("/api/v1/tickets/000001").await.json().await.expect("json");
    assert_eq!(t["requester"]["email"], "pedro@externo.example");
    assert_eq!(t["channel"], "web");

    let closed = TestApp::spawn_with(|s| s.portal.registration = tikal_service::Registration::StaffOnly).await;
    let c = browser();
    let (status, html) = get(&c, &closed, "/tickets/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/login\""), "no guest tickets: sign in first");
    let (_, html) = get(&c, &closed, "/register").await;
    let token = csrf(&html);
    let (status, html) = post(
        &c,
        &closed,
        "/register",
        &[("csrf", &token), ("email", "x@institucion.gob.example"), ("name", "X"), ("password", "una clave larga 123")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("El registro no está abierto"));
}

#[tokio::test]
async fn organisation_members_see_each_others_tickets_when_allowed() {
    use tikal_core::TicketNumber;
    use tikal_service::{ResolutionAction, ServiceError, TicketQuery};
    for allowed in [true, false] {
        let app = TestApp::spawn_with(|s| s.portal.organisation_tickets = allowed).await;
        app.department("Mesa de Ayuda (Nivel 1)").await;
        app.desk.store().create_organisation("Universidad", Some("uni.example"), tikal_store::now()).await.expect("organisation");
        app.open_ticket("Proyector del aula 5", "decano@uni.example").await;
        app.open_ticket("Caso ajeno", "otro@empresa.example").await;
        app.open_ticket("Mi propio caso", "secretaria@uni.example").await;
        let me = app.requester("secretaria@uni.example").await;
        let desk = &app.desk;
        let colleague = TicketNumber::parse("000001").expect("number");
        let stranger = TicketNumber::parse("000002").expect("number");
        let seen = desk.ticket(&me, &colleague).await;
        assert_eq!(seen.is_ok(), allowed, "a colleague's ticket is visible only when the portal allows it");
        assert!(matches!(desk.ticket(&me, &stranger).await, Err(ServiceError::NotFound(_))), "never another organisation's");
        let org = desk.list_tickets(&me, TicketQuery { organisation: true, limit: 50, ..Default::default() }).await.expect("list");
        let numbers: Vec<String> = org.tickets.iter().map(|t| t.number.to_string()).collect();
        if allowed {
            assert_eq!(numbers, vec!["000003", "000001"]);
            app.patch("/api/v1/tickets/000001", &json!({"status": "resolved"})).await;
            let answer = desk.resolution(&me, &colleague, ResolutionAction::Confirm, "").await;
            assert!(matches!(answer, Err(ServiceError::Forbidden)), "only the ticket's requester confirms its solution");
        } else {
            assert_eq!(numbers, vec!["000003"], "without the policy, only their own");
        }
    }
}

#[tokio::test]
async fn closed_tickets_say_how_to_go_on() {
    let app =
        TestApp::spawn_with(|s| s.desk.resolution = Some(tikal_core::ResolutionPolicy { reopen_window_days: 0, ..Default::default() }))
            .await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let c = register(&app, "ana@gob.example", "es").await;
    let (_, html) = get(&c, &app, "/tickets/new").await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf(&html)).text("subject", "Sin red").text("body", "No hay conexión");
    assert_eq!(c.post(app.url("/tickets/new")).multipart(form).send().await.expect("post").status(), StatusCode::OK);
    app.patch("/api/v1/tickets/000001", &json!({"status": "closed"})).await;
    let (_, page) = get(&c, &app, "/tickets/000001").await;
    assert!(page.contains("ya no puede reabrirse"), "past the reopen window: open a new ticket");
    assert!(!page.contains("action=\"/tickets/000001/reply\""), "no reply form that could not work");
    let form = reqwest::multipart::Form::new().text("csrf", csrf(&page)).text("body", "¿Sigue?");
    let r = c.post(app.url("/tickets/000001/reply")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("abra un ticket nuevo"), "the refusal is explained");
}

#[tokio::test]
async fn link_forms_cannot_flood_an_inbox_and_a_link_lists_one_ticket() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Impresora", "rosa@gob.example").await;
    app.open_ticket("Sigue el caso 000001", "rosa@gob.example").await;
    let email = EmailAddress::parse("rosa@gob.example").expect("email");
    let number = tikal_core::TicketNumber::parse("000001").expect("number");
    for _ in 0..8 {
        app.desk.request_ticket_link(&email, &number, "http://127.0.0.1:8080", "test").await.expect("request");
    }
    let links = app.desk.store().pending_jobs().await.expect("jobs").into_iter().filter(|(k, _)| k == "mail.ticket_link").count();
    assert_eq!(links, 5, "at most five links an hour to one address");

    let owner = app.desk.open_ticket_link(&"0".repeat(64)).await.expect("lookup");
    assert!(owner.is_none());
    let link = queued_links(&app, "mail.ticket_link").await.into_iter().next().expect("a link");
    let token = link.rsplit('/').next().expect("token").to_string();
    let (owner, _) = app.desk.open_ticket_link(&token).await.expect("open").expect("valid");
    let (by, _) = app.desk.session_principal(&owner).await.expect("principal");
    let listed = app.desk.list_tickets(&by, tikal_service::TicketQuery { limit: 50, ..Default::default() }).await.expect("list");
    let numbers: Vec<String> = listed.tickets.iter().map(|t| t.number.to_string()).collect();
    assert_eq!(numbers, vec!["000001"], "a status link lists its one ticket, even when another mentions its number");
}
