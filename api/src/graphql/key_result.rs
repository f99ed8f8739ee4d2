//! `KeyResult`: a measurable result under one objective.

use crate::graphql::check_in::CheckIn;
use crate::graphql::connection::{Conn, PageArgs, first_page, from_rows};
use crate::graphql::context::scope;
use crate::graphql::enums::{Confidence, KeyResultKind, KeyResultUnit, Status};
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::initiative::Initiative;
use crate::graphql::objective::{Objective, expected_progress};
use crate::graphql::person::Person;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object, Result};
use entity::key_result;
use service::rules::scoring;

/// A measurable result under one objective.
pub struct KeyResult(pub std::sync::Arc<key_result::Model>);

#[Object]
impl KeyResult {
    pub async fn id(&self) -> ID {
        encode(Kind::KeyResult, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn kind(&self) -> KeyResultKind {
        self.0.kind.into()
    }
    async fn unit(&self) -> KeyResultUnit {
        self.0.unit.into()
    }
    /// The ISO 4217 code of a CURRENCY unit, or the label of a CUSTOM one.
    async fn unit_label(&self) -> Option<&str> {
        self.0.unit_label.as_deref()
    }
    async fn start_value(&self) -> f64 {
        self.0.start_value
    }
    async fn target_value(&self) -> f64 {
        self.0.target_value
    }
    /// The latest check-in's value (the start value before any check-in).
    async fn current_value(&self) -> f64 {
        self.0.current_value
    }
    /// Its weight in the objective's progress.
    async fn weight(&self) -> f64 {
        self.0.weight
    }
    /// Progress, 0–1.
    async fn progress(&self) -> f64 {
        self.0.progress
    }
    async fn expected_progress(&self, ctx: &Context<'_>) -> Result<f64> {
        let s = scope(ctx)?;
        let Some(objective) = s.loaders.objectives.load_one(self.0.objective_id).await.gql()? else {
            return Ok(0.0);
        };
        expected_progress(&s, objective.cycle_id).await
    }
    async fn status(&self, ctx: &Context<'_>) -> Result<Status> {
        let expected = self.expected_progress(ctx).await?;
        Ok(scoring::status(self.0.progress, expected, self.0.latest_confidence).into())
    }
    async fn latest_confidence(&self) -> Option<Confidence> {
        self.0.latest_confidence.map(Into::into)
    }
    async fn check_in_count(&self) -> i32 {
        self.0.check_in_count
    }
    async fn last_check_in_at(&self) -> Option<DateTime> {
        self.0.last_check_in_at.map(DateTime)
    }
    async fn objective(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        Ok(scope(ctx)?.loaders.objectives.load_one(self.0.objective_id).await.gql()?.map(Objective))
    }
    /// The team member who drives this key result.
    async fn driver(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(driver) = self.0.driver_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?.loaders.people.load_one(driver).await.gql()?.map(Person))
    }
    /// Check-ins, newest first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn check_ins(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<CheckIn>> {
        let s = scope(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        if let Some(limit) = args.newest(Kind::CheckIn)? {
            // The common case, the newest few: read only those, count from the key result.
            let rows = s.loaders.latest_check_ins.load_one((self.0.id, limit)).await.gql()?.unwrap_or_default();
            let total = self.0.check_in_count.max(0) as u64;
            return Ok(first_page(rows, total, Kind::CheckIn, |c| c.id, CheckIn));
        }
        let mut rows = s.loaders.check_ins_of_key_result.load_one(self.0.id).await.gql()?.unwrap_or_default();
        rows.sort_by_key(|c| std::cmp::Reverse((c.recorded_at, c.id)));
        from_rows(rows, &args, Kind::CheckIn, |c| c.id, CheckIn)
    }
    /// The activities planned to move it.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Initiative>> {
        let rows = scope(ctx)?.loaders.initiatives_of_key_result.load_one(self.0.id).await.gql()?.unwrap_or_default();
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Initiative, |i| i.id, Initiative)
    }
    /// What is going wrong with it now, most severe first.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn insights(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<crate::graphql::insight::Insight>> {
        let objective = scope(ctx)?.loaders.objectives.load_one(self.0.objective_id).await.gql()?;
        let Some(objective) = objective else {
            return from_rows(
                Vec::new(),
                &PageArgs::default(),
                Kind::Insight,
                |i| i.id(),
                crate::graphql::insight::Insight,
            );
        };
        let id = self.0.id;
        let args = PageArgs::new(first, after, last, before);
        crate::graphql::insight::connection(ctx, objective.cycle_id, |i| i.key_result_id == Some(id), &args).await
    }
    /// When it was archived; archived key results keep their check-ins.
    async fn archived_at(&self) -> Option<DateTime> {
        self.0.archived_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}
