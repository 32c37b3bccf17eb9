//! Stability suite of perfgate's own core: the gate's compare + render pass over a large
//! result set, under sustained load, in a soak (latency drift, memory growth) and a leak check.
//! `cargo bench --bench stability` prints the report; `cargo perfgate` gates its budgets
//! (perfgate.toml at the repository root).

mod synthetic;

use std::time::Duration;

use cargo_perfgate::config::Policy;
use perfgate_harness::{Leak, Load, Soak, Suite};

perfgate_harness::counting_allocator!();

fn main() {
    let policy = Policy::default();
    let base = synthetic::baseline(2_000);
    let run = synthetic::run(2_000, 1.10, 99);
    let gate = || -> Result<(), String> {
        let comparison = synthetic::compare(&run, &base, &policy);
        match synthetic::render_all(&comparison) {
            0 => Err("rendered nothing".to_string()),
            n => {
                std::hint::black_box(n);
                Ok(())
            }
        }
    };
    let mut suite = Suite::new("gate");
    suite.sustained_load(
        "compare_render_2k",
        Load::new(10.0, Duration::from_secs(5)),
        gate,
    );
    suite.soak(
        "compare_render_2k_soak",
        Soak {
            load: Load::new(10.0, Duration::from_secs(10)),
            windows: 5,
        },
        gate,
    );
    suite.leak_check(
        "compare_render_2k_leak",
        Leak {
            iterations: 8,
            operations: 10,
        },
        gate,
    );
    suite.finish();
}
