//! One case per file in `examples/operations/`: the variables a client would send, taken
//! from the demo, and what the answer (or the event, after a change) must show.

use super::{Ctx, Operation, event_within, next_event};
use crate::check_ins::{CHECK_IN, member};
use serde_json::{Value, json};
use std::time::Duration;

/// The operations with a case; `run` dispatches on the same names.
pub const NAMES: &[&str] = &[
    "ActiveCycles",
    "AlignmentTree",
    "CheckInRecorded",
    "CycleInsights",
    "InsightsChanged",
    "KeyResultHistory",
    "ObjectiveChanged",
    "ProgressChanged",
    "RecordCheckIn",
    "RegisterWebhook",
    "TeamChanges",
    "TeamDashboard",
    "Viewer",
    "WallObjective",
    "WebhookDeliveries",
];

pub async fn run(ctx: &Ctx, operation: &Operation) {
    match operation.name.as_str() {
        "ActiveCycles" => active_cycles(ctx, operation).await,
        "AlignmentTree" => alignment_tree(ctx, operation).await,
        "CheckInRecorded" => check_in_recorded(ctx, operation).await,
        "CycleInsights" => cycle_insights(ctx, operation).await,
        "InsightsChanged" => insights_changed(ctx, operation).await,
        "KeyResultHistory" => key_result_history(ctx, operation).await,
        "ObjectiveChanged" => objective_changed(ctx, operation).await,
        "ProgressChanged" => progress_changed(ctx, operation).await,
        "RecordCheckIn" => record_check_in(ctx, operation).await,
        "TeamChanges" => team_changes(ctx, operation).await,
        "TeamDashboard" => team_dashboard(ctx, operation).await,
        "Viewer" => viewer(ctx, operation).await,
        "WallObjective" => wall_objective(ctx, operation).await,
        "RegisterWebhook" => register_webhook(ctx, operation).await,
        "WebhookDeliveries" => webhook_deliveries(ctx, operation).await,
        other => panic!("examples/operations/{other}.graphql has no case: add one here and to NAMES"),
    }
}

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("a list: {value}"))
}

/// Sid, an SDR in Sales, records a reading (what the wall displays then hear).
async fn check_in(ctx: &Ctx, key_result: &Value, value: f64, confidence: &str) {
    let input = json!({ "keyResultId": key_result, "value": value, "confidence": confidence });
    ctx.app.data(&member(&ctx.app, "sid"), CHECK_IN, json!({ "input": input })).await;
}

async fn viewer(ctx: &Ctx, op: &Operation) {
    let data = ctx.send(&ctx.admin, op, json!({})).await;
    let viewer = &data["viewer"];
    assert_eq!(viewer["organization"]["name"], "Company X");
    assert_eq!(viewer["role"], "ADMIN");
    assert!(viewer["person"]["id"].is_string() && viewer["memberships"].is_array(), "{viewer}");
}

async fn active_cycles(ctx: &Ctx, op: &Operation) {
    let data = ctx.send(&ctx.admin, op, json!({})).await;
    let cycles = list(&data["cycles"]["nodes"]);
    assert!(cycles.iter().all(|c| c["state"] == "ACTIVE"), "{data}");
    let quarter = cycles.iter().find(|c| c["id"] == ctx.ids.quarter).expect("the demo's quarter is running");
    assert_eq!(quarter["parent"]["name"].as_str(), quarter["startsOn"].as_str().map(|d| &d[..4]), "the year around it");
}

async fn team_dashboard(ctx: &Ctx, op: &Operation) {
    let variables = json!({ "teamId": ctx.ids.sales_team, "cycleId": ctx.ids.quarter });
    let data = ctx.send(&ctx.admin, op, variables).await;
    let dashboard = &data["dashboard"];
    assert_eq!(dashboard["team"]["name"], "Sales");
    assert_eq!(dashboard["cycle"]["id"], ctx.ids.quarter);
    let objectives = list(&dashboard["objectives"]);
    let sales = objectives.iter().find(|o| o["id"] == ctx.ids.sales).expect("the Sales objective");
    assert_eq!(sales["parent"]["id"], ctx.ids.company);
    assert_eq!(sales["keyResults"]["totalCount"], 2);
    let counts = &dashboard["statusCounts"];
    let total: i64 = ["green", "yellow", "red"].iter().map(|c| counts[c].as_i64().unwrap()).sum();
    assert_eq!(total as usize, objectives.len(), "{counts}");
    let needs = list(&dashboard["dependsOn"]);
    assert!(needs.iter().any(|d| d["to"]["team"]["name"] == "Marketing"), "{needs:?}");
    assert!(data["dueCheckIns"].is_array() && dashboard["insights"].is_array());
}

