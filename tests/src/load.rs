//! Load for the overload test, the overload benchmark and the soak run: a mix of team
//! dashboards and check-ins sent by a fixed number of clients (closed loop) or at a fixed
//! rate whatever the answers (open loop, how a burst of real users behaves), idle WebSocket
//! subscribers, and the server's memory and descriptors sampled from `/proc`.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const DASHBOARD: &str = "query($t: ID!, $c: ID!) { dashboard(teamId: $t, cycleId: $c) { statusCounts { green yellow red } \
    objectives { id title progress expectedProgress status keyResults { edges { node { id title currentValue progress status lastCheckInAt } } } } \
    dependsOn { note to { title } } dependedOnBy { note from { title } } } }";
const CHECK_IN: &str =
    "mutation($i: CheckInInput!) { checkIn(input: $i) { keyResult { progress } objective { progress } } }";
const SUBSCRIPTION: &str = "subscription($t: ID) { checkInRecorded(teamId: $t) { resync checkInId value } }";

/// What the load reads and writes in a generated organization, found through the API.
#[derive(Debug, Clone)]
pub struct Target {
    pub base: String,
    pub token: String,
    /// The dashboard read: a team and the cycle.
    pub team: String,
    pub cycle: String,
    /// Key results the check-ins rotate over.
    pub key_results: Vec<String>,
    /// A team none of those key results belongs to, for subscribers that stay idle.
    pub quiet_team: String,
    /// Teams of the organization (up to 100), for subscribers that come and go.
    pub teams: Vec<String>,
    bodies: Arc<std::sync::OnceLock<Vec<[String; 2]>>>,
}

