//! Initiatives: the activities that should move a key result, where individuals are
//! assigned. They never count towards progress.

use crate::key_result_writes::require_team_member;
use crate::scope::Scope;
use crate::{Error, Result, audit, db, guards, new_id, permissions, tenant, validate};
use entity::{InitiativeState, initiative, key_result, objective};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// Changes to an initiative; `None` leaves a field as it is, `assignee_id: Some(None)`
/// unassigns.
#[derive(Debug, Clone, Default)]
pub struct InitiativePatch {
    pub title: Option<String>,
    pub assignee_id: Option<Option<Uuid>>,
    pub state: Option<InitiativeState>,
}

/// Adds an initiative to a key result; members of the owning team may.
pub async fn create(
    s: Scope<'_>,
    key_result_id: Uuid,
    title: &str,
    assignee_id: Option<Uuid>,
) -> Result<initiative::Model> {
    let title = validate::title("title", title)?;
    let txn = db::begin_write(s.db).await?;
    let team_id = owning_team(&txn, s, key_result_id).await?;
    if let Some(assignee) = assignee_id {
        require_team_member(&txn, s.actor, team_id, assignee).await?;
    }
    let now = s.clock.now();
    let row = initiative::Model {
        id: new_id(),
        organization_id: s.actor.organization_id,
        key_result_id,
        title,
        assignee_id,
        state: InitiativeState::Planned,
        created_at: now,
        updated_at: now,
    };
    initiative::Entity::insert(initiative::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    audit::log(&txn, s.actor, "initiative.create", ("initiative", row.id), None::<&()>, Some(&row), now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Edits, reassigns or moves an initiative along.
pub async fn update(s: Scope<'_>, id: Uuid, patch: InitiativePatch) -> Result<initiative::Model> {
    let title = patch.title.as_deref().map(|t| validate::title("title", t)).transpose()?;
    let txn = db::begin_write(s.db).await?;
    let current = tenant::get::<initiative::Entity>(&txn, s.actor, id).await?;
    let team_id = owning_team(&txn, s, current.key_result_id).await?;
    if let Some(Some(assignee)) = patch.assignee_id {
        require_team_member(&txn, s.actor, team_id, assignee).await?;
    }
    let now = s.clock.now();
    let before = current.clone();
    let mut row: initiative::ActiveModel = current.into();
    if let Some(title) = title {
        row.title = Set(title);
    }
    if let Some(assignee) = patch.assignee_id {
        row.assignee_id = Set(assignee);
    }
    if let Some(state) = patch.state {
        row.state = Set(state);
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, "initiative.update", ("initiative", id), Some(&before), Some(&updated), now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The team owning the key result, after checking the caller may work on it.
async fn owning_team(db: &impl ConnectionTrait, s: Scope<'_>, key_result_id: Uuid) -> Result<Uuid> {
    let kr = tenant::get::<key_result::Entity>(db, s.actor, key_result_id).await?;
    if kr.archived_at.is_some() {
        return Err(Error::Conflict(format!("key result {:?} is archived", kr.title)));
    }
    let objective = tenant::get::<objective::Entity>(db, s.actor, kr.objective_id).await?;
    guards::writable(db, s.actor, &objective).await?;
    permissions::require_member(db, s.actor, objective.team_id, "plan initiatives on its key results").await?;
    Ok(objective.team_id)
}
