//! Who may do what (SPEC §3.6). Everyone in an organization reads everything in it;
//! members of a team check in on its key results; leads of a team (and organization
//! admins) manage its objectives; admins manage teams, memberships, cycles and policy.
//! Viewers change nothing.

use crate::{Actor, Error, OrgRole, Result};
use entity::{TeamRole, membership};
use sea_orm::{ColumnTrait, ConnectionTrait};
use uuid::Uuid;

/// Refuses viewers: every change needs at least a member.
pub fn require_writer(actor: &Actor) -> Result<()> {
    if actor.role() == OrgRole::Viewer {
        return Err(Error::Forbidden(
            "viewers can read but not change anything: ask an admin for a member role".into(),
        ));
    }
    Ok(())
}

/// Refuses anyone but an organization admin.
pub fn require_admin(actor: &Actor, what: &str) -> Result<()> {
    if actor.role() != OrgRole::Admin {
        return Err(Error::Forbidden(format!("only organization admins can {what}")));
    }
    Ok(())
}

/// The actor's role in `team_id`, if they belong to it.
pub async fn team_role(db: &impl ConnectionTrait, actor: &Actor, team_id: Uuid) -> Result<Option<TeamRole>> {
    let found = crate::tenant::scoped::<membership::Entity>(actor)
        .filter(membership::Column::TeamId.eq(team_id))
        .filter(membership::Column::PersonId.eq(actor.person_id()))
        .one(db)
        .await?;
    Ok(found.map(|m| m.role))
}

/// Admins, and leads of `team_id`, may manage its objectives and key results.
pub async fn require_lead(db: &impl ConnectionTrait, actor: &Actor, team_id: Uuid, what: &str) -> Result<()> {
    require_writer(actor)?;
    if actor.role() == OrgRole::Admin || team_role(db, actor, team_id).await? == Some(TeamRole::Lead) {
        return Ok(());
    }
    Err(Error::Forbidden(format!("only the team's leads and organization admins can {what}")))
}

/// Admins, and members (or leads) of `team_id`, may check in on its key results.
pub async fn require_member(db: &impl ConnectionTrait, actor: &Actor, team_id: Uuid, what: &str) -> Result<()> {
    require_writer(actor)?;
    if actor.role() == OrgRole::Admin || team_role(db, actor, team_id).await?.is_some() {
        return Ok(());
    }
    Err(Error::Forbidden(format!("only members of the owning team can {what}")))
}
