//! The sender's side of the outbox: taking due deliveries and booking what came of them.
//!
//! The worker serves every organization, so these calls are the one place that reads
//! deliveries across organizations; each row still carries its own, and every row they
//! write is the delivery's or its endpoint's.

use crate::db;
use crate::{Result, new_id};
use chrono::{DateTime, SubsecRound, Utc};
use entity::{DeliveryState, webhook, webhook_attempt, webhook_delivery};
use rand::Rng;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, LockBehavior, LockType, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// How deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retries {
    /// The wait after the first failure; it doubles after each next one...
    pub base: Duration,
    /// ...up to this.
    pub cap: Duration,
    /// A delivery is tried this long, and an endpoint whose every attempt failed this
    /// long is disabled.
    pub window: Duration,
    /// How long a sender holds a delivery it took: after a crash, another sender takes
    /// it when this runs out (at least once, with the same `webhook-id`).
    pub lease: Duration,
}

impl Default for Retries {
    fn default() -> Self {
        Retries {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(3600),
            window: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(60),
        }
    }
}

impl Retries {
    /// The wait before the next attempt after `failures` failures: exponential, capped,
    /// with jitter (between half and all of it) so that endpoints coming back are not
    /// hit by every delivery at once.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doubled = self.base.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(30)));
        let full = doubled.min(self.cap);
        full.mul_f64(rand::rng().random_range(0.5..=1.0))
    }
}

/// A delivery a sender took, with where to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: webhook_delivery::Model,
    pub url: String,
    pub secret: String,
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The endpoint's answer, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed, when it did.
    pub error: Option<String>,
    pub duration: Duration,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

fn chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

