//! Check-ins over the API: the demo's worked example, idempotent retries, and every
//! refusal leaving nothing behind.

use serde_json::{Value, json};
use service::OrgRole;
use trellis_tests::{TestApp, error_code};

/// Ids of the demo's Sales objective, its key results, the company objective and the quarter.
pub struct Demo {
    pub company: Value,
    pub sales: Value,
    pub lead_time: Value,
    pub conversion: Value,
    pub marketing: Value,
    pub kit: Value,
    pub quarter: Value,
    pub sales_team: Value,
}

pub async fn demo(app: &TestApp) -> Demo {
    let query = r#"{ objectives { edges { node { id title cycle { id } team { id }
        keyResults { edges { node { id title } } } } } } }"#;
    let data = app.data(&app.demo_admin(), query, json!({})).await;
    let nodes: Vec<Value> = data["objectives"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    let find = |title: &str| nodes.iter().find(|n| n["title"].as_str().unwrap().contains(title)).unwrap().clone();
    let (company, sales, marketing) = (find("revenue back"), find("sales cycle"), find("Fill the pipeline"));
    let kr = |objective: &Value, index: usize| objective["keyResults"]["edges"][index]["node"]["id"].clone();
    Demo {
        company: company["id"].clone(),
        lead_time: kr(&sales, 0),
        conversion: kr(&sales, 1),
        kit: kr(&marketing, 1),
        marketing: marketing["id"].clone(),
        quarter: sales["cycle"]["id"].clone(),
        sales_team: sales["team"]["id"].clone(),
        sales: sales["id"].clone(),
    }
}

pub const CHECK_IN: &str = "mutation($input: CheckInInput!) { checkIn(input: $input) {
    clientMutationId replayed
    checkIn { id value confidence note author { subject } }
    keyResult { currentValue progress checkInCount latestConfidence }
    objective { progress }
} }";

/// A member-role token for a demo person.
pub fn member(app: &TestApp, subject: &str) -> String {
    app.token("company-x", subject, OrgRole::Member)
}

pub async fn progress(app: &TestApp, id: &Value) -> f64 {
    let data =
        app.data(&app.demo_admin(), "query($id: ID!) { objective(id: $id) { progress } }", json!({ "id": id })).await;
    data["objective"]["progress"].as_f64().unwrap()
}

pub async fn audit_count(app: &TestApp) -> i64 {
    app.data(&app.demo_admin(), "{ auditEvents { totalCount } }", json!({})).await["auditEvents"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_sales_check_in_moves_the_key_result_the_objective_and_the_company_objective() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let company_before = progress(&app, &ids.company).await;
    let input = json!({ "clientMutationId": "c1", "keyResultId": ids.lead_time, "value": 34.0,
        "confidence": "ON_TRACK", "note": "new qualification call" });
    let data = app.data(&member(&app, "sid"), CHECK_IN, json!({ "input": input })).await;
    let payload = &data["checkIn"];
    assert_eq!(payload["clientMutationId"], "c1");
    assert_eq!(payload["replayed"], false);
    assert_eq!(payload["checkIn"]["author"]["subject"], "sid");
    assert_eq!(payload["keyResult"]["currentValue"], 34.0);
    let expected = (60.0 - 34.0) / (60.0 - 31.0);
    assert!((payload["keyResult"]["progress"].as_f64().unwrap() - expected).abs() < 1e-9);

    let company_after = progress(&app, &ids.company).await;
    assert!(company_after > company_before, "{company_before} → {company_after}");
    let sales = payload["objective"]["progress"].as_f64().unwrap();
    let marketing = progress(&app, &ids.marketing).await;
    assert!((company_after - (sales + marketing) / 2.0).abs() < 1e-9, "Sales and Marketing contribute equally");

    let events = app
        .data(&app.demo_admin(), "query($id: ID!) { auditEvents(filter: { entityId: $id }) { edges { node { action actor { subject } } } } }",
            json!({ "id": payload["checkIn"]["id"] }))
        .await;
    assert_eq!(events["auditEvents"]["edges"][0]["node"]["action"], "check_in.record");
    assert_eq!(events["auditEvents"]["edges"][0]["node"]["actor"]["subject"], "sid");
}

#[tokio::test]
async fn a_retried_check_in_with_the_same_key_records_once() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let token = member(&app, "sid");
    let input = json!({ "keyResultId": ids.conversion, "value": 50.0, "idempotencyKey": "retry-1" });
    let first = app.data(&token, CHECK_IN, json!({ "input": input })).await;
    let second = app.data(&token, CHECK_IN, json!({ "input": input })).await;
    assert_eq!(second["checkIn"]["replayed"], true);
    assert_eq!(first["checkIn"]["checkIn"]["id"], second["checkIn"]["checkIn"]["id"]);
    assert_eq!(first["checkIn"]["keyResult"]["checkInCount"], second["checkIn"]["keyResult"]["checkInCount"]);
    let different = json!({ "keyResultId": ids.conversion, "value": 51.0, "idempotencyKey": "retry-1" });
    let (_, body) = app.graphql(&token, CHECK_IN, json!({ "input": different })).await;
    assert_eq!(error_code(&body), "CONFLICT");
}

