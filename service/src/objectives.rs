//! Objectives: qualitative goals owned by one team in one cycle.

pub mod alignment;
pub mod focus;
pub mod guards;
pub mod life;
pub mod progress;
pub mod write;

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

/// The live key results of each objective in `ids`, in one statement.
pub async fn live_key_results(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> crate::Result<std::collections::HashMap<Uuid, Vec<entity::key_result::Model>>> {
    use entity::key_result;
    let live = Some(key_result::Column::ArchivedAt.is_null());
    crate::tenant::children::<key_result::Entity>(
        db,
        actor,
        key_result::Column::ObjectiveId,
        ids,
        |k| Some(k.objective_id),
        live,
    )
    .await
}

/// Each objective's expected progress and status at `now`. Status depends on the clock,
/// so it is computed, not stored: two batched reads (cycles, key results) whatever the
/// number of objectives.
pub async fn statuses(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    objectives: &[objective::Model],
    now: chrono::DateTime<chrono::Utc>,
) -> crate::Result<std::collections::HashMap<Uuid, (f64, crate::scoring::Status)>> {
    let cycle_ids: Vec<Uuid> = objectives.iter().map(|o| o.cycle_id).collect();
    let cycles = crate::tenant::by_ids::<entity::cycle::Entity>(db, actor, &cycle_ids).await?;
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let key_results = live_key_results(db, actor, &ids).await?;
    Ok(statuses_from(objectives, &cycles, &key_results, now))
}

/// [`statuses`] from cycles and live key results already at hand.
pub fn statuses_from(
    objectives: &[objective::Model],
    cycles: &std::collections::HashMap<Uuid, entity::cycle::Model>,
    key_results: &std::collections::HashMap<Uuid, Vec<entity::key_result::Model>>,
    now: chrono::DateTime<chrono::Utc>,
) -> std::collections::HashMap<Uuid, (f64, crate::scoring::Status)> {
    use crate::scoring;
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
    status: crate::scoring::Status,
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
