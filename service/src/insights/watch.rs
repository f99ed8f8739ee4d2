//! Live insights: what appeared and what cleared, for subscribers. Each process keeps one
//! watch per organization and cycle that somebody subscribes to: it recomputes the cycle's
//! insights after the changes its bus carries (check-ins, edits, planning), and every
//! `sweep` for what time alone changes (a key result going stale), and tells its own
//! subscribers the difference. Every replica may compute; a subscriber hears only its own
//! replica's watch, so each change reaches it once.

use super::load::Histories;
use super::{Insight, InsightKind, Subject};
use crate::events::{Bus, Topic};
use crate::{Actor, Clock};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// Insights that appeared (or changed severity) and cleared since the last computation.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub appeared: Vec<Arc<Insight>>,
    /// As they last held.
    pub cleared: Vec<Arc<Insight>>,
}

type Watched = HashMap<(Uuid, Uuid), broadcast::Sender<Arc<Change>>>;

/// This process's watches.
#[derive(Clone)]
pub struct Watches {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    bus: Bus,
    sweep: Duration,
    histories: Arc<Histories>,
    watched: Arc<Mutex<Watched>>,
}

/// A change waits this long for the ones that come with it (a check-in's several events).
const SETTLE: Duration = Duration::from_millis(100);

impl Watches {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        bus: Bus,
        sweep: Duration,
        histories: Arc<Histories>,
    ) -> Self {
        Watches { db, clock, bus, sweep: sweep.max(Duration::from_secs(1)), histories, watched: Arc::default() }
    }

    /// The changes of `cycle`'s insights from now on, as `actor`'s organization sees them.
    pub fn subscribe(&self, actor: &Actor, cycle: Uuid) -> broadcast::Receiver<Arc<Change>> {
        let key = (actor.organization_id(), cycle);
        let mut watched = self.lock();
        if let Some(sender) = watched.get(&key) {
            return sender.subscribe();
        }
        let (sender, receiver) = broadcast::channel(64);
        watched.insert(key, sender.clone());
        tokio::spawn(self.clone().run(actor.clone(), cycle, sender));
        receiver
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Watched> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn run(self, actor: Actor, cycle: Uuid, sender: broadcast::Sender<Arc<Change>>) {
        let organization = actor.organization_id();
        let mut edits = self.bus.subscribe_to(organization, Topic::Cycle(cycle));
        let mut planning = self.bus.subscribe_to(organization, Topic::Changes);
        let mut ticker = tokio::time::interval(self.sweep);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last: Option<HashMap<(InsightKind, Subject), Arc<Insight>>> = None;
        loop {
            let wake = tokio::select! {
                _ = ticker.tick() => Wake::Sweep,
                heard = edits.recv() => Wake::from(heard),
                heard = planning.recv() => Wake::from(heard),
            };
            match wake {
                Wake::Sweep => {}
                Wake::Change => settle(&mut edits, &mut planning).await,
                Wake::Closed => return,
            }
            if self.abandoned(organization, cycle, &sender) {
                return;
            }
            match super::of_cycle(&self.db, &actor, cycle, self.clock.now(), &self.histories).await {
                Ok(now) => {
                    let now: HashMap<_, _> = now.insights.into_iter().map(|i| (i.key(), i)).collect();
                    if let Some(change) = last.as_ref().map(|before| difference(before, &now))
                        && !(change.appeared.is_empty() && change.cleared.is_empty())
                    {
                        let _nobody = sender.send(Arc::new(change));
                    }
                    last = Some(now);
                }
                Err(e) => {
                    tracing::warn!(error = %e, %cycle, "computing insights for subscribers failed; retrying at the next change")
                }
            }
        }
    }

    /// Whether nobody listens any more; then the watch is gone, under the lock that new
    /// subscribers take, so none joins a watch that is ending.
    fn abandoned(&self, organization: Uuid, cycle: Uuid, sender: &broadcast::Sender<Arc<Change>>) -> bool {
        let mut watched = self.lock();
        if sender.receiver_count() > 0 {
            return false;
        }
        watched.remove(&(organization, cycle));
        true
    }
}

type Events = broadcast::Receiver<Arc<crate::events::Event>>;

/// Why a watch looks again.
enum Wake {
    Sweep,
    /// Something changed (or so much that some of it was missed).
    Change,
    /// The bus is gone: the process is ending.
    Closed,
}

impl<T> From<Result<T, broadcast::error::RecvError>> for Wake {
    fn from(heard: Result<T, broadcast::error::RecvError>) -> Self {
        match heard {
            Err(broadcast::error::RecvError::Closed) => Wake::Closed,
            _ => Wake::Change,
        }
    }
}

/// Lets the events that come with a change arrive, and takes them all as one.
async fn settle(a: &mut Events, b: &mut Events) {
    tokio::time::sleep(SETTLE).await;
    for events in [a, b] {
        while matches!(events.try_recv(), Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_))) {}
    }
}

fn difference(
    before: &HashMap<(InsightKind, Subject), Arc<Insight>>,
    now: &HashMap<(InsightKind, Subject), Arc<Insight>>,
) -> Change {
    let appeared =
        now.iter().filter(|(k, i)| before.get(*k).is_none_or(|b| b.severity != i.severity)).map(|(_, i)| i.clone());
    let cleared = before.iter().filter(|(k, _)| !now.contains_key(*k)).map(|(_, i)| i.clone());
    let mut change = Change { appeared: appeared.collect(), cleared: cleared.collect() };
    change.appeared.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)));
    change.cleared.sort_by_key(|a| a.kind);
    change
}
