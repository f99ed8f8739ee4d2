//! `Application`: the server assembled from settings, bound to its port, ready to run.
//! Tests build it on port 0 and read the port back.

use crate::auth::Verifier;
use crate::config::{AuthSettings, Limits};
use crate::graphql::build_schema;
use crate::graphql::context::AppData;
use crate::http::rate::RateLimits;
use crate::http::{AppState, router};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use service::Clock;
use service::db::StatementCounter;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub database_url: String,
    pub listen: SocketAddr,
    pub auth: AuthSettings,
    pub demo: bool,
    pub limits: Limits,
}

/// A bound, migrated, ready-to-serve Trellis.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects and migrates the database, loads the demo when asked, and binds the port.
    pub async fn build(settings: &ServerSettings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        crate::http::browser::check_origins(&settings.limits.cors_origins)?;
        let verifier = Verifier::from_settings(&settings.auth).await?;
        crate::metrics::spawn_upkeep();
        let mut db = service::db::connect_and_migrate(&settings.database_url).await?;
        let statements = service::db::count_statements(&mut db);
        if settings.demo && seed::demo::load(&db, clock.now()).await.context("loading the demo organization")? {
            tracing::info!(organization.slug = seed::demo::SLUG, "demo organization loaded");
        }
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let bus = service::events::Bus::new(&db);
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            // One listener per process hears every replica's changes.
            tokio::spawn(service::events::listen(settings.database_url.clone(), bus.clone()));
        }
        let schema =
            build_schema(&settings.limits, Some(AppData { db: db.clone(), clock: clock.clone(), bus: bus.clone() }));
        let state = AppState {
            schema,
            db,
            clock,
            verifier: Arc::new(verifier),
            limits: Arc::new(settings.limits.clone()),
            rates: Arc::new(RateLimits::new(&settings.limits)),
            connections: Arc::default(),
            statements,
            identities: Arc::default(),
            documents: Arc::default(),
            bus,
        };
        Ok(Application { listener, state })
    }

    /// The address the server listens on (with the real port when 0 was asked).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The database pool, for tests that inspect what a request wrote.
    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// The count of SQL statements this server has run.
    pub fn statements(&self) -> StatementCounter {
        self.state.statements.clone()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        self.state.rates.clone().sweep_forever();
        // The peer's address feeds the per-address rate limit.
        let service = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await
    }
}
