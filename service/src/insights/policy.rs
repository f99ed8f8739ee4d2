//! The thresholds insights use: one set per organization, part of its policy.

use serde::{Deserialize, Serialize};

/// Every threshold of every insight kind, with the defaults OKR practice suggests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InsightPolicy {
    /// STALE after this many days without a check-in (the weekly check-in).
    pub check_in_rhythm_days: u32,
    /// STALE is CRITICAL after this many days.
    pub stale_critical_days: u32,
    /// BEHIND_PACE needs at least this many check-ins to draw a trend.
    pub forecast_min_check_ins: u32,
    /// BEHIND_PACE is CRITICAL when the projected score is below this (WARNING below the
    /// stretch target, 0.7).
    pub forecast_critical_below: f64,
    /// CONFIDENCE_FALLING after this many lowerings in a row…
    pub confidence_drops: u32,
    /// …or this many OFF_TRACK check-ins in a row (CRITICAL).
    pub off_track_in_a_row: u32,
    /// NO_KEY_RESULTS once an objective has had none for this many days of its cycle.
    pub no_key_results_after_days: u32,
    /// The organization's own verbs of doing and counted outputs for ACTIVITY_KEY_RESULT.
    pub activity_verbs: Vec<String>,
    pub activity_outputs: Vec<String>,
}

impl Default for InsightPolicy {
    fn default() -> Self {
        InsightPolicy {
            check_in_rhythm_days: 7,
            stale_critical_days: 14,
            forecast_min_check_ins: 3,
            forecast_critical_below: 0.4,
            confidence_drops: 2,
            off_track_in_a_row: 2,
            no_key_results_after_days: 7,
            activity_verbs: Vec::new(),
            activity_outputs: Vec::new(),
        }
    }
}
