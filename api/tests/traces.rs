//! Traces leave a real `trellis` process over OTLP/HTTP: a receiver in the test decodes
//! what arrives and finds the caller's trace continued through the request, the named
//! GraphQL operation, the service write and its SQL statements.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod support;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Server, token};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// An OTLP/HTTP receiver on loopback: every span it was sent, with its service name.
async fn receiver() -> (String, Arc<Mutex<Vec<(String, Span)>>>) {
    let spans = Arc::new(Mutex::new(Vec::new()));
    let kept = spans.clone();
    let route = axum::routing::post(move |body: axum::body::Bytes| {
        let request = ExportTraceServiceRequest::decode(body).unwrap();
        for resource in request.resource_spans {
            let attributes = resource.resource.map(|r| r.attributes).unwrap_or_default();
            let service = attributes.iter().find(|a| a.key == "service.name").and_then(|a| a.value.clone());
            let service = service.map(|v| format!("{:?}", v.value)).unwrap_or_default();
            for scope in resource.scope_spans {
                kept.lock().unwrap().extend(scope.spans.into_iter().map(|span| (service.clone(), span)));
            }
        }
        async { "" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().route("/v1/traces", route)).await });
    (endpoint, spans)
}

/// A traced server, and its log (with the per-request lines of tower-http).
fn start(endpoint: &str, database: &str) -> (Server, Arc<Mutex<String>>) {
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_SERVICE_NAME", "trellis-under-test"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("RUST_LOG", "info,tower_http=debug"),
    ];
    support::serve_logged(database, &["--demo"], &otel)
}

async fn post(base: &str, query: &str, variables: Value, traceparent: Option<&str>) -> Value {
    let mut request = reqwest::Client::new().post(format!("{base}/graphql")).bearer_auth(token("dana", "admin"));
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    request.json(&json!({ "query": query, "variables": variables })).send().await.unwrap().json().await.unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_named_operation_continues_the_callers_trace_down_to_its_statements() {
    let (endpoint, received) = receiver().await;
    let database = testdb::TestDatabase::sqlite();
    let (server, log) = start(&endpoint, &database.url);
    let found = post(&server.1, r#"{ objectives(filter: { search: "sales cycle" }) { edges { node { keyResults { edges { node { id } } } } } } }"#, json!({}), None).await;
    let kr = found["data"]["objectives"]["edges"][0]["node"]["keyResults"]["edges"][0]["node"]["id"].clone();
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let mutation = "mutation SalesCheckIn($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
    let answer =
        post(&server.1, mutation, json!({ "i": { "keyResultId": kr, "value": 41.2345 } }), Some(&traceparent)).await;
    assert!(answer.get("errors").is_none(), "{answer}");

    let deadline = Instant::now() + Duration::from_secs(10);
    let spans = loop {
        let spans: Vec<(String, Span)> =
            received.lock().unwrap().iter().filter(|(_, s)| hex(&s.trace_id) == TRACE_ID).cloned().collect();
        if spans.iter().any(|(_, s)| s.name == "POST /graphql") || Instant::now() > deadline {
            break spans;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let names: Vec<&str> = spans.iter().map(|(_, s)| s.name.as_str()).collect();
    let by_id = |id: &[u8]| spans.iter().map(|(_, s)| s).find(|s| s.span_id == id);
    let request =
        spans.iter().map(|(_, s)| s).find(|s| s.name == "POST /graphql").unwrap_or_else(|| panic!("{names:?}"));
    assert_eq!(hex(&request.parent_span_id), CALLER_SPAN, "the request joins the caller's trace");
    let operation =
        spans.iter().map(|(_, s)| s).find(|s| s.name == "mutation SalesCheckIn").unwrap_or_else(|| panic!("{names:?}"));
    assert_eq!(operation.parent_span_id, request.span_id, "request → operation");
    let statement =
        spans.iter().map(|(_, s)| s).find(|s| s.name.starts_with("sea_orm")).unwrap_or_else(|| panic!("{names:?}"));
    let mut ancestors = Vec::new();
    let mut at = by_id(&statement.parent_span_id);
    while let Some(span) = at {
        ancestors.push(span.name.clone());
        at = by_id(&span.parent_span_id);
    }
    assert!(ancestors.contains(&"mutation SalesCheckIn".to_owned()), "operation → … → statement: {ancestors:?}");
    assert!(spans.iter().all(|(service, _)| service.contains("trellis-under-test")), "the service name is set");
    let attributes = format!("{:?}", statement.attributes);
    assert!(
        attributes.contains("db.operation") && !attributes.contains("41.2345"),
        "kinds, never values: {attributes}"
    );

    // A failed operation carries its error code.
    post(&server.1, r#"query Broken { objective(id: "nonsense") { title } }"#, json!({}), None).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let broken = loop {
        let found = received.lock().unwrap().iter().map(|(_, s)| s.clone()).find(|s| s.name == "query Broken");
        match found {
            Some(span) => break span,
            None if Instant::now() > deadline => panic!("no span for the failed operation"),
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let attributes = format!("{:?}", broken.attributes);
    assert!(attributes.contains("graphql.error.code") && attributes.contains("BAD_USER_INPUT"), "{attributes}");

    // The request's log lines carry its request id and trace id, never the token.
    let log = log.lock().unwrap().clone();
    let traced: Vec<&str> = log.lines().filter(|line| line.contains(&format!("trace_id={TRACE_ID}"))).collect();
    assert!(!traced.is_empty() && traced.iter().all(|line| line.contains("request.id=")), "{log}");
    assert!(!log.contains("eyJ") && !log.contains("Bearer"), "no token in the log");
}
