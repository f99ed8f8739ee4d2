//! Ten times the sustainable load of the dashboard-and-check-in mix against a running
//! Trellis process, with thousands of idle subscribers; prints a Markdown table. Run by
//! `bench/overload` against a release server.
//!
//! Usage: `overload BASE_URL TOKEN SERVER_PID [PHASE_SECS] [SUBSCRIBERS] [CLIENTS]`

use std::time::Duration;
use trellis_tests::load::{Overload, Target, overload};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(base), Some(token), Some(pid)) = (args.get(1), args.get(2), args.get(3)) else {
        anyhow::bail!("usage: overload BASE_URL TOKEN SERVER_PID [PHASE_SECS] [SUBSCRIBERS] [CLIENTS]");
    };
    let number = |i: usize, default: u64| args.get(i).map_or(Ok(default), |v| v.parse());
    let settings = Overload {
        phase: Duration::from_secs(number(4, 10)?),
        subscribers: usize::try_from(number(5, 5000)?)?,
        clients: usize::try_from(number(6, 32)?)?,
        factor: 10.0,
        max_in_flight: 4000,
    };
    let target = Target::discover(base, token, 100).await?;
    let report = overload(&target, pid.parse()?, settings).await?;
    println!("{}", report.markdown());
    Ok(())
}
