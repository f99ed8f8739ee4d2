//! Two organizations with look-alike data, and every way to read one from the other:
//! lists, `node` and `nodes`, each getter, filters, trees, dashboards, audit events,
//! cross-tenant links and subscriptions, with ids replayed from the other tenant and
//! guessed ones. Nothing of Company X reaches Globex, and an id of Company X is answered
//! exactly as an id that never existed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::StreamExt;
use serde_json::{Value, json};
use service::OrgRole;
use std::collections::BTreeSet;
use std::time::Duration;
use trellis_tests::TestApp;

/// Queries that together reach every object of a tenant (each under the complexity limit).
const EVERYTHING: [&str; 4] = [
    "{ organization { id } cycles { edges { node { id } } } auditEvents(first: 100) { edges { node { id } } } }",
    "{ teams(first: 50) { edges { node { id members(first: 20) { edges { node { id person { id } } } } } } } }",
    "{ objectives(first: 50) { edges { node { id dependsOn(first: 10) { edges { node { id } } } } } } }",
    "{ objectives(first: 20) { edges { node { keyResults(first: 10) { edges { node { id
        initiatives(first: 10) { edges { node { id } } } checkIns(first: 20) { edges { node { id } } } } } } } } } }",
];

/// Every global id `token` can reach.
async fn reachable(app: &TestApp, token: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for query in EVERYTHING {
        ids(&app.data(token, query, json!({})).await, &mut found);
    }
    found
}

/// Every global id in a response.
fn ids(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("id", Value::String(id)) => {
                        found.insert(id.clone());
                    }
                    _ => ids(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| ids(item, found)),
        _ => {}
    }
}

/// The type a global id names, and a well-formed id of that type that never existed.
fn made_up_like(id: &str) -> (String, String) {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(id).unwrap()).unwrap();
    let kind = decoded.split(':').next().unwrap().to_owned();
    let fresh = URL_SAFE_NO_PAD.encode(format!("{kind}:{}", uuid::Uuid::now_v7().simple()));
    (kind, fresh)
}

/// A body with `id` (and the UUID inside it) masked, for comparing answers.
fn masked(body: &Value, id: &str) -> String {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(id).unwrap()).unwrap();
    let uuid = decoded.split(':').nth(1).unwrap().to_owned();
    let hyphenated = uuid::Uuid::parse_str(&uuid).unwrap().to_string();
    body.to_string().replace(id, "<id>").replace(&uuid, "<uuid>").replace(&hyphenated, "<uuid>")
}

struct Tenants {
    app: TestApp,
    x_admin: String,
    globex: String,
    x_ids: BTreeSet<String>,
    globex_ids: BTreeSet<String>,
}

async fn mutate(app: &TestApp, token: &str, mutation: &str, input_type: &str, selection: &str, input: Value) -> Value {
    let query = format!("mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ {selection} }} }}");
    app.data(token, &query, json!({ "i": input })).await[mutation].clone()
}

/// Globex, built like Company X: teams of the same names, a cycle of the same dates,
/// an objective, key result, check-in, initiative and dependency of the same titles.
async fn build_globex(app: &TestApp, token: &str, quarter: &Value) {
    let root = mutate(app, token, "createTeam", "CreateTeamInput", "team { id }", json!({ "name": "Company X" })).await;
    let root = &root["team"]["id"];
    let mut team_ids = Vec::new();
    for name in ["Sales", "Marketing"] {
        let team = mutate(
            app,
            token,
            "createTeam",
            "CreateTeamInput",
            "team { id }",
            json!({ "name": name, "parentId": root }),
        )
        .await;
        team_ids.push(team["team"]["id"].clone());
    }
    let dates = json!({ "name": quarter["name"], "startsOn": quarter["startsOn"], "endsOn": quarter["endsOn"] });
    let cycle =
        mutate(app, token, "createCycle", "CreateCycleInput", "cycle { id }", dates).await["cycle"]["id"].clone();
    mutate(app, token, "activateCycle", "CycleStateInput", "cycle { id }", json!({ "id": cycle })).await;
    let mut objectives = Vec::new();
    for (team, title) in team_ids.iter().zip(["Speed up our sales cycle", "Fill the pipeline with qualified leads"]) {
        let input = json!({ "teamId": team, "cycleId": cycle, "title": title });
        objectives.push(
            mutate(app, token, "createObjective", "CreateObjectiveInput", "objective { id }", input).await["objective"]
                ["id"]
                .clone(),
        );
    }
    let kr = json!({ "objectiveId": objectives[0], "title": "Reduce lead to sales time from 60 days to 31 days on average",
        "kind": "DECREASE", "startValue": 60, "targetValue": 31 });
    let kr =
        mutate(app, token, "createKeyResult", "CreateKeyResultInput", "keyResult { id }", kr).await["keyResult"]["id"]
            .clone();
    mutate(app, token, "checkIn", "CheckInInput", "checkIn { id }", json!({ "keyResultId": kr, "value": 50 })).await;
    mutate(
        app,
        token,
        "createInitiative",
        "CreateInitiativeInput",
        "initiative { id }",
        json!({ "keyResultId": kr, "title": "Call every stalled lead" }),
    )
    .await;
    let dependency =
        json!({ "fromId": objectives[0], "toId": objectives[1], "note": "Sales needs the enablement kit" });
    mutate(app, token, "createDependency", "CreateDependencyInput", "dependency { id }", dependency).await;
    let member = json!({ "teamId": team_ids[0], "subject": "sam", "displayName": "Sam Ortega", "role": "LEAD" });
    mutate(app, token, "addTeamMember", "AddTeamMemberInput", "membership { id }", member).await;
}

