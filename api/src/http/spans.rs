//! The spans of a request: one per HTTP request, joined to the caller's trace when it
//! sends a W3C `traceparent` (its fields, the request id and the trace id, are on every
//! log line the request writes), and one per GraphQL operation, named after it (`query
//! Dashboard`), with its type, a hash of the document and, when it fails, the error code.

use async_graphql::parser::types::OperationType;
use axum::http::Request;
use opentelemetry::trace::{TraceContextExt, TraceId};
use opentelemetry_http::HeaderExtractor;
use std::hash::{Hash, Hasher};
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The request's span, a child of the caller's trace when the headers carry one.
pub fn request<B>(request: &Request<B>, request_id: &str) -> Span {
    let (method, path) = (request.method(), request.uri().path());
    let span = tracing::info_span!(
        "http",
        otel.name = %format!("{method} {path}"),
        otel.kind = "server",
        http.method = %method,
        http.path = %path,
        request.id = %request_id,
        trace_id = Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(request.headers())));
    // Without a trace pipeline there is nothing to join, and no trace id to log.
    if span.set_parent(parent).is_ok() {
        let trace_id = span.context().span().span_context().trace_id();
        if trace_id != TraceId::INVALID {
            span.record("trace_id", tracing::field::display(trace_id));
        }
    }
    span
}

/// What an operation is: its type and its name, if it has one.
#[derive(Debug, Clone)]
pub struct Operation {
    pub kind: &'static str,
    pub name: Option<String>,
}

impl Operation {
    /// The operation `request` runs (its document parsed already).
    pub fn of(request: &mut async_graphql::Request) -> Self {
        let wanted = request.operation_name.clone();
        let Ok(document) = request.parsed_query() else { return Operation { kind: "query", name: None } };
        let chosen = document
            .operations
            .iter()
            .find(|(name, _)| wanted.is_none() || name.map(|n| n.as_str()) == wanted.as_deref());
        let kind = chosen.map_or("query", |(_, op)| match op.node.ty {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        });
        Operation { kind, name: chosen.and_then(|(name, _)| name.map(|n| n.to_string())) }
    }
}

/// The span of `operation`, whose document is `query`.
pub fn operation(operation: &Operation, query: &str) -> Span {
    let (kind, name) = (operation.kind, operation.name.as_deref().unwrap_or("anonymous"));
    tracing::info_span!(
        "graphql",
        otel.name = %format!("{kind} {name}"),
        graphql.operation.type = kind,
        graphql.operation.name = %name,
        graphql.document.hash = %document_hash(query),
        otel.status_code = Empty,
        graphql.error.code = Empty,
    )
}

/// The outcome of a response: `ok`, or the first error's code.
pub fn outcome(response: &async_graphql::Response) -> String {
    let Some(error) = response.errors.first() else { return "ok".into() };
    let code = error.extensions.as_ref().and_then(|e| e.get("code"));
    code.map_or_else(|| "UNKNOWN".into(), |c| c.to_string().trim_matches('"').to_owned())
}

/// Marks the operation's span with a failed outcome.
pub fn record_outcome(span: &Span, outcome: &str) {
    if outcome != "ok" {
        span.record("otel.status_code", "ERROR");
        span.record("graphql.error.code", outcome);
    }
}

/// A short, stable fingerprint of a document (not a security hash: it names, not proves).
fn document_hash(query: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    query.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
