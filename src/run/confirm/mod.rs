//! The confirm stage: runs baseline and candidate bench processes alternately, in rounds with
//! a random order, for each flagged benchmark, the baseline's executable checked before each of
//! its processes (`base_side` builds and owns it). Returns the paired per-round figures;
//! `compare` decides what they mean. No git here. One batch's rounds are `batch`'s; when a
//! benchmark's rounds stop is `stop`'s; the runs as users run a benchmark that check a pull
//! request's rounds are `as_users_run`'s.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use perfgate_format::{Benchmark, Confirmation, Direction};

use super::base_side::{relocate, BaselineBuild};
use super::{Executables, Progress};
use crate::artifacts::OutDir;
use crate::error::Result;
use crate::stats;
use crate::workspace::{BenchTarget, Harness, Workspace};

mod as_users_run;
mod batch;
mod stop;

pub(crate) use as_users_run::{check as check_as_users_run, Setting as AsUsersRun};
use batch::{batch_rounds, candidate_side, log_ratios, BatchRounds};
pub(crate) use stop::first_look;
pub use stop::{level, settled, FIRST_ROUNDS};

/// Most criterion benchmarks re-measured together: one process per side per round measures
/// them all (a round of 20 probes costs about 3 s).
pub(crate) const BATCH: usize = 20;

/// One benchmark to re-measure.
pub struct Flagged<'a> {
    pub id: &'a str,
    pub target: &'a BenchTarget,
    /// The relative threshold the verdict will be judged against.
    pub threshold: f64,
    /// The miss rate of this benchmark's interval: alpha over the number re-measured together
    /// (Bonferroni), so the run's intervals hold jointly.
    pub level: f64,
    /// Whether the metric is compared in points (a fraction): each round's difference rather
    /// than its ratio.
    pub points: bool,
    /// Which way is worse: a slowdown in a share of processes fills that tail only.
    pub direction: Direction,
    /// Whether a stability suite's rounds run in its quick mode (the run being confirmed did);
    /// otherwise each flagged scenario runs at its own length, as the stored figure was
    /// measured, so an effect that needs time to show (a soak's drift) shows in the rounds too.
    pub quick: bool,
}

/// What the rounds gave: the re-measured benchmarks, those that could not be (with the
/// reason), and each benchmark's candidate side as a measurement of its own: one sample per
/// round, the median of that round's candidate process (in a pull request the rounds are the
/// candidate's run).
#[derive(Default)]
pub struct Confirmed {
    pub confirmations: BTreeMap<String, Confirmation>,
    pub failures: BTreeMap<String, String>,
    pub candidate: BTreeMap<String, Benchmark>,
}

