//! Logs and traces. Logs are structured `tracing` output to stderr, filtered by
//! `RUST_LOG`. Traces go to an OpenTelemetry collector over OTLP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set: the exporter and the
//! SDK read the other standard variables themselves (`OTEL_EXPORTER_OTLP_PROTOCOL`,
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`/`_ARG`, the batch
//! settings). Nothing is exported when they are unset.

use crate::config::TelemetrySettings;
use anyhow::Context;
use opentelemetry::trace::TracerProvider;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::io::IsTerminal;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Filter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// What is exported to tracing: request, operation, service and statement spans.
const TRACE_FILTER: &str = "info,sea_orm=info,sqlx=off,h2=off,hyper=off,tonic=off,reqwest=off";

/// The trace pipeline, flushed when the server stops.
#[must_use = "hold it until shutdown, then call `shutdown` so that the last spans are sent"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still queued and stops the exporter.
    pub fn shutdown(self) {
        if let Some(Err(error)) = self.provider.map(|provider| provider.shutdown()) {
            eprintln!("trellis: flushing traces failed: {error}");
        }
    }
}

/// Installs the global subscriber once; later calls only log (tests start many apps).
/// Must run inside the tokio runtime (the gRPC exporter needs it).
pub fn init(settings: &TelemetrySettings) -> anyhow::Result<Telemetry> {
    let filter = level_filter(&settings.log);
    // Colours only on a terminal: a log collected from a pipe or a file stays plain text.
    let colours = std::io::stderr().is_terminal();
    let text =
        (!settings.log_json).then(|| tracing_subscriber::fmt::layer().with_ansi(colours).with_writer(std::io::stderr));
    let json = settings.log_json.then(|| tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr));
    let logs = text.map(Layer::boxed).or(json.map(Layer::boxed)).map(|layer| layer.with_filter(filter));
    let provider = match settings.exports_traces() {
        true => Some(provider(settings)?),
        false => None,
    };
    let traces = provider.as_ref().map(|provider| {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let tracer = provider.tracer("trellis");
        // A request's spans are entered on every poll of its futures: neither busy/idle
        // timing nor activating the OpenTelemetry context on each entry (which only other
        // OpenTelemetry instrumentation would read; parents come from the span tree) is
        // worth that. Thread and source-location attributes tell an operator nothing the
        // span's name does not.
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_context_activation(false)
            .with_tracked_inactivity(false)
            .with_threads(false)
            .with_location(false)
            .with_filter(level_filter(TRACE_FILTER))
    });
    if tracing_subscriber::registry().with(logs).with(traces).try_init().is_err() {
        tracing::debug!("telemetry was set up already");
    }
    Ok(Telemetry { provider })
}

/// A filter by target and level (`info,sea_orm=warn`) when `spec` needs no more, else an
/// `EnvFilter`. An `EnvFilter` takes a lock on every enter and exit of every span, to
/// follow span-scoped directives, and a request's spans are entered on every poll of its
/// futures: that was most of what tracing cost a tree request (`bench/telemetry`).
fn level_filter<S>(spec: &str) -> Box<dyn Filter<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    match spec.parse::<Targets>() {
        Ok(targets) => Box::new(targets),
        Err(_) => Box::new(EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new("info"))),
    }
}

fn provider(settings: &TelemetrySettings) -> anyhow::Result<SdkTracerProvider> {
    let grpc = settings.otlp_protocol.as_deref() == Some("grpc");
    let exporter = if grpc {
        opentelemetry_otlp::SpanExporter::builder().with_tonic().build()
    } else {
        opentelemetry_otlp::SpanExporter::builder().with_http().with_protocol(Protocol::HttpBinary).build()
    }
    .context("setting up the OTLP trace exporter (see OTEL_EXPORTER_OTLP_*)")?;
    let resource = Resource::builder().with_service_name(settings.service_name()).build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}
