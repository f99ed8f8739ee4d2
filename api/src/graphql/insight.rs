//! `Insight`: what is going wrong with a team's OKRs, as data: the kind, how urgent, what
//! it is about, the figures behind it, what to do, and since when it holds.

use crate::graphql::connection::{Conn, PageArgs, from_rows};
use crate::graphql::context::scope;
use crate::graphql::dependency::Dependency;
use crate::graphql::enums::Confidence;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::key_result::KeyResult;
use crate::graphql::objective::Objective;
use crate::graphql::scalars::DateTime;
use crate::graphql::team::Team;
use crate::graphql::theme::Theme;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject, Union};
use service::insights::{self as insights, Figures, Subject};
use std::sync::Arc;

/// What an insight is about.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "service::insights::InsightKind")]
pub enum InsightKind {
    /// The trend of the cycle's check-ins projects a score below the 0.7 stretch target.
    BehindPace,
    /// No check-in for longer than the team's rhythm.
    Stale,
    /// Confidence lowered check-in after check-in, or OFF_TRACK again and again.
    ConfidenceFalling,
    /// An active team objective aligned to nothing while the cycle has company objectives.
    OrphanObjective,
    /// A company or parent-team objective that no active objective contributes to.
    UncoveredObjective,
    /// More active objectives, or key results, than the policy allows.
    FocusBreach,
    /// A key result that names work to do rather than a result to measure.
    ActivityKeyResult,
    /// An objective that depends on another team's objective that is RED or behind pace.
    BlockedByDependency,
    /// An objective without key results a week into its cycle.
    NoKeyResults,
    /// A key result that is behind with no open initiative.
    UnassignedWork,
    /// A strategic theme that no active objective serves in the cycle.
    UnservedTheme,
}

/// How urgent an insight is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "service::insights::Severity")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// The row an insight is about.
#[derive(Union)]
pub enum InsightSubject {
    KeyResult(KeyResult),
    Objective(Objective),
    Team(Team),
    Dependency(Dependency),
    Theme(Theme),
}

/// BEHIND_PACE: the least-squares trend of the cycle's check-ins, read at its end.
#[derive(SimpleObject)]
pub struct BehindPaceFigures {
    pub projected_score: f64,
    /// Progress gained (or lost) per week along the trend.
    pub slope_per_week: f64,
    /// The check-ins the trend rests on.
    pub check_ins: i32,
    pub stretch_target: f64,
}

/// STALE.
#[derive(SimpleObject)]
pub struct StaleFigures {
    pub days_without_check_in: i32,
    pub rhythm_days: i32,
    pub last_check_in_at: Option<DateTime>,
}

/// CONFIDENCE_FALLING: the latest confidences, oldest first.
#[derive(SimpleObject)]
pub struct ConfidenceFallingFigures {
    pub confidences: Vec<Confidence>,
    /// Lowerings in a row at the latest check-ins.
    pub lowered: i32,
    /// OFF_TRACK check-ins in a row at the latest check-ins.
    pub off_track_in_a_row: i32,
}

/// ORPHAN_OBJECTIVE.
#[derive(SimpleObject)]
pub struct OrphanObjectiveFigures {
    pub company_objectives: i32,
}

/// UNCOVERED_OBJECTIVE.
#[derive(SimpleObject)]
pub struct UncoveredObjectiveFigures {
    /// Objectives aligned as SUPPORTS, which do not count towards its progress.
    pub supporting_objectives: i32,
}

/// FOCUS_BREACH.
#[derive(SimpleObject)]
pub struct FocusBreachFigures {
    pub limit: i32,
    pub count: i32,
    /// Key results of an objective (true) or active objectives of a team (false).
    pub key_results: bool,
}

/// ACTIVITY_KEY_RESULT: the words of the title that matched the heuristic's lists.
#[derive(SimpleObject)]
pub struct ActivityKeyResultFigures {
    pub matched_words: Vec<String>,
}