/// Re-measures the flagged benchmarks in alternating rounds, one batch per bench target. A
/// benchmark whose side fails to run is left out (and so stays unconfirmed), with the reason in
/// the returned map. A baseline executable that changed twice after its build is an error.
pub fn confirm(
    workspace: &Workspace,
    baseline: &mut BaselineBuild,
    candidate: &Executables,
    flagged: &[Flagged],
    out: &OutDir,
    timeout: Duration,
    budget: Duration,
) -> Result<Confirmed> {
    let begun = Instant::now();
    let mut stage = Confirmed::default();
    let progress = Progress::new(flagged.len());
    let mut rng = rand::thread_rng();
    // Seconds one benchmark's round has cost so far (both sides), to tell whether the budget
    // left fits another batch's first look.
    let mut per_benchmark_round: Option<f64> = None;
    for (key, items) in batches(flagged) {
        let left = budget.as_secs_f64() - begun.elapsed().as_secs_f64();
        let rounds = items.iter().map(|item| first_look(item.level)).max();
        let needed = per_benchmark_round
            .zip(rounds)
            .map_or(0.0, |(cost, rounds)| cost * (rounds * items.len()) as f64);
        if left <= 0.0 || needed > left {
            for item in items {
                stage.failures.insert(
                    item.id.to_string(),
                    format!(
                        "the confirm budget ({}) was spent on larger flags before this one; raise --confirm-budget or gate.confirm_budget",
                        humantime::format_duration(budget)
                    ),
                );
            }
            continue;
        }
        progress.start(&format!(
            "confirming {} benchmark(s) of {}/{} against {}",
            items.len(),
            key.0,
            key.1,
            baseline.short()
        ));
        let target = items[0].target;
        let baseline_target = baseline
            .targets
            .iter()
            .find(|t| t.package == key.0 && t.name == key.1)
            .cloned()
            .unwrap_or_else(|| relocate(target, &workspace.root, &baseline.root));
        let (true, Some(cand_exe)) = (baseline.has(&key), candidate.get(&key)) else {
            for item in items {
                stage.failures.insert(
                    item.id.to_string(),
                    "no executable for one side".to_string(),
                );
            }
            continue;
        };
        let sides = [
            (cand_exe.as_path(), &baseline_target),
            (cand_exe.as_path(), target),
        ];
        let batch_begun = Instant::now();
        let batch = batch_rounds(&items, sides, baseline, left, out, timeout, &mut rng)?;
        let benchmark_rounds: usize = batch.medians.values().map(Vec::len).sum();
        if benchmark_rounds > 0 {
            let cost = batch_begun.elapsed().as_secs_f64() / benchmark_rounds as f64;
            per_benchmark_round = Some(per_benchmark_round.map_or(cost, |c| c.max(cost)));
        }
        for item in &items {
            if let Some(measurement) = candidate_side(item, &batch) {
                stage.candidate.insert(item.id.to_string(), measurement);
            }
        }
        for item in items {
            stage.take(item, &batch, &baseline.commit, &progress);
        }
    }
    progress.done();
    Ok(stage)
}

impl Confirmed {
    /// A benchmark's outcome of its batch's rounds: its confirmation, or why there is none
    /// (the batch's failure, or no round that could be compared), said on the progress line.
    fn take(&mut self, item: &Flagged, batch: &BatchRounds, commit: &str, progress: &Progress) {
        if let Some(problem) = batch.failed.get(item.id) {
            progress.finish_one(&format!("{}: could not confirm: {problem}", item.id));
            self.failures.insert(item.id.to_string(), problem.clone());
            return;
        }
        if let Some(why) = batch.bounded.get(item.id) {
            eprintln!("warning: {}: {why}", item.id);
        }
        let medians_by_round = batch.medians.get(item.id).cloned().unwrap_or_default();
        let seconds = batch.seconds.get(item.id).copied().unwrap_or(0.0);
        let confirmation = confirmation_of(item, &medians_by_round, commit, seconds);
        if confirmation.counted == 0 {
            // Rounds that cannot be compared (a figure of 0 on one side) are no verdict.
            let why = format!(
                "none of its {} round(s) could be compared (a figure of 0 on one side: a relative change from 0 has no size); give this metric a budget",
                confirmation.rounds
            );
            progress.finish_one(&format!("{}: could not confirm: {why}", item.id));
            self.failures.insert(item.id.to_string(), why);
            return;
        }
        let unit = if item.points { " pp" } else { "%" };
        progress.finish_one(&format!(
            "{}: {:+.1}{unit} [{:+.1}{unit}, {:+.1}{unit}] over {} of {} rounds, {:.1}s",
            item.id,
            confirmation.change * 100.0,
            confirmation.change_low * 100.0,
            confirmation.change_high * 100.0,
            confirmation.counted,
            confirmation.rounds,
            confirmation.seconds
        ));
        self.confirmations.insert(item.id.to_string(), confirmation);
    }
}

/// The batches the flags are re-measured in, in the flags' order (largest and most certain
/// first): the flags of one bench target, at most `BATCH` of them for a criterion target (a
/// round of a batch runs all its open benchmarks, so a batch of hundreds would spend the budget
/// before any of them had the rounds for a verdict); a stability suite's flags in one batch
/// (its process measures every metric at once).
fn batches<'a>(flagged: &'a [Flagged<'a>]) -> Vec<((String, String), Vec<&'a Flagged<'a>>)> {
    let mut batches: Vec<((String, String), Vec<&Flagged>)> = Vec::new();
    for item in flagged {
        let key = (item.target.package.clone(), item.target.name.clone());
        let limit = match item.target.harness {
            Harness::Criterion | Harness::Divan | Harness::Gungraun => BATCH,
            Harness::Stability => usize::MAX,
        };
        match batches
            .iter_mut()
            .find(|(k, items)| k == &key && items.len() < limit)
        {
            Some((_, items)) => items.push(item),
            None => batches.push((key, vec![item])),
        }
    }
    batches
}

