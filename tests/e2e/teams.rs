//! Managing teams and memberships over GraphQL: org admins only, every change audited.

use serde_json::{Value, json};
use service::OrgRole;
use trellis_tests::{TestApp, error_code};

const CREATE_TEAM: &str = "mutation($input: CreateTeamInput!) {
  createTeam(input: $input) { clientMutationId team { id name parent { id name } archivedAt } } }";
const UPDATE_TEAM: &str = "mutation($input: UpdateTeamInput!) {
  updateTeam(input: $input) { clientMutationId team { id name parent { id name } } } }";
const ARCHIVE_TEAM: &str = "mutation($input: ArchiveTeamInput!) {
  archiveTeam(input: $input) { clientMutationId team { id archivedAt } } }";
const ADD_MEMBER: &str = "mutation($input: AddTeamMemberInput!) {
  addTeamMember(input: $input) { clientMutationId membership {
    id role title team { name } person { id subject displayName email } } } }";
const UPDATE_MEMBER: &str = "mutation($input: UpdateTeamMemberInput!) {
  updateTeamMember(input: $input) { clientMutationId membership { id role title } } }";
const REMOVE_MEMBER: &str = "mutation($input: RemoveTeamMemberInput!) {
  removeTeamMember(input: $input) { clientMutationId removedMembershipId team { members { totalCount } } } }";

/// The id of the demo team called `name`.
async fn team_id(app: &TestApp, name: &str) -> String {
    let data = app
        .data(
            &app.demo_admin(),
            "query($s: String) { teams(search: $s) { edges { node { id name } } } }",
            json!({ "s": name }),
        )
        .await;
    let edges = data["teams"]["edges"].as_array().unwrap();
    let team = edges.iter().find(|e| e["node"]["name"] == name).unwrap();
    team["node"]["id"].as_str().unwrap().to_owned()
}

