//! Reads cost a fixed number of SQL statements, whatever the size of what they read.

use seed::generate::{Generated, Scale};
use serde_json::{Value, json};
use service::OrgRole;
use trellis_tests::{TestApp, token};

const NESTED: &str = "{ objectives(first: 100) { edges { node { title
    keyResults { edges { node { title checkIns(first: 3) { edges { node { value } } } } } }
    team { name members { edges { node { role person { displayName } } } } } } } } }";
const DASHBOARD: &str = "query($team: ID!, $cycle: ID!) { dashboard(teamId: $team, cycleId: $cycle) {
    statusCounts { green yellow red }
    objectives { title progress status keyResults { edges { node { title progress status currentValue lastCheckInAt } } } }
    dependsOn { note to { title team { name } } } dependedOnBy { note from { title team { name } } } } }";
const TREE: &str = "query($cycle: ID!) { alignmentTree(cycleId: $cycle) {
    nodes { depth parentId objective { title progress expectedProgress status team { name }
        keyResults { edges { node { title progress currentValue } } } } }
    dependencies { from { id } to { id } } } }";

/// The fewest statements one request took over three runs: batching windows can split
/// under load, but an N+1 would show in every run.
pub(crate) async fn statements(app: &TestApp, token: &str, query: &str, variables: Value) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = app.statements.get();
        app.data(token, query, variables.clone()).await;
        fewest = fewest.min(app.statements.get() - before);
    }
    fewest
}

async fn generated(slug: &str, scale: Scale) -> (TestApp, Generated, String) {
    let app = TestApp::spawn().await;
    let generated = seed::generate::organization(&app.db, slug, scale, chrono::Utc::now()).await.unwrap();
    let admin = token(slug, "admin", OrgRole::Admin, std::time::Duration::from_secs(600));
    (app, generated, admin)
}

fn id(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{}", uuid.simple()))
}

#[tokio::test]
async fn nested_lists_dashboards_and_trees_cost_the_same_statements_for_10_and_1000_objectives() {
    let small = Scale { teams: 1, objectives_per_team: 10, key_results_per_objective: 3, check_ins_per_key_result: 4 };
    let large = Scale { objectives_per_team: 1000, ..small };
    let mut counts = Vec::new();
    for (slug, scale) in [("small", small), ("large", large)] {
        let (app, generated, admin) = generated(slug, scale).await;
        assert_eq!(generated.objectives, scale.objectives_per_team);
        let team = id("Team", generated.root_team_id);
        let cycle = id("Cycle", generated.cycle_id);
        let dashboard = app.data(&admin, DASHBOARD, json!({ "team": team, "cycle": cycle })).await;
        assert_eq!(dashboard["dashboard"]["objectives"].as_array().unwrap().len(), scale.objectives_per_team);
        counts.push((
            statements(&app, &admin, NESTED, json!({})).await,
            statements(&app, &admin, DASHBOARD, json!({ "team": team, "cycle": cycle })).await,
        ));
    }
    assert_eq!(counts[0], counts[1], "(nested, dashboard) statements for 10 vs 1000 objectives");
    assert!(counts[1].0 <= 10 && counts[1].1 <= 10, "{counts:?}");
}

#[tokio::test]
async fn a_whole_organization_tree_costs_the_same_statements_for_10_and_1000_objectives() {
    let small = Scale { teams: 3, objectives_per_team: 4, key_results_per_objective: 2, check_ins_per_key_result: 2 };
    let large = Scale { teams: 250, ..small };
    let mut counts = Vec::new();
    for (slug, scale) in [("small", small), ("large", large)] {
        let (app, generated, admin) = generated(slug, scale).await;
        let cycle = id("Cycle", generated.cycle_id);
        let tree = app.data(&admin, TREE, json!({ "cycle": cycle })).await;
        let nodes = tree["alignmentTree"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), generated.objectives, "every objective is in the tree");
        assert!(nodes.iter().any(|n| n["depth"] == 2), "three levels deep");
        counts.push(statements(&app, &admin, TREE, json!({ "cycle": cycle })).await);
    }
    assert_eq!(counts[0], counts[1], "tree statements for 12 vs 1000 objectives");
    assert!(counts[1] <= 10, "{counts:?}");
}

