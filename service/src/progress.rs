//! Stored progress: recomputed on write, in the writer's transaction, for an objective
//! and every ancestor it rolls up into, so that reads never walk trees.

use crate::{Result, scoring};
use chrono::{DateTime, Utc};
use entity::{AlignmentKind, ProgressDriver, key_result, objective};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::HashSet;
use uuid::Uuid;

/// Recomputes the progress of `objective_id` and then of each parent up the alignment
/// chain. Returns the whole chain as stored now, nearest first.
pub async fn refresh_chain(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    objective_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<objective::Model>> {
    let mut changed = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(objective_id);
    while let Some(id) = next.filter(|id| seen.insert(*id)) {
        // Locked child first, then each ancestor: concurrent writers meeting at a common
        // ancestor queue there, and each recomputes from its siblings' committed progress.
        let Some(current) = objective::Entity::find_by_id(id)
            .filter(objective::Column::OrganizationId.eq(organization_id))
            .lock_exclusive()
            .one(db)
            .await?
        else {
            break;
        };
        next = current.parent_objective_id;
        let progress = compute(db, &current).await?;
        if (progress - current.progress).abs() > f64::EPSILON {
            let mut row: objective::ActiveModel = current.into();
            row.progress = Set(progress);
            row.updated_at = Set(now);
            changed.push(row.update(db).await?);
        } else {
            changed.push(current);
        }
    }
    Ok(changed)
}

/// The progress of one objective from its driver, its live key results and the live
/// objectives that CONTRIBUTE to it.
async fn compute(db: &impl ConnectionTrait, objective: &objective::Model) -> Result<f64> {
    let key_results = || async {
        let rows = key_result::Entity::find()
            .filter(key_result::Column::ObjectiveId.eq(objective.id))
            .filter(key_result::Column::ArchivedAt.is_null())
            .all(db)
            .await?;
        Ok::<_, crate::Error>(rows.into_iter().map(|kr| (kr.progress, kr.weight)).collect::<Vec<_>>())
    };
    let contributors = || async {
        let rows = objective::Entity::find()
            .filter(objective::Column::OrganizationId.eq(objective.organization_id))
            .filter(objective::Column::ParentObjectiveId.eq(objective.id))
            .filter(objective::Column::AlignmentKind.eq(AlignmentKind::Contributes))
            .filter(objective::Column::ArchivedAt.is_null())
            .all(db)
            .await?;
        Ok::<_, crate::Error>(rows.into_iter().map(|child| (child.progress, 1.0)).collect::<Vec<_>>())
    };
    let items = match objective.progress_driver {
        ProgressDriver::KeyResults => key_results().await?,
        ProgressDriver::AlignedObjectives => contributors().await?,
        ProgressDriver::Both => {
            let mut all = key_results().await?;
            all.extend(contributors().await?);
            all
        }
    };
    Ok(scoring::weighted_average(items))
}
