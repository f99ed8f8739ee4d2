//! Objectives and key results over the API: team ownership, measurability, focus,
//! alignment, and the life from draft to carry-over.

use crate::check_ins::{CHECK_IN, demo, member, progress};
use serde_json::{Value, json};
use service::OrgRole;
use trellis_tests::{TestApp, error_code};

const CREATE: &str = "mutation($input: CreateObjectiveInput!) { createObjective(input: $input) {
    clientMutationId objective { id state title alignment parent { id } team { name } } } }";
const ADD_KR: &str = "mutation($input: CreateKeyResultInput!) { createKeyResult(input: $input) {
    keyResult { id kind progress unitLabel driver { subject } } objective { progress } } }";
const ACTIVATE: &str = "mutation($id: ID!) { activateObjective(input: { id: $id }) { objective { state } } }";
const ALIGN: &str = "mutation($input: AlignObjectiveInput!) { alignObjective(input: $input) { objective { alignment parent { id } } } }";

async fn person(app: &TestApp, subject: &str) -> Value {
    app.data(&member(app, subject), "{ viewer { person { id } } }", json!({})).await["viewer"]["person"]["id"].clone()
}

async fn new_objective(app: &TestApp, token: &str, team: &Value, cycle: &Value, title: &str) -> Value {
    let input = json!({ "teamId": team, "cycleId": cycle, "title": title });
    app.data(token, CREATE, json!({ "input": input })).await["createObjective"]["objective"]["id"].clone()
}

async fn add_key_result(app: &TestApp, token: &str, objective: &Value) -> Value {
    let input = json!({ "objectiveId": objective, "title": "Win 10 new logos", "kind": "INCREASE", "startValue": 0, "targetValue": 10 });
    app.data(token, ADD_KR, json!({ "input": input })).await["createKeyResult"]["keyResult"]["id"].clone()
}

#[tokio::test]
async fn a_lead_creates_aligns_fills_and_activates_a_team_objective() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let sam = member(&app, "sam");
    let company_before = progress(&app, &ids.company).await;
    let input = json!({ "clientMutationId": "m1", "teamId": ids.sales_team, "cycleId": ids.quarter,
        "title": "Shorten contract negotiations", "parentId": ids.company });
    let created = app.data(&sam, CREATE, json!({ "input": input })).await["createObjective"].clone();
    assert_eq!(created["clientMutationId"], "m1");
    assert_eq!(created["objective"]["state"], "DRAFT");
    assert_eq!(created["objective"]["alignment"], "CONTRIBUTES");
    assert_eq!(created["objective"]["team"]["name"], "Sales");
    let id = created["objective"]["id"].clone();
    // A new contributor at 0 % pulls the company objective's average down.
    assert!(progress(&app, &ids.company).await < company_before);

    let (_, body) = app.graphql(&sam, ACTIVATE, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "NO_KEY_RESULTS");
    let sid = person(&app, "sid").await;
    let input = json!({ "objectiveId": id, "title": "Cut median negotiation from 20 to 10 days", "kind": "DECREASE",
        "unit": "DURATION_DAYS", "startValue": 20, "targetValue": 10, "driverId": sid });
    let kr = app.data(&sam, ADD_KR, json!({ "input": input })).await;
    assert_eq!(kr["createKeyResult"]["keyResult"]["driver"]["subject"], "sid");
    let active = app.data(&sam, ACTIVATE, json!({ "id": id })).await;
    assert_eq!(active["activateObjective"]["objective"]["state"], "ACTIVE");
    let (_, again) = app.graphql(&sam, ACTIVATE, json!({ "id": id })).await;
    assert_eq!(error_code(&again), "INVALID_STATE_TRANSITION");
}

#[tokio::test]
async fn only_leads_of_the_owning_team_and_admins_manage_its_objectives() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let input = json!({ "input": { "teamId": ids.sales_team, "cycleId": ids.quarter, "title": "Not mine to set" } });
    for token in [member(&app, "sid"), member(&app, "maria"), app.token("company-x", "vic", OrgRole::Viewer)] {
        let (_, body) = app.graphql(&token, CREATE, input.clone()).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }
    let admin = app.data(&app.demo_admin(), CREATE, input).await;
    assert_eq!(admin["createObjective"]["objective"]["state"], "DRAFT");
    let update =
        "mutation($id: ID!) { updateObjective(input: { id: $id, title: \"Mine now\" }) { objective { title } } }";
    let (_, body) = app.graphql(&member(&app, "maria"), update, json!({ "id": ids.sales })).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn key_results_must_be_measurable_and_driven_by_team_members() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let sam = member(&app, "sam");
    let attempt = |input: Value| {
        let (app, sam) = (&app, &sam);
        async move { app.graphql(sam, ADD_KR, json!({ "input": input })).await.1 }
    };
    let base = |kind: &str, start: f64, target: f64| json!({ "objectiveId": ids.sales, "title": "A result", "kind": kind, "startValue": start, "targetValue": target });
    assert_eq!(error_code(&attempt(base("INCREASE", 20.0, 10.0)).await), "NOT_MEASURABLE");
    assert_eq!(error_code(&attempt(base("DECREASE", 10.0, 20.0)).await), "NOT_MEASURABLE");
    assert_eq!(error_code(&attempt(base("INCREASE", 5.0, 5.0)).await), "NOT_MEASURABLE");
    assert_eq!(error_code(&attempt(base("MILESTONE", 0.0, 3.0)).await), "NOT_MEASURABLE");
    let mut currency = base("INCREASE", 0.0, 100.0);
    currency["unit"] = json!("CURRENCY");
    assert_eq!(error_code(&attempt(currency.clone()).await), "BAD_USER_INPUT");
    currency["unitLabel"] = json!("eur");
    let mut driven = base("INCREASE", 0.0, 10.0);
    driven["driverId"] = person(&app, "maria").await;
    assert_eq!(error_code(&attempt(driven).await), "NOT_TEAM_MEMBER");
    let mut long = base("INCREASE", 0.0, 10.0);
    long["title"] = json!("x".repeat(201));
    let body = attempt(long).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("limit is 200"));
    let ok = app.data(&sam, ADD_KR, json!({ "input": currency })).await;
    assert_eq!(ok["createKeyResult"]["keyResult"]["unitLabel"], "EUR");
}

