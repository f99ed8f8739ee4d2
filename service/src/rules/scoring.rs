//! Progress and status (SPEC §4): pure functions of stored figures and the clock.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{Confidence, KeyResultKind};

/// A final score of 0.7 is success for a stretch goal.
pub const STRETCH_TARGET: f64 = 0.7;

/// How a key result or objective is doing against the time elapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// Far behind the expected progress.
    Red,
    /// Behind.
    Yellow,
    /// On pace.
    Green,
}

/// The figures a key result's progress depends on.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    pub kind: KeyResultKind,
    pub start: f64,
    pub target: f64,
    pub current: f64,
}

/// Key result progress in 0–1: linear between start and target for INCREASE and
/// DECREASE, 0 or 1 for milestones, 1 while a MAINTAIN threshold holds.
pub fn key_result_progress(m: Measure) -> f64 {
    match m.kind {
        KeyResultKind::Increase | KeyResultKind::Decrease => {
            let span = m.target - m.start;
            if span == 0.0 { 0.0 } else { ((m.current - m.start) / span).clamp(0.0, 1.0) }
        }
        KeyResultKind::Milestone => {
            if m.current >= 1.0 {
                1.0
            } else {
                0.0
            }
        }
        KeyResultKind::MaintainAtLeast => {
            if m.current >= m.target {
                1.0
            } else {
                0.0
            }
        }
        KeyResultKind::MaintainAtMost => {
            if m.current <= m.target {
                1.0
            } else {
                0.0
            }
        }
    }
}

/// The weight-averaged progress of `(progress, weight)` pairs; 0 when there are none
/// or all weights are zero.
pub fn weighted_average(items: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let (sum, weights) = items
        .into_iter()
        .fold((0.0, 0.0), |(sum, weights), (progress, weight)| (sum + progress * weight, weights + weight));
    if weights > 0.0 { sum / weights } else { 0.0 }
}

/// The elapsed fraction of a cycle at `now`, in 0–1. The cycle runs from the start of
/// `starts_on` to the end of `ends_on` (inclusive), in UTC.
pub fn elapsed_fraction(starts_on: NaiveDate, ends_on: NaiveDate, now: DateTime<Utc>) -> f64 {
    let start = starts_on.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let end = ends_on.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    let (Some(start), Some(end)) = (start, end) else {
        return 1.0;
    };
    let total = (end - start).num_seconds() as f64;
    if total <= 0.0 {
        return 1.0;
    }
    ((now - start).num_seconds() as f64 / total).clamp(0.0, 1.0)
}

/// The progress a stretch goal should show by now: the elapsed fraction scaled to 0.7.
pub fn expected_progress(elapsed: f64) -> f64 {
    elapsed * STRETCH_TARGET
}

/// Status from progress against expected progress; the latest confidence can only lower
/// it (AT_RISK caps at YELLOW, OFF_TRACK at RED).
pub fn status(progress: f64, expected: f64, confidence: Option<Confidence>) -> Status {
    // At the very start nothing is expected yet, so everything is on pace.
    let pace = if expected <= f64::EPSILON || progress >= 0.8 * expected {
        Status::Green
    } else if progress >= 0.5 * expected {
        Status::Yellow
    } else {
        Status::Red
    };
    let cap = match confidence {
        Some(Confidence::OffTrack) => Status::Red,
        Some(Confidence::AtRisk) => Status::Yellow,
        Some(Confidence::OnTrack) | None => Status::Green,
    };
    pace.min(cap)
}

/// An objective's status: its weakest key result's, or its own when it has none.
pub fn objective_status(
    progress: f64,
    expected: f64,
    key_results: impl IntoIterator<Item = (f64, Option<Confidence>)>,
) -> Status {
    key_results
        .into_iter()
        .map(|(progress, confidence)| status(progress, expected, confidence))
        .min()
        .unwrap_or_else(|| status(progress, expected, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(kind: KeyResultKind, start: f64, target: f64, current: f64) -> f64 {
        key_result_progress(Measure { kind, start, target, current })
    }

    #[test]
    fn decrease_progress_runs_from_start_down_to_target() {
        assert!((measure(KeyResultKind::Decrease, 60.0, 31.0, 50.0) - 10.0 / 29.0).abs() < 1e-9);
        assert_eq!(measure(KeyResultKind::Decrease, 60.0, 31.0, 70.0), 0.0);
        assert_eq!(measure(KeyResultKind::Decrease, 60.0, 31.0, 20.0), 1.0);
    }

    #[test]
    fn milestones_and_thresholds_are_all_or_nothing() {
        assert_eq!(measure(KeyResultKind::Milestone, 0.0, 1.0, 0.0), 0.0);
        assert_eq!(measure(KeyResultKind::Milestone, 0.0, 1.0, 1.0), 1.0);
        assert_eq!(measure(KeyResultKind::MaintainAtLeast, 0.0, 99.0, 99.5), 1.0);
        assert_eq!(measure(KeyResultKind::MaintainAtMost, 0.0, 2.0, 2.5), 0.0);
    }

    #[test]
    fn weights_shape_the_average() {
        assert!((weighted_average([(1.0, 3.0), (0.0, 1.0)]) - 0.75).abs() < 1e-9);
        assert_eq!(weighted_average([]), 0.0);
    }

    #[test]
    fn halfway_through_a_cycle_expects_035() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let now = d("2026-02-15").and_hms_opt(0, 0, 0).unwrap().and_utc();
        let elapsed = elapsed_fraction(d("2026-01-01"), d("2026-03-31"), now);
        assert!((elapsed - 0.5).abs() < 0.01);
        assert!((expected_progress(elapsed) - 0.35).abs() < 0.01);
    }

    #[test]
    fn an_objective_is_as_weak_as_its_weakest_key_result() {
        let krs = [(0.9, None), (0.1, Some(Confidence::OnTrack))];
        assert_eq!(objective_status(0.5, 0.35, krs), Status::Red);
        assert_eq!(objective_status(0.5, 0.35, []), Status::Green);
    }

    #[test]
    fn confidence_only_lowers_the_status() {
        assert_eq!(status(0.5, 0.35, Some(Confidence::AtRisk)), Status::Yellow);
        assert_eq!(status(0.5, 0.35, None), Status::Green);
        assert_eq!(status(0.2, 0.35, Some(Confidence::OnTrack)), Status::Yellow);
        assert_eq!(status(0.1, 0.35, None), Status::Red);
    }
}
