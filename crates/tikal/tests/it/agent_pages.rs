//! The agent workspace over HTTP, as a browser without JavaScript meets it: its own sign-in
//! and session, kept apart from the requester portal.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::json;
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

#[tokio::test]
async fn an_agent_signs_in_and_sees_their_tickets() {
    let app = TestApp::spawn().await;
    let desk = app.department("Mesa de Ayuda (Nivel 1)").await;
    let (agent, password) = app.agent_with_password("lucia.mendoza@gob.example", "agent", &[desk]).await;
    let t = app.open_ticket("No imprime la impresora del piso 2", "juan.perez@gob.example").await;
    let number = t["number"].as_str().expect("number");
    let id = TestApp::agent_id(&agent).get();
    let r = app.patch(&format!("/api/v1/tickets/{number}"), &json!({"department_id": desk.get(), "owner_id": id})).await;
    assert_eq!(r.status(), StatusCode::OK);

    let c = browser();
    // Not signed in: the workspace sends to its sign-in page and comes back after.
    let r = c.get(app.url("/agent?x=1")).send().await.expect("get");
    assert!(r.url().as_str().ends_with("/agent/login?next=/agent%3Fx%3D1"), "{}", r.url());
    let html = r.text().await.expect("body");
    let token = csrf(&html);
    let (status, html) = post(
        &c,
        &app,
        "/agent/login",
        &[("csrf", &token), ("email", "lucia.mendoza@gob.example"), ("password", "wrong password!"), ("next", "/agent?x=1")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("id=\"login-error\""), "{html}");
    let r = c
        .post(app.url("/agent/login"))
        .form(&[("csrf", token.as_str()), ("email", "Lucia.Mendoza@gob.example"), ("password", &password), ("next", "/agent?x=1")])
        .send()
        .await
        .expect("post");
    assert!(r.url().as_str().ends_with("/agent?x=1"), "back where she was going: {}", r.url());
    let html = r.text().await.expect("body");
    assert!(html.contains(number), "her ticket is on the dashboard: {html}");
    assert!(html.contains("lucia.mendoza@gob.example"), "her name in the header");

    // Signing out ends the session on the server.
    let token = csrf(&html);
    let (status, _) = post(&c, &app, "/agent/logout", &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    let r = c.get(app.url("/agent")).send().await.expect("get");
    assert!(r.url().path().starts_with("/agent/login"), "signed out: {}", r.url());
    app.stop().await;
}

#[tokio::test]
async fn requester_and_agent_sessions_stay_apart() {
    let app = TestApp::spawn().await;
    let desk = app.department("Mesa de Ayuda").await;
    let (_, password) = app.agent_with_password("operador@gob.example", "agent", &[desk]).await;

    // A requester signed in at the portal.
    let requester = browser();
    let (_, html) = get(&requester, &app, "/register").await;
    let token = csrf(&html);
    let (status, _) = post(
        &requester,
        &app,
        "/register",
        &[("csrf", &token), ("email", "ana@gob.example"), ("name", "Ana Pérez"), ("password", "una clave larga 123")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = requester.get(app.url("/agent")).send().await.expect("get");
    assert!(r.url().path().starts_with("/agent/login"), "a requester's session never opens an agent page: {}", r.url());

    // An agent's password does not open the portal, and a requester's password does not open
    // the workspace.
    let c = browser();
    let (_, html) = get(&c, &app, "/agent/login").await;
    let token = csrf(&html);
    let (status, _) =
        post(&c, &app, "/agent/login", &[("csrf", &token), ("email", "ana@gob.example"), ("password", "una clave larga 123")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    agent_sign_in(&c, &app, "operador@gob.example", &password).await;
    let r = c.get(app.url("/tickets")).send().await.expect("get");
    assert_eq!(r.url().path(), "/login", "the agent's session is not a portal session");

    // A requester's session token sent as the workspace's cookie is not an agent's session.
    let stolen = app.desk.start_session(tikal_store::SessionOwner::Requester(match app.requester("ana@gob.example").await {
        tikal_service::Principal::Requester { id, .. } => id,
        _ => unreachable!(),
    }));
    let token = stolen.await.expect("session").token;
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url("/agent"))
        .header("cookie", format!("tikal_agent={token}"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn sign_in_needs_the_form_token_and_returns_only_to_the_workspace() {
    let app = TestApp::spawn().await;
    let desk = app.department("Mesa de Ayuda").await;
    let (_, password) = app.agent_with_password("operador@gob.example", "agent", &[desk]).await;
    let c = browser();
    get(&c, &app, "/agent/login").await;
    let (status, _) = post(
        &c,
        &app,
        "/agent/login",
        &[("csrf", "0123456789abcdef0123456789abcdef"), ("email", "operador@gob.example"), ("password", &password)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a forged form token");
    let (_, html) = get(&c, &app, "/agent/login?next=//evil.example/agent").await;
    let token = csrf(&html);
    let r = c
        .post(app.url("/agent/login"))
        .form(&[("csrf", token.as_str()), ("email", "operador@gob.example"), ("password", &password), ("next", "//evil.example/x")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.url().path(), "/agent", "no open redirect");
    app.stop().await;
}

#[tokio::test]
async fn the_agent_create_command_makes_an_agent_who_can_sign_in() {
    let app = TestApp::spawn().await;
    let dept = app.department("Infraestructura Tecnológica").await;
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tikal"))
            .env("TIKAL_DATA_DIR", app.dir.path())
            .env("TIKAL_DATABASE_URL", &app.database_url)
            .env("TIKAL_LOG", "warn")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tikal");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write");
        let out = child.wait_with_output().expect("wait");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let create = ["agent", "create", "--email", "carlos.quispe@gob.example", "--name", "Carlos Quispe", "--role", "agent"];
    let by_name = [&create[..], &["--department", "infraestructura tecnológica", "--password-stdin"]].concat();
    let (ok, _, err) = run(&by_name, "corta\n");
    assert!(!ok && err.contains("password"), "a short password is refused: {err}");
    let (ok, _, err) = run(&[&create[..], &["--department", "Redes", "--password-stdin"]].concat(), "una clave larga 2026\n");
    assert!(!ok && err.contains("department"), "an unknown department is refused: {err}");
    let (ok, _, err) = run(
        &[&create[..6], &["--role", "jefe", "--department", "Infraestructura Tecnológica", "--password-stdin"]].concat(),
        "una clave larga 2026\n",
    );
    assert!(!ok && err.contains("role"), "an unknown role is refused: {err}");
    let (ok, out, err) = run(&by_name, "una clave larga 2026\n");
    assert!(ok, "{err}");
    assert!(out.contains("carlos.quispe@gob.example"), "{out}");
    let (ok, _, err) = run(&by_name, "una clave larga 2026\n");
    assert!(!ok && err.contains("already exists"), "the same address twice: {err}");
    let (ok, out, _) = run(&["agent", "list"], "");
    assert!(ok && out.contains("carlos.quispe@gob.example\tCarlos Quispe\tagent\tactive"), "{out}");

    let c = browser();
    agent_sign_in(&c, &app, "carlos.quispe@gob.example", "una clave larga 2026").await;
    let access = app.desk.store().agent_access(app.desk.store().agents().await.expect("agents")[0].id).await.expect("access");
    assert!(access.allows(dept, tikal_core::Permission::TicketReply));
    app.stop().await;
}

/// A client that does not follow redirects, with the cookies of `c`'s sign-in copied over.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn intake_form(token: &str, fields: &[(&str, &str)]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().text("csrf", token.to_string());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

#[tokio::test]
async fn an_operator_registers_calls_on_behalf_of_requesters() {
    let app = TestApp::spawn().await;
    let level1 = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    let (_, password) = app.agent_with_password("operador@gob.example", "agent", &[level1]).await;
    let earlier = app.open_ticket("La impresora del piso 2 no imprime", "rosa.chavez@gob.example").await;
    if earlier["department"]["id"] != level1.get() {
        let r = app
            .patch(&format!("/api/v1/tickets/{}", earlier["number"].as_str().expect("n")), &json!({"department_id": level1.get()}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    let c = no_redirects();
    let (_, html) = get(&c, &app, "/agent/login").await;
    let token = csrf(&html);
    let r = c
        .post(app.url("/agent/login"))
        .form(&[("csrf", token.as_str()), ("email", "operador@gob.example"), ("password", &password)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Find the caller by part of her name; her earlier ticket and similar ones show.
    let (status, html) = get(&c, &app, "/agent/tickets/new?who=Chavez").await;
    assert_eq!(status, StatusCode::OK);
    let found = html.split("id=\"found\"").nth(1).expect("a list of callers");
    let start = found.find("requester=").expect("a link to choose her") + 10;
    let id: String = found[start..].chars().take_while(char::is_ascii_digit).collect();
    let (_, html) = get(&c, &app, &format!("/agent/tickets/new?requester={id}&subject=Impresora%20atascada")).await;
    assert!(html.split("id=\"earlier\"").nth(1).is_some_and(|l| l.contains(earlier["number"].as_str().expect("n"))), "{html}");
    assert!(html.split("id=\"similar\"").nth(1).is_some_and(|l| l.contains(earlier["number"].as_str().expect("n"))), "{html}");
    let token = csrf(&html);

    // A mistake keeps what was typed.
    let form = intake_form(
        &token,
        &[("requester", &id), ("channel", "whatsapp"), ("impact", "3"), ("urgency", "3"), ("subject", ""), ("body", "Se atasca el papel")],
    );
    let r = c.post(app.url("/agent/tickets/new")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("Se atasca el papel") && html.contains("id=\"subject-error\""), "{html}");

    // Registered for the known caller, from WhatsApp, priority from impact and urgency.
    let form = intake_form(
        &token,
        &[
            ("requester", &id),
            ("channel", "whatsapp"),
            ("department", &level1.get().to_string()),
            ("type", "incident"),
            ("impact", "3"),
            ("urgency", "3"),
            ("subject", "Impresora atascada"),
            ("body", "Se atasca el papel en la bandeja 2"),
        ],
    );
    let r = c.post(app.url("/agent/tickets/new")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().expect("location").to_string();
    let number = to.strip_prefix("/agent/tickets/").and_then(|n| n.strip_suffix("?created=1")).expect("the desk of the new ticket");
    let t: serde_json::Value = app.get(&format!("/api/v1/tickets/{number}")).await.json().await.expect("json");
    assert_eq!(t["channel"], "whatsapp");
    assert_eq!(t["priority"], 5);
    assert_eq!(t["department"]["id"], level1.get());
    assert_eq!(t["requester"]["email"], "rosa.chavez@gob.example");

    // A new caller, by phone, with the number they rang from kept.
    let form = intake_form(
        &token,
        &[
            ("name", "Pedro Flores"),
            ("email", "pedro.flores@gob.example"),
            ("phone", "+591 2 2201234"),
            ("channel", "phone"),
            ("impact", "1"),
            ("urgency", "2"),
            ("subject", "Crear usuario para nuevo funcionario"),
            ("body", "Ingresa el lunes a Contabilidad"),
        ],
    );
    let r = c.post(app.url("/agent/tickets/new")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&c, &app, "/agent/tickets/new?who=2201234").await;
    assert!(html.contains("pedro.flores@gob.example"), "found by phone: {html}");

    // Not in a department her role does not reach.
    let form = intake_form(
        &token,
        &[
            ("name", "Pedro Flores"),
            ("email", "pedro.flores@gob.example"),
            ("channel", "phone"),
            ("department", &infra.get().to_string()),
            ("impact", "1"),
            ("urgency", "1"),
            ("subject", "Servidor caído"),
            ("body", "No responde"),
        ],
    );
    let r = c.post(app.url("/agent/tickets/new")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another department's queue is not hers");
    let (_, html) = get(&c, &app, "/agent/tickets/new").await;
    assert!(!html.contains("Infraestructura Tecnológica"), "nor offered");
    app.stop().await;
}

#[tokio::test]
async fn a_read_only_agent_cannot_search_callers_or_register() {
    let app = TestApp::spawn().await;
    let level1 = app.department("Mesa de Ayuda (Nivel 1)").await;
    let (_, password) = app.agent_with_password("consulta@gob.example", "read_only", &[level1]).await;
    let c = browser();
    let html = agent_sign_in(&c, &app, "consulta@gob.example", &password).await;
    let (status, _) = get(&c, &app, "/agent/tickets/new?who=juan").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let token = csrf(&html);
    let form = intake_form(
        &token,
        &[
            ("name", "Juan"),
            ("email", "juan@gob.example"),
            ("channel", "phone"),
            ("impact", "1"),
            ("urgency", "1"),
            ("subject", "Hola"),
            ("body", "x"),
        ],
    );
    let r = c.post(app.url("/agent/tickets/new")).multipart(form).send().await.expect("post");
    assert!(r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::FORBIDDEN, "{}", r.status());
    assert_eq!(app.desk.store().count_tickets().await.expect("count"), 0);
    app.stop().await;
}
