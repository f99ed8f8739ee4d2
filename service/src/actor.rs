//! Who is calling: the [`Actor`] built from a verified token's claims, and the lookup
//! that creates people (and, for admins, organizations) on first sight.

use crate::people::{self, Profile};
use crate::permissions::TokenScope;
use crate::tenant::Org;
use crate::{Clock, Error, Result, organizations};
use sea_orm::DatabaseConnection;
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
    /// The widest of our scopes the token carries; `None` when it carries none of ours
    /// (a person's token, bounded by the role alone).
    pub scope: Option<TokenScope>,
    /// No person is behind the token: `subject` names an integration.
    pub integration: bool,
}

impl Identity {
    /// A person's identity with no scopes.
    pub fn person(org_slug: impl Into<String>, subject: impl Into<String>, role: OrgRole) -> Self {
        Identity {
            org_slug: org_slug.into(),
            subject: subject.into(),
            role,
            email: None,
            name: None,
            scope: None,
            integration: false,
        }
    }
}

/// The caller of a service function: a person acting inside one organization. Only
/// [`identify`] makes one, from verified claims, so every organization an [`Org`] names
/// is one a token was verified into.
#[derive(Debug, Clone)]
pub struct Actor {
    org: Org,
    person_id: Uuid,
    role: OrgRole,
    scope: TokenScope,
    integration: bool,
}

impl Actor {
    /// The actor's organization, the key to its tenant's rows.
    pub fn org(&self) -> Org {
        self.org
    }

    /// The actor's organization's id.
    pub fn organization_id(&self) -> Uuid {
        self.org.id()
    }

    /// The person acting.
    pub fn person_id(&self) -> Uuid {
        self.person_id
    }

    /// Their role in the organization, from the token.
    pub fn role(&self) -> OrgRole {
        self.role
    }

    /// The widest scope the token allows (`admin` for an unscoped token).
    pub fn scope(&self) -> TokenScope {
        self.scope
    }

    /// Whether an integration, not a person, is calling.
    pub fn is_integration(&self) -> bool {
        self.integration
    }

    /// The server itself reading `org` on nobody's behalf (the webhook insight feed): it
    /// reads, never writes through the unit of work, and is nobody in the audit trail.
    pub(crate) fn system(org: Org) -> Self {
        Actor { org, person_id: Uuid::nil(), role: OrgRole::Viewer, scope: TokenScope::OkrRead, integration: true }
    }

    fn new(org: Org, person_id: Uuid, identity: &Identity) -> Self {
        let scope = identity.scope.unwrap_or(TokenScope::Admin);
        Actor { org, person_id, role: identity.role, scope, integration: identity.integration }
    }
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
            return Ok(Actor::new(Org::verified(organization_id), person_id, identity));
        }
        let actor = identify(db, clock, identity).await?;
        if let Ok(mut known) = self.known.write() {
            if known.len() >= MAX_IDENTITIES {
                known.clear();
            }
            known.insert(key, (actor.organization_id(), actor.person_id));
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
    let organization = match organizations::by_slug(db, &identity.org_slug).await? {
        Some(found) => found,
        None if identity.role == OrgRole::Admin => {
            organizations::provision(db, clock, &identity.org_slug, &identity.org_slug, "UTC").await?
        }
        None => {
            return Err(Error::Unauthenticated(format!(
                "organization {:?} does not exist; an admin token creates it on first use",
                identity.org_slug
            )));
        }
    };
    let org = Org::verified(organization.id);
    let integration = identity.integration.then(|| format!("{} (integration)", identity.subject));
    let profile = Profile { display_name: identity.name.clone().or(integration), email: identity.email.clone() };
    let person_id = people::upsert(db, org, &identity.subject, profile, clock.now()).await?;
    Ok(Actor::new(org, person_id, identity))
}
