//! Trellis domain layer: the OKR rules, scoring, authorization and audit trail.
//!
//! Every call takes the [`Actor`] (who, in which organization, with which role) and
//! reads or writes only inside that organization. This crate knows nothing of GraphQL or
//! HTTP; the `api` crate translates to and from it.

pub mod actor;
pub mod audit;
pub mod check_ins;
pub mod clock;
pub mod cycles;
pub mod db;
pub mod error;
pub mod events;
pub mod insights;
pub mod key_results;
pub mod objectives;
pub mod organizations;
pub mod pagination;
pub mod people;
pub mod permissions;
pub mod persisted_queries;
pub mod planning;
pub mod read_models;
pub mod rhythm;
pub mod rules;
pub mod scope;
pub mod search;
pub mod strategy;
pub mod teams;
pub mod tenant;
pub mod transfer;
pub mod unit_of_work;
pub mod webhooks;

pub use actor::{Actor, Identity, OrgRole};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, Result};
pub use scope::Scope;
pub use sea_orm::DatabaseConnection;
pub use tenant::Org;
pub use uuid::Uuid;

/// A new time-ordered primary key.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
