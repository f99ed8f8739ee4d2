//! The figures a checked file's rows are stored with: each key result at its latest
//! reading, each objective's progress rolled up from its key results and contributors by
//! the service's own rules, children first.

use super::{Parent, Planner};
use crate::new_id;
use crate::rules::{rollup, scoring};
use chrono::{DateTime, Utc};
use entity::{AlignmentKind, ObjectiveState, check_in, objective};
use uuid::Uuid;

impl Planner<'_, '_> {
    /// The readings in time order (file order among equal times), with ids that sort the
    /// same way, each key result moved to its latest.
    pub(super) fn readings(&mut self) -> Vec<check_in::Model> {
        let mut readings = std::mem::take(&mut self.check_ins);
        readings.sort_by_key(|(_, reading)| reading.recorded_at);
        let mut rows = Vec::with_capacity(readings.len());
        for (sequence, (k, mut reading)) in readings.into_iter().enumerate() {
            reading.id = reading_id(reading.recorded_at, sequence);
            if let Some(kr) = self.key_results.get_mut(k).and_then(|kr| kr.model.as_mut()) {
                kr.current_value = reading.value;
                kr.latest_confidence = Some(reading.confidence);
                kr.check_in_count += 1;
                kr.last_check_in_at = Some(reading.recorded_at);
                kr.progress = scoring::key_result_progress(scoring::Measure {
                    kind: kr.kind,
                    start: kr.start_value,
                    target: kr.target_value,
                    current: kr.current_value,
                });
            }
            rows.push(reading);
        }
        rows
    }

    /// The objectives, each after its parent, with stored progress rolled up from the
    /// bottom; a closed one scores its progress, as closing it would.
    pub(super) fn roll_up(&mut self) -> Vec<objective::Model> {
        let parents: Vec<Option<usize>> = self
            .objectives
            .iter()
            .map(|o| match o.parent {
                Some(Parent::File(of, _)) => Some(of),
                _ => None,
            })
            .collect();
        let mut order: Vec<usize> = (0..self.objectives.len()).collect();
        order.sort_by_key(|at| depth(*at, &parents));
        let mut own: Vec<Vec<(f64, f64)>> = vec![Vec::new(); self.objectives.len()];
        for planned in &self.key_results {
            if let (Some(list), Some(kr)) = (planned.objective.and_then(|o| own.get_mut(o)), &planned.model) {
                list.push((kr.progress, kr.weight));
            }
        }
        let mut contributors: Vec<Vec<f64>> = vec![Vec::new(); self.objectives.len()];
        for at in order.iter().rev() {
            let Some(objective) = self.objectives.get_mut(*at) else { continue };
            let model = &mut objective.model;
            let krs = own.get(*at).into_iter().flatten().copied();
            let children = contributors.get(*at).into_iter().flatten().copied();
            model.progress = rollup::objective_progress(model.progress_driver, krs, children);
            if model.state == ObjectiveState::Closed {
                model.final_score = Some(model.progress);
            }
            let counts = model.alignment_kind == Some(AlignmentKind::Contributes);
            if let (true, Some(Some(parent))) = (counts, parents.get(*at))
                && let Some(list) = contributors.get_mut(*parent)
            {
                list.push(model.progress);
            }
        }
        order.into_iter().filter_map(|at| self.objectives.get(at)).map(|o| o.model.clone()).collect()
    }
}

/// How many parents of the file lie above objective `at` (the file has no loops by now).
fn depth(at: usize, parents: &[Option<usize>]) -> usize {
    let mut depth = 0;
    let mut here = at;
    while let Some(Some(parent)) = parents.get(here) {
        depth += 1;
        here = *parent;
        if depth > parents.len() {
            break;
        }
    }
    depth
}

/// A time-ordered id for a reading taken at `at`, the `sequence`-th of the import in
/// time order: readings of one millisecond keep their order too, so that the newest is
/// the one the key result shows.
fn reading_id(at: DateTime<Utc>, sequence: usize) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    // 18 bits of sequence (a file holds fewer records), then random bits.
    let sequence = sequence as u32;
    let random = new_id();
    let r = random.as_bytes();
    let bytes = [
        ((sequence >> 14) & 0x0F) as u8,
        ((sequence >> 6) & 0xFF) as u8,
        (sequence & 0x3F) as u8,
        r[9],
        r[10],
        r[11],
        r[12],
        r[13],
        r[14],
        r[15],
    ];
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_of_one_millisecond_keep_their_order_in_their_ids() {
        let at = Utc::now();
        let ids: Vec<Uuid> = (0..5000).map(|sequence| reading_id(at, sequence)).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(reading_id(at - chrono::Duration::milliseconds(1), 4999) < ids[0]);
    }
}
