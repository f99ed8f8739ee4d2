//! Initiatives, cross-team dependencies and the focus policy over GraphQL.

use serde_json::{Value, json};
use service::OrgRole;
use trellis_tests::{TestApp, error_code};

const CREATE_INITIATIVE: &str = "mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) {
  clientMutationId initiative { id title state assignee { subject } keyResult { id } } } }";
const UPDATE_INITIATIVE: &str = "mutation($input: UpdateInitiativeInput!) { updateInitiative(input: $input) {
  clientMutationId initiative { id title state assignee { subject } } } }";
const CREATE_DEPENDENCY: &str = "mutation($input: CreateDependencyInput!) { createDependency(input: $input) {
  clientMutationId dependency { id note state resolvedAt from { title } fromKeyResult { title } to { title } toKeyResult { title } } } }";
const RESOLVE_DEPENDENCY: &str = "mutation($input: ResolveDependencyInput!) { resolveDependency(input: $input) {
  clientMutationId dependency { id state resolvedAt } } }";
const UPDATE_POLICY: &str = "mutation($input: UpdatePolicyInput!) { updatePolicy(input: $input) {
  clientMutationId organization { id policy { maxObjectivesPerTeam maxKeyResultsPerObjective mode } } } }";
const OKR: &str = "query($s: String) { objectives(filter: { search: $s }) { edges { node { id progress
  keyResults { edges { node { id title progress initiatives { totalCount edges { node { id title } } } } } }
  dependsOn { edges { node { id state } } } dependedOnBy { edges { node { id state from { title } } } } } } } }";

fn member(app: &TestApp, subject: &str) -> String {
    app.token("company-x", subject, OrgRole::Member)
}

/// The objective whose title contains `search`, with its key results, initiatives and dependencies.
async fn objective(app: &TestApp, search: &str) -> Value {
    let data = app.data(&app.demo_admin(), OKR, json!({ "s": search })).await;
    data["objectives"]["edges"][0]["node"].clone()
}

fn key_result(objective: &Value, index: usize) -> Value {
    objective["keyResults"]["edges"][index]["node"].clone()
}

/// The person id behind a subject's token.
async fn person_id(app: &TestApp, subject: &str) -> Value {
    app.data(&member(app, subject), "{ viewer { person { id } } }", json!({})).await["viewer"]["person"]["id"].clone()
}

