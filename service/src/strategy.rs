//! Strategy above the OKRs: the organization's strategic themes, the company objectives
//! that serve them, and the team objectives that contribute to those.

pub mod write;

use crate::rules::scoring::{self, Status};
use crate::tenant::{self, Owner, one_of, scoped};
use crate::{Actor, Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{ObjectiveState, ThemeState, cycle, objective, objective_theme, team, theme};
use sea_orm::ConnectionTrait;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A colour as `#rrggbb`, lower-cased.
fn validate_colour(colour: &str) -> Result<String> {
    let colour = colour.trim().to_ascii_lowercase();
    let hex = colour.strip_prefix('#').filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()));
    match hex {
        Some(_) => Ok(colour),
        None => Err(Error::BadUserInput(format!("`colour` must be #rrggbb, not {colour:?}"))),
    }
}

/// Whether `team_id` is a company (root) team: its objectives are company objectives.
async fn is_company_team(db: &impl ConnectionTrait, owner: impl Owner, team_id: Uuid) -> Result<bool> {
    Ok(tenant::get::<team::Entity>(db, owner, team_id).await?.parent_id.is_none())
}

/// The organization's themes, in `state` when given, in their order.
pub async fn themes(db: &impl ConnectionTrait, actor: &Actor, state: Option<ThemeState>) -> Result<Vec<theme::Model>> {
    let mut found = scoped::<theme::Entity>(actor).all(db).await?;
    found.retain(|t| state.is_none_or(|s| t.state == s));
    found.sort_by_key(|t| (t.position, t.id));
    Ok(found)
}

/// How deep alignment chains are followed; deeper ones are a loop the rules never let in.
const MAX_DEPTH: usize = 32;

/// The themes each of `objective_ids` serves: its own (a company objective's) and those of
/// every objective it aligns to, up the chain. One statement per level of alignment and two
/// more, whatever the number of objectives.
pub async fn themes_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    objective_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<theme::Model>>> {
    let mut parent_of: HashMap<Uuid, Option<Uuid>> = HashMap::new();
    let mut level: Vec<Uuid> = objective_ids.to_vec();
    for _ in 0..MAX_DEPTH {
        if level.is_empty() {
            break;
        }
        let found = tenant::by_ids::<objective::Entity>(db, actor, &level).await?;
        found.values().for_each(|o| {
            parent_of.insert(o.id, o.parent_objective_id);
        });
        let next: HashSet<Uuid> =
            found.values().filter_map(|o| o.parent_objective_id).filter(|p| !parent_of.contains_key(p)).collect();
        level = next.into_iter().collect();
    }
    let all: Vec<Uuid> = parent_of.keys().copied().collect();
    let links = links_of(db, actor, objective_theme::Column::ObjectiveId, &all).await?;
    let theme_ids: Vec<Uuid> = links.iter().map(|l| l.theme_id).collect::<HashSet<_>>().into_iter().collect();
    let themes = tenant::by_ids::<theme::Entity>(db, actor, &theme_ids).await?;
    let mut own: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    links.iter().for_each(|l| own.entry(l.objective_id).or_default().push(l.theme_id));
    let chain_themes = |start: Uuid| {
        let mut found: Vec<theme::Model> = Vec::new();
        let mut at = Some(start);
        for _ in 0..MAX_DEPTH {
            let Some(id) = at else { break };
            for t in own.get(&id).into_iter().flatten().filter_map(|t| themes.get(t)) {
                if !found.iter().any(|f| f.id == t.id) {
                    found.push(t.clone());
                }
            }
            at = parent_of.get(&id).copied().flatten();
        }
        found.sort_by_key(|t| (t.position, t.id));
        found
    };
    Ok(objective_ids.iter().map(|id| (*id, chain_themes(*id))).collect())
}

async fn links_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    column: objective_theme::Column,
    ids: &[Uuid],
) -> Result<Vec<objective_theme::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    scoped::<objective_theme::Entity>(actor).filter(one_of(db.get_database_backend(), column, ids)).all(db).await
}

/// A company objective serving a theme, with the objectives of the cycle that align to
/// it, directly or down the chain.
#[derive(Debug, Clone)]
pub struct Served {
    pub objective: objective::Model,
    pub contributing: Vec<objective::Model>,
}

/// A theme in a cycle: what serves it and how far that is.
#[derive(Debug, Clone)]
pub struct ThemeInCycle {
    pub theme: theme::Model,
    pub objectives: Vec<Served>,
    /// The mean progress of its company objectives; none without any.
    pub progress: Option<f64>,
    /// That progress against what the cycle expects by now.
    pub status: Option<Status>,
    /// Active objectives serving it: company objectives and those of the cycle under them.
    pub active_objectives: usize,
}

/// Themes → company objectives → contributing team objectives, for one cycle.
#[derive(Debug, Clone)]
pub struct StrategyMap {
    pub cycle: cycle::Model,
    pub themes: Vec<ThemeInCycle>,
}

