//! Persisted queries: Apollo's automatic persisted queries over POST and GET, shared
//! between replicas through the database, bounded, and the allow-list mode.

use api::config::Limits;
use reqwest::StatusCode;
use serde_json::{Value, json};
use service::SystemClock;
use service::persisted_queries::{allow, hash};
use std::sync::Arc;
use trellis_tests::{Options, TestApp, error_code, unthrottled};

const QUERY: &str = "{ organization { name } }";

fn extension(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` as JSON with `Accept: application/json`.
async fn post(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn by_hash(app: &TestApp, token: &str, hash: &str) -> (StatusCode, Value) {
    post(app, token, json!({ "extensions": extension(hash) })).await
}

async fn demo_with(limits: Limits) -> TestApp {
    TestApp::start(Options { demo: true, limits: Some(limits), ..Options::default() }, Arc::new(SystemClock)).await
}

#[tokio::test]
async fn a_hash_unknown_asks_for_the_document_which_is_then_known_to_every_replica() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let sha = hash(QUERY);
    let (status, body) = by_hash(&app, &token, &sha).await;
    assert_eq!((status, error_code(&body)), (StatusCode::OK, "PERSISTED_QUERY_NOT_FOUND"), "{body}");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound", "Apollo clients match the message too");

    let (status, body) = post(&app, &token, json!({ "query": QUERY, "extensions": extension(&sha) })).await;
    assert_eq!((status, &body["data"]["organization"]["name"]), (StatusCode::OK, &json!("Company X")), "{body}");
    let (_, body) = by_hash(&app, &token, &sha).await;
    assert_eq!(body["data"]["organization"]["name"], "Company X", "{body}");

    // GET with the hash alone, as a CDN-cached client sends it.
    let response = app
        .http
        .get(format!("{}/graphql", app.base))
        .bearer_auth(&token)
        .header("Accept", "application/json")
        .query(&[("extensions", extension(&sha).to_string())])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["organization"]["name"], "Company X", "{body}");

    let replica = app.replica().await;
    let (_, body) = by_hash(&replica, &token, &sha).await;
    assert_eq!(body["data"]["organization"]["name"], "Company X", "a replica knows it: {body}");
}

#[tokio::test]
async fn a_hash_that_does_not_match_the_document_is_refused() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let (status, body) =
        post(&app, &token, json!({ "query": QUERY, "extensions": extension(&hash("{ me { id } }")) })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "BAD_REQUEST"), "{body}");
    let (status, body) =
        post(&app, &token, json!({ "query": QUERY, "extensions": { "persistedQuery": { "version": 2 } } })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "BAD_REQUEST"), "{body}");
    // The refused hash was not registered.
    let (_, body) = by_hash(&app, &token, &hash("{ me { id } }")).await;
    assert_eq!(error_code(&body), "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn the_store_keeps_the_most_recently_used_within_its_limit() {
    let app = demo_with(Limits { persisted_query_limit: 2, ..unthrottled() }).await;
    let token = app.demo_admin();
    let queries = ["{ organization { id } }", "{ organization { name } }", "{ organization { slug } }"];
    for query in queries {
        let (_, body) = post(&app, &token, json!({ "query": query, "extensions": extension(&hash(query)) })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    // A replica has nothing in memory: it sees what the database kept.
    let replica = app.replica().await;
    let (_, oldest) = by_hash(&replica, &token, &hash(queries[0])).await;
    assert_eq!(error_code(&oldest), "PERSISTED_QUERY_NOT_FOUND", "the least recently used went: {oldest}");
    for query in &queries[1..] {
        let (_, body) = by_hash(&replica, &token, &hash(query)).await;
        assert!(body.get("errors").is_none(), "{query} was kept: {body}");
    }
}

#[tokio::test]
async fn allow_list_mode_runs_only_registered_documents_over_http_and_websocket() {
    let app = demo_with(Limits { persisted_queries_only: true, ..unthrottled() }).await;
    let token = app.demo_admin();
    allow(&app.db, QUERY, chrono::Utc::now()).await.unwrap();

    let (status, body) = post(&app, &token, json!({ "query": QUERY })).await;
    assert_eq!((status, &body["data"]["organization"]["name"]), (StatusCode::OK, &json!("Company X")), "{body}");
    let (_, body) = by_hash(&app, &token, &hash(QUERY)).await;
    assert_eq!(body["data"]["organization"]["name"], "Company X", "{body}");

    let other = "{ organization { slug } }";
    let (status, body) = post(&app, &token, json!({ "query": other })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "PERSISTED_QUERY_NOT_ALLOWED"), "{body}");
    // Sent the automatic way, it is still not registered.
    let (status, body) = post(&app, &token, json!({ "query": other, "extensions": extension(&hash(other)) })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "PERSISTED_QUERY_NOT_ALLOWED"), "{body}");
    let (_, body) = by_hash(&app, &token, &hash(other)).await;
    assert_eq!(error_code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");

    let refused = live::first_reply(&app, &token, "subscription { changes { __typename } }").await;
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_ALLOWED", "{refused}");
}

mod live {
    use futures::{SinkExt, StreamExt};
    use serde_json::{Value, json};
    use std::time::Duration;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use trellis_tests::TestApp;

    /// Subscribes with `query` over graphql-transport-ws; the first message about it.
    pub async fn first_reply(app: &TestApp, token: &str, query: &str) -> Value {
        let mut request = format!("{}/graphql/ws", app.base.replace("http://", "ws://")).into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
        socket.send(Message::Text(init.to_string().into())).await.unwrap();
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } });
        socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap().unwrap().unwrap();
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["id"] == "1" {
                    return value;
                }
            }
        }
    }
}
