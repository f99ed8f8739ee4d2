//! Change events for live displays, and the bus that carries them to every replica.
//!
//! Writers collect events in an outbox inside their transaction. On PostgreSQL the
//! outbox sends them with `pg_notify` in that same transaction, so only committed changes
//! are announced and every replica's listener hears them; on SQLite (one process) they
//! go straight to the in-process channel after commit. Payloads carry ids and figures,
//! never whole objects: NOTIFY payloads are limited to 8,000 bytes.

use crate::Result;
use chrono::{DateTime, Utc};
use entity::Confidence;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel events travel on.
pub const CHANNEL: &str = "trellis_events";
/// Events a slow subscriber may fall behind by before it is told to refetch. Each topic
/// somebody listens to has a buffer of its own, allocated whole, so it is kept modest: a
/// topic carries only the events that concern it.
pub const BUFFER: usize = 1024;

/// An objective's figures after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub objective_id: Uuid,
    pub team_id: Uuid,
    pub progress: f64,
    pub expected_progress: f64,
    pub status: crate::rules::scoring::Status,
}

/// Something changed that displays show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A key result's progress changed; `chain` is its objective and every ancestor
    /// it rolls up into, nearest first.
    ProgressChanged {
        organization_id: Uuid,
        cycle_id: Uuid,
        team_id: Uuid,
        key_result_id: Uuid,
        key_result_progress: f64,
        current_value: f64,
        objective_id: Uuid,
        chain: Vec<Figures>,
        at: DateTime<Utc>,
    },
    /// A check-in was recorded.
    CheckInRecorded {
        organization_id: Uuid,
        team_id: Uuid,
        key_result_id: Uuid,
        check_in_id: Uuid,
        value: f64,
        confidence: Confidence,
        at: DateTime<Utc>,
    },
    /// An objective was created, edited, aligned, activated, closed or archived.
    ObjectiveChanged {
        organization_id: Uuid,
        cycle_id: Uuid,
        team_id: Uuid,
        objective_id: Uuid,
        /// `created`, `updated`, `aligned`, `activated`, `closed`, `carried_over`, `archived`,
        /// `cycle_closed` or `cycle_reopened`.
        change: String,
    },
    /// A team, membership, cycle, policy, initiative, dependency or weekly note changed.
    Changed {
        organization_id: Uuid,
        kind: ChangeKind,
        /// The changed row (the organization's own id for a policy change).
        id: Uuid,
        /// What happened: `created`, `updated`, `archived`, `deleted`, `activated`,
        /// `closed`, `reopened` or `resolved`.
        change: String,
        /// The teams the change concerns (both ends of a dependency; none for cycles and
        /// the policy, which concern everyone).
        team_ids: Vec<Uuid>,
    },
    /// Events may have been missed (a slow subscriber, a lost listener): refetch.
    Resync { organization_id: Option<Uuid> },
}

/// What a subscriber listens to in its organization. An event reaches the subscribers of
/// each topic it concerns, and nobody else: a thousand displays of other teams cost a
/// check-in nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Teams, memberships, cycles, the policy, initiatives and dependencies.
    Changes,
    Cycle(Uuid),
    Team(Uuid),
    /// Progress changes of any objective in the chain, so the company objective hears
    /// every team below it.
    Objective(Uuid),
    KeyResult(Uuid),
}

/// What kind of row an [`Event::Changed`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Team,
    Membership,
    Cycle,
    Policy,
    Initiative,
    Dependency,
    TeamWeek,
    Theme,
}

/// `row` of `kind` in `organization_id` went through `change`, concerning `team_ids`.
pub fn changed(
    organization_id: Uuid,
    kind: ChangeKind,
    id: Uuid,
    change: &str,
    team_ids: impl IntoIterator<Item = Uuid>,
) -> Event {
    Event::Changed { organization_id, kind, id, change: change.to_owned(), team_ids: team_ids.into_iter().collect() }
}

