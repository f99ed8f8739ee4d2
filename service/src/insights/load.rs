//! A cycle's rows for [`super::evaluate()`], read in a fixed number of statements whatever
//! the organization's size (nine at most), each scoped to the caller's organization.

use super::evaluate::{CheckInRow, Snapshot};
use super::policy::InsightPolicy;
use crate::tenant::{self, one_of, scoped};
use crate::{Actor, Result};
use chrono::{DateTime, Utc};
use entity::{check_in, cycle, dependency, initiative, key_result, objective, team};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QuerySelect};
use std::collections::HashSet;
use uuid::Uuid;

/// Everything insights need about cycle `cycle_id` at `now`.
pub async fn snapshot(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cycle_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Snapshot> {
    let backend = db.get_database_backend();
    let cycle = tenant::get::<cycle::Entity>(db, actor, cycle_id).await?;
    let organization = tenant::organization(db, actor).await?;
    let teams = scoped::<team::Entity>(actor).all(db).await?;
    let objectives = crate::objectives::query(
        actor,
        &crate::objectives::ObjectiveFilter { cycle_id: Some(cycle_id), ..Default::default() },
    )
    .all(db)
    .await?;
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let dependencies = scoped::<dependency::Entity>(actor)
        .filter(Condition::any().add(one_of(backend, dependency::Column::FromObjectiveId, &ids)).add(one_of(
            backend,
            dependency::Column::ToObjectiveId,
            &ids,
        )))
        .all(db)
        .await?;
    let known: HashSet<Uuid> = ids.iter().copied().collect();
    let other_ids: Vec<Uuid> = dependencies
        .iter()
        .flat_map(|d| [d.from_objective_id, d.to_objective_id])
        .filter(|id| !known.contains(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let elsewhere = match other_ids.is_empty() {
        true => Vec::new(),
        false => tenant::by_ids::<objective::Entity>(db, actor, &other_ids).await?.into_values().collect(),
    };
    let all_ids: Vec<Uuid> = ids.iter().chain(&other_ids).copied().collect();
    let key_results: Vec<_> = crate::key_results::live(db, actor, &all_ids).await?.into_values().flatten().collect();
    // The cycle's live key results as a subquery: one parameter instead of thousands.
    let live_key_results = Query::select()
        .column(key_result::Column::Id)
        .from(key_result::Entity)
        .and_where(key_result::Column::OrganizationId.eq(actor.organization_id()))
        .and_where(key_result::Column::ArchivedAt.is_null())
        .and_where(
            key_result::Column::ObjectiveId.in_subquery(
                Query::select()
                    .column(objective::Column::Id)
                    .from(objective::Entity)
                    .and_where(objective::Column::OrganizationId.eq(actor.organization_id()))
                    .and_where(objective::Column::CycleId.eq(cycle_id))
                    .and_where(objective::Column::ArchivedAt.is_null())
                    .to_owned(),
            ),
        )
        .to_owned();
    let check_ins = scoped::<check_in::Entity>(actor)
        .filter(check_in::Column::KeyResultId.in_subquery(live_key_results.clone()))
        .into_select()
        .select_only()
        .columns([
            check_in::Column::KeyResultId,
            check_in::Column::Value,
            check_in::Column::Confidence,
            check_in::Column::RecordedAt,
        ])
        .into_model::<CheckInRow>()
        .all(db)
        .await?;
    let initiatives = scoped::<initiative::Entity>(actor)
        .filter(initiative::Column::KeyResultId.in_subquery(live_key_results))
        .all(db)
        .await?;
    Ok(Snapshot {
        now,
        policy: InsightPolicy::of(&organization),
        organization,
        cycle,
        teams,
        objectives,
        key_results,
        check_ins,
        dependencies,
        initiatives,
        elsewhere,
    })
}
