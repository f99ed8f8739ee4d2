//! Shared refusals for writes: closed cycles, closed or archived objectives.

use crate::tenant::{self, Owner};
use crate::{Error, Result};
use entity::{CycleState, ObjectiveState, cycle, objective};
use sea_orm::ConnectionTrait;

/// The cycle, unless it is closed.
pub async fn open_cycle(db: &impl ConnectionTrait, owner: impl Owner, cycle_id: uuid::Uuid) -> Result<cycle::Model> {
    let cycle = tenant::get::<cycle::Entity>(db, owner, cycle_id).await?;
    open(&cycle)?;
    Ok(cycle)
}

/// Refuses a closed cycle as the place of a change.
pub fn open(cycle: &cycle::Model) -> Result<()> {
    if cycle.state == CycleState::Closed {
        return Err(Error::CycleClosed(format!(
            "cycle {:?} is closed: nothing in it changes until an organization admin reopens it",
            cycle.name
        )));
    }
    Ok(())
}

/// Refuses changes to an objective that is closed, archived, or in a closed cycle.
/// Returns its cycle.
pub async fn writable(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    objective: &objective::Model,
) -> Result<cycle::Model> {
    if objective.archived_at.is_some() {
        return Err(Error::Conflict(format!("objective {:?} is archived and takes no changes", objective.title)));
    }
    let cycle = open_cycle(db, owner, objective.cycle_id).await?;
    if objective.state == ObjectiveState::Closed {
        return Err(Error::ObjectiveClosed(format!(
            "objective {:?} is closed with its final score; carry it over to keep working on it",
            objective.title
        )));
    }
    Ok(cycle)
}
