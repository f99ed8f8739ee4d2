//! Managing teams and memberships: organization admins only.

use crate::audit::Target;
use crate::events::{self, ChangeKind, Event};
use crate::people::{self, Profile};
use crate::permissions::TokenScope;
use crate::rules::validate;
use crate::scope::Scope;
use crate::tenant::{self, Hierarchy};
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id, permissions};
use entity::{TeamRole, membership, person, team};
use sea_orm::{ActiveValue::Set, ColumnTrait};
use uuid::Uuid;

/// Creates a team, inside `parent_id` when given (none for the company team).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id()))]
pub async fn create(s: Scope<'_>, name: &str, parent_id: Option<Uuid>) -> Result<team::Model> {
    permissions::require_admin(s.actor, "create teams")?;
    let name = validate::title("name", name)?;
    write(s, TokenScope::Admin, |w| Box::pin(insert(w, &name, parent_id))).await
}

async fn insert(w: &mut Work<'_>, name: &str, parent_id: Option<Uuid>) -> Result<team::Model> {
    if let Some(parent) = parent_id {
        live_team(w, parent).await?;
    }
    let now = w.now();
    let row = team::Model {
        id: new_id(),
        organization_id: w.org().id(),
        parent_id,
        name: name.to_owned(),
        check_in_rhythm_days: None,
        archived_at: None,
        created_at: now,
        updated_at: now,
    };
    w.insert::<team::Entity>(row.clone()).await?;
    w.audit(Target::Team(row.id), "create", None::<&()>, Some(&row)).await?;
    w.announce(team_changed(&row, "created"));
    Ok(row)
}

/// A team's change event.
pub(crate) fn team_changed(team: &team::Model, change: &str) -> Event {
    events::changed(team.organization_id, ChangeKind::Team, team.id, change, [team.id])
}

/// A membership's change event.
pub(crate) fn membership_changed(membership: &membership::Model, change: &str) -> Event {
    events::changed(membership.organization_id, ChangeKind::Membership, membership.id, change, [membership.team_id])
}

/// Changes to a team; `None` leaves a field as it is, `Some(None)` clears it (a root
/// team; the organization's rhythm).
#[derive(Debug, Clone, Default)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub parent_id: Option<Option<Uuid>>,
    /// Days between the team's check-ins, 1 to 90.
    pub check_in_rhythm_days: Option<Option<i32>>,
}

/// Renames a team, moves it under another parent or sets its check-in rhythm.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), team.id = %id))]
pub async fn update(s: Scope<'_>, id: Uuid, patch: TeamPatch) -> Result<team::Model> {
    permissions::require_admin(s.actor, "edit teams")?;
    let name = patch.name.as_deref().map(|n| validate::title("name", n)).transpose()?;
    if let Some(Some(days)) = patch.check_in_rhythm_days
        && !(1..=90).contains(&days)
    {
        return Err(Error::BadUserInput(format!("checkInRhythmDays must be 1 to 90 days, not {days}")));
    }
    let patch = TeamPatch { name, ..patch };
    write(s, TokenScope::Admin, |w| Box::pin(edit(w, id, &patch))).await
}

async fn edit(w: &mut Work<'_>, id: Uuid, patch: &TeamPatch) -> Result<team::Model> {
    let current = live_team(w, id).await?;
    if let Some(Some(parent)) = patch.parent_id {
        live_team(w, parent).await?;
        if tenant::ancestors(w.db(), w.org(), Hierarchy::Teams, parent).await?.contains(&id) {
            return Err(nested_in_itself());
        }
    }
    let before = current.clone();
    let mut row: team::ActiveModel = current.into();
    if let Some(name) = &patch.name {
        row.name = Set(name.clone());
    }
    if let Some(parent) = patch.parent_id {
        row.parent_id = Set(parent);
    }
    if let Some(days) = patch.check_in_rhythm_days {
        row.check_in_rhythm_days = Set(days);
    }
    row.updated_at = Set(w.now());
    let updated = w.update::<team::Entity>(row).await?;
    w.audit(Target::Team(id), "update", Some(&before), Some(&updated)).await?;
    w.announce(team_changed(&updated, "updated"));
    Ok(updated)
}

/// Archives a team: it keeps its history, owns no new objectives, leaves team lists.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), team.id = %id))]
pub async fn archive(s: Scope<'_>, id: Uuid) -> Result<team::Model> {
    permissions::require_admin(s.actor, "archive teams")?;
    write(s, TokenScope::Admin, |w| Box::pin(store_archived(w, id))).await
}

async fn store_archived(w: &mut Work<'_>, id: Uuid) -> Result<team::Model> {
    let current = live_team(w, id).await?;
    let before = current.clone();
    let mut row: team::ActiveModel = current.into();
    row.archived_at = Set(Some(w.now()));
    row.updated_at = Set(w.now());
    let updated = w.update::<team::Entity>(row).await?;
    w.audit(Target::Team(id), "archive", Some(&before), Some(&updated)).await?;
    w.announce(team_changed(&updated, "archived"));
    Ok(updated)
}

