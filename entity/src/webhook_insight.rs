//! An insight that holds as webhooks were last told: raised and not yet cleared.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "webhook_insights")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cycle_id: Uuid,
    /// The insight's stable id: its kind and its subject.
    #[sea_orm(primary_key, auto_increment = false)]
    pub insight_id: Uuid,
    pub organization_id: Uuid,
    /// As announced: a change of severity is announced again.
    pub severity: String,
    /// The insight as it last held.
    pub insight: Json,
    pub raised_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
