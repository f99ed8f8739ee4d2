//! Objectives: qualitative goals owned by one team in one cycle.

pub mod alignment;
pub mod focus;
pub mod guards;
pub mod life;
pub mod progress;
pub mod write;

use crate::Actor;
use crate::search::contains;
use crate::tenant::{Scoped, scoped};
use entity::{ObjectiveState, objective};
use sea_orm::{ColumnTrait, Condition};
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
pub fn query(actor: &Actor, filter: &ObjectiveFilter) -> Scoped<objective::Entity> {
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

/// Each objective's expected progress and status at `now`. Status depends on the clock,
/// so it is computed, not stored: two batched reads (cycles, key results) whatever the
/// number of objectives.
pub async fn statuses(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    objectives: &[objective::Model],
    now: chrono::DateTime<chrono::Utc>,
) -> crate::Result<std::collections::HashMap<Uuid, (f64, crate::rules::scoring::Status)>> {
    let cycle_ids: Vec<Uuid> = objectives.iter().map(|o| o.cycle_id).collect();
    let cycles = crate::tenant::by_ids::<entity::cycle::Entity>(db, actor, &cycle_ids).await?;
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let key_results = crate::key_results::live(db, actor, &ids).await?;
    Ok(statuses_from(objectives, &cycles, &key_results, now))
}

/// [`statuses`] from cycles and live key results already at hand.
pub fn statuses_from(
    objectives: &[objective::Model],
    cycles: &std::collections::HashMap<Uuid, entity::cycle::Model>,
    key_results: &std::collections::HashMap<Uuid, Vec<entity::key_result::Model>>,
    now: chrono::DateTime<chrono::Utc>,
) -> std::collections::HashMap<Uuid, (f64, crate::rules::scoring::Status)> {
    use crate::rules::scoring;
    objectives
        .iter()
        .map(|o| {
            let expected = cycles
                .get(&o.cycle_id)
                .map_or(0.0, |c| scoring::expected_progress(scoring::elapsed_fraction(c.starts_on, c.ends_on, now)));
            let krs = key_results.get(&o.id).into_iter().flatten().map(|k| (k.progress, k.latest_confidence));
            (o.id, (expected, scoring::objective_status(o.progress, expected, krs)))
        })
        .collect()
}

/// The objectives matching `filter` whose status is `status` at `now`, oldest first.
pub async fn with_status(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    filter: &ObjectiveFilter,
    status: crate::rules::scoring::Status,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::Result<Vec<objective::Model>> {
    let objectives = query(actor, filter).all(db).await?;
    let statuses = statuses(db, actor, &objectives, now).await?;
    Ok(objectives.into_iter().filter(|o| statuses.get(&o.id).is_some_and(|(_, s)| *s == status)).collect())
}

/// A live objective row with only its id and parent set, for unit tests of tree logic.
#[cfg(test)]
pub(crate) fn test_row(id: Uuid, parent: Option<Uuid>) -> objective::Model {
    let now = chrono::Utc::now();
    objective::Model {
        id,
        organization_id: Uuid::nil(),
        team_id: Uuid::nil(),
        cycle_id: Uuid::nil(),
        title: String::new(),
        description: None,
        state: ObjectiveState::Active,
        parent_objective_id: parent,
        parent_key_result_id: None,
        alignment_kind: None,
        progress_driver: entity::ProgressDriver::KeyResults,
        progress: 0.0,
        closing_note: None,
        final_score: None,
        carried_over_from_id: None,
        archived_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// One end of a link that may point at an objective or at one of its key results: an
/// alignment's parent, a dependency's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectiveOrKeyResult {
    Objective(Uuid),
    KeyResult(Uuid),
}
