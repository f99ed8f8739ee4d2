//! Crash safety: check-ins with idempotency keys from concurrent writers while the server
//! is killed with SIGKILL and restarted, several times. Afterwards every acknowledged
//! check-in is stored exactly once, retrying every unacknowledged one records each at most
//! once, each key result's figures agree with its check-ins, every check-in has its audit
//! event, and the stored rollup is what the service computes again. Each server takes
//! [`PER_SERVER`] check-ins before it is killed, however fast the machine is. Bounded here
//! (a few kills); `TRELLIS_CRASH_KILLS=50 cargo test -p api --test crash -- --nocapture`
//! is the long form (`CRASH_DEBUG=1` prints every refused answer).
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod support;

use entity::{audit_event, check_in, key_result, objective};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

const WRITERS: usize = 8;
/// Check-ins each server (the first and every restarted one) acknowledges before it is
/// killed, or the test fails: a restarted server that takes no writes proves nothing.
const PER_SERVER: usize = 50;
/// How long a server may take to acknowledge them (a slow debug build on a busy machine).
const PER_SERVER_PATIENCE: Duration = Duration::from_secs(60);
/// The writers are one caller at full speed: no rate limits.
const UNTHROTTLED: [(&str, &str); 2] = [("TRELLIS_RATE_PER_SUBJECT", "0"), ("TRELLIS_RATE_PER_ADDRESS", "0")];
const CHECK_IN: &str = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id value } } }";

/// One check-in a writer sent: its key, key result, value and whether it was acknowledged.
#[derive(Debug, Clone)]
struct Sent {
    key: String,
    key_result: String,
    value: f64,
    acknowledged: bool,
}

async fn check_in(http: &reqwest::Client, base: &str, token: &str, sent: &Sent) -> bool {
    let input = json!({ "keyResultId": sent.key_result, "value": sent.value, "idempotencyKey": sent.key });
    let answer = http
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": CHECK_IN, "variables": { "i": input } }))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    let Ok(answer) = answer else { return false };
    let Ok(body) = answer.json::<Value>().await else { return false };
    let ok = body["data"]["checkIn"]["checkIn"]["value"].as_f64() == Some(sent.value);
    if !ok && std::env::var("CRASH_DEBUG").is_ok() {
        eprintln!("{}: {body}", sent.key);
    }
    ok
}

