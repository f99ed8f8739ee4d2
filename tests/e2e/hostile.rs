//! Hostile input at the door: mangled and forged tokens, malformed GraphQL, huge and
//! deeply nested queries, values of the wrong type. Each gets its documented error, and
//! the server keeps serving after every one.

use serde_json::{Value, json};
use trellis_tests::{StatusCode, TestApp, error_code};

async fn still_serving(app: &TestApp) {
    app.data(&app.demo_admin(), "{ viewer { role } }", json!({})).await;
}

async fn raw(app: &TestApp, authorization: &str, body: String) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("Authorization", authorization)
        .header("Content-Type", "application/json")
        .header("Accept", "application/graphql-response+json")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A valid token with one character changed, `n` different ways, never the last one of a
/// segment (whose spare bits may not change the decoded bytes).
fn mangled(token: &str, n: usize) -> Vec<String> {
    let bytes = token.as_bytes();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::new();
    while out.len() < n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = (state % bytes.len() as u64) as usize;
        let replacement = alphabet[(state >> 32) as usize % alphabet.len()];
        let last_of_segment = bytes.get(at + 1).is_none_or(|b| *b == b'.');
        if bytes[at] == b'.' || bytes[at] == replacement || last_of_segment {
            continue;
        }
        let mut changed = bytes.to_vec();
        changed[at] = replacement;
        out.push(String::from_utf8(changed).unwrap());
    }
    out
}

#[tokio::test]
async fn every_mangled_or_forged_token_is_refused_as_unauthenticated() {
    let app = TestApp::spawn_demo().await;
    let valid = app.demo_admin();
    let body = json!({ "query": "{ viewer { role } }" }).to_string();
    let mut headers: Vec<String> = mangled(&valid, 150).into_iter().map(|t| format!("Bearer {t}")).collect();
    let parts: Vec<&str> = valid.split('.').collect();
    headers.extend([
        "Bearer ".to_owned(),
        "Bearer a.b.c".to_owned(),
        "Bearer ....".to_owned(),
        format!("Bearer {}.{}", parts[0], parts[1]),
        format!("Bearer {}.{}.", parts[0], parts[1]),
        format!("Bearer {}", "x".repeat(16 * 1024)),
        // {"alg":"none"} and {"alg":"HS512"} headers on the same claims and signature.
        format!("Bearer eyJhbGciOiJub25lIn0.{}.", parts[1]),
        format!("Bearer eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.{}.{}", parts[1], parts[2]),
        format!("Basic {valid}"),
        valid.clone(),
    ]);
    for header in headers {
        let (status, answer) = raw(&app, &header, body.clone()).await;
        let answered: String = answer.to_string().chars().take(300).collect();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header:.60}: {answered}");
        assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{header:.60}");
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn malformed_huge_nested_and_mistyped_requests_get_their_codes() {
    let app = TestApp::spawn_demo().await;
    let bearer = format!("Bearer {}", app.demo_admin());
    let nested = |levels: usize| {
        format!(
            "{{ {}id{} }}",
            "objectives { edges { node { team { parent { ".repeat(levels),
            " } } } } }".repeat(levels)
        )
    };
    // Deeper than the depth limit; and so deep that the parser's own recursion bound stops it.
    let (deep, deeper) = (nested(4), nested(40));
    let aliases: String = (0..2000).map(|i| format!("a{i}: viewer {{ role }} ")).collect();
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (json!({ "query": "{ viewer { role }" }), StatusCode::BAD_REQUEST, "GRAPHQL_PARSE_FAILED"),
        (json!({ "query": "{ nothingHere }" }), StatusCode::BAD_REQUEST, "GRAPHQL_VALIDATION_FAILED"),
        (json!({ "query": deep }), StatusCode::BAD_REQUEST, "GRAPHQL_VALIDATION_FAILED"),
        (json!({ "query": deeper }), StatusCode::BAD_REQUEST, "GRAPHQL_PARSE_FAILED"),
        (
            json!({ "query": "{ objectives(first: \"ten\") { totalCount } }" }),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            json!({ "query": "query($n: Int) { objectives(first: $n) { totalCount } }", "variables": { "n": "ten" } }),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            json!({ "query": "query($n: Int) { objectives(first: $n) { totalCount } }", "variables": { "n": 1e40 } }),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            json!({ "query": "query($id: ID!) { objective(id: $id) { title } }", "variables": { "id": null } }),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (json!({ "query": "{ objectives(first: -1) { totalCount } }" }), StatusCode::OK, "BAD_USER_INPUT"),
        (json!({ "query": "{ objectives(first: 1000) { totalCount } }" }), StatusCode::OK, "BAD_USER_INPUT"),
        (json!({ "query": "{ objective(id: \"not-an-id\") { title } }" }), StatusCode::OK, "BAD_USER_INPUT"),
        (json!({ "query": format!("{{ {aliases} }}") }), StatusCode::BAD_REQUEST, "GRAPHQL_VALIDATION_FAILED"),
    ];
    for (request, status, code) in cases {
        let (got, answer) = raw(&app, &bearer, request.to_string()).await;
        let shown: String = request.to_string().chars().take(120).collect();
        let answered: String = answer.to_string().chars().take(300).collect();
        assert_eq!((got, error_code(&answer)), (status, code), "{shown}: {answered}");
        still_serving(&app).await;
    }
    let (status, _) = raw(&app, &bearer, "x".repeat(2 * 1024 * 1024)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let batch = json!([{ "query": "{ viewer { role } }" }, { "query": "{ viewer { role } }" }]);
    let (status, answer) = raw(&app, &bearer, batch.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a batch: {answer}");
    still_serving(&app).await;
}
