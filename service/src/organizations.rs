//! The actor's organization and its policy.

use crate::{Actor, Error, Result};
use entity::organization;
use sea_orm::{ConnectionTrait, EntityTrait};

/// The organization the actor belongs to.
pub async fn current(db: &impl ConnectionTrait, actor: &Actor) -> Result<organization::Model> {
    organization::Entity::find_by_id(actor.organization_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("organization", actor.organization_id))
}
