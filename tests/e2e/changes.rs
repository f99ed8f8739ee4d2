//! The `changes` feed: team, membership, cycle, policy, initiative and dependency
//! changes reach live subscribers once committed, filtered by team and kind.

use crate::check_ins::demo;
use serde_json::{Value, json};
use std::time::Duration;
use trellis_tests::TestApp;

const CHANGES: &str = "subscription($t: ID, $k: [ChangeKind!]) { changes(teamId: $t, kinds: $k) {
    resync kind id change teamIds } }";
const RENAME: &str = "mutation($input: UpdateTeamInput!) { updateTeam(input: $input) { team { id } } }";
const POLICY: &str = "mutation($input: UpdatePolicyInput!) { updatePolicy(input: $input) { organization { id } } }";

/// The events of one Server-Sent Events subscription.
struct Feed(reqwest::Response, String);

impl Feed {
    async fn open(app: &TestApp, variables: Value) -> Feed {
        let response = app
            .http
            .post(format!("{}/graphql", app.base))
            .bearer_auth(app.demo_admin())
            .header("Accept", "text/event-stream")
            .json(&json!({ "query": CHANGES, "variables": variables }))
            .send()
            .await
            .unwrap();
        let feed = Feed(response, String::new());
        // Let the subscription reach the bus before the writes happen.
        tokio::time::sleep(Duration::from_millis(150)).await;
        feed
    }

    /// The next event's `changes`, or `None` when nothing arrives within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.1.find("\n\n") {
                let event: String = self.1.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                    let value: Value = serde_json::from_str(data).unwrap();
                    return Some(value["data"]["changes"].clone());
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.0.chunk()).await.ok()?.unwrap()?;
            self.1.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test]
async fn a_team_feed_hears_its_own_team_and_what_concerns_everyone_but_not_other_teams() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let teams = app.data(&app.demo_admin(), "{ teams { edges { node { id name } } } }", json!({})).await;
    let team = |name: &str| {
        let edges = teams["teams"]["edges"].as_array().unwrap();
        edges.iter().find(|e| e["node"]["name"] == name).unwrap()["node"]["id"].clone()
    };
    let mut feed = Feed::open(&app, json!({ "t": ids.sales_team })).await;
    let admin = app.demo_admin();
    app.data(&admin, RENAME, json!({ "input": { "id": team("Marketing"), "name": "Growth" } })).await;
    app.data(&admin, RENAME, json!({ "input": { "id": ids.sales_team, "name": "Revenue" } })).await;
    app.data(&admin, POLICY, json!({ "input": { "maxObjectivesPerTeam": 6 } })).await;

    let renamed = feed.next(Duration::from_secs(2)).await.expect("the Sales rename");
    assert_eq!(renamed["kind"], "TEAM");
    assert_eq!(renamed["id"], ids.sales_team, "Marketing's rename is not Sales' business");
    assert_eq!(renamed["change"], "updated");
    assert_eq!(renamed["teamIds"], json!([ids.sales_team]));
    let policy = feed.next(Duration::from_secs(2)).await.expect("the policy change");
    assert_eq!((policy["kind"].as_str(), policy["change"].as_str()), (Some("POLICY"), Some("updated")));
    assert_eq!(policy["teamIds"], json!([]), "a policy concerns everyone");
    assert!(feed.next(Duration::from_millis(300)).await.is_none(), "nothing else");
}

#[tokio::test]
async fn a_feed_of_some_kinds_hears_only_those() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let mut feed = Feed::open(&app, json!({ "k": ["POLICY"] })).await;
    let admin = app.demo_admin();
    app.data(&admin, RENAME, json!({ "input": { "id": ids.sales_team, "name": "Revenue" } })).await;
    app.data(&admin, POLICY, json!({ "input": { "maxObjectivesPerTeam": 6 } })).await;
    let heard = feed.next(Duration::from_secs(2)).await.expect("the policy change");
    assert_eq!(heard["kind"], "POLICY");
    assert!(feed.next(Duration::from_millis(300)).await.is_none(), "the team rename is not a policy change");
}
