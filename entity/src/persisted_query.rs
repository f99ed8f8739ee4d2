//! A GraphQL document known by its SHA-256 (Apollo's automatic persisted queries, and the
//! operator's allow-list). Not a tenant table: the same text is the same document for
//! every organization.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_queries")]
pub struct Model {
    /// Lowercase hex SHA-256 of `query`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub query: String,
    /// Registered by an operator (`trellis persisted add`): allowed when the server runs
    /// `--persisted-queries-only`, and never evicted.
    pub allowed: bool,
    pub registered_at: DateTimeUtc,
    /// When a process last loaded it from the database.
    pub used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
