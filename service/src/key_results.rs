//! Key results: the measurable outcomes of an objective.

pub mod write;

use crate::Result;
use crate::tenant::{self, Owner};
use entity::{key_result, objective};
use sea_orm::sea_query::{Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// Which key results [`ids_of`] picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archived {
    /// Leaves out archived objectives and key results.
    Left,
    /// Keeps them: their history still counts.
    Kept,
}

/// The ids of the key results of the objectives `objectives` picks, both of `owner`'s
/// organization, as a subquery: one parameter instead of thousands of ids.
pub fn ids_of(owner: impl Owner, objectives: SimpleExpr, archived: Archived) -> SelectStatement {
    let organization = owner.org().id();
    let mut picked = Query::select()
        .column(objective::Column::Id)
        .from(objective::Entity)
        .and_where(objective::Column::OrganizationId.eq(organization))
        .and_where(objectives)
        .to_owned();
    let mut ids = Query::select()
        .column(key_result::Column::Id)
        .from(key_result::Entity)
        .and_where(key_result::Column::OrganizationId.eq(organization))
        .to_owned();
    if archived == Archived::Left {
        picked.and_where(objective::Column::ArchivedAt.is_null());
        ids.and_where(key_result::Column::ArchivedAt.is_null());
    }
    ids.and_where(key_result::Column::ObjectiveId.in_subquery(picked)).to_owned()
}

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
