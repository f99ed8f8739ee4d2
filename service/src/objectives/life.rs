//! An objective's life: DRAFT → ACTIVE → CLOSED, and carrying an unfinished one over
//! into a later cycle.

use crate::events;
use crate::objective_writes::Changed;
use crate::scope::Scope;
use crate::{Error, Result, audit, db, focus, guards, new_id, permissions, scoring, tenant, validate};
use entity::{ObjectiveState, key_result, objective};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// DRAFT → ACTIVE, once it has a key result and the team has room under the policy.
pub async fn activate(s: Scope<'_>, id: Uuid) -> Result<Changed> {
    let txn = db::begin_write(s.db).await?;
    let current = tenant::lock::<objective::Entity>(&txn, s.actor, id).await?;
    guards::writable(&txn, s.actor, &current).await?;
    permissions::require_lead(&txn, s.actor, current.team_id, "activate its objectives").await?;
    if current.state != ObjectiveState::Draft {
        return Err(Error::InvalidTransition(format!("objective {:?} is active already", current.title)));
    }
    let key_results = key_result::Entity::find()
        .filter(key_result::Column::ObjectiveId.eq(id))
        .filter(key_result::Column::ArchivedAt.is_null())
        .count(&txn)
        .await?;
    if key_results == 0 {
        return Err(Error::NoKeyResults(format!(
            "objective {:?} has no key result: add at least one measurable result before activating it",
            current.title
        )));
    }
    focus::check_objectives(&txn, s.actor, current.team_id, current.cycle_id).await?;
    let now = s.clock.now();
    let before = current.clone();
    let mut row: objective::ActiveModel = current.into();
    row.state = Set(ObjectiveState::Active);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, "objective.activate", ("objective", id), Some(&before), Some(&updated), now).await?;
    let outbox = events::announce(s.bus, &txn, vec![events::objective_changed(&updated, "activated")]).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { objective: updated, rolled_up: Vec::new() })
}

/// ACTIVE → CLOSED with a closing note; the final score is its progress now.
pub async fn close(s: Scope<'_>, id: Uuid, note: Option<String>) -> Result<Changed> {
    let note = validate::text("closingNote", note.as_deref())?;
    let txn = db::begin_write(s.db).await?;
    let current = tenant::lock::<objective::Entity>(&txn, s.actor, id).await?;
    guards::writable(&txn, s.actor, &current).await?;
    permissions::require_lead(&txn, s.actor, current.team_id, "close its objectives").await?;
    if current.state != ObjectiveState::Active {
        return Err(Error::InvalidTransition(format!(
            "objective {:?} is a draft: only an active objective closes with a score; archive a draft instead",
            current.title
        )));
    }
    let now = s.clock.now();
    let before = current.clone();
    let score = current.progress;
    let mut row: objective::ActiveModel = current.into();
    row.state = Set(ObjectiveState::Closed);
    row.final_score = Set(Some(score));
    row.closing_note = Set(note);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, "objective.close", ("objective", id), Some(&before), Some(&updated), now).await?;
    let outbox = events::announce(s.bus, &txn, vec![events::objective_changed(&updated, "closed")]).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { objective: updated, rolled_up: Vec::new() })
}

/// Copies an unfinished objective into a later cycle as a DRAFT that links back, with
/// its key results (from their start values) and without check-ins or alignment.
pub async fn carry_over(s: Scope<'_>, id: Uuid, target_cycle_id: Uuid) -> Result<Changed> {
    let txn = db::begin_write(s.db).await?;
    let source = tenant::get::<objective::Entity>(&txn, s.actor, id).await?;
    permissions::require_lead(&txn, s.actor, source.team_id, "carry over its objectives").await?;
    if source.progress >= 1.0 {
        return Err(Error::Conflict(format!(
            "objective {:?} is achieved: there is nothing to carry over",
            source.title
        )));
    }
    let source_cycle = tenant::get::<entity::cycle::Entity>(&txn, s.actor, source.cycle_id).await?;
    let target = guards::open_cycle(&txn, s.actor, target_cycle_id).await?;
    if target.starts_on <= source_cycle.starts_on {
        return Err(Error::BadUserInput(format!(
            "carry over into a later cycle: {:?} does not start after {:?}",
            target.name, source_cycle.name
        )));
    }
    let now = s.clock.now();
    let copy = objective::Model {
        id: new_id(),
        cycle_id: target.id,
        state: ObjectiveState::Draft,
        parent_objective_id: None,
        parent_key_result_id: None,
        alignment_kind: None,
        progress: 0.0,
        closing_note: None,
        final_score: None,
        carried_over_from_id: Some(source.id),
        archived_at: None,
        created_at: now,
        updated_at: now,
        ..source.clone()
    };
    objective::Entity::insert(objective::ActiveModel::from(copy.clone())).exec_without_returning(&txn).await?;
    let key_results = key_result::Entity::find()
        .filter(key_result::Column::ObjectiveId.eq(source.id))
        .filter(key_result::Column::ArchivedAt.is_null())
        .order_by_asc(key_result::Column::Id)
        .all(&txn)
        .await?;
    for kr in key_results {
        let progress = scoring::key_result_progress(scoring::Measure {
            kind: kr.kind,
            start: kr.start_value,
            target: kr.target_value,
            current: kr.start_value,
        });
        let fresh = key_result::Model {
            id: new_id(),
            objective_id: copy.id,
            current_value: kr.start_value,
            progress,
            latest_confidence: None,
            check_in_count: 0,
            last_check_in_at: None,
            created_at: now,
            updated_at: now,
            ..kr
        };
        key_result::Entity::insert(key_result::ActiveModel::from(fresh)).exec_without_returning(&txn).await?;
    }
    let rolled_up = crate::progress::refresh_chain(&txn, s.actor.organization_id, copy.id, now).await?;
    let copy = rolled_up.iter().find(|o| o.id == copy.id).cloned().unwrap_or(copy);
    audit::log(&txn, s.actor, "objective.carry_over", ("objective", copy.id), Some(&source), Some(&copy), now).await?;
    let outbox = events::announce(s.bus, &txn, vec![events::objective_changed(&copy, "carried_over")]).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { objective: copy, rolled_up: Vec::new() })
}