impl Event {
    /// The organization the event belongs to; `None` concerns everyone.
    pub fn organization_id(&self) -> Option<Uuid> {
        match self {
            Event::ProgressChanged { organization_id, .. }
            | Event::CheckInRecorded { organization_id, .. }
            | Event::ObjectiveChanged { organization_id, .. }
            | Event::Changed { organization_id, .. } => Some(*organization_id),
            Event::Resync { organization_id } => *organization_id,
        }
    }

    /// The topics whose subscribers hear this event (none for a resync, which goes to all).
    fn topics(&self) -> Vec<Topic> {
        match self {
            Event::ProgressChanged { cycle_id, team_id, chain, .. } => [Topic::Cycle(*cycle_id), Topic::Team(*team_id)]
                .into_iter()
                .chain(chain.iter().map(|f| Topic::Objective(f.objective_id)))
                .collect(),
            Event::CheckInRecorded { team_id, key_result_id, .. } => {
                vec![Topic::Team(*team_id), Topic::KeyResult(*key_result_id)]
            }
            Event::ObjectiveChanged { cycle_id, team_id, .. } => vec![Topic::Cycle(*cycle_id), Topic::Team(*team_id)],
            Event::Changed { .. } => vec![Topic::Changes],
            Event::Resync { .. } => Vec::new(),
        }
    }
}

/// One channel per topic somebody listens to.
#[derive(Debug)]
struct Topics {
    capacity: usize,
    channels: std::collections::HashMap<(Uuid, Topic), broadcast::Sender<Arc<Event>>>,
    /// Size at which channels nobody listens to any more are dropped.
    sweep_at: usize,
}

impl Topics {
    fn new(capacity: usize) -> std::sync::Mutex<Topics> {
        std::sync::Mutex::new(Topics { capacity, channels: Default::default(), sweep_at: 64 })
    }

    fn subscribe(&mut self, organization: Uuid, topic: Topic) -> broadcast::Receiver<Arc<Event>> {
        if self.channels.len() >= self.sweep_at {
            self.channels.retain(|_, sender| sender.receiver_count() > 0);
            self.sweep_at = (self.channels.len() * 2).max(64);
        }
        let capacity = self.capacity;
        let receiver =
            self.channels.entry((organization, topic)).or_insert_with(|| broadcast::channel(capacity).0).subscribe();
        metrics::gauge!("trellis_event_topics").set(self.channels.len() as f64);
        receiver
    }

    fn deliver(&mut self, event: &Arc<Event>) {
        let Some(organization) = event.organization_id() else {
            self.channels.values().for_each(|sender| drop(sender.send(event.clone())));
            return;
        };
        if matches!(**event, Event::Resync { .. }) {
            self.channels
                .iter()
                .filter(|((o, _), _)| *o == organization)
                .for_each(|(_, sender)| drop(sender.send(event.clone())));
            return;
        }
        for topic in event.topics() {
            let key = (organization, topic);
            // A send fails only when nobody listens any more: the channel goes.
            if let Some(sender) = self.channels.get(&key)
                && sender.send(event.clone()).is_err()
            {
                self.channels.remove(&key);
                metrics::gauge!("trellis_event_topics").set(self.channels.len() as f64);
            }
        }
    }
}

/// Fans events out to this process's subscribers, by topic.
#[derive(Debug, Clone)]
pub struct Bus {
    /// Every event, for whoever watches them all (tests, audits of the bus itself).
    all: broadcast::Sender<Arc<Event>>,
    topics: Arc<std::sync::Mutex<Topics>>,
    postgres: bool,
}

impl Bus {
    /// A bus for `db`: NOTIFY-based on PostgreSQL, in-process on SQLite.
    pub fn new(db: &DatabaseConnection) -> Self {
        Bus { postgres: db.get_database_backend() == DbBackend::Postgres, ..Bus::local(BUFFER) }
    }

    /// An in-process bus holding at most `capacity` undelivered events per subscriber.
    pub fn local(capacity: usize) -> Self {
        let (all, _) = broadcast::channel(capacity);
        Bus { all, topics: Arc::new(Topics::new(capacity)), postgres: false }
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.all.subscribe()
    }

