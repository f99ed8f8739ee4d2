//! Creating, editing and archiving objectives. Leads of the owning team (and admins) do
//! this; objectives start as drafts.

use crate::alignment::{self, Parent};
use crate::events;
use crate::scope::Scope;
use crate::{Error, Result, audit, db, guards, new_id, permissions, progress, tenant, validate};
use entity::{AlignmentKind, ObjectiveState, ProgressDriver, objective, team};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use uuid::Uuid;

/// A new objective.
#[derive(Debug, Clone)]
pub struct NewObjective {
    pub team_id: Uuid,
    pub cycle_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub progress_driver: ProgressDriver,
    /// Aligns it at once, as `alignment`.
    pub parent: Option<Parent>,
    pub alignment: AlignmentKind,
}

/// Changes to an objective; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ObjectivePatch {
    pub title: Option<String>,
    /// `Some("")` clears the description.
    pub description: Option<String>,
    pub progress_driver: Option<ProgressDriver>,
}

/// An objective after a change, with the objectives whose rolled-up progress moved.
#[derive(Debug, Clone)]
pub struct Changed {
    pub objective: objective::Model,
    pub rolled_up: Vec<objective::Model>,
}

/// Creates a DRAFT objective owned by a team, optionally aligned at once.
pub async fn create(s: Scope<'_>, input: NewObjective) -> Result<Changed> {
    let title = validate::title("title", &input.title)?;
    let description = validate::text("description", input.description.as_deref())?;
    let txn = db::begin_write(s.db).await?;
    let team = tenant::get::<team::Entity>(&txn, s.actor, input.team_id).await?;
    if team.archived_at.is_some() {
        return Err(Error::Conflict(format!("team {:?} is archived and owns no new objectives", team.name)));
    }
    permissions::require_lead(&txn, s.actor, team.id, "create its objectives").await?;
    let cycle = guards::open_cycle(&txn, s.actor, input.cycle_id).await?;
    let now = s.clock.now();
    let mut row = objective::Model {
        id: new_id(),
        organization_id: s.actor.organization_id,
        team_id: team.id,
        cycle_id: cycle.id,
        title,
        description,
        state: ObjectiveState::Draft,
        parent_objective_id: None,
        parent_key_result_id: None,
        alignment_kind: None,
        progress_driver: input.progress_driver,
        progress: 0.0,
        closing_note: None,
        final_score: None,
        carried_over_from_id: None,
        archived_at: None,
        created_at: now,
        updated_at: now,
    };
    if let Some(parent) = input.parent {
        let link = alignment::check(&txn, s.actor, &row, &cycle, parent).await?;
        row.parent_objective_id = Some(link.objective_id);
        row.parent_key_result_id = link.key_result_id;
        row.alignment_kind = Some(input.alignment);
    }
    objective::Entity::insert(objective::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    let rolled_up = match row.parent_objective_id {
        Some(parent) => progress::refresh_chain(&txn, s.actor.organization_id, parent, now).await?,
        None => Vec::new(),
    };
    audit::log(&txn, s.actor, "objective.create", ("objective", row.id), None::<&()>, Some(&row), now).await?;
    let outbox = events::announce(s.bus, &txn, vec![events::objective_changed(&row, "created")]).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { objective: row, rolled_up })
}

/// Edits an objective's title, description or progress driver.
pub async fn update(s: Scope<'_>, id: Uuid, patch: ObjectivePatch) -> Result<Changed> {
    let title = patch.title.as_deref().map(|t| validate::title("title", t)).transpose()?;
    let description = patch.description.as_deref().map(|d| validate::text("description", Some(d))).transpose()?;
    let txn = db::begin_write(s.db).await?;
    let current = tenant::lock::<objective::Entity>(&txn, s.actor, id).await?;
    guards::writable(&txn, s.actor, &current).await?;
    permissions::require_lead(&txn, s.actor, current.team_id, "edit its objectives").await?;
    let now = s.clock.now();
    let before = current.clone();
    let mut row: objective::ActiveModel = current.into();
    if let Some(title) = title {
        row.title = Set(title);
    }
    if let Some(description) = description {
        row.description = Set(description);
    }
    if let Some(driver) = patch.progress_driver {
        row.progress_driver = Set(driver);
    }
    row.updated_at = Set(now);
    let mut updated = row.update(&txn).await?;
    let rolled_up = progress::refresh_chain(&txn, s.actor.organization_id, updated.id, now).await?;
    if let Some(fresh) = rolled_up.iter().find(|o| o.id == updated.id) {
        updated = fresh.clone();
    }
    audit::log(&txn, s.actor, "objective.update", ("objective", id), Some(&before), Some(&updated), now).await?;
    let outbox = events::announce(s.bus, &txn, vec![events::objective_changed(&updated, "updated")]).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { objective: updated, rolled_up })
}

/// Archives an objective: it keeps its history but leaves lists and rollups.
pub async fn archive(s: Scope<'_>, id: Uuid) -> Result<Changed> {
    let txn = db::begin_write(s.db).await?;
    let current = tenant::lock::<objective::Entity>(&txn, s.actor, id).await?;
    if current.archived_at.is_some() {
        return Err(Error::Conflict(format!("objective {:?} is archived already", current.title)));
    }
    guards::open_cycle(&txn, s.actor, current.cycle_id).await?;
    permissions::require_lead(&txn, s.actor, current.team_id, "archive its objectives").await?;
    let now = s.clock.now();
    let before = current.clone();
    let mut row: objective::ActiveModel = current.into();
    row.archived_at = Set(Some(now));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let rolled_up = match updated.parent_objective_id {
        Some(parent) => progress::refresh_chain(&txn, s.actor.organization_id, parent, now).await?,
        None => Vec::new(),
    };
    audit::log(&txn, s.actor, "objective.archive", ("objective", id), Some(&before), Some(&updated), now).await?;
    let outbox = events::announce(s.bus, &txn, vec![events::objective_changed(&updated, "archived")]).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { objective: updated, rolled_up })
}
