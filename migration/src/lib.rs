//! The Trellis database schema as sea-orm migrations. Every migration runs on SQLite and
//! on PostgreSQL; the end-to-end tests apply them to both.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_schema;
mod m20261125_000002_idempotency_per_author;
mod m20261205_000003_persisted_queries;
mod m20261206_000004_insight_policy;
mod m20261206_000005_initiative_impact_effort;
mod m20261206_000006_team_check_in_rhythm;
mod m20261206_000007_team_weeks;
mod m20261206_000008_strategy_themes;
mod m20261206_000009_webhooks;

/// Applies the Trellis migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_schema::Migration),
            Box::new(m20261125_000002_idempotency_per_author::Migration),
            Box::new(m20261205_000003_persisted_queries::Migration),
            Box::new(m20261206_000004_insight_policy::Migration),
            Box::new(m20261206_000005_initiative_impact_effort::Migration),
            Box::new(m20261206_000006_team_check_in_rhythm::Migration),
            Box::new(m20261206_000007_team_weeks::Migration),
            Box::new(m20261206_000008_strategy_themes::Migration),
            Box::new(m20261206_000009_webhooks::Migration),
        ]
    }
}
