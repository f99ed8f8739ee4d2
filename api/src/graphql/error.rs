//! Service errors to GraphQL errors with a stable `extensions.code`.
//!
//! Nothing from the database reaches a client: unexpected errors are logged once with
//! their cause, and the client sees "internal error" with code INTERNAL; while the
//! database is unreachable, SERVICE_UNAVAILABLE (the process notices it separately).

use async_graphql::{Error, ErrorExtensions};
use std::sync::Arc;

/// The code of a request the database could not serve because it is unreachable.
pub const UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
/// What such a request is told.
pub const UNAVAILABLE_MESSAGE: &str = "the database is unreachable: retry shortly";

/// A GraphQL error with `code` in its extensions.
pub fn coded(code: &'static str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// A BAD_USER_INPUT error.
pub fn bad_input(message: impl Into<String>) -> Error {
    coded("BAD_USER_INPUT", message)
}

/// Maps a service error, logging internal ones.
pub fn from_service(error: &service::Error) -> Error {
    if error.code() == UNAVAILABLE {
        return coded(UNAVAILABLE, UNAVAILABLE_MESSAGE);
    }
    if let service::Error::Database(cause) = error {
        tracing::error!(error = %cause, "database error");
        return coded("INTERNAL", "internal error: the server log has the details");
    }
    coded(error.code(), error.to_string())
}

/// `.gql()` turns a service result into a resolver result with the right code.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, service::Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| from_service(&e))
    }
}

impl<T> GqlResult<T> for Result<T, Arc<service::Error>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| from_service(&e))
    }
}
