//! The scenarios: sustained load (open loop), spike, soak, leak check, degradation levels and
//! concurrency. Each runs the user's operation and records named metrics on the suite.
//! (Past 600 lines: the scenarios share one open-loop scheduler and recorder; the split by
//! scenario is issue 32's, not yet done.)

use std::fmt::Display;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use perfgate_format::Direction::{HigherIsBetter, LowerIsBetter};

use crate::alloc::{tracked, untracked};
use crate::cpu::{self, CpuSamples};
use crate::{AllocSnapshot, Suite};

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

/// What a batch of operations did.
struct Outcome {
    /// Latency from the intended start (open loop) or the actual start (closed loop), ns.
    latency: Histogram<u64>,
    /// Time from the actual start of each operation: what a closed loop would report.
    service: Histogram<u64>,
    completed: u64,
    errors: u64,
    panics: u64,
    elapsed: Duration,
    /// CPU nanoseconds per operation, sampled; `None` where the platform has no thread CPU
    /// clock.
    cpu: Option<f64>,
    alloc_before: AllocSnapshot,
    alloc_after: AllocSnapshot,
    /// (completion offset from start, latency ns) of every operation, for windowed figures.
    timeline: Vec<(Duration, u64)>,
}

impl Outcome {
    fn operations(&self) -> u64 {
        self.completed + self.errors + self.panics
    }

    fn error_rate(&self) -> f64 {
        (self.errors + self.panics) as f64 / self.operations().max(1) as f64
    }

    fn p(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds")
}

/// Runs one operation: `Ok` is success, `Err` an error, a panic an error too.
/// The only place allocations are counted on the harness's own threads; the error or panic
/// payload is dropped inside, so what the operation allocates it also frees in the count.
fn call<E: Display>(op: &(impl Fn() -> Result<(), E> + Sync)) -> Result<(), bool> {
    tracked(|| match catch_unwind(AssertUnwindSafe(op)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(false),
        Err(_) => Err(true),
    })
}

/// Waits until `when`: sleeps while far, then yields, so the start is within a few µs.
fn wait_until(when: Instant) {
    loop {
        let now = Instant::now();
        if now >= when {
            return;
        }
        let left = when - now;
        if left > Duration::from_micros(300) {
            std::thread::sleep(left - Duration::from_micros(200));
        } else {
            std::thread::yield_now();
        }
    }
}

/// Open-loop schedule: operation `i` is due at `start + i / rate`, and its latency counts from
/// then, so an operation that stalls also charges the ones queued behind it (no coordinated
/// omission).
fn drive<E: Display>(
    rate: f64,
    duration: Duration,
    workers: usize,
    op: &(impl Fn() -> Result<(), E> + Sync),
) -> Outcome {
    drive_phases(&[(rate, duration)], workers, op)
        .pop()
        .expect("one phase")
}

/// What one worker saw of one phase.
struct PhaseLocal {
    latency: Histogram<u64>,
    service: Histogram<u64>,
    completed: u64,
    errors: u64,
    panics: u64,
    /// (completion offset from the phase's start, latency ns).
    events: Vec<(Duration, u64)>,
    last_end: Duration,
}

impl PhaseLocal {
    fn new() -> Self {
        PhaseLocal {
            latency: histogram(),
            service: histogram(),
            completed: 0,
            errors: 0,
            panics: 0,
            events: Vec::new(),
            last_end: Duration::ZERO,
        }
    }

