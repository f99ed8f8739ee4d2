//! Settings: read once at start from flags, environment variables or the settings file
//! (the `file` module), nowhere else.

pub mod file;

use clap::{ArgAction, Args, Parser, Subcommand};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Trellis: a GraphQL API backend for team OKR platforms.
#[derive(Debug, Parser)]
#[command(name = "trellis", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serve settings, used when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// What `trellis` does.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API (the default).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the GraphQL schema (SDL) and exit.
    Schema,
    /// Print a development token signed with TRELLIS_JWT_SECRET.
    Token(TokenArgs),
    /// Fill the database with a generated organization (for benchmarks).
    Generate(GenerateArgs),
    /// Print the effective serve configuration, each setting with its source, secrets masked.
    Config(Box<ServeArgs>),
    /// Write a consistent copy of the SQLite database to FILE, while trellis serves it.
    Backup(BackupArgs),
    /// Replace the SQLite database with the backup FILE and migrate it (stop trellis first).
    Restore(BackupArgs),
    /// Manage the persisted queries: the allow-list of `--persisted-queries-only`.
    #[command(subcommand)]
    Persisted(PersistedCommand),
    /// Import an OKR file (CSV or JSON) into a cycle, all or nothing: every refused record
    /// is listed with its line, field and code, and then nothing is written.
    Import(ImportArgs),
    /// Export a cycle's OKRs as a file that `trellis import` (or `importOkrs`) reads back.
    Export(ExportArgs),
}

/// Where an import or export goes: an organization's cycle, and who does it.
#[derive(Debug, Clone, Args)]
pub struct TransferTarget {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The organization's slug.
    #[arg(long)]
    pub org: String,
    /// The cycle: its id (as the API shows it, or the UUID) or its name.
    #[arg(long)]
    pub cycle: String,
    /// The subject of the organization admin the audit trail names (created on first
    /// sight, as a token's subject is).
    #[arg(long = "as", value_name = "SUBJECT", default_value = "trellis-cli")]
    pub actor: String,
}

/// An OKR file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Csv,
    Json,
}

/// `trellis import` arguments.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    #[command(flatten)]
    pub target: TransferTarget,
    /// The file's format; by default its extension says (`.csv`, `.json`).
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// Check the whole file and report, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `trellis export` arguments.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub target: TransferTarget,
    #[arg(long, value_enum, default_value_t = FileFormat::Csv)]
    pub format: FileFormat,
    /// Write the file here instead of to standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// `trellis backup` and `trellis restore` arguments.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The backup file (a SQLite database).
    pub file: PathBuf,
}

/// `trellis persisted` subcommands.
#[derive(Debug, Subcommand)]
pub enum PersistedCommand {
    /// Put documents on the allow-list: `.graphql` files (each file one document, exactly
    /// as clients send it, trailing whitespace aside) or Apollo persisted query manifests
    /// (`.json`). Prints each hash.
    Add {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the allow-list: hash, registration time and the document's first line.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Take a document off the store (and the allow-list) by its hash.
    Remove {
        #[command(flatten)]
        database: DatabaseArgs,
        hash: String,
    },
}

/// `trellis generate` arguments: the organization's size.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Slug of the new organization; its admin's subject is `admin`.
    #[arg(long, default_value = "bench")]
    pub org: String,
    /// Teams in three levels (company, departments, teams).
    #[arg(long, default_value_t = 200)]
    pub teams: usize,
    #[arg(long, default_value_t = 4)]
    pub objectives_per_team: usize,
    #[arg(long, default_value_t = 4)]
    pub key_results_per_objective: usize,
    /// Weekly check-ins per key result.
    #[arg(long, default_value_t = 12)]
    pub check_ins: usize,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://PATH` (created when missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://trellis.db", value_parser = parse_database_url)]
    pub database_url: String,
}

