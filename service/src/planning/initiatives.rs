//! Initiatives: the activities that should move a key result, where individuals are
//! assigned. They never count towards progress.

use crate::audit::Target;
use crate::events::{self, ChangeKind};
use crate::key_results::write::require_team_member;
use crate::objectives::guards;
use crate::permissions::TokenScope;
use crate::rules::validate;
use crate::scope::Scope;
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id, permissions, tenant};
use entity::{InitiativeState, initiative, key_result, objective};
use sea_orm::ActiveValue::Set;
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
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), key_result.id = %key_result_id))]
pub async fn create(
    s: Scope<'_>,
    key_result_id: Uuid,
    title: &str,
    assignee_id: Option<Uuid>,
) -> Result<initiative::Model> {
    let title = validate::title("title", title)?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(insert(w, key_result_id, &title, assignee_id))).await
}

async fn insert(
    w: &mut Work<'_>,
    key_result_id: Uuid,
    title: &str,
    assignee_id: Option<Uuid>,
) -> Result<initiative::Model> {
    let team_id = owning_team(w, key_result_id).await?;
    if let Some(assignee) = assignee_id {
        require_team_member(w.db(), w.org(), team_id, assignee).await?;
    }
    let now = w.now();
    let row = initiative::Model {
        id: new_id(),
        organization_id: w.org().id(),
        key_result_id,
        title: title.to_owned(),
        assignee_id,
        state: InitiativeState::Planned,
        created_at: now,
        updated_at: now,
    };
    w.insert::<initiative::Entity>(row.clone()).await?;
    w.audit(Target::Initiative(row.id), "create", None::<&()>, Some(&row)).await?;
    w.announce(events::changed(row.organization_id, ChangeKind::Initiative, row.id, "created", [team_id]));
    Ok(row)
}

/// Edits, reassigns or moves an initiative along.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), initiative.id = %id))]
pub async fn update(s: Scope<'_>, id: Uuid, patch: InitiativePatch) -> Result<initiative::Model> {
    let title = patch.title.as_deref().map(|t| validate::title("title", t)).transpose()?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(edit(w, id, &patch, title.as_deref()))).await
}

async fn edit(w: &mut Work<'_>, id: Uuid, patch: &InitiativePatch, title: Option<&str>) -> Result<initiative::Model> {
    let current = tenant::get::<initiative::Entity>(w.db(), w.org(), id).await?;
    let team_id = owning_team(w, current.key_result_id).await?;
    if let Some(Some(assignee)) = patch.assignee_id {
        require_team_member(w.db(), w.org(), team_id, assignee).await?;
    }
    let before = current.clone();
    let mut row: initiative::ActiveModel = current.into();
    if let Some(title) = title {
        row.title = Set(title.to_owned());
    }
    if let Some(assignee) = patch.assignee_id {
        row.assignee_id = Set(assignee);
    }
    if let Some(state) = patch.state {
        row.state = Set(state);
    }
    row.updated_at = Set(w.now());
    let updated = w.update::<initiative::Entity>(row).await?;
    w.audit(Target::Initiative(id), "update", Some(&before), Some(&updated)).await?;
    w.announce(events::changed(updated.organization_id, ChangeKind::Initiative, id, "updated", [team_id]));
    Ok(updated)
}

/// The team owning the key result, after checking the caller may work on it.
async fn owning_team(w: &Work<'_>, key_result_id: Uuid) -> Result<Uuid> {
    let kr = tenant::get::<key_result::Entity>(w.db(), w.org(), key_result_id).await?;
    if kr.archived_at.is_some() {
        return Err(Error::Conflict(format!("key result {:?} is archived", kr.title)));
    }
    let objective = tenant::get::<objective::Entity>(w.db(), w.org(), kr.objective_id).await?;
    guards::writable(w.db(), w.org(), &objective).await?;
    permissions::require_member(w.db(), w.actor(), objective.team_id, "plan initiatives on its key results").await?;
    Ok(objective.team_id)
}
