//! Creating, editing and archiving objectives. Leads of the owning team (and admins) do
//! this; objectives start as drafts.

use crate::audit::Target;
use crate::events;
use crate::objectives::{ObjectiveOrKeyResult, alignment, guards, progress};
use crate::permissions::TokenScope;
use crate::rules::validate;
use crate::scope::Scope;
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id, permissions, tenant};
use entity::{AlignmentKind, ObjectiveState, ProgressDriver, objective, team};
use sea_orm::ActiveValue::Set;
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
    pub parent: Option<ObjectiveOrKeyResult>,
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
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), team.id = %input.team_id))]
pub async fn create(s: Scope<'_>, input: NewObjective) -> Result<Changed> {
    let title = validate::title("title", &input.title)?;
    let description = validate::text("description", input.description.as_deref())?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(insert(w, &input, &title, description.clone()))).await
}

async fn insert(w: &mut Work<'_>, input: &NewObjective, title: &str, description: Option<String>) -> Result<Changed> {
    let team = tenant::get::<team::Entity>(w.db(), w.org(), input.team_id).await?;
    owns_new_objectives(&team)?;
    permissions::require_lead(w.db(), w.actor(), team.id, "create its objectives").await?;
    let cycle = guards::open_cycle(w.db(), w.org(), input.cycle_id).await?;
    let now = w.now();
    let mut row = objective::Model {
        id: new_id(),
        organization_id: w.org().id(),
        team_id: team.id,
        cycle_id: cycle.id,
        title: title.to_owned(),
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
        let link = alignment::check(w.db(), w.org(), &row, &cycle, parent).await?;
        row.parent_objective_id = Some(link.objective_id);
        row.parent_key_result_id = link.key_result_id;
        row.alignment_kind = Some(input.alignment);
    }
    w.insert::<objective::Entity>(row.clone()).await?;
    let rolled_up = match row.parent_objective_id {
        Some(parent) => progress::refresh_chain(w, parent).await?,
        None => Vec::new(),
    };
    w.audit(Target::Objective(row.id), "create", None::<&()>, Some(&row)).await?;
    w.announce(events::objective_changed(&row, "created"));
    Ok(Changed { objective: row, rolled_up })
}

/// Refuses an archived team as the owner of a new objective.
pub fn owns_new_objectives(team: &team::Model) -> Result<()> {
    if team.archived_at.is_some() {
        return Err(Error::Conflict(format!("team {:?} is archived and owns no new objectives", team.name)));
    }
    Ok(())
}

/// Edits an objective's title, description or progress driver.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), objective.id = %id))]
pub async fn update(s: Scope<'_>, id: Uuid, patch: ObjectivePatch) -> Result<Changed> {
    let title = patch.title.as_deref().map(|t| validate::title("title", t)).transpose()?;
    let description = patch.description.as_deref().map(|d| validate::text("description", Some(d))).transpose()?;
    let patch = ObjectivePatch { title, description: None, ..patch };
    write(s, TokenScope::OkrWrite, |w| Box::pin(edit(w, id, &patch, description.clone()))).await
}

async fn edit(
    w: &mut Work<'_>,
    id: Uuid,
    patch: &ObjectivePatch,
    description: Option<Option<String>>,
) -> Result<Changed> {
    let current = tenant::lock::<objective::Entity>(w.db(), w.org(), id).await?;
    guards::writable(w.db(), w.org(), &current).await?;
    permissions::require_lead(w.db(), w.actor(), current.team_id, "edit its objectives").await?;
    let now = w.now();
    let before = current.clone();
    let mut row: objective::ActiveModel = current.into();
    if let Some(title) = &patch.title {
        row.title = Set(title.clone());
    }
    if let Some(description) = description {
        row.description = Set(description);
    }
    if let Some(driver) = patch.progress_driver {
        row.progress_driver = Set(driver);
    }
    row.updated_at = Set(now);
    let mut updated = w.update::<objective::Entity>(row).await?;
    let rolled_up = progress::refresh_chain(w, updated.id).await?;
    if let Some(fresh) = rolled_up.iter().find(|o| o.id == updated.id) {
        updated = fresh.clone();
    }
    w.audit(Target::Objective(id), "update", Some(&before), Some(&updated)).await?;
    w.announce(events::objective_changed(&updated, "updated"));
    Ok(Changed { objective: updated, rolled_up })
}

/// Archives an objective: it keeps its history but leaves lists and rollups.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), objective.id = %id))]
pub async fn archive(s: Scope<'_>, id: Uuid) -> Result<Changed> {
    write(s, TokenScope::OkrWrite, |w| Box::pin(store_archived(w, id))).await
}

async fn store_archived(w: &mut Work<'_>, id: Uuid) -> Result<Changed> {
    let current = tenant::lock::<objective::Entity>(w.db(), w.org(), id).await?;
    if current.archived_at.is_some() {
        return Err(Error::Conflict(format!("objective {:?} is archived already", current.title)));
    }
    guards::open_cycle(w.db(), w.org(), current.cycle_id).await?;
    permissions::require_lead(w.db(), w.actor(), current.team_id, "archive its objectives").await?;
    let now = w.now();
    let before = current.clone();
    let mut row: objective::ActiveModel = current.into();
    row.archived_at = Set(Some(now));
    row.updated_at = Set(now);
    let updated = w.update::<objective::Entity>(row).await?;
    let rolled_up = match updated.parent_objective_id {
        Some(parent) => progress::refresh_chain(w, parent).await?,
        None => Vec::new(),
    };
    w.audit(Target::Objective(id), "archive", Some(&before), Some(&updated)).await?;
    w.announce(events::objective_changed(&updated, "archived"));
    Ok(Changed { objective: updated, rolled_up })
}