/// Everything `trellis serve` needs.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// A settings file (TOML, keys named as these flags); flags and environment override it.
    #[arg(long, env = "TRELLIS_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "TRELLIS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Load the demo organization "Company X" when it is not there yet.
    #[arg(long)]
    pub demo: bool,
    /// What an acknowledged SQLite write survives: `full` (the default) a power loss or an
    /// operating-system crash; `normal` only a crash of the process, for faster commits.
    #[arg(long, env = "TRELLIS_SQLITE_DURABILITY", value_enum, default_value_t = SqliteDurability::Full)]
    pub sqlite_durability: SqliteDurability,
    /// Seconds to keep trying a PostgreSQL that does not answer at start (with backoff,
    /// logged), so that a server started with its database waits for it; 0 fails at once.
    #[arg(long, env = "TRELLIS_DATABASE_START_TIMEOUT_SECS", default_value_t = 30)]
    pub database_start_timeout_secs: u64,
    /// Seconds a stop (SIGTERM, Ctrl-C) waits for requests in flight and for subscriptions
    /// to close before it cuts them.
    #[arg(long, env = "TRELLIS_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
    #[command(flatten)]
    pub auth: AuthSettings,
    #[command(flatten)]
    pub limits: Limits,
    #[command(flatten)]
    pub webhooks: WebhookSettings,
    #[command(flatten)]
    pub telemetry: TelemetrySettings,
}

/// SQLite's `synchronous` setting (see [`service::db::Durability`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteDurability {
    Full,
    Normal,
}

impl ServeArgs {
    /// How the server opens its database.
    pub fn opening(&self) -> service::db::Opening {
        service::db::Opening {
            sqlite_durability: match self.sqlite_durability {
                SqliteDurability::Full => service::db::Durability::Full,
                SqliteDurability::Normal => service::db::Durability::Normal,
            },
            start_timeout: Duration::from_secs(self.database_start_timeout_secs),
        }
    }
}

/// Logs and traces.
#[derive(Debug, Clone, Args)]
pub struct TelemetrySettings {
    /// Log filter, in `tracing` EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info,sqlx=warn,sea_orm=warn")]
    pub log: String,
    /// Log JSON lines instead of text.
    #[arg(long, env = "TRELLIS_LOG_JSON")]
    pub log_json: bool,
    /// The OTLP collector (base URL); traces are exported only when it (or the traces
    /// endpoint) is set.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", value_parser = parse_http_url)]
    pub otlp_endpoint: Option<String>,
    /// The OTLP collector's trace URL, used as it is.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", value_parser = parse_http_url)]
    pub otlp_traces_endpoint: Option<String>,
    /// `http/protobuf` (the default) or `grpc`.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_PROTOCOL", value_parser = ["http/protobuf", "grpc"])]
    pub otlp_protocol: Option<String>,
    /// The service name traces carry.
    #[arg(long, env = "OTEL_SERVICE_NAME")]
    pub otel_service_name: Option<String>,
    /// `true` turns the export off whatever else is set.
    #[arg(long, env = "OTEL_SDK_DISABLED")]
    pub otel_sdk_disabled: bool,
}

impl TelemetrySettings {
    /// Whether traces are exported.
    pub fn exports_traces(&self) -> bool {
        !self.otel_sdk_disabled && (self.otlp_endpoint.is_some() || self.otlp_traces_endpoint.is_some())
    }

    /// The service name, `trellis` unless set.
    pub fn service_name(&self) -> String {
        self.otel_service_name.clone().unwrap_or_else(|| "trellis".into())
    }
}

