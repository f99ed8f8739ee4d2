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
            Error::Database(_) => "INTERNAL",
        }
    }

    /// Shorthand for a [`Error::NotFound`] about an id.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound { entity, id: id.to_string() }
    }
}
