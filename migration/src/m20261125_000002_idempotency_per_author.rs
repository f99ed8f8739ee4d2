//! Idempotency keys belong to the client that sent them: two people may pick the same
//! key on one key result without clashing, and nobody can replay another's check-in.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "ux_check_ins_key_result_id_idempotency_key";
const NEW: &str = "ux_check_ins_key_result_id_author_id_idempotency_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(OLD).table("check_ins").to_owned()).await?;
        let index = Index::create()
            .name(NEW)
            .table("check_ins")
            .col("key_result_id")
            .col("author_id")
            .col("idempotency_key")
            .unique()
            .to_owned();
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NEW).table("check_ins").to_owned()).await?;
        let index = Index::create()
            .name(OLD)
            .table("check_ins")
            .col("key_result_id")
            .col("idempotency_key")
            .unique()
            .to_owned();
        manager.create_index(index).await
    }
}
