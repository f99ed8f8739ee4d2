//! The whole data model of SPEC §2: tenants, people, teams, cycles, OKRs, check-ins,
//! initiatives, dependencies and the audit trail, with the indexes the reads need.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order; dropped in reverse.
const TABLES: [&str; 11] = [
    "organizations",
    "people",
    "teams",
    "memberships",
    "cycles",
    "objectives",
    "key_results",
    "check_ins",
    "initiatives",
    "dependencies",
    "audit_events",
];

fn fk(table: &str, column: &str, to: &str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(to.to_owned(), "id")
        .on_delete(on_delete)
        .to_owned()
}

fn tenant_table(name: &str) -> TableCreateStatement {
    Table::create()
        .table(name.to_owned())
        .col(pk_uuid("id"))
        .col(uuid("organization_id"))
        .foreign_key(&mut fk(name, "organization_id", "organizations", ForeignKeyAction::Cascade))
        .to_owned()
}

fn stamps(table: &mut TableCreateStatement) -> TableCreateStatement {
    table.col(timestamp_with_time_zone("created_at")).col(timestamp_with_time_zone("updated_at")).to_owned()
}

fn index(table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(format!("ix_{table}_{}", columns.join("_"))).table(table.to_owned());
    for column in columns {
        index.col(String::from(*column));
    }
    index.to_owned()
}

fn unique_index(table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = index(table, columns);
    index.name(format!("ux_{table}_{}", columns.join("_"))).unique();
    index
}

