//! The confirm stage: runs baseline and candidate bench processes alternately, in rounds with
//! a random order, for each flagged benchmark, the baseline's executable checked before each of
//! its processes (`base_side` builds and owns it). Returns the paired per-round figures;
//! `compare` decides what they mean. No git here. When a benchmark's rounds stop is `stop`'s.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use perfgate_format::{Benchmark, Confirmation, Direction};
use rand::seq::SliceRandom;

use super::base_side::{relocate, BaselineBuild};
use super::{criterion, divan, gungraun, Executables, Progress};
use crate::artifacts::OutDir;
use crate::error::Result;
use crate::stats;
use crate::workspace::{BenchTarget, Harness, Workspace};

mod stop;

pub use stop::{
    another_round_fits, first_look, level, settled, FIRST_ROUNDS, MAX_ROUNDS,
    MAX_SECONDS_PER_BENCHMARK, MAX_SUITE_ROUNDS, MODE_SWITCHES, MORE_ROUNDS,
};
use stop::{is_look, max_rounds};

/// Most criterion benchmarks re-measured together: one process per side per round measures
/// them all (a round of 20 probes costs about 3 s).
pub const BATCH: usize = 20;

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

/// What the rounds of one batch gave: each benchmark's `[baseline, candidate]` medians by
/// round, the seconds until its verdict settled (its share of the batch's processes), why the
/// time bound cut it short, and the benchmarks that could not be measured, with the reason.
#[derive(Default)]
struct BatchRounds {
    medians: BTreeMap<String, Vec<[f64; 2]>>,
    seconds: BTreeMap<String, f64>,
    bounded: BTreeMap<String, String>,
    failed: BTreeMap<String, String>,
    /// The candidate's figure of each benchmark as its first process reported it (unit, kind,
    /// throughput): the shape of the entry its rounds make (`Confirmed::candidate`).
    shape: BTreeMap<String, Benchmark>,
}

/// The rounds of a batch: the flagged benchmarks of one bench target, measured together by one
/// baseline and one candidate process per round, in random order, each process filtered to the
/// benchmarks still open. A benchmark leaves the batch when its rounds settle its verdict (looks
/// at `first_look`, then every `MORE_ROUNDS`), at `MAX_ROUNDS`, or when the batch's time bound
/// (`MAX_SECONDS_PER_BENCHMARK` per benchmark) is spent. `sides` are (executable, target) of
/// the baseline, then the candidate; the baseline's executable is taken from `baseline`,
/// checked before each of its processes (an error there ends the stage).
fn batch_rounds(
    items: &[&Flagged],
    sides: [(&Path, &BenchTarget); 2],
    baseline: &mut BaselineBuild,
    budget_left: f64,
    out: &OutDir,
    timeout: Duration,
    rng: &mut impl rand::Rng,
) -> Result<BatchRounds> {
    let mut result = BatchRounds::default();
    let own = |item: &Flagged| super::own_id(item.id, sides[1].1).to_string();
    let mut open: Vec<&Flagged> = items.to_vec();
    // A stability suite at its own length is bounded by the confirm budget alone: its rounds
    // take what its scenarios take, and what the budget cannot fit stays unconfirmed.
    let full_length = sides[1].1.harness == Harness::Stability && !items.iter().all(|i| i.quick);
    let bound = if full_length {
        budget_left
    } else {
        (MAX_SECONDS_PER_BENCHMARK * items.len() as f64).min(budget_left)
    };
    let label = format!("{}::{}", sides[1].1.package, sides[1].1.name);
    let begun = Instant::now();
    let mut slowest_round = 0.0f64;
    let last_round = max_rounds(sides[1].1.harness);
    for round in 0..=last_round {
        let elapsed = begun.elapsed().as_secs_f64();
        let out_of_time = round > 0 && !another_round_fits(elapsed, slowest_round, bound);
        open.retain(|item| {
            let ratios = log_ratios(
                result.medians.get(item.id).map_or(&[][..], |m| m),
                item.points,
            );
            let settles = settles_at(round, item, &ratios);
            let done = round == last_round || out_of_time || settles;
            if done {
                result
                    .seconds
                    .insert(item.id.to_string(), elapsed / items.len() as f64);
            }
            if out_of_time {
                let bound = TimeBound {
                    seconds: bound,
                    benchmarks: items.len(),
                    slowest_round,
                };
                result.note_time_bound(item, &ratios, round, settles, bound);
            }
            !done
        });
        if open.is_empty() {
            break;
        }
        let round_begun = Instant::now();
        let ids: Vec<String> = open.iter().map(|item| own(item)).collect();
        let mut order = [0usize, 1];
        order.shuffle(rng);
        let mut medians: BTreeMap<String, [f64; 2]> = BTreeMap::new();
        for side in order {
            let name = if side == 0 { "baseline" } else { "candidate" };
            let (exe, target) = sides[side];
            let checked;
            let exe = if side == 0 {
                checked = baseline.verified(&(target.package.clone(), target.name.clone()))?;
                checked.as_path()
            } else {
                exe
            };
            let run = (label.as_str(), round, name, !full_length);
            let found = match run_side(target, exe, &ids, run, out, timeout) {
                Ok(found) => found,
                Err(message) => {
                    for item in open.drain(..) {
                        result
                            .failed
                            .insert(item.id.to_string(), format!("{name} side: {message}"));
                    }
                    return Ok(result);
                }
            };
            open.retain(|item| result.pair(item, &own(item), &found, side, &mut medians));
        }
        for item in &open {
            if let Some(pair) = medians.get(item.id) {
                result
                    .medians
                    .entry(item.id.to_string())
                    .or_default()
                    .push(*pair);
            }
        }
        slowest_round = slowest_round.max(round_begun.elapsed().as_secs_f64());
    }
    Ok(result)
}

