//! Creating, editing and archiving key results. A key result belongs to its objective's
//! team; its driver must be a member of that team.

use crate::audit::Target;
use crate::events;
use crate::objectives::{focus, guards, progress};
use crate::permissions::TokenScope;
use crate::rules::measurability::{self, Definition};
use crate::rules::{scoring, validate};
use crate::scope::Scope;
use crate::tenant::{self, Owner};
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id, permissions};
use entity::{key_result, membership, objective, person};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait};
use uuid::Uuid;

/// A new key result.
#[derive(Debug, Clone)]
pub struct NewKeyResult {
    pub objective_id: Uuid,
    pub title: String,
    pub definition: Definition,
    pub driver_id: Option<Uuid>,
}

/// Changes to a key result; `None` leaves a field as it is. The kind never changes:
/// measuring something else is a new key result.
#[derive(Debug, Clone, Default)]
pub struct KeyResultPatch {
    pub title: Option<String>,
    pub start: Option<f64>,
    pub target: Option<f64>,
    pub weight: Option<f64>,
    pub unit: Option<entity::KeyResultUnit>,
    pub unit_label: Option<String>,
    /// `Some(None)` removes the driver.
    pub driver_id: Option<Option<Uuid>>,
}

/// A key result after a change, with the objectives whose progress moved.
#[derive(Debug, Clone)]
pub struct Changed {
    pub key_result: key_result::Model,
    pub rolled_up: Vec<objective::Model>,
}

/// Adds a key result to an objective, within the policy's limit.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), objective.id = %input.objective_id))]
pub async fn create(s: Scope<'_>, input: NewKeyResult) -> Result<Changed> {
    let title = validate::title("title", &input.title)?;
    let definition = measurability::check(input.definition.clone())?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(insert(w, &input, &title, &definition))).await
}

async fn insert(w: &mut Work<'_>, input: &NewKeyResult, title: &str, definition: &Definition) -> Result<Changed> {
    let objective = tenant::lock::<objective::Entity>(w.db(), w.org(), input.objective_id).await?;
    guards::writable(w.db(), w.org(), &objective).await?;
    permissions::require_lead(w.db(), w.actor(), objective.team_id, "add key results to its objectives").await?;
    focus::check_key_results(w.db(), w.org(), &objective).await?;
    if let Some(driver) = input.driver_id {
        require_team_member(w.db(), w.org(), objective.team_id, driver).await?;
    }
    let now = w.now();
    let row = key_result::Model {
        id: new_id(),
        organization_id: w.org().id(),
        objective_id: objective.id,
        title: title.to_owned(),
        kind: definition.kind,
        unit: definition.unit,
        unit_label: definition.unit_label.clone(),
        start_value: definition.start,
        target_value: definition.target,
        current_value: definition.start,
        weight: definition.weight,
        driver_id: input.driver_id,
        progress: progress_at(definition.kind, definition.start, definition.target, definition.start),
        latest_confidence: None,
        check_in_count: 0,
        last_check_in_at: None,
        archived_at: None,
        created_at: now,
        updated_at: now,
    };
    w.insert::<key_result::Entity>(row.clone()).await?;
    let rolled_up = progress::refresh_chain(w, objective.id).await?;
    w.audit(Target::KeyResult(row.id), "create", None::<&()>, Some(&row)).await?;
    announce_progress(w, &row, &rolled_up).await?;
    Ok(Changed { key_result: row, rolled_up })
}

async fn announce_progress(w: &mut Work<'_>, kr: &key_result::Model, chain: &[objective::Model]) -> Result<()> {
    let event = events::progress_changed(w.db(), w.actor(), kr, chain, w.now()).await?;
    w.announce_all(event);
    Ok(())
}

/// Edits a key result; its progress follows the new figures.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), key_result.id = %id))]
pub async fn update(s: Scope<'_>, id: Uuid, patch: KeyResultPatch) -> Result<Changed> {
    let title = patch.title.as_deref().map(|t| validate::title("title", t)).transpose()?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(edit(w, id, &patch, title.as_deref()))).await
}