    /// A receiver of the events of `organization` that concern `topic`, and of its resyncs.
    pub fn subscribe_to(&self, organization: Uuid, topic: Topic) -> broadcast::Receiver<Arc<Event>> {
        self.lock().subscribe(organization, topic)
    }

    /// Hands an event to local subscribers (the listener, or a SQLite writer).
    pub fn deliver(&self, event: Event) {
        metrics::counter!("trellis_events_received_total").increment(1);
        let event = Arc::new(event);
        // No subscriber is not an error: nobody is watching.
        let _nobody = self.all.send(event.clone());
        self.lock().deliver(&event);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Topics> {
        // The lock guards a map that no panic can leave half-changed.
        self.topics.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An empty outbox for one write.
    pub(crate) fn outbox(&self) -> Outbox {
        Outbox { bus: self.clone(), events: Vec::new() }
    }
}

/// Events of one write transaction.
#[derive(Debug)]
pub(crate) struct Outbox {
    bus: Bus,
    events: Vec<Event>,
}

impl Outbox {
    /// Queues an event.
    pub fn push(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The events queued so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// On PostgreSQL, sends the events inside the transaction (delivered on commit only),
    /// all of them in one statement.
    pub async fn send_in(&self, txn: &impl ConnectionTrait) -> Result<()> {
        if !self.bus.postgres || self.events.is_empty() {
            return Ok(());
        }
        let mut payloads = Vec::with_capacity(self.events.len());
        for event in &self.events {
            let payload = serde_json::to_string(event).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
            payloads.push(sea_orm::Value::from(payload));
        }
        let payloads = sea_orm::Value::Array(sea_orm::sea_query::ArrayType::String, Some(Box::new(payloads)));
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS e(payload, position) \
             ORDER BY position",
            [CHANNEL.into(), payloads],
        );
        txn.execute_raw(statement).await?;
        Ok(())
    }

    /// After commit: on SQLite, hands the events to local subscribers.
    pub fn committed(self) {
        metrics::counter!("trellis_events_published_total").increment(self.events.len() as u64);
        if !self.bus.postgres {
            for event in self.events {
                self.bus.deliver(event);
            }
        }
    }
}

/// How long one attempt to (re)connect the listener may take.
const LISTENER_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs this process's one PostgreSQL listener until the process ends: every NOTIFY on
/// [`CHANNEL`] goes to the local bus. A lost connection tells subscribers to resync at
/// once, reconnects, and tells them again, since events may have been missed meanwhile.
pub async fn listen(url: String, bus: Bus) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut backoff = std::time::Duration::from_millis(100);
    let mut reconnecting = false;
    loop {
        // sqlx retries a refused connection until its pool's acquire timeout (30 s): bound
        // each attempt so that the listener is back within a second of the database.
        let connected = tokio::time::timeout(LISTENER_CONNECT_TIMEOUT, PgListener::connect(&url)).await;
        let mut listener = match connected {
            Ok(Ok(listener)) => listener,
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "event listener cannot connect; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
                continue;
            }
            Err(_) => {
                tracing::warn!("event listener cannot connect in time; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
                continue;
            }
        };
        // sqlx would reconnect inside `try_recv` before saying the connection dropped,
        // waiting out its pool's 30 s acquire timeout while the database is away: the
        // subscribers would hear of the outage that late.
        listener.eager_reconnect(false);
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %error, "LISTEN failed; retrying");
            continue;
        }
        backoff = std::time::Duration::from_millis(100);
        if reconnecting {
            // Whatever was sent while the connection was down is lost: refetch.
            metrics::counter!("trellis_events_resync_total", "reason" => "listener").increment(1);
            bus.deliver(Event::Resync { organization_id: None });
        }
        reconnecting = true;
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => match serde_json::from_str::<Event>(notification.payload()) {
                    Ok(event) => bus.deliver(event),
                    Err(error) => tracing::warn!(error = %error, "an event could not be read"),
                },
                // The connection dropped. Subscribers refetch now, and once more when the
                // listener is back (the outer loop), for what was sent in between.
                Ok(None) => {
                    tracing::warn!("event listener lost its connection; reconnecting");
                    metrics::counter!("trellis_events_resync_total", "reason" => "listener").increment(1);
                    bus.deliver(Event::Resync { organization_id: None });
                    break;
                }
                // Tell subscribers now, not once the database is back: what other
                // replicas publish meanwhile is lost to them. They hear it again on
                // reconnection, for what was missed in between.
                Err(error) => {
                    tracing::warn!(error = %error, "event listener lost its connection; reconnecting");
                    metrics::counter!("trellis_events_resync_total", "reason" => "listener").increment(1);
                    bus.deliver(Event::Resync { organization_id: None });
                    break;
                }
            }
        }
    }
}

