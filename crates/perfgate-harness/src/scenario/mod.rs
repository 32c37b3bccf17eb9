//! The scenarios: sustained load (open loop), spike, soak, leak check, degradation levels and
//! concurrency. Each runs the user's operation through `drive`'s scheduler and records named
//! metrics on the suite; `windows` holds the figures over windows and series they share.

mod drive;
mod windows;

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use perfgate_format::Direction::{HigherIsBetter, LowerIsBetter};

use crate::alloc::untracked;
use crate::cpu::{self, CpuSamples};
use crate::{AllocSnapshot, Suite};

use drive::{call, drive, drive_phases, histogram, quietly, Outcome};
use windows::{
    drift, median_window, recovered_after, slope_with_interval, window_quantile, RECOVERY_QUANTILE,
};

/// Sustained load: `rate` operations per second in total for `duration`, over `workers` threads.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub rate: f64,
    pub duration: Duration,
    pub workers: usize,
}

impl Load {
    pub fn new(rate: f64, duration: Duration) -> Self {
        Load {
            rate,
            duration,
            workers: 1,
        }
    }

    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }
}

/// Normal load, then `factor` times the rate, then normal again; each phase `phase` long.
#[derive(Debug, Clone, Copy)]
pub struct Spike {
    pub load: Load,
    pub factor: f64,
}

/// Sustained load watched in `windows` equal windows for drift and memory growth.
#[derive(Debug, Clone, Copy)]
pub struct Soak {
    pub load: Load,
    pub windows: usize,
}

/// `iterations` × `operations`, live heap measured after each iteration.
#[derive(Debug, Clone, Copy)]
pub struct Leak {
    pub iterations: usize,
    pub operations: usize,
}

/// Stepped load levels (operations per second), each held for `step`.
#[derive(Debug, Clone)]
pub struct Levels {
    pub rates: Vec<f64>,
    pub step: Duration,
    pub workers: usize,
}

/// `workers` threads started together, each doing `operations` back to back.
#[derive(Debug, Clone, Copy)]
pub struct Concurrency {
    pub workers: usize,
    pub operations: usize,
}

