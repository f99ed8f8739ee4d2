//! Creating, editing and archiving key results. A key result belongs to its objective's
//! team; its driver must be a member of that team.

use crate::events;
use crate::measurability::{self, Definition};
use crate::scope::Scope;
use crate::{Actor, Error, Result, audit, db, focus, guards, new_id, permissions, progress, scoring, tenant, validate};
use entity::{key_result, objective, person};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
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
pub async fn create(s: Scope<'_>, input: NewKeyResult) -> Result<Changed> {
    let title = validate::title("title", &input.title)?;
    let definition = measurability::check(input.definition)?;
    let txn = db::begin_write(s.db).await?;
    let objective = tenant::lock::<objective::Entity>(&txn, s.actor, input.objective_id).await?;
    guards::writable(&txn, s.actor, &objective).await?;
    permissions::require_lead(&txn, s.actor, objective.team_id, "add key results to its objectives").await?;
    focus::check_key_results(&txn, s.actor, &objective).await?;
    if let Some(driver) = input.driver_id {
        require_team_member(&txn, s.actor, objective.team_id, driver).await?;
    }
    let now = s.clock.now();
    let row = key_result::Model {
        id: new_id(),
        organization_id: s.actor.organization_id,
        objective_id: objective.id,
        title,
        kind: definition.kind,
        unit: definition.unit,
        unit_label: definition.unit_label,
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
    key_result::Entity::insert(key_result::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    let rolled_up = progress::refresh_chain(&txn, s.actor.organization_id, objective.id, now).await?;
    audit::log(&txn, s.actor, "key_result.create", ("key_result", row.id), None::<&()>, Some(&row), now).await?;
    let progress = events::progress_changed(&txn, s.actor, &row, &rolled_up, now).await?;
    let outbox = events::announce(s.bus, &txn, progress.into_iter().collect()).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { key_result: row, rolled_up })
}

/// Edits a key result; its progress follows the new figures.
pub async fn update(s: Scope<'_>, id: Uuid, patch: KeyResultPatch) -> Result<Changed> {
    let title = patch.title.as_deref().map(|t| validate::title("title", t)).transpose()?;
    let txn = db::begin_write(s.db).await?;
    let current = tenant::lock::<key_result::Entity>(&txn, s.actor, id).await?;
    let objective = editable_objective(&txn, s, &current, "edit its key results").await?;
    let definition = measurability::check(Definition {
        kind: current.kind,
        unit: patch.unit.unwrap_or(current.unit),
        unit_label: if patch.unit.is_some() || patch.unit_label.is_some() {
            patch.unit_label
        } else {
            current.unit_label.clone()
        },
        start: patch.start.unwrap_or(current.start_value),
        target: patch.target.unwrap_or(current.target_value),
        weight: patch.weight.unwrap_or(current.weight),
    })?;
    if let Some(Some(driver)) = patch.driver_id {
        require_team_member(&txn, s.actor, objective.team_id, driver).await?;
    }
    let now = s.clock.now();
    let before = current.clone();
    let progress = progress_at(definition.kind, definition.start, definition.target, current.current_value);
    let mut row: key_result::ActiveModel = current.into();
    if let Some(title) = title {
        row.title = Set(title);
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
    let updated = row.update(&txn).await?;
    let rolled_up = progress::refresh_chain(&txn, s.actor.organization_id, objective.id, now).await?;
    audit::log(&txn, s.actor, "key_result.update", ("key_result", id), Some(&before), Some(&updated), now).await?;
    let progress = events::progress_changed(&txn, s.actor, &updated, &rolled_up, now).await?;
    let outbox = events::announce(s.bus, &txn, progress.into_iter().collect()).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { key_result: updated, rolled_up })
}

/// Archives a key result: it keeps its check-ins but leaves the objective's progress.
pub async fn archive(s: Scope<'_>, id: Uuid) -> Result<Changed> {
    let txn = db::begin_write(s.db).await?;
    let current = tenant::lock::<key_result::Entity>(&txn, s.actor, id).await?;
    let objective = editable_objective(&txn, s, &current, "archive its key results").await?;
    let now = s.clock.now();
    let before = current.clone();
    let mut row: key_result::ActiveModel = current.into();
    row.archived_at = Set(Some(now));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let rolled_up = progress::refresh_chain(&txn, s.actor.organization_id, objective.id, now).await?;
    audit::log(&txn, s.actor, "key_result.archive", ("key_result", id), Some(&before), Some(&updated), now).await?;
    let progress = events::progress_changed(&txn, s.actor, &updated, &rolled_up, now).await?;
    let outbox = events::announce(s.bus, &txn, progress.into_iter().collect()).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Changed { key_result: updated, rolled_up })
}

async fn editable_objective(
    db: &impl ConnectionTrait,
    s: Scope<'_>,
    kr: &key_result::Model,
    what: &str,
) -> Result<objective::Model> {
    if kr.archived_at.is_some() {
        return Err(Error::Conflict(format!("key result {:?} is archived and takes no changes", kr.title)));
    }
    let objective = tenant::lock::<objective::Entity>(db, s.actor, kr.objective_id).await?;
    guards::writable(db, s.actor, &objective).await?;
    permissions::require_lead(db, s.actor, objective.team_id, what).await?;
    Ok(objective)
}

fn progress_at(kind: entity::KeyResultKind, start: f64, target: f64, current: f64) -> f64 {
    scoring::key_result_progress(scoring::Measure { kind, start, target, current })
}

/// Refuses a driver or assignee who is not in the owning team (NOT_TEAM_MEMBER), or who
/// does not exist in the organization (NOT_FOUND).
pub async fn require_team_member(
    db: &impl ConnectionTrait,
    actor: &Actor,
    team_id: Uuid,
    person_id: Uuid,
) -> Result<()> {
    let person = tenant::get::<person::Entity>(db, actor, person_id).await?;
    let member = entity::membership::Entity::find()
        .filter(entity::membership::Column::TeamId.eq(team_id))
        .filter(entity::membership::Column::PersonId.eq(person_id))
        .one(db)
        .await?;
    if member.is_none() {
        let name = person.display_name.unwrap_or(person.subject);
        return Err(Error::NotTeamMember(format!(
            "{name} is not a member of the owning team: add them to the team first, or pick a member"
        )));
    }
    Ok(())
}
