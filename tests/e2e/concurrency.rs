//! Real concurrent requests: nothing lost, nothing doubled, limits hold under races.

use crate::check_ins::{CHECK_IN, demo, member};
use futures::future::join_all;
use serde_json::json;
use trellis_tests::{TestApp, error_code};

#[tokio::test]
async fn concurrent_check_ins_on_one_key_result_are_all_kept_and_current_is_the_latest() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let sid = member(&app, "sid");
    let before = app
        .data(&sid, "query($id: ID!) { keyResult(id: $id) { checkInCount } }", json!({ "id": ids.conversion }))
        .await["keyResult"]["checkInCount"]
        .as_i64()
        .unwrap();
    let requests = (0..12).map(|i| {
        let input = json!({ "keyResultId": ids.conversion, "value": 40 + i });
        let (app, sid) = (&app, &sid);
        async move { app.graphql(sid, CHECK_IN, json!({ "input": input })).await }
    });
    for (status, body) in join_all(requests).await {
        assert!(status.is_success() && body.get("errors").is_none(), "{body}");
    }
    let after = app
        .data(
            &sid,
            "query($id: ID!) { keyResult(id: $id) { checkInCount currentValue
            checkIns(first: 1) { totalCount edges { node { value } } } } }",
            json!({ "id": ids.conversion }),
        )
        .await;
    let kr = &after["keyResult"];
    assert_eq!(kr["checkInCount"].as_i64().unwrap(), before + 12);
    assert_eq!(kr["checkIns"]["totalCount"].as_i64().unwrap(), before + 12);
    assert_eq!(kr["currentValue"], kr["checkIns"]["edges"][0]["node"]["value"], "current is the newest reading");
}

#[tokio::test]
async fn the_same_idempotency_key_sent_at_once_records_once() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let sid = member(&app, "sid");
    let input = json!({ "keyResultId": ids.lead_time, "value": 42, "idempotencyKey": "flaky-network-7" });
    let requests = (0..6).map(|_| app.graphql(&sid, CHECK_IN, json!({ "input": input })));
    let answers = join_all(requests).await;
    let mut ids_seen: Vec<_> =
        answers.iter().map(|(_, body)| body["data"]["checkIn"]["checkIn"]["id"].clone()).collect();
    ids_seen.dedup();
    assert_eq!(ids_seen.len(), 1, "{answers:?}");
    let replays = answers.iter().filter(|(_, body)| body["data"]["checkIn"]["replayed"] == true).count();
    assert_eq!(replays, 5);
}

#[tokio::test]
async fn two_leads_racing_for_the_last_active_objective_cannot_both_win() {
    let app = TestApp::spawn_demo().await;
    let ids = demo(&app).await;
    let (admin, sam) = (app.demo_admin(), member(&app, "sam"));
    let policy = "mutation { updatePolicy(input: { maxObjectivesPerTeam: 2 }) { organization { id } } }";
    app.data(&admin, policy, json!({})).await;
    let mut drafts = Vec::new();
    for title in ["Race one", "Race two"] {
        let input = json!({ "teamId": ids.sales_team, "cycleId": ids.quarter, "title": title });
        let create = "mutation($input: CreateObjectiveInput!) { createObjective(input: $input) { objective { id } } }";
        let id = app.data(&sam, create, json!({ "input": input })).await["createObjective"]["objective"]["id"].clone();
        let kr = json!({ "objectiveId": id, "title": "Done", "kind": "MILESTONE" });
        app.data(
            &sam,
            "mutation($input: CreateKeyResultInput!) { createKeyResult(input: $input) { keyResult { id } } }",
            json!({ "input": kr }),
        )
        .await;
        drafts.push(id);
    }
    let activate = "mutation($id: ID!) { activateObjective(input: { id: $id }) { objective { state } } }";
    let (first, second) = tokio::join!(
        app.graphql(&sam, activate, json!({ "id": drafts[0] })),
        app.graphql(&admin, activate, json!({ "id": drafts[1] })),
    );
    let codes = [error_code(&first.1).to_owned(), error_code(&second.1).to_owned()];
    let wins = [&first.1, &second.1].iter().filter(|b| b.get("errors").is_none()).count();
    assert_eq!(wins, 1, "exactly one activation wins: {codes:?}");
    assert!(codes.contains(&"FOCUS_LIMIT_EXCEEDED".to_owned()), "{codes:?}");
}
