//! Connecting to SQLite or PostgreSQL, migrating, and opening write transactions.

pub mod availability;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why the database could not be opened, phrased for an operator.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot open database {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("cannot migrate database {url}: {reason}")]
    Migration { url: String, reason: String },
}

/// How long a request waits for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a writer waits for SQLite's write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How a process opens its database, beyond the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    /// What an acknowledged SQLite write survives.
    pub sqlite_durability: Durability,
    /// How long to keep trying a PostgreSQL that does not answer yet (0: fail at once).
    pub start_timeout: Duration,
}

impl Default for Opening {
    fn default() -> Self {
        Opening { sqlite_durability: Durability::Full, start_timeout: Duration::ZERO }
    }
}

/// SQLite's `synchronous` setting in WAL mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is on disk before it is acknowledged: it survives a power loss or an
    /// operating-system crash (`synchronous=FULL`).
    Full,
    /// Faster commits that survive a crash of the process but may lose the last ones on a
    /// power loss or an operating-system crash (`synchronous=NORMAL`).
    Normal,
}

/// Whether `url` names a database Trellis can open (by its scheme; the rest is checked on
/// connecting).
pub fn is_supported(url: &str) -> bool {
    ["sqlite:", "postgres://", "postgresql://"].iter().any(|scheme| url.starts_with(scheme))
}

/// Opens a pool on `url` (`sqlite://…` or `postgres://…`) with the default [`Opening`].
pub async fn connect(url: &str) -> Result<DatabaseConnection, ConnectError> {
    connect_with(url, Opening::default()).await
}

/// Opens a pool on `url`. SQLite files are created when missing and run in WAL mode with
/// foreign keys on.
pub async fn connect_with(url: &str, opening: Opening) -> Result<DatabaseConnection, ConnectError> {
    if !is_supported(url) {
        return Err(ConnectError::UnsupportedUrl(redact(url)));
    }
    let is_sqlite = url.starts_with("sqlite:");
    if !is_sqlite {
        probe_postgres_until(url, opening.start_timeout).await?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        // Beyond a few seconds of waiting for a connection the pool is not busy but the
        // database gone: the request is answered SERVICE_UNAVAILABLE, not kept waiting.
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(if is_sqlite { 8 } else { 32 })
        .min_connections(1);
    if is_sqlite {
        let synchronous = match opening.sqlite_durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        };
        options.map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
        });
    }
    let db = Database::connect(options)
        .await
        .map_err(|e| ConnectError::Unreachable { url: redact(url), reason: one_line(&e) })?;
    // A pool connects lazily on some drivers: prove the database answers now.
    db.ping().await.map_err(|e| ConnectError::Unreachable { url: redact(url), reason: one_line(&e) })?;
    Ok(db)
}

/// Probes PostgreSQL until it answers or `patience` is over, waiting longer each time
/// (250 ms doubling to 5 s) and saying so in the log: a server started with its database
/// (or while it restarts) comes up when the database does.
async fn probe_postgres_until(url: &str, patience: Duration) -> Result<(), ConnectError> {
    let deadline = tokio::time::Instant::now() + patience;
    let mut wait = Duration::from_millis(250);
    loop {
        let failed = match probe_postgres(url).await {
            Ok(()) => return Ok(()),
            Err(failed) => failed,
        };
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(failed);
        }
        let wait_now = wait.min(left);
        tracing::warn!(error = %failed, retry_in_ms = wait_now.as_millis() as u64, "the database does not answer yet; retrying");
        tokio::time::sleep(wait_now).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Opens one connection first: a pool retries a refused connection until its acquire
/// timeout and then reports only "pool timed out", hiding the cause.
async fn probe_postgres(url: &str) -> Result<(), ConnectError> {
    use sea_orm::sqlx::{Connection, PgConnection};
    let unreachable = |reason: String| ConnectError::Unreachable { url: redact(url), reason };
    let connection = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url))
        .await
        .map_err(|_| unreachable("no answer within 5 s".into()))?
        .map_err(|e| unreachable(e.to_string().replace('\n', " ")))?;
    let _closed = connection.close().await;
    Ok(())
}

/// Connects with the default [`Opening`] and applies every pending migration.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, ConnectError> {
    connect_and_migrate_with(url, Opening::default()).await
}

/// Connects and applies every pending migration.
pub async fn connect_and_migrate_with(url: &str, opening: Opening) -> Result<DatabaseConnection, ConnectError> {
    let db = connect_with(url, opening).await?;
    Migrator::up(&db, None).await.map_err(|e| ConnectError::Migration { url: redact(url), reason: one_line(&e) })?;
    Ok(db)
}

/// Begins a read-write transaction. On SQLite it takes the write lock at once
/// (IMMEDIATE), so that it waits for other writers instead of failing with SQLITE_BUSY
/// when it first writes, and it first waits for its turn among this process's writers.
pub async fn begin_write(db: &DatabaseConnection) -> Result<Write, DbErr> {
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    let turn = match sqlite.then(|| write_turns(db)) {
        Some(turns) => Some(turns.acquire_owned().await.map_err(|e| DbErr::Custom(e.to_string()))?),
        None => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            isolation_level: None,
            access_mode: Some(AccessMode::ReadWrite).filter(|_| !sqlite),
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate).filter(|_| sqlite),
        })
        .await?;
    Ok(Write { txn, _turn: turn })
}

