//! Pure statistics over samples: robust summaries, intervals for the ratio of medians (a
//! distribution-free analytic one, and the bootstrap), rank tests, the median's order-statistic
//! interval, Holm's control of false alarms across one run's comparisons, and change points.
//! The confirm stage's reading of paired rounds (and of their far tails) is in `rounds`.
//! No I/O, no policy: `compare` decides what the numbers mean.

mod rounds;

pub(crate) use rounds::{
    another_user_pair, oriented, paired_rounds_at, slow_share, slower_as_users_run, worse_side,
    PairedRounds, Share, USER_RUN_PAIRS,
};
pub use rounds::{paired_rounds, side_of, Side};

use perfgate_format::Summary;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Median of a sample (mean of the middle two for even sizes); NaN for an empty one.
pub fn median(values: &[f64]) -> f64 {
    median_in_place(&mut values.to_vec())
}

/// The median of `values`, reordering them: a selection, not a sort (linear time), with the
/// value a sort would give (the mean of the two middle values for an even count).
fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let (below, upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return upper;
    }
    let lower = below
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(upper);
    (lower + upper) / 2.0
}

/// Summary of a sample: size, median, mean, extremes and the (unscaled) median absolute
/// deviation. The same function the harness uses, from the shared format crate.
pub fn summary(values: &[f64]) -> Summary {
    Summary::of(values)
}

/// Relative change of the medians, `(median(current) - median(baseline)) / |median(baseline)|`
/// (for positive values, the ratio minus one); zero when both are zero (an error rate that
/// stayed at 0), ±infinity when only the baseline is.
pub fn relative_change(baseline: &[f64], current: &[f64]) -> f64 {
    change_between(median(baseline), median(current))
}

fn change_between(old: f64, new: f64) -> f64 {
    if old == 0.0 {
        if new == 0.0 {
            0.0
        } else {
            f64::INFINITY.copysign(new)
        }
    } else {
        // Over |old|, so a metric that can be negative (a drift) changes in the right direction.
        (new - old) / old.abs()
    }
}

/// 95% interval of [`relative_change`] without resampling: the Price–Bonett interval for a
/// ratio of medians (Price & Bonett 2002, "Distribution-free confidence intervals for
/// difference and ratio of medians"). Each median's standard error on the log scale comes from
/// the order statistics that bracket it, `(ln y(n−c+1) − ln y(c)) / (2 z_c)` with
/// `c = round((n+1)/2 − √n)` and `z_c` the normal quantile of that binomial coverage; the log
/// ratio's interval is then normal. One sort per sample, so it scales to 100,000 benchmarks
/// where 2,000 bootstrap resamples do not. Needs positive values: any sample with a value ≤ 0
/// (a count or error rate at zero) falls back to [`bootstrap_change_interval`].
pub fn median_change_interval(baseline: &[f64], current: &[f64], seed: u64) -> (f64, f64) {
    if baseline.is_empty() || current.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let positive = |v: &[f64]| v.iter().all(|x| *x > 0.0 && x.is_finite());
    if !positive(baseline) || !positive(current) {
        return bootstrap_change_interval(baseline, current, 2000, seed);
    }
    let log_sorted = |v: &[f64]| {
        let mut logs: Vec<f64> = v.iter().map(|x| x.ln()).collect();
        logs.sort_by(f64::total_cmp);
        logs
    };
    let (a, b) = (log_sorted(baseline), log_sorted(current));
    let point = relative_change(baseline, current).ln_1p();
    let spread = (log_median_variance(&a) + log_median_variance(&b)).sqrt();
    let z = 1.959_963_984_540_054;
    (
        (point - z * spread).exp() - 1.0,
        (point + z * spread).exp() - 1.0,
    )
}

/// 95% interval of the difference of medians, `median(current) - median(baseline)`, the
/// Price–Bonett way on the values themselves (their 2002 paper gives it beside the ratio): each
/// median's variance from its bracketing order statistics, the difference's interval normal.
/// For fractions, compared in points.
pub(crate) fn median_difference_interval(baseline: &[f64], current: &[f64]) -> (f64, f64) {
    if baseline.is_empty() || current.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let sorted = |v: &[f64]| {
        let mut values = v.to_vec();
        values.sort_by(f64::total_cmp);
        values
    };
    let (a, b) = (sorted(baseline), sorted(current));
    let point = median(current) - median(baseline);
    let spread = (log_median_variance(&a) + log_median_variance(&b)).sqrt();
    let z = 1.959_963_984_540_054;
    (point - z * spread, point + z * spread)
}

