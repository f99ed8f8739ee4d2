//! The weekly rhythm (issue 16): a team's weekly check-in note, one per team and ISO week,
//! with its items (plans, progress, problems, lessons learned) as one JSON document.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "team_weeks";

fn fk(column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{TABLE}_{column}"))
        .from(TABLE, column.to_owned())
        .to(to.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let table = Table::create()
            .table(TABLE)
            .col(uuid("id").primary_key())
            .col(uuid("organization_id"))
            .col(uuid("team_id"))
            // The Monday the ISO week starts on.
            .col(date("week_starts_on"))
            .col(json("items"))
            .col(uuid("author_id"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("organization_id", "organizations"))
            .foreign_key(&mut fk("team_id", "teams"))
            .foreign_key(&mut fk("author_id", "people"))
            .to_owned();
        manager.create_table(table).await?;
        let index = Index::create()
            .name("ux_team_weeks_team_id_week_starts_on")
            .table(TABLE)
            .col("team_id")
            .col("week_starts_on")
            .unique()
            .to_owned();
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TABLE).to_owned()).await
    }
}
