//! Objectives (leads of the owning team, and admins).

use crate::graphql::context::scope;
use crate::graphql::enums::{AlignmentKind, ProgressDriver};
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, expect};
use crate::graphql::mutation::{objective_or_key_result, written};
use crate::graphql::objective::Objective;
use crate::payload;
use async_graphql::{Context, ID, InputObject, Object, Result};
use service::objectives::alignment;
use service::objectives::life as objective_life;
use service::objectives::write::{self as objective_writes, NewObjective, ObjectivePatch};

/// Objective mutations.
#[derive(Default)]
pub struct ObjectiveMutation;

/// A new objective, created as a DRAFT.
#[derive(InputObject)]
pub struct CreateObjectiveInput {
    pub client_mutation_id: Option<String>,
    /// The owning team: objectives belong to teams, never to people.
    pub team_id: ID,
    pub cycle_id: ID,
    pub title: String,
    pub description: Option<String>,
    #[graphql(default_with = "ProgressDriver::KeyResults")]
    pub progress_driver: ProgressDriver,
    /// Align it at once to this objective or key result.
    pub parent_id: Option<ID>,
    #[graphql(default_with = "AlignmentKind::Contributes")]
    pub alignment: AlignmentKind,
}

/// Changes to an objective.
#[derive(InputObject)]
pub struct UpdateObjectiveInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    pub title: Option<String>,
    /// An empty string clears it.
    pub description: Option<String>,
    pub progress_driver: Option<ProgressDriver>,
}

/// Where an objective aligns.
#[derive(InputObject)]
pub struct AlignObjectiveInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    /// The parent objective or key result; `null` removes the alignment.
    pub parent_id: Option<ID>,
    #[graphql(default_with = "AlignmentKind::Contributes")]
    pub alignment: AlignmentKind,
}

/// An objective to activate or archive.
#[derive(InputObject)]
pub struct ObjectiveInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
}

/// An objective to close.
#[derive(InputObject)]
pub struct CloseObjectiveInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    /// What was learned; shown with the final score.
    pub closing_note: Option<String>,
}

/// An unfinished objective to carry into a later cycle.
#[derive(InputObject)]
pub struct CarryOverObjectiveInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    /// The later cycle.
    pub cycle_id: ID,
}

payload!(
    /// The objective after the change.
    ObjectivePayload { objective: Objective }
);

payload!(
    /// The copy in the later cycle.
    CarryOverObjectivePayload {
        objective: Objective,
        /// True when the objective had been carried into that cycle before: `objective`
        /// is that first copy and nothing was written (a retry never makes a second copy).
        already_carried_over: bool
    }
);

fn payload(client_mutation_id: Option<String>, objective: entity::objective::Model) -> ObjectivePayload {
    ObjectivePayload { client_mutation_id, objective: Objective(objective.into()) }
}

#[Object]
impl ObjectiveMutation {
    /// Creates a DRAFT objective for a team (its leads, admins).
    async fn create_objective(&self, ctx: &Context<'_>, input: CreateObjectiveInput) -> Result<ObjectivePayload> {
        let s = scope(ctx)?;
        let new = NewObjective {
            team_id: expect(Kind::Team, &input.team_id)?,
            cycle_id: expect(Kind::Cycle, &input.cycle_id)?,
            title: input.title,
            description: input.description,
            progress_driver: input.progress_driver.into(),
            parent: input.parent_id.as_ref().map(objective_or_key_result).transpose()?,
            alignment: input.alignment.into(),
        };
        let changed = objective_writes::create(s.service(), new).await.gql()?;
        Ok(written(&s, payload(input.client_mutation_id, changed.objective)))
    }

    /// Edits an objective's title, description or progress driver.
    async fn update_objective(&self, ctx: &Context<'_>, input: UpdateObjectiveInput) -> Result<ObjectivePayload> {
        let s = scope(ctx)?;
        let patch = ObjectivePatch {
            title: input.title,
            description: input.description,
            progress_driver: input.progress_driver.map(Into::into),
        };
        let changed = objective_writes::update(s.service(), expect(Kind::Objective, &input.id)?, patch).await.gql()?;
        Ok(written(&s, payload(input.client_mutation_id, changed.objective)))
    }

    /// Aligns an objective to a parent objective or key result, or removes its alignment.
    async fn align_objective(&self, ctx: &Context<'_>, input: AlignObjectiveInput) -> Result<ObjectivePayload> {
        let s = scope(ctx)?;
        let id = expect(Kind::Objective, &input.id)?;
        let parent = input.parent_id.as_ref().map(objective_or_key_result).transpose()?;
        let aligned = alignment::align(s.service(), id, parent, input.alignment.into()).await.gql()?;
        Ok(written(&s, payload(input.client_mutation_id, aligned.objective)))
    }

    /// DRAFT → ACTIVE: needs a key result and room under the focus policy.
    async fn activate_objective(&self, ctx: &Context<'_>, input: ObjectiveInput) -> Result<ObjectivePayload> {
        let s = scope(ctx)?;
        let changed = objective_life::activate(s.service(), expect(Kind::Objective, &input.id)?).await.gql()?;
        Ok(written(&s, payload(input.client_mutation_id, changed.objective)))
    }

    /// Closes an objective with a note; its final score is its progress now.
    async fn close_objective(&self, ctx: &Context<'_>, input: CloseObjectiveInput) -> Result<ObjectivePayload> {
        let s = scope(ctx)?;
        let id = expect(Kind::Objective, &input.id)?;
        let changed = objective_life::close(s.service(), id, input.closing_note).await.gql()?;
        Ok(written(&s, payload(input.client_mutation_id, changed.objective)))
    }

    /// Copies an unfinished objective into a later cycle as a DRAFT that links back; again
    /// into the same cycle, it answers with the first copy.
    async fn carry_over_objective(
        &self,
        ctx: &Context<'_>,
        input: CarryOverObjectiveInput,
    ) -> Result<CarryOverObjectivePayload> {
        let s = scope(ctx)?;
        let (id, cycle) = (expect(Kind::Objective, &input.id)?, expect(Kind::Cycle, &input.cycle_id)?);
        let carried = objective_life::carry_over(s.service(), id, cycle).await.gql()?;
        Ok(written(
            &s,
            CarryOverObjectivePayload {
                client_mutation_id: input.client_mutation_id,
                objective: Objective(carried.changed.objective.into()),
                already_carried_over: carried.existing,
            },
        ))
    }

    /// Archives an objective: kept in history, out of lists and rollups.
    async fn archive_objective(&self, ctx: &Context<'_>, input: ObjectiveInput) -> Result<ObjectivePayload> {
        let s = scope(ctx)?;
        let changed = objective_writes::archive(s.service(), expect(Kind::Objective, &input.id)?).await.gql()?;
        Ok(written(&s, payload(input.client_mutation_id, changed.objective)))
    }
}
