//! Who is calling: the [`Actor`] built from a verified token's claims, and the lookup
//! that creates people (and, for admins, organizations) on first sight.

use crate::{Clock, Error, Result, new_id};
use entity::{FocusPolicyMode, organization, person};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

/// A person's role in their organization, from the token's `role` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrgRole {
    /// Reads everything in the organization, changes nothing.
    Viewer,
    /// Reads everything; checks in and edits where their team role allows.
    Member,
    /// Manages the organization: teams, memberships, cycles, policy, every OKR.
    Admin,
}

impl OrgRole {
    /// Parses the `role` claim (`admin`, `member`, `viewer`).
    pub fn parse(claim: &str) -> Option<Self> {
        match claim {
            "admin" => Some(OrgRole::Admin),
            "member" => Some(OrgRole::Member),
            "viewer" => Some(OrgRole::Viewer),
            _ => None,
        }
    }

    /// The claim spelling of this role.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Admin => "admin",
            OrgRole::Member => "member",
            OrgRole::Viewer => "viewer",
        }
    }
}

/// The verified claims of a token, before we know the person.
#[derive(Debug, Clone)]
pub struct Identity {
    pub org_slug: String,
    pub subject: String,
    pub role: OrgRole,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// The caller of a service function: a person acting inside one organization.
#[derive(Debug, Clone)]
pub struct Actor {
    pub organization_id: Uuid,
    pub person_id: Uuid,
    pub role: OrgRole,
}

/// Remembers who a (organization slug, subject) pair is, so that a request does not pay
/// two lookups before its real work. Organizations and people are never deleted, so an
/// entry never goes stale; the role always comes from the token, never from here. The
/// cache only holds what the database would answer again, and starts over when full.
#[derive(Debug, Default)]
pub struct Identities {
    known: std::sync::RwLock<std::collections::HashMap<(String, String), (Uuid, Uuid)>>,
}

/// Entries an [`Identities`] cache holds before it starts over.
const MAX_IDENTITIES: usize = 100_000;

impl Identities {
    /// [`identify`], answered from memory for callers seen before.
    pub async fn identify(&self, db: &DatabaseConnection, clock: &dyn Clock, identity: &Identity) -> Result<Actor> {
        let key = (identity.org_slug.clone(), identity.subject.clone());
        let cached = self.known.read().ok().and_then(|known| known.get(&key).copied());
        if let Some((organization_id, person_id)) = cached {
            return Ok(Actor { organization_id, person_id, role: identity.role });
        }
        let actor = identify(db, clock, identity).await?;
        if let Ok(mut known) = self.known.write() {
            if known.len() >= MAX_IDENTITIES {
                known.clear();
            }
            known.insert(key, (actor.organization_id, actor.person_id));
        }
        Ok(actor)
    }
}

/// Turns verified claims into an [`Actor`], creating the person on first sight.
///
/// An admin token for an organization slug that does not exist yet provisions that
/// organization (default policy, UTC); any other role gets `UNAUTHENTICATED`, so a
/// member token cannot conjure up a tenant.
pub async fn identify(db: &DatabaseConnection, clock: &dyn Clock, identity: &Identity) -> Result<Actor> {
    let organization = match organization_by_slug(db, &identity.org_slug).await? {
        Some(found) => found,
        None if identity.role == OrgRole::Admin => provision(db, clock, &identity.org_slug).await?,
        None => {
            return Err(Error::Unauthenticated(format!(
                "organization {:?} does not exist; an admin token creates it on first use",
                identity.org_slug
            )));
        }
    };
    let person = find_or_create_person(db, clock, organization.id, identity).await?;
    Ok(Actor { organization_id: organization.id, person_id: person.id, role: identity.role })
}

async fn organization_by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<organization::Model>> {
    Ok(organization::Entity::find().filter(organization::Column::Slug.eq(slug)).one(db).await?)
}

async fn provision(db: &DatabaseConnection, clock: &dyn Clock, slug: &str) -> Result<organization::Model> {
    if slug.is_empty() || slug.len() > 64 {
        return Err(Error::Unauthenticated("the org claim must be 1 to 64 characters".into()));
    }
    let now = clock.now();
    let row = organization::ActiveModel {
        id: Set(new_id()),
        name: Set(slug.to_owned()),
        slug: Set(slug.to_owned()),
        timezone: Set("UTC".into()),
        max_objectives_per_team: Set(5),
        max_key_results_per_objective: Set(5),
        focus_policy_mode: Set(FocusPolicyMode::Enforce),
        created_at: Set(now),
        updated_at: Set(now),
    };
    // Two first requests can race: the loser's insert does nothing and both read the winner.
    organization::Entity::insert(row)
        .on_conflict(OnConflict::column(organization::Column::Slug).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    organization_by_slug(db, slug)
        .await?
        .ok_or_else(|| Error::Unauthenticated(format!("organization {slug:?} could not be created")))
}

async fn find_or_create_person(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    organization_id: Uuid,
    identity: &Identity,
) -> Result<person::Model> {
    let find = || {
        person::Entity::find()
            .filter(person::Column::OrganizationId.eq(organization_id))
            .filter(person::Column::Subject.eq(&identity.subject))
            .one(db)
    };
    if let Some(found) = find().await? {
        return Ok(found);
    }
    let now = clock.now();
    let row = person::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(organization_id),
        subject: Set(identity.subject.clone()),
        email: Set(identity.email.clone()),
        display_name: Set(identity.name.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    person::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([person::Column::OrganizationId, person::Column::Subject]).do_nothing().to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    find().await?.ok_or_else(|| Error::Unauthenticated("the person could not be created".into()))
}
