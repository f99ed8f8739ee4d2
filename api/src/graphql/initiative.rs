//! `Initiative` and `AuditEvent`.

use crate::graphql::context::scope;
use crate::graphql::enums::{InitiativeState, Level, Quadrant};
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::key_result::KeyResult;
use crate::graphql::person::Person;
use crate::graphql::scalars::DateTime;
use crate::graphql::scalars::Json;
use async_graphql::{Context, ID, Object, Result};
use entity::{audit_event, initiative};

/// An activity that should move a key result; individuals are assigned here.
pub struct Initiative(pub std::sync::Arc<initiative::Model>);

#[Object]
impl Initiative {
    pub async fn id(&self) -> ID {
        encode(Kind::Initiative, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn state(&self) -> InitiativeState {
        self.0.state.into()
    }
    /// Expected impact on the key result, when rated.
    async fn impact(&self) -> Option<Level> {
        self.0.impact.map(Into::into)
    }
    /// Effort it takes, when rated.
    async fn effort(&self) -> Option<Level> {
        self.0.effort.map(Into::into)
    }
    /// Its place on the impact/effort matrix, once impact and effort are both rated.
    async fn quadrant(&self) -> Option<Quadrant> {
        service::planning::initiatives::Quadrant::of(self.0.impact, self.0.effort).map(Into::into)
    }
    async fn key_result(&self, ctx: &Context<'_>) -> Result<Option<KeyResult>> {
        Ok(scope(ctx)?.loaders.key_results.load_one(self.0.key_result_id).await.gql()?.map(KeyResult))
    }
    /// The team member doing it.
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(assignee) = self.0.assignee_id else { return Ok(None) };
        Ok(scope(ctx)?.loaders.people.load_one(assignee).await.gql()?.map(Person))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

/// Who changed what, when.
pub struct AuditEvent(pub std::sync::Arc<audit_event::Model>);

#[Object]
impl AuditEvent {
    pub async fn id(&self) -> ID {
        encode(Kind::AuditEvent, self.0.id)
    }
    /// What happened, e.g. `objective.activate`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The changed entity's type, e.g. `objective`.
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    /// The changed entity's global id.
    async fn entity_id(&self) -> ID {
        let kind = match self.0.entity_type.as_str() {
            "organization" => Kind::Organization,
            "team" => Kind::Team,
            "membership" => Kind::Membership,
            "cycle" => Kind::Cycle,
            "objective" => Kind::Objective,
            "key_result" => Kind::KeyResult,
            "check_in" => Kind::CheckIn,
            "initiative" => Kind::Initiative,
            "dependency" => Kind::Dependency,
            "team_week" => Kind::TeamWeekNote,
            "theme" => Kind::Theme,
            "webhook" => Kind::Webhook,
            "webhook_delivery" => Kind::WebhookDelivery,
            _ => Kind::AuditEvent,
        };
        encode(kind, self.0.entity_id)
    }
    /// Who did it; none for system changes.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(actor) = self.0.actor_id else { return Ok(None) };
        Ok(scope(ctx)?.loaders.people.load_one(actor).await.gql()?.map(Person))
    }
    /// The row before the change.
    async fn before(&self) -> Option<Json> {
        self.0.before.clone().map(Json)
    }
    /// The row after the change.
    async fn after(&self) -> Option<Json> {
        self.0.after.clone().map(Json)
    }
    async fn occurred_at(&self) -> DateTime {
        DateTime(self.0.occurred_at)
    }
}
