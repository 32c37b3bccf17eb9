//! The confirm stage's reading of its paired rounds (candidate over baseline, one log-ratio per
//! round): the change with its interval from the rounds that count, where that interval lies
//! against the threshold, and the far tails that show a slowdown in a share of processes. The
//! stop rule (`run::confirm::settled`) and the verdict (`compare::judges`) both read the rounds
//! through here, so the rounds stop exactly when the verdict is settled. Likewise the pairs of
//! runs as users run a benchmark, which check the rounds (`beyond_rounds`).

use perfgate_format::Direction;

use super::{binomial_half_cdf, median, median_interval_at, wilcoxon_signed_rank_p};

/// What the confirm stage's rounds say: the change, its interval and p-value, from the rounds
/// that count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedRounds {
    /// Median of the counted rounds' ratios, minus one.
    pub change: f64,
    pub low: f64,
    pub high: f64,
    /// Wilcoxon signed-rank p of the counted rounds' log-ratios.
    pub p_value: f64,
    /// Rounds counted; the rest were mode switches.
    pub counted: usize,
    /// The change read from the first and from the second half of the counted rounds, in the
    /// order they ran: two batches far enough apart in time to see different machine phases.
    pub halves: [f64; 2],
}

/// Where an interval on a change lies against `±threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Above `+threshold`, and both halves agree.
    Above,
    /// Below `-threshold`, and both halves agree.
    Below,
    /// Within `[-threshold, +threshold]`.
    Inside,
    /// Across an edge, or clear of it with halves that disagree: more rounds, or no verdict.
    Straddles,
}

/// Where a re-measured change lies: a change counts as beyond the threshold only when its
/// whole interval is, and both time-ordered halves of the rounds say so too. Rounds on a
/// shared machine are not independent (it changes speed for seconds at a time), so a p-value
/// against "no change" overstates the evidence; an interval clear of the threshold, read
/// alike by two batches, rules out "within the threshold" itself.
pub fn side_of(read: &PairedRounds, threshold: f64) -> Side {
    let [first, second] = read.halves;
    if read.low > threshold && first > threshold && second > threshold {
        Side::Above
    } else if read.high < -threshold && first < -threshold && second < -threshold {
        Side::Below
    } else if read.low >= -threshold && read.high <= threshold {
        Side::Inside
    } else {
        Side::Straddles
    }
}

/// Reads paired per-round log-ratios (candidate over baseline). A round further from the rounds'
/// median than four scaled median absolute deviations (and than 1%) is a mode switch: the machine
/// changed speed between the round's two processes (on shared runners memory-bound benchmarks
/// flip between two speeds ~1.8x apart for seconds at a time, which shows up as ±40-80% rounds),
/// and is left out. Of the rest: the median as the change, its order-statistic 95% interval
/// (`median_interval`), the Wilcoxon signed-rank p-value, and the medians of the first and the
/// second half. The cut is symmetric, so under no change the counted rounds stay symmetric
/// about zero.
pub fn paired_rounds(log_ratios: &[f64]) -> PairedRounds {
    paired_rounds_at(log_ratios, 0.05, 0.0)
}

/// [`paired_rounds`] with the interval missing with probability at most `miss`, for a verdict
/// against `±threshold` (relative, or in points): a round within half the threshold of the
/// median always counts: it is ordinary spread, not a change of the machine's speed, and
/// cannot by itself carry the interval from a median inside half the threshold across it.
/// Leaving it out read the interval from fewer rounds than were measured and left quiet
/// benchmarks short of the rounds a verdict needs (an A/A batch of 20 on a quiet machine lost
/// 3-5 of 20 rounds each, with intervals of ±1-2% against a 5% threshold).
pub(crate) fn paired_rounds_at(log_ratios: &[f64], miss: f64, threshold: f64) -> PairedRounds {
    let finite: Vec<f64> = log_ratios
        .iter()
        .copied()
        .filter(|r| r.is_finite())
        .collect();
    if finite.is_empty() {
        return PairedRounds {
            change: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
            p_value: 1.0,
            counted: 0,
            halves: [f64::NAN; 2],
        };
    }
    let centre = median(&finite);
    let spread = median(
        &finite
            .iter()
            .map(|r| (r - centre).abs())
            .collect::<Vec<_>>(),
    );
    let floor = (threshold / 2.0).max(0.01).ln_1p();
    let cut = (4.0 * 1.4826 * spread).max(floor);
    let counted: Vec<f64> = finite
        .into_iter()
        .filter(|r| (r - centre).abs() <= cut)
        .collect();
    let (low, high) = median_interval_at(&counted, miss);
    let (first, second) = counted.split_at(counted.len() / 2);
    let half = |h: &[f64]| {
        if h.is_empty() {
            f64::NAN
        } else {
            median(h).exp() - 1.0
        }
    };
    PairedRounds {
        change: median(&counted).exp() - 1.0,
        low: low.exp() - 1.0,
        high: high.exp() - 1.0,
        p_value: wilcoxon_signed_rank_p(&counted),
        counted: counted.len(),
        halves: [half(first), half(second)],
    }
}

