//! The end-to-end test harness: [`TestApp`] starts the real server on a free port
//! against a fresh, really-migrated database and speaks GraphQL to it over HTTP.
//!
//! The database is SQLite (a temporary file) unless `TRELLIS_TEST_DATABASE_URL` points
//! at a PostgreSQL server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); then each
//! app gets its own throwaway database there. Either way it is a [`testdb::TestDatabase`],
//! removed when the app is dropped, also when the test fails.

pub mod load;

use api::app::{Application, ServerSettings};
use api::auth::{TokenRequest, mint};
use api::config::{AuthSettings, Limits, Secret, WebhookSettings};
use serde_json::{Value, json};
use service::{Clock, OrgRole, SystemClock};
use std::sync::Arc;
use std::time::Duration;
use testdb::TestDatabase;
use tokio::sync::oneshot;

pub use reqwest::StatusCode;

/// The secret every test app verifies tokens with.
pub const SECRET: &str = "end-to-end-test-secret-0123456789";

/// Options for [`TestApp::start`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub demo: bool,
    pub limits: Option<Limits>,
    /// How tokens are verified; HS256 with [`SECRET`] when not given.
    pub auth: Option<AuthSettings>,
    /// How webhooks are sent; the defaults (no internal address allowed) when not given.
    pub webhooks: Option<WebhookSettings>,
}

/// A running Trellis on a free port.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub db: sea_orm::DatabaseConnection,
    /// SQL statements the server has run.
    pub statements: service::db::StatementCounter,
    /// The database URL, for replicas.
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    // Declared last: the database goes after the server is told to stop. Replicas share
    // their first server's database and do not own it.
    _database: Option<TestDatabase>,
}

impl TestApp {
    /// A server on an empty database.
    pub async fn spawn() -> Self {
        Self::start(Options::default(), Arc::new(SystemClock)).await
    }

    /// A server with the demo organization loaded.
    pub async fn spawn_demo() -> Self {
        Self::start(Options { demo: true, ..Options::default() }, Arc::new(SystemClock)).await
    }

    /// A server with `options` and `clock`; panics when it cannot start, which fails the test.
    pub async fn start(options: Options, clock: Arc<dyn Clock>) -> Self {
        let database = TestDatabase::create().await.expect("create a test database");
        Self::start_on(database, options, clock).await
    }

    /// A server on `database`, which it migrates and owns.
    pub async fn start_on(database: TestDatabase, options: Options, clock: Arc<dyn Clock>) -> Self {
        let url = database.url.clone();
        Self::serve(&url, options, clock, Some(database)).await
    }

    /// Another server on this one's database, as a second replica would be.
    pub async fn replica(&self) -> Self {
        self.replica_with(Options::default()).await
    }

    /// Another server on this one's database, with `options`.
    pub async fn replica_with(&self, options: Options) -> Self {
        Self::serve(&self.database_url, options, Arc::new(SystemClock), None).await
    }

    /// Stops this server (as SIGTERM does, within its grace period) and starts another on
    /// its database with `options`: what a restart or a deploy does.
    pub async fn restart(mut self, options: Options) -> Self {
        let database = self._database.take().expect("only the first server of a database restarts");
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            let _ = running.await;
        }
        Self::start_on(database, options, Arc::new(SystemClock)).await
    }

    async fn serve(url: &str, options: Options, clock: Arc<dyn Clock>, database: Option<TestDatabase>) -> Self {
        let settings = ServerSettings {
            database_url: url.to_owned(),
            listen: "127.0.0.1:0".parse().expect("a socket address"),
            auth: options.auth.unwrap_or_else(|| AuthSettings::development(Secret::new(SECRET))),
            demo: options.demo,
            limits: options.limits.unwrap_or_else(unthrottled),
            shutdown_grace: Duration::from_secs(5),
            opening: service::db::Opening::default(),
            webhooks: options.webhooks.unwrap_or_default(),
        };
        let app = Application::build(&settings, clock).await.expect("start the server");
        let addr = app.local_addr().expect("bound address");
        let db = app.db().clone();
        let statements = app.statements();
        let (stop, stopped) = oneshot::channel();
        let running = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client"),
            db,
            statements,
            database_url: url.to_owned(),
            stop: Some(stop),
            running: Some(running),
            _database: database,
        }
    }

    /// A token for `sub` in `org` with `role`, valid for an hour.
    pub fn token(&self, org: &str, sub: &str, role: OrgRole) -> String {
        token(org, sub, role, Duration::from_secs(3600))
    }

    /// The demo's admin (Dana, the CEO of Company X).
    pub fn demo_admin(&self) -> String {
        self.token(seed::demo::SLUG, seed::demo::ADMIN_SUBJECT, OrgRole::Admin)
    }

    /// POSTs a GraphQL request with `token` and returns the status and the JSON body.
    pub async fn graphql(&self, token: &str, query: &str, variables: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request reaches the server");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    /// Like [`TestApp::graphql`], but expects no errors and returns `data`.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql(token, query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A token signed with [`SECRET`].
pub fn token(org: &str, sub: &str, role: OrgRole, ttl: Duration) -> String {
    mint(&Secret::new(SECRET), &TokenRequest::person(org, sub, role, ttl)).expect("sign a token")
}

/// The default limits without rate limits: a test is one caller at full speed (the tests
/// of the rate limits set their own).
pub fn unthrottled() -> Limits {
    Limits { rate_per_subject: 0, rate_per_address: 0, ..Limits::default() }
}

/// A development token for an integration (no role) named `sub` with `scope`.
pub fn integration_token(org: &str, sub: &str, scope: &str) -> String {
    let request =
        TokenRequest { org, sub, scope: Some(scope), ttl: Duration::from_secs(3600), ..TokenRequest::default() };
    mint(&Secret::new(SECRET), &request).expect("sign a token")
}

/// The names of the schema's mutation fields, as introspection lists them.
pub async fn mutation_names(app: &TestApp, token: &str) -> std::collections::BTreeSet<String> {
    let fields = app.data(token, "{ __schema { mutationType { fields { name } } } }", json!({})).await;
    let fields = fields["__schema"]["mutationType"]["fields"].as_array().cloned().unwrap_or_default();
    fields.iter().filter_map(|f| f["name"].as_str().map(str::to_owned)).collect()
}

/// The first error's `extensions.code` of a response body.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<no code>")
}
