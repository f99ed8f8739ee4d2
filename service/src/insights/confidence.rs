//! CONFIDENCE_FALLING: the people closest to a key result say it is slipping, check-in
//! after check-in, before the numbers show it.

use entity::Confidence;

/// How the latest check-ins' confidence moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Falling {
    /// Lowered at each of the last `drops` check-ins (ON_TRACK → AT_RISK → OFF_TRACK).
    Lowered { drops: usize },
    /// OFF_TRACK at the last `times` check-ins in a row.
    OffTrack { times: usize },
}

fn level(confidence: Confidence) -> u8 {
    match confidence {
        Confidence::OnTrack => 2,
        Confidence::AtRisk => 1,
        Confidence::OffTrack => 0,
    }
}

/// Whether `confidences` (oldest first) end falling: at least `drops` lowerings in a row,
/// or OFF_TRACK `off_track` times in a row. A run of OFF_TRACK says more than how it got
/// there, so it is reported first.
pub fn falling(confidences: &[Confidence], drops: usize, off_track: usize) -> Option<Falling> {
    let times = confidences.iter().rev().take_while(|c| **c == Confidence::OffTrack).count();
    if off_track > 0 && times >= off_track {
        return Some(Falling::OffTrack { times });
    }
    let lowered = confidences.windows(2).rev().take_while(|w| level(w[1]) < level(w[0])).count();
    (drops > 0 && lowered >= drops).then_some(Falling::Lowered { drops: lowered })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Confidence::{AtRisk, OffTrack, OnTrack};

    #[test]
    fn two_lowerings_in_a_row_are_falling() {
        assert_eq!(falling(&[OnTrack, AtRisk, OffTrack], 2, 2), Some(Falling::Lowered { drops: 2 }));
        assert_eq!(falling(&[OnTrack, OnTrack, AtRisk, OffTrack], 2, 2), Some(Falling::Lowered { drops: 2 }));
    }

    #[test]
    fn one_lowering_or_a_recovery_is_not() {
        assert_eq!(falling(&[OnTrack, AtRisk], 2, 2), None);
        assert_eq!(falling(&[OnTrack, AtRisk, AtRisk], 2, 2), None);
        assert_eq!(falling(&[OnTrack, AtRisk, OffTrack, AtRisk], 2, 2), None);
        assert_eq!(falling(&[], 2, 2), None);
    }

    #[test]
    fn off_track_twice_in_a_row_is_falling_however_it_got_there() {
        assert_eq!(falling(&[OnTrack, OffTrack, OffTrack], 2, 2), Some(Falling::OffTrack { times: 2 }));
        assert_eq!(falling(&[OffTrack, OffTrack, OffTrack], 2, 2), Some(Falling::OffTrack { times: 3 }));
        assert_eq!(falling(&[OffTrack, AtRisk, OffTrack], 2, 2), None);
    }
}
