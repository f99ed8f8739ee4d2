//! `Organization`: the tenant and its focus policy.

use crate::graphql::enums::FocusPolicyMode;
use crate::graphql::ids::{Kind, encode};
use async_graphql::{ID, Object, SimpleObject};
use entity::organization;

/// A tenant. Nothing crosses its border.
pub struct Organization(pub std::sync::Arc<organization::Model>);

/// Focus limits and what happens when they are breached, and the thresholds of insights.
#[derive(SimpleObject)]
pub struct Policy {
    /// Active objectives allowed per team and cycle.
    pub max_objectives_per_team: i32,
    /// Key results allowed per objective.
    pub max_key_results_per_objective: i32,
    /// ENFORCE refuses a breach; WARN allows it and reports an insight.
    pub mode: FocusPolicyMode,
    /// STALE after this many days without a check-in (default 7: the weekly check-in).
    pub check_in_rhythm_days: i32,
    /// STALE is CRITICAL after this many days (default 14).
    pub stale_critical_days: i32,
    /// BEHIND_PACE draws a trend from at least this many check-ins (default 3).
    pub forecast_min_check_ins: i32,
    /// BEHIND_PACE is CRITICAL when the projected score is below this (default 0.4; WARNING
    /// below the 0.7 stretch target).
    pub forecast_critical_below: f64,
    /// CONFIDENCE_FALLING after this many lowerings in a row (default 2: ON_TRACK, AT_RISK,
    /// OFF_TRACK)…
    pub confidence_drops: i32,
    /// …or this many OFF_TRACK check-ins in a row (default 2; CRITICAL).
    pub off_track_in_a_row: i32,
    /// NO_KEY_RESULTS once an objective has had none for this many days of its cycle (default 7).
    pub no_key_results_after_days: i32,
    /// Verbs of doing the organization adds to ACTIVITY_KEY_RESULT's list.
    pub activity_verbs: Vec<String>,
    /// Counted outputs the organization adds to ACTIVITY_KEY_RESULT's list.
    pub activity_outputs: Vec<String>,
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
        let insights = service::insights::InsightPolicy::of(&self.0);
        let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        Policy {
            max_objectives_per_team: self.0.max_objectives_per_team,
            max_key_results_per_objective: self.0.max_key_results_per_objective,
            mode: self.0.focus_policy_mode.into(),
            check_in_rhythm_days: int(insights.check_in_rhythm_days),
            stale_critical_days: int(insights.stale_critical_days),
            forecast_min_check_ins: int(insights.forecast_min_check_ins),
            forecast_critical_below: insights.forecast_critical_below,
            confidence_drops: int(insights.confidence_drops),
            off_track_in_a_row: int(insights.off_track_in_a_row),
            no_key_results_after_days: int(insights.no_key_results_after_days),
            activity_verbs: insights.activity_verbs,
            activity_outputs: insights.activity_outputs,
        }
    }
}
