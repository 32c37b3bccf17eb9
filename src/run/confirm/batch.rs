//! One batch's rounds: the flagged benchmarks of one bench target, measured together by one
//! baseline and one candidate process per round in random order, until each one's rounds stop.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use perfgate_format::Benchmark;
use rand::seq::SliceRandom;

use super::stop::{
    another_round_fits, first_look, is_look, max_rounds, settled, MAX_SECONDS_PER_BENCHMARK,
};
use super::Flagged;
use crate::artifacts::OutDir;
use crate::error::Result;
use crate::run::base_side::BaselineBuild;
use crate::run::{criterion, divan, gungraun};
use crate::stats;
use crate::workspace::{BenchTarget, Harness};

/// What the rounds of one batch gave: each benchmark's `[baseline, candidate]` medians by
/// round, the seconds until its verdict settled (its share of the batch's processes), why the
/// time bound cut it short, and the benchmarks that could not be measured, with the reason.
#[derive(Default)]
pub(super) struct BatchRounds {
    pub(super) medians: BTreeMap<String, Vec<[f64; 2]>>,
    pub(super) seconds: BTreeMap<String, f64>,
    pub(super) bounded: BTreeMap<String, String>,
    pub(super) failed: BTreeMap<String, String>,
    /// The candidate's figure of each benchmark as its first process reported it (unit, kind,
    /// throughput): the shape of the entry its rounds make (`Confirmed::candidate`).
    pub(super) shape: BTreeMap<String, Benchmark>,
}

/// The rounds of a batch: the flagged benchmarks of one bench target, measured together by one
/// baseline and one candidate process per round, in random order, each process filtered to the
/// benchmarks still open. A benchmark leaves the batch when its rounds settle its verdict (looks
/// at `first_look`, then every `MORE_ROUNDS`), at `MAX_ROUNDS`, or when the batch's time bound
/// (`MAX_SECONDS_PER_BENCHMARK` per benchmark) is spent. `sides` are (executable, target) of
/// the baseline, then the candidate; the baseline's executable is taken from `baseline`,
/// checked before each of its processes (an error there ends the stage).
pub(super) fn batch_rounds(
    items: &[&Flagged],
    sides: [(&Path, &BenchTarget); 2],
    baseline: &mut BaselineBuild,
    budget_left: f64,
    out: &OutDir,
    timeout: Duration,
    rng: &mut impl rand::Rng,
) -> Result<BatchRounds> {
    let mut result = BatchRounds::default();
    let own = |item: &Flagged| crate::run::own_id(item.id, sides[1].1).to_string();
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
        let spent = (round > 0 && !another_round_fits(elapsed, slowest_round, bound)).then_some(
            TimeBound {
                seconds: bound,
                benchmarks: items.len(),
                slowest_round,
            },
        );
        let share = elapsed / items.len() as f64;
        open.retain(|item| !result.stops(item, round, last_round, share, spent.as_ref()));
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
#[derive(Clone, Copy)]
struct TimeBound {
    seconds: f64,
    benchmarks: usize,
    slowest_round: f64,
}

impl BatchRounds {
    /// Whether `item`'s rounds stop before this round: a look at which they settle, its last
    /// round, or the time bound (`spent`, when it is out). A stopped benchmark gets its share
    /// of the batch's seconds and, at the time bound, why it stopped there.
    fn stops(
        &mut self,
        item: &Flagged,
        round: usize,
        last_round: usize,
        share: f64,
        spent: Option<&TimeBound>,
    ) -> bool {
        let ratios = log_ratios(
            self.medians.get(item.id).map_or(&[][..], |m| m),
            item.points,
        );
        let settles = settles_at(round, item, &ratios);
        let done = round == last_round || spent.is_some() || settles;
        if done {
            self.seconds.insert(item.id.to_string(), share);
        }
        if let Some(bound) = spent {
            self.note_time_bound(item, &ratios, round, settles, bound);
        }
        done
    }

    /// Why a benchmark's rounds stopped at the time bound: no verdict when too few rounds
    /// counted for an interval at its confidence (`failed`), else, unless they had settled, a
    /// verdict on fewer rounds than the rule wanted (`bounded`).
    fn note_time_bound(
        &mut self,
        item: &Flagged,
        ratios: &[f64],
        round: usize,
        settles: bool,
        bound: &TimeBound,
    ) {
        let TimeBound {
            seconds,
            benchmarks,
            slowest_round,
        } = *bound;
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
            crate::run::stability::run(target, executable, filter, &scenarios, quick, timeout, out)
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
pub(super) fn log_ratios(medians_by_round: &[[f64; 2]], points: bool) -> Vec<f64> {
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

/// A benchmark's candidate side of its rounds as a measurement: the figure its process
/// reported, with one sample per round (that round's candidate median). None without a round.
pub(super) fn candidate_side(item: &Flagged, batch: &BatchRounds) -> Option<Benchmark> {
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
