//! `Webhook`, its `WebhookDelivery`s and their attempts (admins only).

use crate::graphql::connection::{Conn, PageArgs, from_query};
use crate::graphql::context::scope;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::scalars::{DateTime, Json};
use crate::graphql::team::Team;
use crate::webhooks::body;
use async_graphql::{Context, Enum, ID, Object, Result};
use entity::{webhook, webhook_attempt, webhook_delivery};
use std::sync::Arc;

/// A change an endpoint can hear; its body's `type` is in parentheses.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "service::webhooks::EventType")]
pub enum WebhookEventType {
    /// A check-in was recorded (`check_in.recorded`); in order per key result.
    CheckInRecorded,
    /// An objective was created, edited, aligned, activated, closed, carried over or
    /// archived (`objective.changed`); in order per objective.
    ObjectiveChanged,
    /// A cycle was activated (`cycle.activated`).
    CycleActivated,
    /// A cycle was closed (`cycle.closed`).
    CycleClosed,
    /// An insight of an active cycle began to hold, or changed severity (`insight.raised`);
    /// in order per insight.
    InsightRaised,
    /// An insight stopped holding (`insight.cleared`), as it last held.
    InsightCleared,
}

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::DeliveryState")]
pub enum WebhookDeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt of the retry window failed; `redeliverWebhook` sends it again.
    Failed,
}

/// An endpoint that hears the organization's changes, each signed with its secret.
pub struct Webhook(pub Arc<webhook::Model>);

#[Object]
impl Webhook {
    pub async fn id(&self) -> ID {
        encode(Kind::Webhook, self.0.id)
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn event_types(&self) -> Vec<WebhookEventType> {
        service::webhooks::event_types(&self.0).into_iter().map(Into::into).collect()
    }
    /// Only this team's changes (cycle events concern every team and always go).
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        let Some(team) = self.0.team_id else { return Ok(None) };
        Ok(scope(ctx)?.loaders.teams.load_one(team).await.gql()?.map(Team))
    }
    /// False when an admin turned it off or every delivery failed for the retry window.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Since when every attempt has failed; none while it answers.
    async fn failing_since(&self) -> Option<DateTime> {
        self.0.failing_since.map(DateTime)
    }
    /// When the sender disabled it, and why; `updateWebhook(enabled: true)` starts it afresh.
    async fn disabled_at(&self) -> Option<DateTime> {
        self.0.disabled_at.map(DateTime)
    }
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
    /// Its deliveries, oldest first (`last: 20` for the newest), in `state` when given.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        state: Option<WebhookDeliveryState>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<WebhookDelivery>> {
        let s = scope(ctx)?;
        let query = service::webhooks::deliveries(s.actor, self.0.id, state.map(Into::into)).gql()?;
        let args = PageArgs::new(first, after, last, before);
        from_query(s.db, query, &args, Kind::WebhookDelivery, WebhookDelivery).await
    }
}

/// One event on its way to one endpoint.
pub struct WebhookDelivery(pub Arc<webhook_delivery::Model>);

#[Object]
impl WebhookDelivery {
    pub async fn id(&self) -> ID {
        encode(Kind::WebhookDelivery, self.0.id)
    }
    async fn webhook(&self, ctx: &Context<'_>) -> Result<Webhook> {
        let id = self.0.webhook_id;
        let found = scope(ctx)?.loaders.webhooks.load_one(id).await.gql()?;
        found.map(Webhook).ok_or(service::Error::not_found("webhook", id)).gql()
    }
    /// The `webhook-id` header: the same for every attempt and every endpoint of the event,
    /// for receivers to deduplicate on.
    async fn message_id(&self) -> String {
        body::message_id(&self.0)
    }
    async fn event_type(&self) -> Option<WebhookEventType> {
        service::webhooks::EventType::parse(&self.0.event_type).map(Into::into)
    }
    /// What the event is about: the key result of a check-in, the objective, the cycle.
    async fn subject_id(&self) -> ID {
        body::subject(&self.0)
    }
    /// The body as sent (`type`, `timestamp`, `data`).
    async fn payload(&self) -> Json {
        Json(body::render(&self.0))
    }
    async fn state(&self) -> WebhookDeliveryState {
        self.0.state.into()
    }
    /// Attempts made so far.
    async fn attempt_count(&self) -> i32 {
        self.0.attempts
    }
    /// When the next attempt is due; none once delivered or given up.
    async fn next_attempt_at(&self) -> Option<DateTime> {
        (self.0.state == entity::DeliveryState::Pending).then_some(DateTime(self.0.next_attempt_at))
    }
    async fn last_attempt_at(&self) -> Option<DateTime> {
        self.0.last_attempt_at.map(DateTime)
    }
    /// The HTTP status of the last attempt, when the endpoint answered.
    async fn last_status(&self) -> Option<i32> {
        self.0.last_status
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// How long the last attempt took, in milliseconds.
    async fn last_duration_ms(&self) -> Option<i32> {
        self.0.last_duration_ms
    }
    async fn delivered_at(&self) -> Option<DateTime> {
        self.0.delivered_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    /// Its attempts, the latest first, at most `last`.
    async fn attempts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, validator(minimum = 0, maximum = 100))] last: i32,
    ) -> Result<Vec<WebhookAttempt>> {
        let rows = scope(ctx)?.loaders.attempts_of_delivery.load_one(self.0.id).await.gql()?.unwrap_or_default();
        Ok(rows.into_iter().take(usize::try_from(last).unwrap_or(0)).map(WebhookAttempt).collect())
    }
}

/// One try at a delivery.
pub struct WebhookAttempt(pub Arc<webhook_attempt::Model>);

#[Object]
impl WebhookAttempt {
    async fn attempted_at(&self) -> DateTime {
        DateTime(self.0.attempted_at)
    }
    /// The HTTP status, when the endpoint answered.
    async fn status(&self) -> Option<i32> {
        self.0.status
    }
    /// Why it failed: no answer (refused, timed out, an internal address) or a non-2xx one.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn duration_ms(&self) -> i32 {
        self.0.duration_ms
    }
}
