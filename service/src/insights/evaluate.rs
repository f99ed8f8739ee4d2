//! Every insight of one cycle, from its rows at hand: one function per kind.

use super::activity::{self, Words};
use super::confidence::{Falling, falling};
use super::forecast::{Forecast, Reading, forecast};
use super::{Figures, Insight, InsightKind, InsightPolicy, Severity, Subject};
use crate::rhythm;
use crate::rules::scoring::{self, Measure, STRETCH_TARGET, Status};
use chrono::{DateTime, Duration, Utc};
use entity::{
    AlignmentKind, Confidence, CycleState, DependencyState, FocusPolicyMode, InitiativeState, KeyResultKind,
    ObjectiveState, cycle, dependency, initiative, key_result, objective, organization, team,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What a check-in adds to insights.
#[derive(Debug, Clone, Copy, PartialEq, sea_orm::FromQueryResult)]
pub struct CheckInRow {
    pub key_result_id: Uuid,
    pub value: f64,
    pub confidence: Confidence,
    pub recorded_at: DateTime<Utc>,
}

/// A cycle's rows: its objectives (not archived), their live key results and those key
/// results' check-ins (oldest first), the organization's teams, the open work on the key
/// results, and the dependencies of the objectives.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub now: DateTime<Utc>,
    pub policy: InsightPolicy,
    pub organization: organization::Model,
    pub cycle: cycle::Model,
    pub teams: Vec<team::Model>,
    pub objectives: Vec<objective::Model>,
    pub key_results: Vec<key_result::Model>,
    pub check_ins: Vec<CheckInRow>,
    pub dependencies: Vec<dependency::Model>,
    pub initiatives: Vec<initiative::Model>,
    /// Objectives of other cycles that dependencies point at, with their key results.
    pub elsewhere: Vec<objective::Model>,
    /// The strategic themes of the cycle and what serves them.
    pub themes: Vec<crate::strategy::ThemeInCycle>,
}

/// The snapshot, indexed.
struct Index<'a> {
    s: &'a Snapshot,
    objectives: HashMap<Uuid, &'a objective::Model>,
    key_results: HashMap<Uuid, &'a key_result::Model>,
    by_objective: HashMap<Uuid, Vec<&'a key_result::Model>>,
    readings: HashMap<Uuid, Vec<&'a CheckInRow>>,
    parents: HashSet<Uuid>,
    roots: HashSet<Uuid>,
    /// The cycle runs: time-based kinds apply.
    running: bool,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    expected: f64,
    /// Key results behind pace, by id.
    behind: HashMap<Uuid, (f64, f64, usize)>,
}

impl<'a> Index<'a> {
    fn new(s: &'a Snapshot) -> Self {
        let objectives = s.objectives.iter().chain(&s.elsewhere).map(|o| (o.id, o)).collect();
        let key_results = s.key_results.iter().map(|k| (k.id, k)).collect();
        let mut by_objective: HashMap<Uuid, Vec<&key_result::Model>> = HashMap::new();
        s.key_results.iter().for_each(|k| by_objective.entry(k.objective_id).or_default().push(k));
        let mut readings: HashMap<Uuid, Vec<&CheckInRow>> = HashMap::new();
        s.check_ins.iter().for_each(|c| readings.entry(c.key_result_id).or_default().push(c));
        readings.values_mut().for_each(|r| r.sort_by_key(|c| c.recorded_at));
        let parents = s.teams.iter().filter(|t| t.archived_at.is_none()).filter_map(|t| t.parent_id).collect();
        let roots = s.teams.iter().filter(|t| t.parent_id.is_none()).map(|t| t.id).collect();
        let start = rhythm::start_of(s.cycle.starts_on);
        let end = s.cycle.ends_on.succ_opt().map_or(s.now, rhythm::start_of);
        let running = s.cycle.state == CycleState::Active && s.now >= start && s.now < end;
        let expected = scoring::expected_progress(scoring::elapsed_fraction(s.cycle.starts_on, s.cycle.ends_on, s.now));
        let mut index = Index {
            s,
            objectives,
            key_results,
            by_objective,
            readings,
            parents,
            roots,
            running,
            start,
            end,
            expected,
            behind: HashMap::new(),
        };
        // Several kinds ask whether a key result is behind pace: each trend is drawn once.
        index.behind = s.key_results.iter().filter_map(|k| Some((k.id, index.trend_behind(k)?))).collect();
        index
    }