fn tables() -> Vec<TableCreateStatement> {
    use ForeignKeyAction::{Cascade, SetNull};
    vec![
        stamps(
            Table::create()
                .table("organizations")
                .col(pk_uuid("id"))
                .col(string_len("name", 200))
                .col(string_len_uniq("slug", 64))
                .col(string_len("timezone", 64))
                .col(integer("max_objectives_per_team"))
                .col(integer("max_key_results_per_objective"))
                .col(string_len("focus_policy_mode", 16)),
        ),
        stamps(
            tenant_table("people")
                .col(string_len("subject", 255))
                .col(string_len_null("email", 320))
                .col(string_len_null("display_name", 200)),
        ),
        stamps(
            tenant_table("teams")
                .col(uuid_null("parent_id"))
                .col(string_len("name", 200))
                .col(timestamp_with_time_zone_null("archived_at"))
                .foreign_key(&mut fk("teams", "parent_id", "teams", SetNull)),
        ),
        stamps(
            tenant_table("memberships")
                .col(uuid("team_id"))
                .col(uuid("person_id"))
                .col(string_len("role", 16))
                .col(string_len_null("title", 100))
                .foreign_key(&mut fk("memberships", "team_id", "teams", Cascade))
                .foreign_key(&mut fk("memberships", "person_id", "people", Cascade)),
        ),
        stamps(
            tenant_table("cycles")
                .col(uuid_null("parent_id"))
                .col(string_len("name", 200))
                .col(date("starts_on"))
                .col(date("ends_on"))
                .col(string_len("state", 16))
                .col(timestamp_with_time_zone_null("closed_at"))
                .foreign_key(&mut fk("cycles", "parent_id", "cycles", SetNull)),
        ),
        // parent_key_result_id has no foreign key: key_results references objectives, and
        // SQLite cannot add the reverse constraint afterwards. The service checks it.
        stamps(
            tenant_table("objectives")
                .col(uuid("team_id"))
                .col(uuid("cycle_id"))
                .col(string_len("title", 200))
                .col(text_null("description"))
                .col(string_len("state", 16))
                .col(uuid_null("parent_objective_id"))
                .col(uuid_null("parent_key_result_id"))
                .col(string_len_null("alignment_kind", 16))
                .col(string_len("progress_driver", 24))
                .col(double("progress"))
                .col(text_null("closing_note"))
                .col(double_null("final_score"))
                .col(uuid_null("carried_over_from_id"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .foreign_key(&mut fk("objectives", "team_id", "teams", Cascade))
                .foreign_key(&mut fk("objectives", "cycle_id", "cycles", Cascade))
                .foreign_key(&mut fk("objectives", "parent_objective_id", "objectives", SetNull))
                .foreign_key(&mut fk("objectives", "carried_over_from_id", "objectives", SetNull)),
        ),
        stamps(
            tenant_table("key_results")
                .col(uuid("objective_id"))
                .col(string_len("title", 200))
                .col(string_len("kind", 24))
                .col(string_len("unit", 16))
                .col(string_len_null("unit_label", 32))
                .col(double("start_value"))
                .col(double("target_value"))
                .col(double("current_value"))
                .col(double("weight"))
                .col(uuid_null("driver_id"))
                .col(double("progress"))
                .col(string_len_null("latest_confidence", 16))
                .col(integer("check_in_count"))
                .col(timestamp_with_time_zone_null("last_check_in_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .foreign_key(&mut fk("key_results", "objective_id", "objectives", Cascade))
                .foreign_key(&mut fk("key_results", "driver_id", "people", SetNull)),
        ),
        tenant_table("check_ins")
            .col(uuid("key_result_id"))
            .col(double("value"))
            .col(string_len("confidence", 16))
            .col(text_null("note"))
            .col(uuid("author_id"))
            .col(string_len_null("idempotency_key", 128))
            .col(timestamp_with_time_zone("recorded_at"))
            .foreign_key(&mut fk("check_ins", "key_result_id", "key_results", Cascade))
            .foreign_key(&mut fk("check_ins", "author_id", "people", Cascade))
            .to_owned(),
        stamps(
            tenant_table("initiatives")
                .col(uuid("key_result_id"))
                .col(string_len("title", 200))
                .col(uuid_null("assignee_id"))
                .col(string_len("state", 16))
                .foreign_key(&mut fk("initiatives", "key_result_id", "key_results", Cascade))
                .foreign_key(&mut fk("initiatives", "assignee_id", "people", SetNull)),
        ),
        stamps(
            tenant_table("dependencies")
                .col(uuid("from_objective_id"))
                .col(uuid_null("from_key_result_id"))
                .col(uuid("to_objective_id"))
                .col(uuid_null("to_key_result_id"))
                .col(text_null("note"))
                .col(string_len("state", 16))
                .col(uuid_null("created_by_id"))
                .col(timestamp_with_time_zone_null("resolved_at"))
                .foreign_key(&mut fk("dependencies", "from_objective_id", "objectives", Cascade))
                .foreign_key(&mut fk("dependencies", "from_key_result_id", "key_results", Cascade))
                .foreign_key(&mut fk("dependencies", "to_objective_id", "objectives", Cascade))
                .foreign_key(&mut fk("dependencies", "to_key_result_id", "key_results", Cascade))
                .foreign_key(&mut fk("dependencies", "created_by_id", "people", SetNull)),
        ),
        tenant_table("audit_events")
            .col(uuid_null("actor_id"))
            .col(string_len("action", 64))
            .col(string_len("entity_type", 32))
            .col(uuid("entity_id"))
            .col(json_null("before"))
            .col(json_null("after"))
            .col(timestamp_with_time_zone("occurred_at"))
            .foreign_key(&mut fk("audit_events", "actor_id", "people", SetNull))
            .to_owned(),
    ]
}

/// Every read filters by organization first, so each index leads with it where the
/// lookup is tenant-wide, and with the parent id where the lookup is by parent.
fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        unique_index("people", &["organization_id", "subject"]),
        index("teams", &["organization_id", "parent_id"]),
        unique_index("memberships", &["team_id", "person_id"]),
        index("memberships", &["person_id"]),
        index("memberships", &["organization_id"]),
        index("cycles", &["organization_id", "starts_on"]),
        index("objectives", &["organization_id", "cycle_id"]),
        index("objectives", &["team_id", "cycle_id"]),
        index("objectives", &["parent_objective_id"]),
        index("objectives", &["parent_key_result_id"]),
        index("key_results", &["objective_id"]),
        index("key_results", &["organization_id"]),
        index("check_ins", &["key_result_id", "recorded_at", "id"]),
        index("check_ins", &["organization_id"]),
        unique_index("check_ins", &["key_result_id", "idempotency_key"]),
        index("initiatives", &["key_result_id"]),
        index("initiatives", &["assignee_id"]),
        index("initiatives", &["organization_id"]),
        index("dependencies", &["from_objective_id"]),
        index("dependencies", &["to_objective_id"]),
        index("dependencies", &["organization_id"]),
        index("audit_events", &["organization_id", "occurred_at"]),
        index("audit_events", &["entity_id"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(String::from(*table)).to_owned()).await?;
        }
        Ok(())
    }
}
