//! Stored progress: recomputed on write, in the writer's transaction, for an objective
//! and every ancestor it rolls up into, so that reads never walk trees.
//!
//! Every write under a company objective ends here, so the chain's top row is the most
//! contended lock in the system: the chain is locked in one statement and recomputed in
//! three more (key results, contributors, one update), whatever its length, so that the
//! lock is held for as few round trips as possible.

use crate::rules::rollup;
use crate::tenant::{self, MAX_CHAIN, Org, one_of};
use crate::unit_of_work::Work;
use crate::{Error, Result};
use entity::{AlignmentKind, key_result, objective};
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait};
use std::collections::HashMap;
use uuid::Uuid;

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
/// chain. Returns the whole chain as stored now, nearest first. The chain ends below the
/// first objective of a closed cycle: its figures are frozen with its cycle.
pub async fn refresh_chain(w: &Work<'_>, objective_id: Uuid) -> Result<Vec<objective::Model>> {
    Ok(refresh(w, objective_id).await?.chain)
}

/// [`refresh_chain`], keeping the key results it read (for figures that need them).
pub async fn refresh(w: &Work<'_>, objective_id: Uuid) -> Result<Rollup> {
    let (db, org) = (w.db(), w.org());
    for _ in 0..ATTEMPTS {
        let (ids, frozen) = tenant::open_ancestors(db, org, objective_id).await?;
        if ids.is_empty() {
            return Ok(Rollup::default());
        }
        // Locked in id order (the scoped query's order): writers whose chains meet queue
        // at the common ancestor instead of deadlocking, and each recomputes from
        // committed rows.
        let locked = tenant::scoped::<objective::Entity>(org)
            .filter(one_of(db.get_database_backend(), objective::Column::Id, &ids))
            .locked()
            .all(db)
            .await?;
        if let Some(chain) = linked(&ids, frozen, locked) {
            return recompute(w, chain).await;
        }
    }
    Err(Error::Conflict("the objective's alignment kept changing while its progress was recomputed; try again".into()))
}

/// The locked rows in chain order, if they still link up as `ids` (and above them the
/// `frozen` objective of a closed cycle, if any) did when read.
fn linked(ids: &[Uuid], frozen: Option<Uuid>, locked: Vec<objective::Model>) -> Option<Vec<objective::Model>> {
    let mut by_id: HashMap<Uuid, objective::Model> = locked.into_iter().map(|o| (o.id, o)).collect();
    let chain: Vec<objective::Model> = ids.iter().map(|id| by_id.remove(id)).collect::<Option<_>>()?;
    let links_hold = chain.iter().enumerate().all(|(i, o)| match ids.get(i + 1).or(frozen.as_ref()) {
        Some(next) => o.parent_objective_id == Some(*next),
        // The top: no parent, a cycle back into the chain, or the depth bound.
        None => o.parent_objective_id.is_none_or(|p| ids.contains(&p)) || ids.len() > MAX_CHAIN as usize,
    });
    links_hold.then_some(chain)
}

/// Recomputes the locked chain bottom-up and stores what changed in one statement.
async fn recompute(w: &Work<'_>, chain: Vec<objective::Model>) -> Result<Rollup> {
    use entity::ProgressDriver;
    let (db, org, now) = (w.db(), w.org(), w.now());
    let ids: Vec<Uuid> = chain.iter().map(|o| o.id).collect();
    let uses = |driver: ProgressDriver| chain.iter().any(|o| o.progress_driver == driver);
    // Read whatever the drivers: statuses of the chain need them too.
    let key_results = crate::key_results::live(db, org, &ids).await?;
    let contributors = if uses(ProgressDriver::AlignedObjectives) || uses(ProgressDriver::Both) {
        contributors(db, org, &ids).await?
    } else {
        HashMap::new()
    };
    let mut fresh: HashMap<Uuid, f64> = HashMap::new();
    let mut changed = Vec::new();
    let mut stored = Vec::with_capacity(chain.len());
    for mut current in chain {
        let own = key_results.get(&current.id).into_iter().flatten().map(|k| (k.progress, k.weight));
        // A contributor further down this chain was just recomputed; its row is stale.
        let children = contributors.get(&current.id).into_iter().flatten();
        let children = children.map(|(id, progress)| fresh.get(id).copied().unwrap_or(*progress));
        let progress = rollup::objective_progress(current.progress_driver, own, children);
        fresh.insert(current.id, progress);
        if (progress - current.progress).abs() > f64::EPSILON {
            current.progress = progress;
            current.updated_at = now;
            changed.push((current.id, progress));
        }
        stored.push(current);
    }
    store(w, &changed).await?;
    Ok(Rollup { chain: stored, key_results })
}

/// `(id, progress)` of the live objectives that CONTRIBUTE to each objective in `ids`.
async fn contributors(db: &impl ConnectionTrait, org: Org, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<(Uuid, f64)>>> {
    let rows = tenant::scoped::<objective::Entity>(org)
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
async fn store(w: &Work<'_>, changed: &[(Uuid, f64)]) -> Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let mut progress = CaseStatement::new();
    for (id, value) in changed {
        progress = progress.case(objective::Column::Id.eq(*id), Expr::val(*value));
    }
    let progress = progress.finally(Expr::col(objective::Column::Progress));
    let ids: Vec<Uuid> = changed.iter().map(|(id, _)| *id).collect();
    let columns =
        vec![(objective::Column::Progress, progress.into()), (objective::Column::UpdatedAt, Expr::val(w.now()))];
    w.update_ids::<objective::Entity>(&ids, columns).await?;
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
        let chain = linked(&ids, None, same).expect("unchanged chain");
        assert_eq!(chain.iter().map(|o| o.id).collect::<Vec<_>>(), ids);

        let moved = vec![objective(a, Some(d)), objective(b, Some(c)), objective(c, None)];
        assert!(linked(&ids, None, moved).is_none(), "a re-parented link means reading the chain again");
        let grown = vec![objective(a, Some(b)), objective(b, Some(c)), objective(c, Some(d))];
        assert!(
            linked(&ids, None, grown.clone()).is_none(),
            "a top that gained a parent means reading the chain again"
        );
        assert!(linked(&ids, Some(d), grown).is_some(), "a chain may end below a frozen objective");
        let elsewhere = vec![objective(a, Some(b)), objective(b, Some(c)), objective(c, None)];
        assert!(linked(&ids, Some(d), elsewhere).is_none(), "the top left its frozen parent meanwhile");
        assert!(linked(&ids, None, vec![objective(a, Some(b)), objective(b, Some(c))]).is_none(), "a row went away");
        let cycle = vec![objective(a, Some(b)), objective(b, Some(c)), objective(c, Some(a))];
        assert!(linked(&ids, None, cycle).is_some(), "a loop in bad data ends the chain instead of spinning");
    }
}
