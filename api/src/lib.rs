//! The Trellis API server: configuration, authentication, the GraphQL schema and the
//! HTTP routes. It translates between GraphQL and the `service` crate and holds no rules
//! of its own.

pub mod app;
pub mod auth;
pub mod config;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod telemetry;
pub mod transfer;
pub mod webhooks;

pub use app::Application;
