//! One event on its way to one webhook: written with the change, sent by the worker.

use crate::DeliveryState;
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// Commit order: a later change of the same subject has a higher number.
    #[sea_orm(primary_key)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub webhook_id: Uuid,
    /// The `webhook-id` header: the same for every endpoint and every attempt.
    pub event_id: Uuid,
    /// `check_in.recorded`, `objective.changed`, `cycle.activated`, ...
    pub event_type: String,
    /// What the event is about; deliveries of one subject go in order.
    pub subject_id: Uuid,
    /// The change event as the service announced it.
    pub event: Json,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub leased_until: Option<DateTimeUtc>,
    /// Its retry window runs from then: its creation, or its last redelivery.
    pub window_starts_at: DateTimeUtc,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
