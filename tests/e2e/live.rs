//! Live updates: subscriptions over WebSocket (both subprotocols) and Server-Sent
//! Events, across replicas, scoped to the subscriber's organization.

use crate::check_ins::{CHECK_IN, demo, member, progress};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use service::OrgRole;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use trellis_tests::TestApp;

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const PROGRESS: &str = "subscription($o: ID) { progressChanged(objectiveId: $o) {
    resync keyResultId keyResultProgress currentValue chain { objectiveId progress expectedProgress status } } }";

pub(crate) async fn connect(app: &TestApp, protocol: &str, token: &str) -> Socket {
    let url = format!("{}/graphql/ws", app.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
}

/// The next GraphQL message (pings and pongs skipped), within one second.
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(1), socket.next()).await.expect("a message within 1 s");
        if let Some(Ok(Message::Text(text))) = message {
            return serde_json::from_str(&text).unwrap();
        }
        assert!(matches!(message, Some(Ok(Message::Ping(_) | Message::Pong(_)))), "{message:?}");
    }
}

async fn subscribe(socket: &mut Socket, start: &str, company: &Value) {
    let payload = json!({ "query": PROGRESS, "variables": { "o": company } });
    let message = json!({ "id": "1", "type": start, "payload": payload });
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
    // Let the subscription reach the bus before the write happens.
    tokio::time::sleep(Duration::from_millis(150)).await;
}

async fn check_in(app: &TestApp, key_result: &Value, value: f64) {
    app.data(&member(app, "sid"), CHECK_IN, json!({ "input": { "keyResultId": key_result, "value": value } })).await;
}

/// The company objective's figures in a progress event.
fn company_in(event: &Value, company: &Value) -> Value {
    let chain = event["payload"]["data"]["progressChanged"]["chain"].as_array().unwrap().clone();
    chain.into_iter().find(|f| f["objectiveId"] == *company).expect("the company objective is in the chain")
}

#[tokio::test]
async fn a_wall_display_of_the_company_objective_moves_when_sales_checks_in() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let mut socket = connect(&app, "graphql-transport-ws", &app.demo_admin()).await;
    subscribe(&mut socket, "subscribe", &ids.company).await;
    check_in(&app, &ids.lead_time, 35.0).await;
    let event = next_json(&mut socket).await;
    assert_eq!(event["type"], "next", "{event}");
    let figures = &event["payload"]["data"]["progressChanged"];
    assert_eq!(figures["resync"], false);
    assert_eq!(figures["keyResultId"], ids.lead_time);
    assert_eq!(figures["currentValue"], 35.0);
    let company = company_in(&event, &ids.company);
    assert!((company["progress"].as_f64().unwrap() - progress(&app, &ids.company).await).abs() < 1e-9);
    // Every objective of the chain shows what a query for it shows.
    let read = "query($id: ID!) { objective(id: $id) { progress expectedProgress status } }";
    let chain = figures["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 2, "the sales objective and the company objective");
    for shown in chain {
        let stored = &app.data(&app.demo_admin(), read, json!({ "id": shown["objectiveId"] })).await["objective"];
        assert_eq!(shown["status"], stored["status"]);
        assert!((shown["progress"].as_f64().unwrap() - stored["progress"].as_f64().unwrap()).abs() < 1e-9);
        let expected = shown["expectedProgress"].as_f64().unwrap();
        assert!((expected - stored["expectedProgress"].as_f64().unwrap()).abs() < 1e-4, "{shown} vs {stored}");
    }
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_works_too() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let mut socket = connect(&app, "graphql-ws", &app.demo_admin()).await;
    subscribe(&mut socket, "start", &ids.company).await;
    check_in(&app, &ids.conversion, 50.0).await;
    let event = next_json(&mut socket).await;
    assert_eq!(event["type"], "data", "{event}");
    company_in(&event, &ids.company);
}

#[tokio::test]
async fn a_websocket_without_a_valid_token_is_refused() {
    let app = TestApp::spawn_demo().await;
    let url = format!("{}/graphql/ws", app.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": "Bearer not-a-token" } });
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(1), socket.next()).await.unwrap();
    assert!(matches!(answer, Some(Ok(Message::Close(_))) | None), "{answer:?}");
}

