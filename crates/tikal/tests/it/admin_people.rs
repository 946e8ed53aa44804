//! People administration: agents invited by e-mail who choose their password and sign in,
//! deactivated at once (session and key), custom roles, requester edit and merge, CSV import
//! with a per-row report, organisations; refused values change nothing; audit entries; and
//! all of it refused to non-administrators.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};
use tikal_testkit::{SmtpSink, TestApp};

const PAGES: &[&str] = &[
    "/admin/agents",
    "/admin/agents/new",
    "/admin/agents/1",
    "/admin/roles",
    "/admin/roles/new",
    "/admin/roles/1",
    "/admin/requesters",
    "/admin/requesters/1",
    "/admin/requesters/1/merge?into=2",
    "/admin/requesters/import",
    "/admin/organisations",
    "/admin/organisations/new",
    "/admin/organisations/1",
];

const FORMS: &[&str] = &[
    "/admin/agents",
    "/admin/agents/1",
    "/admin/agents/1/invite",
    "/admin/roles",
    "/admin/roles/1",
    "/admin/roles/1/delete",
    "/admin/requesters/1",
    "/admin/requesters/1/merge",
    "/admin/requesters/import",
    "/admin/requesters/import/apply",
    "/admin/organisations",
    "/admin/organisations/1",
];

const CALLS: &[(&str, &str)] = &[
    ("GET", "/api/v1/agents"),
    ("POST", "/api/v1/agents"),
    ("GET", "/api/v1/agents/1"),
    ("PUT", "/api/v1/agents/1"),
    ("GET", "/api/v1/roles"),
    ("POST", "/api/v1/roles"),
    ("GET", "/api/v1/roles/1"),
    ("PUT", "/api/v1/roles/1"),
    ("DELETE", "/api/v1/roles/1"),
    ("GET", "/api/v1/requesters"),
    ("GET", "/api/v1/requesters/1"),
    ("PUT", "/api/v1/requesters/1"),
    ("POST", "/api/v1/requesters/1/merge"),
    ("POST", "/api/v1/requesters/import"),
    ("GET", "/api/v1/organisations"),
    ("POST", "/api/v1/organisations"),
    ("GET", "/api/v1/organisations/1"),
    ("PUT", "/api/v1/organisations/1"),
];

async fn call(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
}

async fn audit_len(app: &TestApp) -> usize {
    app.desk.audit_log(&tikal_service::Principal::System, &Default::default()).await.expect("audit").len()
}

use crate::mail::{link_in, worker};

#[tokio::test]
async fn people_administration_is_for_administrators_only() {
    let app = TestApp::spawn().await;
    crate::admin::assert_admin_only(&app, PAGES, FORMS, CALLS).await;
    let (_, agents) = call(&app, &app.key, Method::GET, "/api/v1/agents", None).await;
    assert!(agents.as_array().is_some_and(|a| a.iter().all(|a| a["name"] != "Intrusos")), "{agents}");
}

