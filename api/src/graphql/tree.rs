//! `alignmentTree` and `dashboard`: whole views in one request, whose statement count
//! does not grow with their size. The service loads the rows in batches and the
//! per-request loaders are primed with them, so nested fields read from memory.

use crate::graphql::context::scope;
use crate::graphql::cycle::Cycle;
use crate::graphql::dependency::Dependency;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode, expect};
use crate::graphql::objective::{Objective, expected_progress};
use crate::graphql::prefetch::{self, KeyResults, Shared, shared};
use crate::graphql::team::Team;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entity::objective;
use service::rules::scoring::{self, Status};
use std::sync::Arc;
use uuid::Uuid;

/// One objective in a tree.
pub struct AlignmentNode {
    objective: Shared<objective::Model>,
    depth: u32,
    parent_id: Option<Uuid>,
}

#[Object]
impl AlignmentNode {
    /// 0 for a root.
    async fn depth(&self) -> u32 {
        self.depth
    }
    /// The parent objective's id, when the parent is in this tree.
    async fn parent_id(&self) -> Option<ID> {
        self.parent_id.map(|id| encode(Kind::Objective, id))
    }
    async fn objective(&self) -> Objective {
        Objective(self.objective.clone())
    }
}

/// A flat alignment tree: nodes parents-first, and the dependency edges among them.
pub struct AlignmentTree {
    nodes: Vec<AlignmentNode>,
    dependencies: Vec<Shared<entity::dependency::Model>>,
}

#[Object]
impl AlignmentTree {
    /// Parents before their children, each with its depth and parent id.
    async fn nodes(&self) -> &[AlignmentNode] {
        &self.nodes
    }
    /// Cross-team dependencies that start or end in the tree.
    async fn dependencies(&self) -> Vec<Dependency> {
        self.dependencies.iter().cloned().map(Dependency).collect()
    }
}

/// How many objectives are in each status.
#[derive(SimpleObject, Default)]
pub struct StatusCounts {
    pub green: u32,
    pub yellow: u32,
    pub red: u32,
}

/// What a team page shows for a cycle.
pub struct Dashboard {
    team: Shared<entity::team::Model>,
    cycle: Shared<entity::cycle::Model>,
    objectives: Vec<Shared<objective::Model>>,
    key_results: KeyResults,
    depends_on: Vec<Shared<entity::dependency::Model>>,
    depended_on_by: Vec<Shared<entity::dependency::Model>>,
}

#[Object]
impl Dashboard {
    async fn team(&self) -> Team {
        Team(self.team.clone())
    }
    async fn cycle(&self) -> Cycle {
        Cycle(self.cycle.clone())
    }
    /// The team's live objectives in the cycle, oldest first.
    async fn objectives(&self) -> Vec<Objective> {
        self.objectives.iter().cloned().map(Objective).collect()
    }
    /// What is going wrong in the team's OKRs of the cycle, most severe first.
    async fn insights(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::insight::Insight>> {
        let all = scope(ctx)?.loaders.insights_of_cycle.load(self.cycle.id).await.gql()?.unwrap_or_default();
        let team = self.team.id;
        Ok(all.insights.iter().filter(|i| i.team_id == team).cloned().map(crate::graphql::insight::Insight).collect())
    }
    /// Objectives per status colour now.
    async fn status_counts(&self, ctx: &Context<'_>) -> Result<StatusCounts> {
        let s = scope(ctx)?;
        let expected = expected_progress(&s, self.cycle.id).await?;
        let mut counts = StatusCounts::default();
        for o in &self.objectives {
            let krs = self.key_results.get(&o.id).into_iter().flatten().map(|k| (k.progress, k.latest_confidence));
            match scoring::objective_status(o.progress, expected, krs) {
                Status::Green => counts.green += 1,
                Status::Yellow => counts.yellow += 1,
                Status::Red => counts.red += 1,
            }
        }
        Ok(counts)
    }
    /// What the team needs from other teams.
    async fn depends_on(&self) -> Vec<Dependency> {
        self.depends_on.iter().cloned().map(Dependency).collect()
    }
    /// What other teams need from this one.
    async fn depended_on_by(&self) -> Vec<Dependency> {
        self.depended_on_by.iter().cloned().map(Dependency).collect()
    }
}

/// The `alignmentTree` query.
pub async fn alignment_tree(
    ctx: &Context<'_>,
    cycle_id: ID,
    root_id: Option<ID>,
    max_depth: Option<i32>,
) -> Result<AlignmentTree> {
    let s = scope(ctx)?;
    let cycle = expect(Kind::Cycle, &cycle_id)?;
    let root = root_id.as_ref().map(|id| expect(Kind::Objective, id)).transpose()?;
    let depth = max_depth.map(|d| d.max(0) as u32);
    let look = ctx.look_ahead();
    let objective = look.field("nodes").field("objective");
    let parts = service::read_models::tree::Parts {
        key_results: prefetch::reads_key_results(&objective),
        dependencies: look.field("dependencies").exists(),
        teams: objective.field("team").exists(),
    };
    let tree = service::read_models::tree::alignment_tree(s.db, s.actor, cycle, root, depth, parts).await.gql()?;
    let nodes: Vec<AlignmentNode> = tree
        .nodes
        .into_iter()
        .map(|n| AlignmentNode { objective: Arc::new(n.objective), depth: n.depth, parent_id: n.parent_id })
        .collect();
    let objectives: Vec<Shared<objective::Model>> = nodes.iter().map(|n| n.objective.clone()).collect();
    if parts.key_results {
        let key_results = prefetch::prime(&s, &objectives, tree.key_results).await;
        prefetch::check_ins(&s, &objective, &key_results).await?;
    } else {
        s.loaders.objectives.feed_many(objectives.iter().map(|o| (o.id, o.clone()))).await;
    }
    s.loaders.teams.feed_many(tree.teams.into_iter().map(|t| (t.id, Arc::new(t)))).await;
    s.loaders.cycles.feed_many(tree.cycle.into_iter().map(|c| (c.id, Arc::new(c)))).await;
    Ok(AlignmentTree { nodes, dependencies: shared(tree.dependencies) })
}

/// The `dashboard` query.
pub async fn dashboard(ctx: &Context<'_>, team_id: ID, cycle_id: ID) -> Result<Dashboard> {
    let s = scope(ctx)?;
    let (team, cycle) = (expect(Kind::Team, &team_id)?, expect(Kind::Cycle, &cycle_id)?);
    let inner = service::read_models::dashboard::dashboard(s.db, s.actor, team, cycle).await.gql()?;
    let objectives = shared(inner.objectives);
    let key_results = prefetch::prime(&s, &objectives, inner.key_results).await;
    prefetch::check_ins(&s, &ctx.look_ahead().field("objectives"), &key_results).await?;
    let (team, cycle) = (Arc::new(inner.team), Arc::new(inner.cycle));
    s.loaders.cycles.feed_one(cycle.id, cycle.clone()).await;
    s.loaders.teams.feed_one(team.id, team.clone()).await;
    Ok(Dashboard {
        team,
        cycle,
        objectives,
        key_results,
        depends_on: shared(inner.depends_on),
        depended_on_by: shared(inner.depended_on_by),
    })
}
