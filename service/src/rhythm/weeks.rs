//! Weekly check-in notes: one per team and ISO week, with the plans for the week, the
//! progress since the last one, problems and lessons learned, each item optionally about
//! one of the team's key results or initiatives. The team's members write it until the
//! week after it ends; then it is frozen and kept.

use crate::audit::Target;
use crate::events::{self, ChangeKind};
use crate::key_results::{Archived, ids_of};
use crate::objectives::guards;
use crate::permissions::{self, TokenScope};
use crate::rules::validate;
use crate::scope::Scope;
use crate::tenant::{self, scoped};
use crate::unit_of_work::{Work, write};
use crate::{Actor, Error, Result, new_id};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use entity::{check_in, initiative, key_result, objective, team, team_week};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;

/// Where an item of the note goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Section {
    /// What the team plans to do this week.
    Plan,
    /// What moved since the last note.
    Progress,
    /// What is in the way.
    Problem,
    /// What the team learned.
    Lesson,
}

/// One line of the note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub section: Section,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_result_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiative_id: Option<Uuid>,
}

/// Items a note holds at most, and characters an item holds at most.
pub const MAX_ITEMS: usize = 50;
pub const MAX_ITEM_TEXT: usize = 1_000;

/// An ISO week, by the Monday it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week(NaiveDate);

impl Week {
    /// The week written as ISO 8601 does: `2026-W47`.
    pub fn parse(text: &str) -> Result<Week> {
        let refused = || Error::BadUserInput(format!("{text:?} is not an ISO week such as \"2026-W47\""));
        let (year, week) = text.trim().split_once("-W").ok_or_else(refused)?;
        let (year, week) = (year.parse().map_err(|_| refused())?, week.parse().map_err(|_| refused())?);
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(Week).ok_or_else(refused)
    }

    /// The week a note was written for.
    pub fn of_note(note: &team_week::Model) -> Week {
        Week(note.week_starts_on)
    }

    /// The week `at` falls in.
    pub fn containing(at: DateTime<Utc>) -> Week {
        let day = at.date_naive();
        Week(day - Duration::days(i64::from(day.weekday().num_days_from_monday())))
    }

    pub fn starts_on(self) -> NaiveDate {
        self.0
    }

    /// Its Sunday.
    pub fn ends_on(self) -> NaiveDate {
        self.0 + Duration::days(6)
    }

    /// `2026-W47`.
    pub fn label(self) -> String {
        let iso = self.0.iso_week();
        format!("{}-W{:02}", iso.year(), iso.week())
    }

    fn start(self) -> DateTime<Utc> {
        super::start_of(self.0)
    }

    fn end(self) -> DateTime<Utc> {
        super::start_of(self.0 + Duration::days(7))
    }

    /// Notes are written during the week and the week after: from then on they are history.
    pub fn frozen_from(self) -> DateTime<Utc> {
        super::start_of(self.0 + Duration::days(14))
    }

    /// Whether its note may still be written at `now`: not frozen, and not further ahead
    /// than next week (plans are made a week ahead at most).
    pub fn editable(self, now: DateTime<Utc>) -> bool {
        now < self.frozen_from() && self.0 <= Week::containing(now).0 + Duration::days(7)
    }
}

/// A team's week: its note, when written, and the check-ins recorded on its key results
/// during the week, oldest first.
#[derive(Debug, Clone)]
pub struct TeamWeek {
    pub team: team::Model,
    pub week: Week,
    pub note: Option<team_week::Model>,
    pub check_ins: Vec<check_in::Model>,
}

/// `team_id`'s week `week`, in three statements after the team's.
pub async fn read(db: &impl ConnectionTrait, actor: &Actor, team_id: Uuid, week: Week) -> Result<TeamWeek> {
    let team = tenant::get::<team::Entity>(db, actor, team_id).await?;
    let note = scoped::<team_week::Entity>(actor)
        .filter(team_week::Column::TeamId.eq(team_id))
        .filter(team_week::Column::WeekStartsOn.eq(week.starts_on()))
        .one(db)
        .await?;
    let check_ins = scoped::<check_in::Entity>(actor)
        .filter(check_in::Column::KeyResultId.in_subquery(ids_of(
            actor,
            objective::Column::TeamId.eq(team_id),
            Archived::Kept,
        )))
        .filter(check_in::Column::RecordedAt.gte(week.start()))
        .filter(check_in::Column::RecordedAt.lt(week.end()))
        .all(db)
        .await?;
    let mut check_ins = check_ins;
    check_ins.sort_by_key(|c| (c.recorded_at, c.id));
    Ok(TeamWeek { team, week, note, check_ins })
}

/// Writes the team's note of `week`, replacing its items; members of the team may, until
/// the week after it ends (`WEEK_FROZEN` from then on).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), team.id = %team_id))]
pub async fn write_note(s: Scope<'_>, team_id: Uuid, week: Week, items: Vec<Item>) -> Result<team_week::Model> {
    if items.len() > MAX_ITEMS {
        return Err(Error::BadUserInput(format!("a week's note holds at most {MAX_ITEMS} items, not {}", items.len())));
    }
    let items = items
        .into_iter()
        .map(|item| {
            let text = item.text.trim();
            if text.is_empty() {
                return Err(Error::BadUserInput("an item's `text` must not be empty".into()));
            }
            validate::limit("text", text, MAX_ITEM_TEXT)?;
            Ok(Item { text: text.to_owned(), ..item })
        })
        .collect::<Result<Vec<_>>>()?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(upsert(w, team_id, week, &items))).await
}

