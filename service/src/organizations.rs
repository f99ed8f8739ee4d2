//! The actor's organization and its policy.

use crate::{Actor, Error, Result};
use entity::organization;
use sea_orm::{ConnectionTrait, EntityTrait};

/// The organization the actor belongs to.
pub async fn current(db: &impl ConnectionTrait, actor: &Actor) -> Result<organization::Model> {
    organization::Entity::find_by_id(actor.organization_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("organization", actor.organization_id))
}

/// Changes to the focus policy; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct PolicyPatch {
    pub max_objectives_per_team: Option<i32>,
    pub max_key_results_per_objective: Option<i32>,
    pub mode: Option<entity::FocusPolicyMode>,
}

/// The most a focus limit may be set to; above it, focus is lost.
pub const MAX_LIMIT: i32 = 20;

/// Changes the organization's focus policy (admins only).
pub async fn update_policy(s: crate::Scope<'_>, patch: PolicyPatch) -> Result<organization::Model> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    crate::permissions::require_admin(s.actor, "change the policy")?;
    for (field, value) in [
        ("maxObjectivesPerTeam", patch.max_objectives_per_team),
        ("maxKeyResultsPerObjective", patch.max_key_results_per_objective),
    ] {
        if let Some(value) = value.filter(|v| !(1..=MAX_LIMIT).contains(v)) {
            return Err(Error::BadUserInput(format!("`{field}` must be between 1 and {MAX_LIMIT}, not {value}")));
        }
    }
    let txn = crate::db::begin_write(s.db).await?;
    let current = current(&txn, s.actor).await?;
    let now = s.clock.now();
    let before = current.clone();
    let mut row: organization::ActiveModel = current.into();
    if let Some(value) = patch.max_objectives_per_team {
        row.max_objectives_per_team = Set(value);
    }
    if let Some(value) = patch.max_key_results_per_objective {
        row.max_key_results_per_objective = Set(value);
    }
    if let Some(mode) = patch.mode {
        row.focus_policy_mode = Set(mode);
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    crate::audit::log(
        &txn,
        s.actor,
        "organization.update_policy",
        ("organization", updated.id),
        Some(&before),
        Some(&updated),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