#[tokio::test]
async fn focus_limits_are_enforced_or_only_warned_about_as_the_policy_says() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let (admin, sam) = (app.demo_admin(), member(&app, "sam"));
    let policy = "mutation($input: UpdatePolicyInput!) { updatePolicy(input: $input) { organization { policy { mode maxObjectivesPerTeam } } } }";
    app.data(&admin, policy, json!({ "input": { "maxObjectivesPerTeam": 1, "maxKeyResultsPerObjective": 2 } })).await;
    let second = new_objective(&app, &sam, &ids.sales_team, &ids.quarter, "A second focus").await;
    add_key_result(&app, &sam, &second).await;
    let (_, body) = app.graphql(&sam, ACTIVATE, json!({ "id": second })).await;
    assert_eq!(error_code(&body), "FOCUS_LIMIT_EXCEEDED");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("allows 1"));
    let (_, body) = app
        .graphql(
            &sam,
            ADD_KR,
            json!({ "input": {
        "objectiveId": ids.sales, "title": "A third result", "kind": "MILESTONE" } }),
        )
        .await;
    assert_eq!(error_code(&body), "FOCUS_LIMIT_EXCEEDED");

    app.data(&admin, policy, json!({ "input": { "mode": "WARN" } })).await;
    let active = app.data(&sam, ACTIVATE, json!({ "id": second })).await;
    assert_eq!(active["activateObjective"]["objective"]["state"], "ACTIVE");
}

#[tokio::test]
async fn alignment_refuses_loops_and_unrelated_cycles_and_only_contributors_count() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let admin = app.demo_admin();
    let loop_through_objective = json!({ "input": { "id": ids.company, "parentId": ids.sales } });
    assert_eq!(error_code(&app.graphql(&admin, ALIGN, loop_through_objective).await.1), "ALIGNMENT_LOOP");
    let loop_through_key_result = json!({ "input": { "id": ids.company, "parentId": ids.lead_time } });
    assert_eq!(error_code(&app.graphql(&admin, ALIGN, loop_through_key_result).await.1), "ALIGNMENT_LOOP");
    let own_key_result = json!({ "input": { "id": ids.sales, "parentId": ids.lead_time } });
    assert_eq!(error_code(&app.graphql(&admin, ALIGN, own_key_result).await.1), "ALIGNMENT_LOOP");

    let cycle = "mutation { createCycle(input: { name: \"FY 2031\", startsOn: \"2031-01-01\", endsOn: \"2031-12-31\" }) { cycle { id } } }";
    let far = app.data(&admin, cycle, json!({})).await["createCycle"]["cycle"]["id"].clone();
    let later = new_objective(&app, &admin, &ids.sales_team, &far, "Far away").await;
    let mismatch = json!({ "input": { "id": later, "parentId": ids.company } });
    assert_eq!(error_code(&app.graphql(&admin, ALIGN, mismatch).await.1), "ALIGNMENT_CYCLE_MISMATCH");

    // Product SUPPORTS the company objective; making it CONTRIBUTE changes the average.
    let data = app
        .data(
            &admin,
            r#"{ objectives(filter: { search: "trial convince" }) { edges { node { id progress } } } }"#,
            json!({}),
        )
        .await;
    let product = &data["objectives"]["edges"][0]["node"];
    let before = progress(&app, &ids.company).await;
    let (sales, marketing) = (progress(&app, &ids.sales).await, progress(&app, &ids.marketing).await);
    assert!((before - (sales + marketing) / 2.0).abs() < 1e-9);
    let contribute = json!({ "input": { "id": product["id"], "parentId": ids.company, "alignment": "CONTRIBUTES" } });
    app.data(&admin, ALIGN, contribute).await;
    let after = progress(&app, &ids.company).await;
    let expected = (sales + marketing + product["progress"].as_f64().unwrap()) / 3.0;
    assert!((after - expected).abs() < 1e-9, "{after} vs {expected}");
    // Unaligning an objective takes it out of the rollup again.
    let orphan = app.data(&admin, ALIGN, json!({ "input": { "id": product["id"], "parentId": null } })).await;
    assert!(orphan["alignObjective"]["objective"]["parent"].is_null());
    assert!((progress(&app, &ids.company).await - before).abs() < 1e-9);
}

