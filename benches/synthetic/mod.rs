//! Synthetic result sets for perfgate's own benchmarks: a run of `n` benchmarks with
//! reproducible noise, the baseline made from another such run, and one full pass of the
//! gate's core (compare, then every report format).
#![allow(dead_code)]

use cargo_perfgate::compare::{self, Inputs};
use cargo_perfgate::config::{Confirm, Policy};
use cargo_perfgate::report::{json::Json, junit::Junit, markdown::Markdown, table::Table, Render};
use perfgate_format::{
    Baseline, Benchmark, Comparison, Direction, GitState, Machine, Run, Source, Summary, RUN_SCHEMA,
};

/// xorshift64: the same "noise" on every run, so the benchmarks measure code, not data.
pub struct Noise(pub u64);

impl Noise {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `samples` values around `median` with ±3% noise.
pub fn samples(noise: &mut Noise, median: f64, samples: usize) -> Vec<f64> {
    (0..samples)
        .map(|_| median * (0.97 + 0.06 * noise.next()))
        .collect()
}

/// A criterion-like run: `n` benchmarks of 100 samples each; every tenth `slower` times slower.
pub fn run(n: usize, slower: f64, seed: u64) -> Run {
    let mut noise = Noise(seed | 1);
    let benchmarks = (0..n)
        .map(|i| {
            let median = 1_000.0 * (1 + i % 17) as f64 * if i % 10 == 0 { slower } else { 1.0 };
            let values = samples(&mut noise, median, 100);
            Benchmark {
                id: format!("group{}/bench-{i:06}", i % 40),
                source: Source::Criterion,
                package: "core".to_string(),
                target: "bench".to_string(),
                unit: "ns".to_string(),
                direction: Direction::LowerIsBetter,
                summary: Summary::of(&values),
                samples: values,
                throughput: None,
                kind: None,
            }
        })
        .collect();
    Run {
        schema: RUN_SCHEMA.to_string(),
        tool_version: "0.1.0".to_string(),
        started: "2026-11-01T00:00:00Z".to_string(),
        git: Some(GitState {
            commit: "0123456789abcdef0123456789abcdef01234567".to_string(),
            dirty: false,
        }),
        machine: Machine {
            cpu_model: "Synthetic CPU".to_string(),
            cores: 2,
            os: "linux".to_string(),
            arch: "x86_64".to_string(),
            rustc: "rustc 1.95.0".to_string(),
        },
        shard: None,
        benchmarks,
        errors: Vec::new(),
        confirmations: Default::default(),
        identical: Default::default(),
    }
}

/// The baseline the gate would read: made from an unchanged run.
pub fn baseline(n: usize) -> Baseline {
    cargo_perfgate::baseline::from_run(&run(n, 1.0, 7), "default")
}

/// Stage one of the gate over a run and a baseline, as `compare --confirm=never` does it.
pub fn compare(run: &Run, baseline: &Baseline, policy: &Policy) -> Comparison {
    compare::compare(&Inputs {
        confirm: Confirm::Never,
        ..Inputs::new(run, Some(baseline), policy)
    })
}

/// Every report format of a comparison; the total length, so nothing is optimised away.
pub fn render_all(comparison: &Comparison) -> usize {
    let markdown = Markdown {
        limit: cargo_perfgate::report::markdown::COMMENT_LIMIT,
    };
    markdown.render(comparison).len()
        + Table.render(comparison).len()
        + Json.render(comparison).len()
        + Junit.render(comparison).len()
}