    fn add(&mut self, other: PhaseLocal) {
        let _ = self.latency.add(&other.latency);
        let _ = self.service.add(&other.service);
        self.completed += other.completed;
        self.errors += other.errors;
        self.panics += other.panics;
        self.events.extend(other.events);
        self.last_end = self.last_end.max(other.last_end);
    }
}

/// One continuous open-loop schedule through `phases` of `(rate, duration)`: each phase's
/// operations are due at its own rate from where the previous phase's time ended, whether or
/// not the previous ones have finished, so a backlog carries over (a spike's queue shows in the
/// phase after it). Each operation counts in the phase it was due in; the timeline of a phase
/// is measured from that phase's start. Allocation snapshots are of the whole schedule.
fn drive_phases<E: Display>(
    phases: &[(f64, Duration)],
    workers: usize,
    op: &(impl Fn() -> Result<(), E> + Sync),
) -> Vec<Outcome> {
    let counts: Vec<u64> = phases
        .iter()
        .map(|(rate, d)| (rate * d.as_secs_f64()).round().max(1.0) as u64)
        .collect();
    let firsts: Vec<u64> = counts
        .iter()
        .scan(0u64, |sum, n| {
            let first = *sum;
            *sum += n;
            Some(first)
        })
        .collect();
    let offsets: Vec<Duration> = phases
        .iter()
        .scan(Duration::ZERO, |sum, (_, d)| {
            let offset = *sum;
            *sum += *d;
            Some(offset)
        })
        .collect();
    let total: u64 = counts.iter().sum();
    let phase_of = |i: u64| firsts.iter().rposition(|first| *first <= i).unwrap_or(0);
    let merged: Mutex<Vec<PhaseLocal>> =
        Mutex::new(phases.iter().map(|_| PhaseLocal::new()).collect());
    let cpus: Vec<CpuSamples> = phases.iter().map(|_| CpuSamples::default()).collect();
    let alloc_before = AllocSnapshot::now();
    let start = Instant::now() + Duration::from_millis(1);
    std::thread::scope(|scope| {
        for worker in 0..workers as u64 {
            let (merged, cpus, phase_of) = (&merged, &cpus, &phase_of);
            let (firsts, offsets) = (&firsts, &offsets);
            scope.spawn(move || {
                untracked(|| {
                    let mut locals: Vec<PhaseLocal> =
                        phases.iter().map(|_| PhaseLocal::new()).collect();
                    let mut i = worker;
                    while i < total {
                        let k = phase_of(i);
                        let phase_start = start + offsets[k];
                        let due = phase_start
                            + Duration::from_secs_f64((i - firsts[k]) as f64 / phases[k].0);
                        wait_until(due);
                        let begun = Instant::now();
                        let result = cpus[k].around(i / workers as u64, || call(op));
                        let end = Instant::now();
                        let local = &mut locals[k];
                        let latency = (end - due).as_nanos().max(1) as u64;
                        let _ = local.latency.record(latency.min(local.latency.high()));
                        let service = (end - begun).as_nanos().max(1) as u64;
                        let _ = local.service.record(service.min(local.service.high()));
                        let since_phase = end.saturating_duration_since(phase_start);
                        local.events.push((since_phase, latency));
                        local.last_end = local.last_end.max(since_phase);
                        match result {
                            Ok(()) => local.completed += 1,
                            Err(false) => local.errors += 1,
                            Err(true) => local.panics += 1,
                        }
                        i += workers as u64;
                    }
                    let mut all = merged.lock().expect("phase lock");
                    for (into, local) in all.iter_mut().zip(locals) {
                        into.add(local);
                    }
                })
            });
        }
    });
    let alloc_after = AllocSnapshot::now();
    merged
        .into_inner()
        .expect("phases")
        .into_iter()
        .zip(&cpus)
        .map(|(mut p, cpu)| {
            p.events.sort_unstable();
            Outcome {
                latency: p.latency,
                service: p.service,
                completed: p.completed,
                errors: p.errors,
                panics: p.panics,
                elapsed: p.last_end.max(Duration::from_nanos(1)),
                cpu: cpu.per_op(),
                alloc_before,
                alloc_after,
                timeline: p.events,
            }
        })
        .collect()
}

/// Silences the panic hook while `f` runs: a panicking operation is an error to count, not
/// a message per call.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = f();
    std::panic::set_hook(hook);
    result
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
            None => self.note_once(cpu::ABSENT_NOTE),
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
            // Recovered: every later tenth-of-a-phase window's p90 within 1.5x of the normal
            // phase's typical window (the median of its windows' p90). The median window, not
            // the phase's p99: a stall the store also has at normal load would set a reference
            // no backlog ever reaches. The p90, not the p99: a window holds a few hundred
            // operations, and one scheduler hiccup sets its p99. A store that keeps stalling
            // never settles: its recovery time reaches past its last stalled window.
            let window = phase / 10;
            let typical = median_window(&window_quantile(
                &normal.timeline,
                window,
                10,
                RECOVERY_QUANTILE,
            ))
            .max(1.0);
            let windows = window_quantile(&recovery.timeline, window, 10, RECOVERY_QUANTILE);
            let settled = windows
                .iter()
                .rposition(|p| *p > 1.5 * typical)
                .map_or(0, |last_bad| last_bad + 1);
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
    /// (last window's p99 over the first's, minus one), `heap_growth` (live heap at the end of
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
                vec![p99s[p99s.len() - 1] / p99s[0].max(1.0) - 1.0],
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

/// p99 of each of `count` windows of `window` length over a completion timeline.
/// The latency quantile of a window that says whether a spike's backlog is gone.
const RECOVERY_QUANTILE: f64 = 0.9;

/// The median of the windows that saw an operation (an empty window reads 0).
fn median_window(windows: &[f64]) -> f64 {
    let mut seen: Vec<f64> = windows.iter().copied().filter(|p| *p > 0.0).collect();
    if seen.is_empty() {
        return 0.0;
    }
    seen.sort_by(f64::total_cmp);
    perfgate_format::median_of_sorted(&seen)
}

/// The `quantile` of the latencies due in each of `count` consecutive windows (0 for an empty
/// window).
fn window_quantile(
    timeline: &[(Duration, u64)],
    window: Duration,
    count: usize,
    quantile: f64,
) -> Vec<f64> {
    (0..count)
        .map(|w| {
            let (from, to) = (window * w as u32, window * (w as u32 + 1));
            let mut h = histogram();
            for (_, latency) in timeline.iter().filter(|(at, _)| *at >= from && *at < to) {
                let _ = h.record((*latency).min(h.high()));
            }
            if h.is_empty() {
                0.0
            } else {
                h.value_at_quantile(quantile) as f64
            }
        })
        .collect()
}

/// Least-squares slope of `values` against their index, and the half-width of its 95% interval
/// (Student's t with n − 2 degrees of freedom).
fn slope_with_interval(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.len() < 3 {
        return (0.0, f64::INFINITY);
    }
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = values.iter().sum::<f64>() / n;
    let sxx: f64 = (0..values.len()).map(|i| (i as f64 - mean_x).powi(2)).sum();
    let sxy: f64 = values
        .iter()
        .enumerate()
        .map(|(i, y)| (i as f64 - mean_x) * (y - mean_y))
        .sum();
    let slope = sxy / sxx;
    let residual: f64 = values
        .iter()
        .enumerate()
        .map(|(i, y)| (y - (mean_y + slope * (i as f64 - mean_x))).powi(2))
        .sum();
    let standard_error = (residual / (n - 2.0) / sxx).sqrt();
    (slope, t_975(values.len() - 2) * standard_error)
}

/// The 97.5% quantile of Student's t distribution.
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 10] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    ];
    match df {
        0 => f64::INFINITY,
        1..=10 => TABLE[df - 1],
        11..=20 => 2.1,
        21..=30 => 2.05,
        _ => 1.96,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_that_stalls_is_late_against_the_typical_window_not_against_the_phase() {
        // Ten windows of 100 operations at 1 µs, one of which meets a 50 ms stall that delays
        // 20 operations: its p90 is the stall's, the others' and the median's 1 µs.
        let window = Duration::from_millis(100);
        let mut timeline = Vec::new();
        for w in 0..10u32 {
            for k in 0..100u32 {
                let at = window * w + Duration::from_micros(u64::from(k) * 900);
                let late = w == 3 && k < 20;
                timeline.push((at, if late { 50_000_000 } else { 1_000 }));
            }
        }
        let p90s = window_quantile(&timeline, window, 10, RECOVERY_QUANTILE);
        assert!(p90s[3] >= 40e6, "{p90s:?}");
        assert!(p90s.iter().enumerate().all(|(w, p)| w == 3 || *p < 2e3));
        assert!(median_window(&p90s) < 2e3);
        // Windows with no operation are not typical ones.
        assert_eq!(median_window(&[0.0, 0.0, 4.0, 2.0, 9.0]), 4.0);
        assert_eq!(median_window(&[0.0, 0.0]), 0.0);
    }

    #[test]
    fn a_flat_series_has_zero_slope_and_a_linear_one_its_step() {
        assert_eq!(slope_with_interval(&[5.0, 5.0, 5.0, 5.0]).0, 0.0);
        let (slope, half) = slope_with_interval(&[0.0, 1024.0, 2048.0, 3072.0, 4096.0]);
        assert!((slope - 1024.0).abs() < 1e-9 && half < 1e-6);
    }
}