/// Takes up to `limit` due deliveries of enabled endpoints for `retries.lease`: the
/// oldest first, and of each subject only the oldest still pending, so that each
/// subject's deliveries arrive in commit order. On PostgreSQL, rows another sender is
/// taking are skipped (`FOR UPDATE SKIP LOCKED`); on SQLite the write transaction is
/// the lock.
pub async fn claim(db: &DatabaseConnection, retries: &Retries, now: DateTime<Utc>, limit: u64) -> Result<Vec<Claimed>> {
    use sea_orm::sea_query::ExprTrait;
    use webhook_delivery::Column as D;
    let txn = db::begin_write(db).await?;
    let earlier = Alias::new("earlier");
    let blocked = Query::select()
        .expr(Expr::val(1))
        .from_as(webhook_delivery::Entity, earlier.clone())
        .and_where(Expr::col((earlier.clone(), D::WebhookId)).equals((webhook_delivery::Entity, D::WebhookId)))
        .and_where(Expr::col((earlier.clone(), D::SubjectId)).equals((webhook_delivery::Entity, D::SubjectId)))
        .and_where(Expr::col((earlier.clone(), D::State)).eq(DeliveryState::Pending))
        .and_where(Expr::col((earlier, D::Seq)).lt(Expr::col((webhook_delivery::Entity, D::Seq))))
        .to_owned();
    let enabled = Query::select()
        .column(webhook::Column::Id)
        .from(webhook::Entity)
        .and_where(webhook::Column::Enabled.eq(true))
        .to_owned();
    let due = webhook_delivery::Entity::find()
        .filter(D::State.eq(DeliveryState::Pending))
        .filter(D::NextAttemptAt.lte(now))
        .filter(Condition::any().add(D::LeasedUntil.is_null()).add(D::LeasedUntil.lte(now)))
        .filter(D::WebhookId.in_subquery(enabled))
        .filter(Expr::exists(blocked).not())
        .order_by_asc(D::Seq)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if due.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    // Whole milliseconds: the bookkeeping finds the lease again by equality, and the
    // databases keep fewer digits than chrono.
    let lease = (now + chrono(retries.lease)).trunc_subsecs(3);
    let seqs: Vec<i64> = due.iter().map(|d| d.seq).collect();
    webhook_delivery::Entity::update_many()
        .col_expr(D::LeasedUntil, Expr::value(lease))
        .col_expr(D::Attempts, Expr::col(D::Attempts).add(1))
        .filter(D::Seq.is_in(seqs))
        .exec(&txn)
        .await?;
    let endpoint_ids: Vec<Uuid> = due.iter().map(|d| d.webhook_id).collect();
    let endpoints: HashMap<Uuid, webhook::Model> = webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(endpoint_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    txn.commit().await?;
    Ok(due
        .into_iter()
        .filter_map(|mut delivery| {
            let endpoint = endpoints.get(&delivery.webhook_id)?;
            delivery.attempts += 1;
            delivery.leased_until = Some(lease);
            Some(Claimed { url: endpoint.url.clone(), secret: endpoint.secret.clone(), delivery })
        })
        .collect())
}

/// Books an attempt at `claimed`: the attempt row always; the delivery's new state only
/// while the sender still holds it (a sender that outlived its lease lost it to another).
/// A success clears the endpoint's failing streak; a failure schedules the next attempt,
/// gives the delivery up after the retry window, and disables an endpoint whose every
/// attempt failed for a whole window. Returns whether the endpoint was disabled.
pub async fn record(
    db: &DatabaseConnection,
    retries: &Retries,
    claimed: &Claimed,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<bool> {
    use webhook_delivery::Column as D;
    let delivery = &claimed.delivery;
    let duration_ms = i32::try_from(outcome.duration.as_millis()).unwrap_or(i32::MAX);
    let txn = db::begin_write(db).await?;
    let attempt = webhook_attempt::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(delivery.organization_id),
        delivery_id: Set(delivery.id),
        attempted_at: Set(now),
        status: Set(outcome.status.map(i32::from)),
        error: Set(outcome.error.clone()),
        duration_ms: Set(duration_ms),
    };
    webhook_attempt::Entity::insert(attempt).exec_without_returning(&txn).await?;
    let succeeded = outcome.succeeded();
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(D::LeasedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(D::LastAttemptAt, Expr::value(now))
        .col_expr(D::LastStatus, Expr::value(outcome.status.map(i32::from)))
        .col_expr(D::LastError, Expr::value(outcome.error.clone()))
        .col_expr(D::LastDurationMs, Expr::value(duration_ms));
    update = if succeeded {
        update.col_expr(D::State, Expr::value(DeliveryState::Delivered)).col_expr(D::DeliveredAt, Expr::value(now))
    } else if now >= delivery.window_starts_at + chrono(retries.window) {
        update.col_expr(D::State, Expr::value(DeliveryState::Failed))
    } else {
        update.col_expr(
            D::NextAttemptAt,
            Expr::value(now + chrono(retries.backoff(u32::try_from(delivery.attempts).unwrap_or(1)))),
        )
    };
    let held = update
        .filter(D::Id.eq(delivery.id))
        .filter(D::State.eq(DeliveryState::Pending))
        .filter(match delivery.leased_until {
            Some(lease) => D::LeasedUntil.eq(lease),
            None => D::LeasedUntil.is_null(),
        })
        .exec(&txn)
        .await?
        .rows_affected
        > 0;
    let disabled =
        if held { streak(&txn, retries, delivery.webhook_id, succeeded, outcome, now).await? } else { false };
    txn.commit().await?;
    Ok(disabled)
}

/// Keeps the endpoint's failing streak; disables it once the streak is a window long.
async fn streak(
    txn: &impl sea_orm::ConnectionTrait,
    retries: &Retries,
    webhook_id: Uuid,
    succeeded: bool,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<bool> {
    use webhook::Column as W;
    if succeeded {
        webhook::Entity::update_many()
            .col_expr(W::FailingSince, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(W::Id.eq(webhook_id))
            .filter(W::FailingSince.is_not_null())
            .exec(txn)
            .await?;
        return Ok(false);
    }
    webhook::Entity::update_many()
        .col_expr(W::FailingSince, Expr::value(now))
        .filter(W::Id.eq(webhook_id))
        .filter(W::FailingSince.is_null())
        .exec(txn)
        .await?;
    let since = now - chrono(retries.window);
    let why = outcome.error.clone().unwrap_or_else(|| "no answer".to_owned());
    let reason = format!("every delivery failed for {}: the last one with {why}", humanize(retries.window));
    let disabled = webhook::Entity::update_many()
        .col_expr(W::Enabled, Expr::value(false))
        .col_expr(W::DisabledAt, Expr::value(now))
        .col_expr(W::DisabledReason, Expr::value(reason))
        .col_expr(W::UpdatedAt, Expr::value(now))
        .filter(W::Id.eq(webhook_id))
        .filter(W::Enabled.eq(true))
        .filter(W::FailingSince.lte(since))
        .exec(txn)
        .await?
        .rows_affected
        > 0;
    Ok(disabled)
}

/// `24h`, `90s`: a window as people write it.
fn humanize(window: Duration) -> String {
    let secs = window.as_secs();
    match secs {
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_the_cap_with_jitter_below_it() {
        let retries = Retries { base: Duration::from_secs(5), cap: Duration::from_secs(60), ..Retries::default() };
        for (failures, full) in [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (40, 60)] {
            for _ in 0..50 {
                let wait = retries.backoff(failures);
                let full = Duration::from_secs(full);
                assert!(
                    wait <= full && wait >= full / 2,
                    "{failures} failures: {wait:?} not in [{:?}, {full:?}]",
                    full / 2
                );
            }
        }
    }

    #[test]
    fn a_day_of_retries_is_a_few_dozen_attempts() {
        let retries = Retries::default();
        let (mut elapsed, mut attempts) = (Duration::ZERO, 0);
        while elapsed < retries.window {
            attempts += 1;
            elapsed += retries.cap.min(retries.base * 2u32.pow(attempts.min(30) - 1));
        }
        assert!((25..40).contains(&attempts), "{attempts} attempts in a day");
    }
}