async fn edit(w: &mut Work<'_>, id: Uuid, patch: &KeyResultPatch, title: Option<&str>) -> Result<Changed> {
    let current = tenant::lock::<key_result::Entity>(w.db(), w.org(), id).await?;
    let objective = editable_objective(w, &current, "edit its key results").await?;
    let definition = measurability::check(Definition {
        kind: current.kind,
        unit: patch.unit.unwrap_or(current.unit),
        unit_label: if patch.unit.is_some() || patch.unit_label.is_some() {
            patch.unit_label.clone()
        } else {
            current.unit_label.clone()
        },
        start: patch.start.unwrap_or(current.start_value),
        target: patch.target.unwrap_or(current.target_value),
        weight: patch.weight.unwrap_or(current.weight),
    })?;
    if let Some(Some(driver)) = patch.driver_id {
        require_team_member(w.db(), w.org(), objective.team_id, driver).await?;
    }
    let now = w.now();
    let before = current.clone();
    let progress = progress_at(definition.kind, definition.start, definition.target, current.current_value);
    let mut row: key_result::ActiveModel = current.into();
    if let Some(title) = title {
        row.title = Set(title.to_owned());
    }
    row.unit = Set(definition.unit);
    row.unit_label = Set(definition.unit_label);
    row.start_value = Set(definition.start);
    row.target_value = Set(definition.target);
    row.weight = Set(definition.weight);
    if let Some(driver) = patch.driver_id {
        row.driver_id = Set(driver);
    }
    row.progress = Set(progress);
    row.updated_at = Set(now);
    let updated = w.update::<key_result::Entity>(row).await?;
    let rolled_up = progress::refresh_chain(w, objective.id).await?;
    w.audit(Target::KeyResult(id), "update", Some(&before), Some(&updated)).await?;
    announce_progress(w, &updated, &rolled_up).await?;
    Ok(Changed { key_result: updated, rolled_up })
}

/// Archives a key result: it keeps its check-ins but leaves the objective's progress.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), key_result.id = %id))]
pub async fn archive(s: Scope<'_>, id: Uuid) -> Result<Changed> {
    write(s, TokenScope::OkrWrite, |w| Box::pin(store_archived(w, id))).await
}

async fn store_archived(w: &mut Work<'_>, id: Uuid) -> Result<Changed> {
    let current = tenant::lock::<key_result::Entity>(w.db(), w.org(), id).await?;
    let objective = editable_objective(w, &current, "archive its key results").await?;
    let now = w.now();
    let before = current.clone();
    let mut row: key_result::ActiveModel = current.into();
    row.archived_at = Set(Some(now));
    row.updated_at = Set(now);
    let updated = w.update::<key_result::Entity>(row).await?;
    let rolled_up = progress::refresh_chain(w, objective.id).await?;
    w.audit(Target::KeyResult(id), "archive", Some(&before), Some(&updated)).await?;
    announce_progress(w, &updated, &rolled_up).await?;
    Ok(Changed { key_result: updated, rolled_up })
}

async fn editable_objective(w: &Work<'_>, kr: &key_result::Model, what: &str) -> Result<objective::Model> {
    if kr.archived_at.is_some() {
        return Err(Error::Conflict(format!("key result {:?} is archived and takes no changes", kr.title)));
    }
    let objective = tenant::lock::<objective::Entity>(w.db(), w.org(), kr.objective_id).await?;
    guards::writable(w.db(), w.org(), &objective).await?;
    permissions::require_lead(w.db(), w.actor(), objective.team_id, what).await?;
    Ok(objective)
}

fn progress_at(kind: entity::KeyResultKind, start: f64, target: f64, current: f64) -> f64 {
    scoring::key_result_progress(scoring::Measure { kind, start, target, current })
}

/// Refuses a driver or assignee who is not in the owning team (NOT_TEAM_MEMBER), or who
/// does not exist in the organization (NOT_FOUND).
pub async fn require_team_member(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    team_id: Uuid,
    person_id: Uuid,
) -> Result<()> {
    let org = owner.org();
    let person = tenant::get::<person::Entity>(db, org, person_id).await?;
    let member = tenant::scoped::<membership::Entity>(org)
        .filter(membership::Column::TeamId.eq(team_id))
        .filter(membership::Column::PersonId.eq(person_id))
        .one(db)
        .await?;
    member_of_team(&person, member.is_some())
}

/// Refuses `person` as a driver or assignee unless they are in the owning team.
pub fn member_of_team(person: &person::Model, member: bool) -> Result<()> {
    if !member {
        let name = person.display_name.as_deref().unwrap_or(&person.subject);
        return Err(Error::NotTeamMember(format!(
            "{name} is not a member of the owning team: add them to the team first, or pick a member"
        )));
    }
    Ok(())
}
