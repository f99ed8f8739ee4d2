//! What webhooks cost and how fast they go out: check-in latency with no enabled endpoint
//! and with one, in alternating blocks of the same run (the outbox rows are written in
//! the check-in's transaction), and how long the sender takes to deliver them to a local
//! receiver that answers at once.
//!
//! Usage: `webhooks [CHECK_INS_PER_BLOCK] [BLOCKS]` (default 50 and 6); the database is
//! SQLite unless `TRELLIS_TEST_DATABASE_URL` names a PostgreSQL server, as for the tests.

use axum::Router;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use trellis_tests::{Options, TestApp};

// The server's allocator, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    let index = ((times.len() as f64 - 1.0) * p).round() as usize;
    times.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn receiver(count: Arc<AtomicUsize>) -> anyhow::Result<String> {
    let router = Router::new().fallback(move || {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (per_block, blocks) = (args.first().copied().unwrap_or(50), args.get(1).copied().unwrap_or(6));
    let webhooks = api::config::WebhookSettings {
        webhook_allow_ranges: vec!["127.0.0.0/8".parse()?],
        webhook_poll_ms: 50,
        ..api::config::WebhookSettings::default()
    };
    let options = Options { demo: true, webhooks: Some(webhooks), ..Options::default() };
    let app = TestApp::start(options, Arc::new(service::SystemClock)).await;
    let admin = app.demo_admin();
    let delivered = Arc::new(AtomicUsize::new(0));
    let url = receiver(delivered.clone()).await?;
    let create = "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }";
    let input = json!({ "url": url, "eventTypes": ["CHECK_IN_RECORDED"], "enabled": false });
    let hook = app.data(&admin, create, json!({ "i": input })).await["createWebhook"]["webhook"]["id"].clone();
    let key_results =
        app.data(&admin, "{ objectives { edges { node { keyResults { edges { node { id } } } } } } }", json!({})).await;
    let key_result = key_results["objectives"]["edges"][0]["node"]["keyResults"]["edges"][0]["node"]["id"].clone();
    let check_in = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
    let enable = "mutation($i: UpdateWebhookInput!) { updateWebhook(input: $i) { webhook { id } } }";

    let (mut without, mut with) = (Vec::new(), Vec::new());
    let mut sent = 0;
    let (mut delivering, mut lag) = (Duration::ZERO, Vec::new());
    for block in 0..blocks {
        let on = block % 2 == 1;
        app.data(&admin, enable, json!({ "i": { "id": hook, "enabled": on } })).await;
        let started = Instant::now();
        for n in 0..per_block {
            let began = Instant::now();
            let value = 10.0 + (block * per_block + n) as f64 / 100.0;
            app.data(&admin, check_in, json!({ "i": { "keyResultId": key_result, "value": value } })).await;
            if on { with.push(began.elapsed()) } else { without.push(began.elapsed()) }
        }
        if on {
            sent += per_block;
            let last = Instant::now();
            while delivered.load(Ordering::SeqCst) < sent {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            lag.push(last.elapsed());
            delivering += started.elapsed();
        }
    }
    let backend = if app.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    println!(
        "{backend}: check-in p50/p95 without an enabled endpoint {:.2}/{:.2} ms, with one {:.2}/{:.2} ms ({} each)",
        percentile(&mut without, 0.5),
        percentile(&mut without, 0.95),
        percentile(&mut with, 0.5),
        percentile(&mut with, 0.95),
        with.len()
    );
    println!(
        "{backend}: {sent} deliveries at {:.0}/s, as fast as the check-ins came; the last of a block arrived a median \
         {:.1} ms after its check-in was answered",
        sent as f64 / delivering.as_secs_f64(),
        percentile(&mut lag, 0.5)
    );
    Ok(())
}