impl StrategyMap {
    /// Themes no active objective serves in the cycle: strategy nobody works on.
    pub fn unserved(&self) -> impl Iterator<Item = &theme::Model> {
        self.themes.iter().filter(|t| t.active_objectives == 0).map(|t| &t.theme)
    }
}

fn overlaps(starts_on: NaiveDate, ends_on: Option<NaiveDate>, cycle: &cycle::Model) -> bool {
    starts_on <= cycle.ends_on && ends_on.is_none_or(|end| end >= cycle.starts_on)
}

/// The strategy map of `cycle_id` at `now`: the active themes whose period overlaps the
/// cycle, each with the company objectives (of any cycle overlapping it) that serve it,
/// and under each the cycle's objectives aligned to it down the chain. Five statements,
/// whatever the organization's size.
pub async fn map(db: &impl ConnectionTrait, actor: &Actor, cycle_id: Uuid, now: DateTime<Utc>) -> Result<StrategyMap> {
    let cycle = tenant::get::<cycle::Entity>(db, actor, cycle_id).await?;
    map_of(db, actor, cycle, now, None).await
}

/// [`map`] of a cycle already read, and of its objectives (not archived) when the caller
/// has read those too: they are not read again. Four statements.
pub async fn map_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cycle: cycle::Model,
    now: DateTime<Utc>,
    cycle_objectives: Option<&[objective::Model]>,
) -> Result<StrategyMap> {
    let mut themes = themes(db, actor, Some(ThemeState::Active)).await?;
    themes.retain(|t| overlaps(t.starts_on, t.ends_on, &cycle));
    let theme_ids: Vec<Uuid> = themes.iter().map(|t| t.id).collect();
    let links = links_of(db, actor, objective_theme::Column::ThemeId, &theme_ids).await?;
    let cycles: Vec<Uuid> = scoped::<cycle::Entity>(actor)
        .all(db)
        .await?
        .into_iter()
        .filter(|c| overlaps(c.starts_on, Some(c.ends_on), &cycle))
        .filter(|c| cycle_objectives.is_none() || c.id != cycle.id)
        .map(|c| c.id)
        .collect();
    let objectives = crate::objectives::query(actor, &Default::default())
        .filter(one_of(db.get_database_backend(), objective::Column::CycleId, &cycles))
        .all(db)
        .await?;
    let expected = scoring::expected_progress(scoring::elapsed_fraction(cycle.starts_on, cycle.ends_on, now));
    let tree = Tree::new(objectives.iter().chain(cycle_objectives.into_iter().flatten()));
    let themes = themes
        .into_iter()
        .map(|theme| {
            let served: Vec<Served> = links
                .iter()
                .filter(|l| l.theme_id == theme.id)
                .filter_map(|l| tree.by_id.get(&l.objective_id))
                .map(|o| Served { objective: (*o).clone(), contributing: tree.under(o.id, cycle.id) })
                .collect();
            theme_in_cycle(theme, served, expected)
        })
        .collect();
    Ok(StrategyMap { cycle, themes })
}

fn theme_in_cycle(theme: theme::Model, mut objectives: Vec<Served>, expected: f64) -> ThemeInCycle {
    objectives.sort_by_key(|s| s.objective.id);
    let active = |o: &objective::Model| o.state == ObjectiveState::Active;
    let active_objectives = objectives
        .iter()
        .map(|s| usize::from(active(&s.objective)) + s.contributing.iter().filter(|o| active(o)).count())
        .sum();
    let progress = (!objectives.is_empty())
        .then(|| objectives.iter().map(|s| s.objective.progress).sum::<f64>() / objectives.len() as f64);
    let status = progress.map(|p| scoring::status(p, expected, None));
    ThemeInCycle { theme, objectives, progress, status, active_objectives }
}

/// Objectives by id and by parent, to walk alignment down.
struct Tree<'a> {
    by_id: HashMap<Uuid, &'a objective::Model>,
    children: HashMap<Uuid, Vec<&'a objective::Model>>,
}

impl<'a> Tree<'a> {
    fn new(objectives: impl Iterator<Item = &'a objective::Model>) -> Self {
        let mut tree = Tree { by_id: HashMap::new(), children: HashMap::new() };
        for o in objectives {
            tree.by_id.insert(o.id, o);
            if let Some(parent) = o.parent_objective_id {
                tree.children.entry(parent).or_default().push(o);
            }
        }
        tree
    }

    /// The objectives of `cycle_id` below `id`, down the chain, oldest first.
    fn under(&self, id: Uuid, cycle_id: Uuid) -> Vec<objective::Model> {
        let mut found = Vec::new();
        let mut seen = HashSet::from([id]);
        let mut level = vec![id];
        while !level.is_empty() {
            let next: Vec<&objective::Model> = level
                .iter()
                .flat_map(|p| self.children.get(p).into_iter().flatten())
                .filter(|o| seen.insert(o.id))
                .copied()
                .collect();
            found.extend(next.iter().filter(|o| o.cycle_id == cycle_id).map(|o| (*o).clone()));
            level = next.iter().map(|o| o.id).collect();
        }
        found.sort_by_key(|o| o.id);
        found
    }
}
