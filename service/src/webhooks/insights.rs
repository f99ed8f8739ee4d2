//! Insight webhooks. Insights are computed from the OKRs and the clock, never written, so
//! no write can announce them: each replica's feed looks again after the changes it hears
//! and every sweep, compares a cycle's insights with those endpoints were last told
//! (`webhook_insights`), and writes the difference to the outbox with the new state, in
//! one transaction. Replicas take turns per cycle (an advisory lock on PostgreSQL, the
//! write lock on SQLite), so each raise and each clearing is announced once.

use super::outbox::{enqueue_announced, json};
use super::{Announced, EventType};
use crate::events::Bus;
use crate::insights::load::Histories;
use crate::insights::{self, Insight};
use crate::tenant::{Org, scoped};
use crate::{Actor, Clock, Result, db};
use chrono::{DateTime, Utc};
use entity::{CycleState, cycle, webhook, webhook_insight};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    Statement,
};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use uuid::Uuid;

/// What an insight delivery stores: the insight (as it held when raised, or as it last
/// held when cleared) and its cycle.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct InsightNotice {
    pub cycle_id: Uuid,
    pub insight: Insight,
}

/// A change waits this long for the ones that come with it (a check-in's several events).
const SETTLE: Duration = Duration::from_millis(200);

/// One replica's insight feed.
pub struct InsightFeed {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub bus: Bus,
    pub histories: Arc<Histories>,
    /// How often it looks again for what time alone changes.
    pub sweep: Duration,
}

impl InsightFeed {
    /// Feeds until `stopping` completes.
    pub async fn run(self, stopping: impl Future<Output = ()>) {
        tokio::pin!(stopping);
        let mut events = self.bus.subscribe();
        let mut ticker = tokio::time::interval(self.sweep.max(Duration::from_secs(1)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let mut changed = HashSet::new();
            let mut everyone = false;
            tokio::select! {
                () = &mut stopping => return,
                _ = ticker.tick() => everyone = true,
                heard = events.recv() => match heard {
                    Ok(event) => changed.extend(event.organization_id()),
                    Err(RecvError::Lagged(_)) => everyone = true,
                    Err(RecvError::Closed) => return,
                },
            }
            tokio::time::sleep(SETTLE).await;
            loop {
                match events.try_recv() {
                    Ok(event) => changed.extend(event.organization_id()),
                    Err(TryRecvError::Lagged(_)) => everyone = true,
                    Err(_) => break,
                }
            }
            if let Err(error) = self.pass(everyone, &changed).await {
                tracing::warn!(error = %error, "announcing insights to webhooks failed; trying again at the next change");
            }
        }
    }

    async fn pass(&self, everyone: bool, changed: &HashSet<Uuid>) -> Result<()> {
        for org in listening(&self.db).await? {
            if everyone || changed.contains(&org.id()) {
                for cycle_id in active_cycles(&self.db, org).await? {
                    announce(&self.db, org, cycle_id, self.clock.now(), &self.histories).await?;
                }
            }
        }
        Ok(())
    }
}

/// The organizations with an enabled endpoint that hears insights.
async fn listening(db: &DatabaseConnection) -> Result<Vec<Org>> {
    let hears = |t: EventType| webhook::Column::EventTypes.contains(format!(",{},", t.name()));
    let ids: Vec<Uuid> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::OrganizationId)
        .distinct()
        .filter(webhook::Column::Enabled.eq(true))
        .filter(Condition::any().add(hears(EventType::InsightRaised)).add(hears(EventType::InsightCleared)))
        .into_tuple()
        .all(db)
        .await?;
    // Ids read from the endpoints' own rows.
    Ok(ids.into_iter().map(Org::verified).collect())
}

async fn active_cycles(db: &DatabaseConnection, org: Org) -> Result<Vec<Uuid>> {
    let cycles = scoped::<cycle::Entity>(org).filter(cycle::Column::State.eq(CycleState::Active)).all(db).await?;
    Ok(cycles.into_iter().map(|c| c.id).collect())
}

/// Writes to the outbox the insights of `cycle_id` raised (or changed severity) and
/// cleared since endpoints were last told, and remembers what they are told now.
/// Returns how many were announced.
pub async fn announce(
    db: &DatabaseConnection,
    org: Org,
    cycle_id: Uuid,
    now: DateTime<Utc>,
    histories: &Histories,
) -> Result<usize> {
    use webhook_insight::Column as I;
    let txn = db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let turn = "SELECT pg_advisory_xact_lock(hashtext($1))";
        let key = format!("webhook_insights/{cycle_id}");
        txn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, turn, [key.into()])).await?;
    }
    let current = insights::of_cycle(&txn, &Actor::system(org), cycle_id, now, histories).await?;
    let told: HashMap<Uuid, webhook_insight::Model> = webhook_insight::Entity::find()
        .filter(I::OrganizationId.eq(org.id()))
        .filter(I::CycleId.eq(cycle_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| (row.insight_id, row))
        .collect();
    let raised: Vec<&Insight> = current
        .insights
        .iter()
        .map(|i| i.as_ref())
        .filter(|i| told.get(&i.id()).is_none_or(|was| was.severity != severity(i)))
        .collect();
    let holding: HashSet<Uuid> = current.insights.iter().map(|i| i.id()).collect();
    let cleared: Vec<&webhook_insight::Model> =
        told.values().filter(|row| !holding.contains(&row.insight_id)).collect();
    if raised.is_empty() && cleared.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let forgotten: Vec<Uuid> = raised.iter().map(|i| i.id()).chain(cleared.iter().map(|row| row.insight_id)).collect();
    webhook_insight::Entity::delete_many()
        .filter(I::CycleId.eq(cycle_id))
        .filter(I::InsightId.is_in(forgotten))
        .exec(&txn)
        .await?;
    let mut rows = Vec::with_capacity(raised.len());
    let mut announced = Vec::with_capacity(raised.len() + cleared.len());
    for insight in &raised {
        let notice = json(&InsightNotice { cycle_id, insight: (*insight).clone() })?;
        rows.push(webhook_insight::ActiveModel {
            insight_id: Set(insight.id()),
            organization_id: Set(org.id()),
            cycle_id: Set(cycle_id),
            severity: Set(severity(insight)),
            insight: Set(json(insight)?),
            raised_at: Set(now),
        });
        announced.push((about(EventType::InsightRaised, insight), notice));
    }
    for row in &cleared {
        // As it last held, which this server wrote: unreadable only after a downgrade.
        let Ok(insight) = serde_json::from_value::<Insight>(row.insight.clone()) else { continue };
        let notice = json(&InsightNotice { cycle_id, insight: insight.clone() })?;
        announced.push((about(EventType::InsightCleared, &insight), notice));
    }
    for chunk in rows.chunks(500) {
        webhook_insight::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    let count = announced.len();
    enqueue_announced(&txn, org, announced, now).await?;
    txn.commit().await?;
    Ok(count)
}

fn severity(insight: &Insight) -> String {
    format!("{:?}", insight.severity)
}

fn about(event_type: EventType, insight: &Insight) -> Announced {
    Announced { event_type, subject_id: insight.id(), team_id: Some(insight.team_id) }
}
