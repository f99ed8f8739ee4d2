//! GraphQL enums, mirrored from the entity enums.

use async_graphql::Enum;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::FocusPolicyMode")]
/// What happens when a focus limit is breached.
pub enum FocusPolicyMode {
    /// The change is refused.
    Enforce,
    /// The change is allowed and reported as an insight.
    Warn,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::TeamRole")]
/// A person's role in a team.
pub enum TeamRole {
    Lead,
    Member,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::CycleState")]
/// PLANNING → ACTIVE → CLOSED.
pub enum CycleState {
    Planning,
    Active,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::ObjectiveState")]
/// DRAFT → ACTIVE → CLOSED.
pub enum ObjectiveState {
    Draft,
    Active,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::AlignmentKind")]
/// How an objective relates to its parent.
pub enum AlignmentKind {
    /// Counts in the parent's rolled-up progress.
    Contributes,
    /// Shown in the tree, not counted.
    Supports,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::ProgressDriver")]
/// What an objective's progress is computed from.
pub enum ProgressDriver {
    /// The weight-averaged progress of its key results.
    KeyResults,
    /// The average of the objectives that CONTRIBUTE to it.
    AlignedObjectives,
    /// All of those together.
    Both,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::KeyResultKind")]
/// How a key result is measured.
pub enum KeyResultKind {
    Increase,
    Decrease,
    Milestone,
    MaintainAtLeast,
    MaintainAtMost,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::KeyResultUnit")]
/// The unit of a key result's values.
pub enum KeyResultUnit {
    Number,
    Percent,
    Currency,
    DurationDays,
    Custom,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::Confidence")]
/// A team's confidence at a check-in.
pub enum Confidence {
    OnTrack,
    AtRisk,
    OffTrack,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::DependencyState")]
/// Whether a dependency still blocks.
pub enum DependencyState {
    Open,
    Resolved,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "service::rules::scoring::Status")]
/// Progress against the time elapsed in the cycle.
pub enum Status {
    /// Far behind.
    Red,
    /// Behind.
    Yellow,
    /// On pace.
    Green,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
/// The caller's role in their organization.
pub enum OrgRole {
    Admin,
    Member,
    Viewer,
}

impl From<service::OrgRole> for OrgRole {
    fn from(role: service::OrgRole) -> Self {
        match role {
            service::OrgRole::Admin => OrgRole::Admin,
            service::OrgRole::Member => OrgRole::Member,
            service::OrgRole::Viewer => OrgRole::Viewer,
        }
    }
}

/// An initiative's expected impact on its key result, or the effort it takes.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::Level")]
pub enum Level {
    Low,
    High,
}

/// Where an initiative sits on the impact/effort matrix.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "service::planning::initiatives::Quadrant")]
pub enum Quadrant {
    /// High impact, low effort: do these first.
    QuickWin,
    /// High impact, high effort: plan them.
    MajorProject,
    /// Low impact, low effort: when there is time.
    FillIn,
    /// Low impact, high effort: question them.
    Thankless,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::InitiativeState")]
/// Where an initiative stands.
pub enum InitiativeState {
    Planned,
    InProgress,
    Done,
    Cancelled,
}