/// The time bound a batch's rounds ran under, for the words of a benchmark it stopped.
struct TimeBound {
    seconds: f64,
    benchmarks: usize,
    slowest_round: f64,
}

impl BatchRounds {
    /// Why a benchmark's rounds stopped at the time bound: no verdict when too few rounds
    /// counted for an interval at its confidence (`failed`), else, unless they had settled, a
    /// verdict on fewer rounds than the rule wanted (`bounded`).
    fn note_time_bound(
        &mut self,
        item: &Flagged,
        ratios: &[f64],
        round: usize,
        settles: bool,
        bound: TimeBound,
    ) {
        let TimeBound {
            seconds,
            benchmarks,
            slowest_round,
        } = bound;
        let needed = stats::min_values_for_interval(item.level);
        // Rounds left out as mode switches give no interval, as in `settled`.
        let counted = stats::paired_rounds_at(ratios, item.level, item.threshold).counted;
        if counted < needed {
            self.failed.insert(
                item.id.to_string(),
                format!(
                    "only {counted} counted round(s) fit in the time bound ({seconds:.0} s for {benchmarks} benchmark(s)): {needed} are needed for an interval at {:.1}%; one round took up to {slowest_round:.1} s (does the benchmark set its own measurement time in code?) — raise --confirm-budget or shorten the benchmark's own measurement time",
                    (1.0 - item.level) * 100.0
                ),
            );
        } else if !settles {
            self.bounded.insert(
                item.id.to_string(),
                format!(
                    "rounds stopped at {round} by the time bound ({seconds:.0} s for {benchmarks} benchmark(s), within the confirm budget): one round took up to {slowest_round:.1} s"
                ),
            );
        }
    }

    /// Takes one side's figure of `item` (its own id `wanted`) from what that side's process
    /// reported into this round's `medians`; a benchmark the side does not have leaves the
    /// batch as failed (returns false).
    fn pair(
        &mut self,
        item: &Flagged,
        wanted: &str,
        found: &[Benchmark],
        side: usize,
        medians: &mut BTreeMap<String, [f64; 2]>,
    ) -> bool {
        let name = if side == 0 { "baseline" } else { "candidate" };
        match found.iter().find(|b| b.id == wanted) {
            Some(b) => {
                medians.entry(item.id.to_string()).or_insert([f64::NAN; 2])[side] =
                    b.summary.median;
                if side == 1 && !self.shape.contains_key(item.id) {
                    self.shape.insert(item.id.to_string(), b.clone());
                }
                true
            }
            None => {
                self.failed.insert(
                    item.id.to_string(),
                    format!("the {name} build does not have this benchmark"),
                );
                false
            }
        }
    }
}

