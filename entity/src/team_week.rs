//! A team's weekly check-in note: one per team and ISO week, written by its members.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "team_weeks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub team_id: Uuid,
    /// The Monday the ISO week starts on.
    pub week_starts_on: Date,
    /// The note's items, in order: `[{section, text, keyResultId?, initiativeId?}]`.
    pub items: Json,
    /// Who wrote it last.
    pub author_id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
