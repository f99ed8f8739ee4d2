//! Managing cycles (admins only): PLANNING → ACTIVE → CLOSED, and reopening.
//! Closing freezes every objective's final score; reopening leaves an audit event.

use crate::audit::Target;
use crate::events::{self, ChangeKind, Event};
use crate::objectives::{alignment, guards};
use crate::permissions::TokenScope;
use crate::rules::validate;
use crate::scope::Scope;
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id, permissions, tenant};
use chrono::NaiveDate;
use entity::{CycleState, ObjectiveState, cycle, objective};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition};
use uuid::Uuid;

/// A new cycle.
#[derive(Debug, Clone)]
pub struct NewCycle {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The enclosing cycle (a year around a quarter).
    pub parent_id: Option<Uuid>,
}

/// Changes to a cycle; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CyclePatch {
    pub name: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

/// Creates a cycle in PLANNING.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id()))]
pub async fn create(s: Scope<'_>, input: NewCycle) -> Result<cycle::Model> {
    permissions::require_admin(s.actor, "manage cycles")?;
    let name = validate::title("name", &input.name)?;
    write(s, TokenScope::Admin, |w| Box::pin(insert(w, &input, &name))).await
}

async fn insert(w: &mut Work<'_>, input: &NewCycle, name: &str) -> Result<cycle::Model> {
    check_dates(w, input.starts_on, input.ends_on, input.parent_id).await?;
    let now = w.now();
    let row = cycle::Model {
        id: new_id(),
        organization_id: w.org().id(),
        parent_id: input.parent_id,
        name: name.to_owned(),
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        state: CycleState::Planning,
        closed_at: None,
        created_at: now,
        updated_at: now,
    };
    w.insert::<cycle::Entity>(row.clone()).await?;
    w.audit(Target::Cycle(row.id), "create", None::<&()>, Some(&row)).await?;
    w.announce(cycle_changed(&row, "created"));
    Ok(row)
}

fn cycle_changed(cycle: &cycle::Model, change: &str) -> Event {
    events::changed(cycle.organization_id, ChangeKind::Cycle, cycle.id, change, [])
}

/// Renames or re-dates a cycle that is not closed.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), cycle.id = %id))]
pub async fn update(s: Scope<'_>, id: Uuid, patch: CyclePatch) -> Result<cycle::Model> {
    permissions::require_admin(s.actor, "manage cycles")?;
    let name = patch.name.as_deref().map(|n| validate::title("name", n)).transpose()?;
    write(s, TokenScope::Admin, |w| Box::pin(redate(w, id, &patch, name.as_deref()))).await
}

async fn redate(w: &mut Work<'_>, id: Uuid, patch: &CyclePatch, name: Option<&str>) -> Result<cycle::Model> {
    let current = guards::open_cycle(w.db(), w.actor(), id).await?;
    let (starts_on, ends_on) = (patch.starts_on.unwrap_or(current.starts_on), patch.ends_on.unwrap_or(current.ends_on));
    check_dates(w, starts_on, ends_on, current.parent_id).await?;
    let before = current.clone();
    let mut row: cycle::ActiveModel = current.into();
    if let Some(name) = name {
        row.name = Set(name.to_owned());
    }
    row.starts_on = Set(starts_on);
    row.ends_on = Set(ends_on);
    row.updated_at = Set(w.now());
    let updated = w.update::<cycle::Entity>(row).await?;
    keep_alignments(w, &before, &updated).await?;
    w.audit(Target::Cycle(id), "update", Some(&before), Some(&updated)).await?;
    w.announce(cycle_changed(&updated, "updated"));
    Ok(updated)
}

/// Refuses new dates under which an objective of the cycle and its parent or child would
/// no longer share a day: `alignObjective` would refuse such a link, so none may remain.
async fn keep_alignments(w: &Work<'_>, before: &cycle::Model, after: &cycle::Model) -> Result<()> {
    if (before.starts_on, before.ends_on) == (after.starts_on, after.ends_on) {
        return Ok(());
    }
    match alignment::broken_by_redating(w.db(), w.org(), after).await? {
        0 => Ok(()),
        broken => Err(Error::AlignmentCycleMismatch(format!(
            "moving {:?} to {} – {} would break {broken} alignment{} with objectives of cycles it would no \
             longer overlap: re-align or detach them first (alignObjective), then move the cycle",
            after.name,
            after.starts_on,
            after.ends_on,
            if broken == 1 { "" } else { "s" }
        ))),
    }
}

