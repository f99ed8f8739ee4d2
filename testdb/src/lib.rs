//! Throwaway databases for tests: a SQLite file, or a database of its own on the
//! PostgreSQL server that `TRELLIS_TEST_DATABASE_URL` points at.
//!
//! A [`TestDatabase`] is removed when it is dropped, which also happens while a failing
//! test unwinds. A test process that is killed outright cannot drop anything, so the first
//! database a process creates also sweeps away those that earlier runs left behind: every
//! name carries a UUIDv7, whose timestamp says when it was made, and anything older than
//! [`STALE_AFTER`] is gone (no test runs that long; a run in progress is never touched).

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};
use tokio::sync::OnceCell;

/// The environment variable naming the PostgreSQL server to test against.
pub const DATABASE_URL_VARIABLE: &str = "TRELLIS_TEST_DATABASE_URL";

/// How old a leftover test database must be before a later run removes it.
pub const STALE_AFTER: Duration = Duration::from_secs(2 * 60 * 60);

/// Every test database's name starts with this.
const PREFIX: &str = "trellis_test_";

/// The PostgreSQL server's admin URL when the tests run on PostgreSQL.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(DATABASE_URL_VARIABLE).ok().filter(|url| url.starts_with("postgres"))
}

/// A fresh, empty database, removed when dropped.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL to connect to it with.
    pub url: String,
    place: Place,
}

#[derive(Debug)]
enum Place {
    SqliteFile(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new database on the configured backend: PostgreSQL when
    /// `TRELLIS_TEST_DATABASE_URL` says so, SQLite otherwise.
    pub async fn create() -> anyhow::Result<Self> {
        match postgres_admin_url() {
            Some(admin_url) => Self::postgres(admin_url).await,
            None => Ok(Self::sqlite()),
        }
    }

    /// A new SQLite file in the temporary folder, whatever the configured backend.
    pub fn sqlite() -> Self {
        static SWEPT: std::sync::Once = std::sync::Once::new();
        SWEPT.call_once(|| sweep_sqlite_files(SystemTime::now()));
        let path = std::env::temp_dir().join(format!("{}.db", new_name()));
        TestDatabase { url: format!("sqlite://{}", path.display()), place: Place::SqliteFile(path) }
    }

    async fn postgres(admin_url: String) -> anyhow::Result<Self> {
        let admin = Database::connect(&admin_url).await?;
        static SWEPT: OnceCell<()> = OnceCell::const_new();
        SWEPT.get_or_try_init(|| sweep_postgres(&admin)).await?;
        let name = new_name();
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
        admin.close().await?;
        let url = replace_database(&admin_url, &name);
        Ok(TestDatabase { url, place: Place::Postgres { admin_url, name } })
    }

    /// Whether this database lives on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.place, Place::Postgres { .. })
    }

    /// The admin URL of its PostgreSQL server, for tests that act on the server itself.
    pub fn admin_url(&self) -> Option<&str> {
        match &self.place {
            Place::Postgres { admin_url, .. } => Some(admin_url),
            Place::SqliteFile(_) => None,
        }
    }

    /// The database's name on its PostgreSQL server.
    pub fn postgres_name(&self) -> Option<&str> {
        match &self.place {
            Place::Postgres { name, .. } => Some(name),
            Place::SqliteFile(_) => None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let removed = match &self.place {
            Place::SqliteFile(path) => {
                remove_sqlite_file(path);
                Ok(())
            }
            Place::Postgres { admin_url, name } => drop_postgres(admin_url.clone(), name.clone()),
        };
        if let Err(error) = removed {
            eprintln!("could not remove test database {}: {error:#}", self.url);
        }
    }
}

fn new_name() -> String {
    format!("{PREFIX}{}", uuid::Uuid::now_v7().simple())
}

/// When the test database called `name` was made, if `name` is one of ours.
fn made_at(name: &str) -> Option<SystemTime> {
    let id = uuid::Uuid::try_parse(name.strip_prefix(PREFIX)?).ok()?;
    let (seconds, nanos) = id.get_timestamp()?.to_unix();
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))
}

/// Whether `name` is a test database that a run left behind more than [`STALE_AFTER`] ago.
fn is_stale(name: &str, now: SystemTime) -> bool {
    made_at(name).and_then(|made| now.duration_since(made).ok()).is_some_and(|age| age > STALE_AFTER)
}

fn remove_sqlite_file(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _absent_already = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn sweep_sqlite_files(now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(name) = file.to_str().and_then(|f| f.strip_suffix(".db")) else { continue };
        if is_stale(name, now) {
            remove_sqlite_file(&entry.path());
        }
    }
}

async fn sweep_postgres(admin: &DatabaseConnection) -> anyhow::Result<()> {
    let now = SystemTime::now();
    let listed = Statement::from_string(
        admin.get_database_backend(),
        format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
    );
    for row in admin.query_all_raw(listed).await? {
        let name: String = row.try_get("", "datname")?;
        if is_stale(&name, now) {
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
        }
    }
    Ok(())
}

/// Drops a PostgreSQL database from a thread of its own: `Drop` runs inside the test's
/// runtime, which cannot be blocked on.
fn drop_postgres(admin_url: String, name: String) -> anyhow::Result<()> {
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async {
            let admin = Database::connect(&admin_url).await?;
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
            admin.close().await?;
            anyhow::Ok(())
        })
    })
    .join();
    dropped.map_err(|_| anyhow::anyhow!("the thread dropping it panicked"))?
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(head, _)| head);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests;
