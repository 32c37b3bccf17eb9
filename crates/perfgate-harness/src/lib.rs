//! perfgate: a light harness for stability suites, written as `[[bench]] harness = false`
//! targets over a closure that performs one operation of your component.
//!
//! It measures and writes results; analysis against baselines lives in cargo-perfgate. No git,
//! no HTTP, no async runtime: it sits in your dev-dependencies.
//!
//! ```no_run
//! use std::time::Duration;
//! use perfgate_harness::{Load, Suite};
//!
//! perfgate_harness::counting_allocator!();
//!
//! fn main() {
//!     let mut suite = Suite::new("store");
//!     suite.sustained_load("put", Load::new(2_000.0, Duration::from_secs(5)), || -> Result<(), String> {
//!         Ok(())
//!     });
//!     suite.finish();
//! }
//! ```
//!
//! Run directly (`cargo bench --bench NAME`) a suite prints a readable report; run by
//! `cargo perfgate` (which sets `PERFGATE_OUTPUT`) it also writes its metrics as JSON in the
//! shared `perfgate-format` types. `--quick` (or `PERFGATE_QUICK=1`) shortens every scenario.

mod alloc;
mod cpu;
mod scenario;

pub use alloc::{AllocSnapshot, CountingAllocator};
pub use perfgate_format as format;
pub use scenario::{Concurrency, Leak, Levels, Load, Soak, Spike};

use std::time::Duration;

use perfgate_format::{Benchmark, Direction, Source, Summary};

pub use perfgate_format::{OUTPUT_ENV, QUICK_ENV, SCENARIOS_ENV};

/// A named set of scenarios; metric ids are `suite/scenario/metric`.
pub struct Suite {
    name: String,
    quick: bool,
    filter: Option<String>,
    /// Exact `suite/scenario` names from `SCENARIOS_ENV`: when set, only these run.
    only: Option<Vec<String>>,
    metrics: Vec<Benchmark>,
    package: String,
    target: String,
}

impl Suite {
    /// A suite reading its mode from the command line (`--quick`, a name filter) and the
    /// environment.
    pub fn new(name: &str) -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let quick = args.iter().any(|a| a == "--quick")
            || std::env::var(QUICK_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
        let filter = args.iter().find(|a| !a.starts_with("--")).cloned();
        let only = std::env::var(SCENARIOS_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.lines().map(|l| l.trim().to_string()).collect());
        let target = std::env::args()
            .next()
            .and_then(|p| {
                std::path::Path::new(&p)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .map(|stem| {
                stem.rsplit_once('-')
                    .map_or(stem.clone(), |(n, _)| n.to_string())
            })
            .unwrap_or_default();
        Suite {
            name: name.to_string(),
            quick,
            filter,
            only,
            metrics: Vec::new(),
            package: std::env::var("CARGO_PKG_NAME").unwrap_or_default(),
            target,
        }
    }

    /// Whether scenarios run shortened.
    pub fn is_quick(&self) -> bool {
        self.quick
    }

    fn wants(&self, scenario: &str) -> bool {
        let full = format!("{}/{scenario}", self.name);
        self.filter.as_deref().is_none_or(|f| full.contains(f))
            && self.only.as_ref().is_none_or(|names| names.contains(&full))
    }

    /// Scales a duration down in quick mode (to a tenth, at most 300 ms, at least 50 ms).
    pub(crate) fn scaled(&self, d: Duration) -> Duration {
        if self.quick {
            (d / 10)
                .clamp(Duration::from_millis(50), Duration::from_millis(300))
                .min(d)
        } else {
            d
        }
    }

    /// Scales a count down in quick mode (to a tenth, at least 1).
    pub(crate) fn scaled_count(&self, n: usize) -> usize {
        if self.quick {
            (n / 10).max(1)
        } else {
            n
        }
    }

    /// Records one metric. Called from scenario bodies, which already run untracked, so the
    /// metric's own allocations never reach the heap counters.
    pub(crate) fn record(
        &mut self,
        scenario: &str,
        metric: &str,
        unit: &str,
        direction: Direction,
        samples: Vec<f64>,
    ) {
        let samples: Vec<f64> = samples.into_iter().filter(|v| v.is_finite()).collect();
        if samples.is_empty() {
            return;
        }
        self.metrics.push(Benchmark {
            id: format!("{}/{scenario}/{metric}", self.name),
            source: Source::Stability,
            package: self.package.clone(),
            target: self.target.clone(),
            unit: unit.to_string(),
            direction,
            summary: Summary::of(&samples),
            samples,
            throughput: None,
            kind: Some(perfgate_format::Kind::of_unit(unit)),
        });
    }

    /// Prints the report and, under cargo-perfgate, writes the metrics to `PERFGATE_OUTPUT`.
    /// Exits non-zero if the results cannot be written.
    pub fn finish(self) {
        alloc::untracked(|| self.finish_untracked());
    }

    fn finish_untracked(self) {
        println!(
            "\nperfgate suite `{}`{}",
            self.name,
            if self.quick { " (quick)" } else { "" }
        );
        for m in &self.metrics {
            println!("  {:<52} {:>16}", m.id, pretty(m.summary.median, &m.unit));
        }
        if let Ok(path) = std::env::var(OUTPUT_ENV) {
            let text = serde_json::to_string(&self.metrics).expect("metrics serialise");
            let temp = format!("{path}.partial");
            if let Err(e) = std::fs::write(&temp, text).and_then(|_| std::fs::rename(&temp, &path))
            {
                eprintln!("perfgate: cannot write {path}: {e}");
                std::process::exit(1);
            }
        }
    }
}

fn pretty(value: f64, unit: &str) -> String {
    match unit {
        "ns" if value >= 1e6 => format!("{:.3} ms", value / 1e6),
        "ns" if value >= 1e3 => format!("{:.3} µs", value / 1e3),
        _ => format!("{value:.3} {unit}"),
    }
}

/// Installs [`CountingAllocator`] as the global allocator of a bench target, so leak checks
/// and per-operation allocation figures can see the heap.
#[macro_export]
macro_rules! counting_allocator {
    () => {
        #[global_allocator]
        static PERFGATE_ALLOCATOR: $crate::CountingAllocator = $crate::CountingAllocator;
    };
}

#[cfg(test)]
mod tests {
    use super::Suite;

    fn suite(filter: Option<&str>, only: Option<&[&str]>) -> Suite {
        Suite {
            name: "store".to_string(),
            quick: true,
            filter: filter.map(str::to_string),
            only: only.map(|names| names.iter().map(|n| n.to_string()).collect()),
            metrics: Vec::new(),
            package: String::new(),
            target: String::new(),
        }
    }

    #[test]
    fn a_name_filter_matches_within_names_and_the_scenario_list_exactly() {
        // The command line's filter is a substring: `store/put` names every `put*` scenario.
        let filtered = suite(Some("store/put"), None);
        assert!(filtered.wants("put") && filtered.wants("put_soak"));
        assert!(!filtered.wants("get"));
        // The list names scenarios exactly, and both must hold.
        let listed = suite(Some("store/put"), Some(&["store/put"]));
        assert!(listed.wants("put") && !listed.wants("put_soak"));
        let two = suite(None, Some(&["store/put_soak", "store/get"]));
        assert!(two.wants("put_soak") && two.wants("get"));
        assert!(!two.wants("put") && !two.wants("put_leak"));
        assert!(suite(None, None).wants("anything"));
    }
}