    /// Live key results of objectives that are active, the ones time-based kinds watch.
    fn watched(&self) -> impl Iterator<Item = (&'a objective::Model, &'a key_result::Model)> + '_ {
        self.s
            .objectives
            .iter()
            .filter(|o| o.state == ObjectiveState::Active)
            .flat_map(|o| self.by_objective.get(&o.id).into_iter().flatten().map(move |k| (o, *k)))
    }

    fn readings(&self, key_result: &key_result::Model) -> Vec<Reading> {
        let measure = |value| Measure {
            kind: key_result.kind,
            start: key_result.start_value,
            target: key_result.target_value,
            current: value,
        };
        self.readings
            .get(&key_result.id)
            .into_iter()
            .flatten()
            .map(|c| Reading { at: c.recorded_at, progress: scoring::key_result_progress(measure(c.value)) })
            .collect()
    }

    /// The projected score of a key result whose kind has a trend to draw.
    fn forecast(&self, key_result: &key_result::Model) -> Option<Forecast> {
        let trending = matches!(key_result.kind, KeyResultKind::Increase | KeyResultKind::Decrease);
        let minimum = self.s.policy.forecast_min_check_ins as usize;
        trending.then(|| forecast(&self.readings(key_result), self.end, minimum))
    }

    /// The projected score, slope and check-ins of a key result behind pace.
    fn behind(&self, key_result: &key_result::Model) -> Option<(f64, f64, usize)> {
        self.behind.get(&key_result.id).copied()
    }

    fn trend_behind(&self, key_result: &key_result::Model) -> Option<(f64, f64, usize)> {
        match self.forecast(key_result)? {
            Forecast::Trend { projected, slope_per_week, check_ins } if projected < STRETCH_TARGET => {
                Some((projected, slope_per_week, check_ins))
            }
            _ => None,
        }
    }

    fn status(&self, key_result: &key_result::Model) -> Status {
        scoring::status(key_result.progress, self.expected, key_result.latest_confidence)
    }

    fn insight(&self, kind: InsightKind, severity: Severity, subject: Subject, team_id: Uuid) -> Draft {
        Draft(Insight {
            kind,
            severity,
            subject,
            team_id,
            objective_id: None,
            key_result_id: None,
            message: String::new(),
            suggestion: String::new(),
            figures: Figures::NoKeyResults { days_into_cycle: 0 },
            since: self.s.now,
        })
    }

    fn on_key_result(
        &self,
        kind: InsightKind,
        severity: Severity,
        o: &objective::Model,
        k: &key_result::Model,
    ) -> Draft {
        let mut draft = self.insight(kind, severity, Subject::KeyResult(k.id), o.team_id);
        draft.0.objective_id = Some(o.id);
        draft.0.key_result_id = Some(k.id);
        draft
    }

    fn on_objective(&self, kind: InsightKind, severity: Severity, o: &objective::Model) -> Draft {
        let mut draft = self.insight(kind, severity, Subject::Objective(o.id), o.team_id);
        draft.0.objective_id = Some(o.id);
        draft
    }
}

/// An insight being filled in.
struct Draft(Insight);

impl Draft {
    fn says(mut self, message: String, suggestion: String) -> Self {
        self.0.message = message;
        self.0.suggestion = suggestion;
        self
    }

    fn figures(mut self, figures: Figures, since: DateTime<Utc>) -> Insight {
        self.0.figures = figures;
        self.0.since = since;
        self.0
    }
}

/// Every insight that holds for the snapshot's cycle at its `now`, most severe first.
pub fn evaluate(snapshot: &Snapshot) -> Vec<Insight> {
    let index = Index::new(snapshot);
    let mut insights: Vec<Insight> = [
        behind_pace(&index),
        stale(&index),
        confidence_falling(&index),
        orphans(&index),
        uncovered(&index),
        focus_breaches(&index),
        activities(&index),
        blocked(&index),
        without_key_results(&index),
        unassigned(&index),
        unserved_themes(&index),
    ]
    .into_iter()
    .flatten()
    .collect();
    insights.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)).then(a.subject.cmp(&b.subject)));
    insights
}

/// UNSERVED_THEME: strategy nobody works on this cycle.
fn unserved_themes(ix: &Index<'_>) -> Vec<Insight> {
    let Some(company) = ix.s.teams.iter().find(|t| t.parent_id.is_none() && t.archived_at.is_none()) else {
        return Vec::new();
    };
    if ix.s.cycle.state != CycleState::Active {
        return Vec::new();
    }
    ix.s.themes
        .iter()
        .filter(|t| t.active_objectives == 0)
        .map(|t| {
            let message = format!("No active objective serves the theme \"{}\" in {}", t.theme.name, ix.s.cycle.name);
            let suggestion = "Have a company objective serve it, or align a team objective under one that does; \
                              if it waits for a later cycle, say so in its description"
                .to_owned();
            let figures = Figures::UnservedTheme { inactive_objectives: t.objectives.len() };
            let since = t.theme.created_at.max(ix.start);
            ix.insight(InsightKind::UnservedTheme, Severity::Warning, Subject::Theme(t.theme.id), company.id)
                .says(message, suggestion)
                .figures(figures, since)
        })
        .collect()
}

fn days(d: Duration) -> i64 {
    d.num_days()
}

