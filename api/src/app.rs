//! `Application`: the server assembled from settings, bound to its port, ready to run.
//! Tests build it on port 0 and read the port back.

use crate::auth::Verifier;
use crate::config::{AuthSettings, Limits, WebhookSettings};
use crate::graphql::Schemas;
use crate::graphql::context::AppData;
use crate::http::rate::RateLimits;
use crate::http::shutdown::{Released, Shutdown};
use crate::http::{AppState, router};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use service::Clock;
use service::db::StatementCounter;
use service::persisted_queries::PersistedQueries;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// What the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub database_url: String,
    pub listen: SocketAddr,
    pub auth: AuthSettings,
    pub demo: bool,
    pub limits: Limits,
    /// How long a stop waits for requests and subscriptions to finish.
    pub shutdown_grace: Duration,
    /// How the database is opened (SQLite durability, patience at start).
    pub opening: service::db::Opening,
    /// How webhooks are sent, and where they may go.
    pub webhooks: WebhookSettings,
}

/// A bound, migrated, ready-to-serve Trellis.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    released: Released,
    grace: Duration,
    webhooks: crate::webhooks::Sender,
    insight_feed: service::webhooks::insights::InsightFeed,
}

impl Application {
    /// Connects and migrates the database, loads the demo when asked, and binds the port.
    pub async fn build(settings: &ServerSettings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        crate::http::browser::check_origins(&settings.limits.cors_origins)?;
        let verifier = Verifier::from_settings(&settings.auth).await?;
        crate::metrics::spawn_upkeep();
        let mut db = service::db::connect_and_migrate_with(&settings.database_url, settings.opening).await?;
        // The webhook sender and the insight feed poll on their own: their statements are
        // no request's, and are left out of the count that tests and the metric read.
        let background = db.clone();
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
        let (shutdown, released) = Shutdown::new();
        let availability = service::db::availability::Availability::watch(&db, &settings.database_url);
        let sweep = Duration::from_secs(settings.limits.insights_sweep_secs);
        // Shared by requests and watches: whoever reads a history first saves the others the reading.
        let histories = Arc::new(service::insights::load::Histories::default());
        let insights =
            service::insights::watch::Watches::new(db.clone(), clock.clone(), bus.clone(), sweep, histories.clone());
        // One policy for registration (the schema) and sending (the sender).
        let destinations = Arc::new(settings.webhooks.destinations());
        let webhooks = crate::webhooks::Sender::new(
            background.clone(),
            clock.clone(),
            bus.clone(),
            destinations.clone(),
            &settings.webhooks,
        )?;
        let insight_feed = service::webhooks::insights::InsightFeed {
            db: background,
            clock: clock.clone(),
            bus: bus.clone(),
            histories: histories.clone(),
            sweep,
        };
        let schema = Schemas::build(
            &settings.limits,
            Some(AppData { db: db.clone(), clock: clock.clone(), bus: bus.clone(), insights, destinations }),
        );
        let persisted = Arc::new(PersistedQueries::new(db.clone(), settings.limits.persisted_query_limit));
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
            persisted,
            bus,
            shutdown,
            availability,
            histories,
        };
        Ok(Application { listener, state, released, grace: settings.shutdown_grace, webhooks, insight_feed })
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

    /// Serves until `signal` completes, then stops accepting, lets requests in flight
    /// finish, closes subscriptions and returns, within the grace period: what is still
    /// running then is cut.
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        self.state.rates.clone().sweep_forever();
        let shutdown = self.state.shutdown.clone();
        let mut sending = tokio::spawn(self.webhooks.run(shutdown.signal()));
        let mut feed_stop = shutdown.signal();
        let feeding = tokio::spawn(self.insight_feed.run(async move { feed_stop.stopping().await }));
        let stopping = shutdown.clone();
        // The peer's address feeds the per-address rate limit.
        let service = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let serving =
            axum::serve(self.listener, service).with_graceful_shutdown(async move { stopping.stopping().await });
        let mut server = tokio::spawn(serving.into_future());
        tokio::select! {
            served = &mut server => return served.map_err(std::io::Error::other)?,
            () = signal => {}
        }
        let grace = self.grace;
        tracing::info!(grace_secs = grace.as_secs(), "stopping: finishing requests, closing subscriptions");
        shutdown.begin();
        drop(shutdown);
        let deadline = tokio::time::Instant::now() + grace;
        let served = match tokio::time::timeout_at(deadline, &mut server).await {
            Ok(served) => served.map_err(std::io::Error::other)?,
            Err(_) => {
                server.abort();
                tracing::warn!("the grace period ended with requests in flight: they were cut");
                Ok(())
            }
        };
        if !self.released.within(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
            tracing::warn!("the grace period ended with subscriptions open: they were cut");
        }
        feeding.abort();
        // A delivery cut here is sent again by whoever takes it after its lease.
        if tokio::time::timeout_at(deadline, &mut sending).await.is_err() {
            sending.abort();
            tracing::warn!("the grace period ended with webhooks in flight: they go again after their lease");
        }
        served
    }
}
