//! The naming, staleness and clean-up rules, on whichever backend the run uses.

use super::*;

fn name_made(ago: Duration) -> String {
    let made = SystemTime::now() - ago;
    let since_epoch = made.duration_since(SystemTime::UNIX_EPOCH).unwrap();
    let timestamp = uuid::Timestamp::from_unix(uuid::NoContext, since_epoch.as_secs(), since_epoch.subsec_nanos());
    format!("{PREFIX}{}", uuid::Uuid::new_v7(timestamp).simple())
}

#[test]
fn a_database_older_than_two_hours_is_stale_and_a_younger_one_is_not() {
    let now = SystemTime::now();
    assert!(is_stale(&name_made(STALE_AFTER + Duration::from_secs(60)), now));
    assert!(!is_stale(&name_made(STALE_AFTER - Duration::from_secs(60)), now));
    assert!(!is_stale(&new_name(), now));
}

#[test]
fn names_that_are_not_ours_are_never_stale() {
    let long_ago = SystemTime::now() + Duration::from_secs(100 * 365 * 24 * 3600);
    for name in ["postgres", "trellis", "trellis_bench", "trellis_test_", "trellis_test_not-a-uuid", "template1"] {
        assert!(!is_stale(name, long_ago), "{name}");
    }
    // A UUID of another version carries no time.
    let v4 = format!("{PREFIX}{}", uuid::Uuid::nil().simple());
    assert!(!is_stale(&v4, long_ago));
}

#[test]
fn test_databases_replace_the_admin_database_name() {
    assert_eq!(
        replace_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(replace_database("postgres://p@h/postgres?sslmode=disable", "t1"), "postgres://p@h/t1?sslmode=disable");
}

#[test]
fn a_stale_sqlite_file_is_swept_and_a_fresh_one_kept() {
    let stale = std::env::temp_dir().join(format!("{}.db", name_made(STALE_AFTER * 2)));
    let fresh = std::env::temp_dir().join(format!("{}.db", new_name()));
    for path in [&stale, &fresh] {
        std::fs::write(path, b"").unwrap();
    }
    std::fs::write(format!("{}-wal", stale.display()), b"").unwrap();
    sweep_sqlite_files(SystemTime::now());
    assert!(!stale.exists() && !std::path::Path::new(&format!("{}-wal", stale.display())).exists());
    assert!(fresh.exists());
    remove_sqlite_file(&fresh);
}

/// Whether the database behind `database` still exists, asked after it was dropped.
async fn exists(url: &str, postgres: Option<(String, String)>) -> bool {
    match postgres {
        None => std::path::Path::new(url.trim_start_matches("sqlite://")).exists(),
        Some((admin_url, name)) => {
            let admin = Database::connect(&admin_url).await.unwrap();
            let backend = admin.get_database_backend();
            let asked = Statement::from_string(backend, format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"));
            admin.query_one_raw(asked).await.unwrap().is_some()
        }
    }
}

#[tokio::test]
async fn a_test_that_panics_still_removes_its_database() {
    let database = TestDatabase::create().await.unwrap();
    let writable = if database.is_postgres() { database.url.clone() } else { format!("{}?mode=rwc", database.url) };
    let db = Database::connect(&writable).await.unwrap();
    db.execute_unprepared("CREATE TABLE t (x INTEGER)").await.unwrap();
    db.close().await.unwrap();
    let url = database.url.clone();
    let postgres = database.admin_url().zip(database.postgres_name()).map(|(a, n)| (a.to_owned(), n.to_owned()));
    assert!(exists(&url, postgres.clone()).await);

    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _held = database;
        panic!("the test fails while holding its database");
    }));
    assert!(failed.is_err());
    assert!(!exists(&url, postgres).await, "{url} is gone");
}

#[tokio::test]
#[cfg_attr(not(trellis_postgres), ignore = "PostgreSQL only: set TRELLIS_TEST_DATABASE_URL")]
async fn a_stale_postgres_database_is_swept_when_a_run_starts() {
    let admin_url = postgres_admin_url().unwrap();
    let admin = Database::connect(&admin_url).await.unwrap();
    let stale = name_made(STALE_AFTER * 2);
    admin.execute_unprepared(&format!("CREATE DATABASE {stale}")).await.unwrap();
    sweep_postgres(&admin).await.unwrap();
    let backend = admin.get_database_backend();
    let asked = Statement::from_string(backend, format!("SELECT 1 FROM pg_database WHERE datname = '{stale}'"));
    assert!(admin.query_one_raw(asked).await.unwrap().is_none());
}
