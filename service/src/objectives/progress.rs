//! Stored progress: recomputed on write, in the writer's transaction, for an objective
//! and every ancestor it rolls up into, so that reads never walk trees.
//!
//! Every write under a company objective ends here, so the chain's top row is the most
//! contended lock in the system: the chain is locked in one statement and recomputed in
//! three more (key results, contributors, one update), whatever its length, so that the
//! lock is held for as few round trips as possible.

use crate::tenant::one_of;
use crate::{Error, Result, scoring};
use chrono::{DateTime, Utc};
use entity::{AlignmentKind, ProgressDriver, key_result, objective};
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Chains are never deeper than this (alignment refuses cycles; this bounds bad data).
const MAX_CHAIN: u32 = 64;

/// How often the chain may change between reading and locking it before giving up.
const ATTEMPTS: usize = 5;

/// A recomputed chain, with what it was computed from.
#[derive(Debug, Clone, Default)]
pub struct Rollup {
    /// The objective and each ancestor it rolls up into, as stored now, nearest first.
    pub chain: Vec<objective::Model>,
    /// The live key results of each objective of the chain.
    pub key_results: HashMap<Uuid, Vec<key_result::Model>>,
}

/// Recomputes the progress of `objective_id` and then of each parent up the alignment
/// chain. Returns the whole chain as stored now, nearest first.
pub async fn refresh_chain(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    objective_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<objective::Model>> {
    Ok(refresh(db, organization_id, objective_id, now).await?.chain)
}

/// [`refresh_chain`], keeping the key results it read (for figures that need them).
pub async fn refresh(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    objective_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Rollup> {
    for _ in 0..ATTEMPTS {
        let ids = ancestors(db, organization_id, objective_id).await?;
        if ids.is_empty() {
            return Ok(Rollup::default());
        }
        // Locked in id order: writers whose chains meet queue at the common ancestor
        // instead of deadlocking, and each recomputes from committed rows.
        let locked = objective::Entity::find()
            .filter(objective::Column::OrganizationId.eq(organization_id))
            .filter(one_of(db.get_database_backend(), objective::Column::Id, &ids))
            .order_by_asc(objective::Column::Id)
            .lock_exclusive()
            .all(db)
            .await?;
        if let Some(chain) = linked(&ids, locked) {
            return recompute(db, organization_id, chain, now).await;
        }
    }
    Err(Error::Conflict("the objective's alignment kept changing while its progress was recomputed; try again".into()))
}

/// The ids of `objective_id` and its ancestors, nearest first, read without locks.
async fn ancestors(db: &impl ConnectionTrait, organization_id: Uuid, objective_id: Uuid) -> Result<Vec<Uuid>> {
    let backend = db.get_database_backend();
    let p = |i: usize| if backend == sea_orm::DbBackend::Postgres { format!("${i}") } else { "?".to_owned() };
    let sql = format!(
        "WITH RECURSIVE chain(id, parent_id, depth) AS (\
         SELECT id, parent_objective_id, 0 FROM objectives WHERE id = {} AND organization_id = {} \
         UNION ALL SELECT o.id, o.parent_objective_id, chain.depth + 1 FROM objectives o \
         JOIN chain ON o.id = chain.parent_id WHERE o.organization_id = {} AND chain.depth < {MAX_CHAIN}) \
         SELECT id FROM chain ORDER BY depth",
        p(1),
        p(2),
        p(3)
    );
    let values: [Value; 3] = [objective_id.into(), organization_id.into(), organization_id.into()];
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The locked rows in chain order, if they still link up as `ids` did when read.
fn linked(ids: &[Uuid], locked: Vec<objective::Model>) -> Option<Vec<objective::Model>> {
    let mut by_id: HashMap<Uuid, objective::Model> = locked.into_iter().map(|o| (o.id, o)).collect();
    let chain: Vec<objective::Model> = ids.iter().map(|id| by_id.remove(id)).collect::<Option<_>>()?;
    let links_hold = chain.iter().enumerate().all(|(i, o)| match ids.get(i + 1) {
        Some(next) => o.parent_objective_id == Some(*next),
        // The top: no parent, a cycle back into the chain, or the depth bound.
        None => o.parent_objective_id.is_none_or(|p| ids.contains(&p)) || ids.len() > MAX_CHAIN as usize,
    });
    links_hold.then_some(chain)
}

/// Recomputes the locked chain bottom-up and stores what changed in one statement.
async fn recompute(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    chain: Vec<objective::Model>,
    now: DateTime<Utc>,
) -> Result<Rollup> {
    let ids: Vec<Uuid> = chain.iter().map(|o| o.id).collect();
    let uses = |driver: ProgressDriver| chain.iter().any(|o| o.progress_driver == driver);
    // Read whatever the drivers: statuses of the chain need them too.
    let key_results = live_key_results(db, &ids).await?;
    let contributors = if uses(ProgressDriver::AlignedObjectives) || uses(ProgressDriver::Both) {
        contributors(db, organization_id, &ids).await?
    } else {
        HashMap::new()
    };
    let mut fresh: HashMap<Uuid, f64> = HashMap::new();
    let mut changed = Vec::new();
    let mut stored = Vec::with_capacity(chain.len());
    for mut current in chain {
        let mut items: Vec<(f64, f64)> = Vec::new();
        if matches!(current.progress_driver, ProgressDriver::KeyResults | ProgressDriver::Both) {
            items.extend(key_results.get(&current.id).into_iter().flatten().map(|k| (k.progress, k.weight)));
        }
        if matches!(current.progress_driver, ProgressDriver::AlignedObjectives | ProgressDriver::Both) {
            // A contributor further down this chain was just recomputed; its row is stale.
            let children = contributors.get(&current.id).into_iter().flatten();
            items.extend(children.map(|(id, progress)| (fresh.get(id).copied().unwrap_or(*progress), 1.0)));
        }
        let progress = scoring::weighted_average(items);
        fresh.insert(current.id, progress);
        if (progress - current.progress).abs() > f64::EPSILON {
            current.progress = progress;
            current.updated_at = now;
            changed.push((current.id, progress));
        }
        stored.push(current);
    }
    store(db, &changed, now).await?;
    Ok(Rollup { chain: stored, key_results })
}

/// The live key results of each objective in `ids`.
async fn live_key_results(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<key_result::Model>>> {
    let rows = key_result::Entity::find()
        .filter(one_of(db.get_database_backend(), key_result::Column::ObjectiveId, ids))
        .filter(key_result::Column::ArchivedAt.is_null())
        .all(db)
        .await?;
    let mut grouped: HashMap<Uuid, Vec<key_result::Model>> = HashMap::new();
    for kr in rows {
        grouped.entry(kr.objective_id).or_default().push(kr);
    }
    Ok(grouped)
}

/// `(id, progress)` of the live objectives that CONTRIBUTE to each objective in `ids`.
async fn contributors(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Uuid, f64)>>> {
    let rows = objective::Entity::find()
        .filter(objective::Column::OrganizationId.eq(organization_id))
        .filter(one_of(db.get_database_backend(), objective::Column::ParentObjectiveId, ids))
        .filter(objective::Column::AlignmentKind.eq(AlignmentKind::Contributes))
        .filter(objective::Column::ArchivedAt.is_null())
        .all(db)
        .await?;
    let mut grouped: HashMap<Uuid, Vec<(Uuid, f64)>> = HashMap::new();
    for child in rows {
        if let Some(parent) = child.parent_objective_id {
            grouped.entry(parent).or_default().push((child.id, child.progress));
        }
    }
    Ok(grouped)
}

/// Writes new progress values, one statement for all of them.
async fn store(db: &impl ConnectionTrait, changed: &[(Uuid, f64)], now: DateTime<Utc>) -> Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let mut progress = CaseStatement::new();
    for (id, value) in changed {
        progress = progress.case(objective::Column::Id.eq(*id), Expr::val(*value));
    }
    let progress = progress.finally(Expr::col(objective::Column::Progress));
    let ids: Vec<Uuid> = changed.iter().map(|(id, _)| *id).collect();
    objective::Entity::update_many()
        .col_expr(objective::Column::Progress, progress.into())
        .col_expr(objective::Column::UpdatedAt, Expr::val(now))
        .filter(one_of(db.get_database_backend(), objective::Column::Id, &ids))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objectives::test_row as objective;

    #[test]
    fn a_locked_chain_is_used_only_while_its_links_still_hold() {
        let (a, b, c, d) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let ids = [a, b, c];
        // Locked rows come back in id order, not chain order.
        let same = vec![objective(c, None), objective(a, Some(b)), objective(b, Some(c))];
        let chain = linked(&ids, same).expect("unchanged chain");
        assert_eq!(chain.iter().map(|o| o.id).collect::<Vec<_>>(), ids);

        let moved = vec![objective(a, Some(d)), objective(b, Some(c)), objective(c, None)];
        assert!(linked(&ids, moved).is_none(), "a re-parented link means reading the chain again");
        let grown = vec![objective(a, Some(b)), objective(b, Some(c)), objective(c, Some(d))];
        assert!(linked(&ids, grown).is_none(), "a top that gained a parent means reading the chain again");
        assert!(linked(&ids, vec![objective(a, Some(b)), objective(b, Some(c))]).is_none(), "a row went away");
        let cycle = vec![objective(a, Some(b)), objective(b, Some(c)), objective(c, Some(a))];
        assert!(linked(&ids, cycle).is_some(), "a loop in bad data ends the chain instead of spinning");
    }
}