/// The titles of the initiatives assigned to `subject`.
async fn assigned(app: &TestApp, subject: &str) -> Vec<String> {
    let query = "{ viewer { person { initiatives { edges { node { title } } } } } }";
    let data = app.data(&member(app, subject), query, json!({})).await;
    let edges = data["viewer"]["person"]["initiatives"]["edges"].as_array().unwrap();
    edges.iter().map(|e| e["node"]["title"].as_str().unwrap().to_owned()).collect()
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

#[tokio::test]
async fn team_members_plan_initiatives_that_never_move_progress() {
    let app = TestApp::spawn_demo().await;
    let before = objective(&app, "sales cycle").await;
    let conversion = key_result(&before, 1);
    let input = json!({ "keyResultId": conversion["id"], "title": "Call every trial on day 3",
        "assigneeId": person_id(&app, "sid").await, "clientMutationId": "i1" });
    let data = app.data(&member(&app, "sid"), CREATE_INITIATIVE, json!({ "input": input })).await;
    let created = &data["createInitiative"];
    assert_eq!(created["clientMutationId"], "i1");
    assert_eq!(created["initiative"]["state"], "PLANNED");
    assert_eq!(created["initiative"]["assignee"]["subject"], "sid");
    assert_eq!(created["initiative"]["keyResult"]["id"], conversion["id"]);
    let id = created["initiative"]["id"].clone();

    let done = json!({ "id": id, "state": "DONE" });
    app.data(&member(&app, "sid"), UPDATE_INITIATIVE, json!({ "input": done })).await;
    let after = objective(&app, "sales cycle").await;
    assert_eq!(after["progress"], before["progress"], "initiatives never count towards progress");
    assert_eq!(key_result(&after, 1)["progress"], conversion["progress"]);
    assert_eq!(key_result(&after, 1)["initiatives"]["totalCount"], 1);
    assert_eq!(key_result(&after, 1)["initiatives"]["edges"][0]["node"]["id"], id);
    assert_eq!(key_result(&after, 0)["initiatives"]["totalCount"], 0);
    assert_eq!(assigned(&app, "sid").await, ["Call every trial on day 3"]);
    assert_eq!(actions(&app, &id).await, ["initiative.create", "initiative.update"]);
}

#[tokio::test]
async fn initiatives_move_along_and_are_reassigned_or_unassigned() {
    let app = TestApp::spawn_demo().await;
    let sam = member(&app, "sam");
    let kr = key_result(&objective(&app, "sales cycle").await, 0);
    let input =
        json!({ "keyResultId": kr["id"], "title": "Qualify leads faster", "assigneeId": person_id(&app, "sid").await });
    let data = app.data(&sam, CREATE_INITIATIVE, json!({ "input": input })).await;
    let id = data["createInitiative"]["initiative"]["id"].clone();

    let input =
        json!({ "id": id, "state": "IN_PROGRESS", "title": "Qualify leads within a day", "clientMutationId": "u1" });
    let data = app.data(&sam, UPDATE_INITIATIVE, json!({ "input": input })).await;
    let updated = &data["updateInitiative"];
    assert_eq!(updated["clientMutationId"], "u1");
    assert_eq!(updated["initiative"]["state"], "IN_PROGRESS");
    assert_eq!(updated["initiative"]["title"], "Qualify leads within a day");
    assert_eq!(updated["initiative"]["assignee"]["subject"], "sid", "an omitted assignee stays");

    let input = json!({ "id": id, "assigneeId": person_id(&app, "sam").await, "state": "DONE" });
    let data = app.data(&sam, UPDATE_INITIATIVE, json!({ "input": input })).await;
    assert_eq!(data["updateInitiative"]["initiative"]["assignee"]["subject"], "sam");
    assert_eq!(data["updateInitiative"]["initiative"]["state"], "DONE");
    assert_eq!(assigned(&app, "sam").await, ["Qualify leads within a day"]);
    assert!(assigned(&app, "sid").await.is_empty());

    let data = app.data(&sam, UPDATE_INITIATIVE, json!({ "input": { "id": id, "assigneeId": null } })).await;
    assert!(data["updateInitiative"]["initiative"]["assignee"].is_null());
    assert_eq!(data["updateInitiative"]["initiative"]["state"], "DONE");
    assert!(assigned(&app, "sam").await.is_empty());
    assert_eq!(
        actions(&app, &id).await,
        ["initiative.create", "initiative.update", "initiative.update", "initiative.update"]
    );
}

#[tokio::test]
async fn initiatives_are_planned_by_the_owning_team_for_its_own_members() {
    let app = TestApp::spawn_demo().await;
    let kr = key_result(&objective(&app, "sales cycle").await, 0);
    let maria = person_id(&app, "maria").await;
    let before = audit_total(&app).await;
    let outsider = json!({ "keyResultId": kr["id"], "title": "Borrow Maria", "assigneeId": maria });
    let (_, body) = app.graphql(&app.demo_admin(), CREATE_INITIATIVE, json!({ "input": outsider })).await;
    assert_eq!(error_code(&body), "NOT_TEAM_MEMBER", "{body}");
    let (_, body) = app.graphql(&member(&app, "sam"), CREATE_INITIATIVE, json!({ "input": outsider })).await;
    assert_eq!(error_code(&body), "NOT_TEAM_MEMBER", "{body}");

    let plain = json!({ "keyResultId": kr["id"], "title": "Help Sales out" });
    for (subject, role) in [("maria", OrgRole::Member), ("pat", OrgRole::Member), ("sid", OrgRole::Viewer)] {
        let token = app.token("company-x", subject, role);
        let (_, body) = app.graphql(&token, CREATE_INITIATIVE, json!({ "input": plain })).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{subject}: {body}");
    }
    assert_eq!(audit_total(&app).await, before);

    let data = app.data(&member(&app, "sid"), CREATE_INITIATIVE, json!({ "input": plain })).await;
    let id = data["createInitiative"]["initiative"]["id"].clone();
    assert!(data["createInitiative"]["initiative"]["assignee"].is_null());
    let (_, body) = app
        .graphql(&member(&app, "sid"), UPDATE_INITIATIVE, json!({ "input": { "id": id, "assigneeId": maria } }))
        .await;
    assert_eq!(error_code(&body), "NOT_TEAM_MEMBER", "{body}");
    let (_, body) =
        app.graphql(&member(&app, "maria"), UPDATE_INITIATIVE, json!({ "input": { "id": id, "state": "DONE" } })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(actions(&app, &id).await, ["initiative.create"]);
}

#[tokio::test]
async fn a_sales_lead_records_what_sales_needs_from_marketing() {
    let app = TestApp::spawn_demo().await;
    let (sales, marketing) = (objective(&app, "sales cycle").await, objective(&app, "qualified leads").await);
    let input = json!({ "fromId": sales["id"], "toId": marketing["id"], "note": "More leads before Q-end", "clientMutationId": "d1" });
    let data = app.data(&member(&app, "sam"), CREATE_DEPENDENCY, json!({ "input": input })).await;
    let created = &data["createDependency"];
    assert_eq!(created["clientMutationId"], "d1");
    assert_eq!(created["dependency"]["state"], "OPEN");
    assert_eq!(created["dependency"]["note"], "More leads before Q-end");
    assert_eq!(created["dependency"]["from"]["title"], "Speed up our sales cycle");
    assert_eq!(created["dependency"]["to"]["title"], "Fill the pipeline with qualified leads");
    assert!(created["dependency"]["toKeyResult"].is_null());
    let first = created["dependency"]["id"].clone();
    assert_eq!(actions(&app, &first).await, ["dependency.create"]);

    let input = json!({ "fromId": key_result(&sales, 1)["id"], "toId": key_result(&marketing, 0)["id"] });
    let data = app.data(&member(&app, "sam"), CREATE_DEPENDENCY, json!({ "input": input })).await;
    let narrow = &data["createDependency"]["dependency"];
    assert_eq!(narrow["fromKeyResult"]["title"], key_result(&sales, 1)["title"]);
    assert_eq!(narrow["toKeyResult"]["title"], key_result(&marketing, 0)["title"]);
    assert_eq!(narrow["from"]["title"], "Speed up our sales cycle");

    let ids = |o: &Value, field: &str| -> Vec<Value> {
        o[field]["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].clone()).collect()
    };
    let (sales, marketing) = (objective(&app, "sales cycle").await, objective(&app, "qualified leads").await);
    assert_eq!(ids(&sales, "dependsOn").len(), 3, "the demo's dependency and the two new ones");
    assert!(ids(&sales, "dependsOn").contains(&first) && ids(&sales, "dependsOn").contains(&narrow["id"]));
    assert_eq!(ids(&marketing, "dependedOnBy"), ids(&sales, "dependsOn"));
    assert!(ids(&marketing, "dependsOn").is_empty());
}

#[tokio::test]
async fn a_dependency_links_two_teams_and_is_recorded_by_a_lead_of_the_needing_team() {
    let app = TestApp::spawn_demo().await;
    let (sales, marketing) = (objective(&app, "sales cycle").await, objective(&app, "qualified leads").await);
    let before = audit_total(&app).await;
    let same_team = json!({ "fromId": sales["id"], "toId": key_result(&sales, 0)["id"] });
    let (_, body) = app.graphql(&member(&app, "sam"), CREATE_DEPENDENCY, json!({ "input": same_team })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");

    let input = json!({ "fromId": sales["id"], "toId": marketing["id"] });
    for (subject, role) in
        [("sid", OrgRole::Member), ("maria", OrgRole::Member), ("pat", OrgRole::Member), ("sam", OrgRole::Viewer)]
    {
        let (_, body) =
            app.graphql(&app.token("company-x", subject, role), CREATE_DEPENDENCY, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{subject}: {body}");
    }
    assert_eq!(audit_total(&app).await, before);
    assert_eq!(objective(&app, "sales cycle").await["dependsOn"]["edges"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_lead_of_either_team_resolves_a_dependency_once() {
    let app = TestApp::spawn_demo().await;
    let sales = objective(&app, "sales cycle").await;
    let demo = sales["dependsOn"]["edges"][0]["node"]["id"].clone();
    for subject in ["sid", "pat"] {
        let (_, body) =
            app.graphql(&member(&app, subject), RESOLVE_DEPENDENCY, json!({ "input": { "id": demo } })).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{subject}: {body}");
    }
    let data = app
        .data(&member(&app, "maria"), RESOLVE_DEPENDENCY, json!({ "input": { "id": demo, "clientMutationId": "r1" } }))
        .await;
    assert_eq!(data["resolveDependency"]["clientMutationId"], "r1");
    assert_eq!(data["resolveDependency"]["dependency"]["state"], "RESOLVED");
    assert!(data["resolveDependency"]["dependency"]["resolvedAt"].is_string());
    let (_, body) = app.graphql(&member(&app, "sam"), RESOLVE_DEPENDENCY, json!({ "input": { "id": demo } })).await;
    assert_eq!(error_code(&body), "INVALID_STATE_TRANSITION", "{body}");
    assert_eq!(actions(&app, &demo).await, ["dependency.create", "dependency.resolve"], "the seed created it");
    assert_eq!(objective(&app, "qualified leads").await["dependedOnBy"]["edges"][0]["node"]["state"], "RESOLVED");

    // The lead of the needing team may resolve it too.
    let marketing = objective(&app, "qualified leads").await;
    let input = json!({ "fromId": sales["id"], "toId": marketing["id"] });
    let created = app.data(&member(&app, "sam"), CREATE_DEPENDENCY, json!({ "input": input })).await;
    let id = created["createDependency"]["dependency"]["id"].clone();
    let data = app.data(&member(&app, "sam"), RESOLVE_DEPENDENCY, json!({ "input": { "id": id } })).await;
    assert_eq!(data["resolveDependency"]["dependency"]["state"], "RESOLVED");
    assert_eq!(actions(&app, &id).await, ["dependency.create", "dependency.resolve"]);
}

#[tokio::test]
async fn only_admins_change_the_focus_policy_within_its_bounds() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let before = audit_total(&app).await;
    let change = json!({ "maxObjectivesPerTeam": 3 });
    for (subject, role) in [("sam", OrgRole::Member), ("dana", OrgRole::Member), ("dana", OrgRole::Viewer)] {
        let (_, body) =
            app.graphql(&app.token("company-x", subject, role), UPDATE_POLICY, json!({ "input": change })).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{subject}: {body}");
    }
    for field in ["maxObjectivesPerTeam", "maxKeyResultsPerObjective"] {
        for value in [0, -1, 21] {
            let (_, body) = app.graphql(&token, UPDATE_POLICY, json!({ "input": { field: value } })).await;
            assert_eq!(error_code(&body), "BAD_USER_INPUT", "{field} = {value}: {body}");
        }
    }
    assert_eq!(audit_total(&app).await, before);

    let input =
        json!({ "maxObjectivesPerTeam": 1, "maxKeyResultsPerObjective": 20, "mode": "WARN", "clientMutationId": "p1" });
    let data = app.data(&token, UPDATE_POLICY, json!({ "input": input })).await;
    assert_eq!(data["updatePolicy"]["clientMutationId"], "p1");
    let expected = json!({ "maxObjectivesPerTeam": 1, "maxKeyResultsPerObjective": 20, "mode": "WARN" });
    assert_eq!(data["updatePolicy"]["organization"]["policy"], expected);
    let read = app
        .data(
            &member(&app, "sid"),
            "{ organization { id policy { maxObjectivesPerTeam maxKeyResultsPerObjective mode } } }",
            json!({}),
        )
        .await;
    assert_eq!(read["organization"]["policy"], expected);

    let data = app.data(&token, UPDATE_POLICY, json!({ "input": { "mode": "ENFORCE" } })).await;
    let policy = &data["updatePolicy"]["organization"]["policy"];
    assert_eq!((policy["mode"].as_str(), policy["maxObjectivesPerTeam"].as_i64()), (Some("ENFORCE"), Some(1)));
    let audit = actions(&app, &read["organization"]["id"]).await;
    assert_eq!(audit.iter().filter(|a| *a == "organization.update_policy").count(), 2, "{audit:?}");
}

const INITIATIVES: &str = "query($kr: ID, $team: ID, $q: Quadrant) {
  initiatives(keyResultId: $kr, teamId: $team, quadrant: $q) { totalCount edges { node { title impact effort quadrant } } } }";

async fn titles(app: &TestApp, variables: Value) -> Vec<String> {
    let data = app.data(&member(app, "sid"), INITIATIVES, variables).await;
    let edges = data["initiatives"]["edges"].as_array().unwrap();
    edges.iter().map(|e| e["node"]["title"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn initiatives_sit_on_the_impact_effort_matrix_of_their_key_result_and_team() {
    let app = TestApp::spawn_demo().await;
    let conversion = key_result(&objective(&app, "sales cycle").await, 1);
    let create = "mutation($input: CreateInitiativeInput!) { createInitiative(input: $input) {
      initiative { id impact effort quadrant } } }";
    let rated = [
        ("Call every trial on day 3", json!("HIGH"), json!("LOW"), json!("QUICK_WIN")),
        ("Rebuild the CRM", json!("HIGH"), json!("HIGH"), json!("MAJOR_PROJECT")),
        ("Tidy the sales wiki", json!("LOW"), json!("LOW"), json!("FILL_IN")),
        ("Hand-write every proposal", json!("LOW"), json!("HIGH"), json!("THANKLESS")),
        ("Not rated yet", Value::Null, json!("LOW"), Value::Null),
    ];
    let mut ids = Vec::new();
    for (title, impact, effort, quadrant) in rated.clone() {
        let input = json!({ "keyResultId": conversion["id"], "title": title, "impact": impact, "effort": effort });
        let data = app.data(&member(&app, "sid"), create, json!({ "input": input })).await;
        let initiative = &data["createInitiative"]["initiative"];
        assert_eq!((&initiative["impact"], &initiative["effort"]), (&impact, &effort));
        assert_eq!(initiative["quadrant"], quadrant, "{title}");
        ids.push(initiative["id"].clone());
    }
    let of_key_result = |q: &str| json!({ "kr": conversion["id"], "q": q });
    assert_eq!(titles(&app, of_key_result("QUICK_WIN")).await, ["Call every trial on day 3"]);
    assert_eq!(titles(&app, of_key_result("THANKLESS")).await, ["Hand-write every proposal"]);
    let teams =
        app.data(&app.demo_admin(), "{ teams(search: \"Sales\") { edges { node { id name } } } }", json!({})).await;
    let sales = teams["teams"]["edges"].as_array().unwrap().iter().find(|t| t["node"]["name"] == "Sales").unwrap();
    let of_team = |q: Value| json!({ "team": sales["node"]["id"], "q": q });
    assert_eq!(titles(&app, of_team(json!("MAJOR_PROJECT"))).await, ["Rebuild the CRM"]);
    let all = titles(&app, of_team(Value::Null)).await;
    assert!(rated.iter().all(|(title, ..)| all.iter().any(|t| t == title)), "{all:?}");
    let product =
        app.data(&app.demo_admin(), "{ teams(search: \"Product\") { edges { node { id } } } }", json!({})).await;
    let elsewhere = titles(&app, json!({ "team": product["teams"]["edges"][0]["node"]["id"] })).await;
    assert!(!elsewhere.iter().any(|t| rated.iter().any(|(title, ..)| t == title)), "{elsewhere:?}");

    // A rating cleared takes the initiative off the matrix; the other axis stays.
    let update = "mutation($input: UpdateInitiativeInput!) { updateInitiative(input: $input) {
      initiative { impact effort quadrant } } }";
    let data = app.data(&member(&app, "sid"), update, json!({ "input": { "id": ids[0], "impact": null } })).await;
    assert_eq!(data["updateInitiative"]["initiative"], json!({ "impact": null, "effort": "LOW", "quadrant": null }));
    assert!(titles(&app, of_key_result("QUICK_WIN")).await.is_empty());
    let input = json!({ "id": ids[4], "impact": "HIGH" });
    let data = app.data(&member(&app, "sid"), update, json!({ "input": input })).await;
    assert_eq!(data["updateInitiative"]["initiative"]["quadrant"], "QUICK_WIN");
    assert_eq!(titles(&app, of_key_result("QUICK_WIN")).await, ["Not rated yet"]);
    assert_eq!(actions(&app, &ids[4]).await, ["initiative.create", "initiative.update"]);

    for wrong in [json!({}), json!({ "kr": conversion["id"], "team": sales["node"]["id"] })] {
        let (_, body) = app.graphql(&member(&app, "sid"), INITIATIVES, wrong).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
}
