//! An activity that should move a key result; individuals are assigned here.

use crate::{InitiativeState, Level};
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "initiatives")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub key_result_id: Uuid,
    pub title: String,
    pub assignee_id: Option<Uuid>,
    pub state: InitiativeState,
    /// Expected impact on the key result.
    pub impact: Option<Level>,
    /// Effort it takes.
    pub effort: Option<Level>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
