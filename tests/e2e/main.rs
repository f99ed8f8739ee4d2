//! End-to-end tests: the real server on a free port, spoken to over HTTP. They run on
//! SQLite by default and on PostgreSQL when `TRELLIS_TEST_DATABASE_URL` is set.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod abuse;
mod auth;
mod changes;
mod check_ins;
mod concurrency;
mod cycles;
mod demo;
mod frozen;
mod hostile;
mod http;
mod identity;
mod insights;
mod isolation;
mod limits;
mod live;
mod matrix;
mod metrics;
mod objectives;
mod operations;
mod pagination;
mod persisted;
mod planning;
mod rhythm;
mod schema;
mod snapshots;
mod statements;
mod strategy;
mod teams;
mod tenancy;
mod transfer;
mod upgrade;
mod webhooks;