async fn tenants() -> Tenants {
    let app = TestApp::spawn_demo().await;
    let x_admin = app.demo_admin();
    let globex = app.token("globex", "gus", OrgRole::Admin);
    let cycles =
        app.data(&x_admin, "{ cycles { edges { node { name startsOn endsOn parent { id } } } } }", json!({})).await;
    let quarter =
        cycles["cycles"]["edges"].as_array().unwrap().iter().find(|c| !c["node"]["parent"].is_null()).unwrap()["node"]
            .clone();
    build_globex(&app, &globex, &quarter).await;
    let (x_ids, globex_ids) = (reachable(&app, &x_admin).await, reachable(&app, &globex).await);
    assert!(
        x_ids.len() > 30 && globex_ids.len() > 15,
        "both tenants have data: {} and {}",
        x_ids.len(),
        globex_ids.len()
    );
    Tenants { app, x_admin, globex, x_ids, globex_ids }
}

#[tokio::test]
async fn lists_and_nested_fields_of_one_tenant_hold_nothing_of_the_other() {
    let t = tenants().await;
    assert!(t.x_ids.is_disjoint(&t.globex_ids), "no id is shared");
    let search = r#"{ objectives(filter: { search: "sales" }) { edges { node { id } } } teams(search: "Sales") { edges { node { id } } } }"#;
    let mut found = BTreeSet::new();
    ids(&t.app.data(&t.globex, search, json!({})).await, &mut found);
    assert!(!found.is_empty() && found.is_subset(&t.globex_ids), "search finds only Globex's look-alikes");
}

