//! Where a key result is heading: a least-squares line through the progress of every
//! check-in of the cycle, read at the cycle's end. One reading can be a fluke; the trend
//! of all of them is what a team lead would draw by hand.

use chrono::{DateTime, Utc};

/// A check-in's progress (0–1) and when it was recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: DateTime<Utc>,
    pub progress: f64,
}

/// The trend of a key result's readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Forecast {
    /// The line through the readings, read at the cycle's end (clamped to 0–1).
    Trend { projected: f64, slope_per_week: f64, check_ins: usize },
    /// Too few readings, or all at one moment: no line to draw.
    TooFew { check_ins: usize },
}

const SECONDS_PER_WEEK: f64 = 7.0 * 24.0 * 3600.0;

/// The forecast at `end` from `readings` (any order), when at least `minimum` of them
/// (and at least two moments) make a line.
pub fn forecast(readings: &[Reading], end: DateTime<Utc>, minimum: usize) -> Forecast {
    let check_ins = readings.len();
    let Some(origin) = readings.iter().map(|r| r.at).min() else {
        return Forecast::TooFew { check_ins };
    };
    if check_ins < minimum.max(2) {
        return Forecast::TooFew { check_ins };
    }
    let weeks = |at: DateTime<Utc>| (at - origin).num_seconds() as f64 / SECONDS_PER_WEEK;
    let n = check_ins as f64;
    let mean_x = readings.iter().map(|r| weeks(r.at)).sum::<f64>() / n;
    let mean_y = readings.iter().map(|r| r.progress).sum::<f64>() / n;
    let (covariance, variance) = readings.iter().fold((0.0, 0.0), |(c, v), r| {
        let dx = weeks(r.at) - mean_x;
        (c + dx * (r.progress - mean_y), v + dx * dx)
    });
    if variance <= f64::EPSILON {
        return Forecast::TooFew { check_ins };
    }
    let slope_per_week = covariance / variance;
    let projected = (mean_y + slope_per_week * (weeks(end) - mean_x)).clamp(0.0, 1.0);
    Forecast::Trend { projected, slope_per_week, check_ins }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default()
    }

    fn week(n: f64, progress: f64) -> Reading {
        Reading { at: start() + Duration::seconds((n * SECONDS_PER_WEEK) as i64), progress }
    }

    fn trend(readings: &[Reading], end_week: f64) -> (f64, f64, usize) {
        let end = start() + Duration::seconds((end_week * SECONDS_PER_WEEK) as i64);
        match forecast(readings, end, 3) {
            Forecast::Trend { projected, slope_per_week, check_ins } => (projected, slope_per_week, check_ins),
            other => panic!("no trend: {other:?}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn readings_on_a_line_project_along_it() {
        // 0.05 a week from 0.1: at week 13, 0.1 + 0.65 = 0.75.
        let (projected, slope, n) = trend(&[week(0.0, 0.1), week(1.0, 0.15), week(2.0, 0.2), week(4.0, 0.3)], 13.0);
        assert!(close(slope, 0.05) && close(projected, 0.75) && n == 4, "{projected} {slope}");
    }

    #[test]
    fn scattered_readings_follow_the_least_squares_line() {
        // x = 0, 1, 2, 3; y = 0.1, 0.3, 0.2, 0.4: mean x 1.5, mean y 0.25;
        // covariance (−1.5·−0.15 + −0.5·0.05 + 0.5·−0.05 + 1.5·0.15) = 0.4, variance 5:
        // slope 0.08 a week; at week 12: 0.25 + 0.08 · 10.5 = 1.09, clamped to 1.
        let readings = [week(0.0, 0.1), week(1.0, 0.3), week(2.0, 0.2), week(3.0, 0.4)];
        let (projected, slope, _) = trend(&readings, 12.0);
        assert!(close(slope, 0.08) && close(projected, 1.0), "{projected} {slope}");
        // At week 6: 0.25 + 0.08 · 4.5 = 0.61, below the stretch target.
        let (projected, _, _) = trend(&readings, 6.0);
        assert!(close(projected, 0.61), "{projected}");
    }

    #[test]
    fn the_trend_of_all_readings_outweighs_the_last_one() {
        // Flat at 0.2 for five weeks, then one reading of 0.5: the last reading alone
        // would say the key result is at 0.5; the trend says it is heading for 0.66.
        let readings: Vec<Reading> = (0..5).map(|w| week(f64::from(w), 0.2)).chain([week(5.0, 0.5)]).collect();
        let (projected, slope, n) = trend(&readings, 12.0);
        // x = 0..5 (mean 2.5), y mean 0.25. Σdx·dy = −0.05 · (−2.5) + 2.5 · 0.25 = 0.75;
        // Σdx² = 17.5; slope = 0.75 / 17.5 = 3/70; projected = 0.25 + 3/70 · 9.5.
        assert!(close(slope, 3.0 / 70.0), "{slope}");
        assert!(close(projected, 0.25 + 3.0 / 70.0 * 9.5), "{projected}");
        assert_eq!(n, 6);
    }

    #[test]
    fn a_falling_trend_projects_down_to_zero_at_most() {
        let (projected, slope, _) = trend(&[week(0.0, 0.5), week(1.0, 0.4), week(2.0, 0.3)], 13.0);
        assert!(close(slope, -0.1) && close(projected, 0.0), "{projected} {slope}");
    }

    #[test]
    fn fewer_than_the_minimum_or_one_moment_give_no_forecast() {
        let end = start() + Duration::weeks(13);
        assert_eq!(forecast(&[], end, 3), Forecast::TooFew { check_ins: 0 });
        assert_eq!(forecast(&[week(0.0, 0.1), week(1.0, 0.2)], end, 3), Forecast::TooFew { check_ins: 2 });
        let same = [week(1.0, 0.1), week(1.0, 0.2), week(1.0, 0.3)];
        assert_eq!(forecast(&same, end, 3), Forecast::TooFew { check_ins: 3 });
    }
}
