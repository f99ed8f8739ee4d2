//! Liveness and readiness probes, and the counters in Prometheus' text format.

use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// The process is up.
pub async fn live() -> &'static str {
    "ok"
}

/// The database answers; 503 when it does not.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match service::db::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// Metrics in Prometheus' text format (see [`crate::metrics`]).
pub async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let text = crate::metrics::render(&state.db, state.statements.get());
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