async fn live_team(w: &Work<'_>, id: Uuid) -> Result<team::Model> {
    let team = tenant::get::<team::Entity>(w.db(), w.org(), id).await?;
    live(&team)?;
    Ok(team)
}

/// Refuses an archived team as a parent, or as the team to change.
pub fn live(team: &team::Model) -> Result<()> {
    if team.archived_at.is_some() {
        return Err(Error::Conflict(format!("team {:?} is archived", team.name)));
    }
    Ok(())
}

/// The refusal of a move that would put a team inside itself or one of its sub-teams.
pub fn nested_in_itself() -> Error {
    Error::BadUserInput("a team cannot sit inside itself or one of its own sub-teams".into())
}

/// Who to add to a team: an existing person, or a subject not seen yet (created now, so
/// that they can be made a driver before they first sign in).
#[derive(Debug, Clone)]
pub enum Who {
    Person(Uuid),
    Subject { subject: String, display_name: Option<String>, email: Option<String> },
}

/// Adds a person to a team with a role and an optional title.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), team.id = %team_id))]
pub async fn add_member(
    s: Scope<'_>,
    team_id: Uuid,
    who: Who,
    role: TeamRole,
    title: Option<&str>,
) -> Result<membership::Model> {
    permissions::require_admin(s.actor, "manage team memberships")?;
    let title = title_of(title)?;
    write(s, TokenScope::Admin, |w| Box::pin(join(w, team_id, &who, role, title.as_deref()))).await
}

async fn join(
    w: &mut Work<'_>,
    team_id: Uuid,
    who: &Who,
    role: TeamRole,
    title: Option<&str>,
) -> Result<membership::Model> {
    live_team(w, team_id).await?;
    let now = w.now();
    let person_id = match who {
        Who::Person(id) => tenant::get::<person::Entity>(w.db(), w.org(), *id).await?.id,
        Who::Subject { subject, display_name, email } => {
            let subject = validate::title("subject", subject)?;
            let profile = Profile { display_name: display_name.clone(), email: email.clone() };
            people::upsert(w.db(), w.org(), &subject, profile, now).await?
        }
    };
    let taken = tenant::scoped::<membership::Entity>(w.org())
        .filter(membership::Column::TeamId.eq(team_id))
        .filter(membership::Column::PersonId.eq(person_id))
        .one(w.db())
        .await?;
    if taken.is_some() {
        return Err(Error::Conflict("that person is in the team already: update the membership instead".into()));
    }
    let row = membership::Model {
        id: new_id(),
        organization_id: w.org().id(),
        team_id,
        person_id,
        role,
        title: title.map(str::to_owned),
        created_at: now,
        updated_at: now,
    };
    w.insert::<membership::Entity>(row.clone()).await?;
    w.audit(Target::Membership(row.id), "create", None::<&()>, Some(&row)).await?;
    w.announce(membership_changed(&row, "created"));
    Ok(row)
}

/// Changes a membership's role or title (`Some("")` clears the title).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), membership.id = %id))]
pub async fn update_member(
    s: Scope<'_>,
    id: Uuid,
    role: Option<TeamRole>,
    title: Option<&str>,
) -> Result<membership::Model> {
    permissions::require_admin(s.actor, "manage team memberships")?;
    let title = title.map(|t| title_of(Some(t))).transpose()?;
    write(s, TokenScope::Admin, |w| Box::pin(edit_member(w, id, role, title.clone()))).await
}

async fn edit_member(
    w: &mut Work<'_>,
    id: Uuid,
    role: Option<TeamRole>,
    title: Option<Option<String>>,
) -> Result<membership::Model> {
    let current = tenant::get::<membership::Entity>(w.db(), w.org(), id).await?;
    let before = current.clone();
    let mut row: membership::ActiveModel = current.into();
    if let Some(role) = role {
        row.role = Set(role);
    }
    if let Some(title) = title {
        row.title = Set(title);
    }
    row.updated_at = Set(w.now());
    let updated = w.update::<membership::Entity>(row).await?;
    w.audit(Target::Membership(id), "update", Some(&before), Some(&updated)).await?;
    w.announce(membership_changed(&updated, "updated"));
    Ok(updated)
}

/// Removes a person from a team; their check-ins and history stay.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), membership.id = %id))]
pub async fn remove_member(s: Scope<'_>, id: Uuid) -> Result<membership::Model> {
    permissions::require_admin(s.actor, "manage team memberships")?;
    write(s, TokenScope::Admin, |w| Box::pin(leave(w, id))).await
}

async fn leave(w: &mut Work<'_>, id: Uuid) -> Result<membership::Model> {
    let current = tenant::get::<membership::Entity>(w.db(), w.org(), id).await?;
    w.delete::<membership::Entity>(id).await?;
    w.audit(Target::Membership(id), "delete", Some(&current), None::<&()>).await?;
    w.announce(membership_changed(&current, "deleted"));
    Ok(current)
}

/// A membership's role title ("SDR"): trimmed, at most 100 characters, blank for none.
pub fn title_of(title: Option<&str>) -> Result<Option<String>> {
    match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => {
            validate::limit("title", t, 100)?;
            Ok(Some(t.to_owned()))
        }
        None => Ok(None),
    }
}
