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

impl InsightPolicy {
    /// The organization's thresholds: the stored ones, the defaults where none are stored.
    pub fn of(organization: &entity::organization::Model) -> InsightPolicy {
        organization.insight_policy.as_deref().and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default()
    }
}

/// Changes to the thresholds; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InsightPolicyPatch {
    pub check_in_rhythm_days: Option<u32>,
    pub stale_critical_days: Option<u32>,
    pub forecast_min_check_ins: Option<u32>,
    pub forecast_critical_below: Option<f64>,
    pub confidence_drops: Option<u32>,
    pub off_track_in_a_row: Option<u32>,
    pub no_key_results_after_days: Option<u32>,
    pub activity_verbs: Option<Vec<String>>,
    pub activity_outputs: Option<Vec<String>>,
}

/// The most words an organization may add to each list, and their longest.
pub const MAX_WORDS: usize = 200;
pub const MAX_WORD_CHARS: usize = 40;

impl InsightPolicyPatch {
    pub fn is_empty(&self) -> bool {
        *self == InsightPolicyPatch::default()
    }

    /// `policy` with the patch applied, or what is wrong with it.
    pub fn apply(&self, mut policy: InsightPolicy) -> crate::Result<InsightPolicy> {
        let set = |target: &mut u32, value: Option<u32>, field: &str, range: std::ops::RangeInclusive<u32>| match value
        {
            Some(v) if !range.contains(&v) => Err(crate::Error::BadUserInput(format!(
                "`{field}` must be between {} and {}, not {v}",
                range.start(),
                range.end()
            ))),
            Some(v) => {
                *target = v;
                Ok(())
            }
            None => Ok(()),
        };
        set(&mut policy.check_in_rhythm_days, self.check_in_rhythm_days, "checkInRhythmDays", 1..=90)?;
        set(&mut policy.stale_critical_days, self.stale_critical_days, "staleCriticalDays", 1..=365)?;
        set(&mut policy.forecast_min_check_ins, self.forecast_min_check_ins, "forecastMinCheckIns", 2..=52)?;
        // Three confidence levels allow two lowerings in a row at most.
        set(&mut policy.confidence_drops, self.confidence_drops, "confidenceDrops", 1..=2)?;
        set(&mut policy.off_track_in_a_row, self.off_track_in_a_row, "offTrackInARow", 1..=20)?;
        set(&mut policy.no_key_results_after_days, self.no_key_results_after_days, "noKeyResultsAfterDays", 0..=90)?;
        if let Some(floor) = self.forecast_critical_below {
            if !(0.0..=crate::rules::scoring::STRETCH_TARGET).contains(&floor) {
                return Err(crate::Error::BadUserInput(format!(
                    "`forecastCriticalBelow` must be between 0 and 0.7 (the stretch target), not {floor}"
                )));
            }
            policy.forecast_critical_below = floor;
        }
        if policy.stale_critical_days <= policy.check_in_rhythm_days {
            return Err(crate::Error::BadUserInput(format!(
                "`staleCriticalDays` ({}) must be more than `checkInRhythmDays` ({})",
                policy.stale_critical_days, policy.check_in_rhythm_days
            )));
        }
        for (field, words, target) in [
            ("activityVerbs", &self.activity_verbs, &mut policy.activity_verbs),
            ("activityOutputs", &self.activity_outputs, &mut policy.activity_outputs),
        ] {
            if let Some(words) = words {
                *target = clean_words(field, words)?;
            }
        }
        Ok(policy)
    }
}

fn clean_words(field: &str, words: &[String]) -> crate::Result<Vec<String>> {
    if words.len() > MAX_WORDS {
        return Err(crate::Error::BadUserInput(format!("`{field}` takes at most {MAX_WORDS} words")));
    }
    let mut clean: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let word = word.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if word.is_empty() || word.chars().count() > MAX_WORD_CHARS {
            return Err(crate::Error::BadUserInput(format!(
                "each of `{field}` must be 1 to {MAX_WORD_CHARS} characters, not {word:?}"
            )));
        }
        if !clean.contains(&word) {
            clean.push(word);
        }
    }
    Ok(clean)
}
