//! The HTTP layer: REST API v1 (+ OpenAPI), operations endpoints, and (later) the pages.
//! Handlers parse, call the `Desk` use cases, and render; nothing here touches SQL.

mod api;
mod error;
mod ops;
pub mod pages;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request};
use tikal_service::Desk;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use api::openapi_json;
pub use error::ApiError;
pub use ops::install_metrics;

#[derive(Clone)]
pub struct AppState {
    pub desk: Desk,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        axum::http::HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let route = req.extensions().get::<axum::extract::MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
        let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
        tracing::info_span!("request", method = %req.method(), route, request_id = id)
    });
    let max = state.desk.config().max_attachment_bytes;
    let form_limit = usize::try_from(max.saturating_mul(2).saturating_add(1024 * 1024)).unwrap_or(usize::MAX);
    let pages = pages::router()
        .layer(axum::extract::DefaultBodyLimit::max(form_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), pages::session_layer));
    Router::new()
        .merge(ops::router())
        .nest("/api/v1", api::router(&state))
        .merge(pages)
        .layer(axum::middleware::from_fn(pages::security_headers))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), RandomRequestId))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    // The peer address is kept for per-client sign-in limits.
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
