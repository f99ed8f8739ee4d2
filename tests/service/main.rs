//! Service-layer tests: the `service` crate's writes called directly against a real,
//! migrated database holding the demo organization. They run on SQLite by default and on
//! PostgreSQL when `TRELLIS_TEST_DATABASE_URL` is set.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod alignment;
mod check_ins;
mod concurrency;
mod every_write;
mod key_results;
mod objective_life;
mod support;
mod transfer;
mod weights;
