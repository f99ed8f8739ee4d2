//! The `trellis` command: serve, migrate, print the schema, mint a development token.

use anyhow::{Context, bail};
use api::app::{Application, ServerSettings};
use api::auth::{TokenRequest, mint};
use api::config::file::{self, LoadError};
use api::config::{Command, GenerateArgs, PersistedCommand, Secret, ServeArgs, TokenArgs};
use rand::distr::{Alphanumeric, SampleString};
use service::{OrgRole, SystemClock};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let loaded = match file::load(std::env::args_os()) {
        Ok(loaded) => loaded,
        Err(LoadError::Cli(error)) => match file::wrong_value(&error) {
            Some(reason) => {
                eprintln!("trellis: {reason}");
                return ExitCode::from(2);
            }
            None => error.exit(),
        },
        Err(LoadError::File(message)) => {
            eprintln!("trellis: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("trellis: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(loaded)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("trellis: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(loaded: file::Loaded) -> anyhow::Result<()> {
    match loaded.cli.command {
        None => serve(loaded.cli.serve).await,
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Migrate(args)) => {
            service::db::connect_and_migrate(&args.database_url).await?;
            println!("migrated {}", service::db::redact(&args.database_url));
            Ok(())
        }
        Some(Command::Schema) => {
            print!("{}", api::graphql::sdl());
            Ok(())
        }
        Some(Command::Token(args)) => token(&args),
        Some(Command::Generate(args)) => generate(&args).await,
        Some(Command::Persisted(command)) => persisted(command).await,
        Some(Command::Backup(args)) => {
            anyhow::ensure!(args.database.database_url.starts_with("sqlite:"), service::db::BackupError::NotSqlite);
            let db = service::db::connect(&args.database.database_url).await?;
            service::db::backup(&db, &args.file).await?;
            println!("backed up {} to {}", service::db::redact(&args.database.database_url), args.file.display());
            Ok(())
        }
        Some(Command::Restore(args)) => {
            service::db::restore(&args.database.database_url, &args.file).await?;
            println!("restored {} from {}", service::db::redact(&args.database.database_url), args.file.display());
            Ok(())
        }
        Some(Command::Import(args)) => {
            let report = api::transfer::import(&args).await?;
            print!("{}", api::transfer::describe(&report));
            match report.problems.len() {
                0 => {}
                1 => bail!("1 problem in {}: nothing was imported", args.file.display()),
                n => bail!("{n} problems in {}: nothing was imported", args.file.display()),
            }
            Ok(())
        }
        Some(Command::Export(args)) => {
            let records = api::transfer::export(&args).await?;
            if let Some(path) = &args.output {
                println!("exported {records} records to {}", path.display());
            }
            Ok(())
        }
        Some(Command::Config(_)) => {
            print!("{}", file::render(loaded.file.as_deref(), &loaded.settings));
            Ok(())
        }
    }
}

async fn generate(args: &GenerateArgs) -> anyhow::Result<()> {
    let db = service::db::connect_and_migrate(&args.database.database_url).await?;
    let scale = seed::generate::Scale {
        teams: args.teams,
        objectives_per_team: args.objectives_per_team,
        key_results_per_objective: args.key_results_per_objective,
        check_ins_per_key_result: args.check_ins,
    };
    let generated = seed::generate::organization(&db, &args.org, scale, chrono::Utc::now())
        .await
        .with_context(|| format!("generating organization {:?} (does it exist already?)", args.org))?;
    println!(
        "organization {}: {} teams, {} objectives, {} key results, {} check-ins",
        args.org,
        generated.team_ids.len(),
        generated.objectives,
        generated.key_results,
        generated.check_ins
    );
    println!("cycle {}", generated.cycle_id);
    println!("root-team {}", generated.root_team_id);
    Ok(())
}

async fn persisted(command: PersistedCommand) -> anyhow::Result<()> {
    use service::persisted_queries;
    match command {
        PersistedCommand::Add { database, files } => {
            let mut documents = Vec::new();
            for file in &files {
                documents.extend(documents_in(file)?);
            }
            let db = service::db::connect_and_migrate(&database.database_url).await?;
            for (name, query) in documents {
                let hash = persisted_queries::allow(&db, &query, chrono::Utc::now()).await?;
                println!("{hash}  {name}");
            }
        }
        PersistedCommand::List { database } => {
            let db = service::db::connect_and_migrate(&database.database_url).await?;
            for row in persisted_queries::allowed(&db).await? {
                let first = row.query.lines().next().unwrap_or_default();
                println!("{}  {}  {first}", row.hash, row.registered_at.format("%Y-%m-%dT%H:%M:%SZ"));
            }
        }
        PersistedCommand::Remove { database, hash } => {
            let db = service::db::connect_and_migrate(&database.database_url).await?;
            anyhow::ensure!(persisted_queries::remove(&db, &hash).await?, "no persisted query has the hash {hash}");
            println!("removed {hash}");
        }
    }
    Ok(())
}

/// The documents of a `.graphql` file (one, its text without trailing whitespace) or of an
/// Apollo persisted query manifest (`.json`), each with a name to print; each must parse.
fn documents_in(file: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        operations: Vec<ManifestOperation>,
    }
    #[derive(serde::Deserialize)]
    struct ManifestOperation {
        name: String,
        body: String,
    }
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let documents = if file.extension().is_some_and(|e| e == "json") {
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not an Apollo persisted query manifest", file.display()))?;
        manifest.operations.into_iter().map(|op| (op.name, op.body)).collect()
    } else {
        vec![(file.display().to_string(), text.trim_end().to_owned())]
    };
    for (name, query) in &documents {
        async_graphql::parser::parse_query(query).with_context(|| format!("{name} is not a GraphQL document"))?;
    }
    Ok(documents)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let telemetry = api::telemetry::init(&args.telemetry)?;
    let mut auth = args.auth.clone();
    let made_up = auth.jwt_secret.is_none() && !auth.has_public_keys();
    if made_up && !args.demo {
        bail!(
            "no key to verify tokens with: set TRELLIS_JWT_JWKS_URL (with TRELLIS_JWT_ISSUER and TRELLIS_JWT_AUDIENCE) \
             for an identity provider, TRELLIS_JWT_SECRET (at least 16 characters) for development tokens, or pass \
             --demo to try Trellis with a throwaway secret"
        );
    }
    if made_up {
        auth.jwt_secret = Some(Secret::new(Alphanumeric.sample_string(&mut rand::rng(), 48)));
    }
    let secret = auth.jwt_secret.clone();
    let opening = args.opening();
    let settings = ServerSettings {
        database_url: args.database.database_url.clone(),
        listen: args.listen,
        auth,
        demo: args.demo,
        limits: args.limits,
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        opening,
        webhooks: args.webhooks,
    };
    let app = Application::build(&settings, Arc::new(SystemClock)).await?;
    let addr = app.local_addr().context("reading the bound address")?;
    println!("Trellis is serving http://{addr}/graphql");
    if let (true, Some(secret)) = (args.demo, &secret) {
        print_demo_token(secret, made_up, addr)?;
    }
    let served = app.run_until(shutdown_signal()).await.context("serving");
    tracing::info!("stopped");
    telemetry.shutdown();
    served
}

fn print_demo_token(secret: &Secret, made_up: bool, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    let request = TokenRequest::person(
        seed::demo::SLUG,
        seed::demo::ADMIN_SUBJECT,
        OrgRole::Admin,
        Duration::from_secs(12 * 3600),
    );
    let token = mint(secret, &request).context("signing the demo token")?;
    if made_up {
        println!("No TRELLIS_JWT_SECRET set: using a throwaway secret for this process.");
    }
    println!("Demo admin token (Company X, valid 12 h):\n\n{token}\n");
    println!("Open http://{addr}/graphql in a browser and add the header");
    println!("  {{\"Authorization\": \"Bearer {token}\"}}");
    println!("or try:\n  curl -s http://{addr}/graphql -H 'Authorization: Bearer {token}' \\");
    println!(
        "    -H 'Content-Type: application/json' -d '{{\"query\":\"{{ organization {{ name }} objectives {{ edges {{ node {{ title progress status }} }} }} }}\"}}'"
    );
    Ok(())
}

fn token(args: &TokenArgs) -> anyhow::Result<()> {
    let role = match (&args.role, &args.scope) {
        (Some(role), _) => {
            Some(OrgRole::parse(role).with_context(|| format!("unknown role {role:?}: use admin, member or viewer"))?)
        }
        (None, Some(_)) => None,
        (None, None) => Some(OrgRole::Member),
    };
    if let Some(scope) = &args.scope {
        let known = scope.split_whitespace().all(|word| service::permissions::TokenScope::parse(word).is_some());
        anyhow::ensure!(known, "unknown scope in {scope:?}: use okr:read, checkin:write, okr:write or admin");
    }
    let request = TokenRequest {
        org: &args.org,
        sub: &args.sub,
        role,
        scope: args.scope.as_deref(),
        ttl: args.ttl,
        email: args.email.as_deref(),
        name: args.name.as_deref(),
        issuer: args.iss.as_deref(),
        audience: args.aud.as_deref(),
    };
    println!("{}", mint(&args.jwt_secret, &request).context("signing the token")?);
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
