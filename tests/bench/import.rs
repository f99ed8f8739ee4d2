//! How long a large OKR file takes to export and to import, and the memory an import
//! needs, without GraphQL or HTTP: the generator's organization, at the scale that makes
//! about RECORDS records, is exported, and the file is imported into empty organizations
//! (a dry run, then for real, in CSV and in JSON), each timed, with the process's peak
//! memory during each import.
//!
//! Usage: `import_bench [RECORDS]` (10,000 when left out), on a fresh SQLite file, or on
//! a fresh PostgreSQL database when `TRELLIS_TEST_DATABASE_URL` names a server. Build it
//! with `--release`: the figures are a server's.

use api::graphql::transfer::GlobalIds;
use service::events::Bus;
use service::transfer::{Format, ImportRequest, export, import};
use service::{Identity, OrgRole, Scope, SystemClock};
use std::time::Instant;

// The server's allocator, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Records per team of the generated organization: the team, two people and their two
/// memberships, four objectives with four key results each, eleven readings each.
const PER_TEAM: usize = 1 + 2 + 2 + 4 + 16 + 16 * 11;

/// A line of /proc/self/status, in MiB (Linux only; 0 elsewhere).
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_default();
    let kib: f64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0.0);
    kib / 1024.0
}

/// Starts measuring the peak memory afresh (Linux: 5 resets VmHWM to the current size).
fn reset_peak() {
    // Where it cannot be reset, the peak printed is the process's since it started.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let records: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(10_000);
    let database = testdb::TestDatabase::create().await?;
    let db = service::db::connect_and_migrate(&database.url).await?;
    let backend = if database.is_postgres() { "PostgreSQL" } else { "SQLite" };
    let teams = records.div_ceil(PER_TEAM).max(1);
    let scale = seed::generate::Scale {
        teams,
        objectives_per_team: 4,
        key_results_per_objective: 4,
        check_ins_per_key_result: 11,
    };
    // A quarter of the past, so that every reading is history to the import.
    let then = chrono::Utc::now() - chrono::Duration::days(200);
    let generated = seed::generate::organization(&db, "bench-source", scale, then).await?;
    let source =
        service::actor::identify(&db, &SystemClock, &Identity::person("bench-source", "admin", OrgRole::Admin)).await?;
    let cycle = service::tenant::get::<entity::cycle::Entity>(&db, &source, generated.cycle_id).await?;

    let mut files = Vec::new();
    for format in [Format::Csv, Format::Json] {
        let started = Instant::now();
        let exported = export(&db, &source, &GlobalIds, cycle.id, format).await?;
        println!(
            "{backend}: export {format:?}: {} records, {:.1} KiB, {:.2} s",
            exported.records,
            exported.content.len() as f64 / 1024.0,
            started.elapsed().as_secs_f64()
        );
        files.push((format, exported.content));
    }

    let bus = Bus::new(&db);
    for (n, (format, content)) in files.iter().enumerate() {
        let slug = format!("bench-copy-{n}");
        let admin =
            service::actor::identify(&db, &SystemClock, &Identity::person(slug, "admin", OrgRole::Admin)).await?;
        let s = Scope { db: &db, clock: &SystemClock, actor: &admin, bus: &bus };
        let new = service::cycles::write::NewCycle {
            name: cycle.name.clone(),
            starts_on: cycle.starts_on,
            ends_on: cycle.ends_on,
            parent_id: None,
        };
        let copy = service::cycles::write::create(s, new).await?;
        for dry_run in [true, false] {
            let request = ImportRequest { cycle_id: copy.id, format: *format, content, dry_run };
            let before = status_mib("VmRSS:");
            reset_peak();
            let started = Instant::now();
            let report = import(s, &GlobalIds, request).await?;
            let took = started.elapsed().as_secs_f64();
            anyhow::ensure!(report.problems.is_empty(), "the file was refused: {:?}", report.problems.first());
            let c = report.created;
            println!(
                "{backend}: import {format:?}{}: {} objectives, {} key results, {} check-ins in {took:.2} s; \
                 memory {before:.0} MiB before, peak {:.0} MiB",
                if dry_run { " (dry run)" } else { "" },
                c.objectives,
                c.key_results,
                c.check_ins,
                status_mib("VmHWM:"),
            );
        }
    }
    drop(db);
    Ok(())
}