/// The far tails of a confirm stage's rounds: how many rounds read beyond `+threshold`, how
/// many beyond `-threshold` (as ratios, `1 + t` and `1 / (1 + t)`), the one-sided sign-test
/// p-value of that split, and the mean change over every round.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tails {
    pub slower: usize,
    pub faster: usize,
    /// P(at least `slower` of `slower + faster` rounds on the slow side) when either side is
    /// as likely (a sign test: Dixon & Mood 1946).
    pub p_value: f64,
    /// Mean of every round's ratio, minus one: the expected change per process.
    pub mean: f64,
    /// Geometric mean of the rounds' ratios, minus one: what the rule is decided on, since the
    /// arithmetic mean of ratios leans slow under symmetric noise (rounds of 1.8x and 1/1.8x
    /// average +18%), and an unchanged benchmark's mode switches would read as a slowdown.
    pub geometric: f64,
}

/// The tails of `log_ratios` (candidate over baseline, one per round) beyond `±threshold`.
///
/// Within a round the two sides run in random order, so whatever changes the machine's speed
/// for a while (a neighbour, a frequency step, a mode switch) lands on either side alike:
/// its rounds fall in both tails evenly. A code path that is slow in some of the candidate's
/// processes only (a hash seed, a layout effect, a lazy-init race) puts its rounds in one
/// tail. The median and its interval, which leave such rounds out as mode switches, cannot
/// see it; this split can.
pub(crate) fn tails(log_ratios: &[f64], threshold: f64) -> Tails {
    let edge = threshold.ln_1p();
    let finite: Vec<f64> = log_ratios
        .iter()
        .copied()
        .filter(|r| r.is_finite())
        .collect();
    let slower = finite.iter().filter(|&&r| r > edge).count();
    let faster = finite.iter().filter(|&&r| r < -edge).count();
    let n = slower + faster;
    let p_value = if n == 0 {
        1.0
    } else {
        // P(X >= slower) = P(X <= faster) for X ~ Binomial(n, 1/2).
        binomial_half_cdf(faster, n)
    };
    let mean = if finite.is_empty() {
        0.0
    } else {
        finite.iter().map(|r| r.exp()).sum::<f64>() / finite.len() as f64 - 1.0
    };
    let geometric = if finite.is_empty() {
        0.0
    } else {
        (finite.iter().sum::<f64>() / finite.len() as f64).exp() - 1.0
    };
    Tails {
        slower,
        faster,
        p_value,
        mean,
        geometric,
    }
}

/// Per-round log-ratios oriented so that positive is worse for a metric of `direction`.
pub(crate) fn oriented(log_ratios: &[f64], direction: Direction) -> Vec<f64> {
    log_ratios
        .iter()
        .map(|r| match direction {
            Direction::LowerIsBetter => *r,
            Direction::HigherIsBetter => -r,
        })
        .collect()
}

/// The side of the threshold a worse change lies on for a metric of `direction`.
pub(crate) fn worse_side(direction: Direction) -> Side {
    match direction {
        Direction::LowerIsBetter => Side::Above,
        Direction::HigherIsBetter => Side::Below,
    }
}

/// Fewest rounds in the slow tail before a slowdown in a share of processes is called.
pub(crate) const MIN_SLOW_ROUNDS: usize = 8;
/// Fewest rounds in the slow tail, as a share of all rounds, before it is called.
const MIN_SLOW_SHARE: f64 = 0.15;
/// Looks the confirm stage may take at one benchmark (its first, then every 8 rounds up to
/// 144): the sign test's level is split over them, since the rule is read at each.
const LOOKS: f64 = 16.0;

/// What the far tails of the rounds say of a slowdown in a share of the candidate's processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Share {
    /// Nothing one-sided.
    Clear,
    /// A slow far round with no fast one to match it (a sign test under 0.6), and a
    /// geometric-mean change beyond the threshold: not enough to call, so more rounds decide.
    /// At 35% of processes slow, 10 rounds hold no slow one 1.3% of the time; a quiet
    /// machine's unchanged benchmarks read this 6–9% of the time (one far round), and pay 8
    /// more rounds for it.
    Emerging,
    /// A slowdown in a share of processes: at least `MIN_SLOW_ROUNDS` slow far rounds and
    /// `MIN_SLOW_SHARE` of all rounds, a one-sided sign test significant at `level` over
    /// `LOOKS` looks, and a geometric-mean change per process beyond the threshold.
    Slow,
}