fn behind_pace(ix: &Index<'_>) -> Vec<Insight> {
    if !ix.running {
        return Vec::new();
    }
    let policy = &ix.s.policy;
    ix.watched()
        .filter_map(|(o, k)| {
            let (projected, slope, check_ins) = ix.behind(k)?;
            let severity =
                if projected < policy.forecast_critical_below { Severity::Critical } else { Severity::Warning };
            // Since the check-in from which every forecast has been behind.
            let readings = ix.readings(k);
            let minimum = (policy.forecast_min_check_ins as usize).max(1);
            let mut since = readings.last().map_or(ix.s.now, |r| r.at);
            for end in (minimum..=readings.len()).rev() {
                match forecast(&readings[..end], ix.end, minimum) {
                    Forecast::Trend { projected, .. } if projected < STRETCH_TARGET => since = readings[end - 1].at,
                    _ => break,
                }
            }
            let message = format!(
                "\"{}\" is heading for {projected:.2} by the end of {} (0.7 is success): the trend of its {check_ins} \
                 check-ins moves {slope:+.3} a week",
                k.title, ix.s.cycle.name
            );
            let suggestion = "Agree with the team what would change the trend: a new initiative, help from another \
                              team, or fewer things in progress"
                .to_owned();
            let figures = Figures::BehindPace {
                projected_score: projected,
                slope_per_week: slope,
                check_ins,
                stretch_target: STRETCH_TARGET,
            };
            Some(
                ix.on_key_result(InsightKind::BehindPace, severity, o, k)
                    .says(message, suggestion)
                    .figures(figures, since),
            )
        })
        .collect()
}

fn stale(ix: &Index<'_>) -> Vec<Insight> {
    if !ix.running {
        return Vec::new();
    }
    let policy = &ix.s.policy;
    let teams: HashMap<Uuid, &team::Model> = ix.s.teams.iter().map(|t| (t.id, t)).collect();
    ix.watched()
        .filter_map(|(o, k)| {
            let rhythm_days = rhythm::days(teams.get(&o.team_id).copied(), policy);
            let rhythm = Duration::days(i64::from(rhythm_days));
            let from = rhythm::last_heard(k, ix.start);
            let quiet = ix.s.now - from;
            if quiet <= rhythm {
                return None;
            }
            let critical = quiet > Duration::days(i64::from(policy.stale_critical_days));
            let severity = if critical { Severity::Critical } else { Severity::Warning };
            let message = match k.last_check_in_at {
                Some(_) => format!("\"{}\" has had no check-in for {} days", k.title, days(quiet)),
                None => format!("\"{}\" has had no check-in yet, {} days into the cycle", k.title, days(quiet)),
            };
            let suggestion = format!("Check in on it (every {rhythm_days} days keeps everyone's picture current)");
            let figures = Figures::Stale {
                days_without_check_in: days(quiet),
                rhythm_days,
                last_check_in_at: k.last_check_in_at,
            };
            Some(
                ix.on_key_result(InsightKind::Stale, severity, o, k)
                    .says(message, suggestion)
                    .figures(figures, from + rhythm),
            )
        })
        .collect()
}

fn confidence_falling(ix: &Index<'_>) -> Vec<Insight> {
    if !ix.running {
        return Vec::new();
    }
    let policy = &ix.s.policy;
    let (drops, off) = (policy.confidence_drops as usize, policy.off_track_in_a_row as usize);
    ix.watched()
        .filter_map(|(o, k)| {
            let rows = ix.readings.get(&k.id)?;
            let confidences: Vec<Confidence> = rows.iter().map(|c| c.confidence).collect();
            let verdict = falling(&confidences, drops, off)?;
            let (severity, run, completed_at, lowered, times) = match verdict {
                Falling::OffTrack { times } => (Severity::Critical, times, times - off, 0, times),
                Falling::Lowered { drops: lowered } => (Severity::Warning, lowered + 1, lowered - drops, lowered, 0),
            };
            // The check-in that completed the pattern, counted back from the newest.
            let since = rows.get(rows.len() - 1 - completed_at).map_or(ix.s.now, |c| c.recorded_at);
            let message = match verdict {
                Falling::OffTrack { times } => format!("\"{}\" was OFF_TRACK at its last {times} check-ins", k.title),
                Falling::Lowered { drops } => {
                    format!("Confidence in \"{}\" fell at each of its last {drops} check-ins", k.title)
                }
            };
            let suggestion =
                "Ask the people checking in what is in the way, while there is time to change course".to_owned();
            let figures = Figures::ConfidenceFalling {
                confidences: confidences[confidences.len() - run.min(confidences.len())..].to_vec(),
                lowered,
                off_track_in_a_row: times,
            };
            Some(
                ix.on_key_result(InsightKind::ConfidenceFalling, severity, o, k)
                    .says(message, suggestion)
                    .figures(figures, since),
            )
        })
        .collect()
}

