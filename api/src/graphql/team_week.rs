//! `TeamWeek`: a team's weekly meeting on one screen: its note and the week's check-ins.

use crate::graphql::check_in::CheckIn;
use crate::graphql::context::scope;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::initiative::Initiative;
use crate::graphql::key_result::KeyResult;
use crate::graphql::person::Person;
use crate::graphql::scalars::{Date, DateTime};
use crate::graphql::team::Team;
use async_graphql::{Context, Enum, ID, Object, Result};
use entity::team_week;
use service::rhythm::weeks::{self, Week};
use std::sync::Arc;

/// Where an item of a weekly note goes.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "service::rhythm::weeks::Section")]
pub enum WeekSection {
    /// What the team plans to do this week.
    Plan,
    /// What moved since the last note.
    Progress,
    /// What is in the way.
    Problem,
    /// What the team learned.
    Lesson,
}

/// One line of a team's weekly note.
pub struct TeamWeekItem(weeks::Item);

#[Object]
impl TeamWeekItem {
    async fn section(&self) -> WeekSection {
        self.0.section.into()
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The key result it is about, if any.
    async fn key_result(&self, ctx: &Context<'_>) -> Result<Option<KeyResult>> {
        let Some(id) = self.0.key_result_id else { return Ok(None) };
        Ok(scope(ctx)?.loaders.key_results.load_one(id).await.gql()?.map(KeyResult))
    }
    /// The initiative it is about, if any.
    async fn initiative(&self, ctx: &Context<'_>) -> Result<Option<Initiative>> {
        let Some(id) = self.0.initiative_id else { return Ok(None) };
        Ok(scope(ctx)?.loaders.initiatives.load_one(id).await.gql()?.map(Initiative))
    }
}

/// A team's weekly check-in note: plans, progress, problems and lessons learned.
pub struct TeamWeekNote(pub Arc<team_week::Model>);

#[Object]
impl TeamWeekNote {
    pub async fn id(&self) -> ID {
        encode(Kind::TeamWeekNote, self.0.id)
    }
    /// The ISO week, e.g. `2026-W47`.
    async fn week(&self) -> String {
        Week::of_note(&self.0).label()
    }
    /// Its items, in the order they were written.
    async fn items(&self) -> Result<Vec<TeamWeekItem>> {
        Ok(weeks::items(&self.0).gql()?.into_iter().map(TeamWeekItem).collect())
    }
    /// Who wrote it last.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Ok(scope(ctx)?.loaders.people.load_one(self.0.author_id).await.gql()?.map(Person))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// A team's ISO week, for its weekly meeting: the note and the check-ins of the week.
pub struct TeamWeek {
    pub week: weeks::TeamWeek,
    pub now: chrono::DateTime<chrono::Utc>,
}

#[Object]
impl TeamWeek {
    /// The ISO week, e.g. `2026-W47`.
    async fn week(&self) -> String {
        self.week.week.label()
    }
    /// Its Monday.
    async fn starts_on(&self) -> Date {
        Date(self.week.week.starts_on())
    }
    /// Its Sunday.
    async fn ends_on(&self) -> Date {
        Date(self.week.week.ends_on())
    }
    async fn team(&self) -> Team {
        Team(Arc::new(self.week.team.clone()))
    }
    /// The team's note of the week; none until somebody writes it.
    async fn note(&self) -> Option<TeamWeekNote> {
        self.week.note.clone().map(|n| TeamWeekNote(Arc::new(n)))
    }
    /// The check-ins recorded on the team's key results during the week, oldest first.
    async fn check_ins(&self) -> Vec<CheckIn> {
        self.week.check_ins.iter().map(|c| CheckIn(Arc::new(c.clone()))).collect()
    }
    /// Whether the note may still be written: during the week, the week after, and the
    /// week before (plans); frozen from then on.
    async fn editable(&self) -> bool {
        self.week.week.editable(self.now)
    }
}
