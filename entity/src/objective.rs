//! A qualitative goal owned by exactly one team, in one cycle, optionally aligned to a
//! parent objective or a parent key result.

use crate::{AlignmentKind, ObjectiveState, ProgressDriver};
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "objectives")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub team_id: Uuid,
    pub cycle_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub state: ObjectiveState,
    /// Set when aligned to an objective, or to the objective that owns `parent_key_result_id`.
    pub parent_objective_id: Option<Uuid>,
    /// Set when aligned to a key result.
    pub parent_key_result_id: Option<Uuid>,
    pub alignment_kind: Option<AlignmentKind>,
    pub progress_driver: ProgressDriver,
    /// Stored progress 0–1, kept current on every write that changes it.
    pub progress: f64,
    pub closing_note: Option<String>,
    /// Progress frozen when the objective or its cycle closed.
    pub final_score: Option<f64>,
    pub carried_over_from_id: Option<Uuid>,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