/// How tokens are verified and read.
#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
    /// HS256 secret for development tokens (`trellis token`). Without any key, `--demo`
    /// makes one up for the process. Do not set it in production.
    #[arg(long, env = "TRELLIS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// PEM public keys of the identity provider, each `PATH` or `PATH=ALG` (RSA keys
    /// default to RS256, EC keys to ES256, Ed25519 keys to EdDSA); repeat or separate by commas.
    #[arg(long = "jwt-public-key", env = "TRELLIS_JWT_PUBLIC_KEYS", value_delimiter = ',')]
    pub jwt_public_keys: Vec<String>,
    /// A JWKS file with the identity provider's public keys.
    #[arg(long, env = "TRELLIS_JWT_JWKS_FILE")]
    pub jwt_jwks_file: Option<PathBuf>,
    /// The identity provider's JWKS URL (HTTPS), cached by its Cache-Control and fetched
    /// again for an unknown `kid` (at most once per 30 s).
    #[arg(long, env = "TRELLIS_JWT_JWKS_URL", value_parser = parse_http_url)]
    pub jwt_jwks_url: Option<String>,
    /// The least time between two fetches of the JWKS URL, in seconds: a token with an
    /// unknown `kid` fetches it again no sooner.
    #[arg(long, env = "TRELLIS_JWT_JWKS_MIN_REFETCH_SECS", default_value_t = 30)]
    pub jwt_jwks_min_refetch_secs: u64,
    /// The `iss` tokens must carry; required with public keys.
    #[arg(long, env = "TRELLIS_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// The `aud` values accepted (a token must name one); required with public keys.
    #[arg(long, env = "TRELLIS_JWT_AUDIENCE", value_delimiter = ',')]
    pub jwt_audience: Vec<String>,
    /// Clock skew tolerated for `exp`, `nbf` and `iat`, in seconds.
    #[arg(long, env = "TRELLIS_JWT_LEEWAY_SECS", default_value_t = AuthSettings::DEFAULT_LEEWAY_SECS)]
    pub jwt_leeway_secs: u64,
    /// The claim that names the caller.
    #[arg(long, env = "TRELLIS_JWT_SUBJECT_CLAIM", default_value = "sub")]
    pub jwt_subject_claim: String,
    /// The claim that names the organization (its slug), e.g. `https://example.com/org`.
    #[arg(long, env = "TRELLIS_JWT_ORG_CLAIM", default_value = "org")]
    pub jwt_org_claim: String,
    /// The claim that carries the organization role (a string or a list).
    #[arg(long, env = "TRELLIS_JWT_ROLE_CLAIM", default_value = "role")]
    pub jwt_role_claim: String,
    /// The role of a person whose token has no role claim.
    #[arg(long, env = "TRELLIS_JWT_DEFAULT_ROLE", default_value = "viewer")]
    pub jwt_default_role: String,
}

impl AuthSettings {
    /// The default leeway, in seconds.
    pub const DEFAULT_LEEWAY_SECS: u64 = 30;

    /// Development settings: HS256 tokens signed with `secret`, default claims.
    pub fn development(secret: Secret) -> Self {
        AuthSettings {
            jwt_secret: Some(secret),
            jwt_public_keys: Vec::new(),
            jwt_jwks_file: None,
            jwt_jwks_url: None,
            jwt_jwks_min_refetch_secs: 30,
            jwt_issuer: None,
            jwt_audience: Vec::new(),
            jwt_leeway_secs: Self::DEFAULT_LEEWAY_SECS,
            jwt_subject_claim: "sub".into(),
            jwt_org_claim: "org".into(),
            jwt_role_claim: "role".into(),
            jwt_default_role: "viewer".into(),
        }
    }

    /// Whether any public key is configured.
    pub fn has_public_keys(&self) -> bool {
        !self.jwt_public_keys.is_empty() || self.jwt_jwks_file.is_some() || self.jwt_jwks_url.is_some()
    }
}

