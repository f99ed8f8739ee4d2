//! Managing webhook endpoints and redelivering (admins).

use crate::graphql::context::{AppData, scope};
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode, expect};
use crate::graphql::mutation::{clearable, written};
use crate::graphql::webhook::{Webhook, WebhookDelivery, WebhookEventType};
use crate::payload;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use service::webhooks::write::{self as webhooks, NewWebhook, WebhookPatch};

#[derive(Default)]
pub struct WebhookMutation;

/// A new endpoint.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    pub client_mutation_id: Option<String>,
    /// `https://…` (or `http://…`); it must resolve to a public address.
    pub url: String,
    /// What it hears; at least one.
    pub event_types: Vec<WebhookEventType>,
    /// Only this team's changes; cycle events go to every endpoint.
    pub team_id: Option<ID>,
    #[graphql(default = true)]
    pub enabled: bool,
}

/// Changes to an endpoint.
#[derive(InputObject)]
pub struct UpdateWebhookInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    pub url: Option<String>,
    pub event_types: Option<Vec<WebhookEventType>>,
    /// `null` hears every team again.
    pub team_id: MaybeUndefined<ID>,
    /// `true` also starts afresh an endpoint the sender disabled.
    pub enabled: Option<bool>,
    /// Replace the secret; the payload shows the new one, once.
    #[graphql(default)]
    pub rotate_secret: bool,
}

/// An endpoint to remove, with its deliveries.
#[derive(InputObject)]
pub struct DeleteWebhookInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
}

/// A delivery to send again.
#[derive(InputObject)]
pub struct RedeliverWebhookInput {
    pub client_mutation_id: Option<String>,
    pub delivery_id: ID,
}

payload!(
    /// The new endpoint and its signing secret.
    CreateWebhookPayload {
        webhook: Webhook,
        /// `whsec_…`: shown this once; keep it where the receiver verifies signatures.
        secret: String,
    }
);
payload!(
    /// The endpoint after the change.
    UpdateWebhookPayload {
        webhook: Webhook,
        /// The new secret when `rotateSecret` was asked, shown this once.
        secret: Option<String>,
    }
);
payload!(
    /// The removed endpoint's id.
    DeleteWebhookPayload { deleted_webhook_id: ID }
);
payload!(
    /// The delivery, pending again.
    RedeliverWebhookPayload { delivery: WebhookDelivery }
);

#[Object]
impl WebhookMutation {
    /// Registers an endpoint (admins). The answer holds its secret, shown only here.
    async fn create_webhook(&self, ctx: &Context<'_>, input: CreateWebhookInput) -> Result<CreateWebhookPayload> {
        let s = scope(ctx)?;
        let new = NewWebhook {
            url: input.url,
            event_types: input.event_types.into_iter().map(Into::into).collect(),
            team_id: input.team_id.as_ref().map(|id| expect(Kind::Team, id)).transpose()?,
            enabled: input.enabled,
        };
        let saved = webhooks::create(s.service(), &ctx.data::<AppData>()?.destinations, new).await.gql()?;
        let secret = saved.secret.unwrap_or_default();
        Ok(written(
            &s,
            CreateWebhookPayload {
                client_mutation_id: input.client_mutation_id,
                webhook: Webhook(saved.webhook.into()),
                secret,
            },
        ))
    }

    /// Edits, enables or disables an endpoint, or rotates its secret (admins).
    async fn update_webhook(&self, ctx: &Context<'_>, input: UpdateWebhookInput) -> Result<UpdateWebhookPayload> {
        let s = scope(ctx)?;
        let patch = WebhookPatch {
            url: input.url,
            event_types: input.event_types.map(|types| types.into_iter().map(Into::into).collect()),
            team_id: clearable(Kind::Team, input.team_id)?,
            enabled: input.enabled,
            rotate_secret: input.rotate_secret,
        };
        let id = expect(Kind::Webhook, &input.id)?;
        let saved = webhooks::update(s.service(), &ctx.data::<AppData>()?.destinations, id, patch).await.gql()?;
        Ok(written(
            &s,
            UpdateWebhookPayload {
                client_mutation_id: input.client_mutation_id,
                webhook: Webhook(saved.webhook.into()),
                secret: saved.secret,
            },
        ))
    }

    /// Removes an endpoint and its deliveries (admins).
    async fn delete_webhook(&self, ctx: &Context<'_>, input: DeleteWebhookInput) -> Result<DeleteWebhookPayload> {
        let s = scope(ctx)?;
        let id = expect(Kind::Webhook, &input.id)?;
        webhooks::delete(s.service(), id).await.gql()?;
        Ok(written(
            &s,
            DeleteWebhookPayload {
                client_mutation_id: input.client_mutation_id,
                deleted_webhook_id: encode(Kind::Webhook, id),
            },
        ))
    }

    /// Sends a delivery again, with the same `webhook-id` and a fresh retry window (admins).
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        input: RedeliverWebhookInput,
    ) -> Result<RedeliverWebhookPayload> {
        let s = scope(ctx)?;
        let delivery =
            webhooks::redeliver(s.service(), expect(Kind::WebhookDelivery, &input.delivery_id)?).await.gql()?;
        Ok(written(
            &s,
            RedeliverWebhookPayload {
                client_mutation_id: input.client_mutation_id,
                delivery: WebhookDelivery(delivery.into()),
            },
        ))
    }
}
