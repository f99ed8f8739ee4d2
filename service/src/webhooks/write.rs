//! Managing endpoints and redelivering (admins). Secrets are made here and shown once:
//! on creation and on rotation.

use super::destination::Destinations;
use super::{EventType, stored_types};
use crate::audit::Target;
use crate::permissions::{self, TokenScope};
use crate::scope::Scope;
use crate::tenant::{self, scoped};
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use entity::{DeliveryState, team, webhook, webhook_delivery};
use rand::RngCore;
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// Endpoints one organization may have: each event is sent to each of them.
pub const MAX_PER_ORGANIZATION: u64 = 25;

/// A new endpoint.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub event_types: Vec<EventType>,
    /// Only this team's changes (cycle events concern every team and always go).
    pub team_id: Option<Uuid>,
    pub enabled: bool,
}

/// Changes to an endpoint; `None` leaves a field, `Some(None)` clears the team.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub team_id: Option<Option<Uuid>>,
    pub enabled: Option<bool>,
    /// A new secret replaces the old one at once.
    pub rotate_secret: bool,
}

/// An endpoint after a change, with its secret when the change made one.
#[derive(Debug, Clone)]
pub struct Saved {
    pub webhook: webhook::Model,
    pub secret: Option<String>,
}

/// Registers an endpoint (admins); its URL must reach a permitted address now.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id()))]
pub async fn create(s: Scope<'_>, destinations: &Destinations, new: NewWebhook) -> Result<Saved> {
    permissions::require_admin(s.actor, "manage webhooks")?;
    let url = destinations.vet_url(&new.url).await?;
    let new = NewWebhook { url, event_types: listened(new.event_types)?, ..new };
    write(s, TokenScope::Admin, |w| Box::pin(insert(w, &new))).await
}

async fn insert(w: &mut Work<'_>, new: &NewWebhook) -> Result<Saved> {
    if scoped::<webhook::Entity>(w.org()).count(w.db()).await? >= MAX_PER_ORGANIZATION {
        return Err(Error::Conflict(format!(
            "an organization has at most {MAX_PER_ORGANIZATION} webhooks: delete one, or filter an existing one by event type"
        )));
    }
    if let Some(team_id) = new.team_id {
        tenant::get::<team::Entity>(w.db(), w.org(), team_id).await?;
    }
    let now = w.now();
    let secret = new_secret();
    let row = webhook::Model {
        id: new_id(),
        organization_id: w.org().id(),
        url: new.url.clone(),
        secret: secret.clone(),
        event_types: stored_types(&new.event_types),
        team_id: new.team_id,
        enabled: new.enabled,
        failing_since: None,
        disabled_at: None,
        disabled_reason: None,
        created_by: w.actor().person_id(),
        created_at: now,
        updated_at: now,
    };
    w.insert::<webhook::Entity>(row.clone()).await?;
    w.audit(Target::Webhook(row.id), "create", None::<&()>, Some(&row)).await?;
    Ok(Saved { webhook: row, secret: Some(secret) })
}

/// Edits, enables, disables an endpoint or rotates its secret (admins). Enabling one the
/// sender disabled starts it afresh.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), webhook.id = %id))]
pub async fn update(s: Scope<'_>, destinations: &Destinations, id: Uuid, patch: WebhookPatch) -> Result<Saved> {
    permissions::require_admin(s.actor, "manage webhooks")?;
    let url = match &patch.url {
        Some(url) => Some(destinations.vet_url(url).await?),
        None => None,
    };
    let event_types = patch.event_types.clone().map(listened).transpose()?;
    let patch = WebhookPatch { url, event_types, ..patch };
    write(s, TokenScope::Admin, |w| Box::pin(edit(w, id, &patch))).await
}

async fn edit(w: &mut Work<'_>, id: Uuid, patch: &WebhookPatch) -> Result<Saved> {
    let current = tenant::lock::<webhook::Entity>(w.db(), w.org(), id).await?;
    if let Some(Some(team_id)) = patch.team_id {
        tenant::get::<team::Entity>(w.db(), w.org(), team_id).await?;
    }
    let before = current.clone();
    let mut row: webhook::ActiveModel = current.into();
    if let Some(url) = &patch.url {
        row.url = Set(url.clone());
    }
    if let Some(types) = &patch.event_types {
        row.event_types = Set(stored_types(types));
    }
    if let Some(team_id) = patch.team_id {
        row.team_id = Set(team_id);
    }
    if let Some(enabled) = patch.enabled {
        row.enabled = Set(enabled);
        if enabled && !before.enabled {
            row.failing_since = Set(None);
            row.disabled_at = Set(None);
            row.disabled_reason = Set(None);
        }
    }
    let secret = patch.rotate_secret.then(new_secret);
    if let Some(secret) = &secret {
        row.secret = Set(secret.clone());
    }
    row.updated_at = Set(w.now());
    let updated = w.update::<webhook::Entity>(row).await?;
    let verb = if secret.is_some() { "rotate_secret" } else { "update" };
    w.audit(Target::Webhook(id), verb, Some(&before), Some(&updated)).await?;
    Ok(Saved { webhook: updated, secret })
}

/// Removes an endpoint and its deliveries (admins).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), webhook.id = %id))]
pub async fn delete(s: Scope<'_>, id: Uuid) -> Result<()> {
    permissions::require_admin(s.actor, "manage webhooks")?;
    write(s, TokenScope::Admin, |w| {
        Box::pin(async move {
            let before = tenant::get::<webhook::Entity>(w.db(), w.org(), id).await?;
            w.delete::<webhook::Entity>(id).await?;
            w.audit(Target::Webhook(id), "delete", Some(&before), None::<&()>).await
        })
    })
    .await
}

/// Sends a delivery again (admins), with the same `webhook-id` so that a receiver that
/// has it can tell, and a fresh retry window. A pending one is tried now.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), delivery.id = %id))]
pub async fn redeliver(s: Scope<'_>, id: Uuid) -> Result<webhook_delivery::Model> {
    permissions::require_admin(s.actor, "redeliver webhooks")?;
    write(s, TokenScope::Admin, |w| Box::pin(again(w, id))).await
}

async fn again(w: &mut Work<'_>, id: Uuid) -> Result<webhook_delivery::Model> {
    let current = tenant::lock::<webhook_delivery::Entity>(w.db(), w.org(), id).await?;
    let before = current.clone();
    let mut row: webhook_delivery::ActiveModel = current.into();
    row.state = Set(DeliveryState::Pending);
    row.next_attempt_at = Set(w.now());
    row.window_starts_at = Set(w.now());
    let updated = w.update::<webhook_delivery::Entity>(row).await?;
    w.audit(Target::WebhookDelivery(id), "redeliver", Some(&before), Some(&updated)).await?;
    Ok(updated)
}

/// At least one event type, each once.
fn listened(mut types: Vec<EventType>) -> Result<Vec<EventType>> {
    types.sort_by_key(|t| t.name());
    types.dedup();
    if types.is_empty() {
        return Err(Error::BadUserInput("`eventTypes` names at least one event type".into()));
    }
    Ok(types)
}

/// `whsec_` and 32 random bytes in base64, the Standard Webhooks form.
fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}
