//! A webhook delivery cut off by SIGKILL between sending and bookkeeping: the real
//! `trellis` process is killed while its request hangs at the receiver, and the restarted
//! process sends the delivery again, with the same `webhook-id` and body, once the lease
//! runs out, books it as delivered, and sends it no more.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::json;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

use support::data;

/// Loopback receivers allowed, a one-second lease, quick polls; no retry waits longer
/// than the lease.
const WEBHOOKS: [&str; 8] = [
    "--webhook-allow-range",
    "127.0.0.0/8",
    "--webhook-lease-secs",
    "1",
    "--webhook-poll-ms",
    "50",
    "--webhook-timeout-ms",
    "30000",
];

/// What the receiver got: each request's `webhook-id` and body, in order.
type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

/// Records every request; holds the first one unanswered (the sender is killed while it
/// waits) and answers the others 200.
async fn receive(State(received): State<Received>, headers: HeaderMap, body: Bytes) -> &'static str {
    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let first = {
        let mut received = received.lock().unwrap();
        received.push((id, body));
        received.len() == 1
    };
    if first {
        tokio::time::sleep(Duration::from_secs(120)).await;
    }
    "ok"
}

async fn receiver() -> (String, Received) {
    let received = Received::default();
    let router = Router::new().fallback(receive).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

/// Polls `check` until it gives a value, for up to 20 seconds; `what` names the wait.
async fn eventually<T, Fut: Future<Output = Option<T>>>(what: &str, mut check: impl FnMut() -> Fut) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "not within 20 s: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The receiver's requests, once it holds `n`.
async fn until_received(received: &Received, n: usize) -> Vec<(String, Bytes)> {
    let what = format!("{n} requests received");
    eventually(&what, || async {
        let got = received.lock().unwrap().clone();
        (got.len() >= n).then_some(got)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cut_off_by_sigkill_goes_again_with_its_id_after_the_restart() {
    // Declared first, dropped last: the servers stop before their database goes.
    let database = testdb::TestDatabase::create().await.unwrap();
    let first_args: Vec<&str> = ["--demo"].into_iter().chain(WEBHOOKS).collect();
    let mut server = support::serve(&database.url, &first_args, &[]);
    let admin = support::token("dana", "admin");
    let (url, received) = receiver().await;
    let create = "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }";
    let input = json!({ "url": url, "eventTypes": ["CHECK_IN_RECORDED"] });
    let webhook =
        data(&server.1, &admin, create, json!({ "i": input })).await["createWebhook"]["webhook"]["id"].clone();
    let sales = r#"{ objectives(filter: { search: "sales cycle" }) { edges { node { keyResults { edges { node { id } } } } } } }"#;
    let ids = data(&server.1, &admin, sales, json!({})).await;
    let key_result = ids["objectives"]["edges"][0]["node"]["keyResults"]["edges"][0]["node"]["id"].clone();
    let check_in = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
    data(&server.1, &admin, check_in, json!({ "i": { "keyResultId": key_result, "value": 31.0 } })).await;

    let cut = until_received(&received, 1).await;
    server.kill();
    let server = support::serve(&database.url, &WEBHOOKS, &[]);
    let again = until_received(&received, 2).await;
    assert_eq!(again[1].0, cut[0].0, "the same webhook-id, for the receiver to deduplicate on");
    assert!(cut[0].0.starts_with("msg_"), "{}", cut[0].0);
    assert_eq!(again[1].1, cut[0].1, "the same body");

    let deliveries = "query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(last: 10) { edges { node {
        messageId state attemptCount lastStatus } } } } } }";
    let shown = eventually("booked as delivered", || async {
        let shown = data(&server.1, &admin, deliveries, json!({ "id": webhook })).await;
        let edges = shown["node"]["deliveries"]["edges"].as_array().unwrap().clone();
        edges.iter().all(|e| e["node"]["state"] == "DELIVERED").then_some(edges)
    })
    .await;
    assert_eq!(shown.len(), 1, "one delivery for one check-in: {shown:?}");
    let delivery = &shown[0]["node"];
    assert_eq!(delivery["messageId"], cut[0].0.as_str());
    assert_eq!(delivery["attemptCount"], 2, "the cut attempt counts: {delivery}");
    assert_eq!(delivery["lastStatus"], 200);
    // Booked: past two more leases, nothing goes a third time.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(received.lock().unwrap().len(), 2, "sent no more once delivered");
}
