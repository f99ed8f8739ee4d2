//! Cycles over GraphQL: PLANNING → ACTIVE → CLOSED, frozen scores, and admin-only reopening.

use serde_json::{Value, json};
use service::OrgRole;
use trellis_tests::{TestApp, error_code};

const CYCLE_FIELDS: &str = "clientMutationId cycle { id name state startsOn endsOn closedAt parent { id name } }";

fn mutation(name: &str, input_type: &str) -> String {
    format!("mutation($input: {input_type}!) {{ {name}(input: $input) {{ {CYCLE_FIELDS} }} }}")
}

fn create() -> String {
    mutation("createCycle", "CreateCycleInput")
}

fn update() -> String {
    mutation("updateCycle", "UpdateCycleInput")
}

fn transition(name: &str) -> String {
    mutation(name, "CycleStateInput")
}

const CHECK_IN: &str =
    "mutation($input: CheckInInput!) { checkIn(input: $input) { checkIn { value } keyResult { currentValue } } }";

/// The demo's year and current quarter.
async fn year_and_quarter(app: &TestApp) -> (Value, Value) {
    let query = "{ cycles { edges { node { id name state startsOn endsOn parent { id } } } } }";
    let data = app.data(&app.demo_admin(), query, json!({})).await;
    let cycles: Vec<Value> = data["cycles"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    let year = cycles.iter().find(|c| c["parent"].is_null()).unwrap().clone();
    let quarter = cycles.iter().find(|c| c["parent"]["id"] == year["id"]).unwrap().clone();
    (year, quarter)
}

fn year_number(year: &Value) -> i32 {
    year["startsOn"].as_str().unwrap()[..4].parse().unwrap()
}

/// The audit actions about `entity`, oldest first.
async fn actions(app: &TestApp, entity: &Value) -> Vec<String> {
    let query = "query($id: ID) { auditEvents(filter: { entityId: $id }) { edges { node { action } } } }";
    let data = app.data(&app.demo_admin(), query, json!({ "id": entity })).await;
    data["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn audit_total(app: &TestApp) -> i64 {
    let data = app.data(&app.demo_admin(), "{ auditEvents { totalCount } }", json!({})).await;
    data["auditEvents"]["totalCount"].as_i64().unwrap()
}

/// The objectives of a cycle: (id, title, state, progress, finalScore).
async fn objectives_of(app: &TestApp, cycle: &Value) -> Vec<Value> {
    let query = "query($c: ID) { objectives(filter: { cycleId: $c }) { edges { node {
        id title state progress finalScore keyResults { edges { node { id } } } } } } }";
    let data = app.data(&app.demo_admin(), query, json!({ "c": cycle })).await;
    data["objectives"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

/// The Sales lead-time key result, on which Sam (the Sales lead) checks in.
async fn sales_key_result(app: &TestApp) -> (Value, Value) {
    let query = r#"{ objectives(filter: { search: "sales cycle" }) { edges { node { id keyResults { edges { node { id } } } } } } }"#;
    let data = app.data(&app.demo_admin(), query, json!({})).await;
    let objective = &data["objectives"]["edges"][0]["node"];
    (objective["id"].clone(), objective["keyResults"]["edges"][0]["node"]["id"].clone())
}

#[tokio::test]
async fn admins_create_cycles_in_planning_inside_their_parent() {
    let app = TestApp::spawn_demo().await;
    let (year, _) = year_and_quarter(&app).await;
    let y = year_number(&year);
    let input = json!({ "name": format!("H2 {y}"), "startsOn": format!("{y}-07-01"), "endsOn": format!("{y}-12-31"),
        "parentId": year["id"], "clientMutationId": "c1" });
    let data = app.data(&app.demo_admin(), &create(), json!({ "input": input })).await;
    let payload = &data["createCycle"];
    assert_eq!(payload["clientMutationId"], "c1");
    assert_eq!(payload["cycle"]["state"], "PLANNING");
    assert_eq!(payload["cycle"]["name"], format!("H2 {y}"));
    assert_eq!(payload["cycle"]["startsOn"], format!("{y}-07-01"));
    assert_eq!(payload["cycle"]["endsOn"], format!("{y}-12-31"));
    assert_eq!(payload["cycle"]["parent"]["id"], year["id"]);
    assert!(payload["cycle"]["closedAt"].is_null());
    assert_eq!(actions(&app, &payload["cycle"]["id"]).await, ["cycle.create"]);

    let planning = app.data(&app.demo_admin(), "{ cycles(state: PLANNING) { totalCount } }", json!({})).await;
    assert_eq!(planning["cycles"]["totalCount"], 1);
}

#[tokio::test]
async fn a_cycle_cannot_end_before_it_starts_or_reach_outside_its_parent() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let (year, quarter) = year_and_quarter(&app).await;
    let y = year_number(&year);
    let before = audit_total(&app).await;
    let refused = [
        json!({ "name": "Backwards", "startsOn": format!("{y}-06-30"), "endsOn": format!("{y}-04-01") }),
        json!({ "name": format!("Q1 {}", y + 1), "startsOn": format!("{}-01-01", y + 1), "endsOn": format!("{}-03-31", y + 1), "parentId": year["id"] }),
        json!({ "name": "Straddle", "startsOn": format!("{y}-12-01"), "endsOn": format!("{}-02-28", y + 1), "parentId": year["id"] }),
        json!({ "name": "Early", "startsOn": format!("{}-12-01", y - 1), "endsOn": format!("{y}-01-31"), "parentId": year["id"] }),
    ];
    for input in refused {
        let (_, body) = app.graphql(&token, &create(), json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
    }
    // Re-dating is held to the same rules.
    let input = json!({ "id": quarter["id"], "endsOn": format!("{}-01-15", y + 1) });
    let (_, body) = app.graphql(&token, &update(), json!({ "input": input })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let input = json!({ "id": quarter["id"], "endsOn": format!("{y}-01-01"), "startsOn": format!("{y}-02-01") });
    let (_, body) = app.graphql(&token, &update(), json!({ "input": input })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(audit_total(&app).await, before, "refused changes leave no audit events");
}

#[tokio::test]
async fn admins_rename_and_re_date_a_cycle() {
    let app = TestApp::spawn_demo().await;
    let (year, _) = year_and_quarter(&app).await;
    let y = year_number(&year);
    let input =
        json!({ "id": year["id"], "name": format!("FY{y}"), "endsOn": format!("{y}-12-30"), "clientMutationId": "u1" });
    let data = app.data(&app.demo_admin(), &update(), json!({ "input": input })).await;
    let payload = &data["updateCycle"];
    assert_eq!(payload["clientMutationId"], "u1");
    assert_eq!(payload["cycle"]["name"], format!("FY{y}"));
    assert_eq!(payload["cycle"]["startsOn"], year["startsOn"], "an omitted date stays");
    assert_eq!(payload["cycle"]["endsOn"], format!("{y}-12-30"));
    assert_eq!(payload["cycle"]["state"], "ACTIVE");
    assert_eq!(
        actions(&app, &year["id"]).await,
        ["cycle.create", "cycle.activate", "cycle.update"],
        "the seed made it"
    );
}

#[tokio::test]
async fn a_planned_cycle_is_activated_once_and_only_an_active_one_closes() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let (year, _) = year_and_quarter(&app).await;
    let y = year_number(&year);
    let input =
        json!({ "name": "Next year", "startsOn": format!("{}-01-01", y + 1), "endsOn": format!("{}-12-31", y + 1) });
    let created = app.data(&token, &create(), json!({ "input": input })).await;
    let id = created["createCycle"]["cycle"]["id"].clone();

    for refused in ["closeCycle", "reopenCycle"] {
        let (_, body) = app.graphql(&token, &transition(refused), json!({ "input": { "id": id } })).await;
        assert_eq!(error_code(&body), "INVALID_STATE_TRANSITION", "{refused}: {body}");
    }
    let data = app
        .data(&token, &transition("activateCycle"), json!({ "input": { "id": id, "clientMutationId": "go" } }))
        .await;
    assert_eq!(data["activateCycle"]["clientMutationId"], "go");
    assert_eq!(data["activateCycle"]["cycle"]["state"], "ACTIVE");
    let (_, body) = app.graphql(&token, &transition("activateCycle"), json!({ "input": { "id": id } })).await;
    assert_eq!(error_code(&body), "INVALID_STATE_TRANSITION", "{body}");
    assert_eq!(actions(&app, &id).await, ["cycle.create", "cycle.activate"]);
}

#[tokio::test]
async fn closing_a_cycle_freezes_final_scores_and_then_nothing_in_it_changes() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let (_, quarter) = year_and_quarter(&app).await;
    let before = objectives_of(&app, &quarter["id"]).await;
    assert_eq!(before.len(), 4);
    assert!(before.iter().all(|o| o["finalScore"].is_null()));

    let data = app
        .data(&token, &transition("closeCycle"), json!({ "input": { "id": quarter["id"], "clientMutationId": "end" } }))
        .await;
    assert_eq!(data["closeCycle"]["clientMutationId"], "end");
    assert_eq!(data["closeCycle"]["cycle"]["state"], "CLOSED");
    assert!(data["closeCycle"]["cycle"]["closedAt"].is_string());
    assert_eq!(actions(&app, &quarter["id"]).await, ["cycle.create", "cycle.activate", "cycle.close"]);

    let after = objectives_of(&app, &quarter["id"]).await;
    for (then, now) in before.iter().zip(&after) {
        assert_eq!(now["id"], then["id"]);
        assert_eq!(now["finalScore"].as_f64(), then["progress"].as_f64(), "{}", now["title"]);
        assert_eq!(now["progress"], then["progress"]);
    }
    assert!(after.iter().any(|o| o["finalScore"].as_f64().unwrap() > 0.0));

    let (objective, key_result) = sales_key_result(&app).await;
    let sam = app.token("company-x", "sam", OrgRole::Member);
    let (_, body) = app.graphql(&sam, CHECK_IN, json!({ "input": { "keyResultId": key_result, "value": 35.0 } })).await;
    assert_eq!(error_code(&body), "CYCLE_CLOSED", "{body}");
    let edit = "mutation($input: UpdateObjectiveInput!) { updateObjective(input: $input) { objective { title } } }";
    let (_, body) = app.graphql(&token, edit, json!({ "input": { "id": objective, "title": "Too late" } })).await;
    assert_eq!(error_code(&body), "CYCLE_CLOSED", "{body}");
    let (_, body) =
        app.graphql(&token, &update(), json!({ "input": { "id": quarter["id"], "name": "Renamed" } })).await;
    assert_eq!(error_code(&body), "CYCLE_CLOSED", "{body}");
    let plan = "mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) { initiative { id } } }";
    let (_, body) =
        app.graphql(&sam, plan, json!({ "input": { "keyResultId": key_result, "title": "Late idea" } })).await;
    assert_eq!(error_code(&body), "CYCLE_CLOSED", "{body}");
    let (_, body) = app.graphql(&token, &transition("closeCycle"), json!({ "input": { "id": quarter["id"] } })).await;
    assert_eq!(error_code(&body), "INVALID_STATE_TRANSITION", "{body}");
    assert_eq!(objectives_of(&app, &quarter["id"]).await, after, "refused changes change nothing");
}

#[tokio::test]
async fn only_admins_reopen_a_closed_cycle_and_check_ins_work_again() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let (_, quarter) = year_and_quarter(&app).await;
    app.data(&token, &transition("closeCycle"), json!({ "input": { "id": quarter["id"] } })).await;

    for lead in ["sam", "dana"] {
        let member = app.token("company-x", lead, OrgRole::Member);
        let (_, body) =
            app.graphql(&member, &transition("reopenCycle"), json!({ "input": { "id": quarter["id"] } })).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{lead}: {body}");
    }
    assert_eq!(actions(&app, &quarter["id"]).await, ["cycle.create", "cycle.activate", "cycle.close"]);

    let input = json!({ "id": quarter["id"], "clientMutationId": "again" });
    let data = app.data(&token, &transition("reopenCycle"), json!({ "input": input })).await;
    assert_eq!(data["reopenCycle"]["clientMutationId"], "again");
    assert_eq!(data["reopenCycle"]["cycle"]["state"], "ACTIVE");
    assert!(data["reopenCycle"]["cycle"]["closedAt"].is_null());
    assert_eq!(actions(&app, &quarter["id"]).await, ["cycle.create", "cycle.activate", "cycle.close", "cycle.reopen"]);
    let query =
        "query($id: ID) { auditEvents(filter: { entityId: $id }) { edges { node { action actor { subject } } } } }";
    let audit = app.data(&token, query, json!({ "id": quarter["id"] })).await;
    assert_eq!(audit["auditEvents"]["edges"][1]["node"]["actor"]["subject"], "dana");
    assert!(objectives_of(&app, &quarter["id"]).await.iter().all(|o| o["finalScore"].is_null()));

    let (_, key_result) = sales_key_result(&app).await;
    let sam = app.token("company-x", "sam", OrgRole::Member);
    let data = app.data(&sam, CHECK_IN, json!({ "input": { "keyResultId": key_result, "value": 35.0 } })).await;
    assert_eq!(data["checkIn"]["checkIn"]["value"].as_f64(), Some(35.0));
    assert_eq!(data["checkIn"]["keyResult"]["currentValue"].as_f64(), Some(35.0));
}

