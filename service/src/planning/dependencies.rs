//! Cross-team dependencies as data: "our objective needs theirs".

use crate::audit::Target;
use crate::events::{self, ChangeKind, Event};
use crate::objectives::ObjectiveOrKeyResult;
use crate::permissions::TokenScope;
use crate::rules::validate;
use crate::scope::Scope;
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id, permissions, tenant};
use entity::{DependencyState, dependency, key_result, objective};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// Records that `from` (owned by the caller's team) needs `to` (another team's).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id()))]
pub async fn create(
    s: Scope<'_>,
    from: ObjectiveOrKeyResult,
    to: ObjectiveOrKeyResult,
    note: Option<&str>,
) -> Result<dependency::Model> {
    let note = validate::text("note", note)?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(insert(w, from, to, note.clone()))).await
}

async fn insert(
    w: &mut Work<'_>,
    from: ObjectiveOrKeyResult,
    to: ObjectiveOrKeyResult,
    note: Option<String>,
) -> Result<dependency::Model> {
    let (from_objective, from_kr) = resolve(w, from).await?;
    let (to_objective, to_kr) = resolve(w, to).await?;
    if from_objective.team_id == to_objective.team_id {
        return Err(Error::BadUserInput(
            "a dependency links two different teams; within one team, plan it as an initiative".into(),
        ));
    }
    let what = "record what its objectives depend on";
    permissions::require_lead(w.db(), w.actor(), from_objective.team_id, what).await?;
    let now = w.now();
    let row = dependency::Model {
        id: new_id(),
        organization_id: w.org().id(),
        from_objective_id: from_objective.id,
        from_key_result_id: from_kr,
        to_objective_id: to_objective.id,
        to_key_result_id: to_kr,
        note,
        state: DependencyState::Open,
        created_by_id: Some(w.actor().person_id()),
        resolved_at: None,
        created_at: now,
        updated_at: now,
    };
    w.insert::<dependency::Entity>(row.clone()).await?;
    w.audit(Target::Dependency(row.id), "create", None::<&()>, Some(&row)).await?;
    w.announce(dependency_changed(&row, &from_objective, &to_objective, "created"));
    Ok(row)
}

fn dependency_changed(row: &dependency::Model, from: &objective::Model, to: &objective::Model, change: &str) -> Event {
    events::changed(row.organization_id, ChangeKind::Dependency, row.id, change, [from.team_id, to.team_id])
}

/// Marks a dependency resolved; leads of either team may.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), dependency.id = %id))]
pub async fn resolve_dependency(s: Scope<'_>, id: Uuid) -> Result<dependency::Model> {
    write(s, TokenScope::OkrWrite, |w| Box::pin(store_resolved(w, id))).await
}

async fn store_resolved(w: &mut Work<'_>, id: Uuid) -> Result<dependency::Model> {
    let current = tenant::get::<dependency::Entity>(w.db(), w.org(), id).await?;
    if current.state == DependencyState::Resolved {
        return Err(Error::InvalidTransition("the dependency is resolved already".into()));
    }
    let from = tenant::get::<objective::Entity>(w.db(), w.org(), current.from_objective_id).await?;
    let to = tenant::get::<objective::Entity>(w.db(), w.org(), current.to_objective_id).await?;
    let what = "resolve dependencies between their objectives";
    if permissions::require_lead(w.db(), w.actor(), from.team_id, what).await.is_err() {
        permissions::require_lead(w.db(), w.actor(), to.team_id, what).await?;
    }
    let now = w.now();
    let before = current.clone();
    let mut row: dependency::ActiveModel = current.into();
    row.state = Set(DependencyState::Resolved);
    row.resolved_at = Set(Some(now));
    row.updated_at = Set(now);
    let updated = w.update::<dependency::Entity>(row).await?;
    w.audit(Target::Dependency(id), "resolve", Some(&before), Some(&updated)).await?;
    w.announce(dependency_changed(&updated, &from, &to, "resolved"));
    Ok(updated)
}

async fn resolve(w: &Work<'_>, end: ObjectiveOrKeyResult) -> Result<(objective::Model, Option<Uuid>)> {
    let (objective_id, kr) = match end {
        ObjectiveOrKeyResult::Objective(id) => (id, None),
        ObjectiveOrKeyResult::KeyResult(id) => {
            (tenant::get::<key_result::Entity>(w.db(), w.org(), id).await?.objective_id, Some(id))
        }
    };
    let objective = tenant::get::<objective::Entity>(w.db(), w.org(), objective_id).await?;
    if objective.archived_at.is_some() {
        return Err(Error::Conflict(format!("objective {:?} is archived", objective.title)));
    }
    Ok((objective, kr))
}
