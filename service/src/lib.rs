//! Trellis domain layer: the OKR rules, scoring, authorization and audit trail.
//!
//! Every call takes the [`Actor`] (who, in which organization, with which role) and
//! reads or writes only inside that organization. This crate knows nothing of GraphQL or
//! HTTP; the `api` crate translates to and from it.

pub mod actor;
pub mod alignment;
pub mod audit;
pub mod check_ins;
pub mod clock;
pub mod cycle_writes;
pub mod cycles;
pub mod db;
pub mod demo;
pub mod dependencies;
pub mod error;
pub mod events;
pub mod focus;
pub mod generate;
pub mod guards;
pub mod initiatives;
pub mod key_result_writes;
pub mod measurability;
pub mod objective_life;
pub mod objective_writes;
pub mod objectives;
pub mod organizations;
pub mod pagination;
pub mod people;
pub mod permissions;
pub mod progress;
pub mod scope;
pub mod scoring;
pub mod search;
pub mod team_writes;
pub mod teams;
pub mod tenant;
pub mod tree;
pub mod validate;

pub use actor::{Actor, Identity, OrgRole};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, Result};
pub use scope::Scope;
pub use sea_orm::DatabaseConnection;
pub use uuid::Uuid;

/// A new time-ordered primary key.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
