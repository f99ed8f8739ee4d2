//! GraphQL over HTTP: media types, status codes, bounded bodies, GET, GraphiQL, probes.

use serde_json::{Value, json};
use trellis_tests::{StatusCode, TestApp, error_code};

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_wrong_content_type_is_415_with_a_graphql_error() {
    let app = TestApp::spawn_demo().await;
    let request = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(app.demo_admin())
        .header("Content-Type", "text/plain")
        .body("{ organization { name } }");
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&body), "BAD_REQUEST");
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn_demo().await;
    let request = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(app.demo_admin())
        .header("Content-Type", "application/json")
        .body("{\"query\": ");
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "BAD_REQUEST");
}

#[tokio::test]
async fn an_oversized_body_is_413_and_the_server_keeps_serving() {
    let app = TestApp::spawn_demo().await;
    let huge = format!("{{ organization {{ name }} }} # {}", "x".repeat(2 * 1024 * 1024));
    let request =
        app.http.post(format!("{}/graphql", app.base)).bearer_auth(app.demo_admin()).json(&json!({ "query": huge }));
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&body), "PAYLOAD_TOO_LARGE");
    let data = app.data(&app.demo_admin(), "{ organization { name } }", json!({})).await;
    assert_eq!(data["organization"]["name"], "Company X");
}

#[tokio::test]
async fn malformed_graphql_is_400_for_graphql_response_json_and_200_for_legacy_json() {
    let app = TestApp::spawn_demo().await;
    let post = |accept: &'static str| {
        app.http
            .post(format!("{}/graphql", app.base))
            .bearer_auth(app.demo_admin())
            .header("Accept", accept)
            .json(&json!({ "query": "{ organization { name " }))
    };
    let response = post("application/graphql-response+json").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED");

    let (status, body) = send(post("application/json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED");
}

#[tokio::test]
async fn an_unknown_field_is_a_validation_error() {
    let app = TestApp::spawn_demo().await;
    let request = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(app.demo_admin())
        .header("Accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ organization { nonsense } }" }));
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
    assert!(body.get("data").is_none_or(Value::is_null));
}

#[tokio::test]
async fn queries_work_over_get_and_mutations_do_not() {
    let app = TestApp::spawn_demo().await;
    let get = |query: &str| {
        app.http.get(format!("{}/graphql", app.base)).bearer_auth(app.demo_admin()).query(&[("query", query)])
    };
    let (status, body) = send(get("{ organization { name } }")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["organization"]["name"], "Company X");

    let response = get("mutation { anything }").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.headers().contains_key("allow"));
}

#[tokio::test]
async fn a_client_that_accepts_no_json_gets_406() {
    let app = TestApp::spawn_demo().await;
    let request = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(app.demo_admin())
        .header("Accept", "text/csv")
        .json(&json!({ "query": "{ organization { name } }" }));
    assert_eq!(send(request).await.0, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn a_browser_gets_graphiql() {
    let app = TestApp::spawn().await;
    let response = app.http.get(format!("{}/graphql", app.base)).header("Accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().to_lowercase().contains("graphiql"));
}

#[tokio::test]
async fn health_and_readiness_answer_and_responses_carry_a_request_id() {
    let app = TestApp::spawn().await;
    let live = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert!(live.headers().contains_key("x-request-id"));
    let ready = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn two_authorization_headers_are_refused_as_ambiguous_credentials() {
    let app = TestApp::spawn_demo().await;
    let viewer = app.token(seed::demo::SLUG, "someone", service::OrgRole::Viewer);
    let request = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("Authorization", format!("Bearer {}", app.demo_admin()))
        .header("Authorization", format!("Bearer {viewer}"))
        .json(&json!({ "query": "{ viewer { role } }" }));
    let (status, body) = send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "BAD_REQUEST");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("ambiguous credentials"), "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "nothing was executed: {body}");
}

#[tokio::test]
async fn an_argument_out_of_its_type_is_a_coded_request_error() {
    let app = TestApp::spawn_demo().await;
    let cycles = app.data(&app.demo_admin(), "{ cycles(first: 1) { edges { node { id } } } }", json!({})).await;
    let cycle = cycles["cycles"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    let literal = format!(r#"{{ alignmentTree(cycleId: "{cycle}", maxDepth: -15506765264) {{ nodes {{ depth }} }} }}"#);
    let variable = "query($d: Int) { alignmentTree(cycleId: $c, maxDepth: $d) { nodes { depth } } }"
        .replace("query($d: Int)", "query($c: ID!, $d: Int)");
    let bad_date = "mutation($i: CreateCycleInput!) { createCycle(input: $i) { cycle { id } } }";
    let asked = [
        (literal.as_str(), json!({})),
        (variable.as_str(), json!({ "c": cycle, "d": 99_999_999_999_i64 })),
        (bad_date, json!({ "i": { "name": "Bad", "startsOn": "2027-02-30", "endsOn": "2027-03-31" } })),
    ];
    for (query, variables) in asked {
        let request = app
            .http
            .post(format!("{}/graphql", app.base))
            .bearer_auth(app.demo_admin())
            .header("Accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        let (status, body) = send(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert!(body["errors"][0].get("path").is_none(), "a request error has no path: {body}");
        assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    }
}

#[tokio::test]
async fn scalars_carry_the_names_and_descriptions_clients_know() {
    let app = TestApp::spawn_demo().await;
    let query = r#"{ __schema { types { kind name description } } }"#;
    let data = app.data(&app.demo_admin(), query, json!({})).await;
    let scalars: Vec<&Value> =
        data["__schema"]["types"].as_array().unwrap().iter().filter(|t| t["kind"] == "SCALAR").collect();
    let names: Vec<&str> = scalars.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Date") && names.contains(&"DateTime"), "{names:?}");
    assert!(!names.contains(&"NaiveDate"), "no Rust type names: {names:?}");
    let ours = scalars
        .into_iter()
        .filter(|t| !["String", "Int", "Float", "Boolean", "ID"].contains(&t["name"].as_str().unwrap()));
    for scalar in ours {
        let description = scalar["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty() && !description.contains("Implement the"), "{scalar}");
    }
}