/// Reads `worse` (per-round log-ratios oriented so that positive is worse) for a slowdown in
/// a share of processes at miss rate `level`. Whatever changes the machine's speed for a
/// while lands on either side of a round alike (the sides run in random order), so the far
/// tails of an unchanged benchmark fill evenly; a code path slow in some of the candidate's
/// processes only fills the slow one. The median and its interval cannot see such a
/// path (at 35% of processes the median is a fast process's), so this reading can overturn
/// a pass.
pub(crate) fn slow_share(worse: &[f64], threshold: f64, level: f64) -> (Share, Tails) {
    let t = tails(worse, threshold);
    let rounds = worse.iter().filter(|r| r.is_finite()).count();
    let share = if t.slower >= MIN_SLOW_ROUNDS
        && t.slower as f64 >= MIN_SLOW_SHARE * rounds as f64
        && t.p_value < level / LOOKS
        && t.geometric > threshold
    {
        Share::Slow
    } else if t.slower >= 1 && t.p_value < 0.6 && t.geometric > threshold {
        Share::Emerging
    } else {
        Share::Clear
    };
    (share, t)
}

/// Most pairs of runs as users run a benchmark (`run::confirm::as_users_run`): a pair that
/// reads within what the rounds allow ends the check, so honest code costs one pair and code
/// that is slower only outside the gate's probes costs three.
pub(crate) const USER_RUN_PAIRS: usize = 3;

/// Whether one pair of runs as users run a benchmark (`[baseline, candidate]` medians, lower is
/// better) reads it slower than the rounds allow: its ratio beyond the rounds' upper bound
/// `rounds_high` by more than the threshold. A change the rounds measured honestly reads alike
/// in such a pair up to one process's noise; the threshold on top of the rounds' bound is that
/// noise's allowance.
pub(crate) fn beyond_rounds(pair: [f64; 2], rounds_high: f64, threshold: f64) -> bool {
    let [base, cand] = pair;
    base > 0.0 && cand.is_finite() && cand / base > (1.0 + rounds_high) * (1.0 + threshold)
}

/// Whether the pairs so far call for another: fewer than `USER_RUN_PAIRS`, and every one
/// beyond the rounds.
pub(crate) fn another_user_pair(pairs: &[[f64; 2]], rounds_high: f64, threshold: f64) -> bool {
    pairs.len() < USER_RUN_PAIRS && all_beyond_rounds(pairs, rounds_high, threshold)
}

/// Whether the code is slower as users run it than under the gate's probes: all
/// `USER_RUN_PAIRS` pairs beyond the rounds. Three single pairs of processes cannot give an
/// interval at the run's confidence, so this is a tripwire, not a measurement: it fails the
/// entry on a consistent disagreement, and the row says how it was read.
pub(crate) fn slower_as_users_run(pairs: &[[f64; 2]], rounds_high: f64, threshold: f64) -> bool {
    pairs.len() >= USER_RUN_PAIRS && all_beyond_rounds(pairs, rounds_high, threshold)
}

