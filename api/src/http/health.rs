//! Liveness and readiness probes, and the counters in Prometheus' text format.

use crate::http::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use std::time::Duration;

/// The process is up.
pub async fn live() -> &'static str {
    "ok"
}

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// The database answers; 503 when it does not, within a second.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let unreachable = (StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
    if !state.availability.is_up() {
        return unreachable;
    }
    match tokio::time::timeout(READY_TIMEOUT, service::db::ping(&state.db)).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "readiness check failed");
            state.availability.suspect();
            unreachable
        }
        // Slow is not gone (the pool may be busy): not ready now, but nothing to suspect.
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database slow to answer"),
    }
}

/// Metrics in Prometheus' text format (see [`crate::metrics`]).
pub async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let text = crate::metrics::render(&state.db, state.statements.get());
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
