//! `Organization`: the tenant and its focus policy.

use crate::graphql::enums::FocusPolicyMode;
use crate::graphql::ids::{Kind, encode};
use async_graphql::{ID, Object, SimpleObject};
use entity::organization;

/// A tenant. Nothing crosses its border.
pub struct Organization(pub std::sync::Arc<organization::Model>);

/// Focus limits and what happens when they are breached.
#[derive(SimpleObject)]
pub struct Policy {
    /// Active objectives allowed per team and cycle.
    pub max_objectives_per_team: i32,
    /// Key results allowed per objective.
    pub max_key_results_per_objective: i32,
    /// ENFORCE refuses a breach; WARN allows it and reports an insight.
    pub mode: FocusPolicyMode,
}

#[Object]
impl Organization {
    pub async fn id(&self) -> ID {
        encode(Kind::Organization, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// IANA time zone name.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
    async fn policy(&self) -> Policy {
        Policy {
            max_objectives_per_team: self.0.max_objectives_per_team,
            max_key_results_per_objective: self.0.max_key_results_per_objective,
            mode: self.0.focus_policy_mode.into(),
        }
    }
}
