//! Abuse limits beyond depth and complexity: document size, aliases, root fields,
//! batches, introspection and suggestions, rate limits. Each refusal is followed by a request that is served.

use api::config::Limits;
use serde_json::{Value, json};
use service::{OrgRole, SystemClock};
use std::sync::Arc;
use std::time::Duration;
use trellis_tests::{Options, StatusCode, TestApp, error_code};

async fn demo_with(limits: Limits) -> TestApp {
    TestApp::start(Options { demo: true, limits: Some(limits) }, Arc::new(SystemClock)).await
}

fn message(body: &Value) -> String {
    body["errors"][0]["message"].as_str().unwrap_or_default().to_owned()
}

async fn still_serves(app: &TestApp) {
    let data = app.data(&app.demo_admin(), "{ organization { name } }", json!({})).await;
    assert_eq!(data["organization"]["name"], "Company X");
}

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery()`).
const GRAPHIQL_INTROSPECTION: &str = r#"query IntrospectionQuery { __schema { queryType { name } mutationType { name }
  subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description
  args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue }
  interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;


#[tokio::test]
async fn a_document_over_the_size_limit_is_refused_before_parsing() {
    let app = demo_with(Limits { max_query_bytes: 200, ..Limits::default() }).await;
    let long = format!("{{ organization {{ name }} }} # {}", "x".repeat(300));
    let (_, body) = app.graphql(&app.demo_admin(), &long, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(message(&body).contains("over the limit of 200 bytes"), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let app = demo_with(Limits { max_aliases: 3, ..Limits::default() }).await;
    let aliased = "{ a: organization { name } b: organization { name } c: organization { n: name } }";
    let (_, body) = app.graphql(&app.demo_admin(), aliased, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(message(&body).contains("4 aliases, over the limit of 3"), "{body}");
    app.data(&app.demo_admin(), "{ a: organization { name } b: viewer { role } }", json!({})).await;
}

#[tokio::test]
async fn too_many_root_fields_are_refused_also_through_fragments() {
    let app = demo_with(Limits { max_root_fields: 2, ..Limits::default() }).await;
    let spread = "query { organization { name } ...More } fragment More on Query { viewer { role } __typename }";
    let (_, body) = app.graphql(&app.demo_admin(), spread, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(message(&body).contains("3 root fields, over the limit of 2"), "{body}");
    app.data(&app.demo_admin(), "{ organization { name } viewer { role } }", json!({})).await;
}

#[tokio::test]
async fn a_batch_of_operations_is_400_with_a_clear_message() {
    let app = TestApp::spawn_demo().await;
    let batch = json!([{ "query": "{ organization { name } }" }, { "query": "{ viewer { role } }" }]);
    let response =
        app.http.post(format!("{}/graphql", app.base)).bearer_auth(app.demo_admin()).json(&batch).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_REQUEST");
    assert!(message(&body).contains("batched requests"), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn graphiqls_introspection_fits_the_default_limits() {
    let app = TestApp::spawn_demo().await;
    let data = app.data(&app.demo_admin(), GRAPHIQL_INTROSPECTION, json!({})).await;
    assert!(data["__schema"]["types"].as_array().unwrap().len() > 50);
}

#[tokio::test]
async fn nested_introspection_counts_its_lists_in_the_complexity() {
    let app = TestApp::spawn_demo().await;
    let nested = "{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }";
    let (_, body) = app.graphql(&app.demo_admin(), nested, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(message(&body).contains("too complex") && message(&body).contains("introspection"), "{body}");
    still_serves(&app).await;
}

#[tokio::test]
async fn introspection_switched_off_is_refused_and_typename_still_works() {
    let app = demo_with(Limits { introspection: false, ..Limits::default() }).await;
    for query in ["{ __schema { types { name } } }", "{ __type(name: \"Objective\") { name } }", GRAPHIQL_INTROSPECTION]
    {
        let (_, body) = app.graphql(&app.demo_admin(), query, json!({})).await;
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        assert!(message(&body).contains("introspection is disabled"), "{body}");
    }
    let data = app.data(&app.demo_admin(), "{ __typename organization { name } }", json!({})).await;
    assert_eq!(data["__typename"], "Query");
}

#[tokio::test]
async fn field_suggestions_can_be_switched_off() {
    let typo = "{ organizaton { name } }";
    let app = TestApp::spawn_demo().await;
    let (_, body) = app.graphql(&app.demo_admin(), typo, json!({})).await;
    assert!(message(&body).contains("Did you mean"), "suggested by default: {body}");
    let quiet = demo_with(Limits { suggestions: false, ..Limits::default() }).await;
    let (_, body) = quiet.graphql(&quiet.demo_admin(), typo, json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(!message(&body).contains("Did you mean"), "{body}");
}

#[tokio::test]
async fn introspection_without_a_token_is_401() {
    let app = TestApp::spawn_demo().await;
    let request = app.http.post(format!("{}/graphql", app.base)).json(&json!({ "query": GRAPHIQL_INTROSPECTION }));
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
}

#[tokio::test]
async fn a_subject_over_its_rate_gets_429_with_retry_after_and_others_are_served() {
    let limits = Limits { rate_per_subject: 1, burst_per_subject: 2, ..Limits::default() };
    let app = demo_with(limits).await;
    let post = |token: String| {
        app.http
            .post(format!("{}/graphql", app.base))
            .bearer_auth(token)
            .json(&json!({ "query": "{ viewer { role } }" }))
    };
    let first = post(app.demo_admin()).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["ratelimit-limit"], "2");
    assert_eq!(first.headers()["ratelimit-remaining"], "1");
    assert_eq!(first.headers()["ratelimit-policy"], "2;w=2");
    assert_eq!(post(app.demo_admin()).send().await.unwrap().status(), StatusCode::OK);
    let refused = post(app.demo_admin()).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert!(message(&body).contains("token subject"), "{body}");
    let other = app.token(seed::demo::SLUG, "someone-else", OrgRole::Viewer);
    assert_eq!(post(other).send().await.unwrap().status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(post(app.demo_admin()).send().await.unwrap().status(), StatusCode::OK, "served again after Retry-After");
}

#[tokio::test]
async fn an_address_over_its_rate_gets_429_and_probes_are_not_counted() {
    let limits = Limits { rate_per_address: 1, burst_per_address: 3, rate_per_subject: 0, ..Limits::default() };
    let app = demo_with(limits).await;
    for _ in 0..5 {
        let probe = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
        assert_eq!(probe.status(), StatusCode::OK);
    }
    for _ in 0..3 {
        app.data(&app.demo_admin(), "{ viewer { role } }", json!({})).await;
    }
    let (status, body) = app.graphql(&app.demo_admin(), "{ viewer { role } }", json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert!(message(&body).contains("address"), "{body}");
    let wall = app.http.get(format!("{}/wall", app.base)).send().await.unwrap();
    assert_eq!(wall.status(), StatusCode::TOO_MANY_REQUESTS, "every route but the probes counts");
    assert!(wall.headers().contains_key("retry-after"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.data(&app.demo_admin(), "{ viewer { role } }", json!({})).await;
}