#[tokio::test]
async fn a_tree_reads_only_what_its_query_selects_and_nested_check_ins_in_one_statement() {
    let scale = Scale { teams: 3, objectives_per_team: 4, key_results_per_objective: 2, check_ins_per_key_result: 3 };
    let (app, generated, admin) = generated("lean", scale).await;
    let cycle = json!({ "cycle": id("Cycle", generated.cycle_id) });
    let titles = "query($cycle: ID!) { alignmentTree(cycleId: $cycle) { nodes { depth objective { title } } } }";
    // The cycle and its objectives: no key results, teams or dependencies.
    assert_eq!(statements(&app, &admin, titles, cycle.clone()).await, 2);

    let latest = "query($cycle: ID!) { alignmentTree(cycleId: $cycle) { nodes { objective {
        keyResults { edges { node { id checkIns(first: 2) { totalCount edges { node { value recordedAt } } } } } } } } } }";
    // Cycle, objectives, key results, and the newest check-ins of all key results at once.
    assert_eq!(statements(&app, &admin, latest, cycle.clone()).await, 4);

    // A page of objectives prefetches the same way: the page, key results, check-ins.
    let page = "{ objectives(first: 20) { edges { node { title
        keyResults { edges { node { checkIns(first: 1) { edges { node { value } } } } } } } } } }";
    assert_eq!(statements(&app, &admin, page, json!({})).await, 3);

    // What the tree prefetched is what each key result reads on its own.
    let tree = app.data(&admin, latest, cycle).await;
    let key_results: Vec<&Value> = tree["alignmentTree"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["objective"]["keyResults"]["edges"].as_array().unwrap())
        .map(|e| &e["node"])
        .collect();
    assert_eq!(key_results.len(), generated.key_results);
    let alone = "query($id: ID!) { node(id: $id) { ... on KeyResult {
        checkIns(first: 2) { totalCount edges { node { value recordedAt } } } } } }";
    for kr in key_results.iter().take(5) {
        let own = app.data(&admin, alone, json!({ "id": kr["id"] })).await;
        assert_eq!(own["node"]["checkIns"], kr["checkIns"]);
        assert_eq!(kr["checkIns"]["edges"].as_array().unwrap().len(), 2);
        assert_eq!(kr["checkIns"]["totalCount"], 3);
    }
}