/// BLOCKED_BY_DEPENDENCY: the other team's objective (or key result) depended on.
#[derive(SimpleObject)]
pub struct BlockedByDependencyFigures {
    pub blocker_objective_id: ID,
    pub blocker_key_result_id: Option<ID>,
    pub blocker_red: bool,
    pub blocker_projected_score: Option<f64>,
}

/// NO_KEY_RESULTS.
#[derive(SimpleObject)]
pub struct NoKeyResultsFigures {
    pub days_into_cycle: i32,
}

/// UNASSIGNED_WORK.
#[derive(SimpleObject)]
pub struct UnassignedWorkFigures {
    pub progress: f64,
    pub expected_progress: f64,
    pub projected_score: Option<f64>,
}

/// UNSERVED_THEME.
#[derive(SimpleObject)]
pub struct UnservedThemeFigures {
    /// Company objectives that serve it but are not active (drafts, closed).
    pub inactive_objectives: i32,
}

/// The figures behind an insight, one type per kind.
#[derive(Union)]
pub enum InsightFigures {
    BehindPace(BehindPaceFigures),
    Stale(StaleFigures),
    ConfidenceFalling(ConfidenceFallingFigures),
    OrphanObjective(OrphanObjectiveFigures),
    UncoveredObjective(UncoveredObjectiveFigures),
    FocusBreach(FocusBreachFigures),
    ActivityKeyResult(ActivityKeyResultFigures),
    BlockedByDependency(BlockedByDependencyFigures),
    NoKeyResults(NoKeyResultsFigures),
    UnassignedWork(UnassignedWorkFigures),
    UnservedTheme(UnservedThemeFigures),
}

fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

impl From<&Figures> for InsightFigures {
    fn from(figures: &Figures) -> Self {
        match figures.clone() {
            Figures::BehindPace { projected_score, slope_per_week, check_ins, stretch_target } => {
                InsightFigures::BehindPace(BehindPaceFigures {
                    projected_score,
                    slope_per_week,
                    check_ins: int(check_ins),
                    stretch_target,
                })
            }
            Figures::Stale { days_without_check_in, rhythm_days, last_check_in_at } => {
                InsightFigures::Stale(StaleFigures {
                    days_without_check_in: int(days_without_check_in),
                    rhythm_days: int(rhythm_days),
                    last_check_in_at: last_check_in_at.map(DateTime),
                })
            }
            Figures::ConfidenceFalling { confidences, lowered, off_track_in_a_row } => {
                InsightFigures::ConfidenceFalling(ConfidenceFallingFigures {
                    confidences: confidences.into_iter().map(Into::into).collect(),
                    lowered: int(lowered),
                    off_track_in_a_row: int(off_track_in_a_row),
                })
            }
            Figures::OrphanObjective { company_objectives } => {
                InsightFigures::OrphanObjective(OrphanObjectiveFigures { company_objectives: int(company_objectives) })
            }
            Figures::UncoveredObjective { supporting } => {
                InsightFigures::UncoveredObjective(UncoveredObjectiveFigures { supporting_objectives: int(supporting) })
            }
            Figures::FocusBreach { limit, count, key_results } => {
                InsightFigures::FocusBreach(FocusBreachFigures { limit, count: int(count), key_results })
            }
            Figures::ActivityKeyResult { matched } => {
                InsightFigures::ActivityKeyResult(ActivityKeyResultFigures { matched_words: matched })
            }
            Figures::BlockedByDependency {
                blocker_objective_id,
                blocker_key_result_id,
                blocker_red,
                blocker_projected_score,
            } => InsightFigures::BlockedByDependency(BlockedByDependencyFigures {
                blocker_objective_id: encode(Kind::Objective, blocker_objective_id),
                blocker_key_result_id: blocker_key_result_id.map(|k| encode(Kind::KeyResult, k)),
                blocker_red,
                blocker_projected_score,
            }),
            Figures::NoKeyResults { days_into_cycle } => {
                InsightFigures::NoKeyResults(NoKeyResultsFigures { days_into_cycle: int(days_into_cycle) })
            }
            Figures::UnassignedWork { progress, expected_progress, projected_score } => {
                InsightFigures::UnassignedWork(UnassignedWorkFigures { progress, expected_progress, projected_score })
            }
            Figures::UnservedTheme { inactive_objectives } => {
                InsightFigures::UnservedTheme(UnservedThemeFigures { inactive_objectives: int(inactive_objectives) })
            }
        }
    }
}

