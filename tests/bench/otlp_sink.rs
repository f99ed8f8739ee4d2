//! A local OTLP/HTTP trace receiver for `bench/telemetry`: decodes every export (as a
//! collector would) and counts the spans; `GET /count` answers the total so far.
//!
//! Usage: `otlp_sink ADDRESS` (e.g. `127.0.0.1:18092`).

use axum::body::Bytes;
use axum::routing::{get, post};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18092".into());
    let spans = Arc::new(AtomicU64::new(0));
    let counted = spans.clone();
    let receive = post(move |body: Bytes| async move {
        let count = ExportTraceServiceRequest::decode(body).map_or(0, |request| {
            let scopes = request.resource_spans.into_iter().flat_map(|resource| resource.scope_spans);
            scopes.map(|scope| scope.spans.len() as u64).sum()
        });
        counted.fetch_add(count, Ordering::Relaxed);
        ""
    });
    let count = get(move || async move { spans.load(Ordering::Relaxed).to_string() });
    let app = axum::Router::new().route("/v1/traces", receive).route("/count", count);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
