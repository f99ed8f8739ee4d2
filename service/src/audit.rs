//! The audit trail: one event per change, written in the change's own transaction.

use crate::{Result, new_id};
use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change {
    pub organization_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes `change` through `db`, which should be the transaction making the change.
pub async fn record(db: &impl ConnectionTrait, change: Change, at: DateTime<Utc>) -> Result<()> {
    let row = audit_event::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(change.organization_id),
        actor_id: Set(change.actor_id),
        action: Set(change.action.to_owned()),
        entity_type: Set(change.entity_type.to_owned()),
        entity_id: Set(change.entity_id),
        before: Set(change.before),
        after: Set(change.after),
        occurred_at: Set(at),
    };
    audit_event::Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// Records that `actor` did `action` (e.g. `objective.activate`) to the row `entity`
/// (its type and id), with the row before and after (as JSON) where there is one.
pub async fn log<B: serde::Serialize, A: serde::Serialize>(
    db: &impl ConnectionTrait,
    actor: &crate::Actor,
    action: &'static str,
    (entity_type, entity_id): (&'static str, Uuid),
    before: Option<&B>,
    after: Option<&A>,
    at: DateTime<Utc>,
) -> Result<()> {
    let json = |value: Option<serde_json::Value>| value.filter(|v| !v.is_null());
    let change = Change {
        organization_id: actor.organization_id,
        actor_id: Some(actor.person_id),
        action,
        entity_type,
        entity_id,
        before: json(before.and_then(|b| serde_json::to_value(b).ok())),
        after: json(after.and_then(|a| serde_json::to_value(a).ok())),
    };
    record(db, change, at).await
}

/// Which audit events to list; filters combine.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The organization's audit events matching `filter`, oldest first.
pub fn query(actor: &crate::Actor, filter: &AuditFilter) -> sea_orm::Select<audit_event::Entity> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut select = crate::tenant::scoped::<audit_event::Entity>(actor);
    if let Some(id) = filter.entity_id {
        select = select.filter(audit_event::Column::EntityId.eq(id));
    }
    if let Some(id) = filter.actor_id {
        select = select.filter(audit_event::Column::ActorId.eq(id));
    }
    if let Some(since) = filter.since {
        select = select.filter(audit_event::Column::OccurredAt.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(audit_event::Column::OccurredAt.lt(until));
    }
    select
}
