//! Settings: read once at start from flags or environment variables, nowhere else.

use clap::{ArgAction, Args, Parser, Subcommand};
use std::fmt;
use std::net::SocketAddr;
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
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the GraphQL schema (SDL) and exit.
    Schema,
    /// Print a development token signed with TRELLIS_JWT_SECRET.
    Token(TokenArgs),
    /// Fill the database with a generated organization (for benchmarks).
    Generate(GenerateArgs),
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
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://trellis.db")]
    pub database_url: String,
}

/// Everything `trellis serve` needs.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "TRELLIS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Load the demo organization "Company X" when it is not there yet.
    #[arg(long)]
    pub demo: bool,
    /// HS256 secret for verifying tokens. Without one, `--demo` makes one up for the process.
    #[arg(long, env = "TRELLIS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    #[command(flatten)]
    pub limits: Limits,
    /// Log filter, in `tracing` EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info,sqlx=warn,sea_orm=warn")]
    pub log: String,
    /// Log JSON lines instead of text.
    #[arg(long, env = "TRELLIS_LOG_JSON")]
    pub log_json: bool,
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
    #[arg(long, env = "TRELLIS_MAX_COMPLEXITY", default_value_t = 50_000)]
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
    /// A browser origin (`https://dash.example.com`) allowed to call the API (CORS);
    /// repeatable. None by default: no CORS headers at all.
    #[arg(long = "cors-origin", env = "TRELLIS_CORS_ORIGINS", value_delimiter = ',')]
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
            max_complexity: 50_000,
            max_query_bytes: 32 * 1024,
            max_aliases: 30,
            max_root_fields: 30,
            request_timeout_secs: 30,
            introspection: true,
            suggestions: true,
            rate_per_subject: 50,
            burst_per_subject: 200,
            rate_per_address: 200,
            burst_per_address: 400,
            ws_init_timeout_secs: 10,
            ws_max_subscriptions: 100,
            ws_max_connections_per_subject: 20,
            cors_origins: Vec::new(),
        }
    }
}

/// `trellis token` arguments.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// Organization slug (the `org` claim).
    #[arg(long)]
    pub org: String,
    /// The person's subject (the `sub` claim).
    #[arg(long)]
    pub sub: String,
    /// Organization role: admin, member or viewer.
    #[arg(long, default_value = "member")]
    pub role: String,
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
