use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_testkit::TestApp;

#[tokio::test]
async fn open_show_and_list_a_ticket() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let resp = app
        .post(
            "/api/v1/tickets",
            &json!({"subject": "La impresora no imprime", "message": "Atasco de papel en el piso 2", "requester": {"email": "Ana.Perez@Gob.example", "name": "Ana Pérez"}, "impact": 3, "urgency": 2, "channel": "phone"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string).expect("Location header");
    let t: Value = resp.json().await.expect("json");
    let number = t["number"].as_str().expect("number").to_string();
    assert_eq!(number, "000001", "default format is a zero-padded sequence");
    assert_eq!(location, format!("/api/v1/tickets/{number}"));
    assert_eq!(t["status"], "new");
    assert_eq!(t["priority"], 4, "impact 3 x urgency 2 in the default matrix");
    assert_eq!(t["channel"], "phone");
    assert_eq!(t["department"]["id"], dept.get());
    assert_eq!(t["department"]["name"], "Mesa de Ayuda (Nivel 1)");
    assert_eq!(t["requester"]["email"], "ana.perez@gob.example");
    assert_eq!(t["requester"]["name"], "Ana Pérez");
    assert!(t["created_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert!(t["resolution_due_at"].is_string());

    let shown: Value = app.get(&location).await.json().await.expect("json");
    assert_eq!(shown["subject"], "La impresora no imprime");

    let second = app.open_ticket("Sin conexión WiFi", "luis@gob.example").await;
    assert_eq!(second["number"], "000002");
    let list: Value = app.get("/api/v1/tickets").await.json().await.expect("json");
    let numbers: Vec<&str> = list["tickets"].as_array().expect("array").iter().filter_map(|t| t["number"].as_str()).collect();
    assert_eq!(numbers, vec!["000002", "000001"], "newest first");
    assert!(list["next_cursor"].is_null());
}

#[tokio::test]
async fn keyset_pagination_and_filters() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    for i in 0..7 {
        let dept = if i % 2 == 0 { mesa } else { infra };
        let resp = app
            .post("/api/v1/tickets", &json!({"subject": format!("Caso {i}"), "message": "x", "requester": {"email": format!("u{}@gob.example", i % 3)}, "department_id": dept.get(), "priority": 1 + i % 5}))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?limit=3&cursor={c}"),
            None => "/api/v1/tickets?limit=3".to_string(),
        };
        let page: Value = app.get(&path).await.json().await.expect("json");
        for t in page["tickets"].as_array().expect("array") {
            seen.push(t["number"].as_str().expect("number").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = (1..=7).rev().map(|n| format!("{n:06}")).collect();
    assert_eq!(seen, expected, "every ticket once, newest first, across pages");

    let by_dept: Value = app.get(&format!("/api/v1/tickets?department={}", infra.get())).await.json().await.expect("json");
    assert_eq!(by_dept["tickets"].as_array().expect("array").len(), 3);
    let by_requester: Value = app.get("/api/v1/tickets?requester=U0@gob.example").await.json().await.expect("json");
    assert_eq!(by_requester["tickets"].as_array().expect("array").len(), 3);
    let by_priority: Value = app.get("/api/v1/tickets?priority=1").await.json().await.expect("json");
    assert_eq!(by_priority["tickets"].as_array().expect("array").len(), 2);
    let by_status: Value = app.get("/api/v1/tickets?status=open,resolved").await.json().await.expect("json");
    assert!(by_status["tickets"].as_array().expect("array").is_empty());
    let unknown_requester: Value = app.get("/api/v1/tickets?requester=nadie@gob.example").await.json().await.expect("json");
    assert!(unknown_requester["tickets"].as_array().expect("array").is_empty());
}

#[tokio::test]
async fn thread_replies_notes_and_changes_are_recorded() {
    let app = TestApp::spawn().await;
    let _mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    let t = app.open_ticket("Teléfono IP sin tono", "rosa@gob.example").await;
    let n = t["number"].as_str().expect("number");

    let reply =
        app.post(&format!("/api/v1/tickets/{n}/messages"), &json!({"kind": "reply", "body": "Vamos a revisar la extensión."})).await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let note = app.post(&format!("/api/v1/tickets/{n}/messages"), &json!({"kind": "note", "body": "Posible falla del switch PoE"})).await;
    assert_eq!(note.status(), StatusCode::CREATED);
    let patched = app
        .patch(
            &format!("/api/v1/tickets/{n}"),
            &json!({"department_id": infra.get(), "priority": 5, "status": "pending_third_party", "time_estimate_minutes": 90}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.expect("json");
    assert_eq!(patched["status"], "pending_third_party");
    assert_eq!(patched["department"]["name"], "Infraestructura Tecnológica");
    assert_eq!(patched["time_estimate_minutes"], 90);
    assert!(patched["first_response_at"].is_string(), "the reply stamped the first response");

    let time = app.post(&format!("/api/v1/tickets/{n}/time"), &json!({"minutes": 45, "note": "Cambio de cable"})).await;
    assert_eq!(time.status(), StatusCode::OK);
    let resolved = app.patch(&format!("/api/v1/tickets/{n}"), &json!({"status": "resolved"})).await;
    assert_eq!(resolved.status(), StatusCode::OK);
    let closed = app.patch(&format!("/api/v1/tickets/{n}"), &json!({"status": "closed"})).await;
    assert_eq!(closed.status(), StatusCode::OK);
    let again = app.patch(&format!("/api/v1/tickets/{n}"), &json!({"status": "pending_requester"})).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "closed cannot go to pending");
    let body: Value = again.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid_transition");

    let thread: Value = app.get(&format!("/api/v1/tickets/{n}/thread")).await.json().await.expect("json");
    let entries = thread["entries"].as_array().expect("entries");
    let kinds: Vec<String> =
        entries.iter().map(|e| format!("{}:{}", e["kind"].as_str().unwrap_or(""), e["event"].as_str().unwrap_or(""))).collect();
    assert_eq!(kinds[0], "message:");
    assert_eq!(kinds[1], "event:created");
    assert!(kinds.contains(&"reply:".to_string()));
    assert!(kinds.contains(&"note:".to_string()));
    assert!(kinds.contains(&"event:transferred".to_string()));
    assert!(kinds.contains(&"event:priority_changed".to_string()));
    assert!(kinds.contains(&"event:time_logged".to_string()));
    let status_changes: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e["event"] == "status_changed")
        .map(|e| (e["before"].as_str().unwrap_or("").to_string(), e["after"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(
        status_changes,
        vec![
            ("new".into(), "open".into()),
            ("open".into(), "pending_third_party".into()),
            ("pending_third_party".into(), "resolved".into()),
            ("resolved".into(), "closed".into())
        ]
    );
    let transfer = entries.iter().find(|e| e["event"] == "transferred").expect("transfer event");
    assert_eq!(transfer["after"], infra.get().to_string());
    assert_eq!(transfer["author"]["type"], "api_key");
    assert_eq!(transfer["author"]["name"], "tests");
}

#[tokio::test]
async fn attachments_roundtrip_and_are_limited() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let data = b"%PDF-1.4 oficio escaneado";
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let resp = app
        .post(
            "/api/v1/tickets",
            &json!({"subject": "Creación de usuario", "message": "Adjunto el oficio firmado", "requester": {"email": "rrhh@gob.example"},
                    "attachments": [{"filename": "../oficio 12.pdf", "content_type": "application/pdf", "data_base64": b64}]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let t: Value = resp.json().await.expect("json");
    let n = t["number"].as_str().expect("number");
    let thread: Value = app.get(&format!("/api/v1/tickets/{n}/thread")).await.json().await.expect("json");
    let att = &thread["entries"][0]["attachments"][0];
    assert_eq!(att["filename"], "oficio 12.pdf", "path parts are stripped");
    assert_eq!(att["size"], data.len());
    let url = att["url"].as_str().expect("url");
    let download = app.get(url).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert!(download.headers()["content-disposition"].to_str().expect("ascii").starts_with("attachment;"));
    assert_eq!(download.bytes().await.expect("bytes").as_ref(), data);
    assert_eq!(app.get(&format!("/api/v1/tickets/{n}/attachments/99999")).await.status(), StatusCode::NOT_FOUND);

    let bad = app
        .post("/api/v1/tickets", &json!({"subject": "x", "message": "y", "requester": {"email": "a@gob.example"}, "attachments": [{"filename": "a.txt", "content_type": "text/plain", "data_base64": "@@not base64@@"}]}))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn idempotency_key_returns_the_first_result() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let body = json!({"subject": "Reinicio de contraseña", "message": "No puedo ingresar", "requester": {"email": "jperez@uni.example"}});
    let send =
        |b: Value| app.client.post(app.url("/api/v1/tickets")).bearer_auth(&app.key).header("Idempotency-Key", "req-7f3a").json(&b).send();
    let first = send(body.clone()).await.expect("send");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let retry = send(body.clone()).await.expect("send");
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(first["number"], retry["number"]);
    let list: Value = app.get("/api/v1/tickets").await.json().await.expect("json");
    assert_eq!(list["tickets"].as_array().expect("array").len(), 1, "created once");
    let mut other = body;
    other["subject"] = json!("Otro asunto");
    let misuse = send(other).await.expect("send");
    assert_eq!(misuse.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn simultaneous_retries_create_once_and_failures_free_the_key() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let body = json!({"subject": "Plataforma caída", "message": "Error 502", "requester": {"email": "sim@uni.example"}});
    let send = |b: Value, key: &'static str| {
        app.client.post(app.url("/api/v1/tickets")).bearer_auth(&app.key).header("Idempotency-Key", key).json(&b).send()
    };
    let attempts = futures::future::join_all((0..8).map(|_| send(body.clone(), "same-instant"))).await;
    let mut numbers = std::collections::BTreeSet::new();
    let mut replayed = 0;
    for r in attempts {
        let r = r.expect("send");
        // Every retry gets the ticket: the key is recorded with it, so there is no "in progress".
        assert_eq!(r.status(), StatusCode::CREATED);
        if r.headers().get("idempotent-replayed").is_some() {
            replayed += 1;
        }
        let v: Value = r.json().await.expect("json");
        numbers.insert(v["number"].as_str().expect("number").to_string());
    }
    assert_eq!(numbers.len(), 1, "one ticket for one key, however the retries interleave");
    assert_eq!(replayed, 7);
    let list: Value = app.get("/api/v1/tickets").await.json().await.expect("json");
    assert_eq!(list["tickets"].as_array().expect("array").len(), 1);

    let bad = json!({"subject": "x", "message": "y", "requester": {"email": "not-an-address"}});
    assert_eq!(send(bad, "fix-and-retry").await.expect("send").status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fixed = json!({"subject": "x", "message": "y", "requester": {"email": "ok@uni.example"}});
    assert_eq!(send(fixed, "fix-and-retry").await.expect("send").status(), StatusCode::CREATED, "a failed request does not hold its key");
}

#[tokio::test]
async fn help_topics_route_and_default_the_ticket() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    let store = app.desk.store();
    let conn = store
        .create_help_topic(tikal_store::NewHelpTopic {
            name: "Conectividad".into(),
            parent_id: None,
            department_id: Some(infra),
            default_priority: Some(tikal_core::Priority::High),
            default_type: Some(tikal_core::TicketType::Incident),
        })
        .await
        .expect("topic");
    let wifi = store
        .create_help_topic(tikal_store::NewHelpTopic {
            name: "WiFi".into(),
            parent_id: Some(conn.id),
            department_id: Some(infra),
            default_priority: Some(tikal_core::Priority::High),
            default_type: None,
        })
        .await
        .expect("topic");
    store
        .create_custom_field(tikal_store::NewCustomField {
            def: tikal_core::fields::FieldDef {
                key: "piso".into(),
                label: "Piso".into(),
                kind: tikal_core::fields::FieldKind::Select,
                options: vec!["Piso 1".into(), "Piso 3".into()],
                required: true,
            },
            help_topic_id: Some(conn.id),
        })
        .await
        .expect("field");
    let topics: Value = app.get("/api/v1/help-topics").await.json().await.expect("json");
    assert!(topics.as_array().expect("array").iter().any(|t| t["path"] == "Conectividad / WiFi"));
    let depts: Value = app.get("/api/v1/departments").await.json().await.expect("json");
    assert_eq!(depts.as_array().expect("array").len(), 2);
    let form: Value = app.get(&format!("/api/v1/help-topics/{}/form", wifi.id.get())).await.json().await.expect("json");
    assert_eq!(
        form,
        json!([{"key": "piso", "label": "Piso", "kind": "select", "options": ["Piso 1", "Piso 3"], "required": true}]),
        "inherited from Conectividad"
    );
    assert_eq!(app.get("/api/v1/help-topics/999/form").await.status(), StatusCode::NOT_FOUND);

    let base = json!({"subject": "Sin WiFi", "message": "piso 3 sin red", "requester": {"email": "x@gob.example"}, "help_topic_id": wifi.id.get()});
    let missing = app.post("/api/v1/tickets", &base).await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY, "the parent topic's required field applies");
    let mut wrong = base.clone();
    wrong["custom_fields"] = json!({"piso": "Piso 9"});
    assert_eq!(app.post("/api/v1/tickets", &wrong).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut unknown = base.clone();
    unknown["custom_fields"] = json!({"piso": "Piso 3", "color": "rojo"});
    assert_eq!(app.post("/api/v1/tickets", &unknown).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut ok = base;
    ok["custom_fields"] = json!({"piso": "Piso 3"});
    let resp = app.post("/api/v1/tickets", &ok).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let t: Value = resp.json().await.expect("json");
    assert_eq!(t["department"]["id"], infra.get(), "routed by the topic");
    assert_ne!(t["department"]["id"], mesa.get());
    assert_eq!(t["priority"], 4, "the topic's default priority");
    assert_eq!(t["type"], "incident");
    assert_eq!(t["help_topic"]["name"], "Conectividad / WiFi");
    assert_eq!(t["custom_fields"]["piso"], "Piso 3");
}
