//! Insights (issue 15): each organization's thresholds for every insight kind and its own
//! activity words, as one JSON document (null: the defaults). One column keeps a new
//! threshold a code change, not a migration.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = Table::alter().table("organizations").add_column(text_null("insight_policy")).to_owned();
        manager.alter_table(table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = Table::alter().table("organizations").drop_column("insight_policy").to_owned();
        manager.alter_table(table).await
    }
}