impl Target {
    /// Looks the ids up in the organization `token` belongs to: the key results of its
    /// first `objectives` objectives, the team of the first, and a team outside them.
    pub async fn discover(base: &str, token: &str, objectives: usize) -> anyhow::Result<Target> {
        let http = reqwest::Client::new();
        let query = "query($n: Int) { objectives(first: $n) { edges { node { cycle { id } team { id } \
            keyResults { edges { node { id } } } } } } teams(first: 100) { edges { node { id } } } }";
        let body = post(&http, base, token, &json!({ "query": query, "variables": { "n": objectives } })).await?;
        let data = &body["data"];
        let nodes: Vec<&Value> =
            data["objectives"]["edges"].as_array().into_iter().flatten().map(|e| &e["node"]).collect();
        let first = nodes.first().ok_or_else(|| anyhow::anyhow!("the organization has no objectives: {body}"))?;
        let used: Vec<&str> = nodes.iter().filter_map(|n| n["team"]["id"].as_str()).collect();
        let teams: Vec<String> = data["teams"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
            .collect();
        let quiet_team = teams
            .iter()
            .find(|id| !used.contains(&id.as_str()))
            .ok_or_else(|| anyhow::anyhow!("every team has a key result under load"))?
            .clone();
        let key_results = nodes
            .iter()
            .flat_map(|n| n["keyResults"]["edges"].as_array().into_iter().flatten())
            .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
            .collect();
        let id = |v: &Value| v["id"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no id in {v}"));
        Ok(Target {
            base: base.to_owned(),
            token: token.to_owned(),
            team: id(&first["team"])?,
            cycle: id(&first["cycle"])?,
            key_results,
            quiet_team,
            teams,
            bodies: Arc::default(),
        })
    }

    /// The `n`th request of the mix, serialized once: even ones read the dashboard, odd ones
    /// check in on the next key result.
    fn request(&self, n: usize) -> (Kind, String) {
        let bodies = self.bodies.get_or_init(|| {
            let dashboard = json!({ "query": DASHBOARD, "variables": { "t": self.team, "c": self.cycle } });
            let check_ins = (0..self.key_results.len() * 3).map(|i| {
                let key_result = &self.key_results[i % self.key_results.len()];
                let input = json!({ "keyResultId": key_result, "value": 20 + (i % 7) * 10, "confidence": "ON_TRACK" });
                json!({ "query": CHECK_IN, "variables": { "i": input } })
            });
            check_ins.map(|c| [dashboard.to_string(), c.to_string()]).collect()
        });
        let pair = &bodies[(n / 2) % bodies.len()];
        if n.is_multiple_of(2) { (Kind::Read, pair[0].clone()) } else { (Kind::Write, pair[1].clone()) }
    }
}

async fn post(http: &reqwest::Client, base: &str, token: &str, body: &Value) -> anyhow::Result<Value> {
    let response = http.post(format!("{base}/graphql")).bearer_auth(token).json(body).send().await?;
    Ok(response.json().await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
}

/// How one request ended.
enum Outcome {
    Served(Served),
    Shed,
    Failed(String),
}

/// A request answered without errors.
#[derive(Debug, Clone, Copy)]
pub struct Served {
    kind: Kind,
    sent: Instant,
    took: Duration,
}

/// What a phase of load got back.
#[derive(Debug)]
pub struct Phase {
    started: Instant,
    pub elapsed: Duration,
    pub served: Vec<Served>,
    /// Refused with 503 `OVERLOADED`.
    pub shed: usize,
    /// Anything else, with the first few reasons.
    pub failed: usize,
    pub failures: Vec<String>,
    /// Open loop only: requests not sent because the client already had its most in flight.
    pub unsent: usize,
}

impl Phase {
    fn new() -> Phase {
        Phase {
            started: Instant::now(),
            elapsed: Duration::ZERO,
            served: Vec::new(),
            shed: 0,
            failed: 0,
            failures: Vec::new(),
            unsent: 0,
        }
    }

    fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Served(served) => self.served.push(served),
            Outcome::Shed => self.shed += 1,
            Outcome::Failed(why) => {
                self.failed += 1;
                if self.failures.len() < 5 {
                    self.failures.push(why);
                }
            }
        }
    }

    /// Requests answered without errors per second.
    pub fn rate(&self) -> f64 {
        self.served.len() as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    /// Check-ins recorded per second.
    pub fn write_rate(&self) -> f64 {
        self.served.iter().filter(|s| s.kind == Kind::Write).count() as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    /// The `q` quantile (0..=1) of the latencies of the requests served.
    pub fn latency(&self, q: f64) -> Duration {
        quantile(self.served.iter().map(|s| s.took), q)
    }

    /// The `q` quantile of the latencies of the requests sent in the first or the second
    /// half of the phase: a queue shows as a second half slower than the first.
    pub fn latency_in_half(&self, second: bool, q: f64) -> Duration {
        let middle = self.started + self.elapsed / 2;
        quantile(self.served.iter().filter(|s| (s.sent >= middle) == second).map(|s| s.took), q)
    }

    /// What went wrong, if anything: counts and the first reasons.
    pub fn trouble(&self) -> Option<String> {
        (self.failed + self.unsent > 0).then(|| {
            format!("{} failed, {} not sent (the client's limit); first: {:?}", self.failed, self.unsent, self.failures)
        })
    }

    /// One Markdown table row: name, offered, served/s, check-ins/s, shed, failed, p50, p99, max.
    pub fn row(&self, name: &str, offered: &str) -> String {
        let ms = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1000.0);
        format!(
            "| {name} | {offered} | {:.0} | {:.0} | {} | {} | {} | {} | {} |",
            self.rate(),
            self.write_rate(),
            self.shed,
            self.failed + self.unsent,
            ms(self.latency(0.5)),
            ms(self.latency(0.99)),
            ms(self.latency(1.0)),
        )
    }
}

fn quantile(latencies: impl Iterator<Item = Duration>, q: f64) -> Duration {
    let mut all: Vec<Duration> = latencies.collect();
    all.sort();
    all.get(((all.len().max(1) - 1) as f64 * q).round() as usize).copied().unwrap_or_default()
}

/// The header of [`Phase::row`]'s table.
pub const TABLE_HEADER: &str = "| phase | offered | served/s | check-ins/s | shed (503) | failed | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|---|";

async fn send(http: &reqwest::Client, target: &Target, n: usize) -> Outcome {
    let (kind, body) = target.request(n);
    let started = Instant::now();
    let request = http
        .post(format!("{}/graphql", target.base))
        .bearer_auth(&target.token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => return Outcome::Failed(format!("no answer: {e}")),
    };
    let status = response.status();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) => return Outcome::Failed(format!("{status}: unreadable body: {e}")),
    };
    // Looking for the key instead of parsing every answer keeps the client's share of
    // the machine small.
    let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    match status.as_u16() {
        503 if has(b"\"OVERLOADED\"") => Outcome::Shed,
        200 if !has(b"\"errors\"") => Outcome::Served(Served { kind, sent: started, took: started.elapsed() }),
        _ => Outcome::Failed(format!("{status}: {}", String::from_utf8_lossy(&body))),
    }
}

fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

/// `clients` clients each sending the mix one request after another for `duration`.
pub async fn closed_loop(target: &Target, clients: usize, duration: Duration) -> Phase {
    let http = client(clients);
    let next = Arc::new(AtomicUsize::new(0));
    let mut phase = Phase::new();
    let deadline = phase.started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..clients {
        let (http, target, next) = (http.clone(), target.clone(), next.clone());
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            while Instant::now() < deadline {
                outcomes.push(send(&http, &target, next.fetch_add(1, Ordering::Relaxed)).await);
            }
            outcomes
        });
    }
    while let Some(outcomes) = tasks.join_next().await {
        outcomes.into_iter().flatten().for_each(|o| phase.record(o));
    }
    phase.elapsed = phase.started.elapsed().max(duration);
    phase
}

/// The mix sent at `rate` requests a second for `duration`, each request on its own,
/// whether or not earlier ones have been answered; at most `max_in_flight` at once (a
/// request due beyond that counts as unsent).
pub async fn open_loop(target: &Target, rate: f64, duration: Duration, max_in_flight: usize) -> Phase {
    let http = client(max_in_flight);
    let places = Arc::new(tokio::sync::Semaphore::new(max_in_flight));
    let mut phase = Phase::new();
    let mut tasks = JoinSet::new();
    let started = phase.started;
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sent = 0usize;
    while started.elapsed() < duration {
        ticker.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as usize;
        while sent < due {
            match places.clone().try_acquire_owned() {
                Ok(place) => {
                    let (http, target) = (http.clone(), target.clone());
                    tasks.spawn(async move {
                        let outcome = send(&http, &target, sent).await;
                        drop(place);
                        outcome
                    });
                }
                Err(_) => phase.unsent += 1,
            }
            sent += 1;
        }
        while let Some(joined) = tasks.try_join_next() {
            if let Ok(outcome) = joined {
                phase.record(outcome);
            }
        }
    }
    while let Some(outcome) = tasks.join_next().await {
        if let Ok(outcome) = outcome {
            phase.record(outcome);
        }
    }
    phase.elapsed = duration;
    phase
}

/// WebSocket subscribers held open; they count the events and the resyncs they receive.
pub struct Subscribers {
    open: Arc<AtomicUsize>,
    events: Arc<AtomicUsize>,
    resyncs: Arc<AtomicUsize>,
    _tasks: JoinSet<()>,
}

