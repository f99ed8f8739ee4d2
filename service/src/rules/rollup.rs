//! How an objective's progress rolls up (SPEC §4): from its live key results (weighted),
//! from the objectives that contribute to it (equally), or from both.

use crate::rules::scoring;
use entity::ProgressDriver;

/// The progress of an objective driven by `driver`, from its live key results'
/// `(progress, weight)` and its contributors' progress; what the driver ignores is not
/// counted.
pub fn objective_progress(
    driver: ProgressDriver,
    key_results: impl IntoIterator<Item = (f64, f64)>,
    contributors: impl IntoIterator<Item = f64>,
) -> f64 {
    let mut items: Vec<(f64, f64)> = Vec::new();
    if matches!(driver, ProgressDriver::KeyResults | ProgressDriver::Both) {
        items.extend(key_results);
    }
    if matches!(driver, ProgressDriver::AlignedObjectives | ProgressDriver::Both) {
        items.extend(contributors.into_iter().map(|progress| (progress, 1.0)));
    }
    scoring::weighted_average(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_driver_counts_only_its_own_inputs() {
        let krs = [(0.5, 1.0), (1.0, 3.0)];
        let kids = [0.0, 0.2];
        assert!((objective_progress(ProgressDriver::KeyResults, krs, kids) - 0.875).abs() < 1e-9);
        assert!((objective_progress(ProgressDriver::AlignedObjectives, krs, kids) - 0.1).abs() < 1e-9);
        // Both: weights 1 and 3 for the key results, 1 each for the contributors.
        let both = (0.5 + 3.0 + 0.0 + 0.2) / 6.0;
        assert!((objective_progress(ProgressDriver::Both, krs, kids) - both).abs() < 1e-9);
    }
}
