//! The weekly team rhythm: which key results are due for a check-in.

use crate::graphql::key_result::KeyResult;
use crate::graphql::scalars::DateTime;
use async_graphql::SimpleObject;
use std::sync::Arc;

/// A key result whose check-in is due within a day, or overdue, by its team's rhythm.
#[derive(SimpleObject)]
pub struct DueCheckIn {
    pub key_result: KeyResult,
    /// Its latest check-in or, for one without, when the rhythm started counting (when it
    /// was added or its cycle started, whichever is later).
    pub last_heard_at: DateTime,
    pub due_at: DateTime,
    pub overdue: bool,
    /// Whole days past due; 0 while not overdue.
    pub days_overdue: i32,
    /// The team's rhythm: its own, else the organization's.
    pub rhythm_days: i32,
}

impl DueCheckIn {
    pub fn new(due: service::rhythm::DueCheckIn, now: chrono::DateTime<chrono::Utc>) -> Self {
        DueCheckIn {
            overdue: due.overdue(now),
            days_overdue: i32::try_from(due.days_overdue(now)).unwrap_or(i32::MAX),
            rhythm_days: i32::try_from(due.rhythm_days).unwrap_or(i32::MAX),
            last_heard_at: DateTime(due.last_heard),
            due_at: DateTime(due.due_at),
            key_result: KeyResult(Arc::new(due.key_result)),
        }
    }
}