/// Whether a benchmark's rounds stop at this round with a verdict: at a look, when the rule
/// settles, or when every round so far had a figure of 0 on one side (an allocation where there
/// was none: more rounds would give no ratio either).
fn settles_at(round: usize, item: &Flagged, ratios: &[f64]) -> bool {
    let incomparable = !ratios.is_empty() && ratios.iter().all(|r| r.is_nan());
    is_look(round, first_look(item.level))
        && (incomparable
            || settled(
                ratios,
                item.threshold,
                item.level,
                (!item.points).then_some(item.direction),
            ))
}

/// One side's process of a round: the flagged criterion benchmarks alone (an exact filter, probe
/// measurements), the flagged divan benchmarks alone (one process, its medians), or a stability
/// suite's flagged scenarios (one figure per metric per process), in its quick mode when
/// `quick`, else each at its own length.
fn run_side(
    target: &BenchTarget,
    executable: &Path,
    ids: &[String],
    (label, round, name, quick): (&str, usize, &str, bool),
    out: &OutDir,
    timeout: Duration,
) -> std::result::Result<Vec<perfgate_format::Benchmark>, String> {
    match target.harness {
        crate::workspace::Harness::Criterion => {
            let escaped: Vec<String> = ids.iter().map(|id| regex::escape(id)).collect();
            let filter = format!("^(?:{})$", escaped.join("|"));
            let args = criterion::arguments(
                target.harness_version.as_ref(),
                Some(&filter),
                criterion::Measurement::Probe,
            );
            let home = out.confirm_home(label, round, name);
            let log = out.log(&format!("confirm-{label}-{round}-{name}"));
            criterion::run(target, executable, &home, &args, timeout, &log)
        }
        crate::workspace::Harness::Stability => {
            let mut scenarios: Vec<&str> = ids
                .iter()
                .map(|id| {
                    id.rsplit_once('/')
                        .map_or(id.as_str(), |(scenario, _)| scenario)
                })
                .collect();
            scenarios.sort_unstable();
            scenarios.dedup();
            let filter = (scenarios.len() == 1).then(|| scenarios[0]);
            super::stability::run(target, executable, filter, &scenarios, quick, timeout, out)
        }
        crate::workspace::Harness::Gungraun => {
            // One counting process per side: the round's figures are its counts.
            let home = out.confirm_home(label, round, name);
            let log = out.log(&format!("confirm-{label}-{round}-{name}"));
            gungraun::run(target, executable, Some(ids), &home, timeout, &log)
        }
        crate::workspace::Harness::Divan => {
            // One process with the benchmarks' own settings: its medians are the round's.
            let log = out.log(&format!("confirm-{label}-{round}-{name}"));
            divan::run(
                target,
                executable,
                Some(ids),
                divan::Measurement::Probe,
                timeout,
                &log,
            )
        }
    }
}

/// Each round's candidate/baseline log-ratio; in points, `ln(1 + d)` of the round's difference
/// `d`: a monotone map, so the median, the order-statistic interval and the halves that
/// `stats::paired_rounds_at` reads back through `exp(·) - 1` are the differences' own. Two equal
/// figures are no change (a count at 0 on both sides); a ratio to or from 0 has no value (NaN):
/// such rounds are not counted, and a metric with no counted round is not judged.
fn log_ratios(medians_by_round: &[[f64; 2]], points: bool) -> Vec<f64> {
    medians_by_round
        .iter()
        .map(|&[base, cand]| {
            if points {
                (cand - base).ln_1p()
            } else if base == cand {
                0.0
            } else if base > 0.0 && cand > 0.0 {
                (cand / base).ln()
            } else {
                f64::NAN
            }
        })
        .collect()
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

/// A benchmark's candidate side of its rounds as a measurement: the figure its process
/// reported, with one sample per round (that round's candidate median). None without a round.
fn candidate_side(item: &Flagged, batch: &BatchRounds) -> Option<Benchmark> {
    let samples: Vec<f64> = batch
        .medians
        .get(item.id)?
        .iter()
        .map(|pair| pair[1])
        .filter(|v| v.is_finite())
        .collect();
    if samples.is_empty() {
        return None;
    }
    let mut measurement = batch.shape.get(item.id)?.clone();
    measurement.id = item.id.to_string();
    measurement.package = item.target.package.clone();
    measurement.target = item.target.name.clone();
    measurement.summary = stats::summary(&samples);
    measurement.samples = samples;
    Some(measurement)
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
