//! Strategy themes (issue 16): an organization's strategic themes (pillars or Balanced
//! Scorecard perspectives) for a year or longer, and the company objectives that serve
//! them. Team objectives inherit the themes of what they align to: computed, not stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(to.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let themes = Table::create()
            .table("themes")
            .col(uuid("id").primary_key())
            .col(uuid("organization_id"))
            .col(string_len("name", 200))
            .col(text_null("description"))
            .col(string_len_null("perspective", 32))
            .col(string_len("colour", 7))
            .col(integer("position"))
            .col(string_len("state", 16))
            .col(date("starts_on"))
            .col(date_null("ends_on"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("themes", "organization_id", "organizations"))
            .to_owned();
        manager.create_table(themes).await?;
        let links = Table::create()
            .table("objective_themes")
            .col(uuid("id").primary_key())
            .col(uuid("organization_id"))
            .col(uuid("objective_id"))
            .col(uuid("theme_id"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("objective_themes", "organization_id", "organizations"))
            .foreign_key(&mut fk("objective_themes", "objective_id", "objectives"))
            .foreign_key(&mut fk("objective_themes", "theme_id", "themes"))
            .to_owned();
        manager.create_table(links).await?;
        let by_objective = Index::create()
            .name("ux_objective_themes_objective_id_theme_id")
            .table("objective_themes")
            .col("objective_id")
            .col("theme_id")
            .unique()
            .to_owned();
        manager.create_index(by_objective).await?;
        let by_theme =
            Index::create().name("ix_objective_themes_theme_id").table("objective_themes").col("theme_id").to_owned();
        manager.create_index(by_theme).await?;
        let by_organization =
            Index::create().name("ix_themes_organization_id").table("themes").col("organization_id").to_owned();
        manager.create_index(by_organization).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("objective_themes").to_owned()).await?;
        manager.drop_table(Table::drop().table("themes").to_owned()).await
    }
}
