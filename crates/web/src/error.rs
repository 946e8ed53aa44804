//! One error type for the API, mapped once from every lower error: JSON
//! `{"error": {"code", "message"}}` with the right status; a 5xx never carries internal text.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tikal_core::DomainError;
use tikal_service::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid API key is required: Authorization: Bearer <key>")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(crate::pages::BUSY_RETRY_AFTER));
        }
        resp
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let status = match e {
            DomainError::Invalid { .. } | DomainError::InvalidCustomField { .. } | DomainError::Rejected => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::CONFLICT,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Domain(d) => d.into(),
            ServiceError::NotFound(what) => ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found")),
            ServiceError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "you are not allowed to do this"),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::TooLarge { what, limit } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("{what} is larger than {} MB", limit / (1024 * 1024)))
            }
            ServiceError::Unsupported(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unsupported", m),
            ServiceError::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "the server is busy; retry after a few seconds"),
            ServiceError::Internal(source) => {
                // Logged once here, inside the request span that carries the request id.
                tracing::error!(error = %source, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; the x-request-id header identifies it in the logs",
                )
            }
        }
    }
}

/// Words serde uses for Rust types, and what a caller of a JSON API calls them.
const TYPE_WORDS: [(&str, &str); 14] = [
    ("i8", "an integer"),
    ("i16", "an integer"),
    ("i32", "an integer"),
    ("i64", "an integer"),
    ("u8", "an integer"),
    ("u16", "an integer"),
    ("u32", "an integer"),
    ("u64", "an integer"),
    ("usize", "an integer"),
    ("isize", "an integer"),
    ("f32", "a number"),
    ("f64", "a number"),
    ("bool", "a boolean"),
    ("char", "a character"),
];

/// A deserializer's message without Rust type names: `expected struct CreateTicket` becomes
/// `expected a JSON object`, `expected u8` becomes `expected an integer`.
pub(crate) fn public_message(raw: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut words = raw.split(' ').peekable();
    while let Some(w) = words.next() {
        let (core, tail) = w.split_at(w.trim_end_matches([',', ':', ';', '.']).len());
        let core_plain = core.trim_matches('`');
        let after_expected = out.last().is_some_and(|p| p == "expected" || p == "tuple" || p == "unit");
        match core_plain {
            "struct" | "enum" | "tuple" | "unit" if after_expected => {
                if core_plain == "tuple" || core_plain == "unit" {
                    // "expected tuple struct X": drop "tuple", handle "struct X" next.
                    continue;
                }
                let name = words.next().unwrap_or_default();
                let name_tail = &name[name.trim_end_matches([',', ':', ';', '.']).len()..];
                let what = if core_plain == "struct" { "a JSON object" } else { "one of the documented values" };
                if out.last().is_some_and(|p| p == "tuple" || p == "unit") {
                    out.pop();
                }
                out.push(format!("{what}{name_tail}"));
            }
            _ => match TYPE_WORDS.iter().find(|(rust, _)| *rust == core_plain) {
                Some((_, plain)) => out.push(format!("{plain}{tail}")),
                None if core_plain.starts_with("Option<") || core_plain.starts_with("Vec<") || core_plain.contains("::") => {
                    out.push(format!("a valid value{tail}"))
                }
                None => out.push(w.to_string()),
            },
        }
    }
    out.join(" ")
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let code = match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid_json",
            _ => "malformed_json",
        };
        let message = match &r {
            JsonRejection::JsonDataError(e) => format!("the JSON does not match the expected shape: {}", public_message(&inner_text(e))),
            JsonRejection::JsonSyntaxError(e) => format!("the body is not valid JSON: {}", public_message(&inner_text(e))),
            JsonRejection::MissingJsonContentType(_) => "expected `Content-Type: application/json`".to_string(),
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => "the body is too large".to_string(),
            _ => "the body could not be read".to_string(),
        };
        ApiError::new(r.status(), code, message)
    }
}

/// The innermost cause of a rejection (serde's message), without axum's prefix.
fn inner_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        let (code, message) = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ("too_large", "the body is too large")
        } else {
            ("bad_request", "the body could not be read")
        };
        ApiError::new(r.status(), code, message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let message = match &r {
            QueryRejection::FailedToDeserializeQueryString(e) => format!("invalid query string: {}", public_message(&inner_text(e))),
            _ => "invalid query string".to_string(),
        };
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        // axum's text names Rust types ("Cannot parse `x` to a `i64`"): not shown.
        let _ = r;
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", "a part of the path is not valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_no_rust_types() {
        assert_eq!(
            public_message("invalid type: sequence, expected struct CreateTicket at line 1 column 0"),
            "invalid type: sequence, expected a JSON object at line 1 column 0"
        );
        assert_eq!(
            public_message("invalid type: string \"x\", expected u8 at line 1 column 20"),
            "invalid type: string \"x\", expected an integer at line 1 column 20"
        );
        assert_eq!(public_message("expected enum Status"), "expected one of the documented values");
        assert_eq!(public_message("expected tuple struct Pair, found x"), "expected a JSON object, found x");
        assert_eq!(public_message("missing field `subject`"), "missing field `subject`");
        assert_eq!(public_message("expected `i64`."), "expected an integer.");
    }
}