fn orphans(ix: &Index<'_>) -> Vec<Insight> {
    let company = ix.s.objectives.iter().filter(|o| ix.roots.contains(&o.team_id) && o.state != ObjectiveState::Draft);
    let company = company.count();
    if company == 0 {
        return Vec::new();
    }
    ix.s.objectives
        .iter()
        .filter(|o| o.state == ObjectiveState::Active && !ix.roots.contains(&o.team_id))
        .filter(|o| o.parent_objective_id.is_none() && o.parent_key_result_id.is_none())
        .map(|o| {
            let message =
                format!("\"{}\" is aligned to nothing while the cycle has {company} company objectives", o.title);
            let suggestion =
                "Align it to the company objective or key result it serves, or ask whether it belongs in this cycle"
                    .to_owned();
            ix.on_objective(InsightKind::OrphanObjective, Severity::Warning, o)
                .says(message, suggestion)
                .figures(Figures::OrphanObjective { company_objectives: company }, o.created_at)
        })
        .collect()
}

fn uncovered(ix: &Index<'_>) -> Vec<Insight> {
    let active = |o: &&objective::Model| o.state == ObjectiveState::Active;
    let parents_of = |child: &objective::Model| -> Option<Uuid> {
        child
            .parent_objective_id
            .or_else(|| child.parent_key_result_id.and_then(|k| Some(ix.key_results.get(&k)?.objective_id)))
    };
    let mut contributing: HashMap<Uuid, usize> = HashMap::new();
    let mut supporting: HashMap<Uuid, usize> = HashMap::new();
    for child in ix.s.objectives.iter().filter(active) {
        if let Some(parent) = parents_of(child) {
            let counter =
                if child.alignment_kind == Some(AlignmentKind::Supports) { &mut supporting } else { &mut contributing };
            *counter.entry(parent).or_default() += 1;
        }
    }
    ix.s.objectives
        .iter()
        .filter(active)
        .filter(|o| ix.roots.contains(&o.team_id) || ix.parents.contains(&o.team_id))
        .filter(|o| !contributing.contains_key(&o.id))
        .map(|o| {
            let supporting = supporting.get(&o.id).copied().unwrap_or(0);
            let message = format!("No active objective contributes to \"{}\"", o.title);
            let suggestion =
                "Ask which teams own part of it and have them align an objective that contributes".to_owned();
            ix.on_objective(InsightKind::UncoveredObjective, Severity::Warning, o)
                .says(message, suggestion)
                .figures(Figures::UncoveredObjective { supporting }, o.created_at)
        })
        .collect()
}

fn focus_breaches(ix: &Index<'_>) -> Vec<Insight> {
    let org = &ix.s.organization;
    let severity = if org.focus_policy_mode == FocusPolicyMode::Warn { Severity::Warning } else { Severity::Critical };
    let mut per_team: HashMap<Uuid, Vec<&objective::Model>> = HashMap::new();
    ix.s.objectives
        .iter()
        .filter(|o| o.state == ObjectiveState::Active)
        .for_each(|o| per_team.entry(o.team_id).or_default().push(o));
    let limit = org.max_objectives_per_team;
    let mut insights: Vec<Insight> = per_team
        .into_iter()
        .filter(|(_, objectives)| objectives.len() > limit.max(0) as usize)
        .map(|(team, mut objectives)| {
            objectives.sort_by_key(|o| o.created_at);
            let since = objectives[limit.max(0) as usize].created_at;
            let message =
                format!("The team has {} active objectives this cycle; the limit is {limit}", objectives.len());
            let suggestion = "Pick the few that matter most and move the rest to a later cycle".to_owned();
            let figures = Figures::FocusBreach { limit, count: objectives.len(), key_results: false };
            ix.insight(InsightKind::FocusBreach, severity, Subject::Team(team), team)
                .says(message, suggestion)
                .figures(figures, since)
        })
        .collect();
    let limit = org.max_key_results_per_objective;
    for o in ix.s.objectives.iter().filter(|o| o.state != ObjectiveState::Closed) {
        let mut krs = ix.by_objective.get(&o.id).cloned().unwrap_or_default();
        if krs.len() <= limit.max(0) as usize {
            continue;
        }
        krs.sort_by_key(|k| k.created_at);
        let message = format!("\"{}\" has {} key results; the limit is {limit}", o.title, krs.len());
        let suggestion = "Keep the key results that best show the objective is met".to_owned();
        let figures = Figures::FocusBreach { limit, count: krs.len(), key_results: true };
        insights.push(
            ix.on_objective(InsightKind::FocusBreach, severity, o)
                .says(message, suggestion)
                .figures(figures, krs[limit.max(0) as usize].created_at),
        );
    }
    insights
}

fn activities(ix: &Index<'_>) -> Vec<Insight> {
    let policy = &ix.s.policy;
    let own = !policy.activity_verbs.is_empty() || !policy.activity_outputs.is_empty();
    let extended = own.then(|| Words::builtin().with(&policy.activity_verbs, &policy.activity_outputs));
    let words = extended.as_ref().unwrap_or_else(|| Words::builtin());
    ix.s.objectives
        .iter()
        .filter(|o| o.state != ObjectiveState::Closed)
        .flat_map(|o| ix.by_objective.get(&o.id).into_iter().flatten().map(move |k| (o, *k)))
        .filter_map(|(o, k)| {
            let verdict = activity::judge(words, &k.title, k.kind)?;
            let message =
                format!("\"{}\" reads as an activity, not a result ({})", k.title, verdict.matched.join(", "));
            Some(
                ix.on_key_result(InsightKind::ActivityKeyResult, Severity::Info, o, k)
                    .says(message, verdict.suggestion)
                    .figures(Figures::ActivityKeyResult { matched: verdict.matched }, k.created_at),
            )
        })
        .collect()
}

