//! A measurable result under one objective. `current_value`, `progress` and the check-in
//! summary are maintained on write from the append-only check-ins.

use crate::{Confidence, KeyResultKind, KeyResultUnit};
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "key_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub objective_id: Uuid,
    pub title: String,
    pub kind: KeyResultKind,
    pub unit: KeyResultUnit,
    /// ISO 4217 code for CURRENCY, the label for CUSTOM.
    pub unit_label: Option<String>,
    pub start_value: f64,
    pub target_value: f64,
    pub current_value: f64,
    pub weight: f64,
    /// A member of the owning team who drives this key result.
    pub driver_id: Option<Uuid>,
    pub progress: f64,
    pub latest_confidence: Option<Confidence>,
    pub check_in_count: i32,
    pub last_check_in_at: Option<DateTimeUtc>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
