//! Objectives: qualitative goals owned by one team in one cycle.

use crate::Actor;
use crate::search::contains;
use crate::tenant::scoped;
use entity::{ObjectiveState, objective};
use sea_orm::{ColumnTrait, Condition, QueryFilter, Select};
use uuid::Uuid;

/// Which objectives a list shows; filters combine.
#[derive(Debug, Clone, Default)]
pub struct ObjectiveFilter {
    pub cycle_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub state: Option<ObjectiveState>,
    /// Aligned to this objective, or to this key result.
    pub aligned_to_id: Option<Uuid>,
    /// Title contains this text, ignoring case.
    pub search: Option<String>,
    /// Also archived objectives.
    pub include_archived: bool,
}

/// The objectives matching `filter`, oldest first.
pub fn query(actor: &Actor, filter: &ObjectiveFilter) -> Select<objective::Entity> {
    let mut select = scoped::<objective::Entity>(actor);
    if let Some(cycle_id) = filter.cycle_id {
        select = select.filter(objective::Column::CycleId.eq(cycle_id));
    }
    if let Some(team_id) = filter.team_id {
        select = select.filter(objective::Column::TeamId.eq(team_id));
    }
    if let Some(state) = filter.state {
        select = select.filter(objective::Column::State.eq(state));
    }
    if let Some(parent) = filter.aligned_to_id {
        select = select.filter(
            Condition::any()
                .add(objective::Column::ParentObjectiveId.eq(parent))
                .add(objective::Column::ParentKeyResultId.eq(parent)),
        );
    }
    if let Some(text) = &filter.search {
        select = select.filter(contains(objective::Column::Title, text));
    }
    if !filter.include_archived {
        select = select.filter(objective::Column::ArchivedAt.is_null());
    }
    select
}