#[tokio::test]
async fn closing_freezes_the_score_and_carry_over_starts_a_fresh_draft() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let (admin, sam) = (app.demo_admin(), member(&app, "sam"));
    let close = "mutation($id: ID!) { closeObjective(input: { id: $id, closingNote: \"Good quarter\" }) {
        objective { state finalScore progress closingNote } } }";
    let closed = app.data(&sam, close, json!({ "id": ids.sales })).await["closeObjective"]["objective"].clone();
    assert_eq!(closed["state"], "CLOSED");
    assert_eq!(closed["finalScore"], closed["progress"]);
    assert_eq!(closed["closingNote"], "Good quarter");
    let (_, body) = app
        .graphql(&member(&app, "sid"), CHECK_IN, json!({ "input": { "keyResultId": ids.lead_time, "value": 33 } }))
        .await;
    assert_eq!(error_code(&body), "OBJECTIVE_CLOSED");

    let next = "mutation { createCycle(input: { name: \"Next quarter\", startsOn: \"2099-01-01\", endsOn: \"2099-03-31\" }) { cycle { id } } }";
    let next = app.data(&admin, next, json!({})).await["createCycle"]["cycle"]["id"].clone();
    let carry = "mutation($id: ID!, $cycle: ID!) { carryOverObjective(input: { id: $id, cycleId: $cycle }) { objective {
        id state title carriedOverFrom { id } cycle { id } progress checkInCount keyResults { totalCount edges { node { currentValue startValue } } } } } }";
    let copy =
        app.data(&sam, carry, json!({ "id": ids.sales, "cycle": next })).await["carryOverObjective"]["objective"]
            .clone();
    assert_eq!(copy["state"], "DRAFT");
    assert_eq!(copy["title"], "Speed up our sales cycle");
    assert_eq!(copy["carriedOverFrom"]["id"], ids.sales);
    assert_eq!(copy["cycle"]["id"], next);
    assert_eq!(copy["checkInCount"], 0);
    assert_eq!(copy["keyResults"]["totalCount"], 2);
    let kr = &copy["keyResults"]["edges"][0]["node"];
    assert_eq!(kr["currentValue"], kr["startValue"]);
    let backwards = app.graphql(&sam, carry, json!({ "id": copy["id"], "cycle": ids.quarter })).await.1;
    assert_eq!(error_code(&backwards), "BAD_USER_INPUT", "{backwards}");
}

#[tokio::test]
async fn an_archived_objective_leaves_lists_and_rollups() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let admin = app.demo_admin();
    let marketing = progress(&app, &ids.marketing).await;
    let archive = "mutation($id: ID!) { archiveObjective(input: { id: $id }) { objective { archivedAt } } }";
    let archived = app.data(&member(&app, "sam"), archive, json!({ "id": ids.sales })).await;
    assert!(archived["archiveObjective"]["objective"]["archivedAt"].is_string());
    let list = app.data(&admin, r#"{ objectives(filter: { search: "sales cycle" }) { totalCount } }"#, json!({})).await;
    assert_eq!(list["objectives"]["totalCount"], 0);
    assert!((progress(&app, &ids.company).await - marketing).abs() < 1e-9, "only Marketing contributes now");
}

#[tokio::test]
async fn objectives_filter_by_their_status_now() {
    use chrono::TimeZone;
    let clock = service::FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap());
    let options = trellis_tests::Options { demo: true, ..Default::default() };
    let app = TestApp::start(options, std::sync::Arc::new(clock)).await;
    let admin = app.demo_admin();
    let all = app.data(&admin, "{ objectives { edges { node { title status } } } }", json!({})).await;
    let all = all["objectives"]["edges"].as_array().unwrap().clone();
    let status_of = |title: &str| all.iter().find(|e| e["node"]["title"] == title).unwrap()["node"]["status"].clone();
    // The Product key result's latest confidence is AT_RISK, which caps it at YELLOW.
    assert_eq!(status_of("Make the trial convince buyers on its own"), "YELLOW");
    for status in ["GREEN", "YELLOW", "RED"] {
        let query = "query($s: Status) { objectives(filter: { status: $s }) { totalCount edges { node { title } } } }";
        let filtered = app.data(&admin, query, json!({ "s": status })).await;
        let mut got: Vec<String> = filtered["objectives"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
            .collect();
        let mut want: Vec<String> = all
            .iter()
            .filter(|e| e["node"]["status"] == status)
            .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{status}");
        assert_eq!(filtered["objectives"]["totalCount"].as_u64().unwrap() as usize, want.len());
    }
}
