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

/// The objectives matching `filter` whose status is `status` at `now`, oldest first.
/// Status depends on the clock, so it is computed here rather than stored: two batched
/// reads (cycles, key results) whatever the number of objectives.
pub async fn with_status(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    filter: &ObjectiveFilter,
    status: crate::scoring::Status,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::Result<Vec<objective::Model>> {
    use crate::{scoring, tenant};
    use entity::{cycle, key_result};
    let objectives = query(actor, filter).all(db).await?;
    let cycle_ids: Vec<Uuid> = objectives.iter().map(|o| o.cycle_id).collect();
    let cycles = tenant::by_ids::<cycle::Entity>(db, actor, &cycle_ids).await?;
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let live = key_result::Column::ArchivedAt.is_null();
    let key_results = tenant::children::<key_result::Entity>(
        db,
        actor,
        key_result::Column::ObjectiveId,
        &ids,
        |k| Some(k.objective_id),
        Some(live),
    )
    .await?;
    Ok(objectives
        .into_iter()
        .filter(|o| {
            let expected = cycles
                .get(&o.cycle_id)
                .map_or(0.0, |c| scoring::expected_progress(scoring::elapsed_fraction(c.starts_on, c.ends_on, now)));
            let krs = key_results.get(&o.id).into_iter().flatten().map(|k| (k.progress, k.latest_confidence));
            scoring::objective_status(o.progress, expected, krs) == status
        })
        .collect())
}
