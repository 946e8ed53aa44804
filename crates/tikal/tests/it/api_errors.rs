//! Bad input gets a JSON error with the right 4xx, never a 500.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_testkit::TestApp;

async fn error_of(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    let body: Value = resp.json().await.expect("error body is JSON");
    let code = body["error"]["code"].as_str().expect("error.code").to_string();
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error.message");
    (status, code)
}

#[tokio::test]
async fn authentication_is_required() {
    let app = TestApp::spawn().await;
    let none = app.client.get(app.url("/api/v1/tickets")).send().await.expect("send");
    assert_eq!(error_of(none).await, (StatusCode::UNAUTHORIZED, "unauthorized".into()));
    let wrong = app.client.get(app.url("/api/v1/tickets")).bearer_auth(format!("tk_{}", "0".repeat(64))).send().await.expect("send");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let garbage = app.client.get(app.url("/api/v1/tickets")).header("authorization", "Basic YTpi").send().await.expect("send");
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_and_invalid_bodies() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        ("missing field", json!({"subject": "x", "requester": {"email": "a@b.example"}}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
        (
            "wrong type",
            json!({"subject": 5, "message": "m", "requester": {"email": "a@b.example"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "unknown field",
            json!({"subject": "s", "message": "m", "requester": {"email": "a@b.example"}, "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "invalid e-mail",
            json!({"subject": "s", "message": "m", "requester": {"email": "not-an-address"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "empty subject",
            json!({"subject": "  ", "message": "m", "requester": {"email": "a@b.example"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "empty message",
            json!({"subject": "s", "message": " ", "requester": {"email": "a@b.example"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "priority 9",
            json!({"subject": "s", "message": "m", "requester": {"email": "a@b.example"}, "priority": 9}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "priority and matrix",
            json!({"subject": "s", "message": "m", "requester": {"email": "a@b.example"}, "priority": 2, "impact": 1, "urgency": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "impact alone",
            json!({"subject": "s", "message": "m", "requester": {"email": "a@b.example"}, "impact": 2}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "unknown channel",
            json!({"subject": "s", "message": "m", "requester": {"email": "a@b.example"}, "channel": "fax"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "unknown department",
            json!({"subject": "s", "message": "m", "requester": {"email": "a@b.example"}, "department_id": 999}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "unknown topic",
            json!({"subject": "s", "message": "m", "requester": {"email": "a@b.example"}, "help_topic_id": 999}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "negative priority",
            json!({"subject": "s", "message": "m", "requester": {"email": "a@b.example"}, "priority": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
    ];
    for (name, body, status, code) in cases {
        let got = error_of(app.post("/api/v1/tickets", &body).await).await;
        assert_eq!(got, (status, code.to_string()), "{name}");
    }
    let (status, code) = error_of(app.post_raw("/api/v1/tickets", "{\"subject\": ").await).await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "malformed_json"));
    let (status, _) = error_of(app.post_raw("/api/v1/tickets", "[1,2,3]").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let list = app.get("/api/v1/tickets").await;
    let body: Value = list.json().await.expect("json");
    assert!(body["tickets"].as_array().expect("array").is_empty(), "nothing was created by bad requests");
}

#[tokio::test]
async fn unknown_tickets_and_bad_parameters() {
    let app = TestApp::spawn().await;
    assert_eq!(error_of(app.get("/api/v1/tickets/000999").await).await, (StatusCode::NOT_FOUND, "not_found".into()));
    assert_eq!(error_of(app.get("/api/v1/tickets/..%2F..%2Fetc").await).await.0, StatusCode::NOT_FOUND);
    assert_eq!(error_of(app.get("/api/v1/tickets?cursor=zzz").await).await, (StatusCode::BAD_REQUEST, "invalid_cursor".into()));
    assert_eq!(error_of(app.get("/api/v1/tickets?limit=abc").await).await, (StatusCode::BAD_REQUEST, "invalid_query".into()));
    assert_eq!(error_of(app.get("/api/v1/tickets?status=flying").await).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(app.get("/api/v1/nothing-here").await).await.0, StatusCode::NOT_FOUND);
    assert_eq!(error_of(app.get("/api/v1/tickets/000001/attachments/abc").await).await, (StatusCode::BAD_REQUEST, "invalid_path".into()));
    assert_eq!(error_of(app.patch("/api/v1/tickets/000001", &json!({"status": "open"})).await).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        error_of(app.post("/api/v1/tickets/000001/messages", &json!({"kind": "reply", "body": "x"})).await).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_changes_to_an_existing_ticket() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let t = app.open_ticket("Equipo muy lento", "lento@gob.example").await;
    let n = t["number"].as_str().expect("number");
    let p = format!("/api/v1/tickets/{n}");
    assert_eq!(error_of(app.patch(&p, &json!({"status": "new"})).await).await, (StatusCode::CONFLICT, "no_change".into()), "already new");
    assert_eq!(error_of(app.patch(&p, &json!({"status": "pending"})).await).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(app.patch(&p, &json!({})).await).await, (StatusCode::CONFLICT, "no_change".into()));
    assert_eq!(error_of(app.patch(&p, &json!({"owner_id": 4242})).await).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(app.post(&format!("{p}/messages"), &json!({"kind": "event", "body": "x"})).await).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(error_of(app.post(&format!("{p}/time"), &json!({"minutes": 0})).await).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(app.post(&format!("{p}/resolution"), &json!({"action": "approve"})).await).await,
        (StatusCode::CONFLICT, "not_resolved".into())
    );
    let after: Value = app.get(&p).await.json().await.expect("json");
    assert_eq!(after["status"], "new", "nothing changed");
}

#[tokio::test]
async fn oversized_attachment_is_refused() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    // 26 MB of base64 'A's decodes to ~19.5 MB: within the body limit but tested against the
    // 25 MB attachment limit below with a larger body instead.
    let big = "A".repeat(36 * 1024 * 1024);
    let body = format!(
        "{{\"subject\":\"s\",\"message\":\"m\",\"requester\":{{\"email\":\"a@b.example\"}},\"attachments\":[{{\"filename\":\"big.bin\",\"content_type\":\"application/octet-stream\",\"data_base64\":\"{big}\"}}]}}"
    );
    let resp = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("send");
    assert_eq!(error_of(resp).await, (StatusCode::PAYLOAD_TOO_LARGE, "too_large".into()));
    // Beyond twice the 64 MB attachment ceiling an administrator may choose, plus 1 MiB.
    let huge = "A".repeat(135 * 1024 * 1024);
    let resp = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await;
    // The server may answer 413 before reading everything or close the connection.
    if let Ok(resp) = resp {
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn revoked_keys_stop_working() {
    let app = TestApp::spawn().await;
    let key = app.desk.create_api_key("integración RRHH").await.expect("key");
    assert!(app.desk.api_key_principal(&key).await.expect("lookup").is_some());
    let store = app.desk.store();
    let (id, ..) = store.api_keys().await.expect("keys").into_iter().find(|(_, name, ..)| name == "integración RRHH").expect("listed");
    assert!(store.revoke_api_key(id).await.expect("revoke"));
    // A node that has not looked the key up recently (caches live 5 seconds) refuses it.
    let other_node = tikal_service::Desk::new(store.clone(), tikal_service::DeskConfig::default());
    assert!(other_node.api_key_principal(&key).await.expect("lookup").is_none());
}
