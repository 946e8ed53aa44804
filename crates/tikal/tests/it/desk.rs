//! The agent's ticket desk through the API, as agents use it with their own keys (their rights,
//! not full access): transfer and escalation, resolving with a solution and the supervisor's
//! review (seeds 003 and 004), merge and links, collaborators, time, presence and the
//! collision check, canned responses, and what an agent of another department cannot do.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_core::{DepartmentId, TicketNumber};
use tikal_service::Principal;
use tikal_testkit::TestApp;

/// An agent with an API key of their own (acting with the agent's rights).
struct Agent {
    key: String,
    principal: Principal,
}

async fn agent(app: &TestApp, email: &str, role: &str, depts: &[DepartmentId]) -> Agent {
    let principal = app.agent(email, role, depts).await;
    let key = app.desk.create_agent_api_key(TestApp::agent_id(&principal), "pruebas").await.expect("agent key");
    Agent { key, principal }
}

async fn call(app: &TestApp, key: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
}

async fn get(app: &TestApp, key: &str, path: &str) -> (StatusCode, Value) {
    call(app, key, reqwest::Method::GET, path, None).await
}

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, key, reqwest::Method::POST, path, Some(body)).await
}

async fn delete(app: &TestApp, key: &str, path: &str) -> (StatusCode, Value) {
    call(app, key, reqwest::Method::DELETE, path, None).await
}

