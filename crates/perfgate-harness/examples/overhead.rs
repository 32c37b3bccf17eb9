//! How much the harness itself costs: a no-op operation under the concurrency scenario (closed
//! loop, one worker: time per recorded operation) and under open-loop load at rising rates on
//! one worker (the highest rate one core can drive). `cargo run --release --example overhead`.

use std::time::Duration;

use perfgate_harness::{Concurrency, Load, Suite};

perfgate_harness::counting_allocator!();

fn main() {
    let noop = || -> Result<(), String> { Ok(()) };
    let mut suite = Suite::new("overhead");
    suite.concurrency(
        "closed_loop",
        Concurrency {
            workers: 1,
            operations: 2_000_000,
        },
        noop,
    );
    for rate in [100_000.0, 250_000.0, 500_000.0, 1_000_000.0, 2_000_000.0] {
        suite.sustained_load(
            &format!("open_{}k", rate as u64 / 1000),
            Load::new(rate, Duration::from_secs(2)),
            noop,
        );
    }
    suite.finish();
}
