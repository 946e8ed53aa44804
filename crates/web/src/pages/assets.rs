//! Static assets compiled into the binary, served with long cache lifetimes: their names
//! carry a version, bumped whenever a file changes.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

const CSS: &str = include_str!("../../static/tikal.css");
const JS: &str = include_str!("../../static/tikal.js");
const HTMX: &str = include_str!("../../static/vendor/htmx-2.0.11.min.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/tikal-4.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/static/tikal-1.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }))
        .route("/static/htmx-2.0.11.min.js", get(|| async { asset("text/javascript; charset=utf-8", HTMX) }))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], body)
}
