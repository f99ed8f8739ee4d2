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
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({"query": "{ organization { name } }"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap(), started.elapsed())
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
