//! Organizations: provisioning a tenant, and its focus policy.

use crate::audit::Target;
use crate::events::{self, ChangeKind};
use crate::insights::policy::{InsightPolicy, InsightPolicyPatch};
use crate::permissions::TokenScope;
use crate::rules::validate;
use crate::unit_of_work::{Work, write};
use crate::{Actor, Clock, Error, Result, Scope, new_id, permissions, tenant};
use entity::{FocusPolicyMode, organization};
use sea_orm::{ActiveValue::Set, ConnectionTrait};

/// The organization the actor belongs to.
pub async fn current(db: &impl ConnectionTrait, actor: &Actor) -> Result<organization::Model> {
    tenant::organization(db, actor).await
}

/// The organization a token's `org` claim names, if it exists. Organizations are the
/// tenants themselves: this lookup comes before there is an actor to scope it by.
pub async fn by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<organization::Model>> {
    tenant::organization_by_slug(db, slug).await
}

/// Creates the organization `slug` (default policy) unless it exists, and returns it. It
/// runs before anyone can act in it, so it is not a unit of work: one statement that two
/// racing first requests can both run, the loser's doing nothing.
pub async fn provision(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
    slug: &str,
    name: &str,
    timezone: &str,
) -> Result<organization::Model> {
    if slug.is_empty() || slug.len() > 64 {
        return Err(Error::Unauthenticated("the org claim must be 1 to 64 characters".into()));
    }
    let name = validate::title("name", name)?;
    let now = clock.now();
    let row = organization::ActiveModel {
        id: Set(new_id()),
        name: Set(name),
        slug: Set(slug.to_owned()),
        timezone: Set(timezone.to_owned()),
        max_objectives_per_team: Set(5),
        max_key_results_per_objective: Set(5),
        focus_policy_mode: Set(FocusPolicyMode::Enforce),
        insight_policy: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    tenant::create_organization(db, row).await?;
    by_slug(db, slug)
        .await?
        .ok_or_else(|| Error::Unauthenticated(format!("organization {slug:?} could not be created")))
}

/// Changes to the focus policy; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct PolicyPatch {
    pub max_objectives_per_team: Option<i32>,
    pub max_key_results_per_objective: Option<i32>,
    pub mode: Option<FocusPolicyMode>,
    pub insights: InsightPolicyPatch,
}

/// The most a focus limit may be set to; above it, focus is lost.
pub const MAX_LIMIT: i32 = 20;

/// Changes the organization's focus policy (admins only).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id()))]
pub async fn update_policy(s: Scope<'_>, patch: PolicyPatch) -> Result<organization::Model> {
    permissions::require_admin(s.actor, "change the policy")?;
    for (field, value) in [
        ("maxObjectivesPerTeam", patch.max_objectives_per_team),
        ("maxKeyResultsPerObjective", patch.max_key_results_per_objective),
    ] {
        if let Some(value) = value.filter(|v| !(1..=MAX_LIMIT).contains(v)) {
            return Err(Error::BadUserInput(format!("`{field}` must be between 1 and {MAX_LIMIT}, not {value}")));
        }
    }
    write(s, TokenScope::Admin, |w| Box::pin(store_policy(w, &patch))).await
}

async fn store_policy(w: &mut Work<'_>, patch: &PolicyPatch) -> Result<organization::Model> {
    let current = tenant::organization(w.db(), w.org()).await?;
    let before = current.clone();
    let mut row: organization::ActiveModel = current.into();
    if let Some(value) = patch.max_objectives_per_team {
        row.max_objectives_per_team = Set(value);
    }
    if let Some(value) = patch.max_key_results_per_objective {
        row.max_key_results_per_objective = Set(value);
    }
    if let Some(mode) = patch.mode {
        row.focus_policy_mode = Set(mode);
    }
    if !patch.insights.is_empty() {
        let insights = patch.insights.apply(InsightPolicy::of(&before))?;
        let json = serde_json::to_string(&insights).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
        row.insight_policy = Set(Some(json));
    }
    row.updated_at = Set(w.now());
    let updated = tenant::update_organization(w.db(), w.org(), row).await?;
    w.audit(Target::Organization(updated.id), "update_policy", Some(&before), Some(&updated)).await?;
    w.announce(events::changed(updated.id, ChangeKind::Policy, updated.id, "updated", []));
    Ok(updated)
}