async fn upsert(w: &mut Work<'_>, team_id: Uuid, week: Week, items: &[Item]) -> Result<team_week::Model> {
    let team = tenant::get::<team::Entity>(w.db(), w.org(), team_id).await?;
    if team.archived_at.is_some() {
        return Err(Error::Conflict(format!("team {:?} is archived", team.name)));
    }
    permissions::require_member(w.db(), w.actor(), team_id, "write its weekly note").await?;
    let now = w.now();
    if now >= week.frozen_from() {
        return Err(Error::WeekFrozen(format!(
            "the note of {} was open until the end of the week after; it is kept as it was",
            week.label()
        )));
    }
    if !week.editable(now) {
        return Err(Error::BadUserInput(format!("{} is more than a week ahead: plan it next week", week.label())));
    }
    linked_to_team(w, team_id, items).await?;
    let items = serde_json::to_value(items).map_err(|e| Error::BadUserInput(e.to_string()))?;
    let existing = scoped::<team_week::Entity>(w.org())
        .filter(team_week::Column::TeamId.eq(team_id))
        .filter(team_week::Column::WeekStartsOn.eq(week.starts_on()))
        .one(w.db())
        .await?;
    let author_id = w.actor().person_id();
    let (written, before, change) = match existing {
        Some(current) => {
            let before = current.clone();
            let mut row: team_week::ActiveModel = current.into();
            row.items = Set(items);
            row.author_id = Set(author_id);
            row.updated_at = Set(now);
            (w.update::<team_week::Entity>(row).await?, Some(before), "updated")
        }
        None => {
            let row = team_week::Model {
                id: new_id(),
                organization_id: w.org().id(),
                team_id,
                week_starts_on: week.starts_on(),
                items,
                author_id,
                created_at: now,
                updated_at: now,
            };
            w.insert::<team_week::Entity>(row.clone()).await?;
            (row, None, "created")
        }
    };
    w.audit(Target::TeamWeek(written.id), "write", before.as_ref(), Some(&written)).await?;
    w.announce(events::changed(written.organization_id, ChangeKind::TeamWeek, written.id, change, [team_id]));
    Ok(written)
}

/// Refuses items about key results or initiatives that are not the team's.
async fn linked_to_team(w: &Work<'_>, team_id: Uuid, items: &[Item]) -> Result<()> {
    let initiative_ids: Vec<Uuid> = items.iter().filter_map(|i| i.initiative_id).collect();
    let initiatives = tenant::by_ids::<initiative::Entity>(w.db(), w.org(), &initiative_ids).await?;
    let mut key_result_ids: Vec<Uuid> = items.iter().filter_map(|i| i.key_result_id).collect();
    key_result_ids.extend(initiatives.values().map(|i| i.key_result_id));
    let key_results = tenant::by_ids::<key_result::Entity>(w.db(), w.org(), &key_result_ids).await?;
    let objective_ids: Vec<Uuid> = key_results.values().map(|k| k.objective_id).collect();
    let objectives = tenant::by_ids::<objective::Entity>(w.db(), w.org(), &objective_ids).await?;
    let teams_key_results: HashSet<Uuid> = key_results
        .values()
        .filter(|k| objectives.get(&k.objective_id).is_some_and(|o| o.team_id == team_id))
        .map(|k| k.id)
        .collect();
    // A note may not make a new link into a closed cycle: its rows are frozen.
    let cycles: HashSet<Uuid> = objectives.values().map(|o| o.cycle_id).collect();
    for cycle in cycles {
        guards::open_cycle(w.db(), w.org(), cycle).await?;
    }
    for item in items {
        if let Some(id) = item.key_result_id
            && !teams_key_results.contains(&id)
        {
            return Err(Error::BadUserInput(format!("key result {id} is not one of the team's")));
        }
        if let Some(id) = item.initiative_id
            && !initiatives.get(&id).is_some_and(|i| teams_key_results.contains(&i.key_result_id))
        {
            return Err(Error::BadUserInput(format!("initiative {id} is not on one of the team's key results")));
        }
    }
    Ok(())
}

/// The items of a note as written.
pub fn items(note: &team_week::Model) -> Result<Vec<Item>> {
    serde_json::from_value(note.items.clone())
        .map_err(|e| Error::Database(sea_orm::DbErr::Json(format!("team week {}: {e}", note.id))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn iso_weeks_parse_label_and_contain_their_days() {
        let week = Week::parse("2026-W47").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(week.starts_on(), NaiveDate::from_ymd_opt(2026, 11, 16).unwrap_or_default());
        assert_eq!(week.ends_on(), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default());
        assert_eq!(week.label(), "2026-W47");
        let thursday = Utc.with_ymd_and_hms(2026, 11, 19, 12, 0, 0).single().unwrap_or_default();
        assert_eq!(Week::containing(thursday), week);
        // ISO years: 1 January 2027 is a Friday of 2026-W53.
        let new_year = Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).single().unwrap_or_default();
        assert_eq!(Week::containing(new_year).label(), "2026-W53");
        for wrong in ["2026-47", "2026-W54", "W47", "2026-Wx"] {
            assert!(Week::parse(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_note_is_open_during_its_week_and_the_next_then_frozen() {
        let week = Week::parse("2026-W47").unwrap_or_else(|e| panic!("{e}"));
        let at = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).single().unwrap_or_default();
        assert!(week.editable(at(9, 10)), "planned the week before");
        assert!(!week.editable(at(8, 23)), "two weeks ahead");
        assert!(week.editable(at(29, 23)), "the Sunday of the week after");
        assert!(!week.editable(at(30, 0)), "frozen from the Monday after that");
    }
}