/// A team's memberships: (membership id, person id, subject, role, title).
async fn members(app: &TestApp, team: &str) -> Vec<Value> {
    let query = "query($id: ID!) { team(id: $id) { members { edges { node {
        id role title person { id subject } } } } } }";
    let data = app.data(&app.demo_admin(), query, json!({ "id": team })).await;
    data["team"]["members"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

/// The audit actions recorded about `entity`, oldest first.
async fn actions(app: &TestApp, entity: &Value) -> Vec<String> {
    let query = "query($id: ID) { auditEvents(filter: { entityId: $id }) { edges { node { action entityId actor { subject } } } } }";
    let data = app.data(&app.demo_admin(), query, json!({ "id": entity })).await;
    let edges = data["auditEvents"]["edges"].as_array().unwrap();
    for edge in edges {
        assert_eq!(edge["node"]["entityId"], *entity);
    }
    edges.iter().map(|e| e["node"]["action"].as_str().unwrap().to_owned()).collect()
}

/// How many audit events the organization has.
async fn audit_total(app: &TestApp) -> i64 {
    app.data(&app.demo_admin(), "{ auditEvents { totalCount } }", json!({})).await["auditEvents"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn admins_create_teams_inside_a_parent_and_the_creation_is_audited() {
    let app = TestApp::spawn_demo().await;
    let sales = team_id(&app, "Sales").await;
    let input = json!({ "name": "Inside Sales", "parentId": sales, "clientMutationId": "c1" });
    let data = app.data(&app.demo_admin(), CREATE_TEAM, json!({ "input": input })).await;
    let payload = &data["createTeam"];
    assert_eq!(payload["clientMutationId"], "c1");
    assert_eq!(payload["team"]["name"], "Inside Sales");
    assert_eq!(payload["team"]["parent"]["name"], "Sales");
    assert!(payload["team"]["archivedAt"].is_null());
    assert_eq!(actions(&app, &payload["team"]["id"]).await, ["team.create"]);

    let children = app
        .data(
            &app.demo_admin(),
            "query($p: ID) { teams(parentId: $p) { edges { node { name } } } }",
            json!({ "p": sales }),
        )
        .await;
    assert_eq!(children["teams"]["edges"][0]["node"]["name"], "Inside Sales");

    let root = app.data(&app.demo_admin(), CREATE_TEAM, json!({ "input": { "name": "Holding" } })).await;
    assert!(root["createTeam"]["team"]["parent"].is_null());
    assert!(root["createTeam"]["clientMutationId"].is_null());
}

#[tokio::test]
async fn a_team_is_renamed_moved_under_another_parent_and_made_a_root() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let (product, marketing) = (team_id(&app, "Product").await, team_id(&app, "Marketing").await);
    let input = json!({ "id": product, "name": "Product & Design", "clientMutationId": "rename" });
    let data = app.data(&token, UPDATE_TEAM, json!({ "input": input })).await;
    assert_eq!(data["updateTeam"]["clientMutationId"], "rename");
    assert_eq!(data["updateTeam"]["team"]["name"], "Product & Design");
    assert_eq!(data["updateTeam"]["team"]["parent"]["name"], "Company X", "a rename leaves the parent");

    let data = app.data(&token, UPDATE_TEAM, json!({ "input": { "id": product, "parentId": marketing } })).await;
    assert_eq!(data["updateTeam"]["team"]["parent"]["id"], marketing);
    assert_eq!(data["updateTeam"]["team"]["name"], "Product & Design", "a move leaves the name");

    let data = app.data(&token, UPDATE_TEAM, json!({ "input": { "id": product, "parentId": null } })).await;
    assert!(data["updateTeam"]["team"]["parent"].is_null());
    let roots = app.data(&token, "{ teams(rootsOnly: true) { edges { node { name } } } }", json!({})).await;
    let names: Vec<&str> =
        roots["teams"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Company X", "Product & Design"]);
    assert_eq!(actions(&app, &json!(product)).await, ["team.create", "team.update", "team.update", "team.update"]);
}

#[tokio::test]
async fn a_team_cannot_move_inside_itself_or_one_of_its_sub_teams() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let sales = team_id(&app, "Sales").await;
    let inside = app.data(&token, CREATE_TEAM, json!({ "input": { "name": "Inside Sales", "parentId": sales } })).await;
    let inside = inside["createTeam"]["team"]["id"].clone();
    let grandchild = app.data(&token, CREATE_TEAM, json!({ "input": { "name": "SDRs", "parentId": inside } })).await;
    let grandchild = grandchild["createTeam"]["team"]["id"].clone();

    for parent in [&json!(sales), &inside, &grandchild] {
        let (_, body) = app.graphql(&token, UPDATE_TEAM, json!({ "input": { "id": sales, "parentId": parent } })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    assert_eq!(actions(&app, &json!(sales)).await, ["team.create"], "a refused change leaves no audit event");
    let data = app.data(&token, "query($id: ID!) { team(id: $id) { parent { name } } }", json!({ "id": sales })).await;
    assert_eq!(data["team"]["parent"]["name"], "Company X");
}

#[tokio::test]
async fn an_archived_team_leaves_the_team_list_and_owns_no_new_objectives() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let product = team_id(&app, "Product").await;
    let data = app.data(&token, ARCHIVE_TEAM, json!({ "input": { "id": product, "clientMutationId": "bye" } })).await;
    assert_eq!(data["archiveTeam"]["clientMutationId"], "bye");
    assert!(data["archiveTeam"]["team"]["archivedAt"].is_string());
    assert_eq!(actions(&app, &json!(product)).await, ["team.create", "team.archive"]);

    let list = app.data(&token, "{ teams { totalCount edges { node { name } } } }", json!({})).await;
    assert_eq!(list["teams"]["totalCount"], 3);
    assert!(list["teams"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["name"] != "Product"));

    let cycles = app.data(&token, "{ cycles(state: ACTIVE) { edges { node { id } } } }", json!({})).await;
    let cycle = &cycles["cycles"]["edges"][0]["node"]["id"];
    let create = "mutation($input: CreateObjectiveInput!) { createObjective(input: $input) { objective { id } } }";
    let input = json!({ "teamId": product, "cycleId": cycle, "title": "Ship the new onboarding" });
    let (_, body) = app.graphql(&token, create, json!({ "input": input })).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
}

#[tokio::test]
async fn members_are_added_by_person_id_or_by_a_subject_that_creates_the_person() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let (sales, marketing) = (team_id(&app, "Sales").await, team_id(&app, "Marketing").await);
    let sid = members(&app, &sales).await.into_iter().find(|m| m["person"]["subject"] == "sid").unwrap();
    let input = json!({ "teamId": marketing, "personId": sid["person"]["id"], "role": "LEAD", "title": "Growth", "clientMutationId": "a1" });
    let data = app.data(&token, ADD_MEMBER, json!({ "input": input })).await;
    let added = &data["addTeamMember"];
    assert_eq!(added["clientMutationId"], "a1");
    assert_eq!(added["membership"]["role"], "LEAD");
    assert_eq!(added["membership"]["title"], "Growth");
    assert_eq!(added["membership"]["team"]["name"], "Marketing");
    assert_eq!(added["membership"]["person"]["id"], sid["person"]["id"]);
    assert_eq!(actions(&app, &added["membership"]["id"]).await, ["membership.create"]);

    let input = json!({ "teamId": marketing, "subject": "nora", "displayName": "Nora Berg", "email": "nora@company-x.example" });
    let data = app.data(&token, ADD_MEMBER, json!({ "input": input })).await;
    let nora = &data["addTeamMember"]["membership"];
    assert_eq!(nora["role"], "MEMBER", "MEMBER is the default role");
    assert_eq!(nora["person"]["subject"], "nora");
    assert_eq!(nora["person"]["displayName"], "Nora Berg");
    assert_eq!(nora["person"]["email"], "nora@company-x.example");
    assert_eq!(actions(&app, &nora["id"]).await, ["membership.create"]);

    let subjects: Vec<Value> = members(&app, &marketing).await.iter().map(|m| m["person"]["subject"].clone()).collect();
    assert_eq!(subjects, [json!("maria"), json!("sid"), json!("nora")]);
    // Nora's token finds the person the admin created for her.
    let viewer =
        app.data(&app.token("company-x", "nora", OrgRole::Member), "{ viewer { person { id } } }", json!({})).await;
    assert_eq!(viewer["viewer"]["person"]["id"], nora["person"]["id"]);
}

#[tokio::test]
async fn adding_someone_already_in_the_team_is_a_conflict() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let sales = team_id(&app, "Sales").await;
    let sam = members(&app, &sales).await.into_iter().find(|m| m["person"]["subject"] == "sam").unwrap();
    let before = audit_total(&app).await;
    for input in
        [json!({ "teamId": sales, "personId": sam["person"]["id"] }), json!({ "teamId": sales, "subject": "sam" })]
    {
        let (_, body) = app.graphql(&token, ADD_MEMBER, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "CONFLICT", "{body}");
    }
    assert_eq!(members(&app, &sales).await.len(), 2);
    assert_eq!(audit_total(&app).await, before);
}

#[tokio::test]
async fn adding_a_member_needs_exactly_one_of_person_id_and_subject() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let marketing = team_id(&app, "Marketing").await;
    let sam = members(&app, &team_id(&app, "Sales").await)
        .await
        .into_iter()
        .find(|m| m["person"]["subject"] == "sam")
        .unwrap();
    let before = audit_total(&app).await;
    for input in [
        json!({ "teamId": marketing, "personId": sam["person"]["id"], "subject": "sam" }),
        json!({ "teamId": marketing }),
    ] {
        let (_, body) = app.graphql(&token, ADD_MEMBER, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    assert_eq!(members(&app, &marketing).await.len(), 1);
    assert_eq!(audit_total(&app).await, before);
}

#[tokio::test]
async fn a_membership_changes_role_and_title_and_then_ends() {
    let app = TestApp::spawn_demo().await;
    let token = app.demo_admin();
    let sales = team_id(&app, "Sales").await;
    let sid = members(&app, &sales).await.into_iter().find(|m| m["person"]["subject"] == "sid").unwrap();
    let id = sid["id"].clone();
    let input = json!({ "id": id, "role": "LEAD", "title": "Senior SDR", "clientMutationId": "u1" });
    let data = app.data(&token, UPDATE_MEMBER, json!({ "input": input })).await;
    assert_eq!(data["updateTeamMember"]["clientMutationId"], "u1");
    assert_eq!(data["updateTeamMember"]["membership"]["role"], "LEAD");
    assert_eq!(data["updateTeamMember"]["membership"]["title"], "Senior SDR");
    let data = app.data(&token, UPDATE_MEMBER, json!({ "input": { "id": id, "title": "" } })).await;
    assert!(data["updateTeamMember"]["membership"]["title"].is_null(), "an empty title clears it");
    assert_eq!(data["updateTeamMember"]["membership"]["role"], "LEAD");

    let data = app.data(&token, REMOVE_MEMBER, json!({ "input": { "id": id, "clientMutationId": "r1" } })).await;
    assert_eq!(data["removeTeamMember"]["clientMutationId"], "r1");
    assert_eq!(data["removeTeamMember"]["removedMembershipId"], id);
    assert_eq!(data["removeTeamMember"]["team"]["members"]["totalCount"], 1);
    assert_eq!(
        actions(&app, &id).await,
        ["membership.create", "membership.update", "membership.update", "membership.delete"]
    );
    let node = app.data(&token, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
    assert!(node["node"].is_null());
}

#[tokio::test]
async fn only_admins_can_manage_teams_and_memberships() {
    let app = TestApp::spawn_demo().await;
    let (sales, marketing) = (team_id(&app, "Sales").await, team_id(&app, "Marketing").await);
    let sid = members(&app, &sales).await.into_iter().find(|m| m["person"]["subject"] == "sid").unwrap();
    let attempts = [
        (CREATE_TEAM, json!({ "name": "Rogue", "parentId": sales })),
        (UPDATE_TEAM, json!({ "id": sales, "name": "Renamed" })),
        (UPDATE_TEAM, json!({ "id": sales, "parentId": null })),
        (ARCHIVE_TEAM, json!({ "id": marketing })),
        (ADD_MEMBER, json!({ "teamId": sales, "subject": "newbie" })),
        (ADD_MEMBER, json!({ "teamId": marketing, "personId": sid["person"]["id"] })),
        (UPDATE_MEMBER, json!({ "id": sid["id"], "role": "LEAD" })),
        (REMOVE_MEMBER, json!({ "id": sid["id"] })),
    ];
    let before = audit_total(&app).await;
    let tokens = [
        app.token("company-x", "sam", OrgRole::Member),  // lead of Sales
        app.token("company-x", "dana", OrgRole::Member), // lead of the company team, without the admin role
        app.token("company-x", "sid", OrgRole::Member),
        app.token("company-x", "vic", OrgRole::Viewer),
    ];
    for token in &tokens {
        for (mutation, input) in &attempts {
            let (_, body) = app.graphql(token, mutation, json!({ "input": input })).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{mutation} {input}: {body}");
        }
    }
    assert_eq!(audit_total(&app).await, before, "refused changes leave no audit events");
    assert_eq!(members(&app, &sales).await.len(), 2);
    let list = app.data(&app.demo_admin(), "{ teams { totalCount } }", json!({})).await;
    assert_eq!(list["teams"]["totalCount"], 4);
}
