//! `/wall`: a self-contained wall display (no build step, no external scripts) that shows
//! a team's or an objective's key results with progress bars in status colours, large
//! enough to read across a room, and moves them live over the WebSocket. The token comes
//! from the URL fragment (`#token=…`, never sent to the server in the URL) or a prompt.

use crate::http::browser;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::LazyLock;

const PAGE: &str = include_str!("assets/wall.html");

/// The page's Content-Security-Policy: only its own inline script runs.
static POLICY: LazyLock<String> = LazyLock::new(|| browser::wall_policy(PAGE));

/// The wall page; it fetches and subscribes by itself.
pub async fn page() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, POLICY.as_str())], PAGE)
}