#[tokio::test]
async fn only_admins_can_create_and_change_cycles() {
    let app = TestApp::spawn_demo().await;
    let (year, quarter) = year_and_quarter(&app).await;
    let y = year_number(&year);
    let new = json!({ "name": "Rogue", "startsOn": format!("{}-01-01", y + 1), "endsOn": format!("{}-12-31", y + 1) });
    let attempts = [
        (create(), new),
        (update(), json!({ "id": quarter["id"], "name": "Renamed" })),
        (transition("activateCycle"), json!({ "id": quarter["id"] })),
        (transition("closeCycle"), json!({ "id": quarter["id"] })),
    ];
    let before = audit_total(&app).await;
    for token in [
        app.token("company-x", "sam", OrgRole::Member),
        app.token("company-x", "dana", OrgRole::Member),
        app.token("company-x", "vic", OrgRole::Viewer),
    ] {
        for (mutation, input) in &attempts {
            let (_, body) = app.graphql(&token, mutation, json!({ "input": input })).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{mutation}: {body}");
        }
    }
    assert_eq!(audit_total(&app).await, before);
    let (_, still) = year_and_quarter(&app).await;
    assert_eq!(still, quarter);
    assert_eq!(app.data(&app.demo_admin(), "{ cycles { totalCount } }", json!({})).await["cycles"]["totalCount"], 2);
}
