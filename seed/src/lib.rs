//! Seed data for Trellis: the demo organization *Company X* and the generator of large
//! organizations for benchmarks. Both write through the `service` crate, so the data
//! they leave is data the rules accept.

pub mod demo;
pub mod generate;
