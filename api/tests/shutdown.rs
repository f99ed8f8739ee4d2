//! Stopping: SIGTERM lets a request in flight finish, closes WebSockets with 1001, ends
//! SSE streams with `complete`, refuses new connections and exits 0.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod support;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A WebSocket with a running subscription.
async fn subscribed(base: &str, token: &str) -> Socket {
    let mut request = format!("{}/graphql/ws", base.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let mut socket = tokio_tungstenite::connect_async(request).await.unwrap().0;
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    let ack = next(&mut socket).await;
    assert!(matches!(&ack, Message::Text(t) if t.contains("connection_ack")), "{ack:?}");
    let subscribe =
        json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { changes { __typename } }"}});
    socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    socket
}

/// The next message that is not a ping, within 10 s.
async fn next(socket: &mut Socket) -> Message {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a message in time") {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return message,
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    }
}

/// A POST whose headers and half of whose body are sent; the rest is up to the test.
async fn half_sent(base: &str, token: &str, body: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: trellis\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    (stream, rest.to_owned())
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_closes_subscriptions_and_exits_0() {
    let database = testdb::TestDatabase::sqlite();
    let mut server = support::serve(&database.url, &["--demo", "--shutdown-grace-secs", "15"], &[]);
    let base = server.1.clone();
    let token = support::token("admin", "admin");
    let mut socket = subscribed(&base, &token).await;
    let sse = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .header("Accept", "text/event-stream")
        .json(&json!({"query": "subscription { changes { __typename } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let (mut slow, rest) = half_sent(&base, &token, r#"{"query": "{ organization { name } }"}"#).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.terminate();

    let closed = next(&mut socket).await;
    let Message::Close(Some(frame)) = closed else { panic!("a close frame, got {closed:?}") };
    assert_eq!(u16::from(frame.code), 1001, "going away");
    let streamed = tokio::time::timeout(Duration::from_secs(10), sse.text()).await.unwrap().unwrap();
    assert!(streamed.contains("event: complete"), "the SSE stream ends with complete: {streamed:?}");
    let refused = TcpStream::connect(base.trim_start_matches("http://")).await;
    assert!(refused.is_err(), "no new connections once stopping");

    slow.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "the request in flight is answered: {answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["data"]["organization"]["name"], "Company X");

    let status = server.exited_within(10).expect("trellis exits once the last request is answered");
    assert!(status.success(), "exit 0: {status:?}");
}

#[tokio::test]
async fn a_request_that_outlasts_the_grace_period_is_cut_and_the_process_still_exits() {
    let database = testdb::TestDatabase::sqlite();
    let mut server = support::serve(&database.url, &["--demo", "--shutdown-grace-secs", "1"], &[]);
    let token = support::token("admin", "admin");
    let (_never_finished, _) = half_sent(&server.1, &token, r#"{"query": "{ organization { name } }"}"#).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.terminate();
    let status = server.exited_within(5).expect("trellis exits when the grace period is over");
    assert!(status.success(), "exit 0: {status:?}");
}
