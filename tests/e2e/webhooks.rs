//! Outbound webhooks against a real receiver in this process: signatures, retries after
//! errors and timeouts, order per key result, nothing lost across a restart or a sender
//! cut off mid-delivery, one delivery per event with two replicas, the destination
//! policy, disabling and redelivery.

use crate::check_ins::{demo, member};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use trellis_tests::{Options, TestApp, error_code};

/// What the receiver answers to one request.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// Answers 200 after this long (longer than the sender waits).
    Slow(Duration),
    /// 302 to another path, which records a request if anyone follows it.
    Redirect,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    id: String,
    timestamp: String,
    signature: String,
    raw: Bytes,
    body: Value,
    answered: u16,
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Replies for the next requests, in order; 200 when empty (unless failing).
    script: VecDeque<Reply>,
    /// Answer 500 to everything.
    failing: bool,
}

/// An HTTP endpoint on a free loopback port.
#[derive(Clone)]
struct Receiver {
    base: String,
    log: Arc<Mutex<Log>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let log = Arc::new(Mutex::new(Log::default()));
        let router = Router::new().fallback(receive).with_state(log.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn script(&self, replies: &[Reply]) {
        self.log.lock().unwrap().script.extend(replies.iter().copied());
    }

    fn fail(&self, failing: bool) {
        self.log.lock().unwrap().failing = failing;
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// The requests answered 2xx.
    fn delivered(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| (200..300).contains(&r.answered)).collect()
    }

    /// Waits until `n` requests were answered 2xx.
    async fn await_delivered(&self, n: usize) -> Vec<Received> {
        eventually(|| async { (self.delivered().len() >= n).then(|| self.delivered()) }).await
    }
}

async fn receive(State(log): State<Arc<Mutex<Log>>>, uri: axum::http::Uri, headers: HeaderMap, raw: Bytes) -> Response {
    let reply = {
        let mut log = log.lock().unwrap();
        let reply = if log.failing { Reply::Status(500) } else { log.script.pop_front().unwrap_or(Reply::Status(200)) };
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let answered = match reply {
            Reply::Status(status) => status,
            Reply::Slow(_) => 200,
            Reply::Redirect => 302,
        };
        log.received.push(Received {
            path: uri.path().to_owned(),
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
            raw,
            answered,
        });
        reply
    };
    match reply {
        Reply::Status(status) => (StatusCode::from_u16(status).unwrap(), "receiver says so").into_response(),
        Reply::Slow(wait) => {
            tokio::time::sleep(wait).await;
            StatusCode::OK.into_response()
        }
        Reply::Redirect => (StatusCode::FOUND, [(header::LOCATION, "/followed")]).into_response(),
    }
}

/// Polls `check` until it gives a value, for up to 20 seconds.
async fn eventually<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..400 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 20 seconds");
}

/// Verifies a request as a receiver following the Standard Webhooks convention does:
/// HMAC-SHA256 of `id.timestamp.body` with the secret's key, and a timestamp within five
/// minutes.
fn verify(secret: &str, received: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", received.id, received.timestamp).as_bytes());
    mac.update(&received.raw);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let fresh = (chrono::Utc::now().timestamp() - received.timestamp.parse::<i64>().unwrap()).abs() < 300;
    fresh && received.signature.split(' ').any(|s| s == expected)
}

/// Webhook settings for tests: loopback allowed, quick retries and polls.
fn quick() -> api::config::WebhookSettings {
    api::config::WebhookSettings {
        webhook_allow_ranges: vec!["127.0.0.0/8".parse().unwrap()],
        webhook_timeout_ms: 2_000,
        webhook_retry_base_ms: 50,
        webhook_retry_cap_secs: 1,
        webhook_poll_ms: 50,
        ..api::config::WebhookSettings::default()
    }
}

async fn demo_app(webhooks: api::config::WebhookSettings) -> TestApp {
    TestApp::start(
        Options { demo: true, webhooks: Some(webhooks), ..Options::default() },
        Arc::new(service::SystemClock),
    )
    .await
}

const CREATE: &str =
    "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret webhook { id url enabled eventTypes } } }";

/// Registers `url` for `types` (and `team`) as the demo's admin: the webhook's id and secret.
async fn register(app: &TestApp, url: &str, types: &[&str], team: Option<&Value>) -> (Value, String) {
    let input = json!({ "url": url, "eventTypes": types, "teamId": team });
    let data = app.data(&app.demo_admin(), CREATE, json!({ "i": input })).await;
    let created = &data["createWebhook"];
    (created["webhook"]["id"].clone(), created["secret"].as_str().unwrap().to_owned())
}

