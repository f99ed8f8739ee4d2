//! `Objective`: a qualitative goal owned by one team.

use crate::graphql::connection::{Conn, PageArgs, from_rows};
use crate::graphql::context::{Scope, scope};
use crate::graphql::cycle::Cycle;
use crate::graphql::dependency::Dependency;
use crate::graphql::enums::{AlignmentKind, ObjectiveState, ProgressDriver, Status};
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::key_result::KeyResult;
use crate::graphql::scalars::DateTime;
use crate::graphql::team::Team;
use async_graphql::{Context, ID, Object, Result};
use entity::{key_result, objective};
use service::rules::scoring;

/// A qualitative goal owned by exactly one team, in one cycle.
pub struct Objective(pub std::sync::Arc<objective::Model>);

/// The expected progress now for an objective in `cycle_id`; 0 when the cycle is gone.
pub async fn expected_progress(s: &Scope<'_>, cycle_id: uuid::Uuid) -> Result<f64> {
    let cycle = s.loaders.cycles.load_one(cycle_id).await.gql()?;
    Ok(cycle
        .map_or(0.0, |c| scoring::expected_progress(scoring::elapsed_fraction(c.starts_on, c.ends_on, s.clock.now()))))
}

impl Objective {
    async fn key_result_rows(&self, s: &Scope<'_>) -> Result<crate::graphql::loaders::Rows<key_result::Model>> {
        Ok(s.loaders.key_results_of_objective.load_one(self.0.id).await.gql()?.unwrap_or_default())
    }
}

#[Object]
impl Objective {
    pub async fn id(&self) -> ID {
        encode(Kind::Objective, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn state(&self) -> ObjectiveState {
        self.0.state.into()
    }
    /// The team that owns this objective.
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        Ok(scope(ctx)?.loaders.teams.load_one(self.0.team_id).await.gql()?.map(Team))
    }
    /// The strategic themes it serves: a company objective's own, and for the others
    /// those of what they align to, up the chain (computed, never stored twice).
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::theme::Theme>> {
        let themes = scope(ctx)?.loaders.themes_of_objective.load_one(self.0.id).await.gql()?.unwrap_or_default();
        Ok(themes.into_iter().map(crate::graphql::theme::Theme).collect())
    }
    async fn cycle(&self, ctx: &Context<'_>) -> Result<Option<Cycle>> {
        Ok(scope(ctx)?.loaders.cycles.load_one(self.0.cycle_id).await.gql()?.map(Cycle))
    }
    /// The objective this one aligns to (directly, or through one of its key results).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        let Some(parent) = self.0.parent_objective_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?.loaders.objectives.load_one(parent).await.gql()?.map(Objective))
    }
    /// The key result this objective aligns to, when it aligns to one.
    async fn parent_key_result(&self, ctx: &Context<'_>) -> Result<Option<KeyResult>> {
        let Some(parent) = self.0.parent_key_result_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?.loaders.key_results.load_one(parent).await.gql()?.map(KeyResult))
    }
    /// CONTRIBUTES (counts in the parent's rollup) or SUPPORTS; none without a parent.
    async fn alignment(&self) -> Option<AlignmentKind> {
        self.0.alignment_kind.map(Into::into)
    }
    async fn progress_driver(&self) -> ProgressDriver {
        self.0.progress_driver.into()
    }
    /// Rolled-up progress, 0–1.
    async fn progress(&self) -> f64 {
        self.0.progress
    }
    /// The progress a stretch goal should show by now (0.7 × the elapsed part of the cycle).
    async fn expected_progress(&self, ctx: &Context<'_>) -> Result<f64> {
        expected_progress(&scope(ctx)?, self.0.cycle_id).await
    }
    /// The weakest status of its key results (or of its own progress when it has none).
    async fn status(&self, ctx: &Context<'_>) -> Result<Status> {
        let s = scope(ctx)?;
        let expected = expected_progress(&s, self.0.cycle_id).await?;
        let key_results = self.key_result_rows(&s).await?;
        let krs = key_results.iter().map(|kr| (kr.progress, kr.latest_confidence));
        Ok(scoring::objective_status(self.0.progress, expected, krs).into())
    }
    /// The objective this one was carried over from.
    async fn carried_over_from(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        let Some(source) = self.0.carried_over_from_id else { return Ok(None) };
        Ok(scope(ctx)?.loaders.objectives.load_one(source).await.gql()?.map(Objective))
    }
    /// When it was archived; archived objectives keep their history.
    async fn archived_at(&self) -> Option<DateTime> {
        self.0.archived_at.map(DateTime)
    }
    /// Progress frozen when the objective or its cycle closed.
    async fn final_score(&self) -> Option<f64> {
        self.0.final_score
    }
    async fn closing_note(&self) -> Option<&str> {
        self.0.closing_note.as_deref()
    }
    /// Check-ins recorded on all its key results.
    async fn check_in_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(self.key_result_rows(&scope(ctx)?).await?.iter().map(|kr| kr.check_in_count).sum())
    }
    /// The latest check-in on any of its key results.
    async fn last_check_in_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime>> {
        Ok(self.key_result_rows(&scope(ctx)?).await?.iter().filter_map(|kr| kr.last_check_in_at).max().map(DateTime))
    }
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn key_results(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<KeyResult>> {
        let rows = self.key_result_rows(&scope(ctx)?).await?;
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::KeyResult, |k| k.id, KeyResult)
    }
    /// What is going wrong with it or its key results now, most severe first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn insights(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<crate::graphql::insight::Insight>> {
        let id = self.0.id;
        let args = PageArgs::new(first, after, last, before);
        crate::graphql::insight::connection(ctx, self.0.cycle_id, |i| i.objective_id == Some(id), &args).await
    }
    /// The objectives aligned to this one (directly or through its key results).
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn aligned_objectives(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Objective>> {
        let rows = scope(ctx)?.loaders.aligned_objectives.load_one(self.0.id).await.gql()?.unwrap_or_default();
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Objective, |o| o.id, Objective)
    }
    /// What this objective needs from other teams.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn depends_on(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Dependency>> {
        let rows = scope(ctx)?.loaders.dependencies_from.load_one(self.0.id).await.gql()?.unwrap_or_default();
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Dependency, |d| d.id, Dependency)
    }
    /// What other teams need from this objective.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn depended_on_by(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Dependency>> {
        let rows = scope(ctx)?.loaders.dependencies_to.load_one(self.0.id).await.gql()?.unwrap_or_default();
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Dependency, |d| d.id, Dependency)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}
