//! Strategy above the OKRs: `Theme`, and the `StrategyMap` of a cycle.

use crate::graphql::context::scope;
use crate::graphql::cycle::Cycle;
use crate::graphql::enums::Status;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::objective::Objective;
use crate::graphql::scalars::Date;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use entity::theme;
use std::sync::Arc;

/// A Balanced Scorecard perspective.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::Perspective")]
pub enum Perspective {
    Financial,
    Customer,
    InternalProcesses,
    LearningAndGrowth,
}

/// Whether a theme is pursued.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::ThemeState")]
pub enum ThemeState {
    Active,
    /// Kept for history; takes no new objectives.
    Archived,
}

/// A strategic theme of the organization, for a year or longer: what company objectives
/// serve.
pub struct Theme(pub Arc<theme::Model>);

#[Object]
impl Theme {
    pub async fn id(&self) -> ID {
        encode(Kind::Theme, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn perspective(&self) -> Option<Perspective> {
        self.0.perspective.map(Into::into)
    }
    /// `#rrggbb`.
    async fn colour(&self) -> &str {
        &self.0.colour
    }
    /// Its place among the themes, lowest first.
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn state(&self) -> ThemeState {
        self.0.state.into()
    }
    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }
    /// None: until further notice.
    async fn ends_on(&self) -> Option<Date> {
        self.0.ends_on.map(Date)
    }
    /// The company objectives that serve it (of every cycle), oldest first.
    async fn objectives(&self, ctx: &Context<'_>) -> Result<Vec<Objective>> {
        let l = scope(ctx)?.loaders;
        let links = l.links_of_theme.load_one(self.0.id).await.gql()?.unwrap_or_default();
        let found = l.objectives.load_many(links.iter().map(|link| link.objective_id)).await.gql()?;
        let mut objectives: Vec<_> = found.into_values().collect();
        objectives.sort_by_key(|o| o.id);
        Ok(objectives.into_iter().map(Objective).collect())
    }
}

/// A company objective serving a theme, with the cycle's objectives aligned under it.
pub struct ServedObjective(service::strategy::Served);

#[Object]
impl ServedObjective {
    async fn objective(&self) -> Objective {
        Objective(Arc::new(self.0.objective.clone()))
    }
    /// The cycle's objectives aligned to it, directly or down the chain, oldest first.
    async fn contributing(&self) -> Vec<Objective> {
        self.0.contributing.iter().map(|o| Objective(Arc::new(o.clone()))).collect()
    }
}

/// A theme in a cycle: what serves it and how far that has come.
#[derive(SimpleObject)]
pub struct ThemeInCycle {
    pub theme: Theme,
    pub objectives: Vec<ServedObjective>,
    /// The mean progress of its company objectives; none without any.
    pub progress: Option<f64>,
    /// That progress against what the cycle expects by now.
    pub status: Option<Status>,
    /// Active objectives serving it: company objectives and the cycle's objectives under
    /// them. None means the theme is strategy nobody works on this cycle.
    pub active_objectives: i32,
}

/// Themes → company objectives → contributing team objectives, for one cycle.
pub struct StrategyMap(pub service::strategy::StrategyMap);

#[Object]
impl StrategyMap {
    async fn cycle(&self) -> Cycle {
        Cycle(Arc::new(self.0.cycle.clone()))
    }
    /// The active themes whose period overlaps the cycle, in their order.
    async fn themes(&self) -> Vec<ThemeInCycle> {
        self.0
            .themes
            .iter()
            .map(|t| ThemeInCycle {
                theme: Theme(Arc::new(t.theme.clone())),
                objectives: t.objectives.iter().cloned().map(ServedObjective).collect(),
                progress: t.progress,
                status: t.status.map(Into::into),
                active_objectives: i32::try_from(t.active_objectives).unwrap_or(i32::MAX),
            })
            .collect()
    }
    /// The themes no active objective serves in the cycle.
    async fn unserved_themes(&self) -> Vec<Theme> {
        self.0.unserved().map(|t| Theme(Arc::new(t.clone()))).collect()
    }
}