/// The confirmation one benchmark's rounds make.
fn confirmation_of(
    item: &Flagged,
    medians_by_round: &[[f64; 2]],
    baseline_commit: &str,
    seconds: f64,
) -> Confirmation {
    let log_ratios = log_ratios(medians_by_round, item.points);
    let side_median =
        |side: usize| stats::median(&medians_by_round.iter().map(|m| m[side]).collect::<Vec<_>>());
    let read = stats::paired_rounds_at(&log_ratios, item.level, item.threshold);
    Confirmation {
        baseline_commit: baseline_commit.to_string(),
        rounds: log_ratios.len(),
        counted: read.counted,
        change: read.change,
        change_low: read.low,
        change_high: read.high,
        confidence: 1.0 - item.level,
        halves: Some(read.halves),
        medians: Some([side_median(0), side_median(1)]),
        stored_medians: None,
        p_value: read.p_value,
        // The benchmark's share of its batch's wall time until its verdict settled.
        seconds,
        ratios: log_ratios
            .iter()
            .map(|r| if item.points { r.exp_m1() } else { r.exp() })
            .collect(),
        points: item.points,
        candidate_rounds: medians_by_round.iter().map(|m| m[1]).collect(),
        quick: item.target.harness == crate::workspace::Harness::Stability && item.quick,
        as_users_run: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{batches, log_ratios, Flagged, BATCH};
    use crate::workspace::{BenchTarget, Harness};
    use perfgate_format::Direction;

    #[test]
    fn criterion_flags_go_in_batches_of_at_most_twenty_in_their_order_and_a_suite_in_one() {
        let target = |name: &str, harness| BenchTarget {
            package: "p".into(),
            name: name.into(),
            harness,
            harness_version: None,
            package_root: "/p".into(),
        };
        let core = target("core", Harness::Criterion);
        let suite = target("stability", Harness::Stability);
        let ids: Vec<String> = (0..50).map(|i| format!("b{i:02}")).collect();
        let flagged: Vec<Flagged> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| Flagged {
                id,
                target: if i % 10 == 3 { &suite } else { &core },
                threshold: 0.05,
                level: 0.001,
                points: false,
                direction: Direction::LowerIsBetter,
                quick: true,
            })
            .collect();
        let shape: Vec<(String, usize)> = batches(&flagged)
            .iter()
            .map(|((_, name), items)| (name.clone(), items.len()))
            .collect();
        let expected = [("core", 20), ("stability", 5), ("core", 20), ("core", 5)];
        assert_eq!(
            shape,
            expected.map(|(n, k)| (n.to_string(), k)).to_vec(),
            "{shape:?}"
        );
        // The largest flags (first in the list) are in the first batch.
        let first = &batches(&flagged)[0].1;
        assert_eq!(first[0].id, "b00");
        assert_eq!(first.len(), BATCH);
    }

    #[test]
    fn equal_figures_are_no_change_and_a_ratio_from_zero_is_not_counted() {
        let rounds = [[0.0, 0.0], [2.0, 3.0], [0.0, 5.0], [4.0, 0.0]];
        let relative = log_ratios(&rounds, false);
        assert_eq!(relative[0], 0.0);
        assert!((relative[1] - 1.5f64.ln()).abs() < 1e-12);
        assert!(relative[2].is_nan() && relative[3].is_nan());
        // In points each round is its difference, through ln(1 + d).
        let points = log_ratios(&[[0.01, 0.03]], true);
        assert!((points[0].exp_m1() - 0.02).abs() < 1e-12);
    }
}
