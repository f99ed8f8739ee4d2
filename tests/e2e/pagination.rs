//! Relay connections: keyset cursors, both directions, page size cap, totalCount.

use serde_json::json;
use trellis_tests::{TestApp, error_code};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
  teams(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name } }
  }
}";

fn names(data: &serde_json::Value) -> Vec<String> {
    data["teams"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn teams_page_forward_and_backward_with_cursors() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let first = app.data(&token, PAGE, json!({ "first": 2 })).await;
    assert_eq!(names(&first), ["Company X", "Sales"]);
    assert_eq!(first["teams"]["totalCount"], 4);
    assert_eq!(first["teams"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["teams"]["pageInfo"]["hasPreviousPage"], false);

    let after = first["teams"]["pageInfo"]["endCursor"].clone();
    let second = app.data(&token, PAGE, json!({ "first": 2, "after": after })).await;
    assert_eq!(names(&second), ["Marketing", "Product"]);
    assert_eq!(second["teams"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["teams"]["pageInfo"]["hasPreviousPage"], true);

    let last = app.data(&token, PAGE, json!({ "last": 1 })).await;
    assert_eq!(names(&last), ["Product"]);
    assert_eq!(last["teams"]["pageInfo"]["hasPreviousPage"], true);
    let before = last["teams"]["pageInfo"]["startCursor"].clone();
    let previous = app.data(&token, PAGE, json!({ "last": 2, "before": before })).await;
    assert_eq!(names(&previous), ["Sales", "Marketing"]);
}

#[tokio::test]
async fn pages_are_capped_and_cursors_checked() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let (_, body) = app.graphql(&token, PAGE, json!({ "first": 101 })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("at most 100"));
    let (_, body) = app.graphql(&token, PAGE, json!({ "first": -1 })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    let (_, body) = app.graphql(&token, PAGE, json!({ "first": 1, "after": "garbage" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn nested_connections_page_too() {
    let app = TestApp::spawn_demo().await;
    let query = r#"query($after: String) { objectives(filter: { search: "sales cycle" }) { edges { node {
        keyResults(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } } } } }"#;
    let token = app.demo_admin();
    let first = app.data(&token, query, json!({})).await;
    let key_results = &first["objectives"]["edges"][0]["node"]["keyResults"];
    assert_eq!(key_results["totalCount"], 2);
    assert_eq!(key_results["pageInfo"]["hasNextPage"], true);
    let next = app.data(&token, query, json!({ "after": key_results["pageInfo"]["endCursor"] })).await;
    let key_results = &next["objectives"]["edges"][0]["node"]["keyResults"];
    assert_eq!(key_results["edges"][0]["node"]["title"], "Increase SQL to trial conversion rate from 30 to 60 %");
    assert_eq!(key_results["pageInfo"]["hasNextPage"], false);
}
