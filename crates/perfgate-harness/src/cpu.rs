//! The CPU time an operation spends, per platform: this thread's CPU clock read around a sampled
//! operation. Where the platform has no per-thread CPU clock finer than the scheduler's tick,
//! there is no figure (`None`), never a guessed one, and the suite says so once.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Every this many operations, one is timed for CPU (two clock reads around it), so the
/// harness's own waiting is never charged to the operation and its cost stays small.
const SAMPLE_EVERY: u64 = 8;

/// This thread's CPU time in nanoseconds: `CLOCK_THREAD_CPUTIME_ID` on Linux, the BSDs and
/// macOS (nanosecond resolution, where getrusage's user/system split only moves in scheduler
/// ticks).
#[cfg(unix)]
pub(crate) fn thread_cpu() -> Option<u64> {
    // SAFETY: clock_gettime only writes into the struct we pass.
    let mut now: libc::timespec = unsafe { std::mem::zeroed() };
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return None;
    }
    Some(now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64)
}

/// Elsewhere (Windows among them) no figure: Windows' per-thread CPU time (`GetThreadTimes`)
/// only moves at the scheduler's tick (by default about 15.6 ms, as Windows documents it), so it cannot time one operation of
/// microseconds, and cycle counts are not nanoseconds.
#[cfg(not(unix))]
pub(crate) fn thread_cpu() -> Option<u64> {
    None
}

/// Says on stderr, once per process, why `cpu_per_op` is absent where it is.
pub(crate) fn note_absent() {
    static NOTED: std::sync::Once = std::sync::Once::new();
    NOTED.call_once(|| {
        eprintln!(
            "perfgate-harness: cpu_per_op is not recorded on this platform: it has no \
             per-thread CPU clock finer than the scheduler's tick"
        )
    });
}

/// What two back-to-back `thread_cpu` calls measure with nothing between them (the median of
/// 201 tries), subtracted from every sample.
fn clock_overhead() -> u64 {
    static OVERHEAD: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *OVERHEAD.get_or_init(|| {
        let mut deltas: Vec<u64> = (0..201)
            .filter_map(|_| {
                let a = thread_cpu()?;
                Some(thread_cpu()?.saturating_sub(a))
            })
            .collect();
        deltas.sort_unstable();
        deltas.get(deltas.len() / 2).copied().unwrap_or(0)
    })
}

/// Sampled CPU time of operations: sums over the sampled ones and their count.
#[derive(Default)]
pub(crate) struct CpuSamples {
    total: AtomicU64,
    sampled: AtomicU64,
}

impl CpuSamples {
    /// Runs `f`, timing its CPU when `index` is a sampled one and the clock reads.
    pub(crate) fn around<T>(&self, index: u64, f: impl FnOnce() -> T) -> T {
        if !index.is_multiple_of(SAMPLE_EVERY) {
            return f();
        }
        let Some(before) = thread_cpu() else {
            return f();
        };
        let result = f();
        if let Some(after) = thread_cpu() {
            let spent = after
                .saturating_sub(before)
                .saturating_sub(clock_overhead());
            self.total.fetch_add(spent, Relaxed);
            self.sampled.fetch_add(1, Relaxed);
        }
        result
    }

    /// CPU nanoseconds per operation, or `None` when no operation could be timed.
    pub(crate) fn per_op(&self) -> Option<f64> {
        let sampled = self.sampled.load(Relaxed);
        (sampled > 0).then(|| self.total.load(Relaxed) as f64 / sampled as f64)
    }
}

/// The mean of per-phase figures, or `None` when any phase has none.
pub(crate) fn mean(figures: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let figures: Option<Vec<f64>> = figures.collect();
    let figures = figures?;
    (!figures.is_empty()).then(|| figures.iter().sum::<f64>() / figures.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_busy_operation_reads_cpu_time_and_an_idle_one_little() {
        let samples = CpuSamples::default();
        for i in 0..SAMPLE_EVERY * 4 {
            samples.around(i, || {
                let mut x = 0u64;
                for k in 0..200_000u64 {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(k));
                }
                x
            });
        }
        let busy = samples
            .per_op()
            .expect("this platform has a thread CPU clock");
        let idle = CpuSamples::default();
        idle.around(0, || {
            std::thread::sleep(std::time::Duration::from_millis(20))
        });
        let idle = idle.per_op().expect("one sample");
        assert!(busy > 10_000.0, "busy {busy} ns");
        assert!(idle < 5_000_000.0, "a 20 ms sleep read {idle} ns of CPU");
    }

    #[test]
    #[cfg(not(unix))]
    fn no_thread_clock_means_no_figure_not_zero() {
        let samples = CpuSamples::default();
        samples.around(0, || ());
        assert_eq!(samples.per_op(), None);
    }

    #[test]
    fn no_sample_means_no_figure() {
        let samples = CpuSamples::default();
        samples.around(1, || ());
        assert_eq!(samples.per_op(), None);
        assert_eq!(mean([Some(2.0), None].into_iter()), None);
        assert_eq!(mean([Some(2.0), Some(4.0)].into_iter()), Some(3.0));
        assert_eq!(mean(std::iter::empty()), None);
    }
}
