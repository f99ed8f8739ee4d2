//! People and their team memberships.

use crate::Actor;
use crate::tenant::scoped;
use entity::{membership, person};
use sea_orm::{ColumnTrait, QueryFilter, Select};
use uuid::Uuid;

/// The memberships of one team, or of one person.
pub fn memberships(actor: &Actor, team_id: Option<Uuid>, person_id: Option<Uuid>) -> Select<membership::Entity> {
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
pub fn people(actor: &Actor) -> Select<person::Entity> {
    scoped::<person::Entity>(actor)
}
