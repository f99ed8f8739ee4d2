//! Managing cycles (admins only): PLANNING → ACTIVE → CLOSED, and reopening.
//! Closing freezes every objective's final score; reopening leaves an audit event.

use crate::scope::Scope;
use crate::{Error, Result, audit, db, guards, new_id, permissions, tenant, validate};
use chrono::NaiveDate;
use entity::{CycleState, ObjectiveState, cycle, objective};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
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
pub async fn create(s: Scope<'_>, input: NewCycle) -> Result<cycle::Model> {
    permissions::require_admin(s.actor, "manage cycles")?;
    let name = validate::title("name", &input.name)?;
    let txn = db::begin_write(s.db).await?;
    check_dates(&txn, s, input.starts_on, input.ends_on, input.parent_id).await?;
    let now = s.clock.now();
    let row = cycle::Model {
        id: new_id(),
        organization_id: s.actor.organization_id,
        parent_id: input.parent_id,
        name,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        state: CycleState::Planning,
        closed_at: None,
        created_at: now,
        updated_at: now,
    };
    cycle::Entity::insert(cycle::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    audit::log(&txn, s.actor, "cycle.create", ("cycle", row.id), None::<&()>, Some(&row), now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Renames or re-dates a cycle that is not closed.
pub async fn update(s: Scope<'_>, id: Uuid, patch: CyclePatch) -> Result<cycle::Model> {
    permissions::require_admin(s.actor, "manage cycles")?;
    let name = patch.name.as_deref().map(|n| validate::title("name", n)).transpose()?;
    let txn = db::begin_write(s.db).await?;
    let current = guards::open_cycle(&txn, s.actor, id).await?;
    let (starts_on, ends_on) = (patch.starts_on.unwrap_or(current.starts_on), patch.ends_on.unwrap_or(current.ends_on));
    check_dates(&txn, s, starts_on, ends_on, current.parent_id).await?;
    let now = s.clock.now();
    let before = current.clone();
    let mut row: cycle::ActiveModel = current.into();
    if let Some(name) = name {
        row.name = Set(name);
    }
    row.starts_on = Set(starts_on);
    row.ends_on = Set(ends_on);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, "cycle.update", ("cycle", id), Some(&before), Some(&updated), now).await?;
    txn.commit().await?;
    Ok(updated)
}

async fn check_dates(
    db: &impl ConnectionTrait,
    s: Scope<'_>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    parent_id: Option<Uuid>,
) -> Result<()> {
    if starts_on > ends_on {
        return Err(Error::BadUserInput(format!("the cycle ends ({ends_on}) before it starts ({starts_on})")));
    }
    if let Some(parent) = parent_id {
        let parent = tenant::get::<cycle::Entity>(db, s.actor, parent).await?;
        if starts_on < parent.starts_on || ends_on > parent.ends_on {
            return Err(Error::BadUserInput(format!(
                "a cycle must lie inside its parent {:?} ({} – {})",
                parent.name, parent.starts_on, parent.ends_on
            )));
        }
    }
    Ok(())
}

/// PLANNING → ACTIVE.
pub async fn activate(s: Scope<'_>, id: Uuid) -> Result<cycle::Model> {
    transition(s, id, CycleState::Planning, CycleState::Active, "cycle.activate").await
}

/// ACTIVE → CLOSED: freezes the final score of every objective not closed on its own.
pub async fn close(s: Scope<'_>, id: Uuid) -> Result<cycle::Model> {
    transition(s, id, CycleState::Active, CycleState::Closed, "cycle.close").await
}

/// CLOSED → ACTIVE (admins only, audited): objectives not closed on their own are live
/// again and lose the score the close froze.
pub async fn reopen(s: Scope<'_>, id: Uuid) -> Result<cycle::Model> {
    transition(s, id, CycleState::Closed, CycleState::Active, "cycle.reopen").await
}

async fn transition(
    s: Scope<'_>,
    id: Uuid,
    from: CycleState,
    to: CycleState,
    action: &'static str,
) -> Result<cycle::Model> {
    permissions::require_admin(s.actor, "change a cycle's state")?;
    let txn = db::begin_write(s.db).await?;
    let current = tenant::lock::<cycle::Entity>(&txn, s.actor, id).await?;
    if current.state != from {
        return Err(Error::InvalidTransition(format!(
            "cycle {:?} is {:?}; only a {from:?} cycle can become {to:?}",
            current.name, current.state
        )));
    }
    let now = s.clock.now();
    let frozen = match to {
        CycleState::Closed => Expr::col(objective::Column::Progress),
        _ => Expr::value(Option::<f64>::None),
    };
    objective::Entity::update_many()
        .col_expr(objective::Column::FinalScore, frozen)
        .col_expr(objective::Column::UpdatedAt, Expr::value(now))
        .filter(objective::Column::CycleId.eq(id))
        .filter(objective::Column::OrganizationId.eq(s.actor.organization_id))
        .filter(objective::Column::State.ne(ObjectiveState::Closed))
        .exec(&txn)
        .await?;
    let before = current.clone();
    let mut row: cycle::ActiveModel = current.into();
    row.state = Set(to);
    row.closed_at = Set((to == CycleState::Closed).then_some(now));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, action, ("cycle", id), Some(&before), Some(&updated), now).await?;
    txn.commit().await?;
    Ok(updated)
}
