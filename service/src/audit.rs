//! The audit trail: one event per change, written in the change's own transaction.

use crate::tenant::{Org, Scoped};
use crate::{Result, new_id};
use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// What a change was made to: the audited row's type and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Organization(Uuid),
    Person(Uuid),
    Team(Uuid),
    Membership(Uuid),
    Cycle(Uuid),
    Objective(Uuid),
    KeyResult(Uuid),
    CheckIn(Uuid),
    Initiative(Uuid),
    Dependency(Uuid),
    TeamWeek(Uuid),
    Theme(Uuid),
    Webhook(Uuid),
    WebhookDelivery(Uuid),
}

impl Target {
    /// The row's type as the audit trail names it (`objective`, `key_result`).
    pub fn entity_type(self) -> &'static str {
        match self {
            Target::Organization(_) => "organization",
            Target::Person(_) => "person",
            Target::Team(_) => "team",
            Target::Membership(_) => "membership",
            Target::Cycle(_) => "cycle",
            Target::Objective(_) => "objective",
            Target::KeyResult(_) => "key_result",
            Target::CheckIn(_) => "check_in",
            Target::Initiative(_) => "initiative",
            Target::Dependency(_) => "dependency",
            Target::TeamWeek(_) => "team_week",
            Target::Theme(_) => "theme",
            Target::Webhook(_) => "webhook",
            Target::WebhookDelivery(_) => "webhook_delivery",
        }
    }

    /// The row's id.
    pub fn id(self) -> Uuid {
        match self {
            Target::Organization(id)
            | Target::Person(id)
            | Target::Team(id)
            | Target::Membership(id)
            | Target::Cycle(id)
            | Target::Objective(id)
            | Target::KeyResult(id)
            | Target::CheckIn(id)
            | Target::Initiative(id)
            | Target::Dependency(id)
            | Target::TeamWeek(id)
            | Target::Theme(id)
            | Target::Webhook(id)
            | Target::WebhookDelivery(id) => id,
        }
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    org: Org,
    actor_id: Option<Uuid>,
    target: Target,
    verb: &'static str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl Change {
    /// `actor` did `verb` to `target`, which looked like `before` and then like `after`.
    pub(crate) fn by<B: serde::Serialize, A: serde::Serialize>(
        actor: &crate::Actor,
        target: Target,
        verb: &'static str,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Self {
        let json = |value: Option<serde_json::Value>| value.filter(|v| !v.is_null());
        Change {
            org: actor.org(),
            actor_id: Some(actor.person_id()),
            target,
            verb,
            before: json(before.and_then(|b| serde_json::to_value(b).ok())),
            after: json(after.and_then(|a| serde_json::to_value(a).ok())),
        }
    }
}

/// Writes `change` through `db`, the transaction making the change. The action is the
/// target's type and the verb: `objective.activate`.
pub(crate) async fn record(db: &impl ConnectionTrait, change: Change, at: DateTime<Utc>) -> Result<()> {
    let org = change.org;
    crate::tenant::insert::<audit_event::Entity>(db, org, row(change, at)).await
}

/// Writes many changes at once, in statements of at most [`CHUNK`] rows, through `db`,
/// the transaction making them.
pub(crate) async fn record_many(
    db: &impl ConnectionTrait,
    org: Org,
    changes: Vec<Change>,
    at: DateTime<Utc>,
) -> Result<()> {
    let rows = changes.into_iter().map(|change| row(change, at));
    crate::tenant::insert_many::<audit_event::Entity>(db, org, rows, CHUNK).await
}

/// The audit row of `change`, made `at`.
fn row(change: Change, at: DateTime<Utc>) -> audit_event::Model {
    let entity_type = change.target.entity_type();
    audit_event::Model {
        id: new_id(),
        organization_id: change.org.id(),
        actor_id: change.actor_id,
        action: format!("{entity_type}.{}", change.verb),
        entity_type: entity_type.to_owned(),
        entity_id: change.target.id(),
        before: change.before,
        after: change.after,
        occurred_at: at,
    }
}

/// Audit rows per statement: 9 values each, well under SQLite's 32,766 bound values.
const CHUNK: usize = 1_000;

/// Which audit events to list; filters combine.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The organization's audit events matching `filter`, oldest first.
pub fn query(actor: &crate::Actor, filter: &AuditFilter) -> Scoped<audit_event::Entity> {
    use sea_orm::ColumnTrait;
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
