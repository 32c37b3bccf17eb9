//! Figures over windows of a completion timeline and over a series: a window's quantile, the
//! typical window, when a spike's backlog cleared, a soak's drift, a slope with its interval.

use std::time::Duration;

use super::drive::histogram;

/// The latency quantile of a window that says whether a spike's backlog is gone.
pub(super) const RECOVERY_QUANTILE: f64 = 0.9;

/// The median of the windows that saw an operation (an empty window reads 0).
pub(super) fn median_window(windows: &[f64]) -> f64 {
    let mut seen: Vec<f64> = windows.iter().copied().filter(|p| *p > 0.0).collect();
    if seen.is_empty() {
        return 0.0;
    }
    seen.sort_by(f64::total_cmp);
    perfgate_format::median_of_sorted(&seen)
}

/// The `quantile` of the latencies due in each of `count` consecutive windows (0 for an empty
/// window).
pub(super) fn window_quantile(
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

/// The windows after which a spike's backlog had cleared, from each recovery window's lateness:
/// through the last late window, leaving out one that stands alone (its neighbours on time), the
/// latest such. One lone late window is a scheduler's hiccup, not the spike's backlog: on a
/// shared 2-core machine one set a recovery time of 0.1–0.9 s in about a fifth of unchanged
/// runs whose backlog was gone at once. A backlog spans the windows from the first; a store that
/// keeps stalling leaves more than one late window.
pub(super) fn recovered_after(late: &[bool]) -> usize {
    let on_time = |w: Option<usize>| w.and_then(|w| late.get(w)).is_none_or(|l| !l);
    let alone = (0..late.len())
        .rev()
        .find(|&w| late[w] && on_time(w.checked_sub(1)) && on_time(Some(w + 1)));
    (0..late.len())
        .rev()
        .find(|&w| late[w] && Some(w) != alone)
        .map_or(0, |last| last + 1)
}

/// How much a soak's later windows' p99 exceeds its early ones', relative (0.5 is +50%): the
/// median of the last third of `p99s` over the median of the first third, minus one. Thirds,
/// not the last window over the first: a window holds a few hundred operations and one
/// scheduler hiccup sets its p99, which moved a last-over-first figure by up to 26 (2,600
/// points) between unchanged runs of a 3 s soak.
pub(super) fn drift(p99s: &[f64]) -> f64 {
    let third = p99s.len().div_ceil(3).max(1);
    let typical = |windows: &[f64]| {
        let mut sorted = windows.to_vec();
        sorted.sort_by(f64::total_cmp);
        perfgate_format::median_of_sorted(&sorted)
    };
    let early = typical(&p99s[..third.min(p99s.len())]);
    let late = typical(&p99s[p99s.len().saturating_sub(third)..]);
    late / early.max(1.0) - 1.0
}

/// Least-squares slope of `values` against their index, and the half-width of its 95% interval
/// (Student's t with n − 2 degrees of freedom).
pub(super) fn slope_with_interval(values: &[f64]) -> (f64, f64) {
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
pub(super) fn t_975(df: usize) -> f64 {
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
    pub(super) fn a_window_that_stalls_is_late_against_the_typical_window_not_against_the_phase() {
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
    fn a_backlog_counts_and_one_lone_late_window_does_not() {
        let (o, x) = (false, true);
        assert_eq!(recovered_after(&[o, o, o, o]), 0);
        assert_eq!(recovered_after(&[x, x, o, o]), 2);
        // One late window alone, wherever it falls: a hiccup.
        assert_eq!(recovered_after(&[o, o, o, x]), 0);
        assert_eq!(recovered_after(&[x, o, o, o]), 0);
        assert_eq!(recovered_after(&[o, x, o, o]), 0);
        // A backlog and a later hiccup: the backlog.
        assert_eq!(recovered_after(&[x, x, o, x]), 2);
        // More than one lone late window: the store keeps stalling; the latest is left out.
        assert_eq!(recovered_after(&[x, o, x, o]), 1);
        assert_eq!(recovered_after(&[o, x, o, x, o, x]), 4);
        assert_eq!(recovered_after(&[]), 0);
    }

    #[test]
    fn drift_reads_the_thirds_so_one_window_cannot_set_it() {
        // Flat, with one hiccup in the last window: no drift.
        let hiccup = [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 900.0];
        assert_eq!(drift(&hiccup), 0.0);
        // The last third doubled: +100%.
        let slower = [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 20.0, 20.0, 20.0, 20.0];
        assert!((drift(&slower) - 1.0).abs() < 1e-12);
        // Two windows (the fewest a soak has): the last over the first.
        assert!((drift(&[10.0, 30.0]) - 2.0).abs() < 1e-12);
        // The gauge's four windows, slow after the first half: the thirds are two windows.
        assert!(drift(&[10.0, 10.0, 300.0, 300.0]) > 10.0);
    }

    #[test]
    pub(super) fn a_flat_series_has_zero_slope_and_a_linear_one_its_step() {
        assert_eq!(slope_with_interval(&[5.0, 5.0, 5.0, 5.0]).0, 0.0);
        let (slope, half) = slope_with_interval(&[0.0, 1024.0, 2048.0, 3072.0, 4096.0]);
        assert!((slope - 1024.0).abs() < 1e-9 && half < 1e-6);
    }
}