/// Bounds on what one request, caller or connection may cost, and what browsers may do.
/// Every limit is per process: with several replicas, each enforces its own share.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest request body, in bytes.
    #[arg(long, env = "TRELLIS_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Deepest selection nesting a query may have.
    #[arg(long, env = "TRELLIS_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,
    /// Highest complexity a query may have (each field 1, lists × their page size,
    /// introspection lists × their size in this schema).
    #[arg(long, env = "TRELLIS_MAX_COMPLEXITY", default_value_t = 100_000)]
    pub max_complexity: usize,
    /// Longest GraphQL document, in bytes (bounds its tokens: each is at least one byte).
    #[arg(long, env = "TRELLIS_MAX_QUERY_BYTES", default_value_t = 32 * 1024)]
    pub max_query_bytes: usize,
    /// Most aliases a GraphQL document may use.
    #[arg(long, env = "TRELLIS_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,
    /// Most root fields one operation may select.
    #[arg(long, env = "TRELLIS_MAX_ROOT_FIELDS", default_value_t = 30)]
    pub max_root_fields: usize,
    /// Longest a request may run, in seconds.
    #[arg(long, env = "TRELLIS_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Most GraphQL requests served at once; one more is refused at once with 503
    /// `OVERLOADED` and `Retry-After` instead of queueing (0 means no limit).
    #[arg(long, env = "TRELLIS_MAX_CONCURRENT_REQUESTS", default_value_t = 64)]
    pub max_concurrent_requests: usize,
    /// Answer introspection (`__schema`, `__type`); `false` in production hides the schema.
    #[arg(long, env = "TRELLIS_INTROSPECTION", default_value_t = true, action = ArgAction::Set)]
    pub introspection: bool,
    /// Suggest field names ("Did you mean …") in validation errors.
    #[arg(long, env = "TRELLIS_SUGGESTIONS", default_value_t = true, action = ArgAction::Set)]
    pub suggestions: bool,
    /// Requests per second per token subject (organization and `sub`); 0 disables.
    #[arg(long, env = "TRELLIS_RATE_PER_SUBJECT", default_value_t = 50)]
    pub rate_per_subject: u32,
    /// Requests a token subject may send at once above its rate.
    #[arg(long, env = "TRELLIS_BURST_PER_SUBJECT", default_value_t = 200)]
    pub burst_per_subject: u32,
    /// Requests per second per client address; 0 disables.
    #[arg(long, env = "TRELLIS_RATE_PER_ADDRESS", default_value_t = 200)]
    pub rate_per_address: u32,
    /// Requests a client address may send at once above its rate.
    #[arg(long, env = "TRELLIS_BURST_PER_ADDRESS", default_value_t = 400)]
    pub burst_per_address: u32,
    /// Seconds a WebSocket may stay open without `connection_init` (then closed with 4408).
    #[arg(long, env = "TRELLIS_WS_INIT_TIMEOUT_SECS", default_value_t = 10)]
    pub ws_init_timeout_secs: u64,
    /// Most subscriptions one WebSocket may run at once; 0 means no limit.
    #[arg(long, env = "TRELLIS_WS_MAX_SUBSCRIPTIONS", default_value_t = 100)]
    pub ws_max_subscriptions: usize,
    /// Most WebSockets one token subject may hold open; 0 means no limit.
    #[arg(long, env = "TRELLIS_WS_MAX_CONNECTIONS_PER_SUBJECT", default_value_t = 20)]
    pub ws_max_connections_per_subject: usize,
    /// Seconds between two looks at the insights that `insightsChanged` subscribers watch,
    /// for what time alone changes (changes from writes are seen at once).
    #[arg(long, env = "TRELLIS_INSIGHTS_SWEEP_SECS", default_value_t = 60)]
    pub insights_sweep_secs: u64,
    /// Refuse every operation whose document is not on the operator's allow-list
    /// (`trellis persisted add`), for deployments locked to known clients.
    #[arg(long, env = "TRELLIS_PERSISTED_QUERIES_ONLY")]
    pub persisted_queries_only: bool,
    /// Automatic persisted queries kept in the database; beyond, the least recently used go.
    #[arg(long, env = "TRELLIS_PERSISTED_QUERY_LIMIT", default_value_t = 10_000)]
    pub persisted_query_limit: u64,
    /// A browser origin (`https://dash.example.com`) allowed to call the API (CORS);
    /// repeatable. None by default: no CORS headers at all.
    #[arg(long = "cors-origin", env = "TRELLIS_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,
}