/// The turns of one SQLite database's writers. SQLite runs one writer at a time and
/// makes the others poll its lock with growing sleeps, so under load some writers waited
/// seconds while later ones got in (a `checkIn` p99 of 1.3 s with 32 clients). Waiting
/// here instead is first come, first served, and holds no pooled connection.
fn write_turns(db: &DatabaseConnection) -> Arc<Semaphore> {
    static TURNS: OnceLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> = OnceLock::new();
    let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_owned();
    let mut turns = TURNS.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
    turns.entry(file).or_insert_with(|| Arc::new(Semaphore::new(1))).clone()
}

/// A write transaction (with the writer's turn on SQLite): use it as a connection, then
/// commit it; dropped uncommitted, it rolls back. Writes open it through
/// [`crate::unit_of_work::write`].
pub struct Write {
    txn: DatabaseTransaction,
    _turn: Option<OwnedSemaphorePermit>,
}

impl Write {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// The URL without its password, fit for logs and error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!("{}://{}:***{}", &url[..scheme], &credentials[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn one_line(error: &DbErr) -> String {
    let text = error.to_string();
    let text = text.replace('\n', " ");
    if text.contains("unable to open database file") || text.contains("code: 14") {
        format!("{text} (does the folder exist and is it writable?)")
    } else {
        text
    }
}

/// Counts the SQL statements a pool runs: tests prove reads cost a fixed number of
/// statements, and `/metrics` reports the total.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl StatementCounter {
    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Starts counting the statements of `db` (and of every clone made afterwards).
pub fn count_statements(db: &mut DatabaseConnection) -> StatementCounter {
    let counter = StatementCounter::default();
    let inner = counter.0.clone();
    db.set_metric_callback(move |_| {
        inner.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    counter
}

/// Why a backup or a restore failed, phrased for an operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("trellis backs up SQLite only: back up PostgreSQL with pg_dump (see the README's Backups)")]
    NotSqlite,
    #[error("{0} exists already: name a new file")]
    Exists(String),
    #[error("{0} is not a Trellis backup: {1}")]
    NotABackup(String, String),
    #[error("{0}")]
    Database(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

impl From<sea_orm::sqlx::Error> for BackupError {
    fn from(error: sea_orm::sqlx::Error) -> Self {
        BackupError::Database(error.to_string())
    }
}

/// Writes a consistent copy of the SQLite database to `path`, while it serves: `VACUUM
/// INTO` copies one read transaction's snapshot (in WAL mode, readers and writers do not
/// block each other), compacted, as SQLite's backup API would, in one statement.
pub async fn backup(db: &DatabaseConnection, path: &std::path::Path) -> Result<(), BackupError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if path.exists() {
        return Err(BackupError::Exists(path.display().to_string()));
    }
    let pool = db.get_sqlite_connection_pool();
    sea_orm::sqlx::query("VACUUM INTO ?").bind(path.to_string_lossy().into_owned()).execute(pool).await?;
    Ok(())
}

/// Replaces the SQLite database at `url` with the backup at `path`, then migrates it
/// forward. The backup is checked first (integrity, a Trellis schema) and copied next to
/// the database, then renamed over it, so that a failure leaves the database as it was.
/// Trellis must not be running on the database meanwhile.
pub async fn restore(url: &str, path: &std::path::Path) -> Result<DatabaseConnection, BackupError> {
    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
    use sea_orm::sqlx::{Connection, Row};
    let target = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).ok_or(BackupError::NotSqlite)?;
    let target = std::path::PathBuf::from(target.split('?').next().unwrap_or(target));
    let name = path.display().to_string();
    if !path.is_file() {
        return Err(BackupError::NotABackup(name, "no such file".into()));
    }
    let not_a_backup = |error: sea_orm::sqlx::Error| BackupError::NotABackup(name.clone(), error.to_string());
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut source = SqliteConnection::connect_with(&options).await.map_err(not_a_backup)?;
    let checked = sea_orm::sqlx::query("PRAGMA integrity_check").fetch_one(&mut source).await.map_err(not_a_backup)?;
    let integrity: String = checked.try_get(0)?;
    if integrity != "ok" {
        return Err(BackupError::NotABackup(name, format!("integrity check: {integrity}")));
    }
    let migrations = sea_orm::sqlx::query("SELECT count(*) FROM seaql_migrations").fetch_one(&mut source).await;
    if migrations.is_err() {
        return Err(BackupError::NotABackup(name, "it has no Trellis schema".into()));
    }
    let staged = target.with_extension("restoring");
    let _absent = std::fs::remove_file(&staged);
    sea_orm::sqlx::query("VACUUM INTO ?").bind(staged.to_string_lossy().into_owned()).execute(&mut source).await?;
    source.close().await?;
    for suffix in ["-wal", "-shm"] {
        let _absent = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    std::fs::rename(&staged, &target)?;
    Ok(connect_and_migrate(url).await?)
}

/// Checks that the database answers; used by the readiness probe.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::{Durability, Opening, connect_with, redact};
    use sea_orm::{ConnectionTrait, Statement};

    async fn synchronous_of(durability: Durability) -> i64 {
        let path = std::env::temp_dir().join(format!("trellis-durability-{}.db", uuid::Uuid::now_v7()));
        let opening = Opening { sqlite_durability: durability, ..Opening::default() };
        let db = connect_with(&format!("sqlite://{}", path.display()), opening).await.unwrap();
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), "PRAGMA synchronous")).await;
        let value = row.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap();
        db.close().await.unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        value
    }

    #[tokio::test]
    async fn sqlite_commits_are_durable_unless_asked_otherwise() {
        // SQLite's codes: 1 NORMAL, 2 FULL.
        assert_eq!(synchronous_of(Opening::default().sqlite_durability).await, 2);
        assert_eq!(synchronous_of(Durability::Normal).await, 1);
    }

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://trellis.db"), "sqlite://trellis.db");
    }
}
