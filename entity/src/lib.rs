//! sea-orm entities for every Trellis table. Entities hold data only; the rules live in
//! the `service` crate.
//!
//! Every tenant table carries `organization_id`, so that tenant filtering is one indexed
//! predicate. Primary keys are time-ordered UUIDs (v7): ordering by id is ordering by
//! creation time, which keyset pagination relies on.

pub mod audit_event;
pub mod check_in;
pub mod cycle;
pub mod dependency;
pub mod enums;
pub mod initiative;
pub mod key_result;
pub mod membership;
pub mod objective;
pub mod objective_theme;
pub mod organization;
pub mod persisted_query;
pub mod person;
pub mod team;
pub mod team_week;
pub mod theme;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_insight;

pub use enums::*;
