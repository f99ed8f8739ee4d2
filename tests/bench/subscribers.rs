//! Many idle WebSocket subscribers on one Trellis process: memory per subscriber and
//! check-in-to-delivery latency. Run by `bench/subscribers` against a release server.
//!
//! Usage: `subscribers BASE_URL TOKEN OBJECTIVE_ID KEY_RESULT_ID SUBSCRIBERS CHECK_INS SERVER_PID`

use futures::{SinkExt, StreamExt};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use trellis_tests::load::Usage;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, token, objective, key_result, count, check_ins, pid] = &args[..] else {
        anyhow::bail!("usage: subscribers BASE_URL TOKEN OBJECTIVE_ID KEY_RESULT_ID SUBSCRIBERS CHECK_INS SERVER_PID");
    };
    let (count, check_ins, pid): (usize, usize, u32) = (count.parse()?, check_ins.parse()?, pid.parse()?);
    let before = Usage::of(pid).rss_kib;
    let ws_url = format!("{}/graphql/ws", base.replace("http://", "ws://"));
    let (sender, mut arrivals) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let (ready_tx, mut ready) = tokio::sync::mpsc::unbounded_channel::<()>();
    for _ in 0..count {
        let (url, token, objective, sender, ready_tx) =
            (ws_url.clone(), token.clone(), objective.clone(), sender.clone(), ready_tx.clone());
        tokio::spawn(async move {
            let mut request = url.into_client_request()?;
            request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
            let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
            let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
            socket.send(Message::Text(init.to_string().into())).await?;
            let query =
                "subscription($o: ID) { progressChanged(objectiveId: $o) { resync chain { objectiveId progress } } }";
            let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "o": objective } } });
            socket.send(Message::Text(subscribe.to_string().into())).await?;
            let _ = ready_tx.send(());
            while let Some(message) = socket.next().await {
                if let Message::Text(text) = message?
                    && text.contains("\"next\"")
                {
                    let _ = sender.send(Instant::now());
                }
            }
            anyhow::Ok(())
        });
    }
    for _ in 0..count {
        ready.recv().await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = Usage::of(pid).rss_kib;
    println!("subscribers: {count}; server RSS {before} KiB before, {idle} KiB with them idle");
    println!("memory per idle subscriber: {:.1} KiB", (idle.saturating_sub(before)) as f64 / count as f64);

    let http = reqwest::Client::new();
    let mut latencies = Vec::new();
    for i in 0..check_ins {
        let mutation = "mutation($i: CheckInInput!) { checkIn(input: $i) { keyResult { progress } } }";
        let input = json!({ "keyResultId": key_result, "value": 40 + (i % 15) as i64 });
        let sent = Instant::now();
        let response = http
            .post(format!("{base}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": mutation, "variables": { "i": input } }))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "check-in failed: {}", response.text().await?);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut received = 0;
        while received < count {
            match tokio::time::timeout_at(deadline, arrivals.recv()).await {
                Ok(Some(at)) => {
                    latencies.push(at.duration_since(sent));
                    received += 1;
                }
                _ => break,
            }
        }
        println!("check-in {}: {received}/{count} subscribers reached", i + 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    latencies.sort();
    let at = |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q) as usize).copied().unwrap_or_default();
    println!(
        "check-in to delivery: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} deliveries",
        at(0.5).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
        at(1.0).as_secs_f64() * 1000.0,
        latencies.len()
    );
    Ok(())
}
