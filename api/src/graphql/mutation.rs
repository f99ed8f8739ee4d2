//! The mutation root: one `input`, one payload per mutation (Relay style), each echoing
//! `clientMutationId`. Resolvers decode ids, call the service, and encode the result.

pub mod check_in;
pub mod cycle;
pub mod key_result;
pub mod objective;
pub mod planning;
pub mod rhythm;
pub mod strategy;
pub mod team;
pub mod transfer;
pub mod webhook;

use crate::graphql::context::Scope;
use crate::graphql::error::bad_input;
use crate::graphql::ids::{self, Kind};
use async_graphql::{ID, MaybeUndefined, MergedObject, Result};
use uuid::Uuid;

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    team::TeamMutation,
    cycle::CycleMutation,
    objective::ObjectiveMutation,
    key_result::KeyResultMutation,
    check_in::CheckInMutation,
    planning::PlanningMutation,
    rhythm::RhythmMutation,
    strategy::StrategyMutation,
    webhook::WebhookMutation,
    transfer::TransferMutation,
);

/// Declares a Relay payload: `clientMutationId` plus the changed objects.
#[macro_export]
macro_rules! payload {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// Echoes the input's `clientMutationId`.
            pub client_mutation_id: Option<String>,
            $($(#[$fdoc])* pub $field: $ty),*
        }
    };
}

/// After a write, loaders forget what they read, so the payload shows the change.
pub fn written<T>(s: &Scope<'_>, value: T) -> T {
    s.loaders.clear();
    value
}

/// A clearable id field: absent leaves it (`None`), `null` clears it (`Some(None)`), an id
/// of `kind` sets it.
pub fn clearable(kind: Kind, id: MaybeUndefined<ID>) -> Result<Option<Option<Uuid>>> {
    Ok(match id {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(ids::expect(kind, &id)?)),
    })
}

/// Decodes an id that must be an objective's or a key result's.
use service::objectives::ObjectiveOrKeyResult;

pub fn objective_or_key_result(id: &ID) -> Result<ObjectiveOrKeyResult> {
    match ids::decode(id) {
        Some((Kind::Objective, uuid)) => Ok(ObjectiveOrKeyResult::Objective(uuid)),
        Some((Kind::KeyResult, uuid)) => Ok(ObjectiveOrKeyResult::KeyResult(uuid)),
        _ => Err(bad_input(format!("{:?} is neither an Objective nor a KeyResult id", id.as_str()))),
    }
}
