//! The demo organization, read through the API.

use serde_json::json;
use trellis_tests::TestApp;

const SALES_PAGE: &str = r#"
query($search: String) {
  organization { name slug policy { maxObjectivesPerTeam maxKeyResultsPerObjective mode } }
  objectives(filter: { search: $search }) {
    totalCount
    edges { node {
      id title state alignment progress expectedProgress status checkInCount lastCheckInAt
      team { name parent { name } members { totalCount edges { node { role title person { displayName } } } } }
      cycle { name state parent { name } }
      parent { title progressDriver progress }
      keyResults { totalCount edges { node {
        id title kind unit startValue targetValue currentValue progress status latestConfidence checkInCount
        driver { displayName }
        checkIns(first: 3) { totalCount edges { node { value confidence recordedAt author { displayName } } } }
      } } }
      dependsOn { edges { node { note state to { title team { name } } toKeyResult { title } } } }
    } }
  }
}"#;

#[tokio::test]
async fn the_demo_sales_team_objective_reads_with_key_results_check_ins_and_dependency() {
    let app = TestApp::spawn_demo().await;
    let data = app.data(&app.demo_admin(), SALES_PAGE, json!({ "search": "sales cycle" })).await;

    assert_eq!(data["organization"]["name"], "Company X");
    assert_eq!(data["organization"]["policy"]["mode"], "ENFORCE");
    assert_eq!(data["objectives"]["totalCount"], 1);
    let objective = &data["objectives"]["edges"][0]["node"];
    assert_eq!(objective["title"], "Speed up our sales cycle");
    assert_eq!(objective["state"], "ACTIVE");
    assert_eq!(objective["alignment"], "CONTRIBUTES");
    assert_eq!(objective["team"]["name"], "Sales");
    assert_eq!(objective["team"]["parent"]["name"], "Company X");
    assert_eq!(objective["team"]["members"]["totalCount"], 2);
    assert_eq!(objective["parent"]["title"], "Improve our processes to drive revenue back to positive");
    assert_eq!(objective["parent"]["progressDriver"], "ALIGNED_OBJECTIVES");
    assert!(objective["cycle"]["name"].as_str().unwrap().starts_with('Q'));

    let key_results = &objective["keyResults"]["edges"];
    assert_eq!(objective["keyResults"]["totalCount"], 2);
    let lead_time = &key_results[0]["node"];
    assert_eq!(lead_time["title"], "Reduce lead to sales time from 60 days to 31 days on average");
    assert_eq!(lead_time["kind"], "DECREASE");
    assert_eq!(lead_time["unit"], "DURATION_DAYS");
    assert_eq!((lead_time["startValue"].as_f64(), lead_time["targetValue"].as_f64()), (Some(60.0), Some(31.0)));
    let conversion = &key_results[1]["node"];
    assert_eq!(conversion["kind"], "INCREASE");
    assert_eq!(conversion["unit"], "PERCENT");

    // Progress is what the latest check-in says, and check-ins come newest first.
    let check_ins = &lead_time["checkIns"];
    assert!(check_ins["totalCount"].as_i64().unwrap() >= 1);
    let latest = check_ins["edges"][0]["node"]["value"].as_f64().unwrap();
    assert_eq!(lead_time["currentValue"].as_f64(), Some(latest));
    let expected = (60.0 - latest) / (60.0 - 31.0);
    assert!((lead_time["progress"].as_f64().unwrap() - expected).abs() < 1e-9);
    let times: Vec<&str> =
        check_ins["edges"].as_array().unwrap().iter().map(|e| e["node"]["recordedAt"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");

    // The objective rolls up its key results; the company objective rolls up its contributors.
    let average = (lead_time["progress"].as_f64().unwrap() + conversion["progress"].as_f64().unwrap()) / 2.0;
    assert!((objective["progress"].as_f64().unwrap() - average).abs() < 1e-9);

    let dependency = &objective["dependsOn"]["edges"][0]["node"];
    assert_eq!(dependency["to"]["team"]["name"], "Marketing");
    assert_eq!(dependency["state"], "OPEN");
    assert_eq!(dependency["toKeyResult"]["title"], "Ship a sales enablement kit for the new pricing");
}

#[tokio::test]
async fn the_company_objective_counts_contributors_and_not_supporters() {
    let app = TestApp::spawn_demo().await;
    let query = r#"{ objectives(filter: { search: "revenue back" }) { edges { node {
        progress alignedObjectives { edges { node { title alignment progress } } } } } } }"#;
    let data = app.data(&app.demo_admin(), query, json!({})).await;
    let company = &data["objectives"]["edges"][0]["node"];
    let children = company["alignedObjectives"]["edges"].as_array().unwrap();
    assert_eq!(children.len(), 3);
    let contributing: Vec<f64> = children
        .iter()
        .filter(|c| c["node"]["alignment"] == "CONTRIBUTES")
        .map(|c| c["node"]["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(contributing.len(), 2, "Sales and Marketing contribute, Product supports");
    let expected = contributing.iter().sum::<f64>() / 2.0;
    assert!((company["progress"].as_f64().unwrap() - expected).abs() < 1e-9);
}

#[tokio::test]
async fn every_demo_object_resolves_through_node_by_its_global_id() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let ids = app
        .data(&token, r#"{
            organization { id }
            viewer { person { id } }
            teams(first: 1) { edges { node { id members(first: 1) { edges { node { id } } } } } }
            cycles(first: 1) { edges { node { id } } }
            objectives(first: 2) { edges { node { id keyResults(first: 1) { edges { node { id checkIns(first: 1) { edges { node { id } } } } } } dependsOn { edges { node { id } } } } } }
        }"#, json!({}))
        .await;
    let mut wanted = vec![
        (ids["organization"]["id"].clone(), "Organization"),
        (ids["viewer"]["person"]["id"].clone(), "Person"),
        (ids["teams"]["edges"][0]["node"]["id"].clone(), "Team"),
        (ids["teams"]["edges"][0]["node"]["members"]["edges"][0]["node"]["id"].clone(), "Membership"),
        (ids["cycles"]["edges"][0]["node"]["id"].clone(), "Cycle"),
    ];
    let sales = &ids["objectives"]["edges"][1]["node"];
    wanted.push((sales["id"].clone(), "Objective"));
    wanted.push((sales["keyResults"]["edges"][0]["node"]["id"].clone(), "KeyResult"));
    wanted.push((sales["keyResults"]["edges"][0]["node"]["checkIns"]["edges"][0]["node"]["id"].clone(), "CheckIn"));
    wanted.push((sales["dependsOn"]["edges"][0]["node"]["id"].clone(), "Dependency"));

    let all: Vec<_> = wanted.iter().map(|(id, _)| id.clone()).collect();
    let data =
        app.data(&token, "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", json!({ "ids": all })).await;
    for (index, (id, typename)) in wanted.iter().enumerate() {
        assert!(id.is_string(), "{typename} id missing");
        assert_eq!(data["nodes"][index]["__typename"], *typename);
        assert_eq!(data["nodes"][index]["id"], *id);
        let one = app.data(&token, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(one["node"]["id"], *id);
    }
}

#[tokio::test]
async fn teams_list_by_parent_and_by_name() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let roots = app
        .data(&token, "{ teams(rootsOnly: true) { edges { node { id name children { totalCount } } } } }", json!({}))
        .await;
    let root = &roots["teams"]["edges"][0]["node"];
    assert_eq!(root["name"], "Company X");
    assert_eq!(root["children"]["totalCount"], 3);
    let children =
        app.data(&token, "query($p: ID) { teams(parentId: $p) { totalCount } }", json!({ "p": root["id"] })).await;
    assert_eq!(children["teams"]["totalCount"], 3);
    let found = app.data(&token, r#"{ teams(search: "MARKET") { edges { node { name } } } }"#, json!({})).await;
    assert_eq!(found["teams"]["edges"][0]["node"]["name"], "Marketing");
}