impl Limits {
    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_depth: 12,
            max_complexity: 100_000,
            max_query_bytes: 32 * 1024,
            max_aliases: 30,
            max_root_fields: 30,
            request_timeout_secs: 30,
            max_concurrent_requests: 64,
            introspection: true,
            suggestions: true,
            rate_per_subject: 50,
            burst_per_subject: 200,
            rate_per_address: 200,
            burst_per_address: 400,
            ws_init_timeout_secs: 10,
            ws_max_subscriptions: 100,
            ws_max_connections_per_subject: 20,
            insights_sweep_secs: 60,
            persisted_queries_only: false,
            persisted_query_limit: 10_000,
            cors_origins: Vec::new(),
        }
    }
}

/// How webhooks are sent. Every replica sends (each delivery from exactly one of them).
#[derive(Debug, Clone, Args)]
pub struct WebhookSettings {
    /// An internal address range (CIDR: `10.20.0.0/16`, `127.0.0.1/32`) webhooks may go to
    /// all the same; repeatable. None by default: loopback, private, link-local and
    /// metadata addresses are refused at registration and at every send.
    #[arg(long = "webhook-allow-range", env = "TRELLIS_WEBHOOK_ALLOW_RANGES", value_delimiter = ',')]
    pub webhook_allow_ranges: Vec<ipnet::IpNet>,
    /// Longest an endpoint may take to answer one delivery, in milliseconds.
    #[arg(long, env = "TRELLIS_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// Wait before the first retry, in milliseconds; it doubles after each failure.
    #[arg(long, env = "TRELLIS_WEBHOOK_RETRY_BASE_MS", default_value_t = 5_000)]
    pub webhook_retry_base_ms: u64,
    /// Longest wait between two attempts, in seconds.
    #[arg(long, env = "TRELLIS_WEBHOOK_RETRY_CAP_SECS", default_value_t = 3_600)]
    pub webhook_retry_cap_secs: u64,
    /// How long a delivery is retried, and how long an endpoint may fail before it is
    /// disabled, in seconds.
    #[arg(long, env = "TRELLIS_WEBHOOK_RETRY_WINDOW_SECS", default_value_t = 86_400)]
    pub webhook_retry_window_secs: u64,
    /// How long a replica holds a delivery it is sending, in seconds: after a crash, another
    /// replica sends it again (same `webhook-id`) when this runs out.
    #[arg(long, env = "TRELLIS_WEBHOOK_LEASE_SECS", default_value_t = 60)]
    pub webhook_lease_secs: u64,
    /// How often an idle sender looks for due deliveries, in milliseconds (a local change
    /// wakes it at once).
    #[arg(long, env = "TRELLIS_WEBHOOK_POLL_MS", default_value_t = 1_000)]
    pub webhook_poll_ms: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            webhook_allow_ranges: Vec::new(),
            webhook_timeout_ms: 10_000,
            webhook_retry_base_ms: 5_000,
            webhook_retry_cap_secs: 3_600,
            webhook_retry_window_secs: 86_400,
            webhook_lease_secs: 60,
            webhook_poll_ms: 1_000,
        }
    }
}

impl WebhookSettings {
    /// Where webhooks may go.
    pub fn destinations(&self) -> service::webhooks::destination::Destinations {
        service::webhooks::destination::Destinations::new(self.webhook_allow_ranges.clone())
    }

    /// How deliveries are retried.
    pub fn retries(&self) -> service::webhooks::queue::Retries {
        service::webhooks::queue::Retries {
            base: Duration::from_millis(self.webhook_retry_base_ms),
            cap: Duration::from_secs(self.webhook_retry_cap_secs),
            window: Duration::from_secs(self.webhook_retry_window_secs),
            lease: Duration::from_secs(self.webhook_lease_secs),
        }
    }
}

