//! Key results (leads of the owning team, and admins).

use crate::graphql::context::scope;
use crate::graphql::enums::{KeyResultKind, KeyResultUnit};
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, expect};
use crate::graphql::key_result::KeyResult;
use crate::graphql::mutation::{clearable, written};
use crate::graphql::objective::Objective;
use crate::payload;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use service::key_results::write::{self as key_result_writes, Changed, KeyResultPatch, NewKeyResult};
use service::rules::measurability::Definition;

/// Key result mutations.
#[derive(Default)]
pub struct KeyResultMutation;

/// A new key result. A MILESTONE runs from 0 to 1 (the default values); other kinds
/// need a start and a target in the direction of the kind.
#[derive(InputObject)]
pub struct CreateKeyResultInput {
    pub client_mutation_id: Option<String>,
    pub objective_id: ID,
    pub title: String,
    pub kind: KeyResultKind,
    #[graphql(default_with = "KeyResultUnit::Number")]
    pub unit: KeyResultUnit,
    /// ISO 4217 code for CURRENCY, the label for CUSTOM.
    pub unit_label: Option<String>,
    #[graphql(default)]
    pub start_value: f64,
    #[graphql(default = 1.0)]
    pub target_value: f64,
    #[graphql(default = 1.0)]
    pub weight: f64,
    /// A member of the owning team.
    pub driver_id: Option<ID>,
}

/// Changes to a key result; its kind never changes.
#[derive(InputObject)]
pub struct UpdateKeyResultInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    pub title: Option<String>,
    pub start_value: Option<f64>,
    pub target_value: Option<f64>,
    pub weight: Option<f64>,
    pub unit: Option<KeyResultUnit>,
    pub unit_label: Option<String>,
    /// `null` removes the driver.
    pub driver_id: MaybeUndefined<ID>,
}

/// A key result to archive.
#[derive(InputObject)]
pub struct ArchiveKeyResultInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
}

payload!(
    /// The key result after the change, and its objective with its new progress.
    KeyResultPayload { key_result: KeyResult, objective: Option<Objective> }
);

async fn payload(ctx: &Context<'_>, client_mutation_id: Option<String>, changed: Changed) -> Result<KeyResultPayload> {
    let s = scope(ctx)?;
    s.loaders.clear();
    let objective = s.loaders.objectives.load_one(changed.key_result.objective_id).await.gql()?.map(Objective);
    Ok(written(
        &s,
        KeyResultPayload { client_mutation_id, key_result: KeyResult(changed.key_result.into()), objective },
    ))
}

#[Object]
impl KeyResultMutation {
    /// Adds a key result to an objective, within the focus policy.
    async fn create_key_result(&self, ctx: &Context<'_>, input: CreateKeyResultInput) -> Result<KeyResultPayload> {
        let s = scope(ctx)?;
        let new = NewKeyResult {
            objective_id: expect(Kind::Objective, &input.objective_id)?,
            title: input.title,
            definition: Definition {
                kind: input.kind.into(),
                unit: input.unit.into(),
                unit_label: input.unit_label,
                start: input.start_value,
                target: input.target_value,
                weight: input.weight,
            },
            driver_id: input.driver_id.as_ref().map(|id| expect(Kind::Person, id)).transpose()?,
        };
        let changed = key_result_writes::create(s.service(), new).await.gql()?;
        payload(ctx, input.client_mutation_id, changed).await
    }

    /// Edits a key result; its progress follows the new figures.
    async fn update_key_result(&self, ctx: &Context<'_>, input: UpdateKeyResultInput) -> Result<KeyResultPayload> {
        let s = scope(ctx)?;
        let driver_id = clearable(Kind::Person, input.driver_id)?;
        let patch = KeyResultPatch {
            title: input.title,
            start: input.start_value,
            target: input.target_value,
            weight: input.weight,
            unit: input.unit.map(Into::into),
            unit_label: input.unit_label,
            driver_id,
        };
        let changed = key_result_writes::update(s.service(), expect(Kind::KeyResult, &input.id)?, patch).await.gql()?;
        payload(ctx, input.client_mutation_id, changed).await
    }

    /// Archives a key result: its check-ins stay, it leaves the objective's progress.
    async fn archive_key_result(&self, ctx: &Context<'_>, input: ArchiveKeyResultInput) -> Result<KeyResultPayload> {
        let s = scope(ctx)?;
        let changed = key_result_writes::archive(s.service(), expect(Kind::KeyResult, &input.id)?).await.gql()?;
        payload(ctx, input.client_mutation_id, changed).await
    }
}