/// Variance of a sorted sample's median from its bracketing order statistics (Price & Bonett
/// 2002, eq. 3).
fn log_median_variance(sorted: &[f64]) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    let n = sorted.len();
    if n < 2 {
        return 0.0;
    }
    let c = (((n as f64 + 1.0) / 2.0 - (n as f64).sqrt()).round() as usize).clamp(1, n / 2);
    thread_local! {
        static Z_OF_N: std::cell::RefCell<std::collections::HashMap<usize, f64>> =
            std::cell::RefCell::default();
    }
    // Coverage of [y(c), y(n−c+1)] is 1 − 2·P(X ≤ c−1) for X ~ Binomial(n, ½); its normal
    // quantile depends on n alone, so it is remembered per n.
    let z = Z_OF_N.with(|known| {
        *known
            .borrow_mut()
            .entry(n)
            .or_insert_with(|| Normal::standard().inverse_cdf(1.0 - binomial_half_cdf(c - 1, n)))
    });
    if !(z.is_finite() && z > 0.0) {
        return f64::NAN;
    }
    ((sorted[n - c] - sorted[c - 1]) / (2.0 * z)).powi(2)
}

/// Percentile-bootstrap 95% interval of [`relative_change`] (Efron & Tibshirani 1993, ch. 13),
/// resampling both samples independently. Deterministic for a given seed.
pub fn bootstrap_change_interval(
    baseline: &[f64],
    current: &[f64],
    resamples: usize,
    seed: u64,
) -> (f64, f64) {
    if baseline.is_empty() || current.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut changes = Vec::with_capacity(resamples);
    let mut a = vec![0.0; baseline.len()];
    let mut b = vec![0.0; current.len()];
    for _ in 0..resamples {
        for slot in a.iter_mut() {
            *slot = baseline[rng.gen_range(0..baseline.len())];
        }
        for slot in b.iter_mut() {
            *slot = current[rng.gen_range(0..current.len())];
        }
        changes.push(change_between(
            median_in_place(&mut a),
            median_in_place(&mut b),
        ));
    }
    changes.sort_by(f64::total_cmp);
    (
        quantile_of_sorted(&changes, 0.025),
        quantile_of_sorted(&changes, 0.975),
    )
}

fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

/// Two-sided p-value of the Mann–Whitney U test (Mann & Whitney 1947) that the two samples
/// come from the same distribution; normal approximation with tie and continuity corrections.
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    // Ties get their average rank, so the order among equal values does not matter.
    pooled.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let values: Vec<f64> = pooled.iter().map(|p| p.0).collect();
    let ranks = average_ranks(&values);
    let rank_sum_a: f64 = pooled
        .iter()
        .zip(&ranks)
        .filter(|(p, _)| p.1)
        .map(|(_, r)| r)
        .sum();
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let n = n1 + n2;
    let tie_term: f64 = tie_groups(&values).map(|t| t * t * t - t).sum();
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = ((u - n1 * n2 / 2.0).abs() - 0.5).max(0.0) / variance.sqrt();
    two_sided_normal_p(z)
}

/// Two-sided p-value of the Wilcoxon signed-rank test (Wilcoxon 1945) that paired differences
/// are centred on zero: exact for up to 25 non-zero differences, normal approximation beyond.
pub fn wilcoxon_signed_rank_p(differences: &[f64]) -> f64 {
    let nonzero: Vec<f64> = differences
        .iter()
        .copied()
        .filter(|d| *d != 0.0 && d.is_finite())
        .collect();
    let n = nonzero.len();
    if n == 0 {
        return 1.0;
    }
    let mut by_size: Vec<(f64, bool)> = nonzero.iter().map(|d| (d.abs(), *d > 0.0)).collect();
    by_size.sort_by(|x, y| x.0.total_cmp(&y.0));
    let ranks = average_ranks(&by_size.iter().map(|p| p.0).collect::<Vec<_>>());
    let w_plus: f64 = by_size
        .iter()
        .zip(&ranks)
        .filter(|(p, _)| p.1)
        .map(|(_, r)| r)
        .sum();
    let total = (n * (n + 1)) as f64 / 2.0;
    let w = w_plus.min(total - w_plus);
    if n <= 25 {
        // Exact null distribution of W+ over integer ranks; ties are rare in timings and only
        // make this slightly conservative.
        let max = n * (n + 1) / 2;
        let mut counts = vec![0f64; max + 1];
        counts[0] = 1.0;
        for rank in 1..=n {
            for s in (rank..=max).rev() {
                counts[s] += counts[s - rank];
            }
        }
        let all: f64 = counts.iter().sum();
        let at_most: f64 = counts.iter().take(w.floor() as usize + 1).sum();
        return (2.0 * at_most / all).min(1.0);
    }
    let nf = n as f64;
    let sd = (nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0).sqrt();
    two_sided_normal_p(((total / 2.0 - w).abs() - 0.5).max(0.0) / sd)
}

