//! An endpoint of an organization's that hears its changes, signed with its secret.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    /// `whsec_` and the base64 of the signing key. Never in the audit trail.
    #[serde(skip_serializing)]
    pub secret: String,
    /// The event types it hears, each between commas: `,check_in.recorded,`.
    pub event_types: String,
    /// Only this team's changes, when set.
    pub team_id: Option<Uuid>,
    pub enabled: bool,
    /// Since when every attempt has failed; none while it answers.
    pub failing_since: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
