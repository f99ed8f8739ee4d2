//! Cycles: the goal periods.

pub mod frozen;
pub mod write;

use crate::Actor;
use crate::tenant::{Scoped, scoped};
use entity::{CycleState, cycle};
use sea_orm::ColumnTrait;

/// The cycles in `state` (all when none), oldest first.
pub fn query(actor: &Actor, state: Option<CycleState>) -> Scoped<cycle::Entity> {
    let mut select = scoped::<cycle::Entity>(actor);
    if let Some(state) = state {
        select = select.filter(cycle::Column::State.eq(state));
    }
    select
}
