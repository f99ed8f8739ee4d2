//! Cycles (organization admins).

use crate::graphql::context::scope;
use crate::graphql::cycle::Cycle;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, expect};
use crate::graphql::mutation::written;
use crate::graphql::scalars::Date;
use crate::payload;
use async_graphql::{Context, ID, InputObject, Object, Result};
use service::cycles::write::{self as cycle_writes, CyclePatch, NewCycle};

/// Cycle mutations.
#[derive(Default)]
pub struct CycleMutation;

/// A new cycle, in PLANNING.
#[derive(InputObject)]
pub struct CreateCycleInput {
    pub client_mutation_id: Option<String>,
    pub name: String,
    pub starts_on: Date,
    /// The last day (inclusive).
    pub ends_on: Date,
    /// The enclosing cycle, e.g. the year around a quarter.
    pub parent_id: Option<ID>,
}

/// Changes to a cycle that is not closed.
#[derive(InputObject)]
pub struct UpdateCycleInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    pub name: Option<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
}

/// A cycle to move along its life.
#[derive(InputObject)]
pub struct CycleStateInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
}

payload!(
    /// The cycle after the change.
    CyclePayload { cycle: Cycle }
);

impl CycleMutation {
    async fn transition(
        ctx: &Context<'_>,
        input: CycleStateInput,
        change: for<'a> fn(
            service::Scope<'a>,
            uuid::Uuid,
        ) -> futures::future::BoxFuture<'a, service::Result<entity::cycle::Model>>,
    ) -> Result<CyclePayload> {
        let s = scope(ctx)?;
        let cycle = change(s.service(), expect(Kind::Cycle, &input.id)?).await.gql()?;
        Ok(written(&s, CyclePayload { client_mutation_id: input.client_mutation_id, cycle: Cycle(cycle.into()) }))
    }
}

#[Object]
impl CycleMutation {
    /// Creates a cycle (admins).
    async fn create_cycle(&self, ctx: &Context<'_>, input: CreateCycleInput) -> Result<CyclePayload> {
        let s = scope(ctx)?;
        let parent_id = input.parent_id.as_ref().map(|id| expect(Kind::Cycle, id)).transpose()?;
        let (starts_on, ends_on) = (input.starts_on.0, input.ends_on.0);
        let new = NewCycle { name: input.name, starts_on, ends_on, parent_id };
        let cycle = cycle_writes::create(s.service(), new).await.gql()?;
        Ok(written(&s, CyclePayload { client_mutation_id: input.client_mutation_id, cycle: Cycle(cycle.into()) }))
    }

    /// Renames or re-dates a cycle (admins).
    async fn update_cycle(&self, ctx: &Context<'_>, input: UpdateCycleInput) -> Result<CyclePayload> {
        let s = scope(ctx)?;
        let (starts_on, ends_on) = (input.starts_on.map(|d| d.0), input.ends_on.map(|d| d.0));
        let patch = CyclePatch { name: input.name, starts_on, ends_on };
        let cycle = cycle_writes::update(s.service(), expect(Kind::Cycle, &input.id)?, patch).await.gql()?;
        Ok(written(&s, CyclePayload { client_mutation_id: input.client_mutation_id, cycle: Cycle(cycle.into()) }))
    }

    /// PLANNING → ACTIVE (admins).
    async fn activate_cycle(&self, ctx: &Context<'_>, input: CycleStateInput) -> Result<CyclePayload> {
        Self::transition(ctx, input, |s, id| Box::pin(cycle_writes::activate(s, id))).await
    }

    /// ACTIVE → CLOSED, freezing every objective's final score (admins).
    async fn close_cycle(&self, ctx: &Context<'_>, input: CycleStateInput) -> Result<CyclePayload> {
        Self::transition(ctx, input, |s, id| Box::pin(cycle_writes::close(s, id))).await
    }

    /// CLOSED → ACTIVE (admins; audited).
    async fn reopen_cycle(&self, ctx: &Context<'_>, input: CycleStateInput) -> Result<CyclePayload> {
        Self::transition(ctx, input, |s, id| Box::pin(cycle_writes::reopen(s, id))).await
    }
}