impl Subscribers {
    /// `count` subscribers to the check-ins of `team`, each on its own socket, all
    /// acknowledged (their subscription started) when this returns.
    pub async fn hold(base: &str, token: &str, team: &str, count: usize) -> anyhow::Result<Subscribers> {
        let url = format!("{}/graphql/ws", base.replace("http://", "ws://"));
        let (open, events, resyncs): (Arc<AtomicUsize>, Arc<AtomicUsize>, Arc<AtomicUsize>) = Default::default();
        let (ready, mut readies) = tokio::sync::mpsc::unbounded_channel::<anyhow::Result<()>>();
        let mut tasks = JoinSet::new();
        let gate = Arc::new(tokio::sync::Semaphore::new(64));
        for _ in 0..count {
            let (url, token, team) = (url.clone(), token.to_owned(), team.to_owned());
            let (open, events, resyncs) = (Arc::clone(&open), Arc::clone(&events), Arc::clone(&resyncs));
            let (ready, gate) = (ready.clone(), gate.clone());
            tasks.spawn(async move {
                let connecting = gate.acquire_owned().await;
                let socket = subscribe(&url, &token, &team).await;
                drop(connecting);
                let mut socket = match socket {
                    Ok(socket) => socket,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                open.fetch_add(1, Ordering::SeqCst);
                let _ = ready.send(Ok(()));
                while let Some(Ok(message)) = socket.next().await {
                    if let Message::Text(text) = message
                        && text.contains("\"next\"")
                    {
                        // An answer with errors is not an event: it counts as neither and
                        // ends the subscriber, so that `open` shows it.
                        if text.contains("\"errors\"") {
                            break;
                        }
                        let counter = if text.contains("\"resync\":true") { &resyncs } else { &events };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
        for _ in 0..count {
            readies.recv().await.ok_or_else(|| anyhow::anyhow!("a subscriber task ended"))??;
        }
        Ok(Subscribers { open, events, resyncs, _tasks: tasks })
    }

    /// Sockets still open.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Events received by all of them, resyncs aside.
    pub fn events(&self) -> usize {
        self.events.load(Ordering::Relaxed)
    }

    /// Resyncs received by all of them: the times one fell too far behind the events.
    pub fn resyncs(&self) -> usize {
        self.resyncs.load(Ordering::Relaxed)
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscribe(url: &str, token: &str, team: &str) -> anyhow::Result<Socket> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await?;
    match socket.next().await {
        Some(Ok(Message::Text(text))) if text.contains("connection_ack") => {}
        other => anyhow::bail!("no connection_ack: {other:?}"),
    }
    let start =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION, "variables": { "t": team } } });
    socket.send(Message::Text(start.to_string().into())).await?;
    Ok(socket)
}

/// What `/proc` says about a process: resident memory (KiB), open
/// descriptors and TCP sockets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub rss_kib: u64,
    pub fds: usize,
    pub sockets: usize,
}

impl Usage {
    pub fn of(pid: u32) -> Usage {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let links: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| {
                d.flatten().filter_map(|e| std::fs::read_link(e.path()).ok()).map(|l| l.display().to_string()).collect()
            })
            .unwrap_or_default();
        let sockets = links.iter().filter(|l| l.starts_with("socket:")).count();
        Usage { rss_kib: field("VmRSS:"), fds: links.len(), sockets }
    }

    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }
}

/// Samples [`Usage`] of `pid` every `every` until dropped; [`Sampler::highest_mib`] is the
/// largest resident memory seen.
pub struct Sampler {
    highest: Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    pub fn start(pid: u32, every: Duration) -> Sampler {
        let highest = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = highest.clone();
        let task = tokio::spawn(async move {
            loop {
                seen.fetch_max(Usage::of(pid).rss_kib, Ordering::Relaxed);
                tokio::time::sleep(every).await;
            }
        });
        Sampler { highest, task }
    }