async fn alignment_tree(ctx: &Ctx, op: &Operation) {
    let variables = json!({ "cycleId": ctx.ids.quarter, "rootId": ctx.ids.company, "maxDepth": 5 });
    let data = ctx.send(&ctx.admin, op, variables).await;
    let nodes = list(&data["alignmentTree"]["nodes"]);
    assert_eq!((&nodes[0]["objective"]["id"], &nodes[0]["depth"]), (&ctx.ids.company, &json!(0)));
    for (index, node) in nodes.iter().enumerate().skip(1) {
        let parent = nodes[..index].iter().find(|p| p["objective"]["id"] == node["parentId"]);
        let parent = parent.unwrap_or_else(|| panic!("parents come before their children: {node}"));
        assert_eq!(node["depth"].as_i64(), parent["depth"].as_i64().map(|d| d + 1));
    }
    assert!(nodes.iter().any(|n| n["objective"]["id"] == ctx.ids.sales), "Sales aligns to the company objective");
    let check_ins = nodes.iter().flat_map(|n| list(&n["objective"]["keyResults"]["nodes"])).map(|k| {
        let shown = list(&k["checkIns"]["nodes"]).len() as i64;
        assert_eq!(shown, k["checkInCount"].as_i64().unwrap().min(3), "{k}");
        shown
    });
    assert!(check_ins.sum::<i64>() > 0);
    assert!(!list(&data["alignmentTree"]["dependencies"]).is_empty(), "Sales needs Marketing's kit");
}

