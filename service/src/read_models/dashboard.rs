//! Team dashboards: a team's objectives of one cycle with their key results and the
//! dependencies in both directions, in a fixed number of statements.

use crate::read_models::tree::{edges, live};
use crate::tenant;
use crate::{Actor, Result};
use entity::{cycle, dependency, key_result, objective};
use sea_orm::{ColumnTrait, ConnectionTrait};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What a team page shows for one cycle.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub team: entity::team::Model,
    pub cycle: cycle::Model,
    pub objectives: Vec<objective::Model>,
    pub key_results: HashMap<Uuid, Vec<key_result::Model>>,
    /// What the team's objectives need from others.
    pub depends_on: Vec<dependency::Model>,
    /// What others need from the team's objectives.
    pub depended_on_by: Vec<dependency::Model>,
}

/// A team's live objectives in a cycle, with their key results and dependencies.
pub async fn dashboard(db: &impl ConnectionTrait, actor: &Actor, team_id: Uuid, cycle_id: Uuid) -> Result<Dashboard> {
    let team = tenant::get::<entity::team::Entity>(db, actor, team_id).await?;
    let cycle = tenant::get::<cycle::Entity>(db, actor, cycle_id).await?;
    let objectives = live(actor)
        .filter(objective::Column::TeamId.eq(team_id))
        .filter(objective::Column::CycleId.eq(cycle_id))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let key_results = crate::key_results::live(db, actor, &ids).await?;
    let own: HashSet<Uuid> = ids.iter().copied().collect();
    let (depends_on, depended_on_by) =
        edges(db, actor, &ids).await?.into_iter().partition(|d| own.contains(&d.from_objective_id));
    Ok(Dashboard { team, cycle, objectives, key_results, depends_on, depended_on_by })
}