    /// The largest resident memory seen so far, in MiB.
    pub fn highest_mib(&self) -> f64 {
        self.highest.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How [`overload`] loads the server.
#[derive(Debug, Clone)]
pub struct Overload {
    /// Each phase's length.
    pub phase: Duration,
    /// Clients of the sustainable load (closed loop), before and after the burst.
    pub clients: usize,
    /// The burst's rate as a multiple of the sustainable rate.
    pub factor: f64,
    /// Idle WebSocket subscribers held through all phases.
    pub subscribers: usize,
    /// The most requests the burst keeps in flight.
    pub max_in_flight: usize,
}

/// What [`overload`] measured.
#[derive(Debug)]
pub struct OverloadReport {
    pub settings: Overload,
    pub sustainable: Phase,
    pub burst: Phase,
    pub recovery: Phase,
    /// Server memory (MiB): before the subscribers, with them idle, the most during the
    /// burst, after the recovery.
    pub rss_before: f64,
    pub rss_idle: f64,
    pub rss_burst: f64,
    pub rss_after: f64,
    pub subscribers_open: usize,
    /// Events the idle subscribers received (none of their team's key results is written).
    pub idle_events: usize,
    pub idle_resyncs: usize,
    /// Check-ins a subscriber of the team under load heard (the check-ins are spread over
    /// more teams than that one).
    pub watched_events: usize,
}

/// The sustainable load of the dashboard-and-check-in mix (`clients` in a closed loop),
/// then `factor` times its rate in an open loop, then the sustainable load again, all
/// with `subscribers` idle subscribers connected to the server `pid`.
pub async fn overload(target: &Target, pid: u32, settings: Overload) -> anyhow::Result<OverloadReport> {
    let rss_before = Usage::of(pid).rss_mib();
    let subscribers = Subscribers::hold(&target.base, &target.token, &target.quiet_team, settings.subscribers).await?;
    let watcher = Subscribers::hold(&target.base, &target.token, &target.team, 1).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = Usage::of(pid).rss_mib();
    let sustainable = closed_loop(target, settings.clients, settings.phase).await;
    let sampler = Sampler::start(pid, Duration::from_millis(50));
    let burst = open_loop(target, sustainable.rate() * settings.factor, settings.phase, settings.max_in_flight).await;
    let rss_burst = sampler.highest_mib();
    let recovery = closed_loop(target, settings.clients, settings.phase).await;
    Ok(OverloadReport {
        rss_after: Usage::of(pid).rss_mib(),
        subscribers_open: subscribers.open(),
        idle_events: subscribers.events(),
        idle_resyncs: subscribers.resyncs(),
        watched_events: watcher.events(),
        settings,
        sustainable,
        burst,
        recovery,
        rss_before,
        rss_idle,
        rss_burst,
    })
}

impl OverloadReport {
    /// The phases as a Markdown table and the memory and subscribers below it.
    pub fn markdown(&self) -> String {
        let s = &self.settings;
        let offered = format!("{:.0}/s ({}×)", self.sustainable.rate() * s.factor, s.factor);
        let closed = format!("{} clients", s.clients);
        format!(
            "{TABLE_HEADER}\n{}\n{}\n{}\n\nServer memory: {:.0} MiB before the subscribers, {:.0} MiB with {} idle \
             subscribers, at most {:.0} MiB during the burst, {:.0} MiB after it. Subscribers still connected: {} of {}; \
             events they received: {}, resyncs: {}. A subscriber of the dashboard's team heard {} check-ins.\n",
            self.sustainable.row("sustainable", &closed),
            self.burst.row("burst", &offered),
            self.recovery.row("recovery", &closed),
            self.rss_before,
            self.rss_idle,
            s.subscribers,
            self.rss_burst,
            self.rss_after,
            self.subscribers_open,
            s.subscribers,
            self.idle_events,
            self.idle_resyncs,
            self.watched_events,
        ) + &[&self.sustainable, &self.burst, &self.recovery]
            .iter()
            .filter_map(|p| p.trouble())
            .map(|t| format!("\n{t}\n"))
            .collect::<String>()
    }
}

/// How [`soak`] loads the server.
#[derive(Debug, Clone)]
pub struct Soak {
    pub duration: Duration,
    /// Clients sending the dashboard-and-check-in mix, one request after another.
    pub clients: usize,
    /// Subscribers opened each second, each batch on another team, and closed (without a
    /// goodbye, as a closed laptop does) once `live` newer ones are open.
    pub churn: usize,
    pub live: usize,
    /// How often the server is sampled.
    pub every: Duration,
}

/// The server at one moment of a soak.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Duration,
    pub usage: Usage,
    /// From `/metrics`: pool connections (all, and those checked out), open subscription
    /// streams, event channels.
    pub pool: f64,
    pub pool_in_use: f64,
    pub subscriptions: f64,
    pub topics: f64,
}

/// What [`soak`] saw.
#[derive(Debug)]
pub struct SoakReport {
    pub settings: Soak,
    pub load: Phase,
    pub samples: Vec<Sample>,
    /// Once every subscriber is gone and the server has had a moment.
    pub after: Sample,
    pub subscribers_opened: usize,
}

/// A mixed run of `settings.duration`: the dashboard-and-check-in mix, subscribers coming
/// and going, the server `pid` sampled throughout.
pub async fn soak(target: &Target, pid: u32, settings: Soak) -> anyhow::Result<SoakReport> {
    let started = Instant::now();
    let load = closed_loop(target, settings.clients, settings.duration);
    let churn = churn(target, &settings);
    let sampling = async {
        let mut samples = Vec::new();
        while started.elapsed() < settings.duration {
            samples.push(sample(&target.base, pid, started).await);
            tokio::time::sleep(settings.every).await;
        }
        samples
    };
    let (load, opened, samples) = tokio::join!(load, churn, sampling);
    let opened = opened?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = sample(&target.base, pid, started).await;
    Ok(SoakReport { settings, load, samples, after, subscribers_opened: opened })
}

async fn churn(target: &Target, settings: &Soak) -> anyhow::Result<usize> {
    let deadline = Instant::now() + settings.duration;
    let mut batches = std::collections::VecDeque::new();
    let mut opened = 0;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    while Instant::now() < deadline {
        ticker.tick().await;
        let team = &target.teams[opened / settings.churn.max(1) % target.teams.len()];
        batches.push_back(Subscribers::hold(&target.base, &target.token, team, settings.churn).await?);
        opened += settings.churn;
        while batches.len() * settings.churn > settings.live {
            batches.pop_front();
        }
    }
    Ok(opened)
}

async fn sample(base: &str, pid: u32, started: Instant) -> Sample {
    let metrics = reqwest::get(format!("{base}/metrics")).await.ok();
    let text = match metrics {
        Some(response) => response.text().await.unwrap_or_default(),
        None => String::new(),
    };
    let sum = |name: &str| -> f64 {
        text.lines()
            .filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with([' ', '{'])))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let in_use = r#"trellis_db_pool_connections{state="in_use"}"#;
    Sample {
        at: started.elapsed(),
        usage: Usage::of(pid),
        pool: sum("trellis_db_pool_connections"),
        pool_in_use: sum(in_use),
        subscriptions: sum("trellis_subscriptions_open"),
        topics: sum("trellis_event_topics"),
    }
}

impl SoakReport {
    /// How much `of` grew from the second quarter of the run to the last (the first is
    /// warm-up): the mean of the last quarter minus that of the second.
    pub fn growth(&self, of: impl Fn(&Sample) -> f64) -> f64 {
        let n = self.samples.len();
        let mean = |part: &[Sample]| part.iter().map(&of).sum::<f64>() / part.len().max(1) as f64;
        mean(&self.samples[n * 3 / 4..]) - mean(&self.samples[n / 4..n / 2])
    }

