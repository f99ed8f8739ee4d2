//! `CheckIn`: an append-only reading of a key result.

use crate::graphql::context::scope;
use crate::graphql::enums::Confidence;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::key_result::KeyResult;
use crate::graphql::person::Person;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object, Result};
use entity::check_in;

/// A reading of a key result at a moment. Never edited: a correction is a new check-in.
pub struct CheckIn(pub std::sync::Arc<check_in::Model>);

#[Object]
impl CheckIn {
    pub async fn id(&self) -> ID {
        encode(Kind::CheckIn, self.0.id)
    }
    async fn value(&self) -> f64 {
        self.0.value
    }
    async fn confidence(&self) -> Confidence {
        self.0.confidence.into()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn recorded_at(&self) -> DateTime {
        DateTime(self.0.recorded_at)
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Ok(scope(ctx)?.loaders.people.load_one(self.0.author_id).await.gql()?.map(Person))
    }
    async fn key_result(&self, ctx: &Context<'_>) -> Result<Option<KeyResult>> {
        Ok(scope(ctx)?.loaders.key_results.load_one(self.0.key_result_id).await.gql()?.map(KeyResult))
    }
}
