//! An append-only reading of a key result. There is no update path: a correction is a
//! new check-in.

use crate::Confidence;
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "check_ins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub key_result_id: Uuid,
    pub value: f64,
    pub confidence: Confidence,
    pub note: Option<String>,
    pub author_id: Uuid,
    /// A client-chosen key that makes a retried check-in record once.
    pub idempotency_key: Option<String>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
