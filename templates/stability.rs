//! A perfgate stability suite: replace the operation with one call into your component.
//! `cargo perfgate init` added to Cargo.toml:
//!
//!     [dev-dependencies]
//!     perfgate-harness = { git = "https://github.com/cargo-perfgate/cargo-perfgate" }
//!
//!     [[bench]]
//!     name = "perfgate_stability"
//!     harness = false
//!
//! Run it with `cargo bench --bench perfgate_stability`; `cargo perfgate` gates it.

use std::time::Duration;

use perfgate_harness::{Concurrency, Leak, Load, Soak, Spike, Suite};

perfgate_harness::counting_allocator!();

fn main() {
    let cache = std::sync::Mutex::new(std::collections::HashMap::new());
    let operation = || -> Result<(), String> {
        let mut map = cache.lock().map_err(|e| e.to_string())?;
        let next = map.len() as u64 % 1024;
        map.insert(next, next);
        Ok(())
    };

    // About 8 s in all, so the gate's first runs are quick; lengthen each scenario to what your
    // component needs (a soak of minutes finds slow drift; the gate re-measures a flagged
    // scenario at its own length, so a long scenario costs time only when it moves).
    let mut suite = Suite::new("example");
    suite.sustained_load("op", Load::new(2_000.0, Duration::from_secs(2)).workers(2), operation);
    suite.spike("op_spike", Spike { load: Load::new(1_000.0, Duration::from_secs(1)), factor: 10.0 }, operation);
    suite.soak("op_soak", Soak { load: Load::new(1_000.0, Duration::from_secs(3)), windows: 10 }, operation);
    suite.leak_check("op_leak", Leak { iterations: 10, operations: 10_000 }, operation);
    suite.concurrency("op_concurrent", Concurrency { workers: 2, operations: 10_000 }, operation);
    suite.finish();
}
