//! Outbound webhooks: endpoints an organization's admins register to hear its changes.
//!
//! A write that announces a change an endpoint listens to also writes one delivery row
//! per endpoint, in its own transaction (`outbox`): the change and the promise to send
//! it commit together or not at all. A worker ([`queue`]) takes due deliveries under a
//! lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so each replica takes different ones),
//! keeps each subject's deliveries in commit order, and books every attempt. Sending
//! itself (HTTP, signatures) is the API's.

pub mod destination;
pub mod insights;
pub(crate) mod outbox;
pub mod queue;
pub mod write;

use crate::events::{ChangeKind, Event};
use crate::permissions;
use crate::tenant::{self, Scoped, scoped};
use crate::{Actor, Result};
use entity::{DeliveryState, webhook, webhook_attempt, webhook_delivery};
use sea_orm::{ColumnTrait, ConnectionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// What an endpoint can listen to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    CheckInRecorded,
    ObjectiveChanged,
    CycleActivated,
    CycleClosed,
    InsightRaised,
    InsightCleared,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::CheckInRecorded,
        EventType::ObjectiveChanged,
        EventType::CycleActivated,
        EventType::CycleClosed,
        EventType::InsightRaised,
        EventType::InsightCleared,
    ];

    /// The name in the `type` of a delivery's body and in the endpoint's row.
    pub fn name(self) -> &'static str {
        match self {
            EventType::CheckInRecorded => "check_in.recorded",
            EventType::ObjectiveChanged => "objective.changed",
            EventType::CycleActivated => "cycle.activated",
            EventType::CycleClosed => "cycle.closed",
            EventType::InsightRaised => "insight.raised",
            EventType::InsightCleared => "insight.cleared",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// What a change event means to webhooks: its type, its subject (deliveries of one subject
/// go in order) and its team (for endpoints that hear one team; `None` concerns all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Announced {
    pub event_type: EventType,
    pub subject_id: Uuid,
    pub team_id: Option<Uuid>,
}

impl Announced {
    /// `None` for events no endpoint can listen to.
    pub fn of(event: &Event) -> Option<Announced> {
        let (event_type, subject_id, team_id) = match event {
            Event::CheckInRecorded { key_result_id, team_id, .. } => {
                (EventType::CheckInRecorded, *key_result_id, Some(*team_id))
            }
            Event::ObjectiveChanged { objective_id, team_id, .. } => {
                (EventType::ObjectiveChanged, *objective_id, Some(*team_id))
            }
            Event::Changed { kind: ChangeKind::Cycle, id, change, .. } => match change.as_str() {
                "activated" => (EventType::CycleActivated, *id, None),
                "closed" => (EventType::CycleClosed, *id, None),
                _ => return None,
            },
            _ => return None,
        };
        Some(Announced { event_type, subject_id, team_id })
    }
}

/// The endpoint row's form of a set of event types: each between commas.
pub(crate) fn stored_types(types: &[EventType]) -> String {
    let mut names: Vec<&str> = types.iter().map(|t| t.name()).collect();
    names.sort_unstable();
    names.dedup();
    format!(",{},", names.join(","))
}

/// The event types an endpoint row listens to.
pub fn event_types(row: &webhook::Model) -> Vec<EventType> {
    row.event_types.split(',').filter_map(EventType::parse).collect()
}

/// The organization's endpoints, oldest first (admins).
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<webhook::Model>> {
    permissions::require_admin(actor, "see webhooks")?;
    scoped::<webhook::Entity>(actor).all(db).await
}

/// One endpoint (admins).
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<webhook::Model> {
    permissions::require_admin(actor, "see webhooks")?;
    tenant::get::<webhook::Entity>(db, actor, id).await
}

/// The endpoints among `ids` that are the caller's organization's, by id (admins).
pub async fn by_ids(db: &impl ConnectionTrait, actor: &Actor, ids: &[Uuid]) -> Result<HashMap<Uuid, webhook::Model>> {
    permissions::require_admin(actor, "see webhooks")?;
    tenant::by_ids::<webhook::Entity>(db, actor, ids).await
}

/// One delivery (admins).
pub async fn delivery(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<webhook_delivery::Model> {
    permissions::require_admin(actor, "see webhook deliveries")?;
    tenant::get::<webhook_delivery::Entity>(db, actor, id).await
}

/// An endpoint's deliveries, oldest first (`last` pages from the newest), in `state`
/// when given (admins): a query to page through.
pub fn deliveries(
    actor: &Actor,
    webhook_id: Uuid,
    state: Option<DeliveryState>,
) -> Result<Scoped<webhook_delivery::Entity>> {
    permissions::require_admin(actor, "see webhook deliveries")?;
    let query = scoped::<webhook_delivery::Entity>(actor).filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
    Ok(match state {
        Some(state) => query.filter(webhook_delivery::Column::State.eq(state)),
        None => query,
    })
}

/// The attempts of each of `delivery_ids`, latest first: one statement for them all.
pub async fn attempts_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    delivery_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<webhook_attempt::Model>>> {
    permissions::require_admin(actor, "see webhook deliveries")?;
    let backend = db.get_database_backend();
    let rows = scoped::<webhook_attempt::Entity>(actor)
        .filter(tenant::one_of(backend, webhook_attempt::Column::DeliveryId, delivery_ids))
        .all(db)
        .await?;
    let mut by_delivery: HashMap<Uuid, Vec<webhook_attempt::Model>> = HashMap::new();
    // Time-ordered ids, oldest first: the latest goes in front.
    for row in rows.into_iter().rev() {
        by_delivery.entry(row.delivery_id).or_default().push(row);
    }
    Ok(by_delivery)
}
