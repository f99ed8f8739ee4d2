//! Liveness and readiness probes.

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