#[tokio::test]
async fn every_id_of_the_other_tenant_is_answered_as_one_that_never_existed() {
    let t = tenants().await;
    let all: Vec<&String> = t.x_ids.iter().collect();
    for page in all.chunks(100) {
        let nodes =
            t.app.data(&t.globex, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": page })).await;
        assert!(nodes["nodes"].as_array().unwrap().iter().all(Value::is_null), "{nodes}");
    }
    for id in &t.x_ids {
        let (kind, made_up) = made_up_like(id);
        let mut queries =
            vec![("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id }), json!({ "id": made_up }))];
        let getter = match kind.as_str() {
            "Objective" => Some("query($id: ID!) { objective(id: $id) { title } }"),
            "KeyResult" => Some("query($id: ID!) { keyResult(id: $id) { title } }"),
            "Team" => Some("query($id: ID!) { team(id: $id) { name } }"),
            "Cycle" => Some("query($id: ID!) { cycle(id: $id) { name } }"),
            _ => None,
        };
        if let Some(getter) = getter {
            queries.push((getter, json!({ "id": id }), json!({ "id": made_up })));
        }
        let filters = [
            (
                "Team",
                "query($id: ID) { objectives(filter: { teamId: $id }) { totalCount } teams(parentId: $id) { totalCount } }",
            ),
            ("Cycle", "query($id: ID) { objectives(filter: { cycleId: $id }) { totalCount } }"),
            ("Objective", "query($id: ID) { objectives(filter: { alignedToId: $id }) { totalCount } }"),
            ("Person", "query($id: ID) { auditEvents(filter: { actorId: $id }) { totalCount } }"),
        ];
        for (_, filter) in filters.into_iter().filter(|(of, _)| *of == kind) {
            queries.push((filter, json!({ "id": id }), json!({ "id": made_up })));
        }
        queries.push((
            "query($id: ID) { auditEvents(filter: { entityId: $id }) { totalCount } }",
            json!({ "id": id }),
            json!({ "id": made_up }),
        ));
        for (query, foreign, never) in queries {
            let (status_foreign, body_foreign) = t.app.graphql(&t.globex, query, foreign).await;
            let (status_never, body_never) = t.app.graphql(&t.globex, query, never).await;
            assert_eq!(status_foreign, status_never, "{query} with a {kind} id");
            assert_eq!(
                masked(&body_foreign, id),
                masked(&body_never, &made_up),
                "{query} with a {kind} id of Company X"
            );
        }
    }
}

#[tokio::test]
async fn trees_and_dashboards_with_the_other_tenants_ids_are_answered_as_missing_ones() {
    let t = tenants().await;
    let own =
        t.app.data(&t.globex, "{ cycles { edges { node { id } } } teams { edges { node { id } } } }", json!({})).await;
    let own_cycle = own["cycles"]["edges"][0]["node"]["id"].clone();
    let own_team = own["teams"]["edges"][0]["node"]["id"].clone();
    let kinds = |kind: &str| t.x_ids.iter().filter(|id| made_up_like(id).0 == kind).cloned().collect::<Vec<_>>();
    let tree = "query($c: ID!, $r: ID) { alignmentTree(cycleId: $c, rootId: $r) { nodes { objective { id } } dependencies { id } } }";
    let dashboard = "query($t: ID!, $c: ID!) { dashboard(teamId: $t, cycleId: $c) { objectives { id } } }";
    for cycle in kinds("Cycle") {
        let never = made_up_like(&cycle).1;
        let (_, a) = t.app.graphql(&t.globex, tree, json!({ "c": cycle })).await;
        let (_, b) = t.app.graphql(&t.globex, tree, json!({ "c": never })).await;
        assert_eq!(masked(&a, &cycle), masked(&b, &never));
        let (_, a) = t.app.graphql(&t.globex, dashboard, json!({ "t": own_team, "c": cycle })).await;
        let (_, b) = t.app.graphql(&t.globex, dashboard, json!({ "t": own_team, "c": never })).await;
        assert_eq!(masked(&a, &cycle), masked(&b, &never));
    }
    for root in kinds("Objective") {
        let never = made_up_like(&root).1;
        let (_, a) = t.app.graphql(&t.globex, tree, json!({ "c": own_cycle, "r": root })).await;
        let (_, b) = t.app.graphql(&t.globex, tree, json!({ "c": own_cycle, "r": never })).await;
        assert_eq!(masked(&a, &root), masked(&b, &never));
    }
    for team in kinds("Team") {
        let never = made_up_like(&team).1;
        let (_, a) = t.app.graphql(&t.globex, dashboard, json!({ "t": team, "c": own_cycle })).await;
        let (_, b) = t.app.graphql(&t.globex, dashboard, json!({ "t": never, "c": own_cycle })).await;
        assert_eq!(masked(&a, &team), masked(&b, &never));
    }
}

#[tokio::test]
async fn no_write_can_link_into_the_other_tenant() {
    let t = tenants().await;
    let own = t
        .app
        .data(&t.globex, "{ objectives { edges { node { id } } } teams { edges { node { id } } } }", json!({}))
        .await;
    let own_objective = own["objectives"]["edges"][0]["node"]["id"].clone();
    let own_team = own["teams"]["edges"][0]["node"]["id"].clone();
    let kinds = |kind: &str| t.x_ids.iter().filter(|id| made_up_like(id).0 == kind).cloned().collect::<Vec<_>>();
    let attempts = [
        ("alignObjective", "AlignObjectiveInput", json!({ "id": own_objective, "parentId": kinds("Objective")[0] })),
        ("alignObjective", "AlignObjectiveInput", json!({ "id": own_objective, "parentId": kinds("KeyResult")[0] })),
        (
            "createDependency",
            "CreateDependencyInput",
            json!({ "fromId": own_objective, "toId": kinds("Objective")[0] }),
        ),
        ("addTeamMember", "AddTeamMemberInput", json!({ "teamId": own_team, "personId": kinds("Person")[0] })),
        ("updateTeam", "UpdateTeamInput", json!({ "id": own_team, "parentId": kinds("Team")[0] })),
        ("createTeam", "CreateTeamInput", json!({ "name": "Spy", "parentId": kinds("Team")[0] })),
        (
            "createCycle",
            "CreateCycleInput",
            json!({ "name": "Spy", "parentId": kinds("Cycle")[0], "startsOn": "2026-01-01", "endsOn": "2026-01-02" }),
        ),
    ];
    let before = t.app.data(&t.x_admin, "{ auditEvents { totalCount } }", json!({})).await;
    for (mutation, input_type, input) in attempts {
        let query = format!("mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ clientMutationId }} }}");
        let (_, body) = t.app.graphql(&t.globex, &query, json!({ "i": input })).await;
        assert_eq!(trellis_tests::error_code(&body), "NOT_FOUND", "{mutation}: {body}");
    }
    let after = t.app.data(&t.x_admin, "{ auditEvents { totalCount } }", json!({})).await;
    assert_eq!(before, after, "Company X saw no change");
}

#[tokio::test]
async fn subscribers_of_one_tenant_hear_nothing_of_the_other() {
    let t = tenants().await;
    let x = t.app.data(&t.x_admin, r#"{ objectives(filter: { search: "sales cycle" }) { edges { node { id cycle { id } keyResults { edges { node { id } } } } } } }"#, json!({})).await;
    let objective = &x["objectives"]["edges"][0]["node"];
    let (x_cycle, x_kr) = (objective["cycle"]["id"].clone(), objective["keyResults"]["edges"][0]["node"]["id"].clone());
    let own =
        t.app.data(&t.globex, "{ cycles { edges { node { id } } } teams { edges { node { id } } } }", json!({})).await;
    let globex_cycle = own["cycles"]["edges"][0]["node"]["id"].clone();
    let globex_team = own["teams"]["edges"][0]["node"]["id"].clone();
    let subscriptions = [
        ("subscription($k: ID) { checkInRecorded(keyResultId: $k) { keyResultId } }", json!({ "k": x_kr })),
        ("subscription($t: ID) { checkInRecorded(teamId: $t) { keyResultId } }", json!({ "t": globex_team })),
        ("subscription($c: ID) { progressChanged(cycleId: $c) { resync } }", json!({ "c": x_cycle })),
        ("subscription($c: ID!) { objectiveChanged(cycleId: $c) { resync } }", json!({ "c": globex_cycle })),
        ("subscription { changes { kind } }", json!({})),
    ];
    let open = |token: String, query: &'static str, variables: Value| {
        let request = t.app.http.post(format!("{}/graphql", t.app.base)).bearer_auth(token);
        let request =
            request.header("Accept", "text/event-stream").json(&json!({ "query": query, "variables": variables }));
        async move { request.send().await.unwrap().bytes_stream() }
    };
    let mut streams = Vec::new();
    for (query, variables) in subscriptions {
        streams.push((query, open(t.globex.clone(), query, variables).await));
    }
    // The control: Company X's own subscriber hears its check-in.
    let control = "subscription($k: ID) { checkInRecorded(keyResultId: $k) { keyResultId } }";
    let mut own = open(t.x_admin.clone(), control, json!({ "k": x_kr })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let check_in = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
    t.app.data(&t.x_admin, check_in, json!({ "i": { "keyResultId": x_kr, "value": 42 } })).await;
    let team = "mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }";
    t.app.data(&t.x_admin, team, json!({ "i": { "name": "Ops" } })).await;
    let heard_own = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(chunk)) = own.next().await {
            if String::from_utf8_lossy(&chunk).contains(x_kr.as_str().unwrap()) {
                return true;
            }
        }
        false
    });
    assert!(heard_own.await.unwrap_or(false), "Company X's subscriber hears its own check-in");
    for (query, mut stream) in streams {
        let heard = tokio::time::timeout(Duration::from_millis(700), async {
            while let Some(Ok(chunk)) = stream.next().await {
                let text = String::from_utf8_lossy(&chunk).to_string();
                if text.contains("event: next") || text.contains("\"data\"") {
                    return Some(text);
                }
            }
            None
        })
        .await;
        // Either the stream was refused outright (an error answer) or it heard nothing.
        if let Ok(Some(text)) = heard {
            assert!(
                text.contains("errors") && !text.contains(&x_kr.as_str().unwrap().to_string()),
                "{query} heard {text}"
            );
        }
    }
}