async fn key_result_history(ctx: &Ctx, op: &Operation) {
    let (mut pages, mut seen, mut after) = (0, Vec::new(), Value::Null);
    loop {
        let variables = json!({ "id": ctx.ids.lead_time, "first": 2, "after": after });
        let data = ctx.send(&ctx.admin, op, variables).await;
        let key_result = &data["keyResult"];
        assert_eq!(key_result["objective"]["id"], ctx.ids.sales);
        assert_eq!(key_result["checkIns"]["totalCount"], key_result["checkInCount"]);
        seen.extend(list(&key_result["checkIns"]["nodes"]).iter().cloned());
        pages += 1;
        let page = &key_result["checkIns"]["pageInfo"];
        if page["hasNextPage"] != true {
            assert_eq!(json!(seen.len()), key_result["checkInCount"], "the pages hold every check-in once");
            assert_eq!(seen[0]["value"], key_result["currentValue"], "newest first");
            break;
        }
        after = page["endCursor"].clone();
    }
    let times: Vec<&str> = seen.iter().map(|c| c["recordedAt"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first across {pages} pages: {times:?}");
}

async fn wall_objective(ctx: &Ctx, op: &Operation) {
    let data = ctx.send(&ctx.admin, op, json!({ "id": ctx.ids.company })).await;
    let objective = &data["objective"];
    assert_eq!(objective["cycle"]["id"], ctx.ids.quarter);
    let aligned = list(&objective["alignedObjectives"]["nodes"]);
    assert_eq!(aligned.len(), 3, "Sales, Marketing and Product");
    assert!(aligned.iter().any(|o| o["id"] == ctx.ids.sales && !list(&o["keyResults"]["nodes"]).is_empty()));
}

/// `BEHIND_PACE` → `BehindPaceFigures`: every insight carries the figures of its kind.
fn figures_of(kind: &str) -> String {
    let words = kind.split('_').map(|w| w[..1].to_owned() + &w[1..].to_lowercase());
    words.collect::<String>() + "Figures"
}

async fn cycle_insights(ctx: &Ctx, op: &Operation) {
    let everyone = ctx.send(&ctx.admin, op, json!({ "cycleId": ctx.ids.quarter })).await;
    let found = list(&everyone["insights"]["nodes"]);
    assert!(!found.is_empty(), "the demo tells its story with insights");
    for insight in found {
        assert_eq!(insight["figures"]["__typename"], figures_of(insight["kind"].as_str().unwrap()), "{insight}");
        assert!(insight["subject"]["__typename"].is_string(), "{insight}");
    }
    let variables = json!({ "cycleId": ctx.ids.quarter, "teamId": ctx.ids.sales_team, "subtree": true,
        "minSeverity": "WARNING", "first": 10 });
    let sales = ctx.send(&ctx.admin, op, variables).await;
    for insight in list(&sales["insights"]["nodes"]) {
        assert_eq!(insight["team"]["id"], ctx.ids.sales_team, "{insight}");
        assert_ne!(insight["severity"], "INFO", "{insight}");
    }
}

async fn record_check_in(ctx: &Ctx, op: &Operation) {
    let sid = member(&ctx.app, "sid");
    let input = json!({ "clientMutationId": "weekly-1", "keyResultId": ctx.ids.lead_time, "value": 38.0,
        "confidence": "ON_TRACK", "note": "Two deals closed early", "idempotencyKey": "sid-weekly-1" });
    let first = ctx.send(&sid, op, json!({ "input": input })).await;
    let payload = &first["checkIn"];
    assert_eq!((&payload["replayed"], &payload["clientMutationId"]), (&json!(false), &json!("weekly-1")));
    assert_eq!(payload["checkIn"]["value"], 38.0);
    assert_eq!(payload["keyResult"]["currentValue"], 38.0);
    assert_eq!(payload["objective"]["id"], ctx.ids.sales);
    assert_eq!(payload["objective"]["parent"]["id"], ctx.ids.company);
    // A retry after a lost answer: the same check-in, recorded once.
    let retry = ctx.send(&sid, op, json!({ "input": input })).await;
    assert_eq!(retry["checkIn"]["replayed"], true);
    assert_eq!(retry["checkIn"]["checkIn"]["id"], payload["checkIn"]["id"]);
    assert_eq!(retry["checkIn"]["keyResult"]["checkInCount"], payload["keyResult"]["checkInCount"]);
}

async fn progress_changed(ctx: &Ctx, op: &Operation) {
    let mut socket = ctx.subscribe(op, json!({ "objectiveId": ctx.ids.company })).await;
    check_in(ctx, &ctx.ids.lead_time, 36.0, "ON_TRACK").await;
    let event = next_event(&mut socket, "progressChanged").await;
    assert_eq!((&event["keyResultId"], &event["currentValue"]), (&ctx.ids.lead_time, &json!(36.0)));
    assert_eq!(event["objectiveId"], ctx.ids.sales);
    let chain: Vec<&Value> = list(&event["chain"]).iter().map(|f| &f["objectiveId"]).collect();
    assert_eq!(chain, [&ctx.ids.sales, &ctx.ids.company], "nearest first, up to the company objective");
}

async fn check_in_recorded(ctx: &Ctx, op: &Operation) {
    let mut socket = ctx.subscribe(op, json!({ "teamId": ctx.ids.sales_team })).await;
    check_in(ctx, &ctx.ids.conversion, 47.0, "AT_RISK").await;
    let event = next_event(&mut socket, "checkInRecorded").await;
    assert_eq!((&event["keyResultId"], &event["teamId"]), (&ctx.ids.conversion, &ctx.ids.sales_team));
    assert_eq!((&event["value"], &event["confidence"]), (&json!(47.0), &json!("AT_RISK")));
    assert!(event["checkInId"].is_string() && event["at"].is_string(), "{event}");
}

async fn objective_changed(ctx: &Ctx, op: &Operation) {
    let mut socket = ctx.subscribe(op, json!({ "cycleId": ctx.ids.quarter, "teamId": ctx.ids.sales_team })).await;
    let edit = "mutation($input: UpdateObjectiveInput!) { updateObjective(input: $input) { objective { id } } }";
    let input = json!({ "id": ctx.ids.sales, "description": "Lead to sale in a month" });
    ctx.app.data(&ctx.admin, edit, json!({ "input": input })).await;
    let event = next_event(&mut socket, "objectiveChanged").await;
    assert_eq!((&event["objectiveId"], &event["teamId"]), (&ctx.ids.sales, &ctx.ids.sales_team));
    assert_eq!(event["change"], "updated");
}

async fn team_changes(ctx: &Ctx, op: &Operation) {
    let mut socket = ctx.subscribe(op, json!({ "teamId": ctx.ids.sales_team, "kinds": ["INITIATIVE"] })).await;
    let plan = "mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) { initiative { id } } }";
    let input = json!({ "keyResultId": ctx.ids.conversion, "title": "Call every new trial on its third day",
        "impact": "HIGH", "effort": "LOW" });
    let created = ctx.app.data(&member(&ctx.app, "sid"), plan, json!({ "input": input })).await;
    let event = next_event(&mut socket, "changes").await;
    assert_eq!((&event["kind"], &event["change"]), (&json!("INITIATIVE"), &json!("created")));
    assert_eq!(event["id"], created["createInitiative"]["initiative"]["id"]);
    assert_eq!(event["teamIds"], json!([ctx.ids.sales_team]));
}

async fn insights_changed(ctx: &Ctx, op: &Operation) {
    // Confidence holds before the watch looks, so that the fall below is news.
    check_in(ctx, &ctx.ids.lead_time, 40.0, "ON_TRACK").await;
    let mut socket = ctx.subscribe(op, json!({ "cycleId": ctx.ids.quarter, "teamId": ctx.ids.sales_team })).await;
    // On a slow machine the watch may take its first look after the fall, which is then
    // no news: each round climbs back to ON_TRACK (a clearance) and falls again.
    for _round in 0..3 {
        check_in(ctx, &ctx.ids.lead_time, 44.0, "OFF_TRACK").await;
        check_in(ctx, &ctx.ids.lead_time, 46.0, "OFF_TRACK").await;
        // Other findings may come first (OFF_TRACK also makes the key result RED).
        while let Some(change) = event_within(&mut socket, "insightsChanged", Duration::from_secs(3)).await {
            for notice in list(&change["appeared"]).iter().chain(list(&change["cleared"])) {
                assert_eq!(notice["teamId"], ctx.ids.sales_team, "{change}");
            }
            let appeared = list(&change["appeared"]);
            if let Some(falling) = appeared.iter().find(|n| n["kind"] == "CONFIDENCE_FALLING") {
                assert_eq!((&falling["keyResultId"], &falling["severity"]), (&ctx.ids.lead_time, &json!("CRITICAL")));
                return;
            }
        }
        check_in(ctx, &ctx.ids.lead_time, 40.0, "ON_TRACK").await;
    }
    panic!("two OFF_TRACK check-ins in a row never brought CONFIDENCE_FALLING to the subscriber");
}

/// The endpoint the webhook cases register: loopback (allowed for this test), where
/// nothing listens, so its deliveries stay pending with their failed attempts.
const HOOK: &str = "http://127.0.0.1:9/okrs";

async fn register_webhook(ctx: &Ctx, op: &Operation) {
    let input =
        json!({ "url": HOOK, "eventTypes": ["CHECK_IN_RECORDED", "INSIGHT_RAISED"], "teamId": ctx.ids.sales_team });
    let data = ctx.send(&ctx.admin, op, json!({ "input": input })).await;
    let created = &data["createWebhook"];
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"), "{created}");
    assert_eq!(created["webhook"]["team"]["id"], ctx.ids.sales_team);
    assert_eq!(created["webhook"]["eventTypes"], json!(["CHECK_IN_RECORDED", "INSIGHT_RAISED"]));
}

async fn webhook_deliveries(ctx: &Ctx, op: &Operation) {
    let create = "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }";
    let input = json!({ "url": HOOK, "eventTypes": ["CHECK_IN_RECORDED"] });
    let made = ctx.app.data(&ctx.admin, create, json!({ "i": input })).await;
    let id = made["createWebhook"]["webhook"]["id"].clone();
    check_in(ctx, &ctx.ids.conversion, 13.0, "ON_TRACK").await;
    let data = ctx.send(&ctx.admin, op, json!({})).await;
    let hook = list(&data["webhooks"]).iter().find(|w| w["id"] == id).unwrap_or_else(|| panic!("{data}"));
    let deliveries = list(&hook["deliveries"]["edges"]);
    let delivery = &deliveries.last().unwrap_or_else(|| panic!("{hook}"))["node"];
    assert_eq!(delivery["eventType"], "CHECK_IN_RECORDED");
    assert_eq!(delivery["subjectId"], ctx.ids.conversion);
    assert_eq!(delivery["payload"]["data"]["value"], 13.0);
    assert!(delivery["messageId"].as_str().unwrap().starts_with("msg_"), "{delivery}");
}
