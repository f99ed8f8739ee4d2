//! Key results: the measurable outcomes of an objective.

pub mod write;
