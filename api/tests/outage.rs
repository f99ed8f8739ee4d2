//! The database going away and coming back: a TCP proxy in front of PostgreSQL that the
//! test cuts (closing every connection and refusing new ones) and restores. While it is
//! cut, `/readyz` answers 503 within a second and GraphQL fails fast with
//! SERVICE_UNAVAILABLE; both recover by themselves. A server started before its database
//! waits for it, within `--database-start-timeout-secs`.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod support;

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// A TCP proxy to PostgreSQL that can be cut and restored on the same port.
struct Proxy {
    addr: SocketAddr,
    upstream: String,
    accepting: Option<JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Self {
        let mut proxy = Proxy { addr: "127.0.0.1:0".parse().unwrap(), upstream: upstream.to_owned(), accepting: None };
        proxy.listen().await;
        proxy
    }

    async fn listen(&mut self) {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.addr).unwrap();
        let listener = socket.listen(64).unwrap();
        self.addr = listener.local_addr().unwrap();
        self.accepting = Some(tokio::spawn(relay(listener, self.upstream.clone())));
    }

    /// Closes every relayed connection and stops listening.
    fn cut(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
        }
    }

    async fn restore(&mut self) {
        self.listen().await;
    }
}

/// Accepts and relays until aborted; aborting it drops (closes) every connection too.
async fn relay(listener: TcpListener, upstream: String) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((mut client, _)) = listener.accept().await else { return };
        let upstream = upstream.clone();
        connections.spawn(async move {
            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
}

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> (String, String) {
    let after_at = url.rfind('@').unwrap() + 1;
    let path = url[after_at..].find('/').unwrap() + after_at;
    (format!("{}{addr}{}", &url[..after_at], &url[path..]), url[after_at..path].to_owned())
}

async fn ready(base: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = reqwest::get(format!("{base}/readyz")).await.unwrap().status().as_u16();
    (status, started.elapsed())
}

async fn organization(base: &str, token: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let (status, body) = support::graphql(base, token, json!({"query": "{ organization { name } }"})).await;
    (status, body, started.elapsed())
}

/// Polls `/readyz` every 100 ms until it answers `wanted`, for at most `seconds`.
async fn until_ready_is(base: &str, wanted: u16, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let (status, took) = ready(base).await;
        assert!(took < Duration::from_millis(1500), "/readyz answered in {took:?}");
        if status == wanted {
            return;
        }
        assert!(Instant::now() < deadline, "/readyz did not become {wanted} within {seconds} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// Multi-threaded: the proxy must relay while the test blocks on starting the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(trellis_postgres), ignore = "a TCP proxy in front of PostgreSQL: set TRELLIS_TEST_DATABASE_URL")]
async fn an_unreachable_database_fails_fast_and_recovers_by_itself() {
    let database = testdb::TestDatabase::create().await.unwrap();
    let (_, upstream) = through(&database.url, "127.0.0.1:1".parse().unwrap());
    let mut proxy = Proxy::start(&upstream).await;
    let (url, _) = through(&database.url, proxy.addr);
    let server = support::serve(&url, &["--demo"], &[]);
    let token = support::token("admin", "admin");
    let (status, body, _) = organization(&server.1, &token).await;
    assert_eq!((status, &body["data"]["organization"]["name"]), (200, &json!("Company X")), "{body}");
    assert_eq!(ready(&server.1).await.0, 200);

    proxy.cut();
    until_ready_is(&server.1, 503, 3).await;
    // A request may race the heartbeat once and wait out the pool's acquire timeout (5 s),
    // never the request timeout (30 s); once the outage is known, requests fail at once.
    for attempt in 0..3 {
        let (status, body, took) = organization(&server.1, &token).await;
        assert!(took < Duration::from_secs(7), "attempt {attempt} took {took:?}");
        if status == 503 {
            assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");
            break;
        }
    }
    let (status, body, took) = organization(&server.1, &token).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE", "{body}");
    assert!(took < Duration::from_millis(500), "failed fast, in {took:?}");

    proxy.restore().await;
    until_ready_is(&server.1, 200, 5).await;
    let (status, body, _) = organization(&server.1, &token).await;
    assert_eq!((status, &body["data"]["organization"]["name"]), (200, &json!("Company X")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(trellis_postgres), ignore = "a TCP proxy in front of PostgreSQL: set TRELLIS_TEST_DATABASE_URL")]
async fn a_server_started_before_its_database_waits_for_it_and_says_so() {
    let database = testdb::TestDatabase::create().await.unwrap();
    let (_, upstream) = through(&database.url, "127.0.0.1:1".parse().unwrap());
    let mut proxy = Proxy::start(&upstream).await;
    proxy.cut();
    let (url, _) = through(&database.url, proxy.addr);
    let starting = tokio::task::spawn_blocking(move || {
        support::serve_logged(&url, &["--demo", "--database-start-timeout-secs", "20"], &[("RUST_LOG", "warn")])
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    proxy.restore().await;
    let (server, log) = tokio::time::timeout(Duration::from_secs(15), starting).await.unwrap().unwrap();
    assert_eq!(ready(&server.1).await.0, 200);
    let log = log.lock().unwrap().clone();
    assert!(log.contains("the database does not answer yet; retrying"), "{log}");
}

#[test]
fn a_database_that_stays_away_ends_the_start_after_the_timeout_with_one_line() {
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", "postgres://postgres@127.0.0.1:1/x"])
        .args(["--database-start-timeout-secs", "2"])
        .env("TRELLIS_JWT_SECRET", support::SECRET)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot open database"), "{stderr}");
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(6), "gave up after {took:?}");
}

/// One request made during the outage test: when it started (from the cut), how long it
/// took, and its status.
#[derive(Debug, Clone, Copy)]
struct Made {
    at: f64,
    took: Duration,
    status: u16,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(trellis_postgres), ignore = "a TCP proxy in front of PostgreSQL: set TRELLIS_TEST_DATABASE_URL")]
async fn an_outage_under_load_fails_fast_then_recovers_and_subscribers_resync() {
    use futures::{SinkExt, StreamExt};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let database = testdb::TestDatabase::create().await.unwrap();
    let (_, upstream) = through(&database.url, "127.0.0.1:1".parse().unwrap());
    let mut proxy = Proxy::start(&upstream).await;
    let (url, _) = through(&database.url, proxy.addr);
    let env = [("TRELLIS_RATE_PER_SUBJECT", "0"), ("TRELLIS_RATE_PER_ADDRESS", "0")];
    let server = tokio::task::spawn_blocking(move || support::serve(&url, &["--demo"], &env)).await.unwrap();
    let base = server.1.clone();
    let token = support::token("admin", "admin");
    let found = organization(&base, &token).await;
    assert_eq!(found.0, 200, "{}", found.1);
    let search = r#"{ objectives(filter: { search: "sales cycle" }) { edges { node { keyResults { edges { node { id } } } } } } }"#;
    let (_, krs) = support::graphql(&base, &token, json!({ "query": search })).await;
    let kr = krs["data"]["objectives"]["edges"][0]["node"]["keyResults"]["edges"][0]["node"]["id"].clone();

    let mut request = format!("{}/graphql/ws", base.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    let _ack = socket.next().await;
    let query = "subscription($k: ID) { checkInRecorded(keyResultId: $k) { resync checkInId } }";
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"k": kr}}});
    socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let cut_at = Arc::new(Mutex::new(None::<Instant>));
    let made = Arc::new(Mutex::new(Vec::<Made>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..8 {
        let (base, token, made, stop, cut_at, kr) =
            (base.clone(), token.clone(), made.clone(), stop.clone(), cut_at.clone(), kr.clone());
        load.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let body = if worker < 2 {
                    let input = json!({"keyResultId": kr, "value": 40 + n % 5, "idempotencyKey": format!("o{worker}-{n}")});
                    json!({"query": "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }", "variables": {"i": input}})
                } else {
                    json!({"query": "{ objectives(first: 20) { edges { node { title progress keyResults { edges { node { progress } } } } } } }"})
                };
                let started = Instant::now();
                let sent = http.post(format!("{base}/graphql")).bearer_auth(&token).json(&body).send().await;
                let status = sent.map_or(0, |r| r.status().as_u16());
                let at = cut_at.lock().unwrap().map_or(-1.0, |cut| started.saturating_duration_since(cut).as_secs_f64());
                made.lock().unwrap().push(Made { at, took: started.elapsed(), status });
                if status != 200 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                n += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    *cut_at.lock().unwrap() = Some(Instant::now());
    let cut = Instant::now();
    proxy.cut();
    // The subscriber hears `resync` within a few seconds of the cut.
    let resynced = loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["payload"]["data"]["checkInRecorded"]["resync"] == true {
                break cut.elapsed();
            }
        }
    };
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(cut.elapsed())).await;
    proxy.restore().await;
    let restored = cut.elapsed();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in load {
        worker.await.unwrap();
    }
    let made = made.lock().unwrap().clone();
    let during: Vec<&Made> = made.iter().filter(|m| m.at >= 0.0 && m.at < restored.as_secs_f64()).collect();
    let slowest = during.iter().map(|m| m.took).max().unwrap_or_default();
    assert!(during.iter().all(|m| matches!(m.status, 200 | 503)), "only answers or 503 during the outage");
    assert!(slowest < Duration::from_secs(7), "no request waited for the request timeout: {slowest:?}");
    let recovered = made
        .iter()
        .filter(|m| m.at > restored.as_secs_f64() && m.status == 200)
        .map(|m| m.at - restored.as_secs_f64())
        .fold(f64::INFINITY, f64::min);
    assert!(recovered < 5.0, "served again {recovered:.1} s after the restore");
    // And the subscriber hears events again.
    let kr_value = json!({"keyResultId": kr, "value": 44.5});
    let mutation = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
    support::graphql(&base, &token, json!({"query": mutation, "variables": {"i": kr_value}})).await;
    let heard = loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["payload"]["data"]["checkInRecorded"]["checkInId"].is_string() {
                break value;
            }
        }
    };
    assert!(heard["payload"]["data"]["checkInRecorded"]["resync"] == false);
    let refused = during.iter().filter(|m| m.status == 503).count();
    println!(
        "outage of {restored:?} under load: {} requests during it ({refused} refused 503), slowest {slowest:?}; \
         resync after {resynced:?}; served again {recovered:.2} s after the restore",
        during.len()
    );
}
