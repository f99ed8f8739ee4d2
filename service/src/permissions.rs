//! Who may do what (SPEC §3.6). Everyone in an organization reads everything in it;
//! members of a team check in on its key results; leads of a team (and organization
//! admins) manage its objectives; admins manage teams, memberships, cycles and policy.
//! Viewers change nothing. A token may carry scopes; then it can do no more than they
//! allow, whatever its role (see [`TokenScope`]). An integration (a scoped token with no
//! person behind it) acts for every team, as far as its scopes go.

use crate::{Actor, Error, OrgRole, Result};
use entity::{TeamRole, membership};
use sea_orm::{ColumnTrait, ConnectionTrait};
use uuid::Uuid;

/// What a token may be allowed to do, from least to most: each scope includes the ones
/// before it (a token that may write check-ins may read what it writes to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenScope {
    /// `okr:read`: read everything in the organization.
    OkrRead,
    /// `checkin:write`: record check-ins.
    CheckinWrite,
    /// `okr:write`: objectives, key results, alignment, initiatives, dependencies.
    OkrWrite,
    /// `admin`: teams, memberships, cycles, policy.
    Admin,
}

impl TokenScope {
    /// Every scope, least first.
    pub const ALL: [TokenScope; 4] =
        [TokenScope::OkrRead, TokenScope::CheckinWrite, TokenScope::OkrWrite, TokenScope::Admin];

    /// The scope's name in a token's `scope` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::OkrRead => "okr:read",
            TokenScope::CheckinWrite => "checkin:write",
            TokenScope::OkrWrite => "okr:write",
            TokenScope::Admin => "admin",
        }
    }

    /// The scope a claim word names, if it is one of ours.
    pub fn parse(word: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|scope| scope.as_str() == word)
    }

    /// The widest of ours among a claim's words (`openid profile okr:read`), if any.
    pub fn widest<'a>(words: impl IntoIterator<Item = &'a str>) -> Option<TokenScope> {
        words.into_iter().filter_map(TokenScope::parse).max()
    }
}

impl std::fmt::Display for TokenScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Refuses a token whose scopes do not include `needed`.
pub fn require_scope(actor: &Actor, needed: TokenScope) -> Result<()> {
    if actor.scope() < needed {
        return Err(Error::Forbidden(format!(
            "this token lacks the `{needed}` scope (it has `{}`): ask for a token with `{needed}`",
            actor.scope()
        )));
    }
    Ok(())
}

/// Refuses viewers, and tokens without a write scope: every change needs at least a
/// member (and `checkin:write`).
pub fn require_writer(actor: &Actor) -> Result<()> {
    require_scope(actor, TokenScope::CheckinWrite)?;
    if actor.role() == OrgRole::Viewer {
        return Err(Error::Forbidden(
            "viewers can read but not change anything: ask an admin for a member role".into(),
        ));
    }
    Ok(())
}

/// Refuses anyone but an organization admin (with the `admin` scope).
pub fn require_admin(actor: &Actor, what: &str) -> Result<()> {
    require_scope(actor, TokenScope::Admin)?;
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
    if acts_for_every_team(actor) || team_role(db, actor, team_id).await? == Some(TeamRole::Lead) {
        return Ok(());
    }
    Err(Error::Forbidden(format!("only the team's leads and organization admins can {what}")))
}

/// Admins, and members (or leads) of `team_id`, may check in on its key results.
pub async fn require_member(db: &impl ConnectionTrait, actor: &Actor, team_id: Uuid, what: &str) -> Result<()> {
    require_writer(actor)?;
    if acts_for_every_team(actor) || team_role(db, actor, team_id).await?.is_some() {
        return Ok(());
    }
    Err(Error::Forbidden(format!("only members of the owning team can {what}")))
}

/// Admins act for every team; so does an integration, which belongs to none and whose
/// scopes already bound what it may do.
fn acts_for_every_team(actor: &Actor) -> bool {
    actor.role() == OrgRole::Admin || actor.is_integration()
}
