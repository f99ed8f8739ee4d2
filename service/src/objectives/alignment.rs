//! Alignment (SPEC §3.2): an objective contributes to, or supports, one parent — an
//! objective or a key result — in the same organization, in a compatible cycle, and
//! never in a loop.

use crate::audit::Target;
use crate::events;
use crate::objectives::{ObjectiveOrKeyResult, guards, progress};
use crate::permissions::TokenScope;
use crate::scope::Scope;
use crate::tenant::{self, Hierarchy, Owner};
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, permissions};
use entity::{AlignmentKind, cycle, key_result, objective};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait};
use uuid::Uuid;

/// A checked link: the parent objective, and the key result when the link goes through one.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub objective_id: Uuid,
    pub key_result_id: Option<Uuid>,
}

/// Checks that `child` (in `child_cycle`) may align to `parent` and resolves the link.
pub async fn check(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    child: &objective::Model,
    child_cycle: &cycle::Model,
    parent: ObjectiveOrKeyResult,
) -> Result<Link> {
    let org = owner.org();
    let (objective_id, key_result) = match parent {
        ObjectiveOrKeyResult::Objective(id) => (id, None),
        ObjectiveOrKeyResult::KeyResult(id) => {
            let kr = tenant::get::<key_result::Entity>(db, org, id).await?;
            (kr.objective_id, Some(kr))
        }
    };
    let objective = tenant::get::<objective::Entity>(db, org, objective_id).await?;
    let cycle = tenant::get::<cycle::Entity>(db, org, objective.cycle_id).await?;
    let chain = tenant::ancestors(db, org, Hierarchy::Objectives, objective.id).await?;
    let parent = Parent { objective: &objective, key_result: key_result.as_ref(), cycle: &cycle, chain: &chain };
    check_loaded(child, child_cycle, parent)
}

/// An alignment's parent, loaded: the objective, the key result when the link goes
/// through one, the objective's cycle, and its chain of ancestors.
#[derive(Debug, Clone, Copy)]
pub struct Parent<'a> {
    pub objective: &'a objective::Model,
    pub key_result: Option<&'a key_result::Model>,
    pub cycle: &'a cycle::Model,
    /// The parent objective and its ancestors, nearest first.
    pub chain: &'a [Uuid],
}

/// [`check`] on rows already at hand: a live parent, in a cycle that overlaps the
/// child's, that is not the child nor below it.
pub fn check_loaded(child: &objective::Model, child_cycle: &cycle::Model, parent: Parent<'_>) -> Result<Link> {
    if let Some(kr) = parent.key_result
        && kr.archived_at.is_some()
    {
        return Err(Error::Conflict(format!("key result {:?} is archived; align to a live one", kr.title)));
    }
    if parent.objective.id == child.id {
        return Err(Error::AlignmentLoop("an objective cannot align to itself or to its own key results".into()));
    }
    if parent.objective.archived_at.is_some() {
        return Err(Error::Conflict(format!(
            "objective {:?} is archived; align to a live one",
            parent.objective.title
        )));
    }
    if !overlap(parent.cycle, child_cycle) {
        return Err(Error::AlignmentCycleMismatch(format!(
            "the parent runs in {:?} ({} – {}), which does not overlap this objective's cycle {:?} ({} – {}): \
             align to an objective of the same, an enclosing or an overlapping cycle",
            parent.cycle.name,
            parent.cycle.starts_on,
            parent.cycle.ends_on,
            child_cycle.name,
            child_cycle.starts_on,
            child_cycle.ends_on
        )));
    }
    if parent.chain.contains(&child.id) {
        return Err(Error::AlignmentLoop(format!(
            "aligning to {:?} would make this objective its own ancestor: align it higher up instead",
            parent.objective.title
        )));
    }
    Ok(Link { objective_id: parent.objective.id, key_result_id: parent.key_result.map(|kr| kr.id) })
}

/// Whether two cycles share at least a day: what an alignment between their objectives needs.
pub fn overlap(a: &cycle::Model, b: &cycle::Model) -> bool {
    a.starts_on <= b.ends_on && b.starts_on <= a.ends_on
}

