//! Alignment trees: whole subtrees in a fixed number of statements, whatever their size.
//! Objectives come in one query per cycle; everything hanging off them (key results,
//! dependencies) in one batched query each.

use crate::tenant::{self, Tenant};
use crate::{Actor, Error, Result};
use entity::{cycle, dependency, key_result, objective};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use std::collections::{HashMap, HashSet, VecDeque};
use uuid::Uuid;

/// The deepest a tree may be asked for; deeper trees are cut there.
pub const MAX_DEPTH: u32 = 64;

/// One objective in a tree, with where it hangs.
#[derive(Debug, Clone)]
pub struct TreeNode {
    pub objective: objective::Model,
    /// 0 for the roots.
    pub depth: u32,
    /// The parent's id, when the parent is in the tree.
    pub parent_id: Option<Uuid>,
}

/// A flat alignment tree: nodes parents-first, their key results, and the dependency
/// edges among them.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub nodes: Vec<TreeNode>,
    /// The cycle the tree is drawn for.
    pub cycle: Option<cycle::Model>,
    /// The teams owning the nodes.
    pub teams: Vec<entity::team::Model>,
    pub key_results: HashMap<Uuid, Vec<key_result::Model>>,
    pub dependencies: Vec<dependency::Model>,
}

/// What a caller reads of a tree beyond its objectives; what nobody reads is not loaded.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    pub key_results: bool,
    pub dependencies: bool,
    pub teams: bool,
}

/// Every live objective of `cycle_id` under `root_id` (or under every root of the cycle
/// when none is given), down to `max_depth` levels below the roots, with the `parts` asked
/// for.
pub async fn alignment_tree(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cycle_id: Uuid,
    root_id: Option<Uuid>,
    max_depth: Option<u32>,
    parts: Parts,
) -> Result<Tree> {
    let max_depth = max_depth.unwrap_or(MAX_DEPTH).min(MAX_DEPTH);
    let cycle = tenant::get::<cycle::Entity>(db, actor, cycle_id).await?;
    let mut objectives = live(actor).filter(objective::Column::CycleId.eq(cycle_id)).all(db).await?;
    let roots: Vec<Uuid> = match root_id {
        Some(root) => {
            if !objectives.iter().any(|o| o.id == root) {
                // A root from an enclosing cycle (a yearly objective over the quarter's).
                let found = tenant::get::<objective::Entity>(db, actor, root).await?;
                if found.archived_at.is_some() {
                    return Err(Error::not_found(objective::Entity::NAME, root));
                }
                objectives.push(found);
            }
            vec![root]
        }
        None => {
            let ids: HashSet<Uuid> = objectives.iter().map(|o| o.id).collect();
            objectives
                .iter()
                .filter(|o| o.parent_objective_id.is_none_or(|p| !ids.contains(&p)))
                .map(|o| o.id)
                .collect()
        }
    };
    let nodes = walk(objectives, &roots, max_depth);
    let ids: Vec<Uuid> = nodes.iter().map(|n| n.objective.id).collect();
    let mut tree = Tree { cycle: Some(cycle), ..Tree::default() };
    if parts.key_results {
        tree.key_results = crate::key_results::live(db, actor, &ids).await?;
    }
    if parts.dependencies {
        tree.dependencies = edges(db, actor, &ids).await?;
    }
    if parts.teams {
        let team_ids: Vec<Uuid> =
            nodes.iter().map(|n| n.objective.team_id).collect::<HashSet<_>>().into_iter().collect();
        tree.teams = tenant::by_ids::<entity::team::Entity>(db, actor, &team_ids).await?.into_values().collect();
    }
    tree.nodes = nodes;
    Ok(tree)
}

/// The live objectives of the actor's organization.
pub(crate) fn live(actor: &Actor) -> tenant::Scoped<objective::Entity> {
    tenant::scoped::<objective::Entity>(actor).filter(objective::Column::ArchivedAt.is_null())
}

/// Breadth-first from the roots, parents before children, oldest sibling first.
fn walk(objectives: Vec<objective::Model>, roots: &[Uuid], max_depth: u32) -> Vec<TreeNode> {
    let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut by_id: HashMap<Uuid, objective::Model> = HashMap::new();
    for o in objectives {
        if let Some(parent) = o.parent_objective_id {
            children.entry(parent).or_default().push(o.id);
        }
        by_id.insert(o.id, o);
    }
    let mut queue: VecDeque<(Uuid, u32, Option<Uuid>)> = roots.iter().map(|r| (*r, 0, None)).collect();
    let mut seen = HashSet::new();
    let mut nodes = Vec::new();
    while let Some((id, depth, parent_id)) = queue.pop_front() {
        let Some(objective) = by_id.get(&id).filter(|_| seen.insert(id)) else { continue };
        if depth < max_depth {
            let mut kids = children.get(&id).cloned().unwrap_or_default();
            kids.sort();
            queue.extend(kids.into_iter().map(|kid| (kid, depth + 1, Some(id))));
        }
        nodes.push(TreeNode { objective: objective.clone(), depth, parent_id });
    }
    nodes
}

/// The dependencies that start or end at one of `ids`.
pub(crate) async fn edges(db: &impl ConnectionTrait, actor: &Actor, ids: &[Uuid]) -> Result<Vec<dependency::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let touching = Condition::any()
        .add(tenant::one_of(backend, dependency::Column::FromObjectiveId, ids))
        .add(tenant::one_of(backend, dependency::Column::ToObjectiveId, ids));
    tenant::scoped::<dependency::Entity>(actor).filter(touching).all(db).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objectives::test_row as objective;

    #[test]
    fn a_walk_lists_parents_first_with_depths_and_stops_at_max_depth() {
        let (a, b, c, d) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let all = vec![objective(d, Some(c)), objective(c, Some(b)), objective(b, Some(a)), objective(a, None)];
        let nodes = walk(all.clone(), &[a], 64);
        let depths: Vec<(Uuid, u32)> = nodes.iter().map(|n| (n.objective.id, n.depth)).collect();
        assert_eq!(depths, vec![(a, 0), (b, 1), (c, 2), (d, 3)]);
        assert_eq!(nodes[2].parent_id, Some(b));
        assert_eq!(walk(all, &[a], 1).len(), 2);
    }
}
