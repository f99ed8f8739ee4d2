//! Prefetching by looking ahead at the query: a view that already holds a page of
//! objectives reads what the query nests under them (key results, their newest
//! check-ins) in one statement each and hands the rows to the request's loaders. Left to
//! the loaders' batching window, hundreds of siblings resolving under load split one
//! read into several statements.

use crate::graphql::connection::PageArgs;
use crate::graphql::context::Scope;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::Kind;
use crate::graphql::loaders::Rows;
use async_graphql::{Lookahead, Result};
use entity::{key_result, objective};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// Rows shared between a view, the loaders' caches and resolvers.
pub type Shared<M> = Arc<M>;

/// The live key results of each objective.
pub type KeyResults = HashMap<Uuid, Rows<key_result::Model>>;

pub fn shared<M>(rows: Vec<M>) -> Vec<Shared<M>> {
    rows.into_iter().map(Arc::new).collect()
}

/// Hands objectives and key results already loaded to the request's loaders.
pub async fn prime(
    s: &Scope<'_>,
    objectives: &[Shared<objective::Model>],
    key_results: HashMap<Uuid, Vec<key_result::Model>>,
) -> KeyResults {
    let key_results: KeyResults = key_results.into_iter().map(|(id, rows)| (id, shared(rows))).collect();
    s.loaders.objectives.feed_many(objectives.iter().map(|o| (o.id, o.clone()))).await;
    let per_objective = objectives.iter().map(|o| (o.id, key_results.get(&o.id).cloned().unwrap_or_default()));
    s.loaders.key_results_of_objective.feed_many(per_objective).await;
    s.loaders.key_results.feed_many(key_results.values().flatten().map(|k| (k.id, k.clone()))).await;
    key_results
}

/// The nodes of a connection the query selects, through `edges { node }` or `nodes`.
pub fn nodes<'a>(connection: &Lookahead<'a>) -> Option<Lookahead<'a>> {
    let mut fields = connection.field("edges").field("node").selection_fields();
    fields.extend(connection.field("nodes").selection_fields());
    Lookahead::try_from(fields.as_slice()).ok()
}

/// Whether the query reads an objective's key results (directly or through fields
/// computed from them).
pub fn reads_key_results(objective: &Lookahead<'_>) -> bool {
    ["keyResults", "status", "checkInCount", "lastCheckInAt"].iter().any(|f| objective.field(f).exists())
}

/// Reads the newest check-ins of all `key_results` in one statement per page size when
/// the query nests `checkIns` (newest first) under the objectives' key results.
pub async fn check_ins(s: &Scope<'_>, objective: &Lookahead<'_>, key_results: &KeyResults) -> Result<()> {
    let Some(node) = nodes(&objective.field("keyResults")) else { return Ok(()) };
    let limits: HashSet<u64> = node
        .field("checkIns")
        .selection_fields()
        .iter()
        .filter_map(|field| PageArgs::of_field(field)?.newest(Kind::CheckIn).ok().flatten())
        .collect();
    let ids: Vec<Uuid> = key_results.values().flatten().map(|k| k.id).collect();
    for limit in limits {
        let mut latest = service::tenant::latest_check_ins(s.db, s.actor, &ids, limit).await.gql()?;
        let rows = ids.iter().map(|id| ((*id, limit), shared(latest.remove(id).unwrap_or_default())));
        s.loaders.latest_check_ins.feed_many(rows).await;
    }
    Ok(())
}

/// For a page of objectives: their key results and newest check-ins, when the query
/// nests them under `objective`.
pub async fn page(s: &Scope<'_>, objective: &Lookahead<'_>, objectives: &[Shared<objective::Model>]) -> Result<()> {
    if objectives.is_empty() || !reads_key_results(objective) {
        return Ok(());
    }
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let key_results = service::key_results::live(s.db, s.actor, &ids).await.gql()?;
    let key_results = prime(s, objectives, key_results).await;
    check_ins(s, objective, &key_results).await
}
