//! The OKR rules as pure functions, without I/O: scoring, rollup, measurability and
//! input validation.

pub mod measurability;
pub mod rollup;
pub mod scoring;
pub mod validate;