fn all_beyond_rounds(pairs: &[[f64; 2]], rounds_high: f64, threshold: f64) -> bool {
    pairs
        .iter()
        .all(|p| beyond_rounds(*p, rounds_high, threshold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_switch_rounds_are_not_counted() {
        // Twelve rounds near +3% and four rounds where the machine changed speed mid-round.
        let mut ratios: Vec<f64> = (0..12).map(|i| 1.03 + 0.002 * f64::from(i % 5)).collect();
        ratios.extend([1.75, 0.58, 1.8, 0.6]);
        let logs: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
        let read = paired_rounds(&logs);
        assert_eq!(read.counted, 12);
        assert!(read.low > 0.029 && read.high < 0.04, "{read:?}");
        assert!(read.p_value < 0.001, "{read:?}");
    }

    #[test]
    fn a_round_within_half_the_threshold_always_counts() {
        // Twelve quiet A/A rounds within ±0.3% and three 2% away: against 0 they are mode
        // switches (beyond 4 MADs and 1%); against a 5% threshold they count, and the interval
        // that holds them stays inside the band.
        let mut ratios: Vec<f64> = (0..12)
            .map(|i| 1.0 + 0.001 * f64::from(i % 7) - 0.003)
            .collect();
        ratios.extend([1.02, 0.98, 1.021]);
        let logs: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
        assert_eq!(paired_rounds_at(&logs, 0.05 / 20.0, 0.0).counted, 12);
        let read = paired_rounds_at(&logs, 0.05 / 20.0, 0.05);
        assert_eq!(read.counted, 15);
        assert_eq!(side_of(&read, 0.05), Side::Inside);
        // A machine's change of speed stays out whatever the threshold.
        let mut switched = logs.clone();
        switched.push(1.8f64.ln());
        assert_eq!(paired_rounds_at(&switched, 0.05 / 20.0, 0.05).counted, 15);
    }

    #[test]
    fn a_slow_path_in_a_share_of_processes_fills_one_tail_and_machine_noise_both() {
        use super::tails;
        // 48 rounds: 17 at 1.9x (a slow path in 35% of processes), the rest within ±1%.
        let mut mixture: Vec<f64> = (0..31)
            .map(|i| (1.0 + 0.01 * ((i % 5) as f64 - 2.0) / 2.0f64).ln())
            .collect();
        mixture.extend(std::iter::repeat_n(1.9f64.ln(), 17));
        let t = tails(&mixture, 0.05);
        assert_eq!((t.slower, t.faster), (17, 0));
        assert!(t.p_value < 1e-4, "{t:?}");
        assert!(t.mean > 0.25, "{t:?}");
        // The machine changing speed lands on either side alike: no one-sided tail.
        let mut noisy: Vec<f64> = (0..40).map(|_| 0.0).collect();
        noisy.extend([1.8f64.ln(), -(1.8f64.ln()), 1.6f64.ln(), -(1.7f64.ln())]);
        let t = tails(&noisy, 0.05);
        assert_eq!((t.slower, t.faster), (2, 2));
        assert!(t.p_value > 0.5, "{t:?}");
    }

    #[test]
    fn a_share_of_slow_processes_is_called_only_with_enough_one_sided_rounds() {
        let round = |r: f64| r.ln();
        // 48 rounds, 17 at 1.9x: called.
        let mut mixture: Vec<f64> = (0..31)
            .map(|i| round(1.0 + 0.002 * f64::from(i % 5)))
            .collect();
        mixture.extend(std::iter::repeat_n(round(1.9), 17));
        assert_eq!(slow_share(&mixture, 0.05, 0.05 / 3.0).0, Share::Slow);
        // 16 rounds, 5 at 1.9x: not yet, but more rounds are worth taking; so is one at 1.9x
        // in 10.
        let early: Vec<f64> = mixture[..11]
            .iter()
            .copied()
            .chain(std::iter::repeat_n(round(1.9), 5))
            .collect();
        assert_eq!(slow_share(&early, 0.05, 0.05 / 3.0).0, Share::Emerging);
        let first: Vec<f64> = mixture[..9].iter().copied().chain([round(1.9)]).collect();
        assert_eq!(slow_share(&first, 0.05, 0.05 / 3.0).0, Share::Emerging);
        // Six slow far rounds and none fast in 48 (a loaded machine's unchanged benchmark once):
        // not called.
        let mut loaded: Vec<f64> = (0..42)
            .map(|i| round(1.0 + 0.002 * f64::from(i % 5)))
            .collect();
        loaded.extend(std::iter::repeat_n(round(1.3), 6));
        assert_ne!(slow_share(&loaded, 0.05, 0.05 / 3.0).0, Share::Slow);
        // Far rounds on both sides: clear.
        let mut both: Vec<f64> = (0..40).map(|_| 0.0).collect();
        both.extend([round(1.8), round(1.0 / 1.8), round(1.7), round(1.0 / 1.6)]);
        assert_eq!(slow_share(&both, 0.05, 0.05 / 3.0).0, Share::Clear);
    }

    #[test]
    fn runs_as_users_run_fail_only_when_every_pair_is_beyond_the_rounds() {
        use super::{another_user_pair, beyond_rounds, slower_as_users_run};
        // Rounds read +1% at most; the threshold is 5%: a pair must exceed 1.01 * 1.05.
        assert!(!beyond_rounds([100.0, 106.0], 0.01, 0.05));
        assert!(beyond_rounds([100.0, 106.1], 0.01, 0.05));
        assert!(!beyond_rounds([0.0, 106.1], 0.01, 0.05));
        assert!(!beyond_rounds([100.0, f64::NAN], 0.01, 0.05));
        let slow = [100.0, 130.0];
        let honest = [100.0, 102.0];
        // One honest pair ends it; a slow one asks for another, up to three.
        assert!(another_user_pair(&[], 0.01, 0.05));
        assert!(!another_user_pair(&[honest], 0.01, 0.05));
        assert!(another_user_pair(&[slow, slow], 0.01, 0.05));
        assert!(!another_user_pair(&[slow, slow, slow], 0.01, 0.05));
        assert!(slower_as_users_run(&[slow, slow, slow], 0.01, 0.05));
        assert!(!slower_as_users_run(&[slow, slow], 0.01, 0.05));
        assert!(!slower_as_users_run(&[slow, honest, slow], 0.01, 0.05));
        // Faster as users run it is no failure.
        assert!(!slower_as_users_run(&[[130.0, 100.0]; 3], 0.01, 0.05));
    }
}