/// Opens a ticket in `dept` with the full-access key; returns its number.
async fn open_in(app: &TestApp, dept: DepartmentId, subject: &str, email: &str) -> String {
    let body =
        json!({"subject": subject, "message": format!("Mensaje de {email}"), "requester": {"email": email}, "department_id": dept.get()});
    let (status, t) = post(app, &app.key, "/api/v1/tickets", body).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["number"].as_str().expect("number").to_string()
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn escalation_resolution_and_the_supervisors_review_loop() {
    let app = TestApp::spawn().await;
    let nivel1 = app.department("Mesa de Ayuda (Nivel 1)").await;
    let nivel2 = app.department("Soporte Técnico (Nivel 2)").await;
    let rules = |next: Option<i64>, review: Option<bool>| json!({"next_level_id": next, "review_required": review});
    let put = |path: String, body: Value| {
        let req = app.client.put(app.url(&path)).bearer_auth(&app.key).json(&body);
        async move { req.send().await.expect("PUT").status() }
    };
    assert_eq!(put(format!("/api/v1/departments/{nivel1}/rules"), rules(Some(nivel2.get()), None)).await, StatusCode::OK);
    assert_eq!(put(format!("/api/v1/departments/{nivel2}/rules"), rules(None, Some(true))).await, StatusCode::OK);
    assert_eq!(
        put(format!("/api/v1/departments/{nivel2}/rules"), rules(Some(nivel2.get()), None)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not its own next level"
    );

    let operador = agent(&app, "operador@gob.example", "agent", &[nivel1]).await;
    let tecnico = agent(&app, "tecnico@gob.example", "agent", &[nivel2]).await;
    let supervisora = agent(&app, "supervisora@gob.example", "supervisor", &[nivel2]).await;
    let (status, _) =
        call(&app, &operador.key, reqwest::Method::PUT, &format!("/api/v1/departments/{nivel1}/rules"), Some(rules(None, None))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not set department rules");

    let n = open_in(&app, nivel1, "No funciona el correo", "ana@gob.example").await;
    let t = format!("/api/v1/tickets/{n}");
    let (status, body) = post(&app, &operador.key, &format!("{t}/escalate"), json!({"reason": "  "})).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "a reason is required");
    let (status, body) = post(&app, &operador.key, &format!("{t}/escalate"), json!({"reason": "Requiere revisar el servidor"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["department"]["id"], nivel2.get());
    let (status, _) = get(&app, &operador.key, &t).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "level 1 no longer sees it");
    let (status, body) = post(&app, &tecnico.key, &format!("{t}/escalate"), json!({"reason": "más arriba"})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "no_next_level"));

    let (_, history) = get(&app, &tecnico.key, &format!("{t}/history")).await;
    let escalated = history["events"].as_array().expect("events").iter().find(|e| e["event"] == "escalated").expect("escalated event");
    assert_eq!(escalated["reason"], "Requiere revisar el servidor");
    assert_eq!((escalated["before"].as_str(), escalated["after"].as_str()), (Some(&*nivel1.to_string()), Some(&*nivel2.to_string())));
    assert_eq!(escalated["author"]["id"], TestApp::agent_id(&operador.principal).get());

    // The specialist estimates, works and records the solution; it waits for review.
    let (status, _) = call(&app, &tecnico.key, reqwest::Method::PATCH, &t, Some(json!({"time_estimate_minutes": 90}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post(&app, &tecnico.key, &format!("{t}/resolve"), json!({"solution": ""})).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "a solution is required");
    let (status, body) = post(&app, &tecnico.key, &format!("{t}/resolve"), json!({"solution": "Se reinició el servicio de correo"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["status"].as_str(), body["resolution_approved"].as_bool()), (Some("resolved"), Some(false)));
    let (_, solution) = get(&app, &tecnico.key, &format!("{t}/solution")).await;
    assert_eq!(solution["body"], "Se reinició el servicio de correo");

    let numbers = |page: &Value| page["tickets"].as_array().expect("tickets").iter().map(|t| t["number"].clone()).collect::<Vec<_>>();
    let (_, queue) = get(&app, &supervisora.key, "/api/v1/review-queue").await;
    assert_eq!(numbers(&queue), vec![json!(n)]);
    let (_, queue) = get(&app, &tecnico.key, "/api/v1/review-queue").await;
    assert!(numbers(&queue).is_empty(), "agents review nothing");
    let number = TicketNumber::parse(&n).expect("number");
    assert!(app.desk.ticket_desk(&supervisora.principal, &number).await.expect("desk").may.review);
    assert!(!app.desk.ticket_desk(&tecnico.principal, &number).await.expect("desk").may.review);
    let (status, _) = post(&app, &tecnico.key, &format!("{t}/resolution"), json!({"action": "approve"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Returned once with a reason, solved again, then approved: closed, the requester told.
    let (status, body) =
        post(&app, &supervisora.key, &format!("{t}/resolution"), json!({"action": "return", "reason": "Falta confirmar con la usuaria"}))
            .await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("open")));
    let (_, queue) = get(&app, &supervisora.key, "/api/v1/review-queue").await;
    assert!(numbers(&queue).is_empty());
    let (status, _) =
        post(&app, &tecnico.key, &format!("{t}/resolve"), json!({"solution": "Confirmado con la usuaria: ya recibe correo"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post(&app, &supervisora.key, &format!("{t}/resolution"), json!({"action": "approve"})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("closed")));
    let jobs = app.desk.store().outbox().await.expect("outbox");
    assert!(jobs.iter().any(|j| j.kind == "notify.resolution_approved"), "the requester is told");

    // The requester sees the solution, never the desk's reasons.
    let ana = app.requester("ana@gob.example").await;
    assert!(matches!(app.desk.ticket_desk(&ana, &number).await, Err(tikal_service::ServiceError::Forbidden)), "staff only");
    let solution = app.desk.solution(&ana, &number).await.expect("solution").expect("some");
    assert_eq!(solution.body, "Confirmado con la usuaria: ya recibe correo");
    let (_, thread, _) = app.desk.thread(&ana, &number).await.expect("thread");
    assert!(thread.iter().any(|e| e.event == Some(tikal_core::EventKind::Escalated)), "the move is shown");
    assert!(thread.iter().all(|e| e.reason.is_none()), "without the desk's reason");
}

#[tokio::test]
async fn transfer_needs_a_reason_and_the_desk_wide_review_applies_without_department_rules() {
    let app =
        TestApp::spawn_with(|s| s.desk.resolution = Some(tikal_core::ResolutionPolicy { approval_required: true, ..Default::default() }))
            .await;
    let mesa = app.department("Mesa de Ayuda").await;
    let redes = app.department("Redes").await;
    let operador = agent(&app, "operador@gob.example", "agent", &[mesa, redes]).await;
    let n = open_in(&app, mesa, "Sin red en el piso 3", "luis@gob.example").await;
    let t = format!("/api/v1/tickets/{n}");
    let (status, _) = post(&app, &operador.key, &format!("{t}/transfer"), json!({"department_id": redes.get(), "reason": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = post(&app, &operador.key, &format!("{t}/transfer"), json!({"department_id": 999, "reason": "x"})).await;
    assert_eq!((status, code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    let (status, body) =
        post(&app, &operador.key, &format!("{t}/transfer"), json!({"department_id": redes.get(), "reason": "Es un switch"})).await;
    assert_eq!((status, body["department"]["id"].as_i64()), (StatusCode::OK, Some(redes.get())));
    let (_, body) = post(&app, &operador.key, &format!("{t}/resolve"), json!({"solution": "Se cambió el puerto"})).await;
    assert_eq!(body["resolution_approved"], false, "the desk-wide policy asks for review");
}

#[tokio::test]
async fn merging_combines_threads_and_links_read_both_ways() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda").await;
    let redes = app.department("Redes").await;
    let ana = agent(&app, "ana.agente@gob.example", "agent", &[mesa]).await;
    let lector = agent(&app, "lector@gob.example", "read_only", &[mesa]).await;
    let duplicate = {
        let body = json!({"subject": "Impresora", "message": "La impresora no imprime (llamada)", "requester": {"email": "eva@gob.example"},
            "department_id": mesa.get(), "attachments": [{"filename": "foto.txt", "content_type": "text/plain", "data_base64": "aG9sYQ"}]});
        let (status, t) = post(&app, &app.key, "/api/v1/tickets", body).await;
        assert_eq!(status, StatusCode::CREATED);
        t["number"].as_str().expect("number").to_string()
    };
    let survivor = open_in(&app, mesa, "Impresora del piso 2", "eva@gob.example").await;
    let elsewhere = open_in(&app, redes, "Switch", "eva@gob.example").await;
    let (status, _) = post(&app, &ana.key, &format!("/api/v1/tickets/{duplicate}/merge"), json!({"into": elsewhere})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not into another department's ticket");
    let (status, _) = post(&app, &lector.key, &format!("/api/v1/tickets/{duplicate}/merge"), json!({"into": survivor})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = post(&app, &ana.key, &format!("/api/v1/tickets/{duplicate}/merge"), json!({"into": duplicate})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "same_ticket"));
    let (status, body) = post(&app, &ana.key, &format!("/api/v1/tickets/{duplicate}/merge"), json!({"into": survivor})).await;
    assert_eq!((status, body["number"].as_str()), (StatusCode::OK, Some(survivor.as_str())), "{body}");

    let (_, merged) = get(&app, &ana.key, &format!("/api/v1/tickets/{duplicate}")).await;
    assert_eq!(merged["status"], "closed");
    let (_, info) = get(&app, &ana.key, &format!("/api/v1/tickets/{duplicate}/merge")).await;
    assert_eq!(info["merged_into"], json!(survivor));
    let (_, thread) = get(&app, &ana.key, &format!("/api/v1/tickets/{survivor}/thread")).await;
    let entries = thread["entries"].as_array().expect("entries");
    let copied = entries.iter().find(|e| e["body"] == "La impresora no imprime (llamada)").expect("the merged conversation shows");
    let url = copied["attachments"][0]["url"].as_str().expect("attachment url");
    assert!(url.starts_with(&format!("/api/v1/tickets/{survivor}/")), "{url}");
    let download = app.client.get(app.url(url)).bearer_auth(&ana.key).send().await.expect("download");
    assert_eq!(download.text().await.expect("bytes"), "hola");
    assert!(entries.iter().any(|e| e["event"] == "merged_from" && e["after"] == json!(duplicate)));
    assert!(!entries.iter().any(|e| e["event"] == "merged_into"), "the merged ticket's own events stay there");
    let (_, own) = get(&app, &ana.key, &format!("/api/v1/tickets/{duplicate}/history")).await;
    assert!(own["events"].as_array().expect("events").iter().any(|e| e["event"] == "merged_into" && e["after"] == json!(survivor)));
    let (status, body) = post(&app, &ana.key, &format!("/api/v1/tickets/{duplicate}/merge"), json!({"into": survivor})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "already_merged"));
    // The requester, whose both tickets they were, sees their words in the survivor.
    let eva = app.requester("eva@gob.example").await;
    let (_, portal_thread, _) = app.desk.thread(&eva, &TicketNumber::parse(&survivor).expect("n")).await.expect("thread");
    assert!(portal_thread.iter().any(|e| e.body.as_deref() == Some("La impresora no imprime (llamada)")));

    // Links: once per pair, both directions, never to itself or to what the agent cannot see.
    let other = open_in(&app, mesa, "Toner", "eva@gob.example").await;
    let links = format!("/api/v1/tickets/{survivor}/links");
    let (status, _) = post(&app, &ana.key, &links, json!({"ticket": other, "kind": "parent_of"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) =
        post(&app, &ana.key, &format!("/api/v1/tickets/{other}/links"), json!({"ticket": survivor, "kind": "related"})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "already_linked"));
    let (status, body) = post(&app, &ana.key, &links, json!({"ticket": survivor, "kind": "related"})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "same_ticket"));
    let (status, _) = post(&app, &ana.key, &links, json!({"ticket": elsewhere, "kind": "related"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(&app, &ana.key, &links, json!({"ticket": other, "kind": "cousin_of"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, from_other) = get(&app, &ana.key, &format!("/api/v1/tickets/{other}/links")).await;
    assert_eq!(from_other[0]["kind"], "child_of");
    assert_eq!(from_other[0]["ticket"]["number"], json!(survivor));
    let (status, _) = delete(&app, &ana.key, &format!("{links}/{other}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, after) = get(&app, &ana.key, &links).await;
    assert_eq!(after, json!([]));
    let (status, _) = delete(&app, &ana.key, &format!("{links}/{other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn collaborators_time_presence_and_the_collision_check() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda").await;
    let ana = agent(&app, "ana.agente@gob.example", "agent", &[mesa]).await;
    let beto = agent(&app, "beto.agente@gob.example", "agent", &[mesa]).await;
    let n = open_in(&app, mesa, "Monitor parpadea", "eva@gob.example").await;
    let t = format!("/api/v1/tickets/{n}");
    let beto_id = TestApp::agent_id(&beto.principal).get();

    let (status, _) = post(&app, &ana.key, &format!("{t}/collaborators"), json!({"agent_id": beto_id})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = post(&app, &ana.key, &format!("{t}/collaborators"), json!({"agent_id": beto_id})).await;
    assert_eq!(status, StatusCode::CONFLICT, "once");
    let (status, _) = post(&app, &ana.key, &format!("{t}/collaborators"), json!({"requester_email": "jefa@gob.example"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = get(&app, &ana.key, &format!("{t}/collaborators")).await;
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!((list[0]["type"].as_str(), list[0]["email"].as_str()), (Some("agent"), Some("beto.agente@gob.example")));
    assert_eq!((list[1]["type"].as_str(), list[1]["email"].as_str()), (Some("requester"), Some("jefa@gob.example")));
    let (status, _) = delete(&app, &ana.key, &format!("{t}/collaborators/agent/{beto_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = get(&app, &ana.key, &format!("{t}/collaborators")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // Time: each entry with who, how long and the note, and the estimate.
    app.patch(&t, &json!({"time_estimate_minutes": 120})).await;
    for (minutes, note) in [(30, "Diagnóstico"), (45, "Cambio de cable")] {
        let (status, _) = post(&app, &ana.key, &format!("{t}/time"), json!({"minutes": minutes, "note": note})).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, sheet) = get(&app, &beto.key, &format!("{t}/time")).await;
    assert_eq!((sheet["estimate_minutes"].as_u64(), sheet["spent_minutes"].as_u64()), (Some(120), Some(75)));
    assert_eq!(sheet["entries"][1]["note"], "Cambio de cable");
    assert_eq!(sheet["entries"][1]["agent_name"], "ana.agente@gob.example");

    // Presence: both agents are on it; only agents say so.
    let (status, _) = post(&app, &ana.key, &format!("{t}/presence"), json!({"activity": "viewing"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen) = post(&app, &beto.key, &format!("{t}/presence"), json!({"activity": "replying"})).await;
    let mut who: Vec<(String, String)> = seen
        .as_array()
        .expect("list")
        .iter()
        .map(|p| (p["agent_name"].as_str().unwrap_or_default().into(), p["activity"].as_str().unwrap_or_default().into()))
        .collect();
    who.sort();
    assert_eq!(who, vec![("ana.agente@gob.example".into(), "viewing".into()), ("beto.agente@gob.example".into(), "replying".into())]);
    let (status, _) = post(&app, &app.key, &format!("{t}/presence"), json!({"activity": "viewing"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an integration is nobody's presence");
    let ticket = app.desk.store().ticket_by_number(&TicketNumber::parse(&n).expect("n")).await.expect("read").expect("ticket");
    let later = tikal_store::now() + chrono::Duration::seconds(1);
    assert!(app.desk.store().presence(ticket.id, later).await.expect("presence").is_empty(), "older than the window: ignored");

    // Collision: a reply based on an old view of the thread is refused.
    let (_, thread) = get(&app, &ana.key, &format!("{t}/thread")).await;
    let seen_id = thread["entries"].as_array().and_then(|e| e.last()).and_then(|e| e["id"].as_i64()).expect("latest");
    let (status, _) =
        post(&app, &beto.key, &format!("{t}/messages"), json!({"kind": "note", "body": "Lo tomo yo", "last_seen_entry_id": seen_id})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) =
        post(&app, &ana.key, &format!("{t}/messages"), json!({"kind": "reply", "body": "Hola Eva", "last_seen_entry_id": seen_id})).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "thread_changed"), "{body}");
    let (_, thread) = get(&app, &ana.key, &format!("{t}/thread")).await;
    let newest = thread["entries"].as_array().and_then(|e| e.last()).and_then(|e| e["id"].as_i64()).expect("latest");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains(&newest.to_string())));
    let (status, _) =
        post(&app, &ana.key, &format!("{t}/messages"), json!({"kind": "reply", "body": "Hola Eva", "last_seen_entry_id": newest})).await;
    assert_eq!(status, StatusCode::CREATED);

    // The desk page's one call has it all, and says what the agent may do.
    let number = TicketNumber::parse(&n).expect("n");
    let page = app.desk.ticket_desk(&ana.principal, &number).await.expect("desk");
    assert_eq!(page.latest_entry.map(|e| e.get()), page.entries.last().map(|e| e.id.get()));
    assert!(page.latest_entry.is_some_and(|e| e.get() > newest));
    assert_eq!((page.collaborators.len(), page.time.entries.len(), page.presence.len()), (1, 2, 2));
    assert_eq!(page.requester.map(|r| r.email.as_str().to_string()).as_deref(), Some("eva@gob.example"));
    assert!(page.may.reply && page.may.merge && page.may.resolve && !page.may.review && !page.may.escalate, "{:?}", page.may);
    let outsider = app.agent("otro@gob.example", "supervisor", &[app.department("Otro").await]).await;
    assert!(matches!(app.desk.ticket_desk(&outsider, &number).await, Err(tikal_service::ServiceError::NotFound(_))));
}

#[tokio::test]
async fn canned_responses_are_shared_by_department_and_filled_in() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda").await;
    let redes = app.department("Redes").await;
    let ana = agent(&app, "ana.agente@gob.example", "agent", &[mesa]).await;
    let lector = agent(&app, "lector@gob.example", "read_only", &[mesa]).await;
    let rita = agent(&app, "rita@gob.example", "agent", &[redes]).await;
    let n = open_in(&app, mesa, "Clave del correo", "eva.perez@gob.example").await;

    let body =
        "Estimada {{ requester_name }}: su ticket {{ ticket_number }} ({{ subject }}) está {{ status }}. Atentamente, {{ agent_name }}";
    let (status, mine) = post(&app, &ana.key, "/api/v1/canned-responses", json!({"title": "Saludo", "body": body})).await;
    assert_eq!((status, mine["scope"].as_str()), (StatusCode::CREATED, Some("personal")), "{mine}");
    let (status, bad) = post(&app, &ana.key, "/api/v1/canned-responses", json!({"title": "Mal", "body": "Hola {{ contraseña }}"})).await;
    assert_eq!((status, code(&bad)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "validated on save");
    let (status, shared) = post(
        &app,
        &ana.key,
        "/api/v1/canned-responses",
        json!({"title": "Reinicio", "body": "Reinicie el equipo.", "department_id": mesa.get()}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) =
        post(&app, &ana.key, "/api/v1/canned-responses", json!({"title": "x", "body": "y", "department_id": redes.get()})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another department's");
    let (status, _) =
        post(&app, &lector.key, "/api/v1/canned-responses", json!({"title": "x", "body": "y", "department_id": mesa.get()})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "read only");
    let (status, _) = post(&app, &ana.key, "/api/v1/canned-responses", json!({"title": "x", "body": "y", "shared": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the desk's are for administrators");
    let (status, _) =
        post(&app, &app.key, "/api/v1/canned-responses", json!({"title": "Cierre", "body": "Gracias.", "shared": true})).await;
    assert_eq!(status, StatusCode::CREATED);

    let titles =
        |v: &Value| v.as_array().expect("list").iter().map(|c| c["title"].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>();
    let (_, for_ana) = get(&app, &ana.key, "/api/v1/canned-responses").await;
    assert_eq!(titles(&for_ana), vec!["Cierre", "Reinicio", "Saludo"]);
    let (_, for_rita) = get(&app, &rita.key, "/api/v1/canned-responses").await;
    assert_eq!(titles(&for_rita), vec!["Cierre"], "not another department's, not someone's own");
    let (status, _) = get(&app, &rita.key, &format!("/api/v1/canned-responses/{}", mine["id"])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = delete(&app, &lector.key, &format!("/api/v1/canned-responses/{}", shared["id"])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, rendered) = post(&app, &ana.key, &format!("/api/v1/canned-responses/{}/render", mine["id"]), json!({"ticket": n})).await;
    assert_eq!(status, StatusCode::OK, "{rendered}");
    assert_eq!(
        rendered["body"],
        format!("Estimada eva.perez: su ticket {n} (Clave del correo) está Nuevo. Atentamente, ana.agente@gob.example")
    );
    let (status, _) = post(&app, &rita.key, &format!("/api/v1/canned-responses/{}/render", shared["id"]), json!({"ticket": n})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, changed) = call(
        &app,
        &ana.key,
        reqwest::Method::PATCH,
        &format!("/api/v1/canned-responses/{}", mine["id"]),
        Some(json!({"title": "Saludo formal", "body": "Estimada {{ requester_name }}"})),
    )
    .await;
    assert_eq!((status, changed["title"].as_str()), (StatusCode::OK, Some("Saludo formal")));
    let (status, _) = delete(&app, &ana.key, &format!("/api/v1/canned-responses/{}", mine["id"])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_agent_of_another_department_neither_reads_nor_acts() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda").await;
    let redes = app.department("Redes").await;
    let rita = agent(&app, "rita@gob.example", "supervisor", &[redes]).await;
    let lector = agent(&app, "lector@gob.example", "read_only", &[mesa]).await;
    let n = open_in(&app, mesa, "Teclado", "eva@gob.example").await;
    let mine = open_in(&app, redes, "Router", "eva@gob.example").await;
    let t = format!("/api/v1/tickets/{n}");
    let reads = ["", "/thread", "/history", "/time", "/collaborators", "/links", "/presence", "/solution", "/merge"];
    for path in reads {
        let (status, _) = get(&app, &rita.key, &format!("{t}{path}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
    }
    let writes = [
        ("/transfer", json!({"department_id": redes.get(), "reason": "mío"})),
        ("/escalate", json!({"reason": "x"})),
        ("/resolve", json!({"solution": "x"})),
        ("/resolution", json!({"action": "approve"})),
        ("/merge", json!({"into": mine})),
        ("/links", json!({"ticket": mine, "kind": "related"})),
        ("/collaborators", json!({"requester_email": "x@gob.example"})),
        ("/presence", json!({"activity": "viewing"})),
        ("/messages", json!({"kind": "note", "body": "x"})),
        ("/time", json!({"minutes": 5})),
    ];
    for (path, body) in &writes {
        let (status, _) = post(&app, &rita.key, &format!("{t}{path}"), body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path} elsewhere");
    }
    // Merging their own ticket into it is refused as well: the survivor is not theirs.
    let (status, _) = post(&app, &rita.key, &format!("/api/v1/tickets/{mine}/merge"), json!({"into": n})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Someone who may see but not act is forbidden.
    for (path, body) in &writes[..7] {
        let (status, _) = post(&app, &lector.key, &format!("{t}{path}"), body.clone()).await;
        assert!(matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "POST {path} read only: {status}");
        if !matches!(*path, "/merge" | "/links") {
            assert_eq!(status, StatusCode::FORBIDDEN, "POST {path} read only");
        }
    }
    let (status, _) = get(&app, &lector.key, &format!("{t}/history")).await;
    assert_eq!(status, StatusCode::OK, "read only reads");
    let (status, _) = get(&app, &lector.key, "/api/v1/review-queue").await;
    assert_eq!(status, StatusCode::OK);
    let (_, queue) = get(&app, &rita.key, "/api/v1/review-queue").await;
    assert_eq!(queue["tickets"], json!([]));
}
