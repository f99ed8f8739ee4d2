//! HTTP routes: GraphQL at `/graphql`, health at `/healthz`, readiness at `/readyz`,
//! counters at `/metrics`.

pub mod browser;
pub mod documents;
pub mod graphql;
pub mod health;
pub mod overload;
pub mod persisted;
pub mod rate;
pub mod reply;
pub mod shutdown;
pub mod spans;
pub mod sse;
pub mod wall;
pub mod ws;

use crate::auth::Verifier;
use crate::config::Limits;
use axum::Router;
use axum::http::HeaderName;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use service::Clock;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Everything the handlers share, built once at start.
#[derive(Clone)]
pub struct AppState {
    pub schema: crate::graphql::Schemas,
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub verifier: Arc<Verifier>,
    pub limits: Arc<Limits>,
    pub rates: Arc<rate::RateLimits>,
    pub connections: Arc<ws::limits::Connections>,
    pub statements: service::db::StatementCounter,
    pub identities: Arc<service::actor::Identities>,
    pub documents: Arc<documents::Documents>,
    pub persisted: Arc<service::persisted_queries::PersistedQueries>,
    pub bus: service::events::Bus,
    pub shutdown: shutdown::Shutdown,
    /// Whether the database answers: while it does not, requests fail at once.
    pub availability: Arc<service::db::availability::Availability>,
    /// Check-in histories that insights have read, kept while they are current.
    pub histories: Arc<service::insights::load::Histories>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The router with its middleware: a request id on every request and response, a
/// tracing span per request, the concurrency limit with load shedding, a panic answered as a coded 500 instead of a dropped
/// connection, the per-address rate limit on everything but the probes (a load balancer
/// probes from one address), CORS and the security headers.
pub fn router(state: AppState) -> Router {
    let limits = state.limits.clone();
    // WebSocket upgrades are not limited: the socket's work starts after the upgrade,
    // within its own limits, and a wall of displays reconnects all at once.
    let limited =
        Router::new().route("/graphql", get(graphql::get).post(graphql::post)).route("/wall", get(wall::page));
    let served = overload::limit(limited, limits.max_concurrent_requests)
        .route("/graphql/ws", get(ws::upgrade))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate::per_address));
    let router = served
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .with_state(state)
        .layer(CatchPanicLayer::custom(reply::panicked))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            spans::request(request, id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    browser::layers(router, &limits)
}
