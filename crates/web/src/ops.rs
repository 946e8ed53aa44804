//! Operations: liveness, readiness, Prometheus metrics, and the per-request metrics middleware.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;

/// The process-wide metrics recorder (the `metrics` facade is global by design); installed
/// once, later calls return the same handle.
pub fn install_metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then ours just stays empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(prometheus))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    if let Err(e) = state.desk.store().ping().await {
        tracing::warn!(error = %e, "database not reachable");
        return (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "database unreachable"}))).into_response();
    }
    // The background writer that opens tickets must be alive too.
    let writer = state.desk.store().writer_health();
    let body = serde_json::json!({"ticket_writer": writer.status.as_str(), "ticket_writer_restarts": writer.restarts});
    if writer.status != tikal_store::WriterStatus::Running {
        tracing::warn!(status = writer.status.as_str(), "the ticket writer is not running");
        return (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "ticket writer not running", "writers": body})))
            .into_response();
    }
    Json(serde_json::json!({"status": "ready", "writers": body})).into_response()
}

async fn prometheus(State(state): State<AppState>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

/// Counts requests and their latency by matched route (not raw path: ticket numbers would make
/// unbounded label sets).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2]).record(start.elapsed().as_secs_f64());
    resp
}
