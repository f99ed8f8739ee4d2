//! The durable half of a write's announcements: one delivery row per event and endpoint
//! that listens to it, written in the write's own transaction.

use super::{Announced, event_types};
use crate::events::Event;
use crate::tenant::{Org, scoped};
use crate::{Result, new_id};
use chrono::{DateTime, Utc};
use entity::{DeliveryState, webhook, webhook_delivery};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait};

/// Rows per INSERT: 17 columns stay well under SQLite's 32,766 parameters.
const CHUNK: usize = 1000;

/// Writes the deliveries of `events` to `org`'s enabled endpoints that listen to them:
/// no statement when the write announced nothing an endpoint can hear, one when the
/// organization has no endpoint, and then one per thousand deliveries.
pub(crate) async fn enqueue(txn: &impl ConnectionTrait, org: Org, events: &[Event], now: DateTime<Utc>) -> Result<()> {
    let mut announced = Vec::new();
    for event in events {
        if let Some(what) = Announced::of(event) {
            announced.push((what, json(event)?));
        }
    }
    enqueue_announced(txn, org, announced, now).await
}

/// The stored form of what a delivery announces.
pub(crate) fn json(value: &impl serde::Serialize) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(value).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?)
}

/// Writes the deliveries of `announced` (each with its stored form), in order, to the
/// endpoints that listen to them.
pub(crate) async fn enqueue_announced(
    txn: &impl ConnectionTrait,
    org: Org,
    announced: Vec<(Announced, serde_json::Value)>,
    now: DateTime<Utc>,
) -> Result<()> {
    if announced.is_empty() {
        return Ok(());
    }
    let endpoints = scoped::<webhook::Entity>(org).filter(webhook::Column::Enabled.eq(true)).all(txn).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    for (what, body) in announced {
        let event_id = new_id();
        for endpoint in endpoints.iter().filter(|e| listens(e, &what)) {
            rows.push(row(org, endpoint, event_id, &what, body.clone(), now));
        }
    }
    for chunk in rows.chunks(CHUNK) {
        webhook_delivery::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Whether `endpoint` hears the event: its type, and its team unless it concerns all.
fn listens(endpoint: &webhook::Model, what: &Announced) -> bool {
    event_types(endpoint).contains(&what.event_type)
        && match (endpoint.team_id, what.team_id) {
            (Some(wanted), Some(team)) => wanted == team,
            _ => true,
        }
}

fn row(
    org: Org,
    endpoint: &webhook::Model,
    event_id: uuid::Uuid,
    what: &Announced,
    event: serde_json::Value,
    now: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        seq: NotSet,
        id: Set(new_id()),
        organization_id: Set(org.id()),
        webhook_id: Set(endpoint.id),
        event_id: Set(event_id),
        event_type: Set(what.event_type.name().to_owned()),
        subject_id: Set(what.subject_id),
        event: Set(event),
        state: Set(DeliveryState::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        leased_until: Set(None),
        window_starts_at: Set(now),
        last_attempt_at: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        last_duration_ms: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
    }
}