async fn check_in(app: &TestApp, key_result: &Value, value: f64) {
    let query = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
    app.data(&member(app, "sam"), query, json!({ "i": { "keyResultId": key_result, "value": value } })).await;
}

const DELIVERIES: &str = "query($id: ID!) { node(id: $id) { ... on Webhook { enabled disabledAt disabledReason
    deliveries(last: 50) { edges { node { id messageId eventType state attemptCount lastStatus lastError
    lastDurationMs nextAttemptAt deliveredAt payload attempts { status error durationMs } } } } } } }";

async fn webhook(app: &TestApp, id: &Value) -> Value {
    app.data(&app.demo_admin(), DELIVERIES, json!({ "id": id })).await["node"].clone()
}

fn deliveries(webhook: &Value) -> Vec<Value> {
    webhook["deliveries"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

#[tokio::test]
async fn a_check_in_reaches_the_endpoint_signed_and_shows_as_delivered() {
    let app = demo_app(quick()).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    let (id, secret) = register(&app, &receiver.url("/okrs"), &["CHECK_IN_RECORDED"], None).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    check_in(&app, &d.lead_time, 30.0).await;

    let got = receiver.await_delivered(1).await;
    let request = &got[0];
    assert!(verify(&secret, request), "the signature verifies with the secret shown once");
    assert!(request.id.starts_with("msg_"), "{}", request.id);
    assert_eq!(request.body["type"], "check_in.recorded");
    assert_eq!(request.body["data"]["keyResultId"], d.lead_time, "ids are the API's global ids");
    assert_eq!(request.body["data"]["teamId"], d.sales_team);
    assert_eq!(request.body["data"]["value"], 30.0);
    assert_eq!(request.body["data"]["confidence"], "ON_TRACK");
    let key_result = app
        .data(
            &app.demo_admin(),
            "query($id: ID!) { node(id: $id) { ... on KeyResult { currentValue } } }",
            json!({ "id": d.lead_time }),
        )
        .await;
    assert_eq!(key_result["node"]["currentValue"], 30.0, "the id in the body is one the API resolves");

    let shown = eventually(|| async {
        let shown = webhook(&app, &id).await;
        (deliveries(&shown)[0]["state"] == "DELIVERED").then_some(shown)
    })
    .await;
    let delivery = &deliveries(&shown)[0];
    assert_eq!(delivery["messageId"], request.id.as_str());
    assert_eq!(delivery["eventType"], "CHECK_IN_RECORDED");
    assert_eq!(delivery["lastStatus"], 200);
    assert_eq!(delivery["attemptCount"], 1);
    assert!(delivery["lastDurationMs"].as_i64().unwrap() >= 0);
    assert_eq!(delivery["nextAttemptAt"], Value::Null);
    assert_eq!(delivery["payload"], request.body, "the payload shown is the body sent");
    assert_eq!(delivery["attempts"][0]["status"], 200);

    // Only admins see endpoints.
    let (_, body) = app.graphql(&member(&app, "sam"), "{ webhooks { id } }", json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let listed = app.data(&app.demo_admin(), "{ webhooks { id url } }", json!({})).await;
    assert_eq!(listed["webhooks"][0]["id"], id);
}

#[tokio::test]
async fn errors_timeouts_and_redirects_are_retried_with_the_same_id_until_delivered() {
    let settings = api::config::WebhookSettings { webhook_timeout_ms: 400, ..quick() };
    let app = demo_app(settings).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    let (id, secret) = register(&app, &receiver.url("/okrs"), &["CHECK_IN_RECORDED"], None).await;
    receiver.script(&[Reply::Status(500), Reply::Redirect, Reply::Slow(Duration::from_secs(2)), Reply::Status(503)]);
    check_in(&app, &d.lead_time, 30.0).await;

    let received = eventually(|| async { (receiver.received().len() >= 5).then(|| receiver.received()) }).await;
    assert_eq!(received.iter().map(|r| r.answered).collect::<Vec<_>>(), [500, 302, 200, 503, 200]);
    assert!(received.iter().all(|r| r.path == "/okrs"), "the redirect was not followed");
    assert!(received.iter().all(|r| r.id == received[0].id), "every attempt carries the same webhook-id");
    assert!(received.iter().all(|r| verify(&secret, r)), "every attempt is signed afresh");

    let shown = eventually(|| async {
        let shown = webhook(&app, &id).await;
        (deliveries(&shown)[0]["state"] == "DELIVERED").then_some(shown)
    })
    .await;
    let delivery = &deliveries(&shown)[0];
    assert_eq!(delivery["attemptCount"], 5);
    let attempts = delivery["attempts"].as_array().unwrap();
    let statuses: Vec<&Value> = attempts.iter().map(|a| &a["status"]).collect();
    assert_eq!(statuses, [&json!(200), &json!(503), &Value::Null, &json!(302), &json!(500)], "latest first");
    assert!(attempts[2]["error"].as_str().unwrap().contains("timed out"), "{}", attempts[2]);
    assert!(attempts[3]["error"].as_str().unwrap().contains("redirects are not followed"), "{}", attempts[3]);
    assert!(attempts[4]["error"].as_str().unwrap().contains("receiver says so"), "the answer's start is kept");
}

#[tokio::test]
async fn deliveries_of_one_key_result_arrive_in_the_order_of_its_check_ins() {
    let app = demo_app(quick()).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    register(&app, &receiver.url("/okrs"), &["CHECK_IN_RECORDED"], None).await;
    // The first delivery fails twice: the next check-ins of its key result wait for it.
    receiver.script(&[Reply::Status(500), Reply::Status(500)]);
    for value in [31.0, 32.0, 33.0, 34.0] {
        check_in(&app, &d.lead_time, value).await;
    }
    check_in(&app, &d.conversion, 12.0).await;

    let delivered = receiver.await_delivered(5).await;
    let values_of = |key_result: &Value| -> Vec<f64> {
        delivered
            .iter()
            .filter(|r| r.body["data"]["keyResultId"] == *key_result)
            .map(|r| r.body["data"]["value"].as_f64().unwrap())
            .collect()
    };
    assert_eq!(values_of(&d.lead_time), [31.0, 32.0, 33.0, 34.0]);
    assert_eq!(values_of(&d.conversion), [12.0]);
}

#[tokio::test]
async fn nothing_is_lost_across_a_restart_nor_when_a_sender_is_cut_off_mid_delivery() {
    let settings = api::config::WebhookSettings { webhook_lease_secs: 2, webhook_timeout_ms: 10_000, ..quick() };
    let app = demo_app(settings.clone()).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    register(&app, &receiver.url("/okrs"), &["CHECK_IN_RECORDED"], None).await;
    // The first delivery hangs past the server's grace period: the stopping server cuts
    // it after sending and before booking it.
    receiver.script(&[Reply::Slow(Duration::from_secs(8))]);
    check_in(&app, &d.lead_time, 31.0).await;
    eventually(|| async { (!receiver.received().is_empty()).then_some(()) }).await;
    receiver.fail(true);
    check_in(&app, &d.lead_time, 32.0).await;
    check_in(&app, &d.conversion, 12.0).await;

    let app = app.restart(Options { demo: true, webhooks: Some(settings), ..Options::default() }).await;
    receiver.fail(false);
    let delivered = receiver.await_delivered(4).await;
    let mut ids: Vec<&str> = delivered.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three events, each delivered; the cut-off one twice with one id: {delivered:?}");
    let first = &receiver.received()[0];
    assert_eq!(delivered.iter().filter(|r| r.id == first.id).count(), 2, "sent again with its id after the lease");
    let lead_time: Vec<f64> = delivered
        .iter()
        .filter(|r| r.body["data"]["keyResultId"] == d.lead_time)
        .map(|r| r.body["data"]["value"].as_f64().unwrap())
        .collect();
    assert_eq!(lead_time, [31.0, 31.0, 32.0], "and still in order");
    drop(app);
}

#[tokio::test]
#[cfg_attr(not(trellis_postgres), ignore = "replicas share a PostgreSQL database")]
async fn two_replicas_send_each_delivery_exactly_once() {
    let app = demo_app(quick()).await;
    let replica = app.replica_with(Options { webhooks: Some(quick()), ..Options::default() }).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    register(&app, &receiver.url("/okrs"), &["CHECK_IN_RECORDED"], None).await;
    // Both replicas' insight feeds look after every change: each raise goes once.
    register(&app, &receiver.url("/insights"), &["INSIGHT_RAISED"], None).await;
    let key_results = [&d.lead_time, &d.conversion];
    for round in 0..20 {
        let server = if round % 2 == 0 { &app } else { &replica };
        check_in(server, key_results[round % 2], 40.0 + round as f64).await;
    }
    eventually(|| async { (receiver.delivered().iter().filter(|r| r.path == "/okrs").count() >= 20).then_some(()) })
        .await;
    // Give a duplicate the time to show up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (delivered, insights): (Vec<Received>, Vec<Received>) =
        receiver.delivered().into_iter().partition(|r| r.path == "/okrs");
    let mut raised: Vec<String> = insights
        .iter()
        .map(|r| format!("{} {} {}", r.body["data"]["insightId"], r.body["data"]["cycleId"], r.body["data"]["kind"]))
        .collect();
    assert!(!raised.is_empty(), "the demo has insights");
    raised.sort_unstable();
    let before = raised.len();
    raised.dedup();
    assert_eq!(raised.len(), before, "each insight of each cycle raised once across the replicas: {raised:#?}");
    let mut ids: Vec<&str> = delivered.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((delivered.len(), ids.len()), (20, 20), "each event once");
}

#[tokio::test]
async fn internal_addresses_are_refused_at_registration_and_at_send_time() {
    let app = demo_app(api::config::WebhookSettings::default()).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
    ] {
        let input = json!({ "url": url, "eventTypes": ["CHECK_IN_RECORDED"] });
        let (_, body) = app.graphql(&app.demo_admin(), CREATE, json!({ "i": input })).await;
        assert_eq!(error_code(&body), "WEBHOOK_URL_FORBIDDEN", "{url}: {body}");
    }
    for url in ["ftp://example.com/hook", "https://user:secret@example.com/hook", "not a url"] {
        let input = json!({ "url": url, "eventTypes": ["CHECK_IN_RECORDED"] });
        let (_, body) = app.graphql(&app.demo_admin(), CREATE, json!({ "i": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{url}: {body}");
    }

    // Registered while loopback was allowed; the operator then takes that back.
    let app = app.restart(Options { demo: true, webhooks: Some(quick()), ..Options::default() }).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    let (by_name, _) =
        register(&app, &receiver.url("/named").replace("127.0.0.1", "localhost"), &["CHECK_IN_RECORDED"], None).await;
    let (by_address, _) = register(&app, &receiver.url("/address"), &["CHECK_IN_RECORDED"], None).await;
    let strict = api::config::WebhookSettings { webhook_allow_ranges: Vec::new(), ..quick() };
    let app = app.restart(Options { demo: true, webhooks: Some(strict), ..Options::default() }).await;
    check_in(&app, &d.lead_time, 30.0).await;
    for id in [by_name, by_address] {
        let error = eventually(|| async {
            let shown = webhook(&app, &id).await;
            deliveries(&shown)[0]["lastError"].as_str().map(str::to_owned)
        })
        .await;
        assert!(error.contains("internal address"), "{error}");
    }
    assert!(receiver.received().is_empty(), "nothing reached the internal address");
}

#[tokio::test]
async fn an_endpoint_failing_for_the_window_is_disabled_and_a_redelivery_sends_the_same_id() {
    let settings = api::config::WebhookSettings { webhook_retry_window_secs: 1, ..quick() };
    let app = demo_app(settings).await;
    let receiver = Receiver::start().await;
    receiver.fail(true);
    let d = demo(&app).await;
    let (id, _) = register(&app, &receiver.url("/okrs"), &["CHECK_IN_RECORDED"], None).await;
    check_in(&app, &d.lead_time, 30.0).await;

    let shown = eventually(|| async {
        let shown = webhook(&app, &id).await;
        (shown["enabled"] == false && deliveries(&shown)[0]["state"] == "FAILED").then_some(shown)
    })
    .await;
    assert!(shown["disabledReason"].as_str().unwrap().contains("failed for 1s"), "{shown}");
    assert!(shown["disabledAt"].is_string());
    let delivery = deliveries(&shown)[0].clone();
    assert!(delivery["attemptCount"].as_i64().unwrap() >= 2, "retried within the window: {delivery}");
    // Nothing new goes to a disabled endpoint.
    check_in(&app, &d.lead_time, 31.0).await;
    assert_eq!(deliveries(&webhook(&app, &id).await).len(), 1);

    receiver.fail(false);
    let enable =
        "mutation($i: UpdateWebhookInput!) { updateWebhook(input: $i) { secret webhook { enabled disabledAt } } }";
    let enabled = app.data(&app.demo_admin(), enable, json!({ "i": { "id": id, "enabled": true } })).await;
    assert_eq!(enabled["updateWebhook"]["webhook"], json!({ "enabled": true, "disabledAt": null }));
    assert_eq!(enabled["updateWebhook"]["secret"], Value::Null, "the secret is shown only when rotated");
    let redeliver = "mutation($i: RedeliverWebhookInput!) { redeliverWebhook(input: $i) { delivery { state } } }";
    let again = app.data(&app.demo_admin(), redeliver, json!({ "i": { "deliveryId": delivery["id"] } })).await;
    assert_eq!(again["redeliverWebhook"]["delivery"]["state"], "PENDING");
    let delivered = receiver.await_delivered(1).await;
    assert_eq!(delivered[0].id, delivery["messageId"].as_str().unwrap());
    assert_eq!(delivered[0].body["data"]["value"], 30.0);
}

#[tokio::test]
async fn an_endpoint_hears_only_its_event_types_and_its_team() {
    let app = demo_app(quick()).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    let everything = ["CHECK_IN_RECORDED", "OBJECTIVE_CHANGED", "CYCLE_ACTIVATED", "CYCLE_CLOSED"];
    register(&app, &receiver.url("/all"), &everything, None).await;
    register(&app, &receiver.url("/sales"), &["OBJECTIVE_CHANGED"], Some(&d.sales_team)).await;
    check_in(&app, &d.lead_time, 30.0).await;
    let rename = "mutation($i: UpdateObjectiveInput!) { updateObjective(input: $i) { objective { id } } }";
    for (objective, title) in
        [(&d.marketing, "Fill the pipeline, and then some"), (&d.sales, "Shorten the sales cycle, for real")]
    {
        app.data(&app.demo_admin(), rename, json!({ "i": { "id": objective, "title": title } })).await;
    }
    // A cycle of its own, activated and closed: every endpoint of those types hears it.
    let create = "mutation($i: CreateCycleInput!) { createCycle(input: $i) { cycle { id } } }";
    let input = json!({ "name": "Hack week", "startsOn": "2099-01-05", "endsOn": "2099-01-09" });
    let cycle = app.data(&app.demo_admin(), create, json!({ "i": input })).await["createCycle"]["cycle"]["id"].clone();
    for step in ["activateCycle", "closeCycle"] {
        let query = format!("mutation($i: CycleStateInput!) {{ {step}(input: $i) {{ cycle {{ state }} }} }}");
        app.data(&app.demo_admin(), &query, json!({ "i": { "id": cycle } })).await;
    }

    let all = |r: &Received| r.path == "/all";
    let heard = eventually(|| async {
        let heard: Vec<Received> = receiver.delivered().into_iter().filter(all).collect();
        (heard.len() >= 5).then_some(heard)
    })
    .await;
    // Different subjects may go at once: their order between them is not promised.
    let mut types: Vec<&str> = heard.iter().map(|r| r.body["type"].as_str().unwrap()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        ["check_in.recorded", "cycle.activated", "cycle.closed", "objective.changed", "objective.changed"]
    );
    let of_cycle = heard.iter().filter(|r| r.body["type"].as_str().unwrap().starts_with("cycle."));
    assert!(of_cycle.clone().all(|r| r.body["data"]["cycleId"] == cycle), "{heard:?}");
    let order: Vec<&str> = of_cycle.map(|r| r.body["type"].as_str().unwrap()).collect();
    assert_eq!(order, ["cycle.activated", "cycle.closed"], "in order per cycle");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to_sales: Vec<Received> = receiver.delivered().into_iter().filter(|r| r.path == "/sales").collect();
    assert_eq!(to_sales.len(), 1, "{to_sales:?}");
    assert_eq!(to_sales[0].body["type"], "objective.changed");
    assert_eq!(to_sales[0].body["data"]["objectiveId"], d.sales);
    assert_eq!(to_sales[0].body["data"]["change"], "updated");
}

#[tokio::test]
async fn insights_are_announced_as_they_are_raised_and_cleared_once_each() {
    let clock = service::FixedClock::new(crate::insights::week_seven());
    let limits = api::config::Limits { insights_sweep_secs: 1, ..trellis_tests::unthrottled() };
    let options = Options { demo: true, limits: Some(limits), webhooks: Some(quick()), ..Options::default() };
    let app = TestApp::start(options, Arc::new(clock.clone())).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    register(&app, &receiver.url("/insights"), &["INSIGHT_RAISED", "INSIGHT_CLEARED"], Some(&d.sales_team)).await;
    // The first look announces what holds already.
    let holding = receiver.await_delivered(1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let holding = receiver.delivered().len().max(holding.len());
    let heard = |from: usize| -> Vec<(String, String)> {
        receiver.delivered()[from..]
            .iter()
            .map(|r| (r.body["type"].as_str().unwrap().to_owned(), r.body["data"]["kind"].as_str().unwrap().to_owned()))
            .collect()
    };
    assert!(heard(0).iter().all(|(t, _)| t == "insight.raised"), "{:?}", heard(0));
    assert!(receiver.delivered().iter().all(|r| r.body["data"]["teamId"] == d.sales_team), "Sales only");

    let check_in = |value: f64, confidence: &'static str| {
        let app = &app;
        let key_result = d.lead_time.clone();
        async move {
            let query = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
            let input = json!({ "keyResultId": key_result, "value": value, "confidence": confidence });
            app.data(&member(app, "sam"), query, json!({ "i": input })).await;
        }
    };
    check_in(45.0, "AT_RISK").await;
    check_in(46.0, "OFF_TRACK").await;
    let raised = eventually(|| async { (heard(holding).len() >= 2).then(|| heard(holding)) }).await;
    let mut kinds: Vec<&str> = raised.iter().map(|(_, k)| k.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["CONFIDENCE_FALLING", "UNASSIGNED_WORK"], "{raised:?}");
    assert!(raised.iter().all(|(t, _)| t == "insight.raised"));
    let raised_ids: Vec<Value> =
        receiver.delivered()[holding..].iter().map(|r| r.body["data"]["insightId"].clone()).collect();

    check_in(40.0, "ON_TRACK").await;
    let after = holding + 2;
    let cleared =
        eventually(|| async { (heard(after).len() >= 2).then(|| receiver.delivered()[after..].to_vec()) }).await;
    assert!(cleared.iter().all(|r| r.body["type"] == "insight.cleared"), "{cleared:?}");
    let mut cleared_ids: Vec<Value> = cleared.iter().map(|r| r.body["data"]["insightId"].clone()).collect();
    let mut raised_ids = raised_ids;
    cleared_ids.sort_by_key(|v| v.to_string());
    raised_ids.sort_by_key(|v| v.to_string());
    assert_eq!(cleared_ids, raised_ids, "what was raised is what clears");

    // Nine quiet days later the sweep finds Sales's key results stale: time alone changed.
    clock.set(crate::insights::week_seven() + chrono::Duration::days(9));
    let after = after + 2;
    let stale = eventually(|| async { (heard(after).len() >= 2).then(|| heard(after)) }).await;
    assert!(stale.iter().all(|(t, k)| t == "insight.raised" && k == "STALE"), "{stale:?}");
    // Each was announced once, though the feed looked many times since.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.delivered().len(), after + stale.len());
}

#[tokio::test]
async fn deliveries_with_their_endpoint_and_attempts_cost_the_same_statements_for_2_and_12() {
    let app = demo_app(quick()).await;
    let receiver = Receiver::start().await;
    let d = demo(&app).await;
    let (id, _) = register(&app, &receiver.url("/okrs"), &["CHECK_IN_RECORDED"], None).await;
    let query = "query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(last: 50) { edges { node {
        state webhook { id url } attempts { status } } } } } } }";
    let mut counts = Vec::new();
    let mut sent = 0;
    for n in [2, 12] {
        while sent < n {
            sent += 1;
            check_in(&app, &d.lead_time, 30.0 + sent as f64).await;
        }
        receiver.await_delivered(n).await;
        let shown = eventually(|| async {
            let shown = webhook(&app, &id).await;
            deliveries(&shown).iter().all(|d| d["state"] == "DELIVERED").then_some(shown)
        })
        .await;
        assert_eq!(deliveries(&shown).len(), n);
        let listed = app.data(&app.demo_admin(), query, json!({ "id": id })).await;
        let nodes = deliveries(&listed["node"]);
        assert!(nodes.iter().all(|d| d["webhook"]["id"] == id && d["attempts"][0]["status"] == 200), "{nodes:?}");
        counts.push(crate::statements::statements(&app, &app.demo_admin(), query, json!({ "id": id })).await);
    }
    assert_eq!(counts[0], counts[1], "statements for 2 vs 12 deliveries");
}
