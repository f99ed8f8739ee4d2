//! Enumerations stored as short strings, so that both SQLite and PostgreSQL hold them
//! without native enum types and new values need no schema change.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What the organization does when a focus limit is breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FocusPolicyMode {
    /// Refuse the change.
    #[sea_orm(string_value = "ENFORCE")]
    Enforce,
    /// Allow it and report it as an insight.
    #[sea_orm(string_value = "WARN")]
    Warn,
}

/// A person's role inside one team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TeamRole {
    #[sea_orm(string_value = "LEAD")]
    Lead,
    #[sea_orm(string_value = "MEMBER")]
    Member,
}

/// Life of a cycle: PLANNING → ACTIVE → CLOSED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CycleState {
    #[sea_orm(string_value = "PLANNING")]
    Planning,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

/// Life of an objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ObjectiveState {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

/// How an aligned objective relates to its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AlignmentKind {
    /// Counts in the parent's rollup.
    #[sea_orm(string_value = "CONTRIBUTES")]
    Contributes,
    /// Shown in the tree, not counted.
    #[sea_orm(string_value = "SUPPORTS")]
    Supports,
}

/// What an objective's progress is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ProgressDriver {
    #[sea_orm(string_value = "KEY_RESULTS")]
    KeyResults,
    #[sea_orm(string_value = "ALIGNED_OBJECTIVES")]
    AlignedObjectives,
    #[sea_orm(string_value = "BOTH")]
    Both,
}

/// How a key result is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum KeyResultKind {
    #[sea_orm(string_value = "INCREASE")]
    Increase,
    #[sea_orm(string_value = "DECREASE")]
    Decrease,
    #[sea_orm(string_value = "MILESTONE")]
    Milestone,
    #[sea_orm(string_value = "MAINTAIN_AT_LEAST")]
    MaintainAtLeast,
    #[sea_orm(string_value = "MAINTAIN_AT_MOST")]
    MaintainAtMost,
}

/// The unit a key result is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum KeyResultUnit {
    #[sea_orm(string_value = "NUMBER")]
    Number,
    #[sea_orm(string_value = "PERCENT")]
    Percent,
    /// With an ISO 4217 code in `unit_label`.
    #[sea_orm(string_value = "CURRENCY")]
    Currency,
    #[sea_orm(string_value = "DURATION_DAYS")]
    DurationDays,
    /// With a free label in `unit_label`.
    #[sea_orm(string_value = "CUSTOM")]
    Custom,
}

/// A team's confidence at a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Confidence {
    #[sea_orm(string_value = "ON_TRACK")]
    OnTrack,
    #[sea_orm(string_value = "AT_RISK")]
    AtRisk,
    #[sea_orm(string_value = "OFF_TRACK")]
    OffTrack,
}

/// An initiative's expected impact, or the effort it takes: the two axes of the
/// impact/effort matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Level {
    #[sea_orm(string_value = "LOW")]
    Low,
    #[sea_orm(string_value = "HIGH")]
    High,
}

/// A Balanced Scorecard perspective a theme can sit in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Perspective {
    #[sea_orm(string_value = "FINANCIAL")]
    Financial,
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    #[sea_orm(string_value = "INTERNAL_PROCESSES")]
    InternalProcesses,
    #[sea_orm(string_value = "LEARNING_AND_GROWTH")]
    LearningAndGrowth,
}

/// Whether a theme is pursued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ThemeState {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Kept for history; no new links.
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

/// Life of an initiative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InitiativeState {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// Whether a cross-team dependency still blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DependencyState {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
}

/// Where a webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The endpoint answered 2xx.
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Every attempt of the retry window failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}
