//! Planning around key results: initiatives (the work) and cross-team dependencies.

pub mod dependencies;
pub mod initiatives;