fn blocked(ix: &Index<'_>) -> Vec<Insight> {
    ix.s.dependencies
        .iter()
        .filter(|d| d.state == DependencyState::Open)
        .filter_map(|d| {
            let from = ix.objectives.get(&d.from_objective_id)?;
            let to = ix.objectives.get(&d.to_objective_id)?;
            if from.team_id == to.team_id || from.state != ObjectiveState::Active || from.cycle_id != ix.s.cycle.id {
                return None;
            }
            let blockers: Vec<&key_result::Model> = match d.to_key_result_id {
                Some(k) => ix.key_results.get(&k).into_iter().copied().collect(),
                None => ix.by_objective.get(&to.id).cloned().unwrap_or_default(),
            };
            let red = blockers.iter().any(|k| ix.status(k) == Status::Red);
            let projected = blockers.iter().filter_map(|k| ix.behind(k).map(|(p, _, _)| p)).reduce(f64::min);
            if !red && (projected.is_none() || !ix.running) {
                return None;
            }
            let severity = if red { Severity::Critical } else { Severity::Warning };
            let state =
                if red { "is RED".to_owned() } else { format!("is heading for {:.2}", projected.unwrap_or(0.0)) };
            let message = format!("\"{}\" depends on \"{}\" of another team, which {state}", from.title, to.title);
            let suggestion = "Talk with the other team now: agree a date, offer help, or plan around it".to_owned();
            let figures = Figures::BlockedByDependency {
                blocker_objective_id: to.id,
                blocker_key_result_id: d.to_key_result_id,
                blocker_red: red,
                blocker_projected_score: projected,
            };
            let mut draft =
                ix.insight(InsightKind::BlockedByDependency, severity, Subject::Dependency(d.id), from.team_id);
            draft.0.objective_id = Some(from.id);
            let since =
                blockers.iter().filter_map(|k| k.last_check_in_at).max().unwrap_or(d.created_at).max(d.created_at);
            Some(draft.says(message, suggestion).figures(figures, since))
        })
        .collect()
}

fn without_key_results(ix: &Index<'_>) -> Vec<Insight> {
    let grace = Duration::days(i64::from(ix.s.policy.no_key_results_after_days));
    ix.s.objectives
        .iter()
        .filter(|o| matches!(o.state, ObjectiveState::Active | ObjectiveState::Draft))
        .filter(|o| ix.by_objective.get(&o.id).is_none_or(Vec::is_empty))
        .filter(|o| ix.s.cycle.state != CycleState::Closed && o.progress_driver == entity::ProgressDriver::KeyResults)
        .filter_map(|o| {
            let due = o.created_at.max(ix.start) + grace;
            if ix.s.now < due {
                return None;
            }
            let message =
                format!("\"{}\" has no key results, {} days into the cycle", o.title, days(ix.s.now - ix.start));
            let suggestion = "Add two to four key results that would show the objective is met".to_owned();
            Some(
                ix.on_objective(InsightKind::NoKeyResults, Severity::Warning, o)
                    .says(message, suggestion)
                    .figures(Figures::NoKeyResults { days_into_cycle: days(ix.s.now - ix.start) }, due),
            )
        })
        .collect()
}

