//! Abuse limits: depth and complexity are bounded with clear errors.

use api::config::Limits;
use serde_json::json;
use service::SystemClock;
use std::sync::Arc;
use trellis_tests::{Options, TestApp, error_code};

#[tokio::test]
async fn a_query_nested_deeper_than_the_limit_is_refused() {
    let limits = Limits { max_depth: 4, ..Limits::default() };
    let app =
        TestApp::start(Options { demo: true, limits: Some(limits), ..Options::default() }, Arc::new(SystemClock)).await;
    let deep = "{ objectives { edges { node { team { parent { name } } } } } }";
    let (_, body) = app.graphql(&app.demo_admin(), deep, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("nested too deep"), "{body}");
}

#[tokio::test]
async fn a_query_over_the_complexity_budget_is_refused() {
    let app = TestApp::spawn_demo().await;
    // 100 objectives × 100 key results × 100 check-ins is far over the budget.
    let heavy = "{ objectives(first: 100) { edges { node { keyResults(first: 100) { edges { node {
        checkIns(first: 100) { edges { node { value } } } } } } } } } }";
    let (_, body) = app.graphql(&app.demo_admin(), heavy, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{body}");
}

#[tokio::test]
async fn page_sizes_whose_product_overflows_are_refused_as_too_complex_and_the_server_keeps_serving() {
    let app = TestApp::spawn_demo().await;
    let huge = "{ objectives { edges { node { dependsOn(first: 2000000000) { edges { node {
        from { keyResults(first: 2000000000) { edges { node { checkIns(first: 2000000000) { totalCount } } } } } } } } } } } }";
    let ids = json!({ "ids": vec!["T2JqZWN0aXZlOjA"; 1000] });
    let many = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Objective { keyResults(first: 2000000000) { totalCount } } } }";
    for (query, variables) in [(huge, json!({})), (many, ids)] {
        let (_, body) = app.graphql(&app.demo_admin(), query, variables).await;
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("complex"), "{body}");
    }
    app.data(&app.demo_admin(), "{ viewer { role } }", json!({})).await;
}

#[tokio::test]
async fn a_request_over_the_concurrency_limit_is_shed_at_once_and_the_server_recovers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits = Limits { max_concurrent_requests: 1, ..trellis_tests::unthrottled() };
    let app =
        TestApp::start(Options { demo: true, limits: Some(limits), ..Options::default() }, Arc::new(SystemClock)).await;
    let token = app.demo_admin();
    let query = "{ organization { name } }";
    // A request whose body is half sent holds the one place.
    let body = json!({ "query": query }).to_string();
    let mut slow = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: trellis\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&body.as_bytes()[..body.len() / 2]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let started = std::time::Instant::now();
    let response = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < std::time::Duration::from_millis(500), "shed at once, not queued");
    assert_eq!(response.headers()["retry-after"], "1");
    let refused: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&refused), "OVERLOADED", "{refused}");
    let ready = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200, "probes are not limited");

    slow.write_all(&body.as_bytes()[body.len() / 2..]).await.unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "the admitted request is served: {answer}");
    let data = app.data(&token, query, json!({})).await;
    assert_eq!(data["organization"]["name"], "Company X", "the place is free again");
}
