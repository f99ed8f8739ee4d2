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

/// Counters in Prometheus' text format.
pub async fn metrics(State(state): State<AppState>) -> String {
    format!(
        "# HELP trellis_sql_statements_total SQL statements run since start.\n\
         # TYPE trellis_sql_statements_total counter\n\
         trellis_sql_statements_total {}\n",
        state.statements.get()
    )
}
