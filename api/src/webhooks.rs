//! The webhook sender: every replica runs one. It takes due deliveries from the outbox
//! (each replica different ones), signs and POSTs each, and books the outcome. Endpoints
//! are reached only at addresses the operator's policy permits, checked on the very
//! addresses the connection uses; redirects are not followed; answers are bounded in
//! time and size.

pub mod body;
pub mod sign;

use crate::config::WebhookSettings;
use crate::http::shutdown::Signal;
use futures::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sea_orm::DatabaseConnection;
use service::Clock;
use service::events::Bus;
use service::webhooks::destination::Destinations;
use service::webhooks::queue::{self, Claimed, Outcome, Retries};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Deliveries taken at once; each subject has at most one among them.
const BATCH: u64 = 32;
/// Deliveries in flight at once per replica.
const CONCURRENCY: usize = 8;
/// How long a woken sender lets the events of a burst arrive before it looks.
const SETTLE: Duration = Duration::from_millis(50);
/// The most of an answer that is read (and kept, as the attempt's error, for a failure).
const MAX_ANSWER_BYTES: usize = 1024;

/// One replica's sender.
#[derive(Clone)]
pub struct Sender {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    bus: Bus,
    client: reqwest::Client,
    destinations: Arc<Destinations>,
    retries: Retries,
    poll: Duration,
}

impl Sender {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        bus: Bus,
        destinations: Arc<Destinations>,
        settings: &WebhookSettings,
    ) -> anyhow::Result<Sender> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect for us, past the address check.
            .no_proxy()
            .timeout(Duration::from_millis(settings.webhook_timeout_ms))
            .connect_timeout(Duration::from_millis(settings.webhook_timeout_ms))
            .user_agent(concat!("Trellis-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Vetted(destinations.clone())))
            .build()?;
        Ok(Sender {
            db,
            clock,
            bus,
            client,
            destinations,
            retries: settings.retries(),
            poll: Duration::from_millis(settings.webhook_poll_ms.max(10)),
        })
    }

    /// Sends until the server stops; deliveries in flight then are finished first.
    pub async fn run(self, mut shutdown: Signal) {
        let mut changes = self.bus.subscribe();
        loop {
            let claimed = match queue::claim(&self.db, &self.retries, self.clock.now(), BATCH).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(error = %error, "cannot take webhook deliveries; trying again");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    () = shutdown.stopping() => return,
                    () = tokio::time::sleep(self.poll) => {}
                    // A local write (or, on PostgreSQL, any replica's) may have queued some.
                    _ = changes.recv() => settle(&mut changes).await,
                }
                continue;
            }
            futures::stream::iter(claimed).for_each_concurrent(CONCURRENCY, |c| self.deliver(c)).await;
            // A backlog never lets the loop idle: a stop is looked for between batches too.
            if shutdown.stopped() {
                return;
            }
        }
    }

    async fn deliver(&self, claimed: Claimed) {
        let outcome = self.attempt(&claimed).await;
        let succeeded = outcome.status.is_some_and(|s| (200..300).contains(&s));
        metrics::counter!("trellis_webhook_attempts_total", "outcome" => if succeeded { "delivered" } else { "failed" })
            .increment(1);
        metrics::histogram!("trellis_webhook_attempt_seconds").record(outcome.duration.as_secs_f64());
        match queue::record(&self.db, &self.retries, &claimed, &outcome, self.clock.now()).await {
            Ok(true) => {
                metrics::counter!("trellis_webhooks_disabled_total").increment(1);
                tracing::warn!(
                    webhook.id = %claimed.delivery.webhook_id,
                    organization.id = %claimed.delivery.organization_id,
                    url = %claimed.url,
                    "webhook disabled: every delivery failed for the retry window"
                );
            }
            Ok(false) => {}
            // The lease runs out and the delivery goes again, with the same id.
            Err(error) => {
                tracing::warn!(error = %error, delivery.id = %claimed.delivery.id, "cannot book a webhook attempt")
            }
        }
    }

    /// One signed POST, and what came of it.
    async fn attempt(&self, claimed: &Claimed) -> Outcome {
        let started = Instant::now();
        let failed = |error: String| Outcome { status: None, error: Some(error), duration: started.elapsed() };
        if let Err(refused) = self.literal_address_permitted(&claimed.url) {
            return failed(refused);
        }
        let delivery = &claimed.delivery;
        let id = body::message_id(delivery);
        let payload = body::render(delivery).to_string();
        let timestamp = self.clock.now().timestamp();
        let Some(signature) = sign::signature(&claimed.secret, &id, timestamp, payload.as_bytes()) else {
            return failed("the endpoint's secret is not a whsec_ key".to_owned());
        };
        let request = self
            .client
            .post(&claimed.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(payload);
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return failed(describe(&error)),
        };
        let status = response.status();
        let answer = read_bounded(response).await;
        let error = (!status.is_success()).then(|| {
            let redirect = if status.is_redirection() { " (redirects are not followed)" } else { "" };
            format!("HTTP {status}{redirect}{}", if answer.is_empty() { String::new() } else { format!(": {answer}") })
        });
        Outcome { status: Some(status.as_u16()), error, duration: started.elapsed() }
    }

    /// A URL naming an address (not a host) skips name resolution, so it is checked here.
    fn literal_address_permitted(&self, url: &str) -> Result<(), String> {
        let host = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) if !self.destinations.permits(ip) => {
                Err(format!("{ip} is an internal address: refused by the destination policy"))
            }
            _ => Ok(()),
        }
    }
}

/// A change's events come in bursts (a check-in announces several), and a busy
/// organization's in streams: one look for due deliveries serves all that arrive
/// meanwhile, so the sender adds at most one transaction per `SETTLE` to the writers'.
async fn settle(changes: &mut tokio::sync::broadcast::Receiver<Arc<service::events::Event>>) {
    tokio::time::sleep(SETTLE).await;
    while matches!(changes.try_recv(), Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_))) {}
}

/// The first bytes of an answer, as text; the rest is not read.
async fn read_bounded(response: reqwest::Response) -> String {
    let mut stream = response.bytes_stream();
    let mut kept = Vec::new();
    while kept.len() < MAX_ANSWER_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(MAX_ANSWER_BYTES);
    String::from_utf8_lossy(&kept).trim().to_owned()
}

/// A send error with its causes (a refused address shows as the resolver's refusal).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    causes.dedup();
    match causes.last() {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_owned(),
    }
}

/// Name resolution that returns only permitted addresses, and fails when any is not:
/// the check is made on the addresses the connection then uses (no DNS rebinding).
struct Vetted(Arc<Destinations>);

impl Resolve for Vetted {
    fn resolve(&self, name: Name) -> Resolving {
        let destinations = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted = destinations.vet(&host, found).map_err(|refused| refused.to_string())?;
            let addrs: Addrs = Box::new(permitted.into_iter());
            Ok(addrs)
        })
    }
}
