//! Nobody sees another organization's data: a foreign id behaves like a missing one.

use serde_json::json;
use service::OrgRole;
use trellis_tests::{TestApp, error_code};

#[tokio::test]
async fn another_organization_sees_nothing_of_company_x() {
    let app = TestApp::spawn_demo().await;
    let ids = app
        .data(&app.demo_admin(), "{ organization { id } objectives(first: 1) { edges { node { id } } } teams(first: 1) { edges { node { id } } } }", json!({}))
        .await;
    let objective = ids["objectives"]["edges"][0]["node"]["id"].clone();
    let team = ids["teams"]["edges"][0]["node"]["id"].clone();
    let organization = ids["organization"]["id"].clone();

    let outsider = app.token("rival", "eve", OrgRole::Admin);
    let lists = app
        .data(&outsider, "{ objectives { totalCount } teams { totalCount } cycles { totalCount } }", json!({}))
        .await;
    assert_eq!(lists["objectives"]["totalCount"], 0);
    assert_eq!(lists["teams"]["totalCount"], 0);
    assert_eq!(lists["cycles"]["totalCount"], 0);

    for id in [&objective, &team, &organization] {
        let data = app.data(&outsider, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert!(data["node"].is_null(), "a foreign id must look missing");
    }
    let (_, foreign) =
        app.graphql(&outsider, "query($id: ID!) { objective(id: $id) { title } }", json!({ "id": objective })).await;
    assert_eq!(error_code(&foreign), "NOT_FOUND");
    // The same answer as for an id that never existed.
    let missing = "T2JqZWN0aXZlOjAxOWFiY2RlZjAxMjcwMDA4MDAwMDAwMDAwMDAwMDAw";
    let (_, unknown) =
        app.graphql(&outsider, "query($id: ID!) { objective(id: $id) { title } }", json!({ "id": missing })).await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
}
