//! The GraphQL schema: one file per type under `graphql/`, resolvers kept thin.

pub mod check_in;
pub mod connection;
pub mod context;
pub mod cycle;
pub mod dependency;
pub mod enums;
pub mod error;
pub mod guard;
pub mod ids;
pub mod initiative;
pub mod insight;
pub mod key_result;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod objective;
pub mod organization;
pub mod person;
pub mod prefetch;
pub mod query;
pub mod rhythm;
pub mod scalars;
pub mod schema;
pub mod subscription;
pub mod team;
pub mod team_week;
pub mod theme;
pub mod transfer;
pub mod tree;
pub mod webhook;

pub use schema::{AppSchema, Schemas, sdl};
