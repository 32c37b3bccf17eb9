//! When a benchmark's rounds stop: the first look and the looks after it, the most rounds and
//! seconds a benchmark gets, and the stop rule itself (`settled`), which reads the rounds as
//! the verdict will (`stats::rounds`), so the rounds stop exactly when the verdict is settled.

use perfgate_format::Direction;

use crate::stats;
use crate::workspace::Harness;

/// Fewest rounds before the first look. The first look comes once the rounds can give an
/// interval at the benchmark's own confidence with `MODE_SWITCHES` of them left out
/// (`first_look`): at 10 rounds a single flag's 95% interval uses the 2nd-from-each-end bounds;
/// 20 flags' 99.75% ones need 10 counted rounds, so their first look is at 12. A clear change or
/// a clear no-change settles there; anything else takes more rounds.
pub const FIRST_ROUNDS: usize = 10;
/// Rounds the first look allows to be left out as mode switches (on a quiet machine an A/A
/// benchmark loses 1-2 of 16 rounds that way).
pub(crate) const MODE_SWITCHES: usize = 2;
/// Rounds added at each further look while the verdict is still open.
pub(crate) const MORE_ROUNDS: usize = 8;
/// Most rounds for one benchmark (a bimodal benchmark needs more processes to settle): an
/// interval still across the threshold gets rounds while the time bound and the confirm budget
/// allow, rather than giving up as `inconclusive` (which is not a pass).
pub(crate) const MAX_ROUNDS: usize = 144;
/// Most rounds for a stability suite's metrics: each round runs the suite twice (~2 s a
/// process), so more would spend minutes where criterion's probes spend seconds.
pub(crate) const MAX_SUITE_ROUNDS: usize = 48;

/// The most rounds a batch of this harness gets.
pub(super) fn max_rounds(harness: Harness) -> usize {
    match harness {
        Harness::Criterion | Harness::Divan | Harness::Gungraun => MAX_ROUNDS,
        Harness::Stability => MAX_SUITE_ROUNDS,
    }
}

/// Wall time one benchmark's rounds may take. A probe process lasts about 0.1 s; a benchmark
/// that sets its own measurement time in code (criterion lets that beat the command line), or a
/// criterion 0.3 one (whole seconds only), lasts seconds per process and would otherwise take up
/// to `MAX_ROUNDS` × 2 of them.
pub(crate) const MAX_SECONDS_PER_BENCHMARK: f64 = 90.0;

/// The round of the first look for a benchmark judged at miss rate `level`: `FIRST_ROUNDS`, or
/// as many as an interval at that level needs with `MODE_SWITCHES` rounds left out, when that is
/// more.
pub(crate) fn first_look(level: f64) -> usize {
    FIRST_ROUNDS.max(stats::min_values_for_interval(level) + MODE_SWITCHES)
}

/// Whether the rounds made so far are a look at a benchmark whose first look is `first`: the
/// first look, then every `MORE_ROUNDS`.
pub(super) fn is_look(round: usize, first: usize) -> bool {
    round >= first && (round - first).is_multiple_of(MORE_ROUNDS)
}

/// Whether another round fits in `bound` seconds, a round costing as much as the slowest so
/// far. The rounds made are judged as usual (fewer rounds, a wider interval) when there are
/// enough for an interval at the verdict's confidence; otherwise the flag stays unconfirmed.
pub(crate) fn another_round_fits(elapsed: f64, slowest_round: f64, bound: f64) -> bool {
    elapsed + slowest_round <= bound
}

/// Whether the rounds so far settle a verdict against `±threshold`: their interval at
/// `1 - level` (and both halves) clear of `+threshold` or of `-threshold`, or inside the band,
/// unless the far tails are filling one-sidedly (`stats::Share::Emerging`: more rounds tell a
/// slow path in a share of processes from chance), or a slowdown in a share of processes is
/// called (`stats::Share::Slow`). `worse` is the direction that is worse, `None` for a
/// fraction (compared in points, where no share is read). The same readings decide the
/// verdict in `compare`, so the rounds stop exactly when the verdict is settled. Rounds left
/// out as mode switches do not count: with fewer counted rounds than an interval at
/// `1 - level` needs, nothing is settled yet.
pub fn settled(log_ratios: &[f64], threshold: f64, level: f64, worse: Option<Direction>) -> bool {
    let read = stats::paired_rounds_at(log_ratios, level, threshold);
    if read.counted < stats::min_values_for_interval(level) {
        return false;
    }
    let side = stats::side_of(&read, threshold);
    let Some(direction) = worse else {
        return side != stats::Side::Straddles;
    };
    let oriented = stats::oriented(log_ratios, direction);
    match stats::slow_share(&oriented, threshold, level).0 {
        stats::Share::Slow => true,
        stats::Share::Emerging => side == stats::worse_side(direction),
        stats::Share::Clear => side != stats::Side::Straddles,
    }
}

