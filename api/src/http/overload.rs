//! Load shedding: at most `--max-concurrent-requests` requests to the served routes run at
//! once, and one more is answered at once with 503 `OVERLOADED` and `Retry-After: 1`
//! instead of waiting in a queue, so that the requests admitted keep their latency under a
//! burst and the server recovers as soon as the burst ends. Probes, metrics and WebSocket
//! upgrades are not limited; an SSE stream holds its place only while it is being opened.

use crate::http::AppState;
use crate::http::reply::{self, Media};
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;

/// `router` with the limit, shared by all its routes; unchanged when `max` is 0.
pub fn limit(router: Router<AppState>, max: usize) -> Router<AppState> {
    if max == 0 {
        return router;
    }
    let places = Arc::new(tokio::sync::Semaphore::new(max));
    let shedding = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async { overloaded() }))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(places));
    router.layer(shedding)
}

fn overloaded() -> Response {
    crate::metrics::shed();
    let message = "the server is at its limit of concurrent requests: retry in a second";
    let mut response = reply::error(StatusCode::SERVICE_UNAVAILABLE, Media::Json, "OVERLOADED", message);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