/// The figures displays show for each objective of `chain`, now.
pub async fn figures(
    db: &impl ConnectionTrait,
    actor: &crate::Actor,
    chain: &[entity::objective::Model],
    now: DateTime<Utc>,
) -> Result<Vec<Figures>> {
    let statuses = crate::objectives::statuses(db, actor, chain, now).await?;
    Ok(figures_of(chain, &statuses))
}

fn figures_of(
    chain: &[entity::objective::Model],
    statuses: &std::collections::HashMap<Uuid, (f64, crate::rules::scoring::Status)>,
) -> Vec<Figures> {
    chain
        .iter()
        .filter_map(|o| {
            let (expected_progress, status) = *statuses.get(&o.id)?;
            Some(Figures { objective_id: o.id, team_id: o.team_id, progress: o.progress, expected_progress, status })
        })
        .collect()
}

/// A key result's new progress, with its objective chain's figures.
pub async fn progress_changed(
    db: &impl ConnectionTrait,
    actor: &crate::Actor,
    kr: &entity::key_result::Model,
    chain: &[entity::objective::Model],
    now: DateTime<Utc>,
) -> Result<Option<Event>> {
    let figures = figures(db, actor, chain, now).await?;
    Ok(progress_event(actor, kr, chain, figures, now))
}

/// [`progress_changed`] from a rollup, which holds the chain's key results, and the cycle
/// the change was made in: no statement at all when the chain stays in that cycle (the
/// writer still holds the chain's locks).
pub async fn rollup_changed(
    db: &impl ConnectionTrait,
    actor: &crate::Actor,
    kr: &entity::key_result::Model,
    rollup: &crate::objectives::progress::Rollup,
    cycle: &entity::cycle::Model,
    now: DateTime<Utc>,
) -> Result<Option<Event>> {
    let mut cycles = std::collections::HashMap::from([(cycle.id, cycle.clone())]);
    let missing: Vec<Uuid> = rollup.chain.iter().map(|o| o.cycle_id).filter(|id| !cycles.contains_key(id)).collect();
    if !missing.is_empty() {
        cycles.extend(crate::tenant::by_ids::<entity::cycle::Entity>(db, actor, &missing).await?);
    }
    let statuses = crate::objectives::statuses_from(&rollup.chain, &cycles, &rollup.key_results, now);
    Ok(progress_event(actor, kr, &rollup.chain, figures_of(&rollup.chain, &statuses), now))
}

fn progress_event(
    actor: &crate::Actor,
    kr: &entity::key_result::Model,
    chain: &[entity::objective::Model],
    figures: Vec<Figures>,
    now: DateTime<Utc>,
) -> Option<Event> {
    let objective = chain.first()?;
    Some(Event::ProgressChanged {
        organization_id: actor.organization_id(),
        cycle_id: objective.cycle_id,
        team_id: objective.team_id,
        key_result_id: kr.id,
        key_result_progress: kr.progress,
        current_value: kr.current_value,
        objective_id: objective.id,
        chain: figures,
        at: now,
    })
}

/// An objective changed in a way that redraws a tree.
pub fn objective_changed(objective: &entity::objective::Model, change: &str) -> Event {
    Event::ObjectiveChanged {
        organization_id: objective.organization_id,
        cycle_id: objective.cycle_id,
        team_id: objective.team_id,
        objective_id: objective.id,
        change: change.to_owned(),
    }
}
