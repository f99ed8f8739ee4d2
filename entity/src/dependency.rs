//! "Our objective needs theirs": one team's objective (optionally one of its key results)
//! depends on another team's objective (optionally one of its key results).

use crate::DependencyState;
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "dependencies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub from_objective_id: Uuid,
    pub from_key_result_id: Option<Uuid>,
    pub to_objective_id: Uuid,
    pub to_key_result_id: Option<Uuid>,
    pub note: Option<String>,
    pub state: DependencyState,
    pub created_by_id: Option<Uuid>,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
