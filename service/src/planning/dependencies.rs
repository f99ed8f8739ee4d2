//! Cross-team dependencies as data: "our objective needs theirs".

use crate::scope::Scope;
use crate::{Error, Result, audit, db, new_id, permissions, tenant, validate};
use entity::{DependencyState, dependency, key_result, objective};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// One side of a dependency: an objective, or one of its key results.
#[derive(Debug, Clone, Copy)]
pub enum End {
    Objective(Uuid),
    KeyResult(Uuid),
}

/// Records that `from` (owned by the caller's team) needs `to` (another team's).
pub async fn create(s: Scope<'_>, from: End, to: End, note: Option<&str>) -> Result<dependency::Model> {
    let note = validate::text("note", note)?;
    let txn = db::begin_write(s.db).await?;
    let (from_objective, from_kr) = resolve(&txn, s, from).await?;
    let (to_objective, to_kr) = resolve(&txn, s, to).await?;
    if from_objective.team_id == to_objective.team_id {
        return Err(Error::BadUserInput(
            "a dependency links two different teams; within one team, plan it as an initiative".into(),
        ));
    }
    permissions::require_lead(&txn, s.actor, from_objective.team_id, "record what its objectives depend on").await?;
    let now = s.clock.now();
    let row = dependency::Model {
        id: new_id(),
        organization_id: s.actor.organization_id,
        from_objective_id: from_objective.id,
        from_key_result_id: from_kr,
        to_objective_id: to_objective.id,
        to_key_result_id: to_kr,
        note,
        state: DependencyState::Open,
        created_by_id: Some(s.actor.person_id),
        resolved_at: None,
        created_at: now,
        updated_at: now,
    };
    dependency::Entity::insert(dependency::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    audit::log(&txn, s.actor, "dependency.create", ("dependency", row.id), None::<&()>, Some(&row), now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Marks a dependency resolved; leads of either team may.
pub async fn resolve_dependency(s: Scope<'_>, id: Uuid) -> Result<dependency::Model> {
    let txn = db::begin_write(s.db).await?;
    let current = tenant::get::<dependency::Entity>(&txn, s.actor, id).await?;
    if current.state == DependencyState::Resolved {
        return Err(Error::InvalidTransition("the dependency is resolved already".into()));
    }
    let from = tenant::get::<objective::Entity>(&txn, s.actor, current.from_objective_id).await?;
    let to = tenant::get::<objective::Entity>(&txn, s.actor, current.to_objective_id).await?;
    let what = "resolve dependencies between their objectives";
    if permissions::require_lead(&txn, s.actor, from.team_id, what).await.is_err() {
        permissions::require_lead(&txn, s.actor, to.team_id, what).await?;
    }
    let now = s.clock.now();
    let before = current.clone();
    let mut row: dependency::ActiveModel = current.into();
    row.state = Set(DependencyState::Resolved);
    row.resolved_at = Set(Some(now));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, "dependency.resolve", ("dependency", id), Some(&before), Some(&updated), now).await?;
    txn.commit().await?;
    Ok(updated)
}

async fn resolve(db: &impl ConnectionTrait, s: Scope<'_>, end: End) -> Result<(objective::Model, Option<Uuid>)> {
    let (objective_id, kr) = match end {
        End::Objective(id) => (id, None),
        End::KeyResult(id) => (tenant::get::<key_result::Entity>(db, s.actor, id).await?.objective_id, Some(id)),
    };
    let objective = tenant::get::<objective::Entity>(db, s.actor, objective_id).await?;
    if objective.archived_at.is_some() {
        return Err(Error::Conflict(format!("objective {:?} is archived", objective.title)));
    }
    Ok((objective, kr))
}
