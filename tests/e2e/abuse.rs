//! Abuse limits beyond depth and complexity: document size, aliases, root fields,
//! batches, introspection and suggestions, rate limits, WebSocket limits, CORS and the
//! browser security headers. Each refusal is followed by a request that is served.

use api::config::Limits;
use api::graphql::guard::GRAPHIQL_INTROSPECTION;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use service::{OrgRole, SystemClock};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use trellis_tests::{Options, StatusCode, TestApp, error_code};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn demo_with(limits: Limits) -> TestApp {
    TestApp::start(Options { demo: true, limits: Some(limits), ..Options::default() }, Arc::new(SystemClock)).await
}

fn message(body: &Value) -> String {
    body["errors"][0]["message"].as_str().unwrap_or_default().to_owned()
}

async fn still_serves(app: &TestApp) {
    let data = app.data(&app.demo_admin(), "{ organization { name } }", json!({})).await;
    assert_eq!(data["organization"]["name"], "Company X");
}

#[tokio::test]
async fn a_document_over_the_size_limit_is_refused_before_parsing() {
    let app = demo_with(Limits { max_query_bytes: 200, ..Limits::default() }).await;
    let long = format!("{{ organization {{ name }} }} # {}", "x".repeat(300));
    let (_, body) = app.graphql(&app.demo_admin(), &long, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(message(&body).contains("over the limit of 200 bytes"), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let app = demo_with(Limits { max_aliases: 3, ..Limits::default() }).await;
    let aliased = "{ a: organization { name } b: organization { name } c: organization { n: name } }";
    let (_, body) = app.graphql(&app.demo_admin(), aliased, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(message(&body).contains("4 aliases, over the limit of 3"), "{body}");
    app.data(&app.demo_admin(), "{ a: organization { name } b: viewer { role } }", json!({})).await;
}

#[tokio::test]
async fn too_many_root_fields_are_refused_also_through_fragments() {
    let app = demo_with(Limits { max_root_fields: 2, ..Limits::default() }).await;
    let spread = "query { organization { name } ...More } fragment More on Query { viewer { role } __typename }";
    let (_, body) = app.graphql(&app.demo_admin(), spread, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(message(&body).contains("3 root fields, over the limit of 2"), "{body}");
    app.data(&app.demo_admin(), "{ organization { name } viewer { role } }", json!({})).await;
}

#[tokio::test]
async fn a_batch_of_operations_is_400_with_a_clear_message() {
    let app = TestApp::spawn_demo().await;
    let batch = json!([{ "query": "{ organization { name } }" }, { "query": "{ viewer { role } }" }]);
    let response =
        app.http.post(format!("{}/graphql", app.base)).bearer_auth(app.demo_admin()).json(&batch).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_REQUEST");
    assert!(message(&body).contains("batched requests"), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn graphiqls_introspection_fits_the_default_limits() {
    let app = TestApp::spawn_demo().await;
    let data = app.data(&app.demo_admin(), GRAPHIQL_INTROSPECTION, json!({})).await;
    assert!(data["__schema"]["types"].as_array().unwrap().len() > 50);
}

#[tokio::test]
async fn nested_introspection_counts_its_lists_in_the_complexity() {
    let app = TestApp::spawn_demo().await;
    let nested = "{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }";
    let (_, body) = app.graphql(&app.demo_admin(), nested, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(message(&body).contains("too complex") && message(&body).contains("introspection"), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn introspection_switched_off_is_refused_and_typename_still_works() {
    let app = demo_with(Limits { introspection: false, ..Limits::default() }).await;
    for query in ["{ __schema { types { name } } }", "{ __type(name: \"Objective\") { name } }", GRAPHIQL_INTROSPECTION]
    {
        let (_, body) = app.graphql(&app.demo_admin(), query, json!({})).await;
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        assert!(message(&body).contains("introspection is disabled"), "{body}");
    }
    let data = app.data(&app.demo_admin(), "{ __typename organization { name } }", json!({})).await;
    assert_eq!(data["__typename"], "Query");
}

#[tokio::test]
async fn field_suggestions_can_be_switched_off() {
    let typo = "{ organizaton { name } }";
    let app = TestApp::spawn_demo().await;
    let (_, body) = app.graphql(&app.demo_admin(), typo, json!({})).await;
    assert!(message(&body).contains("Did you mean"), "suggested by default: {body}");
    let quiet = demo_with(Limits { suggestions: false, ..Limits::default() }).await;
    let (_, body) = quiet.graphql(&quiet.demo_admin(), typo, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(!message(&body).contains("Did you mean"), "{body}");
}

#[tokio::test]
async fn introspection_without_a_token_is_401() {
    let app = TestApp::spawn_demo().await;
    let request = app.http.post(format!("{}/graphql", app.base)).json(&json!({ "query": GRAPHIQL_INTROSPECTION }));
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
}

#[tokio::test]
async fn a_subject_over_its_rate_gets_429_with_retry_after_and_others_are_served() {
    let limits = Limits { rate_per_subject: 1, burst_per_subject: 2, ..Limits::default() };
    let app = demo_with(limits).await;
    let post = |token: String| {
        app.http
            .post(format!("{}/graphql", app.base))
            .bearer_auth(token)
            .json(&json!({ "query": "{ viewer { role } }" }))
    };
    let first = post(app.demo_admin()).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["ratelimit-limit"], "2");
    assert_eq!(first.headers()["ratelimit-remaining"], "1");
    assert_eq!(first.headers()["ratelimit-policy"], "2;w=2");
    assert_eq!(post(app.demo_admin()).send().await.unwrap().status(), StatusCode::OK);
    let refused = post(app.demo_admin()).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert!(message(&body).contains("token subject"), "{body}");
    let other = app.token(seed::demo::SLUG, "someone-else", OrgRole::Viewer);
    assert_eq!(post(other).send().await.unwrap().status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(post(app.demo_admin()).send().await.unwrap().status(), StatusCode::OK, "served again after Retry-After");
}

#[tokio::test]
async fn an_address_over_its_rate_gets_429_and_probes_are_not_counted() {
    let limits = Limits { rate_per_address: 1, burst_per_address: 3, rate_per_subject: 0, ..Limits::default() };
    let app = demo_with(limits).await;
    for _ in 0..5 {
        let probe = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
        assert_eq!(probe.status(), StatusCode::OK);
    }
    for _ in 0..3 {
        app.data(&app.demo_admin(), "{ viewer { role } }", json!({})).await;
    }
    let (status, body) = app.graphql(&app.demo_admin(), "{ viewer { role } }", json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert!(message(&body).contains("address"), "{body}");
    let wall = app.http.get(format!("{}/wall", app.base)).send().await.unwrap();
    assert_eq!(wall.status(), StatusCode::TOO_MANY_REQUESTS, "every route but the probes counts");
    assert!(wall.headers().contains_key("retry-after"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.data(&app.demo_admin(), "{ viewer { role } }", json!({})).await;
}

async fn open(app: &TestApp, protocol: &str) -> Socket {
    let url = format!("{}/graphql/ws", app.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn init(socket: &mut Socket, token: &str) {
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
}

/// The next text or close message, pings skipped, within `seconds`.
async fn next(socket: &mut Socket, seconds: u64) -> Message {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(seconds), socket.next()).await.expect("a message in time");
        match message {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return message,
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    }
}

fn close_code(message: &Message) -> u16 {
    match message {
        Message::Close(Some(frame)) => u16::from(frame.code),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

fn json_of(message: &Message) -> Value {
    match message {
        Message::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

#[tokio::test]
async fn a_websocket_without_connection_init_in_time_is_closed_with_4408() {
    let app = demo_with(Limits { ws_init_timeout_secs: 1, ..Limits::default() }).await;
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        let mut socket = open(&app, protocol).await;
        assert_eq!(close_code(&next(&mut socket, 3).await), 4408, "{protocol}");
    }
    let mut socket = open(&app, "graphql-transport-ws").await;
    init(&mut socket, &app.demo_admin()).await;
    assert_eq!(json_of(&next(&mut socket, 2).await)["type"], "connection_ack");
    let silence = tokio::time::timeout(Duration::from_millis(1500), next(&mut socket, 2)).await;
    assert!(silence.is_err() || matches!(silence, Ok(Message::Text(_))), "an initialised socket stays open");
}

const SUBSCRIPTION: &str = "subscription($o: ID) { progressChanged(objectiveId: $o) { resync } }";

async fn subscribe(socket: &mut Socket, kind: &str, id: &str, objective: &str) {
    let message =
        json!({ "id": id, "type": kind, "payload": { "query": SUBSCRIPTION, "variables": { "o": objective } } });
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

async fn an_objective(app: &TestApp) -> String {
    let data = app.data(&app.demo_admin(), "{ objectives(first: 1) { edges { node { id } } } }", json!({})).await;
    data["objectives"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn one_subscription_too_many_on_a_connection_is_refused_as_that_operations_error() {
    let app = demo_with(Limits { ws_max_subscriptions: 2, ..Limits::default() }).await;
    let objective = an_objective(&app).await;
    for (protocol, start, stop, next_kind) in
        [("graphql-transport-ws", "subscribe", "complete", "next"), ("graphql-ws", "start", "stop", "data")]
    {
        let mut socket = open(&app, protocol).await;
        init(&mut socket, &app.demo_admin()).await;
        assert_eq!(json_of(&next(&mut socket, 2).await)["type"], "connection_ack");
        subscribe(&mut socket, start, "1", &objective).await;
        subscribe(&mut socket, start, "2", &objective).await;
        subscribe(&mut socket, start, "3", &objective).await;
        let refused = json_of(&next(&mut socket, 2).await);
        assert_eq!((refused["id"].as_str(), refused["type"].as_str()), (Some("3"), Some(next_kind)), "{refused}");
        assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS", "{refused}");
        assert_eq!(json_of(&next(&mut socket, 2).await), json!({ "id": "3", "type": "complete" }));
        // Ending one makes room for another on the same connection.
        let end = json!({ "id": "1", "type": stop });
        socket.send(Message::Text(end.to_string().into())).await.unwrap();
        let ended = json_of(&next(&mut socket, 2).await);
        assert_eq!((ended["id"].as_str(), ended["type"].as_str()), (Some("1"), Some("complete")), "{ended}");
        subscribe(&mut socket, start, "4", &objective).await;
        let quiet = tokio::time::timeout(Duration::from_millis(500), next(&mut socket, 1)).await;
        assert!(quiet.is_err(), "the fourth subscription runs: {quiet:?}");
    }
    still_serves(&app).await;
}

#[tokio::test]
async fn one_connection_too_many_for_a_subject_is_closed_with_4429_until_one_ends() {
    let app = demo_with(Limits { ws_max_connections_per_subject: 2, ..Limits::default() }).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut socket = open(&app, "graphql-transport-ws").await;
        init(&mut socket, &app.demo_admin()).await;
        assert_eq!(json_of(&next(&mut socket, 2).await)["type"], "connection_ack");
        held.push(socket);
    }
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        let mut third = open(&app, protocol).await;
        init(&mut third, &app.demo_admin()).await;
        let mut answer = next(&mut third, 2).await;
        if protocol == "graphql-ws" {
            assert_eq!(json_of(&answer)["type"], "connection_error", "the legacy protocol's refusal first");
            answer = next(&mut third, 2).await;
        }
        assert_eq!(close_code(&answer), 4429, "{protocol}");
    }
    let mut other = open(&app, "graphql-transport-ws").await;
    init(&mut other, &app.token(seed::demo::SLUG, "someone-else", OrgRole::Viewer)).await;
    assert_eq!(json_of(&next(&mut other, 2).await)["type"], "connection_ack", "another subject is not counted");
    let mut first = held.remove(0);
    first.close(None).await.unwrap();
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = open(&app, "graphql-transport-ws").await;
    init(&mut again, &app.demo_admin()).await;
    assert_eq!(json_of(&next(&mut again, 2).await)["type"], "connection_ack", "a closed connection frees its place");
}

#[tokio::test]
async fn cors_answers_preflights_for_allowed_origins_only_and_never_allows_credentials() {
    let limits = Limits { cors_origins: vec!["https://dash.example".into()], ..Limits::default() };
    let app = demo_with(limits).await;
    let preflight = |origin: &str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization,content-type")
    };
    let allowed = preflight("https://dash.example").send().await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://dash.example");
    let headers = allowed.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"), "{headers}");
    assert!(!allowed.headers().contains_key("access-control-allow-credentials"));
    let foreign = preflight("https://evil.example").send().await.unwrap();
    assert!(!foreign.headers().contains_key("access-control-allow-origin"));
    let post = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("Origin", "https://dash.example")
        .bearer_auth(app.demo_admin())
        .json(&json!({ "query": "{ viewer { role } }" }));
    let answered = post.send().await.unwrap();
    assert_eq!(answered.headers()["access-control-allow-origin"], "https://dash.example");
}

#[tokio::test]
async fn without_configured_origins_there_are_no_cors_headers() {
    let app = TestApp::spawn_demo().await;
    let request = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("Origin", "https://dash.example")
        .bearer_auth(app.demo_admin())
        .json(&json!({ "query": "{ viewer { role } }" }));
    let response = request.send().await.unwrap();
    assert!(response.headers().keys().all(|name| !name.as_str().starts_with("access-control-")), "{response:?}");
}

#[tokio::test]
async fn html_pages_carry_a_content_security_policy_and_no_framing() {
    let app = TestApp::spawn().await;
    let graphiql = app.http.get(format!("{}/graphql", app.base)).header("Accept", "text/html").send().await.unwrap();
    let wall = app.http.get(format!("{}/wall", app.base)).send().await.unwrap();
    for page in [&graphiql, &wall] {
        let headers = page.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("default-src 'none'"), "{policy}");
        assert!(policy.contains("script-src") && policy.contains("'sha256-"), "{policy}");
        let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("'unsafe-inline'"), "inline scripts only by hash: {policy}");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
    }
    let policy = graphiql.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src https://unpkg.com 'sha256-"), "GraphiQL loads from unpkg: {policy}");
    let json = app.http.post(format!("{}/graphql", app.base)).json(&json!({ "query": "{ __typename }" })).send().await;
    assert_eq!(json.unwrap().headers()["x-content-type-options"], "nosniff", "on every response");
}
