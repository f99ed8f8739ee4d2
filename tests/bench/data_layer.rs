//! The data work of one peer-tree request with no GraphQL and no HTTP: the same service
//! calls and statements a `alignmentTree(maxDepth: 2)` request with nested key results and
//! their newest check-in makes, in a loop on `CONNECTIONS` concurrent tasks. It tells how
//! much of a request's cost is the database layer (sea-orm, sqlx, PostgreSQL) alone.
//! Run by `bench/peer`.
//!
//! Usage: `data_layer DATABASE_URL ORGANIZATION_SLUG CYCLE_UUID CONNECTIONS SECONDS`

use service::read_models::tree::{Parts, alignment_tree};
use service::{Actor, Identity, OrgRole, SystemClock};
use std::time::{Duration, Instant};
use uuid::Uuid;

// The server's allocator: the system one would make this layer look slower than it is.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// One request's worth of reads; returns the number of check-ins read, so nothing is
/// optimized away.
async fn one(db: &sea_orm::DatabaseConnection, actor: &Actor, cycle: Uuid) -> anyhow::Result<usize> {
    let parts = Parts { key_results: true, dependencies: false, teams: false };
    let tree = alignment_tree(db, actor, cycle, None, Some(2), parts).await?;
    let key_results: Vec<Uuid> = tree.key_results.values().flatten().map(|k| k.id).collect();
    let latest = service::tenant::latest_check_ins(db, actor, &key_results, 1).await?;
    Ok(latest.len())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, slug, cycle, connections, seconds] = &args[..] else {
        anyhow::bail!("usage: data_layer DATABASE_URL ORGANIZATION_SLUG CYCLE_UUID CONNECTIONS SECONDS");
    };
    let (cycle, connections, seconds): (Uuid, usize, u64) = (cycle.parse()?, connections.parse()?, seconds.parse()?);
    let db = service::db::connect(url).await?;
    // The generator's admin, as a token for it would identify them.
    let identity = Identity::person(slug.clone(), "admin", OrgRole::Admin);
    let actor = service::actor::identify(&db, &SystemClock, &identity).await?;
    anyhow::ensure!(one(&db, &actor, cycle).await? > 0, "the tree has no check-ins");
    let until = Instant::now() + Duration::from_secs(seconds);
    let workers = (0..connections).map(|_| {
        let (db, actor) = (db.clone(), actor.clone());
        tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < until {
                one(&db, &actor, cycle).await?;
                done += 1;
            }
            anyhow::Ok(done)
        })
    });
    let mut total = 0;
    for worker in futures::future::join_all(workers).await {
        total += worker??;
    }
    println!("RESULT rps={:.1} requests={total}", total as f64 / seconds as f64);
    Ok(())
}
