//! The weekly rhythm over GraphQL: a team's week with its note and check-ins, written by
//! its members until the week after it ends, then kept as it was.

use serde_json::{Value, json};
use service::{FixedClock, OrgRole};
use std::sync::Arc;
use trellis_tests::{Options, TestApp, error_code};

const WEEK: &str = "query($t: ID!, $w: String) { teamWeek(teamId: $t, week: $w) {
    week startsOn endsOn editable team { name }
    note { id week author { subject } items { section text keyResult { title } initiative { title } } }
    checkIns { value recordedAt keyResult { title } } } }";
const WRITE: &str = "mutation($i: WriteTeamWeekInput!) { writeTeamWeek(input: $i) {
    clientMutationId teamWeek { week editable note { author { subject } items { section text keyResult { title } } } } } }";

/// 19 November 2026, noon: a Thursday of 2026-W47, week 7 of the demo's quarter.
fn thursday() -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 19, 12, 0, 0).unwrap()
}

async fn team(app: &TestApp, name: &str) -> Value {
    let data = app.data(&app.demo_admin(), "{ teams(first: 20) { edges { node { id name } } } }", json!({})).await;
    let teams = data["teams"]["edges"].as_array().unwrap();
    teams.iter().find(|t| t["node"]["name"] == name).unwrap()["node"]["id"].clone()
}

/// The id of the demo key result whose title contains `title`.
async fn key_result(app: &TestApp, title: &str) -> Value {
    let query = "{ objectives(first: 20) { edges { node { keyResults { edges { node { id title } } } } } } }";
    let data = app.data(&app.demo_admin(), query, json!({})).await;
    let key_results: Vec<Value> = data["objectives"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["node"]["keyResults"]["edges"].as_array().unwrap().clone())
        .collect();
    key_results.iter().find(|k| k["node"]["title"].as_str().unwrap().contains(title)).unwrap()["node"]["id"].clone()
}

fn member(app: &TestApp, subject: &str) -> String {
    app.token("company-x", subject, OrgRole::Member)
}

#[tokio::test]
async fn a_team_week_brings_its_note_and_check_ins_and_freezes_after_the_week_after() {
    let clock = FixedClock::new(thursday());
    let app = TestApp::start(Options { demo: true, ..Options::default() }, Arc::new(clock.clone())).await;
    let sales = team(&app, "Sales").await;

    // The demo's Sales week: Sam's note with a lesson learned, and the week's check-ins.
    let data = app.data(&member(&app, "sid"), WEEK, json!({ "t": sales })).await;
    let week = &data["teamWeek"];
    assert_eq!(
        (&week["week"], &week["startsOn"], &week["endsOn"]),
        (&json!("2026-W47"), &json!("2026-11-16"), &json!("2026-11-22"))
    );
    assert_eq!((&week["editable"], &week["team"]["name"]), (&json!(true), &json!("Sales")));
    assert_eq!(week["note"]["author"]["subject"], "sam");
    let items = week["note"]["items"].as_array().unwrap();
    let lesson = items.iter().find(|i| i["section"] == "LESSON").expect("a lesson learned");
    assert!(lesson["keyResult"]["title"].as_str().unwrap().contains("conversion"), "{lesson}");
    let check_ins = week["checkIns"].as_array().unwrap();
    assert!(!check_ins.is_empty(), "Sales checked in this week");
    for c in check_ins {
        let at = c["recordedAt"].as_str().unwrap();
        assert!(("2026-11-16".."2026-11-23").contains(&at), "{c}");
    }
    let node = app
        .data(&member(&app, "sid"), "query($id: ID!) { node(id: $id) { id } }", json!({ "id": week["note"]["id"] }))
        .await;
    assert_eq!(node["node"]["id"], week["note"]["id"]);

    // A member rewrites it; the items replace what it held.
    let conversion = key_result(&app, "conversion").await;
    let items = json!([
        { "section": "PLAN", "text": "  Demo the new pricing to every open trial  ", "keyResultId": conversion },
        { "section": "LESSON", "text": "Short calls beat long emails" },
    ]);
    let input = json!({ "teamId": sales, "week": "2026-W47", "items": items, "clientMutationId": "w1" });
    let data = app.data(&member(&app, "sid"), WRITE, json!({ "i": input })).await;
    let written = &data["writeTeamWeek"];
    assert_eq!(written["clientMutationId"], "w1");
    assert_eq!(written["teamWeek"]["note"]["author"]["subject"], "sid");
    let items = written["teamWeek"]["note"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["text"], "Demo the new pricing to every open trial");
    let audit = "query($id: ID) { auditEvents(filter: { entityId: $id }) { edges { node { action } } } }";
    let trail = app.data(&app.demo_admin(), audit, json!({ "id": week["note"]["id"] })).await;
    let actions: Vec<&Value> =
        trail["auditEvents"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]["action"]).collect();
    assert_eq!(actions, [&json!("team_week.write"), &json!("team_week.write")]);

    // Only the team's members, only the team's key results, only open weeks.
    let refused = |token: String, input: Value| {
        let app = &app;
        async move { error_code(&app.graphql(&token, WRITE, json!({ "i": input })).await.1).to_owned() }
    };
    let plan = |week: &str, items: Value| json!({ "teamId": sales, "week": week, "items": items });
    let one = json!([{ "section": "PLAN", "text": "Something" }]);
    assert_eq!(refused(member(&app, "maria"), plan("2026-W47", one.clone())).await, "FORBIDDEN");
    let leads = key_result(&app, "marketing-qualified leads").await;
    let theirs = json!([{ "section": "PROGRESS", "text": "Their leads", "keyResultId": leads }]);
    assert_eq!(refused(member(&app, "sid"), plan("2026-W47", theirs)).await, "BAD_USER_INPUT");
    assert_eq!(refused(member(&app, "sid"), plan("2026-W49", one.clone())).await, "BAD_USER_INPUT", "two weeks ahead");
    assert_eq!(refused(member(&app, "sid"), plan("2026-47", one.clone())).await, "BAD_USER_INPUT");
    let blank = json!([{ "section": "PLAN", "text": "   " }]);
    assert_eq!(refused(member(&app, "sid"), plan("2026-W47", blank)).await, "BAD_USER_INPUT");
    app.data(&member(&app, "sid"), WRITE, json!({ "i": plan("2026-W48", one.clone()) })).await;

    // From the Monday after the week after, the note is history: kept, no longer written.
    clock.set(thursday() + chrono::Duration::days(11));
    assert_eq!(refused(member(&app, "sid"), plan("2026-W47", one.clone())).await, "WEEK_FROZEN");
    let data = app.data(&member(&app, "sid"), WEEK, json!({ "t": sales, "w": "2026-W47" })).await;
    assert_eq!(data["teamWeek"]["editable"], false);
    assert_eq!(data["teamWeek"]["note"]["items"].as_array().unwrap().len(), 2, "kept as it was");
    let data = app.data(&member(&app, "sid"), WEEK, json!({ "t": sales })).await;
    assert_eq!((&data["teamWeek"]["week"], &data["teamWeek"]["note"]), (&json!("2026-W49"), &Value::Null));
}
