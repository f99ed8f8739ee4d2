//! Whether the database answers, known without asking it on every request: while it
//! does not, callers are told at once (SERVICE_UNAVAILABLE) instead of each waiting out
//! the pool's acquire timeout, and the state recovers by itself when it answers again.
//!
//! On PostgreSQL a heartbeat pings every second over a connection of its own, so that a
//! busy pool is never mistaken for an unreachable server. SQLite is a file: it is only
//! probed after a request found it failing.

use sea_orm::sqlx::{Connection, PgConnection};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, RuntimeErr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// How long a probe waits for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// How often a reachable PostgreSQL is pinged.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How often an unreachable database is probed.
const RETRY: Duration = Duration::from_millis(250);
/// How often a task that only wakes when suspected looks whether its owner is gone.
const IDLE: Duration = Duration::from_secs(30);

/// The database's last known state, shared by every request of the process.
#[derive(Debug)]
pub struct Availability {
    up: AtomicBool,
    suspected: Notify,
}

impl Availability {
    /// Starts watching the database that `db` pools (`url` is its address, for the
    /// heartbeat's own connection).
    pub fn watch(db: &DatabaseConnection, url: &str) -> Arc<Self> {
        let availability = Arc::new(Availability { up: AtomicBool::new(true), suspected: Notify::new() });
        let probe = match db.get_database_backend() {
            DbBackend::Postgres => Probe::Postgres { url: url.to_owned(), connection: None },
            _ => Probe::Pool(db.clone()),
        };
        tokio::spawn(heartbeat(Arc::downgrade(&availability), probe));
        availability
    }

    /// Whether the database answered when last asked.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// A request found the database unreachable: answer the next ones at once, and
    /// probe until it answers.
    pub fn suspect(&self) {
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!("the database is unreachable: answering SERVICE_UNAVAILABLE until it is back");
        }
        self.suspected.notify_one();
    }

    fn set(&self, up: bool) {
        if up && !self.up.swap(true, Ordering::Relaxed) {
            tracing::info!("the database answers again");
        } else if !up {
            self.suspect();
        }
    }
}

enum Probe {
    /// A connection of the heartbeat's own, opened again when it breaks.
    Postgres { url: String, connection: Option<PgConnection> },
    /// SQLite: a statement through the pool.
    Pool(DatabaseConnection),
}

impl Probe {
    async fn answers(&mut self) -> bool {
        let answered = match self {
            Probe::Postgres { url, connection } => {
                tokio::time::timeout(PROBE_TIMEOUT, ping_own(url, connection)).await.unwrap_or(false)
            }
            Probe::Pool(db) => tokio::time::timeout(PROBE_TIMEOUT, super::ping(db)).await.is_ok_and(|r| r.is_ok()),
        };
        if !answered && let Probe::Postgres { connection, .. } = self {
            *connection = None;
        }
        answered
    }

    fn beats(&self) -> bool {
        matches!(self, Probe::Postgres { .. })
    }
}

async fn ping_own(url: &str, connection: &mut Option<PgConnection>) -> bool {
    if connection.is_none() {
        *connection = PgConnection::connect(url).await.ok();
    }
    match connection {
        Some(open) => open.ping().await.is_ok(),
        None => false,
    }
}

/// Probes while the watched state lives: every second on PostgreSQL, when suspected,
/// and every 250 ms while the database does not answer.
async fn heartbeat(watched: std::sync::Weak<Availability>, mut probe: Probe) {
    loop {
        let Some(availability) = watched.upgrade() else { return };
        let up = availability.is_up();
        let wait = match (up, probe.beats()) {
            (true, true) => HEARTBEAT,
            (true, false) => IDLE,
            (false, _) => RETRY,
        };
        let woken = tokio::time::timeout(wait, availability.suspected.notified()).await.is_ok();
        drop(availability);
        if up && !probe.beats() && !woken {
            continue;
        }
        let answers = probe.answers().await;
        let Some(availability) = watched.upgrade() else { return };
        availability.set(answers);
    }
}

/// Whether `error` says the database could not be reached, rather than that a
/// statement was wrong: then the caller may retry shortly.
pub fn unreachable(error: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => match &**cause {
            Error::Io(_) | Error::Tls(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => true,
            // SQLSTATE class 08 (connection exception) and 57P (the server is shutting down
            // or starting).
            Error::Database(database) => {
                database.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
            }
            _ => false,
        },
        _ => false,
    }
}
