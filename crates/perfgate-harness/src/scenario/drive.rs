//! The open-loop scheduler every scenario runs its operation through, and what a batch of
//! operations did (latencies, counts, CPU, allocations, a completion timeline).

use std::fmt::Display;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::alloc::{tracked, untracked};
use crate::cpu::CpuSamples;
use crate::AllocSnapshot;

/// What a batch of operations did.
pub(super) struct Outcome {
    /// Latency from the intended start (open loop) or the actual start (closed loop), ns.
    pub(super) latency: Histogram<u64>,
    /// Time from the actual start of each operation: what a closed loop would report.
    pub(super) service: Histogram<u64>,
    pub(super) completed: u64,
    pub(super) errors: u64,
    pub(super) panics: u64,
    pub(super) elapsed: Duration,
    /// CPU nanoseconds per operation, sampled; `None` where the platform has no thread CPU
    /// clock.
    pub(super) cpu: Option<f64>,
    pub(super) alloc_before: AllocSnapshot,
    pub(super) alloc_after: AllocSnapshot,
    /// (completion offset from start, latency ns) of every operation, for windowed figures.
    pub(super) timeline: Vec<(Duration, u64)>,
}

impl Outcome {
    pub(super) fn operations(&self) -> u64 {
        self.completed + self.errors + self.panics
    }

    pub(super) fn error_rate(&self) -> f64 {
        (self.errors + self.panics) as f64 / self.operations().max(1) as f64
    }

    pub(super) fn p(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64
    }
}

pub(super) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds")
}

/// Runs one operation: `Ok` is success, `Err` an error, a panic an error too.
/// The only place allocations are counted on the harness's own threads; the error or panic
/// payload is dropped inside, so what the operation allocates it also frees in the count.
pub(super) fn call<E: Display>(op: &(impl Fn() -> Result<(), E> + Sync)) -> Result<(), bool> {
    tracked(|| match catch_unwind(AssertUnwindSafe(op)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(false),
        Err(_) => Err(true),
    })
}

/// Waits until `when`: sleeps while far, then yields, so the start is within a few µs.
pub(super) fn wait_until(when: Instant) {
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
pub(super) fn drive<E: Display>(
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
pub(super) struct PhaseLocal {
    pub(super) latency: Histogram<u64>,
    pub(super) service: Histogram<u64>,
    pub(super) completed: u64,
    pub(super) errors: u64,
    pub(super) panics: u64,
    /// (completion offset from the phase's start, latency ns).
    pub(super) events: Vec<(Duration, u64)>,
    pub(super) last_end: Duration,
}

impl PhaseLocal {
    pub(super) fn new() -> Self {
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

    pub(super) fn add(&mut self, other: PhaseLocal) {
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
/// (Over 80 lines: the scheduler's loop, its due times, workers and per-phase merge, in one
/// place, since its timing is the measurement.)
pub(super) fn drive_phases<E: Display>(
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
pub(super) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = f();
    std::panic::set_hook(hook);
    result
}