#[tokio::test]
async fn prefetched_check_ins_honour_aliases_variables_and_cursors() {
    let scale = Scale { teams: 3, objectives_per_team: 2, key_results_per_objective: 2, check_ins_per_key_result: 4 };
    let (app, generated, admin) = generated("aliases", scale).await;
    let query = "query($cycle: ID!, $n: Int!) { alignmentTree(cycleId: $cycle) { nodes { objective {
        keyResults { nodes { id
            newest: checkIns(first: 1) { edges { node { value recordedAt } } }
            some: checkIns(first: $n) { totalCount pageInfo { hasNextPage } edges { cursor node { value recordedAt } } }
        } } } } } }";
    let variables = json!({ "cycle": id("Cycle", generated.cycle_id), "n": 3 });
    // Two page sizes: one statement each, on top of cycle, objectives and key results.
    assert_eq!(statements(&app, &admin, query, variables.clone()).await, 5);
    let tree = app.data(&admin, query, variables).await;
    let alone = "query($id: ID!, $n: Int!, $after: String) { node(id: $id) { ... on KeyResult {
        checkIns(first: $n, after: $after) { totalCount pageInfo { hasNextPage } edges { cursor node { value recordedAt } } } } } }";
    let key_results: Vec<&Value> = tree["alignmentTree"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|n| n["objective"]["keyResults"]["nodes"].as_array().unwrap())
        .collect();
    assert_eq!(key_results.len(), generated.key_results);
    for kr in key_results.iter().take(3) {
        let own = app.data(&admin, alone, json!({ "id": kr["id"], "n": 3 })).await;
        assert_eq!(own["node"]["checkIns"], kr["some"]);
        assert_eq!(kr["some"]["pageInfo"]["hasNextPage"], true);
        assert_eq!(kr["newest"]["edges"][0]["node"], own["node"]["checkIns"]["edges"][0]["node"]);
        // A page after a cursor is not the newest page: it is read on its own, correctly.
        let cursor = &kr["some"]["edges"][2]["cursor"];
        let rest = app.data(&admin, alone, json!({ "id": kr["id"], "n": 3, "after": cursor })).await;
        assert_eq!(rest["node"]["checkIns"]["edges"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn insights_cost_the_same_statements_for_12_and_1000_objectives_however_many_fields_ask() {
    let small = Scale { teams: 3, objectives_per_team: 4, key_results_per_objective: 2, check_ins_per_key_result: 4 };
    let large = Scale { teams: 250, ..small };
    let query = "query($cycle: ID!) {
        insights(cycleId: $cycle, first: 100) { totalCount edges { node { kind severity message team { name } } } }
        objectives(first: 50) { edges { node { insights(first: 5) { totalCount }
            keyResults { edges { node { insights(first: 5) { totalCount } } } } } } } }";
    let alone = "query($cycle: ID!) { insights(cycleId: $cycle, first: 100) { edges { node { kind } } } }";
    let mut counts = Vec::new();
    for (slug, scale) in [("small", small), ("large", large)] {
        let (app, generated, admin) = generated(slug, scale).await;
        let cycle = json!({ "cycle": id("Cycle", generated.cycle_id) });
        let data = app.data(&admin, query, cycle.clone()).await;
        assert!(data["insights"]["totalCount"].as_u64().unwrap() > 0, "a generated organization has findings");
        counts
            .push((statements(&app, &admin, alone, cycle.clone()).await, statements(&app, &admin, query, cycle).await));
    }
    assert_eq!(counts[0], counts[1], "(insights, with nested insights) statements for 12 vs 1000 objectives");
    // Twelve statements compute a cycle's insights (seven of them its OKRs, four its
    // strategy); the page of objectives, their key results and the insights' teams add
    // three, and nested insights none.
    assert!(counts[1].0 <= 13 && counts[1].1 <= 16, "{counts:?}");
}

#[tokio::test]
async fn insights_read_again_only_the_check_in_histories_that_changed() {
    let scale = Scale { teams: 3, objectives_per_team: 4, key_results_per_objective: 2, check_ins_per_key_result: 4 };
    let (app, generated, admin) = generated("histories", scale).await;
    let cycle = json!({ "cycle": id("Cycle", generated.cycle_id) });
    let query = "query($cycle: ID!) { insights(cycleId: $cycle, first: 100) { totalCount } }";
    let read = || async {
        let before = app.statements.get();
        let data = app.data(&admin, query, cycle.clone()).await;
        (app.statements.get() - before, data["insights"]["totalCount"].clone())
    };
    let (_, first) = read().await;
    let (again, same) = read().await;
    assert_eq!(same, first);
    let objectives = "{ objectives(first: 1) { edges { node { keyResults { edges { node { id startValue } } } } } } }";
    let data = app.data(&admin, objectives, json!({})).await;
    let key_result = data["objectives"]["edges"][0]["node"]["keyResults"]["edges"][0]["node"].clone();
    // Back to where it started, after four check-ins that rose: the trend turns behind.
    let mutation = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
    let input = json!({ "keyResultId": key_result["id"], "value": key_result["startValue"], "confidence": "AT_RISK" });
    app.data(&admin, mutation, json!({ "i": input })).await;
    let (after, _) = read().await;
    assert_eq!(after, again + 1, "the history that changed is read again, in one statement");
    let own = "query($id: ID!) { node(id: $id) { ... on KeyResult { insights(first: 20) { edges { node {
        kind figures { ... on BehindPaceFigures { checkIns } } } } } } } }";
    let data = app.data(&admin, own, json!({ "id": key_result["id"] })).await;
    let insights = data["node"]["insights"]["edges"].as_array().unwrap();
    let behind = insights.iter().find(|i| i["node"]["kind"] == "BEHIND_PACE").expect("behind pace now");
    assert_eq!(behind["node"]["figures"]["checkIns"], 5, "the new check-in counts");
    assert_eq!(read().await.0, again, "and is current again");
}

#[tokio::test]
async fn a_team_week_and_its_due_check_ins_cost_the_same_statements_for_10_and_1000_objectives() {
    let small = Scale { teams: 1, objectives_per_team: 10, key_results_per_objective: 3, check_ins_per_key_result: 4 };
    let large = Scale { objectives_per_team: 1000, ..small };
    let due = "query($team: ID!) { dueCheckIns(teamId: $team) { keyResult { title } dueAt overdue } }";
    let week = "query($team: ID!) { teamWeek(teamId: $team) { week editable note { items { text } }
        checkIns { value keyResult { title } } } }";
    let mut counts = Vec::new();
    for (slug, scale) in [("small", small), ("large", large)] {
        let (app, generated, admin) = generated(slug, scale).await;
        let team = json!({ "team": id("Team", generated.root_team_id) });
        app.data(&admin, due, team.clone()).await;
        counts.push((statements(&app, &admin, due, team.clone()).await, statements(&app, &admin, week, team).await));
    }
    assert_eq!(counts[0], counts[1], "(due check-ins, team week) statements for 10 vs 1000 objectives");
    assert!(counts[1].0 <= 5 && counts[1].1 <= 5, "{counts:?}");
}