/// Distribution-free 95% interval for the median (the sign test inverted): the k-th smallest
/// and k-th largest values, with k the largest rank whose tail P(Binomial(n, 1/2) < k) stays
/// within 2.5%. At least 95% coverage for any continuous distribution from 6 values up; below
/// that it is the range, with less. NaNs for an empty sample.
pub fn median_interval(values: &[f64]) -> (f64, f64) {
    median_interval_at(values, 0.05)
}

/// [`median_interval`] missing the median with probability at most `miss` (two-sided), e.g.
/// `alpha / m` for one of `m` intervals read together (Bonferroni).
pub(crate) fn median_interval_at(values: &[f64], miss: f64) -> (f64, f64) {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let k = (1..=n / 2)
        .take_while(|&k| binomial_half_cdf(k - 1, n) <= miss / 2.0)
        .last()
        .unwrap_or(1);
    (sorted[k - 1], sorted[n - k])
}

/// The fewest values whose median interval reaches a confidence of `1 - miss`: below that,
/// even the widest order-statistic interval (min, max) misses more often than `miss`.
pub(crate) fn min_values_for_interval(miss: f64) -> usize {
    (1..=64)
        .find(|&n| binomial_half_cdf(0, n) <= miss / 2.0)
        .unwrap_or(64)
}

/// P(X <= k) for X ~ Binomial(n, 1/2). Remembered per (k, n) on each thread: a comparison asks
/// the same few of them for every benchmark (100,000 benchmarks of 20 samples ask two), and
/// statrs's regularised beta costs microseconds a call.
pub(crate) fn binomial_half_cdf(k: usize, n: usize) -> f64 {
    use statrs::distribution::{Binomial, DiscreteCDF};
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<(usize, usize), f64>> =
            std::cell::RefCell::default();
    }
    let compute = || {
        Binomial::new(0.5, n as u64)
            .map(|b| b.cdf(k as u64))
            .unwrap_or(1.0)
    };
    KNOWN.with(|known| *known.borrow_mut().entry((k, n)).or_insert_with(compute))
}

/// Holm's step-down adjustment (Holm 1979): adjusted p-values controlling the family-wise error
/// rate over all comparisons of one run, in the input's order.
pub fn holm_adjust(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![1.0; m];
    let mut running = 0.0f64;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((m - k) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

fn average_ranks(sorted: &[f64]) -> Vec<f64> {
    let mut ranks = vec![0.0; sorted.len()];
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[i] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        ranks[i..=j].iter_mut().for_each(|r| *r = rank);
        i = j + 1;
    }
    ranks
}

fn tie_groups(sorted: &[f64]) -> impl Iterator<Item = f64> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < sorted.len() {
            let mut j = i;
            while j + 1 < sorted.len() && sorted[j + 1] == sorted[i] {
                j += 1;
            }
            let size = (j - i + 1) as f64;
            i = j + 1;
            if size > 1.0 {
                return Some(size);
            }
        }
        None
    })
}

/// Where a series of per-commit medians moved once: the split that best separates the values
/// before from those after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePoint {
    /// Index of the first value after the move.
    pub index: usize,
    /// Relative change of the medians, after against before.
    pub change: f64,
    /// 95% interval of `change` (Price–Bonett), when each side has the values for one.
    pub low: f64,
    pub high: f64,
    /// Permutation p-value of the best split: how often a shuffled series (no change, same
    /// values) splits at least as well.
    pub p_value: f64,
}

/// A change point below this p-value is named as where the benchmark moved.
pub(crate) const CHANGE_POINT_ALPHA: f64 = 0.05;

