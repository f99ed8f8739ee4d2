//! An organization: a tenant. Nothing crosses its border. Its focus policy lives here.

use crate::FocusPolicyMode;
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub timezone: String,
    pub max_objectives_per_team: i32,
    pub max_key_results_per_objective: i32,
    pub focus_policy_mode: FocusPolicyMode,
    /// The insight thresholds as JSON (`service::insights::InsightPolicy`); null for the defaults.
    pub insight_policy: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