fn unassigned(ix: &Index<'_>) -> Vec<Insight> {
    if !ix.running {
        return Vec::new();
    }
    let worked_on: HashSet<Uuid> =
        ix.s.initiatives
            .iter()
            .filter(|i| matches!(i.state, InitiativeState::Planned | InitiativeState::InProgress))
            .map(|i| i.key_result_id)
            .collect();
    ix.watched()
        .filter(|(_, k)| !worked_on.contains(&k.id))
        .filter_map(|(o, k)| {
            let projected = ix.behind(k).map(|(p, _, _)| p);
            if ix.status(k) == Status::Green && projected.is_none() {
                return None;
            }
            let message = format!("\"{}\" is behind and nobody has an open initiative on it", k.title);
            let suggestion = "Add an initiative with an assignee: the work that should move it".to_owned();
            let figures = Figures::UnassignedWork {
                progress: k.progress,
                expected_progress: ix.expected,
                projected_score: projected,
            };
            let since = k.last_check_in_at.unwrap_or(ix.start);
            Some(
                ix.on_key_result(InsightKind::UnassignedWork, Severity::Warning, o, k)
                    .says(message, suggestion)
                    .figures(figures, since),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    /// A quarter from 1 January to 31 March 2026; "now" is 1 February.
    struct World {
        s: Snapshot,
    }

    fn at(month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, 12, 0, 0).single().unwrap_or_default()
    }

    fn id() -> Uuid {
        Uuid::now_v7()
    }

    impl World {
        fn new() -> World {
            let now = at(2, 1);
            let organization = organization::Model {
                id: id(),
                name: "Org".into(),
                slug: "org".into(),
                timezone: "UTC".into(),
                max_objectives_per_team: 2,
                max_key_results_per_objective: 3,
                focus_policy_mode: FocusPolicyMode::Warn,
                insight_policy: None,
                created_at: now,
                updated_at: now,
            };
            let cycle = cycle::Model {
                id: id(),
                organization_id: organization.id,
                parent_id: None,
                name: "Q1".into(),
                starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
                ends_on: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default(),
                state: CycleState::Active,
                closed_at: None,
                created_at: at(1, 1),
                updated_at: at(1, 1),
            };
            let s = Snapshot {
                now,
                policy: InsightPolicy::default(),
                organization,
                cycle,
                teams: Vec::new(),
                objectives: Vec::new(),
                key_results: Vec::new(),
                check_ins: Vec::new(),
                dependencies: Vec::new(),
                initiatives: Vec::new(),
                elsewhere: Vec::new(),
                themes: Vec::new(),
            };
            World { s }
        }

        fn team(&mut self, parent: Option<Uuid>) -> Uuid {
            let team = team::Model {
                id: id(),
                organization_id: self.s.organization.id,
                parent_id: parent,
                name: "Team".into(),
                check_in_rhythm_days: None,
                archived_at: None,
                created_at: at(1, 1),
                updated_at: at(1, 1),
            };
            self.s.teams.push(team.clone());
            team.id
        }

        fn objective(&mut self, team: Uuid, parent: Option<Uuid>) -> Uuid {
            let mut o = crate::objectives::test_row(id(), parent);
            o.team_id = team;
            o.cycle_id = self.s.cycle.id;
            o.title = "An objective".into();
            o.alignment_kind = parent.map(|_| AlignmentKind::Contributes);
            o.created_at = at(1, 1);
            self.s.objectives.push(o.clone());
            o.id
        }

        fn key_result(&mut self, objective: Uuid, title: &str) -> Uuid {
            let k = key_result::Model {
                id: id(),
                organization_id: self.s.organization.id,
                objective_id: objective,
                title: title.into(),
                kind: KeyResultKind::Increase,
                unit: entity::KeyResultUnit::Number,
                unit_label: None,
                start_value: 0.0,
                target_value: 100.0,
                current_value: 0.0,
                weight: 1.0,
                driver_id: None,
                progress: 0.0,
                latest_confidence: None,
                check_in_count: 0,
                last_check_in_at: None,
                archived_at: None,
                created_at: at(1, 1),
                updated_at: at(1, 1),
            };
            self.s.key_results.push(k.clone());
            k.id
        }

        fn check_in(&mut self, key_result: Uuid, when: DateTime<Utc>, value: f64, confidence: Confidence) {
            self.s.check_ins.push(CheckInRow { key_result_id: key_result, value, confidence, recorded_at: when });
            if let Some(k) = self.s.key_results.iter_mut().find(|k| k.id == key_result) {
                k.current_value = value;
                k.progress = value / 100.0;
                k.latest_confidence = Some(confidence);
                k.last_check_in_at = Some(when);
                k.check_in_count += 1;
            }
        }

        fn kinds(&self) -> Vec<(InsightKind, Severity, Subject)> {
            evaluate(&self.s).into_iter().map(|i| (i.kind, i.severity, i.subject)).collect()
        }

        fn has(&self, kind: InsightKind, subject: Subject) -> Option<Insight> {
            evaluate(&self.s).into_iter().find(|i| i.kind == kind && i.subject == subject)
        }
    }

    /// A company objective, a team objective aligned to it with one key result checked in
    /// weekly on pace, and the initiative on it: nothing to say.
    fn healthy() -> (World, Uuid, Uuid, Uuid) {
        let mut w = World::new();
        let company = w.team(None);
        let team = w.team(Some(company));
        let top = w.objective(company, None);
        let objective = w.objective(team, Some(top));
        let kr = w.key_result(objective, "Raise NPS from 30 to 45");
        for (i, day) in [5, 12, 19, 26].into_iter().enumerate() {
            w.check_in(kr, at(1, day), 8.0 * (i as f64 + 1.0), Confidence::OnTrack);
        }
        w.check_in(kr, at(1, 31), 40.0, Confidence::OnTrack);
        w.s.initiatives.push(initiative::Model {
            id: id(),
            organization_id: w.s.organization.id,
            key_result_id: kr,
            title: "Fix the onboarding emails".into(),
            assignee_id: None,
            state: InitiativeState::InProgress,
            impact: None,
            effort: None,
            created_at: at(1, 1),
            updated_at: at(1, 1),
        });
        // The company objective's progress is its contributors'.
        w.s.objectives[0].progress_driver = entity::ProgressDriver::AlignedObjectives;
        (w, top, objective, kr)
    }

    #[test]
    fn a_healthy_cycle_has_nothing_to_say() {
        let (w, _, _, _) = healthy();
        assert_eq!(w.kinds(), vec![], "{:#?}", evaluate(&w.s));
    }

    #[test]
    fn a_flat_trend_is_behind_pace_with_its_figures_and_since() {
        let (mut w, _, objective, _) = healthy();
        let kr = w.key_result(objective, "Grow weekly active teams from 120 to 200");
        w.check_in(kr, at(1, 10), 5.0, Confidence::OnTrack);
        w.check_in(kr, at(1, 17), 6.0, Confidence::OnTrack);
        assert!(w.has(InsightKind::BehindPace, Subject::KeyResult(kr)).is_none(), "two check-ins: no forecast");
        w.check_in(kr, at(1, 24), 7.0, Confidence::OnTrack);
        let insight = w.has(InsightKind::BehindPace, Subject::KeyResult(kr)).unwrap();
        let Figures::BehindPace { projected_score, slope_per_week, check_ins, .. } = insight.figures else {
            panic!("{insight:?}")
        };
        // One point a week from 5 on 10 January.
        assert!((slope_per_week - 0.01).abs() < 1e-9, "{slope_per_week}");
        // The cycle ends at the start of 1 April: 80.5 days after the first reading.
        assert!((projected_score - (0.05 + 0.01 * 80.5 / 7.0)).abs() < 1e-9, "{projected_score}");
        assert_eq!((check_ins, insight.severity, insight.since), (3, Severity::Critical, at(1, 24)));
        // A steep recovery clears it.
        w.check_in(kr, at(1, 31), 60.0, Confidence::OnTrack);
        w.check_in(kr, at(2, 1), 75.0, Confidence::OnTrack);
        assert!(w.has(InsightKind::BehindPace, Subject::KeyResult(kr)).is_none(), "{:#?}", evaluate(&w.s));
    }

    #[test]
    fn a_key_result_without_check_ins_for_longer_than_the_rhythm_is_stale() {
        let (mut w, _, _, kr) = healthy();
        w.s.now = at(2, 7);
        assert!(w.has(InsightKind::Stale, Subject::KeyResult(kr)).is_none(), "7 days: on rhythm");
        w.s.now = at(2, 9);
        let insight = w.has(InsightKind::Stale, Subject::KeyResult(kr)).unwrap();
        assert_eq!((insight.severity, insight.since), (Severity::Warning, at(2, 7)));
        w.s.now = at(2, 15);
        assert_eq!(w.has(InsightKind::Stale, Subject::KeyResult(kr)).unwrap().severity, Severity::Critical);
        w.check_in(kr, at(2, 15), 50.0, Confidence::OnTrack);
        assert!(w.has(InsightKind::Stale, Subject::KeyResult(kr)).is_none());
    }

    #[test]
    fn falling_confidence_appears_and_clears() {
        let (mut w, _, _, kr) = healthy();
        w.check_in(kr, at(2, 1), 41.0, Confidence::AtRisk);
        assert!(w.has(InsightKind::ConfidenceFalling, Subject::KeyResult(kr)).is_none());
        w.check_in(kr, at(2, 1) + Duration::hours(1), 41.0, Confidence::OffTrack);
        let insight = w.has(InsightKind::ConfidenceFalling, Subject::KeyResult(kr)).unwrap();
        assert_eq!(insight.severity, Severity::Warning);
        w.check_in(kr, at(2, 1) + Duration::hours(2), 41.0, Confidence::OffTrack);
        assert_eq!(w.has(InsightKind::ConfidenceFalling, Subject::KeyResult(kr)).unwrap().severity, Severity::Critical);
        w.check_in(kr, at(2, 1) + Duration::hours(3), 45.0, Confidence::OnTrack);
        assert!(w.has(InsightKind::ConfidenceFalling, Subject::KeyResult(kr)).is_none());
    }

    #[test]
    fn an_unaligned_team_objective_is_an_orphan_and_a_company_objective_without_contributors_uncovered() {
        let (mut w, top, objective, _) = healthy();
        let other = w.team(Some(w.s.teams[0].id));
        let lonely = w.objective(other, None);
        w.key_result(lonely, "Cut response time from 24 h to 4 h");
        assert!(w.has(InsightKind::OrphanObjective, Subject::Objective(lonely)).is_some());
        assert!(w.has(InsightKind::UncoveredObjective, Subject::Objective(top)).is_none());
        // Its one contributor only supports now: the company objective is uncovered.
        w.s.objectives
            .iter_mut()
            .filter(|o| o.id == objective)
            .for_each(|o| o.alignment_kind = Some(AlignmentKind::Supports));
        let insight = w.has(InsightKind::UncoveredObjective, Subject::Objective(top)).unwrap();
        assert_eq!(insight.figures, Figures::UncoveredObjective { supporting: 1 });
        w.s.objectives.iter_mut().filter(|o| o.id == lonely).for_each(|o| o.parent_objective_id = Some(top));
        assert!(w.has(InsightKind::OrphanObjective, Subject::Objective(lonely)).is_none());
        assert!(w.has(InsightKind::UncoveredObjective, Subject::Objective(top)).is_none());
    }

    #[test]
    fn too_many_active_objectives_or_key_results_breach_focus() {
        let (mut w, top, objective, _) = healthy();
        let team = w.s.objectives.iter().find(|o| o.id == objective).map(|o| o.team_id).unwrap_or_default();
        w.objective(team, Some(top));
        assert!(w.has(InsightKind::FocusBreach, Subject::Team(team)).is_none(), "2 is the limit");
        w.objective(team, Some(top));
        let insight = w.has(InsightKind::FocusBreach, Subject::Team(team)).unwrap();
        assert_eq!(insight.figures, Figures::FocusBreach { limit: 2, count: 3, key_results: false });
        for n in 0..3 {
            w.key_result(objective, &format!("Raise retention {n} points"));
        }
        let insight = w.has(InsightKind::FocusBreach, Subject::Objective(objective)).unwrap();
        assert_eq!(insight.figures, Figures::FocusBreach { limit: 3, count: 4, key_results: true });
    }

    #[test]
    fn an_activity_key_result_says_which_words_matched() {
        let (mut w, _, objective, _) = healthy();
        let kr = w.key_result(objective, "Make 50 calls a week");
        let insight = w.has(InsightKind::ActivityKeyResult, Subject::KeyResult(kr)).unwrap();
        assert_eq!(insight.figures, Figures::ActivityKeyResult { matched: vec!["50 calls".into()] });
        assert_eq!(insight.severity, Severity::Info);
        w.s.policy.activity_verbs = vec!["tidy".into()];
        let kr = w.key_result(objective, "Tidy the wiki");
        assert!(w.has(InsightKind::ActivityKeyResult, Subject::KeyResult(kr)).is_some(), "the organization's words");
    }

    #[test]
    fn a_dependency_on_another_team_s_red_objective_blocks() {
        let (mut w, top, objective, _) = healthy();
        let other = w.team(Some(w.s.teams[0].id));
        let late = w.objective(other, Some(top));
        let kr = w.key_result(late, "Launch in 3 new countries with $1M ARR between them");
        w.check_in(kr, at(1, 20), 1.0, Confidence::OnTrack);
        let dependency = dependency::Model {
            id: id(),
            organization_id: w.s.organization.id,
            from_objective_id: objective,
            from_key_result_id: None,
            to_objective_id: late,
            to_key_result_id: None,
            note: None,
            state: DependencyState::Open,
            created_by_id: None,
            resolved_at: None,
            created_at: at(1, 2),
            updated_at: at(1, 2),
        };
        w.s.dependencies.push(dependency.clone());
        let insight = w.has(InsightKind::BlockedByDependency, Subject::Dependency(dependency.id)).unwrap();
        assert_eq!((insight.severity, insight.objective_id), (Severity::Critical, Some(objective)));
        w.s.dependencies[0].state = DependencyState::Resolved;
        assert!(w.has(InsightKind::BlockedByDependency, Subject::Dependency(dependency.id)).is_none());
    }

    #[test]
    fn an_objective_without_key_results_a_week_into_the_cycle_is_reported() {
        let (mut w, top, objective, _) = healthy();
        let team = w.s.objectives.iter().find(|o| o.id == objective).map(|o| o.team_id).unwrap_or_default();
        let empty = w.objective(team, Some(top));
        w.s.objectives.iter_mut().filter(|o| o.id == empty).for_each(|o| o.state = ObjectiveState::Draft);
        w.s.now = at(1, 7);
        assert!(w.has(InsightKind::NoKeyResults, Subject::Objective(empty)).is_none(), "within the first week");
        w.s.now = at(1, 9);
        let insight = w.has(InsightKind::NoKeyResults, Subject::Objective(empty)).unwrap();
        assert_eq!(insight.since, at(1, 8));
        w.key_result(empty, "Raise NPS to 50");
        assert!(w.has(InsightKind::NoKeyResults, Subject::Objective(empty)).is_none());
    }

    #[test]
    fn a_behind_key_result_without_open_initiatives_is_unassigned_work() {
        let (mut w, _, _, kr) = healthy();
        w.check_in(kr, at(2, 1), 5.0, Confidence::AtRisk);
        assert!(w.has(InsightKind::UnassignedWork, Subject::KeyResult(kr)).is_none(), "an initiative is open");
        w.s.initiatives[0].state = InitiativeState::Done;
        assert!(w.has(InsightKind::UnassignedWork, Subject::KeyResult(kr)).is_some());
    }

    #[test]
    fn time_based_kinds_stop_when_the_cycle_closes() {
        let (mut w, _, _, kr) = healthy();
        w.s.now = at(3, 20);
        assert!(w.has(InsightKind::Stale, Subject::KeyResult(kr)).is_some());
        w.s.cycle.state = CycleState::Closed;
        assert!(w.has(InsightKind::Stale, Subject::KeyResult(kr)).is_none());
    }
}