/// One finding about a team's OKRs, with what to do about it.
#[derive(Clone)]
pub struct Insight(pub Arc<insights::Insight>);

#[Object]
impl Insight {
    /// Stable while the finding holds: the same kind about the same subject keeps its id.
    async fn id(&self) -> ID {
        encode(Kind::Insight, self.0.id())
    }
    async fn kind(&self) -> InsightKind {
        self.0.kind.into()
    }
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }
    /// What is going wrong, in a sentence a person can act on.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// A next step.
    async fn suggestion(&self) -> &str {
        &self.0.suggestion
    }
    /// Since when it holds.
    async fn since(&self) -> DateTime {
        DateTime(self.0.since)
    }
    async fn figures(&self) -> InsightFigures {
        (&self.0.figures).into()
    }
    /// The key result, objective, team, dependency or theme it is about.
    async fn subject(&self, ctx: &Context<'_>) -> Result<Option<InsightSubject>> {
        let l = scope(ctx)?.loaders;
        Ok(match self.0.subject {
            Subject::KeyResult(id) => {
                l.key_results.load_one(id).await.gql()?.map(|m| InsightSubject::KeyResult(KeyResult(m)))
            }
            Subject::Objective(id) => {
                l.objectives.load_one(id).await.gql()?.map(|m| InsightSubject::Objective(Objective(m)))
            }
            Subject::Team(id) => l.teams.load_one(id).await.gql()?.map(|m| InsightSubject::Team(Team(m))),
            Subject::Dependency(id) => {
                l.dependencies.load_one(id).await.gql()?.map(|m| InsightSubject::Dependency(Dependency(m)))
            }
            Subject::Theme(id) => l.themes.load_one(id).await.gql()?.map(|m| InsightSubject::Theme(Theme(m))),
        })
    }
    /// The team it concerns.
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        Ok(scope(ctx)?.loaders.teams.load_one(self.0.team_id).await.gql()?.map(Team))
    }
    /// Its objective, when it has one.
    async fn objective(&self, ctx: &Context<'_>) -> Result<Option<Objective>> {
        let Some(id) = self.0.objective_id else { return Ok(None) };
        Ok(scope(ctx)?.loaders.objectives.load_one(id).await.gql()?.map(Objective))
    }
    /// Its key result, when it has one.
    async fn key_result(&self, ctx: &Context<'_>) -> Result<Option<KeyResult>> {
        let Some(id) = self.0.key_result_id else { return Ok(None) };
        Ok(scope(ctx)?.loaders.key_results.load_one(id).await.gql()?.map(KeyResult))
    }
}

/// The insights of `cycle` that `keep` keeps, as a connection, most severe first.
pub async fn connection(
    ctx: &Context<'_>,
    cycle: uuid::Uuid,
    keep: impl Fn(&insights::Insight) -> bool,
    args: &PageArgs,
) -> Result<Conn<Insight>> {
    let all = scope(ctx)?.loaders.insights_of_cycle.load(cycle).await.gql()?.unwrap_or_default();
    let rows: Vec<Arc<insights::Insight>> = all.insights.iter().filter(|i| keep(i)).cloned().collect();
    from_rows(rows, args, Kind::Insight, |i| i.id(), Insight)
}
