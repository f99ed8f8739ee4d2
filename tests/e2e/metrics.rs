//! `/metrics`: what operators scrape. Operations by name, type and outcome with their
//! latency, statements, the pool, open subscriptions, events and check-ins, memory. (The
//! bound on operation names is tested in `api/src/metrics.rs`: the recorder is one per
//! process, and a flood here would turn the other tests' names into `other`.)

use futures::StreamExt;
use serde_json::json;
use std::time::Duration;
use trellis_tests::TestApp;

async fn scrape(app: &TestApp) -> String {
    let response = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    response.text().await.unwrap()
}

/// The value of the first sample of `metric` whose labels include all of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| line.starts_with(metric) && labels.iter().all(|label| line.contains(label)))
        .find_map(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn operations_are_counted_and_timed_by_name_type_and_outcome() {
    let app = TestApp::spawn_demo().await;
    let admin = app.demo_admin();
    for _ in 0..3 {
        app.data(&admin, "query MetricsProbe { viewer { role } }", json!({})).await;
    }
    app.graphql(&admin, r#"query MetricsBroken { objective(id: "nonsense") { title } }"#, json!({})).await;
    let text = scrape(&app).await;
    let ok = ["operation=\"MetricsProbe\"", "type=\"query\"", "outcome=\"ok\""];
    assert!(sample(&text, "trellis_graphql_requests_total{", &ok).unwrap_or(0.0) >= 3.0, "{text}");
    let failed = ["operation=\"MetricsBroken\"", "outcome=\"BAD_USER_INPUT\""];
    assert!(sample(&text, "trellis_graphql_requests_total{", &failed).unwrap_or(0.0) >= 1.0);
    let bucket = ["operation=\"MetricsProbe\"", "le=\"+Inf\""];
    assert!(sample(&text, "trellis_graphql_request_duration_seconds_bucket{", &bucket).unwrap_or(0.0) >= 3.0);
    assert!(sample(&text, "trellis_sql_statements_total", &[]).unwrap_or(0.0) > 0.0);
    assert!(sample(&text, "trellis_db_pool_connections{", &["state=\"idle\""]).is_some());
    assert!(sample(&text, "process_resident_memory_bytes", &[]).unwrap_or(0.0) > 1e6);
    assert!(!text.contains("Company X") && !text.contains("dana"), "no names or people in metrics");
}

#[tokio::test]
async fn check_ins_events_and_open_subscriptions_show() {
    let app = TestApp::spawn_demo().await;
    let admin = app.demo_admin();
    let query = r#"{ objectives(filter: { search: "sales cycle" }) { edges { node { keyResults { edges { node { id } } } } } } }"#;
    let found = app.data(&admin, query, json!({})).await;
    let kr = found["objectives"]["edges"][0]["node"]["keyResults"]["edges"][0]["node"]["id"].clone();
    let subscription = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&admin)
        .header("Accept", "text/event-stream")
        .json(&json!({ "query": "subscription($k: ID) { checkInRecorded(keyResultId: $k) { value } }", "variables": { "k": kr } }))
        .send()
        .await
        .unwrap();
    let mut stream = subscription.bytes_stream();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let open = sample(&scrape(&app).await, "trellis_subscriptions_open{", &["transport=\"sse\""]).unwrap_or(0.0);
    assert!(open >= 1.0, "the stream is counted while open");
    let check_in = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
    app.data(&admin, check_in, json!({ "i": { "keyResultId": kr, "value": 40 } })).await;
    let heard = tokio::time::timeout(Duration::from_secs(2), stream.next()).await;
    assert!(heard.is_ok(), "the subscriber hears the check-in");
    let text = scrape(&app).await;
    assert!(sample(&text, "trellis_check_ins_recorded_total", &[]).unwrap_or(0.0) >= 1.0);
    assert!(sample(&text, "trellis_events_published_total", &[]).unwrap_or(0.0) >= 1.0);
    assert!(sample(&text, "trellis_events_fanned_out_total", &[]).unwrap_or(0.0) >= 1.0);
}
