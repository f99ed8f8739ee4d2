//! `Team`: a unit that owns OKRs.

use crate::graphql::connection::{Conn, PageArgs, from_rows};
use crate::graphql::context::scope;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode, expect};
use crate::graphql::objective::Objective;
use crate::graphql::person::Membership;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object, Result};
use entity::team;

/// A unit that owns OKRs. Teams nest: company → department → team.
pub struct Team(pub std::sync::Arc<team::Model>);

#[Object]
impl Team {
    pub async fn id(&self) -> ID {
        encode(Kind::Team, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Days between the team's check-ins, when it keeps its own rhythm; none follows the
    /// organization's policy (`checkInRhythmDays`).
    async fn check_in_rhythm_days(&self) -> Option<i32> {
        self.0.check_in_rhythm_days
    }
    /// The team this one sits in; none for the root (company) team.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?.loaders.teams.load_one(parent).await.gql()?.map(Team))
    }
    /// The teams directly inside this one.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Team>> {
        let rows = scope(ctx)?.loaders.child_teams.load_one(self.0.id).await.gql()?.unwrap_or_default();
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Team, |t| t.id, Team)
    }
    /// The people in this team, with their roles.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Membership>> {
        let rows = scope(ctx)?.loaders.members_of_team.load_one(self.0.id).await.gql()?.unwrap_or_default();
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Membership, |m| m.id, Membership)
    }
    /// The objectives this team owns, optionally in one cycle.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn objectives(
        &self,
        ctx: &Context<'_>,
        cycle_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Objective>> {
        let cycle = cycle_id.map(|id| expect(Kind::Cycle, &id)).transpose()?;
        let mut rows = scope(ctx)?.loaders.objectives_of_team.load_one(self.0.id).await.gql()?.unwrap_or_default();
        rows.retain(|o| cycle.is_none_or(|c| o.cycle_id == c));
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Objective, |o| o.id, Objective)
    }
    /// What is going wrong in the team's OKRs of a cycle (with `subtree`, also in the teams
    /// below it), most severe first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments, reason = "a field's arguments")]
    async fn insights(
        &self,
        ctx: &Context<'_>,
        cycle_id: ID,
        #[graphql(default = false)] subtree: bool,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<crate::graphql::insight::Insight>> {
        let cycle = expect(Kind::Cycle, &cycle_id)?;
        let all = scope(ctx)?.loaders.insights_of_cycle.load(cycle).await.gql()?.unwrap_or_default();
        let filter = service::insights::InsightFilter { team_id: Some(self.0.id), subtree, ..Default::default() };
        let rows = all.matching(&filter);
        from_rows(
            rows,
            &PageArgs::new(first, after, last, before),
            Kind::Insight,
            |i| i.id(),
            crate::graphql::insight::Insight,
        )
    }
    /// When the team was archived; archived teams keep their history.
    async fn archived_at(&self) -> Option<DateTime> {
        self.0.archived_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}
