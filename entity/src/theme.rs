//! A strategic theme of the organization (a pillar, or a Balanced Scorecard perspective)
//! for a year or longer: what the company objectives serve.

use crate::{Perspective, ThemeState};
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "themes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub perspective: Option<Perspective>,
    /// `#rrggbb`.
    pub colour: String,
    /// Where it shows among the themes, lowest first.
    pub position: i32,
    pub state: ThemeState,
    pub starts_on: Date,
    /// None: until further notice.
    pub ends_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
