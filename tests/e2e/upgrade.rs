//! A database made by the first release (the fixtures in `migration/fixtures`, made by
//! its `create` script) upgrades to the current schema when the server starts on it:
//! every table, column and row it had is still there, unchanged, and it serves, down to
//! the idempotency keys of check-ins sent before the upgrade.

use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use testdb::TestDatabase;
use trellis_tests::{Options, TestApp};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../migration/fixtures");

/// A database holding the first release's fixture for the configured backend.
async fn first_release_database() -> TestDatabase {
    let database = TestDatabase::create().await.unwrap();
    if database.is_postgres() {
        let dump = std::fs::read_to_string(format!("{FIXTURES}/first-release.sql")).unwrap();
        // The dump empties the session's search_path: it gets a connection of its own.
        let db = Database::connect(ConnectOptions::new(&database.url).max_connections(1).to_owned()).await.unwrap();
        db.execute_unprepared(&dump).await.unwrap();
        db.close().await.unwrap();
    } else {
        let path = database.url.strip_prefix("sqlite://").unwrap();
        std::fs::copy(format!("{FIXTURES}/first-release.db"), path).unwrap();
    }
    database
}

/// Every row of every table, each column as text, in a stable order.
type Contents = BTreeMap<String, (Vec<String>, Vec<Vec<Option<String>>>)>;

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
}

async fn contents(db: &DatabaseConnection, only: Option<&Contents>) -> Contents {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let tables = match only {
        Some(before) => before.keys().cloned().collect(),
        None if postgres => strings(db, "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'").await,
        None => strings(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").await,
    };
    let mut contents = Contents::new();
    for table in tables {
        let columns = match only {
            Some(before) => before[&table].0.clone(),
            None if postgres => {
                let sql = format!(
                    "SELECT column_name::text FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
                );
                strings(db, &sql).await
            }
            None => strings(db, &format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")).await,
        };
        // SQLite keeps uuids as blobs: quote() spells any value as text.
        let text = |c: &String| if postgres { format!("CAST(\"{c}\" AS TEXT)") } else { format!("quote(\"{c}\")") };
        let list = columns.iter().map(text).collect::<Vec<_>>().join(", ");
        let order = (1..=columns.len()).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT {list} FROM \"{table}\" ORDER BY {order}");
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        let rows = rows
            .iter()
            .map(|r| (0..columns.len()).map(|i| r.try_get_by_index::<Option<String>>(i).unwrap()).collect())
            .collect();
        contents.insert(table, (columns, rows));
    }
    contents
}

#[tokio::test]
async fn a_first_release_database_upgrades_with_every_row_kept_and_serves() {
    let database = first_release_database().await;
    let before = {
        let db = Database::connect(&database.url).await.unwrap();
        let before = contents(&db, None).await;
        db.close().await.unwrap();
        before
    };
    assert!(before["check_ins"].1.len() > 100 && before["objectives"].1.len() > 10, "the fixture has data");

    let app = TestApp::start_on(database, Options::default(), Arc::new(service::SystemClock)).await;
    let after = contents(&app.db, Some(&before)).await;
    for (table, (_, rows)) in &before {
        let kept = &after[table].1;
        if table == "seaql_migrations" {
            // The upgrade adds its own migrations to the ones the first release applied.
            assert!(rows.iter().all(|r| kept.contains(r)), "{table}: {rows:?} not in {kept:?}");
        } else {
            assert_eq!(kept, rows, "{table} changed in the upgrade");
        }
    }
    let migrations = strings(&app.db, "SELECT version FROM seaql_migrations").await;
    assert_eq!(migrations.len(), migration::Migrator::migrations().len(), "{migrations:?}");

    // The check-in the first release recorded with an idempotency key answers its retry.
    let token = app.demo_admin();
    let query = "{ objectives(first: 20) { edges { node { keyResults(first: 5) { edges { node { id \
        checkIns(first: 20) { edges { node { id note } } } } } } } } } }";
    let data = app.data(&token, query, json!({})).await;
    let key_results = data["objectives"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["node"]["keyResults"]["edges"].as_array().unwrap().iter().map(|k| k["node"].clone()));
    let (key_result, check_in) = key_results
        .filter_map(|k| {
            let edges = k["checkIns"]["edges"].as_array().unwrap().clone();
            let first = edges.into_iter().find(|c| c["node"]["note"] == "first release, check-in 1")?;
            Some((k["id"].clone(), first["node"]["id"].clone()))
        })
        .next()
        .unwrap();
    let retry =
        "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id value } keyResult { checkInCount } } }";
    let input = json!({ "keyResultId": key_result, "value": 41, "note": "first release, check-in 1", "idempotencyKey": "first-release-1" });
    let data = app.data(&token, retry, json!({ "i": input })).await;
    assert_eq!(data["checkIn"]["checkIn"]["id"], check_in, "the retry is answered with the first check-in");
    let count = data["checkIn"]["keyResult"]["checkInCount"].as_i64().unwrap();

    // And it takes new ones.
    let input = json!({ "keyResultId": key_result, "value": 55 });
    let data = app.data(&token, retry, json!({ "i": input })).await;
    assert_eq!(data["checkIn"]["keyResult"]["checkInCount"], json!(count + 1));
}