    /// The most `of` reached during the run.
    pub fn highest(&self, of: impl Fn(&Sample) -> f64) -> f64 {
        self.samples.iter().map(of).fold(0.0, f64::max)
    }

    pub fn markdown(&self) -> String {
        let rss = |s: &Sample| s.usage.rss_mib();
        let fds = |s: &Sample| s.usage.fds as f64;
        let sockets = |s: &Sample| s.usage.sockets as f64;
        let row = |name: &str, of: &dyn Fn(&Sample) -> f64| {
            let first = self.samples.get(self.samples.len() / 4).map_or(0.0, of);
            format!(
                "| {name} | {first:.0} | {:.0} | {:+.1} | {:.0} |",
                self.highest(of),
                self.growth(of),
                of(&self.after)
            )
        };
        format!(
            "{} requests ({:.0}/s, {} check-ins, {} failed; p50 {:.0} ms, p99 {:.0} ms), {} subscribers opened and \
             closed, {} samples.\n\n| measure | after warm-up | highest | growth, last quarter vs second | after the run |\n\
             |---|---|---|---|---|\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.load.served.len(),
            self.load.rate(),
            self.load.served.iter().filter(|s| s.kind == Kind::Write).count(),
            self.load.failed,
            self.load.latency(0.5).as_secs_f64() * 1000.0,
            self.load.latency(0.99).as_secs_f64() * 1000.0,
            self.subscribers_opened,
            self.samples.len(),
            row("resident memory, MiB", &rss),
            row("file descriptors", &fds),
            row("sockets", &sockets),
            row("database pool connections", &|s| s.pool),
            row("of them checked out", &|s| s.pool_in_use),
            row("open subscriptions", &|s| s.subscriptions),
            row("event channels", &|s| s.topics),
        )
    }
}
