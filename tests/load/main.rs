//! Load tests, in their own binary so that nothing else runs beside them: ten times the
//! sustainable load with thousands of idle subscribers (bounded form of
//! `bench/overload`), and a soak (bounded form of `bench/soak`). SQLite by default, PostgreSQL when `TRELLIS_TEST_DATABASE_URL` is set.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

use seed::generate::{Scale, organization};
use service::OrgRole;
use std::time::Duration;
use trellis_tests::load::{Overload, Soak, Target, overload, soak};
use trellis_tests::{Options, TestApp};

/// The tests of this binary measure the machine: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A generated organization big enough that the dashboard reads a few objectives and the
/// check-ins spread over many key results.
async fn loaded_app() -> (TestApp, Target) {
    let limits = api::config::Limits { ws_max_connections_per_subject: 0, ..trellis_tests::unthrottled() };
    let app = TestApp::start(
        Options { limits: Some(limits), ..Options::default() },
        std::sync::Arc::new(service::SystemClock),
    )
    .await;
    let scale = Scale { teams: 20, objectives_per_team: 3, key_results_per_objective: 3, check_ins_per_key_result: 4 };
    organization(&app.db, "load", scale, chrono::Utc::now()).await.unwrap();
    let token = app.token("load", "admin", OrgRole::Admin);
    let target = Target::discover(&app.base, &token, 30).await.unwrap();
    (app, target)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_times_the_sustainable_load_is_shed_and_admitted_requests_keep_their_latency() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (_app, target) = loaded_app().await;
    let settings = Overload {
        phase: Duration::from_secs(4),
        clients: 16,
        factor: 10.0,
        // TRELLIS_LOAD_SUBSCRIBERS=0 shows what the subscribers cost.
        subscribers: std::env::var("TRELLIS_LOAD_SUBSCRIBERS").map_or(5000, |s| s.parse().unwrap()),
        max_in_flight: 4000,
    };
    let report = overload(&target, std::process::id(), settings).await.unwrap();
    println!("{}", report.markdown());
    let (sustainable, burst, recovery) = (&report.sustainable, &report.burst, &report.recovery);
    // No request failed, and the client never had its 4,000 requests in flight: a queue
    // in front of the server would fill that within two seconds of a 10x burst.
    for phase in [sustainable, burst, recovery] {
        assert_eq!(phase.failed + phase.unsent, 0, "{:?}", phase.failures);
    }
    assert!(burst.shed > burst.served.len(), "the burst was not beyond the limit: {}", report.markdown());
    // Admitted requests wait for the ones running, not for the burst: its second half is
    // not much slower than its first. The bounds are loose because this form runs a debug
    // build with the load generator in the same process on a shared machine (where the
    // shedding itself takes much of the CPU); bench/overload measures a release server.
    let (first, second) = (burst.latency_in_half(false, 0.99), burst.latency_in_half(true, 0.99));
    assert!(second <= first * 3 + Duration::from_millis(500), "{first:?} then {second:?}: {}", report.markdown());
    assert!(burst.latency(1.0) < Duration::from_secs(10), "{}", report.markdown());
    // Check-ins go on through the burst.
    assert!(burst.write_rate() >= sustainable.write_rate() * 0.05, "writes starved: {}", report.markdown());
    assert!(recovery.rate() >= sustainable.rate() * 0.5, "no recovery: {}", report.markdown());
    assert_eq!(recovery.shed, 0, "{}", report.markdown());
    assert_eq!(report.subscribers_open, report.settings.subscribers, "{}", report.markdown());
    assert_eq!(report.idle_events + report.idle_resyncs, 0, "{}", report.markdown());
    assert!(report.watched_events > 0, "{}", report.markdown());
    // The test process holds the server and both ends of every socket; the burst may add
    // its requests in flight, not a growing queue.
    assert!(report.rss_burst - report.rss_idle < 256.0, "memory grew: {}", report.markdown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_run_with_subscribers_coming_and_going_grows_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (_app, target) = loaded_app().await;
    let settings =
        Soak { duration: Duration::from_secs(40), clients: 4, churn: 20, live: 200, every: Duration::from_secs(1) };
    let report = soak(&target, std::process::id(), settings).await.unwrap();
    println!("{}", report.markdown());
    assert_eq!(report.load.failed, 0, "{:?}", report.load.failures);
    assert!(report.growth(|s| s.usage.rss_mib()) < 24.0, "memory grew: {}", report.markdown());
    // Sockets come and go a batch at a time; a leak grows by batches.
    assert!(report.growth(|s| s.usage.fds as f64) < 2.0 * 20.0 + 10.0, "descriptors grew: {}", report.markdown());
    // A leaked connection stays checked out. The pool's size is no measure of that: it is
    // the run's highest concurrency, which a late stall of the machine raises.
    assert!(report.growth(|s| s.pool_in_use) <= 2.0, "{}", report.markdown());
    // Once the load is gone nothing is held, but a background look that may be running.
    assert!(report.after.pool_in_use <= 1.0, "{}", report.markdown());
    assert_eq!(report.after.subscriptions, 0.0, "{}", report.markdown());
}
