//! `trellis backup` while the server serves and writes, `trellis restore` into a new
//! database, on the benchmark organization: the copy is consistent (each key result's
//! check-ins, each check-in's audit event), and a backup of the restored copy restores to
//! the same rows. SQLite only: PostgreSQL is backed up with its own tools.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod support;

use entity::{audit_event, check_in, key_result, objective};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

fn trellis(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_trellis")).args(args).env_remove("DATABASE_URL").output().unwrap();
    assert!(output.status.success(), "trellis {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output
}

async fn key_results(base: &str, token: &str) -> Vec<String> {
    let query = "{ objectives(first: 20) { edges { node { keyResults { edges { node { id } } } } } } }";
    let (_, body) = support::graphql(base, token, json!({ "query": query })).await;
    let objectives = body["data"]["objectives"]["edges"].as_array().unwrap().clone();
    let key_results = objectives.iter().flat_map(|o| o["node"]["keyResults"]["edges"].as_array().unwrap().clone());
    key_results.map(|k| k["node"]["id"].as_str().unwrap().to_owned()).collect()
}

/// Fails unless every key result's count matches its check-ins and the check-ins recorded
/// through the API since `since` (the generator writes its history in batches, without
/// audit) have one audit event each, and no audit event names a missing check-in; returns
/// (objectives, key results, check-ins, audit events).
async fn consistent(db: &DatabaseConnection, since: chrono::DateTime<chrono::Utc>) -> (u64, u64, u64, u64) {
    let check_ins = check_in::Entity::find().all(db).await.unwrap();
    for kr in key_result::Entity::find().all(db).await.unwrap() {
        let own = check_ins.iter().filter(|c| c.key_result_id == kr.id).count();
        assert_eq!(kr.check_in_count as usize, own, "{}", kr.title);
    }
    let audited =
        audit_event::Entity::find().filter(audit_event::Column::EntityType.eq("check_in")).all(db).await.unwrap();
    for row in check_ins.iter().filter(|c| c.recorded_at >= since) {
        assert_eq!(audited.iter().filter(|a| a.entity_id == row.id).count(), 1, "check-in {} is audited once", row.id);
    }
    for event in &audited {
        assert!(check_ins.iter().any(|c| c.id == event.entity_id), "audit event {} names a stored check-in", event.id);
    }
    (
        objective::Entity::find().count(db).await.unwrap(),
        key_result::Entity::find().count(db).await.unwrap(),
        check_ins.len() as u64,
        audited.len() as u64,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_writing_restores_consistent_and_round_trips() {
    let live = testdb::TestDatabase::sqlite();
    trellis(&["generate", "--database-url", &live.url, "--teams", "20", "--check-ins", "4"]);
    let since = chrono::Utc::now();
    let url = live.url.clone();
    let env = [("TRELLIS_RATE_PER_SUBJECT", "0"), ("TRELLIS_RATE_PER_ADDRESS", "0")];
    let server = tokio::task::spawn_blocking(move || support::serve(&url, &[], &env)).await.unwrap();
    let token = support::token_in("bench", "admin", "admin");
    let targets = key_results(&server.1, &token).await;
    assert!(!targets.is_empty());

    let (stop, written) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (stop, written, base, token, targets) =
            (stop.clone(), written.clone(), server.1.clone(), token.clone(), targets.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mutation = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let input = json!({ "keyResultId": targets[(writer + n) % targets.len()], "value": (n % 2) as f64 });
                let sent = http.post(format!("{base}/graphql")).bearer_auth(&token);
                let body: Value = sent
                    .json(&json!({ "query": mutation, "variables": { "i": input } }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(body.get("errors").is_none(), "{body}");
                written.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let folder = tempfile::tempdir().unwrap();
    let backup = folder.path().join("trellis-backup.db");
    let backup_arg = backup.to_str().unwrap().to_owned();
    let url = live.url.clone();
    tokio::task::spawn_blocking(move || trellis(&["backup", &backup_arg, "--database-url", &url])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(written.load(Ordering::Relaxed) > 10, "check-ins were written while the backup ran");
    drop(server);

    let restored = testdb::TestDatabase::sqlite();
    trellis(&["restore", backup.to_str().unwrap(), "--database-url", &restored.url]);
    let db = service::db::connect(&restored.url).await.unwrap();
    let counts = consistent(&db, since).await;
    assert!(
        counts.0 >= 80 && counts.3 > 0,
        "the benchmark organization and the check-ins written are there: {counts:?}"
    );

    let again = folder.path().join("trellis-backup-2.db");
    trellis(&["backup", again.to_str().unwrap(), "--database-url", &restored.url]);
    let round_trip = testdb::TestDatabase::sqlite();
    trellis(&["restore", again.to_str().unwrap(), "--database-url", &round_trip.url]);
    let db2 = service::db::connect(&round_trip.url).await.unwrap();
    assert_eq!(consistent(&db2, since).await, counts, "a backup of the restored copy restores to the same rows");
}

#[test]
fn restore_refuses_what_is_not_a_backup_and_backup_refuses_postgres() {
    let folder = tempfile::tempdir().unwrap();
    let junk = folder.path().join("notes.txt");
    std::fs::write(&junk, "not a database").unwrap();
    let target = testdb::TestDatabase::sqlite();
    let output = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(["restore", junk.to_str().unwrap(), "--database-url", &target.url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.trim_end().lines().count() == 1, "{stderr}");
    assert!(stderr.contains("is not a Trellis backup"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(["backup", "x.db", "--database-url", "postgres://postgres@127.0.0.1:1/x"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"), "{}", String::from_utf8_lossy(&output.stderr));
}
