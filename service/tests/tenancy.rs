//! Tenancy held by the code's shape: outside `tenant.rs`, no module of the service can
//! build a query or write a row itself. Queries need `EntityTrait` and row writes need
//! `ActiveModelTrait` in scope, so a module that imports neither can only reach tenant
//! tables through `tenant`'s functions, which all start from an organization taken from
//! a verified actor. This test keeps it so.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};

/// What only `tenant.rs` may use: whatever builds a statement of its own.
const FORBIDDEN: &[&str] = &[
    "EntityTrait",
    "ActiveModelTrait",
    "PaginatorTrait",
    "Entity::find",
    "Entity::insert",
    "Entity::update",
    "Entity::delete",
    "from_raw_sql",
    "Statement::from_sql",
    "query_all_raw",
    "query_one_raw",
    "execute_raw",
    "execute_unprepared",
    "lock_exclusive",
];

/// The plumbing below tenancy: the connection (which passes statements through), the
/// event bus (whose NOTIFY touches no table), the persisted queries (deployment data:
/// their table has no organization, and a document is the same for every tenant), and the
/// webhook machinery that serves every organization at once: the outbox writes delivery
/// rows stamped with the writer's organization, the sender's queue takes due deliveries
/// of all of them, and the insight feed finds the organizations that listen and keeps
/// their record. None of them reads an organization's OKRs except through `tenant`.
const EXEMPT: &[(&str, &str)] = &[
    ("persisted_queries.rs", "EntityTrait"),
    ("db.rs", "execute_raw"),
    ("db.rs", "execute_unprepared"),
    ("db.rs", "query_all_raw"),
    ("db.rs", "query_one_raw"),
    ("events.rs", "execute_raw"),
    ("events.rs", "Statement::from_sql"),
    ("webhooks/outbox.rs", "EntityTrait"),
    ("webhooks/outbox.rs", "Entity::insert"),
    ("webhooks/queue.rs", "EntityTrait"),
    ("webhooks/queue.rs", "Entity::find"),
    ("webhooks/queue.rs", "Entity::insert"),
    ("webhooks/queue.rs", "Entity::update"),
    ("webhooks/insights.rs", "EntityTrait"),
    ("webhooks/insights.rs", "Entity::find"),
    ("webhooks/insights.rs", "Entity::insert"),
    ("webhooks/insights.rs", "Entity::delete"),
    ("webhooks/insights.rs", "execute_raw"),
    ("webhooks/insights.rs", "Statement::from_sql"),
];

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Each use of one of `tokens` in the code of `text` (the file `name`) that `allowed`
/// does not let that file make, as `name:line: token`.
fn uses(name: &str, text: &str, tokens: &[&str], allowed: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for token in tokens.iter().filter(|token| code.contains(**token) && !allowed(token)) {
            found.push(format!("{name}:{}: {token}", number + 1));
        }
    }
    found
}

/// Each forbidden use in `text` (the file `name`).
fn violations(name: &str, text: &str) -> Vec<String> {
    uses(name, text, FORBIDDEN, |token| EXEMPT.iter().any(|(file, allowed)| name.ends_with(file) && *allowed == token))
}

/// Every service source file, named by its path under `src/`, with its text.
fn service_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 20, "the scan found the service's sources");
    files
        .into_iter()
        .map(|file| (file.strip_prefix(&root).unwrap().display().to_string(), std::fs::read_to_string(&file).unwrap()))
        .collect()
}

#[test]
fn no_service_module_but_tenant_builds_its_own_statements() {
    let mut found = Vec::new();
    for (name, text) in service_sources().iter().filter(|(name, _)| name != "tenant.rs") {
        found.extend(violations(name, text));
    }
    assert!(found.is_empty(), "only tenant.rs may reach tables; move these behind tenant:\n{}", found.join("\n"));
}

#[test]
fn the_scan_catches_a_query_that_skips_the_organization() {
    let unscoped = "use sea_orm::{EntityTrait, QueryFilter};\n\
                    let kr = key_result::Entity::find_by_id(id).one(db).await?;\n\
                    row.update(db).await?; // ActiveModelTrait::update\n";
    let found = violations("check_ins.rs", unscoped);
    assert_eq!(found, ["check_ins.rs:1: EntityTrait", "check_ins.rs:2: Entity::find"]);
    assert!(violations("events.rs", "txn.execute_raw(notify)").is_empty(), "the bus may notify");
    assert!(!violations("teams.rs", "txn.execute_raw(sql)").is_empty(), "nobody else may");
}

/// Row writes that only the unit of work may make: it notes what each row touches, so
/// that a write into a closed cycle is refused whichever mutation makes it.
const WRITES: &[&str] = &[
    "tenant::insert::<",
    "tenant::insert_many::<",
    "tenant::update::<",
    "tenant::update_where::<",
    "tenant::delete::<",
];

/// Each row write in `text` (the file `name`) that bypasses the unit of work. The audit
/// trail writes its own rows (one, or many for an import), which lie in no cycle, and
/// only for the unit of work (`Work::audit`, `Work::audit_created`).
fn bypasses(name: &str, text: &str) -> Vec<String> {
    let audit_rows = |token: &str| token == "tenant::insert::<" || token == "tenant::insert_many::<";
    uses(name, text, WRITES, |token| name == "unit_of_work.rs" || (name == "audit.rs" && audit_rows(token)))
}

#[test]
fn every_row_write_goes_through_the_unit_of_work() {
    let mut found = Vec::new();
    for (name, text) in service_sources() {
        found.extend(bypasses(&name, &text));
    }
    assert!(found.is_empty(), "write rows through `Work`'s methods (w.insert, w.update, …):\n{}", found.join("\n"));
    let planted = "tenant::update::<objective::Entity>(w.db(), w.org(), row).await?;";
    assert_eq!(bypasses("objectives/write.rs", planted), ["objectives/write.rs:1: tenant::update::<"]);
    assert!(bypasses("audit.rs", "crate::tenant::insert::<audit_event::Entity>(db, org, row)").is_empty());
}
