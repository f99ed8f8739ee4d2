//! Metrics in Prometheus' text format at `/metrics`, through the `metrics` facade and its
//! Prometheus exporter (one recorder per process). Label values are bounded: operation
//! names are kept for the first [`MAX_OPERATION_NAMES`] seen, later ones and unnamed
//! operations share one label, and no label ever holds an id.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Distinct operation names that get a label of their own.
pub const MAX_OPERATION_NAMES: usize = 200;
/// Longest operation name kept in a label.
const MAX_NAME_LENGTH: usize = 64;
/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static NAMES: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

/// The process's recorder, installed on first use (the test harness starts many servers
/// in one process; they share it). `None` if another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), &LATENCY_BUCKETS)
                .ok()?;
            let handle = builder.install_recorder().ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "trellis_graphql_requests_total",
        "GraphQL operations by name, type and outcome (ok or the error code)."
    );
    describe_histogram!(
        "trellis_graphql_request_duration_seconds",
        "How long GraphQL operations take, by name and type."
    );
    describe_counter!("trellis_sql_statements_total", "SQL statements run since start.");
    describe_gauge!("trellis_db_pool_connections", "Database pool connections, by state (idle, in_use).");
    describe_gauge!("trellis_subscriptions_open", "Open subscription streams, by transport (websocket, sse).");
    describe_counter!("trellis_events_published_total", "Change events published by this process's writes.");
    describe_counter!("trellis_events_received_total", "Change events this process's bus handed to its subscribers.");
    describe_counter!("trellis_events_fanned_out_total", "Events delivered to subscribers (one per subscriber).");
    describe_gauge!("trellis_event_topics", "Event channels, one per topic somebody listens to (or did, until swept).");
    describe_counter!(
        "trellis_events_resync_total",
        "Resync notices sent because events may have been missed, by reason."
    );
    describe_counter!(
        "trellis_check_ins_recorded_total",
        "Check-ins recorded (replays of a retried request not counted)."
    );
    describe_gauge!("process_resident_memory_bytes", "Resident memory of the process.");
}

/// Keeps histograms bounded between scrapes (one task per process).
pub fn spawn_upkeep() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    let Some(handle) = handle() else { return };
    STARTED.call_once(|| {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        });
    });
}

/// The label for an operation name: itself while few names are known, else `other`.
pub fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name.filter(|n| !n.is_empty()) else { return "anonymous".into() };
    let name: String = name.chars().take(MAX_NAME_LENGTH).collect();
    let names = NAMES.get_or_init(Mutex::default);
    let mut known = names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if known.contains(&name) || known.len() < MAX_OPERATION_NAMES && known.insert(name.clone()) {
        name
    } else {
        "other".into()
    }
}

/// Records one GraphQL operation.
pub fn operation(kind: &'static str, name: String, outcome: String, elapsed: Duration) {
    let labels = [("operation", name), ("type", kind.to_owned())];
    metrics::histogram!("trellis_graphql_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    let [operation, kind] = labels;
    metrics::counter!("trellis_graphql_requests_total", &[operation, kind, ("outcome", outcome)]).increment(1);
}

/// Counts a request refused by the concurrency limit.
pub fn shed() {
    metrics::counter!("trellis_requests_shed_total").increment(1);
}

/// Counts an open subscription stream while it lives.
#[derive(Debug)]
pub struct OpenSubscription(&'static str);

impl OpenSubscription {
    /// A stream over `transport` opened.
    pub fn opened(transport: &'static str) -> Self {
        metrics::gauge!("trellis_subscriptions_open", "transport" => transport).increment(1.0);
        OpenSubscription(transport)
    }
}

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        metrics::gauge!("trellis_subscriptions_open", "transport" => self.0).decrement(1.0);
    }
}

/// The current values of what is read rather than counted, then the text.
pub fn render(db: &sea_orm::DatabaseConnection, statements: u64) -> String {
    let Some(handle) = handle() else { return String::new() };
    metrics::counter!("trellis_sql_statements_total").absolute(statements);
    let (size, idle) = pool(db);
    metrics::gauge!("trellis_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("trellis_db_pool_connections", "state" => "in_use")
        .set((size as usize).saturating_sub(idle) as f64);
    if let Some(bytes) = resident_memory() {
        metrics::gauge!("process_resident_memory_bytes").set(bytes as f64);
    }
    handle.run_upkeep();
    handle.render()
}

/// The pool's size and idle connections.
fn pool(db: &sea_orm::DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    }
}

/// Resident set size from `/proc/self/statm` (Linux, 4 KiB pages; elsewhere none).
fn resident_memory() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_operation_names_shares_one_label_past_the_bound() {
        let labels: Vec<String> =
            (0..MAX_OPERATION_NAMES + 20).map(|i| operation_label(Some(&format!("Flood{i}")))).collect();
        assert!(labels.iter().any(|l| l == "other"), "names past the bound share `other`");
        let distinct: HashSet<&String> = labels.iter().collect();
        assert!(distinct.len() <= MAX_OPERATION_NAMES + 1, "{} distinct labels", distinct.len());
        assert_eq!(operation_label(Some("Flood0")), "Flood0", "a name seen before keeps its label");
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some(&"x".repeat(500))), "other", "a new name past the bound");
    }
}
