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
pub mod demo;
pub mod error;
pub mod events;
pub mod generate;
pub mod key_results;
pub mod objectives;
pub mod organizations;
pub mod pagination;
pub mod people;
pub mod permissions;
pub mod planning;
pub mod read_models;
pub mod rules;
pub mod scope;
pub mod search;
pub mod teams;
pub mod tenant;

pub use cycles::write as cycle_writes;
pub use key_results::write as key_result_writes;
pub use objectives::write as objective_writes;
pub use objectives::{alignment, focus, guards, life as objective_life, progress};
pub use planning::{dependencies, initiatives};
pub use read_models::tree;
pub use rules::{measurability, scoring, validate};
pub use teams::write as team_writes;

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
