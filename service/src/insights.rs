//! Insights: what is going wrong with a team's OKRs while there is still time to act,
//! computed from stored figures and the service's clock. [`evaluate()`] is a pure function
//! of a cycle's rows; each kind is a function of its own in `evaluate`.

pub mod activity;
pub mod confidence;
pub mod evaluate;
pub mod forecast;
pub mod load;
pub mod policy;
pub mod watch;

use chrono::{DateTime, Utc};
use entity::Confidence;
pub use evaluate::{Snapshot, evaluate};
pub use policy::InsightPolicy;
use uuid::Uuid;

/// What an insight is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum InsightKind {
    BehindPace,
    Stale,
    ConfidenceFalling,
    OrphanObjective,
    UncoveredObjective,
    FocusBreach,
    ActivityKeyResult,
    BlockedByDependency,
    NoKeyResults,
    UnassignedWork,
    UnservedTheme,
}

/// How urgent an insight is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// The row an insight is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Subject {
    KeyResult(Uuid),
    Objective(Uuid),
    Team(Uuid),
    Dependency(Uuid),
    Theme(Uuid),
}

impl Subject {
    pub fn id(&self) -> Uuid {
        match self {
            Subject::KeyResult(id)
            | Subject::Objective(id)
            | Subject::Team(id)
            | Subject::Dependency(id)
            | Subject::Theme(id) => *id,
        }
    }
}

/// The figures behind an insight, by kind.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Figures {
    BehindPace {
        projected_score: f64,
        slope_per_week: f64,
        check_ins: usize,
        stretch_target: f64,
    },
    Stale {
        days_without_check_in: i64,
        rhythm_days: u32,
        last_check_in_at: Option<DateTime<Utc>>,
    },
    ConfidenceFalling {
        confidences: Vec<Confidence>,
        lowered: usize,
        off_track_in_a_row: usize,
    },
    OrphanObjective {
        company_objectives: usize,
    },
    UncoveredObjective {
        supporting: usize,
    },
    FocusBreach {
        limit: i32,
        count: usize,
        key_results: bool,
    },
    ActivityKeyResult {
        matched: Vec<String>,
    },
    BlockedByDependency {
        blocker_objective_id: Uuid,
        blocker_key_result_id: Option<Uuid>,
        blocker_red: bool,
        blocker_projected_score: Option<f64>,
    },
    NoKeyResults {
        days_into_cycle: i64,
    },
    UnassignedWork {
        progress: f64,
        expected_progress: f64,
        projected_score: Option<f64>,
    },
    UnservedTheme {
        /// Company objectives that serve it but are not active (drafts, closed).
        inactive_objectives: usize,
    },
}

/// One finding, with what to do about it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Insight {
    pub kind: InsightKind,
    pub severity: Severity,
    pub subject: Subject,
    /// The team it concerns, and its objective and key result where it has them.
    pub team_id: Uuid,
    pub objective_id: Option<Uuid>,
    pub key_result_id: Option<Uuid>,
    pub message: String,
    pub suggestion: String,
    pub figures: Figures,
    /// Since when it holds.
    pub since: DateTime<Utc>,
}

impl Insight {
    /// The same finding keeps this while it holds: its kind and its subject.
    pub fn key(&self) -> (InsightKind, Subject) {
        (self.kind, self.subject)
    }

    /// A stable id made of [`Insight::key`].
    pub fn id(&self) -> Uuid {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("{:?}/{:?}", self.kind, self.subject).as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }
}

/// Which insights a caller wants; filters combine.
#[derive(Debug, Clone, Default)]
pub struct InsightFilter {
    /// Only this team's…
    pub team_id: Option<Uuid>,
    /// …and, with `subtree`, its descendants'.
    pub subtree: bool,
    pub kinds: Option<Vec<InsightKind>>,
    pub min_severity: Option<Severity>,
}

impl InsightFilter {
    fn keeps(&self, insight: &Insight, teams: &std::collections::HashSet<Uuid>) -> bool {
        self.team_id.is_none_or(|_| teams.contains(&insight.team_id))
            && self.kinds.as_ref().is_none_or(|k| k.contains(&insight.kind))
            && self.min_severity.is_none_or(|s| insight.severity >= s)
    }
}

/// A cycle's insights at one moment, with its team tree for filtering by subtree.
#[derive(Debug, Clone, Default)]
pub struct CycleInsights {
    pub insights: Vec<std::sync::Arc<Insight>>,
    parents: std::collections::HashMap<Uuid, Option<Uuid>>,
}

impl CycleInsights {
    /// The insights `filter` keeps, most severe first.
    pub fn matching(&self, filter: &InsightFilter) -> Vec<std::sync::Arc<Insight>> {
        let teams = match filter.team_id {
            Some(team) if filter.subtree => self.descendants(team),
            Some(team) => std::collections::HashSet::from([team]),
            None => std::collections::HashSet::new(),
        };
        self.insights.iter().filter(|i| filter.keeps(i, &teams)).cloned().collect()
    }

    /// `root` and every team below it.
    fn descendants(&self, root: Uuid) -> std::collections::HashSet<Uuid> {
        let mut found = std::collections::HashSet::from([root]);
        loop {
            let below: Vec<Uuid> = self
                .parents
                .iter()
                .filter(|(id, parent)| !found.contains(*id) && parent.is_some_and(|p| found.contains(&p)))
                .map(|(id, _)| *id)
                .collect();
            if below.is_empty() {
                return found;
            }
            found.extend(below);
        }
    }
}

/// Every insight of cycle `cycle_id` at `now`, from a fixed number of statements; the
/// check-in histories that `histories` holds current are not read again.
pub async fn of_cycle(
    db: &impl sea_orm::ConnectionTrait,
    actor: &crate::Actor,
    cycle_id: Uuid,
    now: DateTime<Utc>,
    histories: &load::Histories,
) -> crate::Result<CycleInsights> {
    let snapshot = load::snapshot(db, actor, cycle_id, now, histories).await?;
    Ok(CycleInsights {
        insights: evaluate(&snapshot).into_iter().map(std::sync::Arc::new).collect(),
        parents: snapshot.teams.iter().map(|t| (t.id, t.parent_id)).collect(),
    })
}
