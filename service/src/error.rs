//! The one error type of the domain layer.
//!
//! Each variant is a stable, documented code (see [`Error::code`]) that the API passes to
//! clients in `extensions.code`. Messages say what was wrong and how to fix it. Database
//! errors are never shown to clients: the API logs them once with their cause and answers
//! with an opaque message.

use sea_orm::DbErr;

/// Result of a service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a service call can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No valid identity: the token is missing, expired or names nothing we know.
    #[error("{0}")]
    Unauthenticated(String),
    /// The actor is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The entity does not exist in the actor's organization (or at all: callers cannot
    /// tell the difference, by design).
    #[error("{entity} {id} was not found")]
    NotFound { entity: &'static str, id: String },
    /// The input is malformed: an explanation of what to send instead.
    #[error("{0}")]
    BadUserInput(String),
    /// The change clashes with the current state (e.g. a duplicate).
    #[error("{0}")]
    Conflict(String),
    /// A focus limit of the organization's policy would be breached (policy ENFORCE).
    #[error("{0}")]
    FocusLimitExceeded(String),
    /// The alignment would make an objective its own ancestor.
    #[error("{0}")]
    AlignmentLoop(String),
    /// The parent's cycle neither equals, encloses nor overlaps the objective's.
    #[error("{0}")]
    AlignmentCycleMismatch(String),
    /// The cycle is closed: nothing in it changes until an admin reopens it.
    #[error("{0}")]
    CycleClosed(String),
    /// The objective is closed: it keeps its final score and takes no more changes.
    #[error("{0}")]
    ObjectiveClosed(String),
    /// The requested state change is not one the life cycle allows.
    #[error("{0}")]
    InvalidTransition(String),
    /// An objective cannot be activated without at least one key result.
    #[error("{0}")]
    NoKeyResults(String),
    /// A key result's figures do not describe a measurable result.
    #[error("{0}")]
    NotMeasurable(String),
    /// A driver or assignee is not a member of the owning team.
    #[error("{0}")]
    NotTeamMember(String),
    /// The week's note is frozen: it was open until the end of the week after.
    #[error("{0}")]
    WeekFrozen(String),
    /// A webhook's URL is, or resolves to, an internal address the operator did not allow.
    #[error("{0}")]
    WebhookUrlForbidden(String),
    /// The database failed; the cause is logged, never sent.
    #[error("database error")]
    Database(#[from] DbErr),
}

impl Error {
    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound { .. } => "NOT_FOUND",
            Error::BadUserInput(_) => "BAD_USER_INPUT",
            Error::Conflict(_) => "CONFLICT",
            Error::FocusLimitExceeded(_) => "FOCUS_LIMIT_EXCEEDED",
            Error::AlignmentLoop(_) => "ALIGNMENT_LOOP",
            Error::AlignmentCycleMismatch(_) => "ALIGNMENT_CYCLE_MISMATCH",
            Error::CycleClosed(_) => "CYCLE_CLOSED",
            Error::ObjectiveClosed(_) => "OBJECTIVE_CLOSED",
            Error::InvalidTransition(_) => "INVALID_STATE_TRANSITION",
            Error::NoKeyResults(_) => "NO_KEY_RESULTS",
            Error::NotMeasurable(_) => "NOT_MEASURABLE",
            Error::NotTeamMember(_) => "NOT_TEAM_MEMBER",
            Error::WeekFrozen(_) => "WEEK_FROZEN",
            Error::WebhookUrlForbidden(_) => "WEBHOOK_URL_FORBIDDEN",
            Error::Database(cause) if crate::db::availability::unreachable(cause) => "SERVICE_UNAVAILABLE",
            Error::Database(_) => "INTERNAL",
        }
    }

    /// Shorthand for a [`Error::NotFound`] about an id.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound { entity, id: id.to_string() }
    }
}