/// FNV-1a of `text` from the offset `basis`: a hash that is the same on every platform and
/// version, for what must not change between runs (which shard a benchmark falls in, the seed
/// of a benchmark's resampling). Each use keeps its own basis, so its values stay as they were.
pub(crate) fn fnv1a(text: &str, basis: u64) -> u64 {
    text.bytes().fold(basis, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Fewest values on each side of a change point.
pub(crate) const MIN_SEGMENT: usize = 3;

/// Shuffles behind a change point's p-value.
const PERMUTATIONS: usize = 499;

/// A single change point in `series` (oldest first): the split that most reduces the summed
/// absolute deviation of the log values from their segment's median (a least-absolute-
/// deviations fit of one step, robust to single outliers), with a permutation p-value: how
/// often a shuffle of the same values (no change) is fitted at least as much better by its own
/// best split, so trying every position is accounted for. `None` below `2 * MIN_SEGMENT`
/// values or for values that are not positive and finite. One change point only: a series that
/// moved twice is named by its larger move.
pub fn change_point(series: &[f64], seed: u64) -> Option<ChangePoint> {
    let n = series.len();
    if n < 2 * MIN_SEGMENT || series.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    let logs: Vec<f64> = series.iter().map(|v| v.ln()).collect();
    let cost = |values: &[f64]| {
        let m = median(values);
        values.iter().map(|v| (v - m).abs()).sum::<f64>()
    };
    // (split, how much the split lowers the cost of one segment)
    let best_split = |values: &[f64]| -> (usize, f64) {
        let whole = cost(values);
        (MIN_SEGMENT..=n - MIN_SEGMENT)
            .map(|k| (k, whole - cost(&values[..k]) - cost(&values[k..])))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((MIN_SEGMENT, 0.0))
    };
    let (index, observed) = best_split(&logs);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut shuffled = logs.clone();
    let mut as_good = 0usize;
    for _ in 0..PERMUTATIONS {
        for i in (1..n).rev() {
            shuffled.swap(i, rng.gen_range(0..=i));
        }
        if best_split(&shuffled).1 >= observed {
            as_good += 1;
        }
    }
    let (before, after) = series.split_at(index);
    let (low, high) = if before.len().min(after.len()) >= 5 {
        median_change_interval(before, after, seed)
    } else {
        (f64::NAN, f64::NAN)
    };
    Some(ChangePoint {
        index,
        change: relative_change(before, after),
        low,
        high,
        p_value: (as_good + 1) as f64 / (PERMUTATIONS + 1) as f64,
    })
}

fn two_sided_normal_p(z: f64) -> f64 {
    statrs::function::erf::erfc(z / std::f64::consts::SQRT_2).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_by_selection_is_the_median_by_sorting() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for n in 1..40 {
            let values: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..9u8))).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let expected = perfgate_format::median_of_sorted(&sorted);
            assert_eq!(median_in_place(&mut values.clone()), expected, "{values:?}");
        }
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn an_interval_needs_enough_values_for_its_confidence() {
        // (min, max) of n values covers the median with probability 1 - 2^(1-n).
        assert_eq!(min_values_for_interval(0.05), 6);
        assert_eq!(min_values_for_interval(0.05 / 3.0), 7);
        assert_eq!(min_values_for_interval(0.05 / 100.0), 12);
        let (low, high) = median_interval_at(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 0.05 / 3.0);
        assert_eq!((low, high), (1.0, 7.0));
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn a_negative_baseline_changes_in_the_direction_the_value_moved() {
        assert_eq!(relative_change(&[-0.02], &[0.1]), 6.0);
        assert_eq!(relative_change(&[-2.0], &[-3.0]), -0.5);
        assert_eq!(relative_change(&[2.0], &[3.0]), 0.5);
    }

    #[test]
    fn wilcoxon_all_positive_of_eight_is_two_in_256() {
        let p = wilcoxon_signed_rank_p(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert!((p - 2.0 / 256.0).abs() < 1e-12, "{p}");
    }

    #[test]
    fn median_interval_takes_the_binomial_order_statistics() {
        let values: Vec<f64> = (1..=16).map(f64::from).collect();
        // n = 16: P(X < 4) = 1.06% <= 2.5% < P(X < 5) = 3.8%, so the 4th from each end.
        assert_eq!(median_interval(&values), (4.0, 13.0));
        let values: Vec<f64> = (1..=8).map(f64::from).collect();
        assert_eq!(median_interval(&values), (1.0, 8.0));
    }

    #[test]
    fn holm_multiplies_smallest_by_count_and_stays_monotone() {
        let adjusted = holm_adjust(&[0.01, 0.04, 0.03]);
        assert!((adjusted[0] - 0.03).abs() < 1e-12);
        assert!((adjusted[2] - 0.06).abs() < 1e-12);
        assert!((adjusted[1] - 0.06).abs() < 1e-12);
    }

    #[test]
    fn a_step_in_a_noisy_series_is_found_where_it_happened() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let series: Vec<f64> = (0..20)
            .map(|i| {
                let noise = 1.0 + rng.gen_range(-0.03..0.03);
                if i < 12 {
                    100.0 * noise
                } else {
                    115.0 * noise
                }
            })
            .collect();
        let found = change_point(&series, 1).unwrap();
        assert_eq!(found.index, 12, "{found:?}");
        assert!(found.p_value < 0.01, "{found:?}");
        assert!(found.low > 0.08 && found.high < 0.22, "{found:?}");
        let flat: Vec<f64> = (0..20)
            .map(|_| 100.0 * (1.0 + rng.gen_range(-0.03..0.03)))
            .collect();
        assert!(change_point(&flat, 1).unwrap().p_value > 0.05);
        assert!(change_point(&series[..5], 1).is_none());
    }

    #[test]
    fn mann_whitney_separates_disjoint_samples() {
        let a: Vec<f64> = (0..20).map(f64::from).collect();
        let b: Vec<f64> = (100..120).map(f64::from).collect();
        assert!(mann_whitney_p(&a, &b) < 1e-6);
        assert!(mann_whitney_p(&a, &a) > 0.9);
    }
}
