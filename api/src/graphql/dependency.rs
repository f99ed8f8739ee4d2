//! `Dependency`: one team's objective needs another team's.

use crate::graphql::context::scope;
use crate::graphql::enums::DependencyState;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::key_result::KeyResult;
use crate::graphql::objective::Objective;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object, Result};
use entity::dependency;
use uuid::Uuid;

/// "Our objective needs theirs": `from` depends on `to`.
pub struct Dependency(pub std::sync::Arc<dependency::Model>);

async fn objective(ctx: &Context<'_>, id: Uuid) -> Result<Option<Objective>> {
    Ok(scope(ctx)?.loaders.objectives.load_one(id).await.gql()?.map(Objective))
}

async fn key_result(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<KeyResult>> {
    let Some(id) = id else { return Ok(None) };
    Ok(scope(ctx)?.loaders.key_results.load_one(id).await.gql()?.map(KeyResult))
}

#[Object]
impl Dependency {
    pub async fn id(&self) -> ID {
        encode(Kind::Dependency, self.0.id)
    }
    /// The objective that needs something.
    async fn from(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        objective(ctx, self.0.from_objective_id).await
    }
    /// The key result that needs something, when the need is that narrow.
    #[graphql(name = "fromKeyResult")]
    async fn needing_key_result(&self, ctx: &Context<'_>) -> Result<Option<KeyResult>> {
        key_result(ctx, self.0.from_key_result_id).await
    }
    /// The objective it depends on.
    async fn to(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        objective(ctx, self.0.to_objective_id).await
    }
    /// The key result it depends on, when the need is that narrow.
    async fn to_key_result(&self, ctx: &Context<'_>) -> Result<Option<KeyResult>> {
        key_result(ctx, self.0.to_key_result_id).await
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn state(&self) -> DependencyState {
        self.0.state.into()
    }
    async fn resolved_at(&self) -> Option<DateTime> {
        self.0.resolved_at.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}
