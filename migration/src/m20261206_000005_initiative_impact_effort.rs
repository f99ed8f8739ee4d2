//! Initiatives that serve results (issue 16): each initiative's expected impact on its key
//! result and the effort it takes, LOW or HIGH, both optional, for the impact/effort matrix.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 2] = ["impact", "effort"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in COLUMNS {
            let table = Table::alter().table("initiatives").add_column(string_len_null(column, 8)).to_owned();
            manager.alter_table(table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            manager.alter_table(Table::alter().table("initiatives").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
