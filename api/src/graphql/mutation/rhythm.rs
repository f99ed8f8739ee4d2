//! The weekly rhythm: a team's weekly note.

use crate::graphql::context::scope;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, expect};
use crate::graphql::mutation::written;
use crate::graphql::team_week::{TeamWeek, WeekSection};
use crate::payload;
use async_graphql::{Context, ID, InputObject, Object, Result};
use service::rhythm::weeks::{self, Item, Week};

#[derive(Default)]
pub struct RhythmMutation;

/// One line of a weekly note.
#[derive(InputObject)]
pub struct TeamWeekItemInput {
    pub section: WeekSection,
    pub text: String,
    /// One of the team's key results it is about.
    pub key_result_id: Option<ID>,
    /// One of the initiatives on the team's key results it is about.
    pub initiative_id: Option<ID>,
}

/// A team's note of one ISO week, replacing what it held.
#[derive(InputObject)]
pub struct WriteTeamWeekInput {
    pub client_mutation_id: Option<String>,
    pub team_id: ID,
    /// The ISO week, e.g. `2026-W47`.
    pub week: String,
    /// At most 50, in the order to show them.
    pub items: Vec<TeamWeekItemInput>,
}

payload!(
    /// The team's week with its note as written.
    TeamWeekPayload { team_week: TeamWeek }
);

#[Object]
impl RhythmMutation {
    /// Writes a team's weekly note (members of the team, admins), from the week before
    /// until the end of the week after; then it is frozen (`WEEK_FROZEN`).
    async fn write_team_week(&self, ctx: &Context<'_>, input: WriteTeamWeekInput) -> Result<TeamWeekPayload> {
        let s = scope(ctx)?;
        let team = expect(Kind::Team, &input.team_id)?;
        let week = Week::parse(&input.week).gql()?;
        let items = input
            .items
            .into_iter()
            .map(|i| {
                Ok(Item {
                    section: i.section.into(),
                    text: i.text,
                    key_result_id: i.key_result_id.as_ref().map(|id| expect(Kind::KeyResult, id)).transpose()?,
                    initiative_id: i.initiative_id.as_ref().map(|id| expect(Kind::Initiative, id)).transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        weeks::write_note(s.service(), team, week, items).await.gql()?;
        let team_week = weeks::read(s.db, s.actor, team, week).await.gql()?;
        Ok(written(
            &s,
            TeamWeekPayload {
                client_mutation_id: input.client_mutation_id,
                team_week: TeamWeek { week: team_week, now: s.clock.now() },
            },
        ))
    }
}
