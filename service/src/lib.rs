//! Trellis domain layer: the OKR rules, scoring, authorization and audit trail.
//!
//! Every call takes the [`Actor`] (who, in which organization, with which role) and
//! reads or writes only inside that organization. This crate knows nothing of GraphQL or
//! HTTP; the `api` crate translates to and from it.

pub mod actor;
pub mod audit;
pub mod clock;
pub mod cycles;
pub mod db;
pub mod demo;
pub mod error;
pub mod objectives;
pub mod organizations;
pub mod pagination;
pub mod people;
pub mod progress;
pub mod scoring;
pub mod search;
pub mod teams;
pub mod tenant;

pub use actor::{Actor, Identity, OrgRole};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, Result};
pub use sea_orm::DatabaseConnection;
pub use uuid::Uuid;

/// A new time-ordered primary key.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