#[tokio::test]
async fn a_subscription_needs_a_filter_and_sees_only_its_organization() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let mut outsider = connect(&app, "graphql-transport-ws", &app.token("rival", "eve", OrgRole::Admin)).await;
    let unfiltered = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { progressChanged { resync } }" } });
    outsider.send(Message::Text(unfiltered.to_string().into())).await.unwrap();
    let refused = next_json(&mut outsider).await;
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    // The refused subscription ends.
    let ended = next_json(&mut outsider).await;
    assert_eq!(ended["type"], "complete", "{ended}");
    // Subscribed to a foreign objective id, the outsider still hears nothing of Company X.
    subscribe(&mut outsider, "subscribe", &ids.company).await;
    check_in(&app, &ids.lead_time, 36.0).await;
    let silence = tokio::time::timeout(Duration::from_millis(500), outsider.next()).await;
    assert!(silence.is_err(), "no event crosses organizations: {silence:?}");
}

#[tokio::test]
async fn progress_streams_over_server_sent_events() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let response = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(app.demo_admin())
        .header("Accept", "text/event-stream")
        .json(&json!({ "query": PROGRESS, "variables": { "o": ids.company } }))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut body = response.bytes_stream();
    tokio::time::sleep(Duration::from_millis(150)).await;
    check_in(&app, &ids.lead_time, 37.0).await;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while !text.contains("\n\n") || !text.contains("event: next") {
        let chunk =
            tokio::time::timeout_at(deadline, body.next()).await.expect("an event within 1 s").unwrap().unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    let wrapped = json!({ "payload": event });
    company_in(&wrapped, &ids.company);
}

/// The subscriber sits on a second server sharing the database, with its own listener.
/// (SQLite serves one process, so there is no second server to have.)
#[tokio::test]
#[cfg_attr(not(trellis_postgres), ignore = "PostgreSQL only: SQLite serves one process")]
async fn a_check_in_on_one_replica_reaches_a_subscriber_on_another() {
    let app = TestApp::spawn_demo().await;
    let replica = app.replica().await;
    let ids = demo(&app).await;
    let mut socket = connect(&replica, "graphql-transport-ws", &app.demo_admin()).await;
    subscribe(&mut socket, "subscribe", &ids.company).await;
    check_in(&app, &ids.lead_time, 33.0).await;
    let event = next_json(&mut socket).await;
    assert_eq!(event["type"], "next", "{event}");
    let company = company_in(&event, &ids.company);
    assert!((company["progress"].as_f64().unwrap() - progress(&app, &ids.company).await).abs() < 1e-9);
}

#[tokio::test]
async fn the_wall_page_is_self_contained() {
    let app = TestApp::spawn().await;
    let response = app.http.get(format!("{}/wall?team=x", app.base)).send().await.unwrap();
    assert_eq!(response.status(), trellis_tests::StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(page.contains("/graphql/ws") && page.contains("progressChanged"));
    assert!(!page.contains("src=\"http") && !page.contains("<link"), "no external scripts or styles");
}

/// A listener that loses its connection reconnects and tells subscribers to refetch, then
/// delivers again. (SQLite has no listener: one process, no connection to lose.)
#[tokio::test]
#[cfg_attr(not(trellis_postgres), ignore = "PostgreSQL only: SQLite has no listener")]
async fn a_lost_listener_connection_sends_resync_and_events_flow_again() {
    let admin_url = testdb::postgres_admin_url().unwrap();
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let mut socket = connect(&app, "graphql-transport-ws", &app.demo_admin()).await;
    subscribe(&mut socket, "subscribe", &ids.company).await;
    let database = app.database_url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    let kill = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND query LIKE 'LISTEN%'"
    );
    sea_orm::ConnectionTrait::execute_unprepared(&admin, &kill).await.unwrap();
    let resync = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Ok(Message::Text(text))) = socket.next().await {
                return serde_json::from_str::<Value>(&text).unwrap();
            }
        }
    })
    .await
    .expect("a resync after the listener lost its connection");
    assert_eq!(resync["payload"]["data"]["progressChanged"]["resync"], true, "{resync}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    check_in(&app, &ids.lead_time, 34.0).await;
    // A second resync comes when the listener is back (for what was sent in between).
    let event = loop {
        let event = next_json(&mut socket).await;
        if event["payload"]["data"]["progressChanged"]["resync"] != true {
            break event;
        }
    };
    company_in(&event, &ids.company);
}
