//! Where an `insights` request's time goes, without GraphQL or HTTP: reading the cycle's
//! rows (service::insights::load) with the check-in histories remembered from the round
//! before, as a server does, and with every history read (a server's first look), and
//! evaluating them, each timed over `ROUNDS` rounds.
//!
//! Usage: `insights DATABASE_URL ORGANIZATION_SLUG CYCLE_UUID ROUNDS`

use service::insights::load::{self, Histories};
use service::{Identity, OrgRole, SystemClock};
use std::time::{Duration, Instant};
use uuid::Uuid;

// The server's allocator, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times.get(times.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, slug, cycle, rounds] = &args[..] else {
        anyhow::bail!("usage: insights DATABASE_URL ORGANIZATION_SLUG CYCLE_UUID ROUNDS");
    };
    let (cycle, rounds): (Uuid, usize) = (cycle.parse()?, rounds.parse()?);
    let db = service::db::connect(url).await?;
    let identity = Identity::person(slug.clone(), "admin", OrgRole::Admin);
    let actor = service::actor::identify(&db, &SystemClock, &identity).await?;
    let remembered = Histories::default();
    let (mut first_look, mut again, mut evaluating) = (Vec::new(), Vec::new(), Vec::new());
    let mut found = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        load::snapshot(&db, &actor, cycle, chrono::Utc::now(), &Histories::default()).await?;
        first_look.push(started.elapsed());
        let started = Instant::now();
        let snapshot = load::snapshot(&db, &actor, cycle, chrono::Utc::now(), &remembered).await?;
        again.push(started.elapsed());
        let started = Instant::now();
        found = service::insights::evaluate(&snapshot).len();
        evaluating.push(started.elapsed());
    }
    println!(
        "insights of the cycle: {found}; median of {rounds} rounds: reading the rows {:.1} ms (histories read: {:.1} ms), \
         evaluating them {:.1} ms",
        median(again),
        median(first_look),
        median(evaluating)
    );
    Ok(())
}
