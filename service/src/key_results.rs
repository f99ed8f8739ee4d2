//! Key results: the measurable outcomes of an objective.

pub mod write;

use crate::Result;
use crate::tenant::{self, Owner};
use entity::key_result;
use sea_orm::{ColumnTrait, ConnectionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// The live (not archived) key results of each objective in `objective_ids`, oldest
/// first, in one statement.
pub async fn live(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    objective_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<key_result::Model>>> {
    let live = Some(key_result::Column::ArchivedAt.is_null());
    tenant::children::<key_result::Entity>(
        db,
        owner,
        key_result::Column::ObjectiveId,
        objective_ids,
        |k| Some(k.objective_id),
        live,
    )
    .await
}
