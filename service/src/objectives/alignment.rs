//! Alignment (SPEC §3.2): an objective contributes to, or supports, one parent — an
//! objective or a key result — in the same organization, in a compatible cycle, and
//! never in a loop.

use crate::events;
use crate::scope::Scope;
use crate::{Actor, Error, Result, audit, db, guards, permissions, progress, tenant};
use entity::{AlignmentKind, cycle, key_result, objective};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use std::collections::HashSet;
use uuid::Uuid;

/// What an objective aligns to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    Objective(Uuid),
    KeyResult(Uuid),
}

/// A checked link: the parent objective, and the key result when the link goes through one.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub objective_id: Uuid,
    pub key_result_id: Option<Uuid>,
}

/// Checks that `child` (in `child_cycle`) may align to `parent` and resolves the link.
pub async fn check(
    db: &impl ConnectionTrait,
    actor: &Actor,
    child: &objective::Model,
    child_cycle: &cycle::Model,
    parent: Parent,
) -> Result<Link> {
    let link = match parent {
        Parent::Objective(id) => Link { objective_id: id, key_result_id: None },
        Parent::KeyResult(id) => {
            let kr = tenant::get::<key_result::Entity>(db, actor, id).await?;
            if kr.archived_at.is_some() {
                return Err(Error::Conflict(format!("key result {:?} is archived; align to a live one", kr.title)));
            }
            Link { objective_id: kr.objective_id, key_result_id: Some(id) }
        }
    };
    if link.objective_id == child.id {
        return Err(Error::AlignmentLoop("an objective cannot align to itself or to its own key results".into()));
    }
    let parent = tenant::get::<objective::Entity>(db, actor, link.objective_id).await?;
    if parent.archived_at.is_some() {
        return Err(Error::Conflict(format!("objective {:?} is archived; align to a live one", parent.title)));
    }
    let parent_cycle = tenant::get::<cycle::Entity>(db, actor, parent.cycle_id).await?;
    if parent_cycle.starts_on > child_cycle.ends_on || child_cycle.starts_on > parent_cycle.ends_on {
        return Err(Error::AlignmentCycleMismatch(format!(
            "the parent runs in {:?} ({} – {}), which does not overlap this objective's cycle {:?} ({} – {}): \
             align to an objective of the same, an enclosing or an overlapping cycle",
            parent_cycle.name,
            parent_cycle.starts_on,
            parent_cycle.ends_on,
            child_cycle.name,
            child_cycle.starts_on,
            child_cycle.ends_on
        )));
    }
    refuse_loop(db, actor, child.id, &parent).await?;
    Ok(link)
}

/// Walks up from `parent`; meeting `child_id` means the link would close a loop.
async fn refuse_loop(
    db: &impl ConnectionTrait,
    actor: &Actor,
    child_id: Uuid,
    parent: &objective::Model,
) -> Result<()> {
    let mut seen = HashSet::from([parent.id]);
    let mut next = parent.parent_objective_id;
    while let Some(id) = next {
        if id == child_id {
            return Err(Error::AlignmentLoop(format!(
                "aligning to {:?} would make this objective its own ancestor: align it higher up instead",
                parent.title
            )));
        }
        if !seen.insert(id) {
            break;
        }
        next = tenant::get::<objective::Entity>(db, actor, id).await?.parent_objective_id;
    }
    Ok(())
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
pub async fn align(s: Scope<'_>, objective_id: Uuid, parent: Option<Parent>, kind: AlignmentKind) -> Result<Aligned> {
    db::retry(|| align_once(s, objective_id, parent, kind)).await
}

async fn align_once(s: Scope<'_>, objective_id: Uuid, parent: Option<Parent>, kind: AlignmentKind) -> Result<Aligned> {
    let txn = db::begin_write(s.db).await?;
    let current = tenant::lock::<objective::Entity>(&txn, s.actor, objective_id).await?;
    let cycle = guards::writable(&txn, s.actor, &current).await?;
    permissions::require_lead(&txn, s.actor, current.team_id, "align its objectives").await?;
    let link = match parent {
        Some(parent) => Some(check(&txn, s.actor, &current, &cycle, parent).await?),
        None => None,
    };
    let now = s.clock.now();
    let before = current.clone();
    let mut row: objective::ActiveModel = current.into();
    row.parent_objective_id = Set(link.map(|l| l.objective_id));
    row.parent_key_result_id = Set(link.and_then(|l| l.key_result_id));
    row.alignment_kind = Set(link.map(|_| kind));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let mut changed = Vec::new();
    if let Some(old) = before.parent_objective_id.filter(|old| Some(*old) != updated.parent_objective_id) {
        changed.extend(progress::refresh_chain(&txn, s.actor.organization_id, old, now).await?);
    }
    if let Some(new) = updated.parent_objective_id {
        changed.extend(progress::refresh_chain(&txn, s.actor.organization_id, new, now).await?);
    }
    audit::log(&txn, s.actor, "objective.align", ("objective", updated.id), Some(&before), Some(&updated), now).await?;
    let outbox = events::announce(s.bus, &txn, vec![events::objective_changed(&updated, "aligned")]).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Aligned { objective: updated, changed })
}
