//! People and their team memberships: the lists, and the one way a person is created.

use crate::tenant::{Owner, Scoped, scoped};
use crate::{Actor, Error, Result, new_id, tenant};
use chrono::{DateTime, Utc};
use entity::{membership, person};
use sea_orm::{ColumnTrait, ConnectionTrait};
use uuid::Uuid;

/// The memberships of one team, or of one person.
pub fn memberships(actor: &Actor, team_id: Option<Uuid>, person_id: Option<Uuid>) -> Scoped<membership::Entity> {
    let mut select = scoped::<membership::Entity>(actor);
    if let Some(team_id) = team_id {
        select = select.filter(membership::Column::TeamId.eq(team_id));
    }
    if let Some(person_id) = person_id {
        select = select.filter(membership::Column::PersonId.eq(person_id));
    }
    select
}

/// Every person of the organization.
pub fn people(actor: &Actor) -> Scoped<person::Entity> {
    scoped::<person::Entity>(actor)
}

/// How a person is shown, when a token or an admin says.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// The person with `subject` in the owner's organization, created with `profile` on first
/// sight. Two first requests can race: the loser's insert does nothing and both read the
/// winner.
pub async fn upsert(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    subject: &str,
    profile: Profile,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let org = owner.org();
    let find = || scoped::<person::Entity>(org).filter(person::Column::Subject.eq(subject)).one(db);
    if let Some(found) = find().await? {
        return Ok(found.id);
    }
    let row = person::Model {
        id: new_id(),
        organization_id: org.id(),
        subject: subject.to_owned(),
        email: profile.email,
        display_name: profile.display_name,
        created_at: now,
        updated_at: now,
    };
    tenant::insert_or_keep::<person::Entity>(db, org, row, [person::Column::OrganizationId, person::Column::Subject])
        .await?;
    find().await?.map(|p| p.id).ok_or_else(|| Error::Conflict("the person could not be created".into()))
}
