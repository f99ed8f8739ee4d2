//! `Cycle`: a goal period.

use crate::graphql::context::scope;
use crate::graphql::enums::CycleState;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::scalars::{Date, DateTime};
use async_graphql::{Context, ID, Object, Result};
use entity::cycle;
use service::rules::scoring;

/// A goal period: a quarter or a year. Cycles nest.
pub struct Cycle(pub std::sync::Arc<cycle::Model>);

#[Object]
impl Cycle {
    pub async fn id(&self) -> ID {
        encode(Kind::Cycle, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }
    /// The cycle's last day (inclusive).
    async fn ends_on(&self) -> Date {
        Date(self.0.ends_on)
    }
    async fn state(&self) -> CycleState {
        self.0.state.into()
    }
    /// The enclosing cycle (the year around a quarter).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Cycle>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(scope(ctx)?.loaders.cycles.load_one(parent).await.gql()?.map(Cycle))
    }
    /// How much of the cycle has passed, 0–1.
    async fn elapsed(&self, ctx: &Context<'_>) -> Result<f64> {
        Ok(scoring::elapsed_fraction(self.0.starts_on, self.0.ends_on, scope(ctx)?.clock.now()))
    }
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.closed_at.map(DateTime)
    }
}
