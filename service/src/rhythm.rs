//! The weekly team rhythm below the OKRs: how often a team checks in, and which of its
//! key results are due for a check-in.

use crate::insights::InsightPolicy;
use crate::objectives::ObjectiveFilter;
use crate::tenant::{self, scoped};
use crate::{Actor, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{CycleState, ObjectiveState, cycle, key_result, team};
use sea_orm::ColumnTrait;
use std::collections::HashMap;
use uuid::Uuid;

pub mod weeks;

/// Days between check-ins for `team`: its own rhythm, else the organization's policy.
pub fn days(team: Option<&team::Model>, policy: &InsightPolicy) -> u32 {
    team.and_then(|t| t.check_in_rhythm_days).and_then(|d| u32::try_from(d).ok()).unwrap_or(policy.check_in_rhythm_days)
}

/// When a key result was last heard of: its latest check-in or, for one without, when it
/// was added or its cycle started, whichever is later (nobody owes a check-in from
/// before a key result existed).
pub fn last_heard(key_result: &key_result::Model, cycle_start: DateTime<Utc>) -> DateTime<Utc> {
    key_result.last_check_in_at.unwrap_or(key_result.created_at.max(cycle_start))
}

/// The first moment of `day`, UTC.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A key result whose check-in is due.
#[derive(Debug, Clone)]
pub struct DueCheckIn {
    pub key_result: key_result::Model,
    /// Its last check-in, or when the rhythm started counting for one without.
    pub last_heard: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub rhythm_days: u32,
}

impl DueCheckIn {
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        now > self.due_at
    }

    /// Whole days past due (0 while not yet overdue).
    pub fn days_overdue(&self, now: DateTime<Utc>) -> i64 {
        (now - self.due_at).num_days().max(0)
    }
}

/// A check-in is due from this long before its date, so that a reminder comes in time.
const DUE_AHEAD: Duration = Duration::days(1);

/// The live key results of `team_id`'s active objectives in running cycles whose check-in
/// is due within a day or overdue at `now`, most overdue first. Four statements whatever
/// the team's size.
pub async fn due(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    team_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<DueCheckIn>> {
    let team = tenant::get::<team::Entity>(db, actor, team_id).await?;
    let organization = tenant::organization(db, actor).await?;
    let rhythm = days(Some(&team), &InsightPolicy::of(&organization));
    let running: HashMap<Uuid, DateTime<Utc>> = scoped::<cycle::Entity>(actor)
        .filter(cycle::Column::State.eq(CycleState::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, start_of(c.starts_on)))
        .filter(|(_, start)| *start <= now)
        .collect();
    let filter = ObjectiveFilter { team_id: Some(team_id), state: Some(ObjectiveState::Active), ..Default::default() };
    let objectives = crate::objectives::query(actor, &filter).all(db).await?;
    let starts: HashMap<Uuid, DateTime<Utc>> =
        objectives.iter().filter_map(|o| Some((o.id, *running.get(&o.cycle_id)?))).collect();
    let ids: Vec<Uuid> = starts.keys().copied().collect();
    let key_results = crate::key_results::live(db, actor, &ids).await?;
    let step = Duration::days(i64::from(rhythm));
    let mut due: Vec<DueCheckIn> = key_results
        .into_iter()
        .flat_map(|(objective, krs)| krs.into_iter().map(move |k| (objective, k)))
        .filter_map(|(objective, key_result)| {
            let last_heard = last_heard(&key_result, *starts.get(&objective)?);
            let due_at = last_heard + step;
            (due_at <= now + DUE_AHEAD).then_some(DueCheckIn { key_result, last_heard, due_at, rhythm_days: rhythm })
        })
        .collect();
    due.sort_by_key(|d| (d.due_at, d.key_result.id));
    Ok(due)
}