impl Suite {
    fn record_latencies(&mut self, scenario: &str, prefix: &str, o: &Outcome) {
        for (name, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999)] {
            self.record(
                scenario,
                &format!("{prefix}latency_{name}"),
                "ns",
                LowerIsBetter,
                vec![o.p(q)],
            );
        }
        self.record(
            scenario,
            &format!("{prefix}latency_max"),
            "ns",
            LowerIsBetter,
            vec![o.latency.max() as f64],
        );
        self.record(
            scenario,
            &format!("{prefix}latency_mean"),
            "ns",
            LowerIsBetter,
            vec![o.latency.mean()],
        );
        self.record(
            scenario,
            &format!("{prefix}error_rate"),
            "ratio",
            LowerIsBetter,
            vec![o.error_rate()],
        );
    }

    fn record_costs(&mut self, scenario: &str, o: &Outcome) {
        let ops = o.operations().max(1) as f64;
        self.record(
            scenario,
            "throughput",
            "ops/s",
            HigherIsBetter,
            vec![o.completed as f64 / o.elapsed.as_secs_f64()],
        );
        match o.cpu {
            Some(cpu) => self.record(scenario, "cpu_per_op", "ns", LowerIsBetter, vec![cpu]),
            None => cpu::note_absent(),
        }
        if o.alloc_after.counting() {
            let allocations = o.alloc_after.allocations - o.alloc_before.allocations;
            let bytes = o.alloc_after.allocated_bytes - o.alloc_before.allocated_bytes;
            self.record(
                scenario,
                "allocations_per_op",
                "count",
                LowerIsBetter,
                vec![allocations as f64 / ops],
            );
            self.record(
                scenario,
                "allocated_bytes_per_op",
                "B",
                LowerIsBetter,
                vec![bytes as f64 / ops],
            );
        }
    }

    /// Sustained open-loop load. Metrics: latency percentiles from each operation's due time,
    /// `throughput`, `error_rate`, `cpu_per_op`, allocations per op.
    pub fn sustained_load<E: Display>(
        &mut self,
        scenario: &str,
        load: Load,
        op: impl Fn() -> Result<(), E> + Sync,
    ) {
        untracked(|| {
            if !self.wants(scenario) {
                return;
            }
            let o = quietly(|| drive(load.rate, self.scaled(load.duration), load.workers, &op));
            self.record_latencies(scenario, "", &o);
            for (name, q) in [("p50", 0.5), ("p99", 0.99)] {
                let value = o.service.value_at_quantile(q) as f64;
                self.record(
                    scenario,
                    &format!("service_time_{name}"),
                    "ns",
                    LowerIsBetter,
                    vec![value],
                );
            }
            self.record_costs(scenario, &o);
        })
    }

    /// Normal → `factor`× → normal as one continuous open-loop schedule: the rate steps up and
    /// back down on time, and whatever the spike left queued is still due in the recovery phase.
    /// Metrics per phase (`normal_`, `spike_`, `recovery_`, each operation in the phase it was
    /// due in), `degradation` (spike p99 / normal p99) and `recovery_time`: how long after the
    /// rate steps back down the p90 of a tenth-of-a-phase window stays within 1.5× of the
    /// normal phase's typical window.
    pub fn spike<E: Display>(
        &mut self,
        scenario: &str,
        spike: Spike,
        op: impl Fn() -> Result<(), E> + Sync,
    ) {
        untracked(|| {
            if !self.wants(scenario) {
                return;
            }
            let phase = self.scaled(spike.load.duration);
            let rate = spike.load.rate;
            let mut phases = quietly(|| {
                drive_phases(
                    &[(rate, phase), (rate * spike.factor, phase), (rate, phase)],
                    spike.load.workers,
                    &op,
                )
            });
            let recovery = phases.pop().expect("three phases");
            let peak = phases.pop().expect("three phases");
            let normal = phases.pop().expect("three phases");
            self.record_latencies(scenario, "normal_", &normal);
            self.record_latencies(scenario, "spike_", &peak);
            self.record_latencies(scenario, "recovery_", &recovery);
            let normal_p99 = normal.p(0.99).max(1.0);
            self.record(
                scenario,
                "degradation",
                "x",
                LowerIsBetter,
                vec![peak.p(0.99) / normal_p99],
            );
            // Recovered: the tenth-of-a-phase windows' p90 back within 1.5x of the normal
            // phase's typical window (the median of its windows' p90). The median window, not
            // the phase's p99: a stall the store also has at normal load would set a reference
            // no backlog ever reaches. The p90, not the p99: a window holds a few hundred
            // operations, and one scheduler hiccup sets its p99 (`recovered_after` leaves out
            // one late window alone, for the same reason).
            let window = phase / 10;
            let typical = median_window(&window_quantile(
                &normal.timeline,
                window,
                10,
                RECOVERY_QUANTILE,
            ))
            .max(1.0);
            let windows = window_quantile(&recovery.timeline, window, 10, RECOVERY_QUANTILE);
            let late: Vec<bool> = windows.iter().map(|p| *p > 1.5 * typical).collect();
            let settled = recovered_after(&late);
            self.record(
                scenario,
                "recovery_time",
                "ns",
                LowerIsBetter,
                vec![(window * settled as u32).as_nanos() as f64],
            );
        })
    }

    /// A long sustained load in windows. Metrics: latency and costs overall, `latency_drift`
    /// (the last third of the windows' p99 over the first third's, minus one: `windows::drift`),
    /// `heap_growth` (live heap at the end of
    /// the last window over the first's, minus one; needs the counting allocator).
    pub fn soak<E: Display>(
        &mut self,
        scenario: &str,
        soak: Soak,
        op: impl Fn() -> Result<(), E> + Sync,
    ) {
        untracked(|| {
            if !self.wants(scenario) {
                return;
            }
            let windows = soak.windows.max(2);
            let window = self.scaled(soak.load.duration) / windows as u32;
            let mut outcomes = Vec::new();
            let mut live = Vec::new();
            quietly(|| {
                for _ in 0..windows {
                    let o = drive(soak.load.rate, window, soak.load.workers, &op);
                    live.push(o.alloc_after.live_bytes() as f64);
                    outcomes.push(o);
                }
            });
            let p99s: Vec<f64> = outcomes.iter().map(|o| o.p(0.99)).collect();
            let mut all = histogram();
            for o in &outcomes {
                let _ = all.add(&o.latency);
            }
            let first = &outcomes[0];
            let last = &outcomes[outcomes.len() - 1];
            let merged = Outcome {
                latency: all,
                service: histogram(),
                completed: outcomes.iter().map(|o| o.completed).sum(),
                errors: outcomes.iter().map(|o| o.errors).sum(),
                panics: outcomes.iter().map(|o| o.panics).sum(),
                elapsed: outcomes.iter().map(|o| o.elapsed).sum(),
                cpu: cpu::mean(outcomes.iter().map(|o| o.cpu)),
                alloc_before: first.alloc_before,
                alloc_after: last.alloc_after,
                timeline: Vec::new(),
            };
            self.record_latencies(scenario, "", &merged);
            self.record_costs(scenario, &merged);
            self.record(scenario, "window_p99", "ns", LowerIsBetter, p99s.clone());
            self.record(
                scenario,
                "latency_drift",
                "ratio",
                LowerIsBetter,
                vec![drift(&p99s)],
            );
            if merged.alloc_after.counting() {
                let base = live[0].max(1.0);
                self.record(
                    scenario,
                    "heap_growth",
                    "ratio",
                    LowerIsBetter,
                    vec![(live[live.len() - 1] - live[0]) / base],
                );
            }
        })
    }

    /// Leak check: after each of `iterations` rounds of `operations` calls, the live heap is
    /// read from the counting allocator. The growth per operation is the least-squares slope
    /// over the rounds after the first (warm-up), with a 95% interval; "leak" needs that
    /// interval above zero. Metrics: `heap_growth_per_op` (samples: each round's growth per op),
    /// `heap_growth_per_op_low` (the interval's lower bound). Returns the verdict.
    pub fn leak_check<E: Display>(
        &mut self,
        scenario: &str,
        leak: Leak,
        op: impl Fn() -> Result<(), E> + Sync,
    ) -> Option<bool> {
        untracked(|| {
            if !self.wants(scenario) {
                return None;
            }
            if !AllocSnapshot::now().counting() {
                eprintln!("perfgate: {scenario}: the counting allocator is not installed; add `perfgate_harness::counting_allocator!();` to the bench file");
                return None;
            }
            let operations = self.scaled_count(leak.operations);
            let iterations = leak.iterations.max(4);
            let mut live = Vec::with_capacity(iterations);
            quietly(|| {
                for _ in 0..iterations {
                    for _ in 0..operations {
                        let _ = call(&op);
                    }
                    live.push(AllocSnapshot::now().live_bytes() as f64);
                }
            });
            let steady = &live[1..];
            let (slope, half_width) = slope_with_interval(steady);
            let per_op = slope / operations as f64;
            let low = (slope - half_width) / operations as f64;
            let leaking = low > 0.0;
            let growth: Vec<f64> = steady
                .windows(2)
                .map(|w| (w[1] - w[0]) / operations as f64)
                .collect();
            self.record(scenario, "heap_growth_per_op", "B", LowerIsBetter, growth);
            self.record(
                scenario,
                perfgate_format::LEAK_BOUND_METRIC,
                "B",
                LowerIsBetter,
                vec![low],
            );
            println!(
                "  {}/{scenario}: {} ({per_op:+.3} B/op, 95% interval [{low:+.3}, {:+.3}] over {} rounds of {operations})",
                self.name,
                if leaking { "LEAK" } else { "no leak" },
                (slope + half_width) / operations as f64,
                iterations - 1
            );
            Some(leaking)
        })
    }

    /// Stepped load. Metrics per level (`level_<rate>_latency_p99`, `…_error_rate`) and
    /// `breakpoint`: the first rate at which p99 grew faster than the load did (the end of
    /// sub-linear degradation), or the highest rate if it never did.
    pub fn degradation<E: Display>(
        &mut self,
        scenario: &str,
        levels: Levels,
        op: impl Fn() -> Result<(), E> + Sync,
    ) {
        untracked(|| {
            if !self.wants(scenario) || levels.rates.is_empty() {
                return;
            }
            let step = self.scaled(levels.step);
            let outcomes: Vec<Outcome> = quietly(|| {
                levels
                    .rates
                    .iter()
                    .map(|r| drive(*r, step, levels.workers.max(1), &op))
                    .collect()
            });
            let base_p99 = outcomes[0].p(0.99).max(1.0);
            let mut breakpoint = levels.rates[levels.rates.len() - 1];
            for (rate, o) in levels.rates.iter().zip(&outcomes) {
                self.record(
                    scenario,
                    &format!("level_{rate}_latency_p99"),
                    "ns",
                    LowerIsBetter,
                    vec![o.p(0.99)],
                );
                self.record(
                    scenario,
                    &format!("level_{rate}_error_rate"),
                    "ratio",
                    LowerIsBetter,
                    vec![o.error_rate()],
                );
            }
            for (rate, o) in levels.rates.iter().zip(&outcomes).skip(1) {
                if o.p(0.99) / base_p99 > rate / levels.rates[0]
                    || o.error_rate() > outcomes[0].error_rate() + 0.01
                {
                    breakpoint = *rate;
                    break;
                }
            }
            self.record(
                scenario,
                "breakpoint",
                "ops/s",
                HigherIsBetter,
                vec![breakpoint],
            );
        })
    }

    /// `workers` threads released together, each running `operations` back to back.
    /// Metrics: `throughput`, `error_rate`, `panics`, latency percentiles.
    pub fn concurrency<E: Display>(
        &mut self,
        scenario: &str,
        c: Concurrency,
        op: impl Fn() -> Result<(), E> + Sync,
    ) {
        untracked(|| {
            if !self.wants(scenario) {
                return;
            }
            let workers = c.workers.max(1);
            let operations = self.scaled_count(c.operations);
            let barrier = Barrier::new(workers);
            let merged = Mutex::new(histogram());
            let (completed, errors, panics) =
                (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
            let cpu = CpuSamples::default();
            let alloc_before = AllocSnapshot::now();
            let start = Instant::now();
            quietly(|| {
                std::thread::scope(|scope| {
                    for _ in 0..workers {
                        scope.spawn(|| {
                            untracked(|| {
                                let mut local = histogram();
                                barrier.wait();
                                for index in 0..operations as u64 {
                                    let begun = Instant::now();
                                    let result = cpu.around(index, || call(&op));
                                    let _ = local.record(
                                        (begun.elapsed().as_nanos().max(1) as u64)
                                            .min(local.high()),
                                    );
                                    match result {
                                        Ok(()) => completed.fetch_add(1, Relaxed),
                                        Err(false) => errors.fetch_add(1, Relaxed),
                                        Err(true) => panics.fetch_add(1, Relaxed),
                                    };
                                }
                                let _ = merged.lock().expect("histogram lock").add(&local);
                            })
                        });
                    }
                })
            });
            let o = Outcome {
                latency: merged.into_inner().expect("histogram"),
                service: histogram(),
                completed: completed.into_inner(),
                errors: errors.into_inner(),
                panics: panics.into_inner(),
                elapsed: start.elapsed(),
                cpu: cpu.per_op(),
                alloc_before,
                alloc_after: AllocSnapshot::now(),
                timeline: Vec::new(),
            };
            self.record_latencies(scenario, "", &o);
            self.record_costs(scenario, &o);
            self.record(
                scenario,
                "panics",
                "count",
                LowerIsBetter,
                vec![o.panics as f64],
            );
        })
    }
}
