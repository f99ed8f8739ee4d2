//! Check-ins (members of the owning team, and admins).

use crate::graphql::check_in::CheckIn;
use crate::graphql::context::scope;
use crate::graphql::enums::Confidence;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, expect};
use crate::graphql::key_result::KeyResult;
use crate::graphql::mutation::written;
use crate::graphql::objective::Objective;
use crate::payload;
use async_graphql::{Context, ID, InputObject, Object, Result};
use service::check_ins::{self, NewCheckIn};

/// The check-in mutation.
#[derive(Default)]
pub struct CheckInMutation;

/// A reading of a key result.
#[derive(InputObject)]
pub struct CheckInInput {
    pub client_mutation_id: Option<String>,
    pub key_result_id: ID,
    pub value: f64,
    #[graphql(default_with = "Confidence::OnTrack")]
    pub confidence: Confidence,
    pub note: Option<String>,
    /// Send the same key when retrying: the check-in is recorded once and the retry gets
    /// the first result. Scoped to the key result; at most 128 characters.
    pub idempotency_key: Option<String>,
}

payload!(
    /// The new check-in, the key result it moved, and its objective's new progress.
    CheckInPayload {
        check_in: CheckIn,
        key_result: KeyResult,
        objective: Option<Objective>,
        /// True when this answered a retry (same idempotency key) with the first result.
        replayed: bool
    }
);

#[Object]
impl CheckInMutation {
    /// Records a reading; never edits one (a correction is a new check-in).
    async fn check_in(&self, ctx: &Context<'_>, input: CheckInInput) -> Result<CheckInPayload> {
        let s = scope(ctx)?;
        let new = NewCheckIn {
            key_result_id: expect(Kind::KeyResult, &input.key_result_id)?,
            value: input.value,
            confidence: input.confidence.into(),
            note: input.note,
            idempotency_key: input.idempotency_key,
        };
        let recorded = check_ins::record(s.service(), new).await.gql()?;
        s.loaders.clear();
        let objective = s.loaders.objectives.load_one(recorded.key_result.objective_id).await.gql()?.map(Objective);
        Ok(written(
            &s,
            CheckInPayload {
                client_mutation_id: input.client_mutation_id,
                check_in: CheckIn(recorded.check_in.into()),
                key_result: KeyResult(recorded.key_result.into()),
                objective,
                replayed: recorded.replayed,
            },
        ))
    }
}