async fn check_in_count(app: &TestApp, id: &Value) -> i64 {
    let query = "query($id: ID!) { keyResult(id: $id) { checkInCount } }";
    app.data(&app.demo_admin(), query, json!({ "id": id })).await["keyResult"]["checkInCount"].as_i64().unwrap()
}

async fn refused(app: &TestApp, token: &str, input: Value, code: &str) {
    let before = audit_count(app).await;
    let (_, body) = app.graphql(token, CHECK_IN, json!({ "input": input })).await;
    assert_eq!(error_code(&body), code, "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().len() > 10, "a message that explains");
    assert_eq!(audit_count(app).await, before, "a refused check-in leaves no audit event");
}

#[tokio::test]
async fn refused_check_ins_say_why_and_leave_nothing_behind() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let before = check_in_count(&app, &ids.lead_time).await;
    let sid = member(&app, "sid");
    let lead_time = |value: f64| json!({ "keyResultId": ids.lead_time, "value": value });
    refused(&app, &app.token("company-x", "vic", OrgRole::Viewer), lead_time(40.0), "FORBIDDEN").await;
    refused(&app, &member(&app, "maria"), lead_time(40.0), "FORBIDDEN").await;
    refused(&app, &sid, lead_time(1e13), "NOT_MEASURABLE").await;
    let long_note = json!({ "keyResultId": ids.lead_time, "value": 40.0, "note": "x".repeat(5001) });
    refused(&app, &sid, long_note, "BAD_USER_INPUT").await;
    refused(&app, &member(&app, "maria"), json!({ "keyResultId": ids.kit, "value": 0.5 }), "NOT_MEASURABLE").await;
    let outsider = app.token("rival", "eve", OrgRole::Admin);
    let (_, body) = app.graphql(&outsider, CHECK_IN, json!({ "input": lead_time(40.0) })).await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    assert_eq!(check_in_count(&app, &ids.lead_time).await, before);
}

#[tokio::test]
async fn a_milestone_checks_in_done_and_an_admin_may_check_in_anywhere() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let done =
        app.data(&member(&app, "maria"), CHECK_IN, json!({ "input": { "keyResultId": ids.kit, "value": 1.0 } })).await;
    assert_eq!(done["checkIn"]["keyResult"]["progress"], 1.0);
    let input = json!({ "keyResultId": ids.lead_time, "value": 39.0, "confidence": "AT_RISK" });
    let admin = app.data(&app.demo_admin(), CHECK_IN, json!({ "input": input })).await;
    assert_eq!(admin["checkIn"]["keyResult"]["latestConfidence"], "AT_RISK");
}

#[tokio::test]
async fn the_audit_trail_filters_by_actor_and_time_and_the_viewer_sees_their_teams() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let sid = member(&app, "sid");
    let me = app.data(&sid, "{ viewer { person { id } memberships { role title team { name } } } }", json!({})).await;
    assert_eq!(me["viewer"]["memberships"][0]["team"]["name"], "Sales");
    assert_eq!(me["viewer"]["memberships"][0]["title"], "SDR");
    let sid_id = me["viewer"]["person"]["id"].clone();
    let started = chrono::Utc::now();
    for value in [40.0, 39.0] {
        app.data(&sid, CHECK_IN, json!({ "input": { "keyResultId": ids.lead_time, "value": value } })).await;
    }
    let query = "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount edges { node { action actor { subject } } } } }";
    let by_sid =
        app.data(&app.demo_admin(), query, json!({ "f": { "actorId": sid_id, "since": started.to_rfc3339() } })).await;
    assert_eq!(by_sid["auditEvents"]["totalCount"], 2);
    assert!(by_sid["auditEvents"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["actor"]["subject"] == "sid"));
    let since = app.data(&app.demo_admin(), query, json!({ "f": { "since": started.to_rfc3339() } })).await;
    assert_eq!(since["auditEvents"]["totalCount"], 2, "the demo seed happened before");
    let until = app.data(&app.demo_admin(), query, json!({ "f": { "until": started.to_rfc3339() } })).await;
    assert_eq!(until["auditEvents"]["edges"][0]["node"]["action"], "team.create", "the seed wrote through the service");
}
