//! The Relay `Node` interface and lookups by global id.

use crate::graphql::check_in::CheckIn;
use crate::graphql::context::Scope;
use crate::graphql::cycle::Cycle;
use crate::graphql::dependency::Dependency;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, decode};
use crate::graphql::initiative::{AuditEvent, Initiative};
use crate::graphql::key_result::KeyResult;
use crate::graphql::objective::Objective;
use crate::graphql::organization::Organization;
use crate::graphql::person::{Membership, Person};
use crate::graphql::team::Team;
use crate::graphql::team_week::TeamWeekNote;
use crate::graphql::theme::Theme;
use crate::graphql::webhook::{Webhook, WebhookDelivery};
use async_graphql::{ID, Interface, Result};
use entity::{audit_event, check_in, dependency, initiative, membership, team_week};
use service::tenant;

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The opaque global id."))]
pub enum Node {
    Organization(Organization),
    Person(Person),
    Team(Team),
    Membership(Membership),
    Cycle(Cycle),
    Objective(Objective),
    KeyResult(KeyResult),
    CheckIn(CheckIn),
    Dependency(Dependency),
    Initiative(Initiative),
    AuditEvent(AuditEvent),
    TeamWeekNote(TeamWeekNote),
    Theme(Theme),
    Webhook(Webhook),
    WebhookDelivery(WebhookDelivery),
}

/// The node behind a global id, or none when it does not exist in the caller's
/// organization (ids of other tenants and malformed ids look the same).
pub async fn resolve(s: &Scope<'_>, id: &ID) -> Result<Option<Node>> {
    let Some((kind, uuid)) = decode(id) else {
        return Ok(None);
    };
    let l = s.loaders;
    Ok(match kind {
        Kind::Organization => organization(s, uuid).await?,
        Kind::Person => l.people.load_one(uuid).await.gql()?.map(|m| Node::Person(Person(m))),
        Kind::Team => l.teams.load_one(uuid).await.gql()?.map(|m| Node::Team(Team(m))),
        Kind::Cycle => l.cycles.load_one(uuid).await.gql()?.map(|m| Node::Cycle(Cycle(m))),
        Kind::Objective => l.objectives.load_one(uuid).await.gql()?.map(|m| Node::Objective(Objective(m))),
        Kind::KeyResult => l.key_results.load_one(uuid).await.gql()?.map(|m| Node::KeyResult(KeyResult(m))),
        Kind::Membership => found(tenant::get::<membership::Entity>(s.db, s.actor, uuid).await)?
            .map(|m| Node::Membership(Membership(m.into()))),
        Kind::CheckIn => {
            found(tenant::get::<check_in::Entity>(s.db, s.actor, uuid).await)?.map(|m| Node::CheckIn(CheckIn(m.into())))
        }
        Kind::Dependency => found(tenant::get::<dependency::Entity>(s.db, s.actor, uuid).await)?
            .map(|m| Node::Dependency(Dependency(m.into()))),
        Kind::Initiative => found(tenant::get::<initiative::Entity>(s.db, s.actor, uuid).await)?
            .map(|m| Node::Initiative(Initiative(m.into()))),
        Kind::AuditEvent => found(tenant::get::<audit_event::Entity>(s.db, s.actor, uuid).await)?
            .map(|m| Node::AuditEvent(AuditEvent(m.into()))),
        // Insights are computed for a cycle, not stored: their ids name findings to match
        // across reads, not rows to fetch.
        Kind::Insight => None,
        Kind::TeamWeekNote => found(tenant::get::<team_week::Entity>(s.db, s.actor, uuid).await)?
            .map(|m| Node::TeamWeekNote(TeamWeekNote(m.into()))),
        Kind::Theme => l.themes.load_one(uuid).await.gql()?.map(|m| Node::Theme(Theme(m))),
        Kind::Webhook => {
            found(service::webhooks::get(s.db, s.actor, uuid).await)?.map(|m| Node::Webhook(Webhook(m.into())))
        }
        Kind::WebhookDelivery => found(service::webhooks::delivery(s.db, s.actor, uuid).await)?
            .map(|m| Node::WebhookDelivery(WebhookDelivery(m.into()))),
    })
}

async fn organization(s: &Scope<'_>, uuid: uuid::Uuid) -> Result<Option<Node>> {
    if uuid != s.actor.organization_id() {
        return Ok(None);
    }
    let org = service::organizations::current(s.db, s.actor).await.gql()?;
    Ok(Some(Node::Organization(Organization(org.into()))))
}

/// NOT_FOUND as `None`; every other failure stays an error.
fn found<T>(result: service::Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(service::Error::NotFound { .. }) => Ok(None),
        Err(other) => Err(crate::graphql::error::from_service(&other)),
    }
}
