//! A soak of a running Trellis process: the dashboard-and-check-in mix, subscribers
//! coming and going, the server's memory, descriptors, sockets, pool and event channels
//! sampled throughout; prints a Markdown table. Run by `bench/soak`.
//!
//! Usage: `soak BASE_URL TOKEN SERVER_PID DURATION_SECS [CLIENTS]`

use std::time::Duration;
use trellis_tests::load::{Soak, Target, soak};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, token, pid, duration, rest @ ..] = &args[..] else {
        anyhow::bail!("usage: soak BASE_URL TOKEN SERVER_PID DURATION_SECS [CLIENTS]");
    };
    let duration = Duration::from_secs(duration.parse()?);
    let clients = rest.first().map_or(Ok(8), |c| c.parse())?;
    // A sample every 1/120 of the run, at least every 10 s.
    let every = (duration / 120).clamp(Duration::from_secs(1), Duration::from_secs(10));
    let settings = Soak { duration, clients, churn: 20, live: 500, every };
    let target = Target::discover(base, token, 100).await?;
    let report = soak(&target, pid.parse()?, settings).await?;
    println!("{}", report.markdown());
    Ok(())
}
