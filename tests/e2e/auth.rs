//! Authentication: every GraphQL request needs a valid bearer token.

use serde_json::{Value, json};
use service::OrgRole;
use std::time::Duration;
use trellis_tests::{StatusCode, TestApp, error_code};

async fn post_with_header(app: &TestApp, authorization: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.http.post(format!("{}/graphql", app.base)).json(&json!({ "query": "{ viewer { role } }" }));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn rejects_a_request_without_a_token() {
    let app = TestApp::spawn().await;
    let (status, body) = post_with_header(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("Bearer"));
}

#[tokio::test]
async fn rejects_when_auth_prefix_is_missing() {
    let app = TestApp::spawn().await;
    let raw = app.token("acme", "ada", OrgRole::Admin);
    let (status, body) = post_with_header(&app, Some(&raw)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn rejects_malformed_expired_and_wrongly_signed_tokens() {
    let app = TestApp::spawn().await;
    // Expired two minutes ago, beyond the 30 s leeway.
    let expired = signed(json!({ "sub": "ada", "org": "acme", "role": "admin", "exp": now() - 120 }));
    let foreign = {
        let request = api::auth::TokenRequest::person("acme", "ada", OrgRole::Admin, Duration::from_secs(60));
        api::auth::mint(&api::config::Secret::new("some-other-secret-entirely"), &request).unwrap()
    };
    for (case, value) in [
        ("malformed", "Bearer not.a.jwt".to_owned()),
        ("expired", format!("Bearer {expired}")),
        ("wrongly signed", format!("Bearer {foreign}")),
    ] {
        let (status, body) = post_with_header(&app, Some(&value)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{case}");
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs arbitrary claims with the harness secret.
fn signed(claims: Value) -> String {
    api::auth::sign_claims(&api::config::Secret::new(trellis_tests::SECRET), &claims).unwrap()
}

#[tokio::test]
async fn a_member_token_for_an_unknown_organization_is_refused() {
    let app = TestApp::spawn().await;
    let (status, body) =
        app.graphql(&app.token("nowhere", "ada", OrgRole::Member), "{ viewer { role } }", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_admin_token_provisions_its_organization_and_the_person_on_first_sight() {
    let app = TestApp::spawn().await;
    let admin = app.token("acme", "ada", OrgRole::Admin);
    let data = app
        .data(
            &admin,
            "{ viewer { role person { subject } } organization { slug policy { maxObjectivesPerTeam } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["viewer"]["role"], "ADMIN");
    assert_eq!(data["viewer"]["person"]["subject"], "ada");
    assert_eq!(data["organization"]["slug"], "acme");
    assert_eq!(data["organization"]["policy"]["maxObjectivesPerTeam"], 5);
    // Once it exists, a viewer of the same organization gets in, as a new person.
    let viewer = app.token("acme", "vic", OrgRole::Viewer);
    let data = app.data(&viewer, "{ viewer { role person { subject } } }", json!({})).await;
    assert_eq!(data["viewer"]["role"], "VIEWER");
    assert_eq!(data["viewer"]["person"]["subject"], "vic");
    // The same subject twice is one person.
    let again = app.data(&admin, "{ viewer { person { id } } }", json!({})).await;
    let first = app.data(&admin, "{ viewer { person { id } } }", json!({})).await;
    assert_eq!(again, first);
}

#[tokio::test]
async fn a_token_without_an_org_claim_is_refused() {
    let app = TestApp::spawn().await;
    let bad = signed(json!({ "sub": "ada", "role": "admin", "exp": now() + 60 }));
    let (status, body) = app.graphql(&bad, "{ viewer { role } }", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn a_token_with_an_unknown_role_is_refused() {
    let app = TestApp::spawn().await;
    let bad = signed(json!({ "sub": "ada", "org": "acme", "role": "owner", "exp": now() + 60 }));
    let (status, body) = app.graphql(&bad, "{ viewer { role } }", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("unknown role"));
}
