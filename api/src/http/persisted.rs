//! Persisted queries over HTTP: Apollo's automatic persisted queries
//! (`extensions.persistedQuery.sha256Hash`; the document only when the server answers
//! PERSISTED_QUERY_NOT_FOUND; GET with the hash alone, so that CDNs can cache), and the
//! allow-list mode (`--persisted-queries-only`), which refuses every document an operator
//! did not register with `trellis persisted add`.

use crate::graphql::error::UNAVAILABLE;
use crate::http::AppState;
use crate::http::reply::{self, Media};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use service::persisted_queries::hash;

/// The `persistedQuery` extension of a request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extension {
    version: u32,
    sha256_hash: String,
}

/// Fills in the document of a request that sends only its hash, registers the document
/// of one that sends both, and in allow-list mode refuses what is not on the list.
pub async fn resolve(
    state: &AppState,
    media: Media,
    request: &mut async_graphql::Request,
) -> Result<(), Box<Response>> {
    let refuse = |status: StatusCode, code: &str, message: &str| Box::new(reply::error(status, media, code, message));
    let only = state.limits.persisted_queries_only;
    let sent = match request.extensions.get("persistedQuery") {
        None if !only => return Ok(()),
        None => None,
        Some(value) => match serde_json::to_value(value).ok().and_then(|v| serde_json::from_value::<Extension>(v).ok())
        {
            Some(extension) if extension.version == 1 => Some(extension.sha256_hash.to_ascii_lowercase()),
            _ => {
                let message = "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"…\"}";
                return Err(refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", message));
            }
        },
    };
    let has_document = !request.query.is_empty();
    let wanted = match (sent, has_document) {
        (Some(sent), true) if sent != hash(&request.query) => {
            return Err(refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", "provided sha does not match query"));
        }
        (Some(sent), _) => sent,
        (None, _) => hash(&request.query),
    };
    let now = state.clock.now();
    let store = &state.persisted;
    if has_document {
        if !only {
            return store.remember(&wanted, &request.query, now).await.map_err(|e| unreadable(state, media, &e));
        }
        let allowed = store.allows(&wanted, now).await.map_err(|e| unreadable(state, media, &e))?;
        return if allowed { Ok(()) } else { Err(refuse(StatusCode::FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED_MESSAGE)) };
    }
    match store.find(&wanted, now).await.map_err(|e| unreadable(state, media, &e))? {
        Some(document) if only && !document.allowed => {
            Err(refuse(StatusCode::FORBIDDEN, NOT_ALLOWED, NOT_ALLOWED_MESSAGE))
        }
        Some(document) => {
            request.query = document.query.to_string();
            Ok(())
        }
        // Apollo clients recognise the message as well as the code.
        None => Err(refuse(media.request_error_status(), "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")),
    }
}

/// The store could not be read: the database's state decides the answer. An unreachable
/// database is reported, so that the requests after this one fail at once.
fn unreadable(state: &AppState, media: Media, error: &service::Error) -> Box<Response> {
    let code = error.code();
    let status = if code == UNAVAILABLE {
        state.availability.suspect();
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        tracing::error!(error = ?error, "reading persisted queries failed");
        StatusCode::INTERNAL_SERVER_ERROR
    };
    Box::new(reply::error(status, media, code, "the persisted queries cannot be read now"))
}

/// The code of an operation refused in allow-list mode.
pub const NOT_ALLOWED: &str = "PERSISTED_QUERY_NOT_ALLOWED";
/// What it is told.
pub const NOT_ALLOWED_MESSAGE: &str =
    "this server runs only registered operations: ask its operator to add yours (trellis persisted add)";
