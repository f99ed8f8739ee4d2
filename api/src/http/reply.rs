//! GraphQL-over-HTTP responses: media type negotiation and status codes.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The GraphQL-over-HTTP media type.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// Which media type the client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: request errors answer 4xx.
    GraphqlResponse,
    /// Legacy `application/json`: well-formed requests answer 200 whatever the errors.
    Json,
}

impl Media {
    /// Picks the media type from `Accept`; `None` when the client accepts neither.
    pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Some(Media::Json);
        };
        let types: Vec<&str> = accept.split(',').map(|t| t.split(';').next().unwrap_or("").trim()).collect();
        if types.contains(&GRAPHQL_RESPONSE_JSON) {
            Some(Media::GraphqlResponse)
        } else if types.iter().any(|t| matches!(*t, JSON | "application/*" | "*/*" | "text/event-stream")) {
            Some(Media::Json)
        } else {
            None
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }

    /// The status for a request error (parse, validation): 400 for the GraphQL media
    /// type, 200 for legacy JSON clients.
    pub fn request_error_status(self) -> StatusCode {
        match self {
            Media::GraphqlResponse => StatusCode::BAD_REQUEST,
            Media::Json => StatusCode::OK,
        }
    }
}

/// A JSON body in `media` with `status`.
pub fn body(status: StatusCode, media: Media, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
}

/// A response holding one GraphQL error with `code`.
pub fn error(status: StatusCode, media: Media, code: &str, message: &str) -> Response {
    let payload = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    body(status, media, payload.to_string().into_bytes())
}

/// What a handler that panicked answers: an INTERNAL error, the panic logged once (a bug
/// of ours; the client sees no details).
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(panic = what, "a request handler panicked");
    error(StatusCode::INTERNAL_SERVER_ERROR, Media::Json, "INTERNAL", "internal error: the server log has the details")
}
