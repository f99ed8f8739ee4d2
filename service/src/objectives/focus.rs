//! Focus limits (SPEC §3.3): few active objectives per team and cycle, few key results
//! per objective. ENFORCE refuses a breach; WARN lets it through (reported as an insight).

use crate::tenant::{self, Owner};
use crate::{Error, Result};
use entity::{FocusPolicyMode, ObjectiveState, key_result, objective, organization, team};
use sea_orm::{ColumnTrait, ConnectionTrait};
use uuid::Uuid;

/// Refuses activating one more objective for `team_id` in `cycle_id` beyond the policy.
/// Locks the team row first, so two leads racing for the last place queue up and the
/// second one counts the first.
pub async fn check_objectives(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    team_id: Uuid,
    cycle_id: Uuid,
) -> Result<()> {
    let org = owner.org();
    let team = tenant::lock::<team::Entity>(db, org, team_id).await?;
    let policy = tenant::organization(db, org).await?;
    if policy.focus_policy_mode == FocusPolicyMode::Warn {
        return Ok(());
    }
    let active = tenant::scoped::<objective::Entity>(org)
        .filter(objective::Column::TeamId.eq(team_id))
        .filter(objective::Column::CycleId.eq(cycle_id))
        .filter(objective::Column::State.eq(ObjectiveState::Active))
        .filter(objective::Column::ArchivedAt.is_null())
        .count(db)
        .await?;
    room_for_objective(&policy, &team.name, active)
}

/// Refuses one more active objective for a team (named `team`) that has `active` in the
/// cycle already, when `policy` enforces its limit.
pub fn room_for_objective(policy: &organization::Model, team: &str, active: u64) -> Result<()> {
    let max = policy.max_objectives_per_team.max(0) as u64;
    if policy.focus_policy_mode == FocusPolicyMode::Enforce && active >= max {
        return Err(Error::FocusLimitExceeded(format!(
            "team {team:?} already has {active} active objectives in this cycle and the policy allows {max}: \
             close or archive one first, or ask an admin to change the policy"
        )));
    }
    Ok(())
}

/// Refuses one more key result on `objective_id` beyond the policy. The caller holds the
/// objective's lock.
pub async fn check_key_results(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    objective: &objective::Model,
) -> Result<()> {
    let org = owner.org();
    let policy = tenant::organization(db, org).await?;
    if policy.focus_policy_mode == FocusPolicyMode::Warn {
        return Ok(());
    }
    let live = tenant::scoped::<key_result::Entity>(org)
        .filter(key_result::Column::ObjectiveId.eq(objective.id))
        .filter(key_result::Column::ArchivedAt.is_null())
        .count(db)
        .await?;
    room_for_key_result(&policy, &objective.title, live)
}

/// Refuses one more key result on an objective (titled `objective`) that has `live`
/// already, when `policy` enforces its limit.
pub fn room_for_key_result(policy: &organization::Model, objective: &str, live: u64) -> Result<()> {
    let max = policy.max_key_results_per_objective.max(0) as u64;
    if policy.focus_policy_mode == FocusPolicyMode::Enforce && live >= max {
        return Err(Error::FocusLimitExceeded(format!(
            "objective {objective:?} already has {live} key results and the policy allows {max}: \
             fewer, sharper key results work better"
        )));
    }
    Ok(())
}
