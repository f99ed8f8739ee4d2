//! Two `trellis` processes on one database: a check-in recorded through one reaches a
//! subscriber of the other, over WebSocket and over Server-Sent Events, within one
//! second, with the company objective's rolled-up figures. On PostgreSQL (set
//! `TRELLIS_TEST_DATABASE_URL`) the processes share a fresh database and each runs its own
//! listener; SQLite serves one process, so there both subscribers use the same process.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

mod support;

use support::{Server, data, token};

fn start(url: &str, demo: bool) -> Server {
    support::serve(url, if demo { &["--demo"] } else { &[] }, &[])
}

#[tokio::test]
async fn a_check_in_through_one_process_reaches_subscribers_of_another_within_a_second() {
    // Declared first, dropped last: the servers stop before their database goes.
    let database = testdb::TestDatabase::create().await.unwrap();
    let writer = start(&database.url, true);
    let reader = if database.is_postgres() { Some(start(&database.url, false)) } else { None };
    let subscriber_base = reader.as_ref().map_or(writer.1.clone(), |r| r.1.clone());
    let admin = token("dana", "admin");
    let ids = data(&writer.1, &admin, r#"{ company: objectives(filter: { search: "revenue back" }) { edges { node { id } } }
        sales: objectives(filter: { search: "sales cycle" }) { edges { node { keyResults { edges { node { id } } } } } } }"#, json!({})).await;
    let company = ids["company"]["edges"][0]["node"]["id"].clone();
    let key_result = ids["sales"]["edges"][0]["node"]["keyResults"]["edges"][0]["node"]["id"].clone();
    let query = "subscription($o: ID) { progressChanged(objectiveId: $o) { chain { objectiveId progress } } }";

    let mut request =
        format!("{}/graphql/ws", subscriber_base.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {admin}") } });
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    let _ack = socket.next().await;
    let subscribe =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "o": company } } });
    socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    let sse = reqwest::Client::new()
        .post(format!("{subscriber_base}/graphql"))
        .bearer_auth(&admin)
        .header("Accept", "text/event-stream")
        .json(&json!({ "query": query, "variables": { "o": company } }))
        .send()
        .await
        .unwrap();
    let mut sse = sse.bytes_stream();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let check_in =
        "mutation($k: ID!) { checkIn(input: { keyResultId: $k, value: 33 }) { objective { parent { id progress } } } }";
    let recorded = data(&writer.1, &token("sid", "member"), check_in, json!({ "k": key_result })).await;
    let rolled_up = recorded["checkIn"]["objective"]["parent"]["progress"].as_f64().unwrap();
    let figures = |data: &Value| {
        let chain = data["progressChanged"]["chain"].as_array().unwrap().clone();
        chain.into_iter().find(|f| f["objectiveId"] == company).unwrap()["progress"].as_f64().unwrap()
    };

    let websocket = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            if let Some(Ok(Message::Text(text))) = socket.next().await {
                let message: Value = serde_json::from_str(&text).unwrap();
                if message["type"] == "next" {
                    return message["payload"]["data"].clone();
                }
            }
        }
    })
    .await
    .expect("the WebSocket subscriber hears the check-in within a second");
    assert!((figures(&websocket) - rolled_up).abs() < 1e-9);

    let streamed = tokio::time::timeout(Duration::from_secs(1), async {
        let mut text = String::new();
        loop {
            text.push_str(&String::from_utf8_lossy(&sse.next().await.unwrap().unwrap()));
            if let Some(data) = text.lines().find_map(|l| l.strip_prefix("data: ").filter(|d| d.contains("chain"))) {
                return serde_json::from_str::<Value>(data).unwrap()["data"].clone();
            }
        }
    })
    .await
    .expect("the SSE subscriber hears the check-in within a second");
    assert!((figures(&streamed) - rolled_up).abs() < 1e-9);
}