async fn check_dates(w: &Work<'_>, starts_on: NaiveDate, ends_on: NaiveDate, parent_id: Option<Uuid>) -> Result<()> {
    if starts_on > ends_on {
        return Err(Error::BadUserInput(format!("the cycle ends ({ends_on}) before it starts ({starts_on})")));
    }
    if let Some(parent) = parent_id {
        let parent = tenant::get::<cycle::Entity>(w.db(), w.org(), parent).await?;
        if starts_on < parent.starts_on || ends_on > parent.ends_on {
            return Err(Error::BadUserInput(format!(
                "a cycle must lie inside its parent {:?} ({} – {})",
                parent.name, parent.starts_on, parent.ends_on
            )));
        }
    }
    Ok(())
}

/// One step of a cycle's life.
#[derive(Debug, Clone, Copy)]
struct Step {
    from: CycleState,
    to: CycleState,
    /// The audit verb.
    verb: &'static str,
    /// The change live displays hear.
    change: &'static str,
}

/// PLANNING → ACTIVE.
pub async fn activate(s: Scope<'_>, id: Uuid) -> Result<cycle::Model> {
    let step = Step { from: CycleState::Planning, to: CycleState::Active, verb: "activate", change: "activated" };
    transition(s, id, step).await
}

/// ACTIVE → CLOSED: freezes the final score of every active objective (see `freeze_scores`).
pub async fn close(s: Scope<'_>, id: Uuid) -> Result<cycle::Model> {
    let step = Step { from: CycleState::Active, to: CycleState::Closed, verb: "close", change: "closed" };
    transition(s, id, step).await
}

/// CLOSED → ACTIVE (admins only, audited): active objectives are live again and lose the
/// score the close froze.
pub async fn reopen(s: Scope<'_>, id: Uuid) -> Result<cycle::Model> {
    let step = Step { from: CycleState::Closed, to: CycleState::Active, verb: "reopen", change: "reopened" };
    transition(s, id, step).await
}

#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), cycle.id = %id, cycle.step = step.verb))]
async fn transition(s: Scope<'_>, id: Uuid, step: Step) -> Result<cycle::Model> {
    permissions::require_admin(s.actor, "change a cycle's state")?;
    write(s, TokenScope::Admin, |w| Box::pin(move_along(w, id, step))).await
}

async fn move_along(w: &mut Work<'_>, id: Uuid, step: Step) -> Result<cycle::Model> {
    let Step { from, to, verb, change } = step;
    let current = tenant::lock::<cycle::Entity>(w.db(), w.org(), id).await?;
    if current.state != from {
        return Err(Error::InvalidTransition(format!(
            "cycle {:?} is {:?}; only a {from:?} cycle can become {to:?}",
            current.name, current.state
        )));
    }
    let now = w.now();
    if from == CycleState::Closed || to == CycleState::Closed {
        w.changes_state_of(id);
        let frozen = freeze_scores(w, id, to == CycleState::Closed).await?;
        let objective_change = format!("cycle_{change}");
        w.announce_all(frozen.iter().map(|o| events::objective_changed(o, &objective_change)));
    }
    let before = current.clone();
    let mut row: cycle::ActiveModel = current.into();
    row.state = Set(to);
    row.closed_at = Set((to == CycleState::Closed).then_some(now));
    row.updated_at = Set(now);
    let updated = w.update::<cycle::Entity>(row).await?;
    w.audit(Target::Cycle(id), verb, Some(&before), Some(&updated)).await?;
    w.announce(cycle_changed(&updated, change));
    Ok(updated)
}

/// Closing freezes the final score of every live ACTIVE objective of the cycle (its
/// progress now); reopening takes those scores away. A DRAFT was never committed to, so it
/// gets no score; a CLOSED objective keeps the one it closed with; an archived one is out
/// of the scores. Returns the objectives changed.
async fn freeze_scores(w: &Work<'_>, cycle_id: Uuid, close: bool) -> Result<Vec<objective::Model>> {
    let affected = Condition::all()
        .add(objective::Column::CycleId.eq(cycle_id))
        .add(objective::Column::State.eq(ObjectiveState::Active))
        .add(objective::Column::ArchivedAt.is_null());
    let objectives = tenant::scoped::<objective::Entity>(w.org()).filter(affected).all(w.db()).await?;
    let frozen = if close { Expr::col(objective::Column::Progress) } else { Expr::value(Option::<f64>::None) };
    let columns = vec![(objective::Column::FinalScore, frozen), (objective::Column::UpdatedAt, Expr::value(w.now()))];
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    w.update_ids::<objective::Entity>(&ids, columns).await?;
    Ok(objectives)
}
