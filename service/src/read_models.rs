//! Read models: whole views (alignment trees, team dashboards) loaded in a fixed number
//! of statements.

pub mod dashboard;
pub mod tree;
