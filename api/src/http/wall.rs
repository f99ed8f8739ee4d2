//! `/wall`: a self-contained wall display (no build step, no external scripts) that shows
//! a team's or an objective's key results with progress bars in status colours, large
//! enough to read across a room, and moves them live over the WebSocket. The token comes
//! from the URL fragment (`#token=…`, never sent to the server in the URL) or a prompt.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("assets/wall.html");

/// The wall page; it fetches and subscribes by itself.
pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
            ),
        ],
        PAGE,
    )
}
