//! An objective's life: DRAFT → ACTIVE → CLOSED, and carrying an unfinished one over
//! into a later cycle.

use crate::audit::Target;
use crate::events;
use crate::objectives::write::Changed;
use crate::objectives::{focus, guards, progress};
use crate::permissions::TokenScope;
use crate::rules::{scoring, validate};
use crate::scope::Scope;
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id, permissions, tenant};
use entity::{ObjectiveState, cycle, key_result, objective};
use sea_orm::{ActiveValue::Set, ColumnTrait};
use uuid::Uuid;

/// DRAFT → ACTIVE, once it has a key result and the team has room under the policy.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), objective.id = %id))]
pub async fn activate(s: Scope<'_>, id: Uuid) -> Result<Changed> {
    write(s, TokenScope::OkrWrite, |w| Box::pin(store_active(w, id))).await
}

async fn store_active(w: &mut Work<'_>, id: Uuid) -> Result<Changed> {
    let current = tenant::lock::<objective::Entity>(w.db(), w.org(), id).await?;
    guards::writable(w.db(), w.org(), &current).await?;
    permissions::require_lead(w.db(), w.actor(), current.team_id, "activate its objectives").await?;
    if current.state != ObjectiveState::Draft {
        return Err(Error::InvalidTransition(format!("objective {:?} is active already", current.title)));
    }
    let key_results = live_key_results(w, id).count(w.db()).await?;
    has_key_results(&current.title, key_results)?;
    focus::check_objectives(w.db(), w.org(), current.team_id, current.cycle_id).await?;
    let before = current.clone();
    let mut row: objective::ActiveModel = current.into();
    row.state = Set(ObjectiveState::Active);
    row.updated_at = Set(w.now());
    let updated = w.update::<objective::Entity>(row).await?;
    w.audit(Target::Objective(id), "activate", Some(&before), Some(&updated)).await?;
    w.announce(events::objective_changed(&updated, "activated"));
    Ok(Changed { objective: updated, rolled_up: Vec::new() })
}

/// Refuses activating an objective (titled `title`) that has no live key result.
pub fn has_key_results(title: &str, live: u64) -> Result<()> {
    if live == 0 {
        return Err(Error::NoKeyResults(format!(
            "objective {title:?} has no key result: add at least one measurable result before activating it"
        )));
    }
    Ok(())
}

fn live_key_results(w: &Work<'_>, objective_id: Uuid) -> tenant::Scoped<key_result::Entity> {
    tenant::scoped::<key_result::Entity>(w.org())
        .filter(key_result::Column::ObjectiveId.eq(objective_id))
        .filter(key_result::Column::ArchivedAt.is_null())
}

/// ACTIVE → CLOSED with a closing note; the final score is its progress now.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), objective.id = %id))]
pub async fn close(s: Scope<'_>, id: Uuid, note: Option<String>) -> Result<Changed> {
    let note = validate::text("closingNote", note.as_deref())?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(store_closed(w, id, note.clone()))).await
}

async fn store_closed(w: &mut Work<'_>, id: Uuid, note: Option<String>) -> Result<Changed> {
    let current = tenant::lock::<objective::Entity>(w.db(), w.org(), id).await?;
    guards::writable(w.db(), w.org(), &current).await?;
    permissions::require_lead(w.db(), w.actor(), current.team_id, "close its objectives").await?;
    if current.state != ObjectiveState::Active {
        return Err(Error::InvalidTransition(format!(
            "objective {:?} is a draft: only an active objective closes with a score; archive a draft instead",
            current.title
        )));
    }
    let before = current.clone();
    let score = current.progress;
    let mut row: objective::ActiveModel = current.into();
    row.state = Set(ObjectiveState::Closed);
    row.final_score = Set(Some(score));
    row.closing_note = Set(note);
    row.updated_at = Set(w.now());
    let updated = w.update::<objective::Entity>(row).await?;
    w.audit(Target::Objective(id), "close", Some(&before), Some(&updated)).await?;
    w.announce(events::objective_changed(&updated, "closed"));
    Ok(Changed { objective: updated, rolled_up: Vec::new() })
}

/// An objective carried over into a later cycle.
#[derive(Debug, Clone)]
pub struct CarriedOver {
    /// The copy, as stored now.
    pub changed: Changed,
    /// The objective had been carried into that cycle before: this is that copy, and
    /// nothing was written (a retried request never makes a second one).
    pub existing: bool,
}

/// Copies an unfinished objective into a later cycle as a DRAFT that links back, with
/// its key results (from their start values) and without check-ins or alignment. An
/// objective carried into the same cycle again answers with its first copy.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), objective.id = %id))]
pub async fn carry_over(s: Scope<'_>, id: Uuid, target_cycle_id: Uuid) -> Result<CarriedOver> {
    write(s, TokenScope::OkrWrite, |w| Box::pin(copy_forward(w, id, target_cycle_id))).await
}

async fn copy_forward(w: &mut Work<'_>, id: Uuid, target_cycle_id: Uuid) -> Result<CarriedOver> {
    // Locked, so that two copies racing into one cycle queue here and the second finds the first.
    let source = tenant::lock::<objective::Entity>(w.db(), w.org(), id).await?;
    permissions::require_lead(w.db(), w.actor(), source.team_id, "carry over its objectives").await?;
    let earlier = tenant::scoped::<objective::Entity>(w.org())
        .filter(objective::Column::CarriedOverFromId.eq(source.id))
        .filter(objective::Column::CycleId.eq(target_cycle_id))
        .filter(objective::Column::ArchivedAt.is_null())
        .one(w.db())
        .await?;
    if let Some(copy) = earlier {
        return Ok(CarriedOver { changed: Changed { objective: copy, rolled_up: Vec::new() }, existing: true });
    }
    if source.progress >= 1.0 {
        return Err(Error::Conflict(format!(
            "objective {:?} is achieved: there is nothing to carry over",
            source.title
        )));
    }
    let source_cycle = tenant::get::<cycle::Entity>(w.db(), w.org(), source.cycle_id).await?;
    let target = guards::open_cycle(w.db(), w.org(), target_cycle_id).await?;
    if target.starts_on <= source_cycle.starts_on {
        return Err(Error::BadUserInput(format!(
            "carry over into a later cycle: {:?} does not start after {:?}",
            target.name, source_cycle.name
        )));
    }
    let now = w.now();
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
    w.insert::<objective::Entity>(copy.clone()).await?;
    let key_results = live_key_results(w, source.id).all(w.db()).await?;
    let fresh = key_results.into_iter().map(|kr| key_result::Model {
        id: new_id(),
        objective_id: copy.id,
        current_value: kr.start_value,
        progress: scoring::key_result_progress(scoring::Measure {
            kind: kr.kind,
            start: kr.start_value,
            target: kr.target_value,
            current: kr.start_value,
        }),
        latest_confidence: None,
        check_in_count: 0,
        last_check_in_at: None,
        created_at: now,
        updated_at: now,
        ..kr
    });
    w.insert_many::<key_result::Entity>(fresh, CHUNK).await?;
    let rolled_up = progress::refresh_chain(w, copy.id).await?;
    let copy = rolled_up.iter().find(|o| o.id == copy.id).cloned().unwrap_or(copy);
    w.audit(Target::Objective(copy.id), "carry_over", Some(&source), Some(&copy)).await?;
    w.announce(events::objective_changed(&copy, "carried_over"));
    Ok(CarriedOver { changed: Changed { objective: copy, rolled_up }, existing: false })
}

/// Key results per insert statement when copying (a policy allows at most 20).
const CHUNK: usize = 50;
