use reqwest::StatusCode;
use serde_json::Value;
use tikal_testkit::TestApp;

#[tokio::test]
async fn health_readiness_metrics_and_request_ids() {
    let app = TestApp::spawn_with(|s| s.http.metrics_token = Some("metricas-secretas".into())).await;
    let health = app.client.get(app.url("/healthz")).send().await.expect("send");
    assert_eq!(health.status(), StatusCode::OK);
    let id = health.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string).expect("request id");
    assert_eq!(id.len(), 16);
    let mine = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.expect("send");
    assert_eq!(mine.headers()["x-request-id"], "abc-123", "a caller's id is kept");
    assert_eq!(app.client.get(app.url("/readyz")).send().await.expect("send").status(), StatusCode::OK);

    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Impresora sin tóner", "metricas@gob.example").await;
    assert_eq!(app.client.get(app.url("/metrics")).send().await.expect("send").status(), StatusCode::UNAUTHORIZED, "not for anyone");
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("otra").send().await.expect("send");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let text = app.client.get(app.url("/metrics")).bearer_auth("metricas-secretas").send().await.expect("send").text().await.expect("text");
    assert!(text.contains("http_requests_total{method=\"POST\",route=\"/api/v1/tickets\",status=\"201\"}"), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("tickets_created_total"));
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let app = TestApp::spawn().await;
    let resp = app.client.get(app.url("/metrics")).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(!resp.text().await.expect("text").contains("http_requests_total"));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.desk.store().clone().close().await;
    let resp = app.client.get(app.url("/readyz")).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.client.get(app.url("/healthz")).send().await.expect("send").status(), StatusCode::OK, "the process is alive");
}

#[tokio::test]
async fn openapi_document_and_docs_page() {
    let app = TestApp::spawn().await;
    let doc: Value = app.client.get(app.url("/api/v1/openapi.json")).send().await.expect("send").json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in ["/tickets", "/tickets/{number}", "/tickets/{number}/thread", "/tickets/{number}/messages", "/departments", "/help-topics"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc["components"]["schemas"].get("CreateTicket").is_some());
    let page = app.client.get(app.url("/api/v1/docs")).send().await.expect("send").text().await.expect("text");
    assert!(page.contains("/api/v1/tickets/{number}/thread"));
}