/// Key results of the demo that take check-ins (in an open cycle, on a live objective).
async fn writable_key_results(base: &str, token: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let query = "{ objectives(first: 100) { edges { node { keyResults { edges { node { id } } } } } } }";
    let body: Value = http
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut writable = Vec::new();
    for objective in body["data"]["objectives"]["edges"].as_array().unwrap() {
        for kr in objective["node"]["keyResults"]["edges"].as_array().unwrap() {
            let id = kr["node"]["id"].as_str().unwrap().to_owned();
            let probe = Sent { key: format!("probe-{id}"), key_result: id.clone(), value: 1.0, acknowledged: false };
            if check_in(&http, base, token, &probe).await {
                writable.push(id);
            }
        }
    }
    writable
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_check_ins_survive_sigkill_exactly_once() {
    let kills: usize = std::env::var("TRELLIS_CRASH_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(3);
    let database = testdb::TestDatabase::create().await.unwrap();
    let url = database.url.clone();
    let mut server =
        tokio::task::spawn_blocking(move || support::serve(&url, &["--demo"], &UNTHROTTLED)).await.unwrap();
    let token = support::token("admin", "admin");
    let key_results = writable_key_results(&server.1, &token).await;
    assert!(key_results.len() >= 4, "the demo has key results to write to: {key_results:?}");

    let base = Arc::new(RwLock::new(server.1.clone()));
    let sent = Arc::new(Mutex::new(Vec::<Sent>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (base, sent, stop, acked, token, key_results) =
            (base.clone(), sent.clone(), stop.clone(), acked.clone(), token.clone(), key_results.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let key_result = key_results[(writer + n) % key_results.len()].clone();
                // 0 and 1 suit every kind of key result, milestones included.
                let mut one =
                    Sent { key: format!("w{writer}-{n}"), key_result, value: (n % 2) as f64, acknowledged: false };
                let at = base.read().unwrap().clone();
                one.acknowledged = check_in(&http, &at, &token, &one).await;
                if one.acknowledged {
                    acked.fetch_add(1, Ordering::Relaxed);
                } else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                sent.lock().unwrap().push(one);
                n += 1;
            }
        }));
    }
    let started = Instant::now();
    for round in 0..kills {
        let from = acked.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(400 + (round as u64 * 137) % 500)).await;
        takes_its_share(&acked, from, round).await;
        server.kill();
        let url = database.url.clone();
        server = tokio::task::spawn_blocking(move || support::serve(&url, &[], &UNTHROTTLED)).await.unwrap();
        *base.write().unwrap() = server.1.clone();
    }
    takes_its_share(&acked, acked.load(Ordering::Relaxed), kills).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let elapsed = started.elapsed();
    let mut sent = sent.lock().unwrap().clone();
    let acknowledged = sent.iter().filter(|s| s.acknowledged).count();
    assert!(acknowledged >= PER_SERVER * (kills + 1), "the writers got through: {acknowledged} acknowledged");

    // Retrying every unacknowledged request with its key records each at most once.
    let http = reqwest::Client::new();
    let retried = sent.iter().filter(|s| !s.acknowledged).count();
    for one in sent.iter_mut().filter(|s| !s.acknowledged) {
        one.acknowledged = check_in(&http, &server.1, &token, one).await;
        assert!(one.acknowledged, "a retry with its key is answered: {one:?}");
    }
    println!(
        "{} check-ins sent in {elapsed:?} across {kills} SIGKILLs: {acknowledged} acknowledged, {retried} retried",
        sent.len()
    );

    let db = service::db::connect(&database.url).await.unwrap();
    let stored = check_in::Entity::find().filter(check_in::Column::IdempotencyKey.like("w%")).all(&db).await.unwrap();
    let mut by_key: HashMap<&str, Vec<&check_in::Model>> = HashMap::new();
    for row in &stored {
        by_key.entry(row.idempotency_key.as_deref().unwrap()).or_default().push(row);
    }
    for one in &sent {
        let rows = by_key.get(one.key.as_str()).map_or(0, Vec::len);
        assert_eq!(rows, 1, "{} stored {rows} times", one.key);
        assert_eq!(by_key[one.key.as_str()][0].value, one.value, "{}", one.key);
    }
    assert_eq!(stored.len(), sent.len(), "nothing stored that was not sent");

    // Each key result agrees with its check-ins; each check-in has its audit event.
    let all = check_in::Entity::find().all(&db).await.unwrap();
    let audited =
        audit_event::Entity::find().filter(audit_event::Column::EntityType.eq("check_in")).all(&db).await.unwrap();
    let mut events: HashMap<uuid::Uuid, usize> = HashMap::new();
    for event in &audited {
        *events.entry(event.entity_id).or_default() += 1;
    }
    for row in &all {
        assert_eq!(events.get(&row.id), Some(&1), "one audit event for check-in {}", row.id);
    }
    for kr in key_result::Entity::find().all(&db).await.unwrap() {
        let mut own: Vec<&check_in::Model> = all.iter().filter(|c| c.key_result_id == kr.id).collect();
        own.sort_by_key(|c| (c.recorded_at, c.id));
        assert_eq!(kr.check_in_count as usize, own.len(), "check-in count of {}", kr.title);
        if let Some(newest) = own.last() {
            assert_eq!(kr.current_value, newest.value, "current value of {}", kr.title);
        }
    }

    // The stored rollup is what the service computes again: one more check-in on each key
    // result with its current value recomputes its chain, which must not move.
    let before: HashMap<uuid::Uuid, f64> =
        objective::Entity::find().all(&db).await.unwrap().into_iter().map(|o| (o.id, o.progress)).collect();
    for (i, id) in key_results.iter().enumerate() {
        let kr = key_result::Entity::find_by_id(key_result_id_of(id)).one(&db).await.unwrap().unwrap();
        let again =
            Sent { key: format!("refresh-{i}"), key_result: id.clone(), value: kr.current_value, acknowledged: false };
        assert!(check_in(&http, &server.1, &token, &again).await);
    }
    for o in objective::Entity::find().all(&db).await.unwrap() {
        assert!(
            (o.progress - before[&o.id]).abs() < 1e-9,
            "{} was {} and recomputes to {}",
            o.title,
            before[&o.id],
            o.progress
        );
    }
}

/// Waits until the writers have had [`PER_SERVER`] check-ins acknowledged since `from`
/// (counted when server number `round` was started).
async fn takes_its_share(acked: &AtomicUsize, from: usize, round: usize) {
    let deadline = Instant::now() + PER_SERVER_PATIENCE;
    loop {
        let taken = acked.load(Ordering::Relaxed) - from;
        if taken >= PER_SERVER {
            return;
        }
        assert!(Instant::now() < deadline, "server {round} acknowledged {taken} check-ins in {PER_SERVER_PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The UUID inside a global id (`base64("KeyResult:<hex>")`).
fn key_result_id_of(global: &str) -> uuid::Uuid {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(global).unwrap();
    let text = String::from_utf8(decoded).unwrap();
    uuid::Uuid::parse_str(text.split(':').nth(1).unwrap()).unwrap()
}