/// `alpha` over `count` re-measured benchmarks: the level each needs to be significant alone.
pub fn level(alpha: f64, count: usize) -> f64 {
    alpha / count.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::{
        another_round_fits, first_look, is_look, settled, FIRST_ROUNDS, MAX_ROUNDS,
        MAX_SECONDS_PER_BENCHMARK,
    };
    use crate::stats;
    use perfgate_format::Direction;

    #[test]
    fn rounds_stop_when_the_next_would_pass_the_time_bound() {
        // Probe-length rounds: the bound never binds before MAX_ROUNDS.
        let bound = MAX_SECONDS_PER_BENCHMARK;
        assert!(another_round_fits(0.3 * MAX_ROUNDS as f64, 0.3, bound));
        // 2 s processes (4.2 s rounds): at most 21 rounds fit instead of 48.
        let fitting = (0..MAX_ROUNDS)
            .take_while(|&r| another_round_fits(r as f64 * 4.2, 4.2, bound))
            .count();
        assert_eq!(fitting, 21);
    }

    /// `n` rounds at `change` with a deterministic ±`spread` wobble, as log-ratios.
    fn rounds(n: usize, change: f64, spread: f64) -> Vec<f64> {
        (0..n)
            .map(|i| (1.0 + change + spread * ((i * 7 % 11) as f64 / 5.0 - 1.0)).ln())
            .collect()
    }

    #[test]
    fn a_clear_regression_or_a_clear_pass_stops_the_rounds() {
        assert!(settled(
            &rounds(16, 0.05, 0.01),
            0.02,
            0.05 / 3.0,
            Some(Direction::LowerIsBetter)
        ));
        assert!(settled(
            &rounds(16, 0.0, 0.005),
            0.02,
            0.05 / 3.0,
            Some(Direction::LowerIsBetter)
        ));
    }

    #[test]
    fn a_change_near_the_threshold_asks_for_more_rounds() {
        assert!(!settled(
            &rounds(16, 0.015, 0.03),
            0.02,
            0.05 / 3.0,
            Some(Direction::LowerIsBetter)
        ));
        // Beyond the threshold but not yet significant at the level it must reach.
        assert!(!settled(
            &rounds(16, 0.04, 0.06),
            0.02,
            0.05 / 300.0,
            Some(Direction::LowerIsBetter)
        ));
    }

    #[test]
    fn the_first_look_comes_once_an_interval_at_the_flags_own_confidence_is_possible() {
        // One flag at 95% needs 6 counted rounds, 20 at 99.75% each 10, 300 at 99.98% each 14;
        // the first look leaves room for two mode switches.
        assert_eq!(first_look(0.05), FIRST_ROUNDS);
        assert_eq!(first_look(0.05 / 20.0), 12);
        assert_eq!(first_look(0.05 / 300.0), 16);
        let looks: Vec<usize> = (0..=48).filter(|&r| is_look(r, 12)).collect();
        assert_eq!(looks, [12, 20, 28, 36, 44]);
        assert!(is_look(MAX_ROUNDS - 4, 12) && MAX_ROUNDS >= 144);
        // A clear regression settles at the first look of 20 flags.
        assert!(settled(
            &rounds(12, 0.3, 0.02),
            0.05,
            0.05 / 20.0,
            Some(Direction::LowerIsBetter)
        ));
    }

    #[test]
    fn rounds_left_out_as_mode_switches_do_not_count_towards_a_verdict() {
        // Ten rounds, one of them a mode switch (+80%): nine counted, fewer than the ten an
        // interval at 99.75% needs, so the rounds go on.
        let mut ratios = rounds(9, 0.3, 0.02);
        ratios.push(1.8f64.ln() + 0.3f64.ln_1p());
        assert_eq!(
            stats::paired_rounds_at(&ratios, 0.05 / 20.0, 0.05).counted,
            9
        );
        assert!(!settled(
            &ratios,
            0.05,
            0.05 / 20.0,
            Some(Direction::LowerIsBetter)
        ));
        assert!(settled(
            &rounds(10, 0.3, 0.02),
            0.05,
            0.05 / 20.0,
            Some(Direction::LowerIsBetter)
        ));
    }

    #[test]
    fn a_quiet_no_change_with_a_few_rounds_two_percent_off_settles_at_the_first_look() {
        // Nine rounds within ±0.2% and three 2% away, one of 20 flags against 5%: the three
        // count (within half the threshold), so the first look at 12 settles `Inside`.
        let mut ratios = rounds(9, 0.0, 0.002);
        ratios.extend([1.02f64.ln(), 0.98f64.ln(), 1.021f64.ln()]);
        assert_eq!(ratios.len(), first_look(0.05 / 20.0));
        assert!(settled(
            &ratios,
            0.05,
            0.05 / 20.0,
            Some(Direction::LowerIsBetter)
        ));
        // Against a 2% threshold the same rounds are as far out as the threshold: not settled.
        assert!(!settled(
            &ratios,
            0.02,
            0.05 / 20.0,
            Some(Direction::LowerIsBetter)
        ));
    }
}