/// How many alignments would break if `moved` (a cycle) took its new dates: links between
/// an objective of that cycle and a parent or child in a cycle it would no longer overlap.
pub async fn broken_by_redating(db: &impl ConnectionTrait, owner: impl Owner, moved: &cycle::Model) -> Result<usize> {
    let org = owner.org();
    let live = || objective::Column::ArchivedAt.is_null();
    let mine = tenant::scoped::<objective::Entity>(org)
        .filter(objective::Column::CycleId.eq(moved.id))
        .filter(live())
        .all(db)
        .await?;
    let ids: Vec<Uuid> = mine.iter().map(|o| o.id).collect();
    let parent_ids: Vec<Uuid> = mine.iter().filter_map(|o| o.parent_objective_id).collect();
    let parents = tenant::by_ids::<objective::Entity>(db, org, &parent_ids).await?;
    let column = objective::Column::ParentObjectiveId;
    let children =
        tenant::children::<objective::Entity>(db, org, column, &ids, |o| o.parent_objective_id, Some(live())).await?;
    let others: Vec<&objective::Model> = parents.values().chain(children.values().flatten()).collect();
    let cycle_ids: Vec<Uuid> = others.iter().map(|o| o.cycle_id).filter(|c| *c != moved.id).collect();
    let cycles = tenant::by_ids::<cycle::Entity>(db, org, &cycle_ids).await?;
    let breaks = |other: &objective::Model| cycles.get(&other.cycle_id).is_some_and(|c| !overlap(c, moved));
    Ok(others.into_iter().filter(|o| breaks(o)).count())
}

/// The result of an alignment change.
#[derive(Debug, Clone)]
pub struct Aligned {
    pub objective: objective::Model,
    /// Objectives whose rolled-up progress changed (old and new parent chains).
    pub changed: Vec<objective::Model>,
}

/// Aligns `objective_id` to `parent` as `kind`, or removes its alignment (`None`).
/// Two leads aligning two objectives to each other at once lock the rows in opposite
/// orders; the database aborts one, which runs again and then sees the loop.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), objective.id = %objective_id))]
pub async fn align(
    s: Scope<'_>,
    objective_id: Uuid,
    parent: Option<ObjectiveOrKeyResult>,
    kind: AlignmentKind,
) -> Result<Aligned> {
    write(s, TokenScope::OkrWrite, |w| Box::pin(link(w, objective_id, parent, kind))).await
}

async fn link(
    w: &mut Work<'_>,
    objective_id: Uuid,
    parent: Option<ObjectiveOrKeyResult>,
    kind: AlignmentKind,
) -> Result<Aligned> {
    let current = tenant::lock::<objective::Entity>(w.db(), w.org(), objective_id).await?;
    let cycle = guards::writable(w.db(), w.org(), &current).await?;
    permissions::require_lead(w.db(), w.actor(), current.team_id, "align its objectives").await?;
    let link = match parent {
        Some(parent) => Some(check(w.db(), w.org(), &current, &cycle, parent).await?),
        None => None,
    };
    let now = w.now();
    let before = current.clone();
    let mut row: objective::ActiveModel = current.into();
    row.parent_objective_id = Set(link.map(|l| l.objective_id));
    row.parent_key_result_id = Set(link.and_then(|l| l.key_result_id));
    row.alignment_kind = Set(link.map(|_| kind));
    row.updated_at = Set(now);
    let updated = w.update::<objective::Entity>(row).await?;
    let mut changed = Vec::new();
    if let Some(old) = before.parent_objective_id.filter(|old| Some(*old) != updated.parent_objective_id) {
        changed.extend(progress::refresh_chain(w, old).await?);
    }
    if let Some(new) = updated.parent_objective_id {
        changed.extend(progress::refresh_chain(w, new).await?);
    }
    w.audit(Target::Objective(updated.id), "align", Some(&before), Some(&updated)).await?;
    w.announce(events::objective_changed(&updated, "aligned"));
    Ok(Aligned { objective: updated, changed })
}
