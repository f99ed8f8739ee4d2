//! Persisted queries (issue 13): GraphQL documents known by their SHA-256, shared by every
//! replica. Not tenant data: a document is the same text whoever sends it, and the
//! allow-list is the deployment's.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "persisted_queries";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = Table::create()
            .table(TABLE)
            .col(string_len("hash", 64).primary_key())
            .col(text("query"))
            // Registered by an operator: allowed in `--persisted-queries-only` mode, and
            // never evicted.
            .col(boolean("allowed"))
            .col(timestamp_with_time_zone("registered_at"))
            // When a process last loaded it: the least recently used go first.
            .col(timestamp_with_time_zone("used_at"))
            .to_owned();
        manager.create_table(table).await?;
        let index = Index::create()
            .name("ix_persisted_queries_allowed_used_at")
            .table(TABLE)
            .col("allowed")
            .col("used_at")
            .to_owned();
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TABLE).to_owned()).await
    }
}
