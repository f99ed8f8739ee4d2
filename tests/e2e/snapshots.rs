//! Whole responses for the main read shapes (a team's dashboard, the alignment tree, an
//! objective's page) over the demo, pinned with `insta`: a field that appears, vanishes or
//! changes its value shows up in review as a diff of the snapshot. The demo is loaded at a
//! fixed time; ids and times are redacted anyway, so the same snapshot holds on SQLite and
//! on PostgreSQL. Update with `INSTA_UPDATE=always cargo test -p trellis-tests --test e2e
//! snapshots` (or `cargo insta review`) and read the diff.

use chrono::TimeZone;
use serde_json::{Value, json};
use std::sync::Arc;
use trellis_tests::{Options, TestApp};

const KEY_RESULT: &str = "id title kind unit unitLabel startValue targetValue currentValue weight progress
    expectedProgress status latestConfidence checkInCount lastCheckInAt createdAt archivedAt driver { displayName }
    checkIns(first: 3) { totalCount edges { node { id value confidence note recordedAt author { displayName } } } }";

fn objective_fields() -> String {
    format!(
        "id title description state alignment progressDriver progress expectedProgress status finalScore
        checkInCount lastCheckInAt createdAt updatedAt archivedAt closingNote
        team {{ id name }} cycle {{ id name state startsOn endsOn }} parent {{ id title }}
        keyResults {{ totalCount edges {{ node {{ {KEY_RESULT} }} }} }}"
    )
}

fn dependency_fields() -> &'static str {
    "id note state createdAt resolvedAt from { title team { name } } to { title team { name } }
    fromKeyResult { title } toKeyResult { title }"
}

/// Ids and times vary from run to run; everything else is the shape under test.
fn redacted() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for key in ["id", "parentId", "recordedAt", "createdAt", "updatedAt", "lastCheckInAt", "resolvedAt"] {
        settings.add_redaction(&format!(".**.{key}"), format!("[{key}]"));
    }
    settings.set_prepend_module_to_snapshot(false);
    settings
}

struct Demo {
    app: TestApp,
    admin: String,
    cycle: Value,
    sales: Value,
}

/// The demo as loaded on 2026-05-15 at noon, with its active quarter (the cycle inside the
/// year, where the demo's OKRs are) and the Sales team.
async fn demo() -> Demo {
    let at = chrono::Utc.with_ymd_and_hms(2026, 5, 15, 12, 0, 0).single().expect("a valid time");
    let app =
        TestApp::start(Options { demo: true, ..Options::default() }, Arc::new(service::FixedClock::new(at))).await;
    let admin = app.demo_admin();
    let ids = app
        .data(&admin, r#"{ cycles { edges { node { id state parent { id } } } } teams(search: "Sales") { edges { node { id } } } }"#, json!({}))
        .await;
    let cycles = ids["cycles"]["edges"].as_array().cloned().unwrap_or_default();
    let quarter = |c: &&Value| c["node"]["state"] == "ACTIVE" && !c["node"]["parent"].is_null();
    let active = cycles.iter().find(quarter).expect("an active demo quarter");
    let (cycle, sales) = (active["node"]["id"].clone(), ids["teams"]["edges"][0]["node"]["id"].clone());
    Demo { app, admin, cycle, sales }
}

#[tokio::test]
async fn the_sales_dashboard_reads_as_its_snapshot() {
    let demo = demo().await;
    let query = format!(
        "query($team: ID!, $cycle: ID!) {{ dashboard(teamId: $team, cycleId: $cycle) {{
            team {{ name }} cycle {{ name state startsOn endsOn }} statusCounts {{ green yellow red }}
            objectives {{ {} }} dependsOn {{ {deps} }} dependedOnBy {{ {deps} }} }} }}",
        objective_fields(),
        deps = dependency_fields(),
    );
    let data = demo.app.data(&demo.admin, &query, json!({ "team": demo.sales, "cycle": demo.cycle })).await;
    redacted().bind(|| insta::assert_json_snapshot!("dashboard", data));
}

#[tokio::test]
async fn the_alignment_tree_reads_as_its_snapshot() {
    let demo = demo().await;
    let query = format!(
        "query($cycle: ID!) {{ alignmentTree(cycleId: $cycle) {{
            nodes {{ depth parentId objective {{ {} }} }} dependencies {{ {} }} }} }}",
        objective_fields(),
        dependency_fields(),
    );
    let data = demo.app.data(&demo.admin, &query, json!({ "cycle": demo.cycle })).await;
    redacted().bind(|| insta::assert_json_snapshot!("alignment_tree", data));
}

#[tokio::test]
async fn an_objective_page_reads_as_its_snapshot() {
    let demo = demo().await;
    let found = demo
        .app
        .data(&demo.admin, r#"{ objectives(filter: { search: "sales cycle" }) { edges { node { id } } } }"#, json!({}))
        .await;
    let id = found["objectives"]["edges"][0]["node"]["id"].clone();
    let query = format!(
        "query($id: ID!) {{ node(id: $id) {{ ... on Objective {{ {}
            parent {{ title progress progressDriver team {{ name }} }}
            alignedObjectives {{ totalCount }}
            team {{ name parent {{ name }} members {{ totalCount edges {{ node {{ role title person {{ displayName }} }} }} }} }}
            dependsOn {{ totalCount edges {{ node {{ {deps} }} }} }}
            dependedOnBy {{ totalCount edges {{ node {{ {deps} }} }} }} }} }} }}",
        objective_fields(),
        deps = dependency_fields(),
    );
    let data = demo.app.data(&demo.admin, &query, json!({ "id": id })).await;
    redacted().bind(|| insta::assert_json_snapshot!("objective_page", data));
}