/// `trellis token` arguments.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// Organization slug (the `org` claim).
    #[arg(long)]
    pub org: String,
    /// The person's (or the integration's) subject (the `sub` claim).
    #[arg(long)]
    pub sub: String,
    /// Organization role: admin, member or viewer (member when neither it nor `--scope`
    /// is given; without it, `--scope` mints an integration's token).
    #[arg(long)]
    pub role: Option<String>,
    /// Scopes, space-separated: okr:read, checkin:write, okr:write, admin.
    #[arg(long)]
    pub scope: Option<String>,
    /// `iss` claim, for a server that checks it.
    #[arg(long)]
    pub iss: Option<String>,
    /// `aud` claim, for a server that checks it.
    #[arg(long)]
    pub aud: Option<String>,
    /// How long the token lives, e.g. 30m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    pub ttl: Duration,
    /// Optional `email` claim.
    #[arg(long)]
    pub email: Option<String>,
    /// Optional `name` claim.
    #[arg(long)]
    pub name: Option<String>,
    /// HS256 secret to sign with.
    #[arg(long, env = "TRELLIS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Secret,
}

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() < 16 {
            return Err("the JWT secret must be at least 16 characters".into());
        }
        Ok(Secret(s.to_owned()))
    }
}

/// A database URL Trellis can open (checked for its scheme here, for the rest on connecting).
pub fn parse_database_url(text: &str) -> Result<String, String> {
    if service::db::is_supported(text) {
        Ok(text.to_owned())
    } else {
        Err("unsupported database URL: use sqlite://PATH or postgres://USER@HOST/DB".into())
    }
}

/// An absolute `http` or `https` URL.
pub fn parse_http_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(text.to_owned()),
        Ok(_) => Err("use an http:// or https:// URL".into()),
        Err(error) => Err(format!("not a URL: {error}")),
    }
}

/// A browser origin (`https://dash.example.com`): scheme and host, no path, never `*`.
pub fn parse_origin(origin: &str) -> Result<String, String> {
    if origin.trim() == "*" {
        return Err("\"*\" is refused: list each dashboard's origin (https://host[:port])".into());
    }
    let shaped = origin
        .split_once("://")
        .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains('/'));
    let printable = origin.bytes().all(|b| b.is_ascii_graphic());
    if shaped && printable {
        Ok(origin.to_owned())
    } else {
        Err("not an origin like https://dash.example.com (no path, no slash at the end)".into())
    }
}

/// Parses `90s`, `30m`, `1h`, `7d`.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 30m, 1h or 7d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit {unit:?}: use s, m, h or d")),
    };
    Ok(Duration::from_secs(number * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_read_like_people_write_them() {
        assert_eq!(parse_ttl("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert!(parse_ttl("soon").is_err());
    }

    #[test]
    fn the_limit_defaults_are_the_flag_defaults() {
        let cli = Cli::try_parse_from(["trellis"]).unwrap();
        let parsed = format!("{:?}", cli.serve.limits);
        assert_eq!(parsed, format!("{:?}", Limits::default()));
    }

    #[test]
    fn introspection_and_suggestions_switch_off_and_origins_repeat() {
        let args = ["trellis", "--introspection", "false", "--suggestions=false", "--cors-origin", "https://a.example"];
        let cli = Cli::try_parse_from(args.into_iter().chain(["--cors-origin", "https://b.example"])).unwrap();
        assert!(!cli.serve.limits.introspection && !cli.serve.limits.suggestions);
        assert_eq!(cli.serve.limits.cors_origins, ["https://a.example", "https://b.example"]);
    }

    #[test]
    fn secrets_do_not_print() {
        let secret: Secret = "0123456789abcdef-secret".parse().unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }
}
