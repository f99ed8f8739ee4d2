//! Managing teams and memberships: organization admins only.

use crate::scope::Scope;
use crate::{Error, Result, audit, db, new_id, permissions, tenant, validate};
use entity::{TeamRole, membership, person, team};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashSet;
use uuid::Uuid;

/// Creates a team, inside `parent_id` when given (none for the company team).
pub async fn create(s: Scope<'_>, name: &str, parent_id: Option<Uuid>) -> Result<team::Model> {
    permissions::require_admin(s.actor, "create teams")?;
    let name = validate::title("name", name)?;
    let txn = db::begin_write(s.db).await?;
    if let Some(parent) = parent_id {
        live_team(&txn, s, parent).await?;
    }
    let now = s.clock.now();
    let row = team::Model {
        id: new_id(),
        organization_id: s.actor.organization_id,
        parent_id,
        name,
        archived_at: None,
        created_at: now,
        updated_at: now,
    };
    team::Entity::insert(team::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    audit::log(&txn, s.actor, "team.create", ("team", row.id), None::<&()>, Some(&row), now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Renames a team or moves it under another parent (`Some(None)` makes it a root).
pub async fn update(
    s: Scope<'_>,
    id: Uuid,
    name: Option<&str>,
    parent_id: Option<Option<Uuid>>,
) -> Result<team::Model> {
    permissions::require_admin(s.actor, "edit teams")?;
    let name = name.map(|n| validate::title("name", n)).transpose()?;
    let txn = db::begin_write(s.db).await?;
    let current = live_team(&txn, s, id).await?;
    if let Some(Some(parent)) = parent_id {
        live_team(&txn, s, parent).await?;
        refuse_team_loop(&txn, s, id, parent).await?;
    }
    let now = s.clock.now();
    let before = current.clone();
    let mut row: team::ActiveModel = current.into();
    if let Some(name) = name {
        row.name = Set(name);
    }
    if let Some(parent) = parent_id {
        row.parent_id = Set(parent);
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, "team.update", ("team", id), Some(&before), Some(&updated), now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Archives a team: it keeps its history, owns no new objectives, leaves team lists.
pub async fn archive(s: Scope<'_>, id: Uuid) -> Result<team::Model> {
    permissions::require_admin(s.actor, "archive teams")?;
    let txn = db::begin_write(s.db).await?;
    let current = live_team(&txn, s, id).await?;
    let now = s.clock.now();
    let before = current.clone();
    let mut row: team::ActiveModel = current.into();
    row.archived_at = Set(Some(now));
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, "team.archive", ("team", id), Some(&before), Some(&updated), now).await?;
    txn.commit().await?;
    Ok(updated)
}

async fn live_team(db: &impl ConnectionTrait, s: Scope<'_>, id: Uuid) -> Result<team::Model> {
    let team = tenant::get::<team::Entity>(db, s.actor, id).await?;
    if team.archived_at.is_some() {
        return Err(Error::Conflict(format!("team {:?} is archived", team.name)));
    }
    Ok(team)
}

async fn refuse_team_loop(db: &impl ConnectionTrait, s: Scope<'_>, id: Uuid, parent: Uuid) -> Result<()> {
    let mut seen = HashSet::new();
    let mut next = Some(parent);
    while let Some(current) = next.filter(|n| seen.insert(*n)) {
        if current == id {
            return Err(Error::BadUserInput("a team cannot sit inside itself or one of its own sub-teams".into()));
        }
        next = tenant::get::<team::Entity>(db, s.actor, current).await?.parent_id;
    }
    Ok(())
}

/// Who to add to a team: an existing person, or a subject not seen yet (created now, so
/// that they can be made a driver before they first sign in).
#[derive(Debug, Clone)]
pub enum Who {
    Person(Uuid),
    Subject { subject: String, display_name: Option<String>, email: Option<String> },
}

/// Adds a person to a team with a role and an optional title.
pub async fn add_member(
    s: Scope<'_>,
    team_id: Uuid,
    who: Who,
    role: TeamRole,
    title: Option<&str>,
) -> Result<membership::Model> {
    permissions::require_admin(s.actor, "manage team memberships")?;
    let title = title_of(title)?;
    let txn = db::begin_write(s.db).await?;
    live_team(&txn, s, team_id).await?;
    let now = s.clock.now();
    let person_id = match who {
        Who::Person(id) => tenant::get::<person::Entity>(&txn, s.actor, id).await?.id,
        Who::Subject { subject, display_name, email } => person_for(&txn, s, &subject, display_name, email).await?,
    };
    let taken = membership::Entity::find()
        .filter(membership::Column::TeamId.eq(team_id))
        .filter(membership::Column::PersonId.eq(person_id))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(Error::Conflict("that person is in the team already: update the membership instead".into()));
    }
    let row = membership::Model {
        id: new_id(),
        organization_id: s.actor.organization_id,
        team_id,
        person_id,
        role,
        title,
        created_at: now,
        updated_at: now,
    };
    membership::Entity::insert(membership::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    audit::log(&txn, s.actor, "membership.create", ("membership", row.id), None::<&()>, Some(&row), now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Changes a membership's role or title (`Some("")` clears the title).
pub async fn update_member(
    s: Scope<'_>,
    id: Uuid,
    role: Option<TeamRole>,
    title: Option<&str>,
) -> Result<membership::Model> {
    permissions::require_admin(s.actor, "manage team memberships")?;
    let title = title.map(|t| title_of(Some(t))).transpose()?;
    let txn = db::begin_write(s.db).await?;
    let current = tenant::get::<membership::Entity>(&txn, s.actor, id).await?;
    let now = s.clock.now();
    let before = current.clone();
    let mut row: membership::ActiveModel = current.into();
    if let Some(role) = role {
        row.role = Set(role);
    }
    if let Some(title) = title {
        row.title = Set(title);
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    audit::log(&txn, s.actor, "membership.update", ("membership", id), Some(&before), Some(&updated), now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Removes a person from a team; their check-ins and history stay.
pub async fn remove_member(s: Scope<'_>, id: Uuid) -> Result<membership::Model> {
    permissions::require_admin(s.actor, "manage team memberships")?;
    let txn = db::begin_write(s.db).await?;
    let current = tenant::get::<membership::Entity>(&txn, s.actor, id).await?;
    membership::Entity::delete_by_id(id).exec(&txn).await?;
    let now = s.clock.now();
    audit::log(&txn, s.actor, "membership.delete", ("membership", id), Some(&current), None::<&()>, now).await?;
    txn.commit().await?;
    Ok(current)
}

fn title_of(title: Option<&str>) -> Result<Option<String>> {
    match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => {
            validate::limit("title", t, 100)?;
            Ok(Some(t.to_owned()))
        }
        None => Ok(None),
    }
}

async fn person_for(
    db: &impl ConnectionTrait,
    s: Scope<'_>,
    subject: &str,
    display_name: Option<String>,
    email: Option<String>,
) -> Result<Uuid> {
    let subject = validate::title("subject", subject)?;
    let now = s.clock.now();
    let row = person::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(s.actor.organization_id),
        subject: Set(subject.clone()),
        email: Set(email),
        display_name: Set(display_name),
        created_at: Set(now),
        updated_at: Set(now),
    };
    person::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([person::Column::OrganizationId, person::Column::Subject]).do_nothing().to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let found = person::Entity::find()
        .filter(person::Column::OrganizationId.eq(s.actor.organization_id))
        .filter(person::Column::Subject.eq(subject))
        .one(db)
        .await?;
    found.map(|p| p.id).ok_or_else(|| Error::Conflict("the person could not be created".into()))
}