#[tokio::test]
async fn an_invited_agent_chooses_a_password_signs_in_and_is_deactivated_at_once() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let upat = app.department("UPAT").await;
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&c, &app, "/admin/agents/new").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&format!("name=\"grant_{}\"", upat.get())), "a role per department: {html}");
    let token = csrf(&html);
    let roles: Vec<Value> = app.get("/api/v1/roles").await.json().await.expect("roles");
    let agent_role = roles.iter().find(|r| r["name"] == "agent").expect("agent role")["id"].to_string();
    let grant = format!("grant_{}", upat.get());

    // Refused: a bad address, no department, an unknown role; nothing stored, nothing mailed.
    let before = audit_len(&app).await;
    for (form, says) in [
        (vec![("person_email", "no es correo"), ("name", "Luis"), (grant.as_str(), agent_role.as_str())], "Correo electrónico"),
        (vec![("person_email", "luis@gob.example"), ("name", "Luis")], "Departamentos y roles"),
        (vec![("person_email", "luis@gob.example"), ("name", "Luis"), (grant.as_str(), "99999")], "Departamentos y roles"),
        (vec![("person_email", "director.ti@gob.example"), ("name", "Otro"), (grant.as_str(), agent_role.as_str())], "ya está en uso"),
    ] {
        let mut f = vec![("csrf", token.as_str()), ("active", "on")];
        f.extend(form.iter().copied());
        let (status, html) = post(&c, &app, "/admin/agents", &f).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {html}");
        assert!(html.contains("id=\"form-error\"") && html.contains(says), "{form:?}: {html}");
    }
    assert_eq!(before, audit_len(&app).await, "refused forms changed nothing");

    // The invitation.
    let (status, html) = post(
        &c,
        &app,
        "/admin/agents",
        &[("csrf", &token), ("person_email", "Luis.Tecnico@gob.example"), ("name", "Luis Pérez"), (&grant, &agent_role), ("active", "on")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Invitación enviada") && html.contains("luis.tecnico@gob.example"), "{html}");
    assert!(html.contains("Invitado, sin contraseña"), "{html}");
    assert_eq!(worker(&app, &sink.url()).run_due(tikal_store::now()).await.expect("worker"), 1);
    let messages = sink.messages();
    assert!(messages[0].contains("To: luis.tecnico@gob.example"), "{}", messages[0]);
    assert!(messages[0].contains("como agente"), "{}", messages[0]);
    let link = link_in(&messages[0], "/agent/invite/");
    let path = link.split("127.0.0.1:8080").nth(1).expect("a link to the public URL").to_string();

    // The link shows a form; a short password is refused and the link still works.
    let luis = browser();
    let (status, html) = get(&luis, &app, &path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Luis Pérez"), "{html}");
    let t = csrf(&html);
    let (status, html) = post(&luis, &app, &path, &[("csrf", &t), ("password", "corta")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let (status, html) = post(&luis, &app, &path, &[("csrf", &t), ("password", "una clave de técnico 2026")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Luis Pérez"), "signed in to the workspace: {html}");
    let (status, _) = get(&browser(), &app, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the link works once");

    // And signs in again at /agent/login, with a key of their own.
    let luis2 = browser();
    agent_sign_in(&luis2, &app, "luis.tecnico@gob.example", "una clave de técnico 2026").await;
    let agents: Vec<Value> = app.get("/api/v1/agents?q=luis").await.json().await.expect("agents");
    assert_eq!(agents.len(), 1, "{agents:?}");
    assert_eq!(agents[0]["has_password"], true);
    let luis_id = agents[0]["id"].as_i64().expect("id");
    let key = app.desk.create_agent_api_key(tikal_core::AgentId(luis_id), "script").await.expect("key");
    let (status, _) = call(&app, &key, Method::GET, "/api/v1/tickets", None).await;
    assert_eq!(status, StatusCode::OK);

    // Deactivated: the open session and the key stop working at once.
    let (status, html) = post(
        &c,
        &app,
        &format!("/admin/agents/{luis_id}"),
        &[("csrf", &token), ("person_email", "luis.tecnico@gob.example"), ("name", "Luis Pérez"), (&grant, &agent_role)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let r = luis2.get(app.url("/agent/tickets")).send().await.expect("get");
    assert_eq!(r.url().path(), "/agent/login", "the session ended");
    let (status, _) = call(&app, &key, Method::GET, "/api/v1/tickets", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the key is refused");
    let (status, _) = post(&browser(), &app, "/agent/login", &[("csrf", "x")]).await;
    assert_ne!(status, StatusCode::OK);
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=agent").await.json().await.expect("log");
    assert_eq!(log[0]["action"], "retire", "{log:?}");
    assert_eq!(log[0]["before"]["active"], true);
    assert_eq!(log[0]["after"]["active"], false);
    assert_eq!(log[1]["action"], "create");
    assert_eq!(log[1]["after"]["grants"][0], "UPAT → agent");

    // The last administrator cannot take away their own rights.
    let me: Vec<Value> = app.get("/api/v1/agents?q=director").await.json().await.expect("agents");
    let mut body = me[0].clone();
    body["is_admin"] = json!(false);
    body["grants"] = json!([{"department_id": upat.get(), "role_id": agent_role.parse::<i64>().expect("id")}]);
    let (status, e) = call(&app, &app.key, Method::PUT, &format!("/api/v1/agents/{}", me[0]["id"]), Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
}

#[tokio::test]
async fn a_custom_role_lets_a_consultant_note_but_not_reply() {
    let app = TestApp::spawn().await;
    let upat = app.department("UPAT").await;
    let (status, role) = call(
        &app,
        &app.key,
        Method::POST,
        "/api/v1/roles",
        Some(json!({"name": "Consultor", "permissions": ["ticket.view", "ticket.note"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    for bad in [
        json!({"name": "consultor", "permissions": ["ticket.view"]}),
        json!({"name": "Auditor", "permissions": []}),
        json!({"name": "Auditor", "permissions": ["ticket.fly"]}),
    ] {
        let (status, _) = call(&app, &app.key, Method::POST, "/api/v1/roles", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let (status, agent) = call(
        &app,
        &app.key,
        Method::POST,
        "/api/v1/agents",
        Some(json!({"email": "consultora@gob.example", "name": "Carla Consultora", "grants": [{"department_id": upat.get(), "role_id": role["id"]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    assert_eq!(agent["has_password"], false);
    let key = app.desk.create_agent_api_key(tikal_core::AgentId(agent["id"].as_i64().expect("id")), "c").await.expect("key");
    let body = json!({"subject": "Impresora sin tóner", "message": "No imprime", "requester": {"email": "rosa@gob.example"}, "department_id": upat.get()});
    let (_, t) = call(&app, &app.key, Method::POST, "/api/v1/tickets", Some(body)).await;
    let msgs = format!("/api/v1/tickets/{}/messages", t["number"].as_str().expect("number"));
    let (status, e) = call(&app, &key, Method::POST, &msgs, Some(json!({"kind": "note", "body": "Revisé el equipo"}))).await;
    assert!(status.is_success(), "a note: {e}");
    let (status, _) = call(&app, &key, Method::POST, &msgs, Some(json!({"kind": "reply", "body": "Hola Rosa"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no reply");

    // A role in use cannot be deleted; built-in names stay; permissions of a role change at once.
    let rid = role["id"].as_i64().expect("id");
    let (status, _) = call(&app, &app.key, Method::DELETE, &format!("/api/v1/roles/{rid}"), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let roles: Vec<Value> = app.get("/api/v1/roles").await.json().await.expect("roles");
    let builtin = roles.iter().find(|r| r["name"] == "read_only").expect("read_only");
    let (status, _) = call(
        &app,
        &app.key,
        Method::PUT,
        &format!("/api/v1/roles/{}", builtin["id"]),
        Some(json!({"name": "lectura", "permissions": ["ticket.view"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(&app, &app.key, Method::DELETE, &format!("/api/v1/roles/{}", builtin["id"]), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = call(
        &app,
        &app.key,
        Method::PUT,
        &format!("/api/v1/roles/{rid}"),
        Some(json!({"name": "Consultor", "permissions": ["ticket.view", "ticket.note", "ticket.reply"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&app, &app.key, Method::POST, &msgs, Some(json!({"kind": "reply", "body": "Hola Rosa"}))).await;
    assert!(status.is_success());
    let (status, e) = call(&app, &key, Method::POST, &msgs, Some(json!({"kind": "reply", "body": "Ya quedó"}))).await;
    assert!(status.is_success(), "the new permission holds at once: {e}");

    // Through the pages: translated permission names; an unused custom role goes.
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (_, html) = get(&c, &app, "/admin/roles/new").await;
    assert!(html.contains("Escribir notas internas"), "{html}");
    let token = csrf(&html);
    let (status, html) = post(&c, &app, "/admin/roles", &[("csrf", &token), ("name", "Temporal"), ("perm", "ticket.view")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, html) = post(&c, &app, "/admin/roles", &[("csrf", &token), ("name", "Vacío")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Permisos"), "{html}");
    let roles: Vec<Value> = app.get("/api/v1/roles").await.json().await.expect("roles");
    let temp = roles.iter().find(|r| r["name"] == "Temporal").expect("temporal")["id"].clone();
    let (status, _) = post(&c, &app, &format!("/admin/roles/{temp}/delete"), &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=role").await.json().await.expect("log");
    assert_eq!(log[0]["action"], "delete");
    assert_eq!(log[0]["before"]["name"], "Temporal");
}

#[tokio::test]
async fn a_duplicate_requester_is_merged_and_can_no_longer_sign_in() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    // Rosa registered twice, with her personal and her institutional address.
    for (email, pass) in [("rosa.quispe@gmail.example", "clave personal de rosa"), ("rosa.quispe@gob.example", "clave institucional rosa")]
    {
        let c = browser();
        let (_, html) = get(&c, &app, "/register").await;
        let (status, _) =
            post(&c, &app, "/register", &[("csrf", &csrf(&html)), ("email", email), ("name", "Rosa Quispe"), ("password", pass)]).await;
        assert_eq!(status, StatusCode::OK);
    }
    let open = |email: &'static str, subject: &'static str| {
        let body = json!({"subject": subject, "message": "Detalle", "requester": {"email": email}, "department_id": mesa.get()});
        call(&app, &app.key, Method::POST, "/api/v1/tickets", Some(body))
    };
    open("rosa.quispe@gmail.example", "Problema de computadoras / Problemas en el teclado").await;
    open("rosa.quispe@gmail.example", "Correo institucional").await;
    open("rosa.quispe@gob.example", "Impresoras").await;
    let dup_session = browser();
    let (_, html) = get(&dup_session, &app, "/login").await;
    let (status, _) = post(
        &dup_session,
        &app,
        "/login",
        &[("csrf", &csrf(&html)), ("email", "rosa.quispe@gmail.example"), ("password", "clave personal de rosa")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let found: Vec<Value> = app.get("/api/v1/requesters?q=rosa").await.json().await.expect("requesters");
    assert_eq!(found.len(), 2, "{found:?}");
    let dup = found.iter().find(|r| r["email"] == "rosa.quispe@gmail.example").expect("dup")["id"].as_i64().expect("id");
    let keep = found.iter().find(|r| r["email"] == "rosa.quispe@gob.example").expect("keep")["id"].as_i64().expect("id");

    // The preview through the pages, then the merge.
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&c, &app, &format!("/admin/requesters/{dup}/merge?into=rosa.quispe%40gob.example")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Tickets que pasan: <strong>2</strong>") && html.contains("Sesiones abiertas que se cierran: <strong>2</strong>"),
        "{html}"
    );
    let (status, html) = get(&c, &app, &format!("/admin/requesters/{dup}/merge?into={dup}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let token = csrf(&html);
    let (status, html) = post(&c, &app, &format!("/admin/requesters/{dup}/merge"), &[("csrf", &token), ("into", &keep.to_string())]).await;
    assert_eq!(status, StatusCode::OK, "{html}");

    let store = app.desk.store();
    let moved = store.merge_counts(tikal_core::RequesterId(dup)).await.expect("counts");
    assert_eq!(moved.tickets, 0, "nothing is left with the duplicate");
    assert_eq!(store.merge_counts(tikal_core::RequesterId(keep)).await.expect("counts").tickets, 3);

    // The duplicate's session ended; its address and password no longer sign in separately.
    let r = dup_session.get(app.url("/tickets")).send().await.expect("get");
    assert_eq!(r.url().path(), "/login", "{}", r.url());
    let again = browser();
    let (_, html) = get(&again, &app, "/login").await;
    let (status, _) = post(
        &again,
        &app,
        "/login",
        &[("csrf", &csrf(&html)), ("email", "rosa.quispe@gmail.example"), ("password", "clave personal de rosa")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A new ticket from the old address goes to the requester kept.
    open("rosa.quispe@gmail.example", "Acceso a sistemas").await;
    assert_eq!(store.merge_counts(tikal_core::RequesterId(keep)).await.expect("counts").tickets, 4);
    let found: Vec<Value> = app.get("/api/v1/requesters?q=rosa").await.json().await.expect("requesters");
    assert_eq!(found.len(), 1, "merged requesters are not listed: {found:?}");
    let (_, merged) = call(&app, &app.key, Method::GET, &format!("/api/v1/requesters/{dup}"), None).await;
    assert_eq!(merged["merged_into"], keep);
    let (status, _) = call(&app, &app.key, Method::POST, &format!("/api/v1/requesters/{dup}/merge"), Some(json!({"into": keep}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "merged once");
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=requester").await.json().await.expect("log");
    assert_eq!(log[0]["action"], "merge");
    assert_eq!(log[0]["before"]["email"], "rosa.quispe@gmail.example");
    assert_eq!(log[0]["after"]["tickets"], 2);

    // Editing: refused values change nothing; a good edit is recorded.
    let before = audit_len(&app).await;
    for (form, says) in [
        (vec![("person_email", "rosa.quispe@gmail.example"), ("name", "Rosa")], "ya está en uso"),
        (vec![("person_email", "rosa@"), ("name", "Rosa")], "Correo electrónico"),
        (vec![("person_email", "rosa.quispe@gob.example"), ("name", "Rosa"), ("phone", "llamar")], "Teléfono"),
        (vec![("person_email", "rosa.quispe@gob.example"), ("name", "Rosa"), ("language", "fr")], "Idioma"),
        (vec![("person_email", "rosa.quispe@gob.example"), ("name", "Rosa"), ("organisation_id", "9999")], "Organización"),
    ] {
        let mut f = vec![("csrf", token.as_str())];
        f.extend(form.iter().copied());
        let (status, html) = post(&c, &app, &format!("/admin/requesters/{keep}"), &f).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {html}");
        assert!(html.contains(says), "{form:?}: {html}");
    }
    assert_eq!(before, audit_len(&app).await);
    let (status, org) =
        call(&app, &app.key, Method::POST, "/api/v1/organisations", Some(json!({"name": "UPAT", "domain": "gob.example"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let (status, _) = call(&app, &app.key, Method::POST, "/api/v1/organisations", Some(json!({"name": "upat"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) =
        call(&app, &app.key, Method::POST, "/api/v1/organisations", Some(json!({"name": "Otra", "domain": "no es dominio"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let org_id = org["id"].to_string();
    let (status, html) = post(
        &c,
        &app,
        &format!("/admin/requesters/{keep}"),
        &[
            ("csrf", &token),
            ("person_email", "rosa.quispe@gob.example"),
            ("name", "Rosa Quispe Mamani"),
            ("phone", "+593 2 255-0000"),
            ("organisation_id", &org_id),
            ("language", "es"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, r) = call(&app, &app.key, Method::GET, &format!("/api/v1/requesters/{keep}"), None).await;
    assert_eq!(
        (r["name"].as_str(), r["organisation_id"].as_i64(), r["language"].as_str()),
        (Some("Rosa Quispe Mamani"), org["id"].as_i64(), Some("es"))
    );
    let (_, html) = get(&c, &app, "/admin/organisations").await;
    assert!(html.contains(">UPAT</a>") && html.contains("gob.example"), "{html}");
}

#[tokio::test]
async fn requesters_are_imported_from_csv_with_a_preview_and_a_report() {
    let app = TestApp::spawn().await;
    let (status, _) = call(&app, &app.key, Method::POST, "/api/v1/organisations", Some(json!({"name": "UPAT"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Impresoras", "existente@gob.example").await;
    let file = "email,name,phone,organisation,language\n\
                maria.nunez@gob.example,María José Núñez Peña,099 111 2222,UPAT,es\n\
                no-es-un-correo,Alguien,,,\n\
                MARIA.NUNEZ@gob.example,María otra vez,,,\n\
                existente@gob.example,Existente Actualizado,,,en\n\
                pedro@gob.example,Pedro Álvarez,,Desconocida,fr\n";

    // Through the pages: the preview says every row's result; nothing is saved until applied.
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&c, &app, "/admin/requesters/import").await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf(&html);
    let upload = |bytes: Vec<u8>, to: &'static str, field: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", token.clone())
            .part(field, reqwest::multipart::Part::bytes(bytes).file_name("solicitantes.csv").mime_str("text/csv").expect("mime"));
        let c = c.clone();
        let url = app.url(to);
        async move {
            let r = c.post(url).multipart(form).send().await.expect("post");
            (r.status(), r.text().await.expect("body"))
        }
    };
    let before = audit_len(&app).await;
    let (status, html) = upload(file.as_bytes().to_vec(), "/admin/requesters/import", "file").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Filas que se importarán: <strong>2</strong>")
            && html.contains("Filas con errores (no se importan): <strong>3</strong>"),
        "{html}"
    );
    assert!(
        html.contains("María José Núñez Peña")
            && html.contains("No es un correo electrónico válido")
            && html.contains("aparece antes en el archivo"),
        "{html}"
    );
    assert!(html.contains("Organización: No existe.") && html.contains("Idioma: Elija una de las opciones."), "{html}");
    assert_eq!(before, audit_len(&app).await, "a preview saves nothing");
    let (status, html) = upload(file.as_bytes().to_vec(), "/admin/requesters/import/apply", "csv").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("id=\"import-done\"")
            && html.contains("Creados: <strong>1</strong>")
            && html.contains("Actualizados: <strong>1</strong>"),
        "{html}"
    );
    let found: Vec<Value> = app.get("/api/v1/requesters?q=nunez").await.json().await.expect("requesters");
    assert_eq!(found[0]["name"], "María José Núñez Peña");
    assert_eq!(found[0]["phone"], "099 111 2222");
    let found: Vec<Value> = app.get("/api/v1/requesters?q=existente").await.json().await.expect("requesters");
    assert_eq!((found[0]["name"].as_str(), found[0]["language"].as_str()), (Some("Existente Actualizado"), Some("en")));
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=requester").await.json().await.expect("log");
    assert_eq!(log[0]["action"], "import");
    assert_eq!(log[0]["after"]["created"][0], "maria.nunez@gob.example");

    // Windows-1252 (Excel on Windows), semicolons and Spanish headers.
    let latin = b"correo;nombre;idioma\nines@gob.example;In\xe9s Mu\xf1oz;es\n".to_vec();
    let (status, html) = upload(latin, "/admin/requesters/import", "file").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Inés Muñoz") && html.contains("Windows-1252"), "{html}");

    // Refused files: too large, no email column.
    let big = format!("email\n{}", "x".repeat(2 * 1024 * 1024)).into_bytes();
    let (status, html) = upload(big, "/admin/requesters/import", "file").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("supera el máximo de 2 MB"), "{html}");
    let (status, html) = upload(b"nombre\nAna\n".to_vec(), "/admin/requesters/import", "file").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("columna «email»"), "{html}");

    // The API: a dry run reports, the real run imports.
    let csv = "email,name\nana.lopez@gob.example,Ana López\nmal@,x\n";
    let post_csv = |q: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/requesters/import{q}")))
            .bearer_auth(&app.key)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
    };
    let r: Value = post_csv("?dry_run=true").await.expect("post").json().await.expect("json");
    assert_eq!((r["valid"].as_u64(), r["refused"].as_u64(), r["created"].as_u64()), (Some(1), Some(1), Some(0)), "{r}");
    assert_eq!(r["rows"][1]["result"], "error");
    assert_eq!(r["rows"][1]["line"], 3);
    let found: Vec<Value> = app.get("/api/v1/requesters?q=ana.lopez").await.json().await.expect("requesters");
    assert!(found.is_empty());
    let r: Value = post_csv("").await.expect("post").json().await.expect("json");
    assert_eq!(r["created"], 1, "{r}");
    let resp =
        app.client.post(app.url("/api/v1/requesters/import")).bearer_auth(&app.key).body("nombre\nAna\n").send().await.expect("post");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Keyset pages of requesters.
    let page1: Vec<Value> = app.get("/api/v1/requesters?limit=2").await.json().await.expect("page");
    assert_eq!(page1.len(), 2);
    let page2: Vec<Value> = app.get(&format!("/api/v1/requesters?limit=2&after={}", page1[1]["id"])).await.json().await.expect("page");
    assert!(page2.iter().all(|r| r["id"].as_i64() > page1[1]["id"].as_i64()) && !page2.is_empty());
    let (_, html) = get(&c, &app, "/admin/requesters?q=gob.example").await;
    assert!(html.contains("María José Núñez Peña"), "{html}");
}
