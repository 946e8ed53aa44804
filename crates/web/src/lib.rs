//! The HTTP layer: REST API v1 (+ OpenAPI), operations endpoints, and (later) the pages.
//! Handlers parse, call the `Desk` use cases, and render; nothing here touches SQL.

mod api;
mod error;
pub mod limits;
mod ops;
pub mod pages;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderName, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tikal_service::Desk;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use api::openapi_json;
pub use error::ApiError;
pub use limits::{Cidr, HttpSettings};
pub use ops::install_metrics;

#[derive(Clone)]
pub struct AppState {
    pub desk: Desk,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub http: Arc<HttpSettings>,
    pub limits: Arc<limits::RateLimits>,
}

impl AppState {
    pub fn new(desk: Desk, metrics: metrics_exporter_prometheus::PrometheusHandle, http: HttpSettings) -> Self {
        AppState { desk, metrics, http: Arc::new(http), limits: Arc::default() }
    }
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Bodies of forms that are not uploads (sign-in, profile, answers...): small.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;
/// Handling one request (reading its body included) takes at most this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        axum::http::HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Page forms other than uploads are read only up to `FORM_BODY_LIMIT`; a larger declared
/// body is refused before a byte of it is read.
async fn limit_form_bodies(req: axum::extract::Request, next: Next) -> Response {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        return next.run(req).await;
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > FORM_BODY_LIMIT as u64) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
    }
    next.run(req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, FORM_BODY_LIMIT)))).await
}

/// Whether a JSON text holds a NUL character (the escape `\u0000`; JSON cannot hold a raw one).
fn json_has_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'\\' {
            if body.get(i + 1) == Some(&b'u') && body.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Whether URL-encoded text (a query string or a form) holds a NUL character.
fn urlencoded_has_nul(text: &[u8]) -> bool {
    text.contains(&0) || text.windows(3).any(|w| w == b"%00")
}

/// Refuses text with a NUL character (422) before any handler sees it: no database column takes
/// one (PostgreSQL refuses it in text), and no person types one. Query strings, JSON bodies and
/// URL-encoded forms are checked here; multipart fields where they are read.
async fn refuse_nul(req: axum::extract::Request, next: Next, limit: usize, api: bool) -> Response {
    let refuse = || -> Response {
        if api {
            ApiError::from(tikal_core::DomainError::invalid("body", tikal_core::Reason::ControlCharacters)).into_response()
        } else {
            // Rendered as a page in the visitor's language by `pages::framework_errors_as_pages`.
            (StatusCode::UNPROCESSABLE_ENTITY, "text contains a NUL character").into_response()
        }
    };
    if req.uri().query().is_some_and(|q| urlencoded_has_nul(q.as_bytes())) {
        return refuse();
    }
    let kind = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let (json, form) = (kind.starts_with("application/json"), kind.starts_with("application/x-www-form-urlencoded"));
    if !json && !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    // The handler would buffer the body anyway; it gets these same bytes (no copy).
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "body too large or interrupted").into_response(),
    };
    if (json && json_has_nul(&bytes)) || (form && urlencoded_has_nul(&bytes)) {
        return refuse();
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let route = req.extensions().get::<axum::extract::MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
        let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
        tracing::info_span!("request", method = %req.method(), route, request_id = id)
    });
    // Uploads: a few files of the largest size, plus the text fields. The administrator's
    // limit (at most the ceiling) is enforced per file where uploads are read.
    let max = state.desk.config().max_attachment_bytes.max(u64::from(tikal_core::settings::ATTACHMENT_MB_CEILING) * 1024 * 1024);
    let upload_limit = usize::try_from(max.saturating_mul(2).saturating_add(1024 * 1024)).unwrap_or(usize::MAX);
    let pages = pages::router()
        .layer(axum::extract::DefaultBodyLimit::max(upload_limit))
        .layer(axum::middleware::from_fn(|req, next| refuse_nul(req, next, FORM_BODY_LIMIT, false)))
        .layer(axum::middleware::from_fn(limit_form_bodies))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::rate_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), pages::framework_errors_as_pages))
        .layer(axum::middleware::from_fn_with_state(state.clone(), pages::session_layer));
    Router::new()
        .merge(ops::router())
        .nest("/api/v1", api::router(&state).layer(axum::middleware::from_fn(move |req, next| refuse_nul(req, next, upload_limit, true))))
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::identify_client))
        .layer(axum::middleware::from_fn(pages::security_headers))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), RandomRequestId))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
///
/// Connections are bounded (`max_connections`; beyond it the listener waits), and a client must
/// send each request's headers within `header_read_timeout_secs`, which also closes idle
/// kept-alive connections. Bodies are bounded by the request timeout.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let http = state.http.clone();
    let sweeper = limits::spawn_sweeper(state.limits.clone());
    let app = router(state);
    let slots = Arc::new(tokio::sync::Semaphore::new(http.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(http.header_read_timeout_secs.max(1)));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            conn = listener.accept() => match conn {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer address is kept for per-client limits.
        let svc = tower::ServiceExt::map_request(app.clone(), move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(svc)));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed");
            }
            drop(permit);
        });
    }
    drop(listener);
    sweeper.abort();
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_detection() {
        assert!(json_has_nul(br#"{"subject": "a\u0000b"}"#));
        assert!(!json_has_nul(br#"{"subject": "a\\u0000b"}"#), "an escaped backslash, then text");
        assert!(json_has_nul(br#"{"s": "\\\u0000"}"#));
        assert!(!json_has_nul(br#"{"s": "\u0041"}"#));
        assert!(urlencoded_has_nul(b"subject=a%00b"));
        assert!(!urlencoded_has_nul(b"subject=a%200b"));
    }
}
