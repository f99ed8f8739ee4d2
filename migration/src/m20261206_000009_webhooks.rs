//! Outbound webhooks (issue 17): the endpoints an organization's admins register, the
//! deliveries written in the same transaction as the change they announce (the durable
//! outbox), every attempt to send one, and the insights last announced to them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &str, column: &str, to: &str, to_column: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(to.to_owned(), to_column.to_owned())
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn webhooks() -> TableCreateStatement {
    Table::create()
        .table("webhooks")
        .col(uuid("id").primary_key())
        .col(uuid("organization_id"))
        .col(text("url"))
        // `whsec_` and the base64 of the key: the sender needs it to sign.
        .col(text("secret"))
        // `,check_in.recorded,objective.changed,`: the delimiters let one LIKE match a type.
        .col(text("event_types"))
        .col(uuid_null("team_id"))
        .col(boolean("enabled"))
        // Set on the first failure after a success, cleared by the next success.
        .col(timestamp_with_time_zone_null("failing_since"))
        .col(timestamp_with_time_zone_null("disabled_at"))
        .col(text_null("disabled_reason"))
        .col(uuid("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .foreign_key(&mut fk("webhooks", "organization_id", "organizations", "id"))
        .foreign_key(&mut fk("webhooks", "team_id", "teams", "id"))
        .to_owned()
}

fn deliveries() -> TableCreateStatement {
    Table::create()
        .table("webhook_deliveries")
        // Commit order: a later change of the same subject always has a higher number.
        .col(big_integer("seq").auto_increment().primary_key())
        .col(uuid("id").unique_key())
        .col(uuid("organization_id"))
        .col(uuid("webhook_id"))
        // The `webhook-id` receivers deduplicate on: one per event, whatever the endpoint.
        .col(uuid("event_id"))
        .col(text("event_type"))
        // What the event is about (a key result, an objective, a cycle): sent in order.
        .col(uuid("subject_id"))
        .col(json("event"))
        // PENDING, DELIVERED or FAILED.
        .col(text("state"))
        .col(integer("attempts"))
        .col(timestamp_with_time_zone("next_attempt_at"))
        // A sender holds the delivery until then; after a crash another one takes it.
        .col(timestamp_with_time_zone_null("leased_until"))
        // Its retry window (a day by default) runs from then: its creation or redelivery.
        .col(timestamp_with_time_zone("window_starts_at"))
        .col(timestamp_with_time_zone_null("last_attempt_at"))
        .col(integer_null("last_status"))
        .col(text_null("last_error"))
        .col(integer_null("last_duration_ms"))
        .col(timestamp_with_time_zone_null("delivered_at"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("webhook_deliveries", "organization_id", "organizations", "id"))
        .foreign_key(&mut fk("webhook_deliveries", "webhook_id", "webhooks", "id"))
        .to_owned()
}

fn attempts() -> TableCreateStatement {
    Table::create()
        .table("webhook_attempts")
        .col(uuid("id").primary_key())
        .col(uuid("organization_id"))
        .col(uuid("delivery_id"))
        .col(timestamp_with_time_zone("attempted_at"))
        .col(integer_null("status"))
        .col(text_null("error"))
        .col(integer("duration_ms"))
        .foreign_key(&mut fk("webhook_attempts", "organization_id", "organizations", "id"))
        .foreign_key(&mut fk("webhook_attempts", "delivery_id", "webhook_deliveries", "id"))
        .to_owned()
}

fn insights() -> TableCreateStatement {
    Table::create()
        .table("webhook_insights")
        // The insight's stable id (its kind and subject); a theme's can hold in two cycles.
        .col(uuid("insight_id"))
        .col(uuid("organization_id"))
        .col(uuid("cycle_id"))
        .col(text("severity"))
        // As it last held: a clearing is announced with it.
        .col(json("insight"))
        .col(timestamp_with_time_zone("raised_at"))
        .foreign_key(&mut fk("webhook_insights", "organization_id", "organizations", "id"))
        .foreign_key(&mut fk("webhook_insights", "cycle_id", "cycles", "id"))
        .primary_key(Index::create().col("cycle_id").col("insight_id"))
        .to_owned()
}

fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table.to_owned());
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(webhooks()).await?;
        manager.create_table(deliveries()).await?;
        manager.create_table(attempts()).await?;
        manager.create_table(insights()).await?;
        manager.create_index(index("ix_webhooks_organization_id", "webhooks", &["organization_id"])).await?;
        // The sender's look for due deliveries, and for an earlier one of the same subject.
        manager
            .create_index(index("ix_webhook_deliveries_due", "webhook_deliveries", &["state", "next_attempt_at"]))
            .await?;
        manager
            .create_index(index(
                "ix_webhook_deliveries_subject",
                "webhook_deliveries",
                &["webhook_id", "subject_id", "state", "seq"],
            ))
            .await?;
        manager.create_index(index("ix_webhook_attempts_delivery_id", "webhook_attempts", &["delivery_id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webhook_insights", "webhook_attempts", "webhook_deliveries", "webhooks"] {
            manager.drop_table(Table::drop().table(table.to_owned()).to_owned()).await?;
        }
        Ok(())
    }
}
