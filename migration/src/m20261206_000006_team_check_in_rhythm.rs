//! The weekly rhythm (issue 16): a team's own check-in rhythm in days; null follows the
//! organization's policy (`checkInRhythmDays`, 7 unless changed).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = Table::alter().table("teams").add_column(integer_null("check_in_rhythm_days")).to_owned();
        manager.alter_table(table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("teams").drop_column("check_in_rhythm_days").to_owned()).await
    }
}
