//! The confirm stage: builds the baseline side (a tree `baseline::git` exported and verified)
//! and runs baseline and candidate bench processes alternately, in rounds with a random order,
//! for each flagged benchmark. Returns the paired per-round figures; `compare` decides what
//! they mean. No git here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use perfgate_format::Confirmation;
use rand::seq::SliceRandom;

use super::{criterion, Executables, Progress};
use crate::artifacts::OutDir;
use crate::config::Selection;
use crate::error::{Error, Result};
use crate::stats;
use crate::workspace::{BenchTarget, Harness, Workspace};

/// Fewest rounds before the first look. The first look comes once the rounds can give an
/// interval at the benchmark's own confidence with `MODE_SWITCHES` of them left out
/// (`first_look`): at 10 rounds a single flag's 95% interval uses the 2nd-from-each-end bounds;
/// 20 flags' 99.75% ones need 10 counted rounds, so their first look is at 12. A clear change or
/// a clear no-change settles there; anything else takes more rounds.
pub const FIRST_ROUNDS: usize = 10;
/// Rounds the first look allows to be left out as mode switches (on a quiet machine an A/A
/// benchmark loses 1-2 of 16 rounds that way).
pub const MODE_SWITCHES: usize = 2;
/// Rounds added at each further look while the verdict is still open.
pub const MORE_ROUNDS: usize = 8;
/// Most criterion benchmarks re-measured together: one process per side per round measures
/// them all (a round of 20 probes costs about 3 s).
pub const BATCH: usize = 20;
/// Most rounds for one benchmark (a bimodal benchmark needs more processes to settle).
pub const MAX_ROUNDS: usize = 48;

/// Wall time one benchmark's rounds may take. A probe process lasts about 0.1 s; a benchmark
/// that sets its own measurement time in code (criterion lets that beat the command line), or a
/// criterion 0.3 one (whole seconds only), lasts seconds per process and would otherwise take up
/// to `MAX_ROUNDS` × 2 of them.
pub const MAX_SECONDS_PER_BENCHMARK: f64 = 90.0;

/// The round of the first look for a benchmark judged at miss rate `level`: `FIRST_ROUNDS`, or
/// as many as an interval at that level needs with `MODE_SWITCHES` rounds left out, when that is
/// more.
pub fn first_look(level: f64) -> usize {
    FIRST_ROUNDS.max(stats::min_values_for_interval(level) + MODE_SWITCHES)
}

/// Whether the rounds made so far are a look at a benchmark whose first look is `first`: the
/// first look, then every `MORE_ROUNDS`.
fn is_look(round: usize, first: usize) -> bool {
    round >= first && (round - first).is_multiple_of(MORE_ROUNDS)
}

/// Whether another round fits in `bound` seconds, a round costing as much as the slowest so
/// far. The rounds made are judged as usual (fewer rounds, a wider interval) when there are
/// enough for an interval at the verdict's confidence; otherwise the flag stays unconfirmed.
pub fn another_round_fits(elapsed: f64, slowest_round: f64, bound: f64) -> bool {
    elapsed + slowest_round <= bound
}

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
}

/// Whether the rounds so far settle a verdict against `±threshold`: their interval at
/// `1 - level` (and both halves) clear of `+threshold` or of `-threshold`, or inside the band.
/// The same reading decides the verdict in `compare`, so the rounds stop exactly when the
/// verdict is settled. Rounds left out as mode switches do not count: with fewer counted rounds
/// than an interval at `1 - level` needs, nothing is settled yet.
pub fn settled(log_ratios: &[f64], threshold: f64, level: f64) -> bool {
    let read = stats::paired_rounds_at(log_ratios, level, threshold);
    read.counted >= stats::min_values_for_interval(level)
        && stats::side_of(&read, threshold) != stats::Side::Straddles
}

/// `alpha` over `count` re-measured benchmarks: the level each needs to be significant alone.
pub fn level(alpha: f64, count: usize) -> f64 {
    alpha / count.max(1) as f64
}

/// The baseline side: its commit, its executables and the root of its source tree.
pub struct BaselineBuild {
    /// The full commit id the tree was exported from.
    pub commit: String,
    pub executables: Executables,
    pub root: PathBuf,
    /// The bench targets as they are in the baseline's tree (its criterion may differ).
    pub targets: Vec<BenchTarget>,
}

impl BaselineBuild {
    /// The candidate's own executables as a baseline: an A/A test (`cargo perfgate noise`).
    pub fn itself(workspace: &Workspace, executables: &Executables) -> Self {
        BaselineBuild {
            commit: "0".repeat(40),
            executables: executables.clone(),
            root: workspace.root.clone(),
            targets: workspace.targets.clone(),
        }
    }

    /// Builds the bench targets of `targets` in the baseline's tree at `exported` (the
    /// workspace root inside an export of `commit`).
    ///
    /// The build gets a target directory of its own: cargo gives a path package the same
    /// artifact names wherever it lives, so building the baseline in the workspace's target
    /// directory would overwrite the candidate's executables and leave fingerprints that point
    /// at the export. That directory is kept, so only the first confirmation pays for building
    /// the dependencies.
    pub fn build(
        workspace: &Workspace,
        commit: String,
        exported: PathBuf,
        targets: &[BenchTarget],
        selection: &Selection,
    ) -> Result<Self> {
        let manifest = exported.join("Cargo.toml");
        if !manifest.exists() {
            return Err(Error::Other(format!(
                "the baseline's commit {} has no Cargo.toml at the workspace's place ({})",
                &commit[..commit.len().min(10)],
                manifest.display()
            )));
        }
        let mut relocated: Vec<BenchTarget> = targets
            .iter()
            .map(|t| relocate(t, &workspace.root, &exported))
            .collect();
        // The criterion the baseline's commit resolved decides the flags its side gets.
        let there = Selection {
            manifest_path: Some(manifest.clone()),
            ..selection.clone()
        };
        let mut local = workspace.local_crates.clone();
        if let Ok(theirs) = Workspace::discover(&there) {
            local.extend(theirs.local_crates.iter().cloned());
            for target in &mut relocated {
                if let Some(found) = theirs
                    .targets
                    .iter()
                    .find(|t| t.package == target.package && t.name == target.name)
                {
                    target.harness_version = found.harness_version.clone();
                }
            }
        }
        let target_dir = workspace
            .target_dir
            .join("perfgate")
            .join("baseline-target");
        // Cargo names a path package's artifacts alike wherever its sources live, and judges
        // them fresh by time: an export of another commit, older than the last build, would
        // be taken for built. Each commit's first build here marks its sources as new.
        let marker = target_dir.join(".perfgate-built-commit");
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(commit.as_str()) {
            mark_new(&exported)?;
        }
        share_dependencies(&workspace.target_dir, &target_dir, &local)?;
        let executables = super::build(&manifest, &relocated, selection, Some(&target_dir))?;
        crate::artifacts::write_atomic(&marker, &commit)?;
        Ok(BaselineBuild {
            commit,
            executables,
            root: exported,
            targets: relocated,
        })
    }

    fn short(&self) -> &str {
        &self.commit[..self.commit.len().min(10)]
    }
}

/// Sets every file of an export to modified now, so cargo rebuilds what it compiles from them.
fn mark_new(exported: &Path) -> Result<()> {
    let now = std::time::SystemTime::now();
    for entry in walkdir::WalkDir::new(exported)
        .into_iter()
        .filter_map(std::result::Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        std::fs::File::options()
            .write(true)
            .open(entry.path())
            .and_then(|f| f.set_modified(now))
            .map_err(|source| Error::Write {
                path: entry.path().to_path_buf(),
                source,
            })?;
    }
    Ok(())
}

/// The build profiles' directories a bench build writes: `release`, and `<triple>/release` when
/// a target triple is configured.
fn profile_dirs(target_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![target_dir.join("release")];
    if let Ok(entries) = std::fs::read_dir(target_dir) {
        for entry in entries.filter_map(std::result::Result::ok) {
            let nested = entry.path().join("release");
            if entry.file_name() != "perfgate" && nested.join(".fingerprint").is_dir() {
                dirs.push(nested);
            }
        }
    }
    dirs
}

/// The crate name an artifact of a profile directory belongs to: `lib` and the `-<hash>`
/// suffix and extension taken off (`libserde_json-1a2b.rlib` → `serde_json`), `-` as `_`.
fn artifact_crate(file_name: &str) -> String {
    let stem = file_name.split('.').next().unwrap_or(file_name);
    let stem = match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            name
        }
        _ => stem,
    };
    stem.replace('-', "_")
}

/// Whether an artifact may be shared between the two sides: it is not built from a path package
/// (whose artifacts cargo names alike wherever its sources live, and judges fresh by time).
fn shareable(file_name: &str, local: &BTreeSet<String>) -> bool {
    let name = artifact_crate(file_name);
    let unprefixed = name.strip_prefix("lib").unwrap_or(&name);
    !local.contains(&name) && !local.contains(unprefixed)
}

/// Copies the candidate build's artifacts of registry and git dependencies into the baseline
/// side's target directory, times kept, so a dependency the two sides resolve alike (same
/// version, features and flags: the same cargo hash) is compiled once. Artifacts of path
/// packages are never copied (see `shareable`); files the baseline side has already are kept.
/// Copies, not links: a build script the baseline side re-runs must not write through into the
/// candidate's files.
fn share_dependencies(candidate: &Path, baseline: &Path, local: &BTreeSet<String>) -> Result<()> {
    for from_profile in profile_dirs(candidate) {
        let Ok(relative) = from_profile.strip_prefix(candidate) else {
            continue;
        };
        let to_profile = baseline.join(relative);
        for kind in ["deps", "build", ".fingerprint"] {
            let Ok(entries) = std::fs::read_dir(from_profile.join(kind)) else {
                continue;
            };
            for entry in entries.filter_map(std::result::Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !shareable(&name, local) {
                    continue;
                }
                copy_tree(&entry.path(), &to_profile.join(kind).join(&name))?;
            }
        }
    }
    Ok(())
}

/// Copies `from` (a file or a directory tree) to `to` with modification times kept, leaving
/// whatever exists at `to` already. Returns the number of files copied.
fn copy_tree(from: &Path, to: &Path) -> Result<usize> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    let mut copied = 0;
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(std::result::Result::ok)
    {
        let Ok(relative) = entry.path().strip_prefix(from) else {
            continue;
        };
        // A file given as `from` walks as itself, with an empty relative path.
        let target = if relative.as_os_str().is_empty() {
            to.to_path_buf()
        } else {
            to.join(relative)
        };
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(write_error(&target))?;
        } else if entry.file_type().is_file() && !target.exists() {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(write_error(parent))?;
            }
            std::fs::copy(entry.path(), &target).map_err(write_error(&target))?;
            if let Ok(modified) = std::fs::metadata(entry.path()).and_then(|m| m.modified()) {
                std::fs::File::options()
                    .write(true)
                    .open(&target)
                    .and_then(|f| f.set_modified(modified))
                    .map_err(write_error(&target))?;
            }
            copied += 1;
        }
    }
    Ok(copied)
}

fn relocate(target: &BenchTarget, from: &Path, to: &Path) -> BenchTarget {
    let package_root = target
        .package_root
        .strip_prefix(from)
        .map(|rel| to.join(rel))
        .unwrap_or_else(|_| target.package_root.clone());
    BenchTarget {
        package_root,
        ..target.clone()
    }
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
}

/// The rounds of a batch: the flagged benchmarks of one bench target, measured together by one
/// baseline and one candidate process per round, in random order, each process filtered to the
/// benchmarks still open. A benchmark leaves the batch when its rounds settle its verdict (looks
/// at `first_look`, then every `MORE_ROUNDS`), at `MAX_ROUNDS`, or when the batch's time bound
/// (`MAX_SECONDS_PER_BENCHMARK` per benchmark) is spent. `sides` are (executable, target) of
/// the baseline, then the candidate.
fn batch_rounds(
    items: &[&Flagged],
    sides: [(&PathBuf, &BenchTarget); 2],
    budget_left: f64,
    out: &OutDir,
    timeout: Duration,
    rng: &mut impl rand::Rng,
) -> BatchRounds {
    let mut result = BatchRounds::default();
    let own = |item: &Flagged| super::own_id(item.id, sides[1].1).to_string();
    let mut open: Vec<&Flagged> = items.to_vec();
    let bound = (MAX_SECONDS_PER_BENCHMARK * items.len() as f64).min(budget_left);
    let label = format!("{}::{}", sides[1].1.package, sides[1].1.name);
    let begun = Instant::now();
    let mut slowest_round = 0.0f64;
    for round in 0..=MAX_ROUNDS {
        let elapsed = begun.elapsed().as_secs_f64();
        let out_of_time = round > 0 && !another_round_fits(elapsed, slowest_round, bound);
        open.retain(|item| {
            let ratios = log_ratios(result.medians.get(item.id).map_or(&[][..], |m| m), item.points);
            let settles = is_look(round, first_look(item.level))
                && settled(&ratios, item.threshold, item.level);
            let done = round == MAX_ROUNDS || out_of_time || settles;
            if done {
                result.seconds.insert(item.id.to_string(), elapsed / items.len() as f64);
            }
            if out_of_time {
                let needed = stats::min_values_for_interval(item.level);
                // Rounds left out as mode switches give no interval, as in `settled`.
                let counted = stats::paired_rounds_at(&ratios, item.level, item.threshold).counted;
                if counted < needed {
                    // Too few rounds for an interval at the verdict's confidence: not a verdict.
                    result.failed.insert(
                        item.id.to_string(),
                        format!(
                            "only {counted} counted round(s) fit in the time bound ({:.0} s for {} benchmark(s)): {needed} are needed for an interval at {:.1}%; one round took up to {slowest_round:.1} s (does the benchmark set its own measurement time in code?) — raise --confirm-budget or shorten the benchmark's own measurement time",
                            bound,
                            items.len(),
                            (1.0 - item.level) * 100.0
                        ),
                    );
                } else if !settles {
                    result.bounded.insert(
                        item.id.to_string(),
                        format!(
                            "rounds stopped at {round} by the time bound ({:.0} s for {} benchmark(s), within the confirm budget): one round took up to {slowest_round:.1} s",
                            bound,
                            items.len()
                        ),
                    );
                }
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
            let found = match run_side(target, exe, &ids, (&label, round, name), out, timeout) {
                Ok(found) => found,
                Err(message) => {
                    for item in open.drain(..) {
                        result
                            .failed
                            .insert(item.id.to_string(), format!("{name} side: {message}"));
                    }
                    return result;
                }
            };
            open.retain(|item| {
                let wanted = own(item);
                match found.iter().find(|b| b.id == wanted) {
                    Some(b) => {
                        medians.entry(item.id.to_string()).or_insert([f64::NAN; 2])[side] =
                            b.summary.median;
                        true
                    }
                    None => {
                        result.failed.insert(
                            item.id.to_string(),
                            format!("the {name} build does not have this benchmark"),
                        );
                        false
                    }
                }
            });
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
    result
}

/// One side's process of a round: the flagged criterion benchmarks alone (an exact filter, probe
/// measurements), or a stability suite in quick mode (one figure per metric per process): the
/// one scenario flagged, or the whole suite when several are.
fn run_side(
    target: &BenchTarget,
    executable: &Path,
    ids: &[String],
    (label, round, name): (&str, usize, &str),
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
            super::stability::run(target, executable, filter, &scenarios, true, timeout, out)
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

/// Re-measures the flagged benchmarks in alternating rounds, one batch per bench target. A
/// benchmark whose side fails to run is left out (and so stays unconfirmed), with the reason in
/// the returned map.
pub fn confirm(
    workspace: &Workspace,
    baseline: &BaselineBuild,
    candidate: &Executables,
    flagged: &[Flagged],
    out: &OutDir,
    timeout: Duration,
    budget: Duration,
) -> (BTreeMap<String, Confirmation>, BTreeMap<String, String>) {
    let begun = Instant::now();
    let mut confirmed = BTreeMap::new();
    let mut failed = BTreeMap::new();
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
                failed.insert(
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
        let (Some(base_exe), Some(cand_exe)) =
            (baseline.executables.get(&key), candidate.get(&key))
        else {
            for item in items {
                failed.insert(
                    item.id.to_string(),
                    "no executable for one side".to_string(),
                );
            }
            continue;
        };
        let sides = [(base_exe, &baseline_target), (cand_exe, target)];
        let batch_begun = Instant::now();
        let batch = batch_rounds(&items, sides, left, out, timeout, &mut rng);
        let benchmark_rounds: usize = batch.medians.values().map(Vec::len).sum();
        if benchmark_rounds > 0 {
            let cost = batch_begun.elapsed().as_secs_f64() / benchmark_rounds as f64;
            per_benchmark_round = Some(per_benchmark_round.map_or(cost, |c| c.max(cost)));
        }
        for item in items {
            if let Some(problem) = batch.failed.get(item.id) {
                progress.finish_one(&format!("{}: could not confirm: {problem}", item.id));
                failed.insert(item.id.to_string(), problem.clone());
                continue;
            }
            if let Some(why) = batch.bounded.get(item.id) {
                eprintln!("warning: {}: {why}", item.id);
            }
            let medians_by_round = batch.medians.get(item.id).cloned().unwrap_or_default();
            let seconds = batch.seconds.get(item.id).copied().unwrap_or(0.0);
            let confirmation = confirmation_of(item, &medians_by_round, &baseline.commit, seconds);
            if confirmation.counted == 0 {
                // Rounds that cannot be compared (a figure of 0 on one side) are no verdict.
                let why = format!(
                    "none of its {} round(s) could be compared (a figure of 0 on one side: a relative change from 0 has no size); give this metric a budget",
                    confirmation.rounds
                );
                progress.finish_one(&format!("{}: could not confirm: {why}", item.id));
                failed.insert(item.id.to_string(), why);
                continue;
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
            confirmed.insert(item.id.to_string(), confirmation);
        }
    }
    progress.done();
    (confirmed, failed)
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
            Harness::Criterion => BATCH,
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
        quick: item.target.harness == crate::workspace::Harness::Stability,
    }
}

#[cfg(test)]
mod tests {
    use super::{
        another_round_fits, artifact_crate, batches, copy_tree, first_look, is_look, log_ratios,
        settled, shareable, Flagged, BATCH, FIRST_ROUNDS, MAX_ROUNDS, MAX_SECONDS_PER_BENCHMARK,
    };
    use crate::stats;
    use crate::workspace::{BenchTarget, Harness};

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
    fn only_registry_and_git_dependencies_are_shared_between_the_sides() {
        let local = ["demo_core", "core", "perfgate_harness"]
            .map(String::from)
            .into_iter()
            .collect();
        let hash = "0123456789abcdef";
        assert_eq!(
            artifact_crate(&format!("libserde_json-{hash}.rlib")),
            "libserde_json"
        );
        assert_eq!(artifact_crate(&format!("serde-json-{hash}")), "serde_json");
        for shared in [
            format!("libserde_json-{hash}.rlib"),
            format!("serde_json-{hash}.d"),
            format!("serde-json-{hash}"),
            format!("libcriterion-{hash}.rmeta"),
            format!("proc-macro2-{hash}"),
        ] {
            assert!(shareable(&shared, &local), "{shared} is a dependency's");
        }
        for own in [
            format!("libdemo_core-{hash}.rlib"),
            format!("demo-core-{hash}"),
            format!("demo_core-{hash}.d"),
            format!("core-{hash}"),
            format!("perfgate-harness-{hash}"),
            format!("libperfgate_harness-{hash}.rmeta"),
        ] {
            assert!(
                !shareable(&own, &local),
                "{own} is built from a path package"
            );
        }
    }

    #[test]
    fn a_shared_copy_keeps_times_and_never_overwrites_the_baseline_sides_files() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from/serde-0123456789abcdef");
        std::fs::create_dir_all(from.join("out")).unwrap();
        std::fs::write(from.join("out/a"), "candidate").unwrap();
        std::fs::write(from.join("b"), "candidate").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(from.join("out/a"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        let to = dir.path().join("to/serde-0123456789abcdef");
        std::fs::create_dir_all(&to).unwrap();
        std::fs::write(to.join("b"), "baseline").unwrap();
        assert_eq!(copy_tree(&from, &to).unwrap(), 1);
        let file = dir.path().join("from/libserde-0123456789abcdef.rlib");
        std::fs::write(&file, "rlib").unwrap();
        let copied_file = dir.path().join("to/libserde-0123456789abcdef.rlib");
        assert_eq!(copy_tree(&file, &copied_file).unwrap(), 1);
        assert_eq!(std::fs::read_to_string(&copied_file).unwrap(), "rlib");
        assert_eq!(
            std::fs::read_to_string(to.join("out/a")).unwrap(),
            "candidate"
        );
        assert_eq!(std::fs::read_to_string(to.join("b")).unwrap(), "baseline");
        let copied = std::fs::metadata(to.join("out/a"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(copied, old);
    }

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
        assert!(settled(&rounds(16, 0.05, 0.01), 0.02, 0.05 / 3.0));
        assert!(settled(&rounds(16, 0.0, 0.005), 0.02, 0.05 / 3.0));
    }

    #[test]
    fn a_change_near_the_threshold_asks_for_more_rounds() {
        assert!(!settled(&rounds(16, 0.015, 0.03), 0.02, 0.05 / 3.0));
        // Beyond the threshold but not yet significant at the level it must reach.
        assert!(!settled(&rounds(16, 0.04, 0.06), 0.02, 0.05 / 300.0));
    }

    #[test]
    fn the_first_look_comes_once_an_interval_at_the_flags_own_confidence_is_possible() {
        // One flag at 95% needs 6 counted rounds, 20 at 99.75% each 10, 300 at 99.98% each 14;
        // the first look leaves room for two mode switches.
        assert_eq!(first_look(0.05), FIRST_ROUNDS);
        assert_eq!(first_look(0.05 / 20.0), 12);
        assert_eq!(first_look(0.05 / 300.0), 16);
        let looks: Vec<usize> = (0..=MAX_ROUNDS).filter(|&r| is_look(r, 12)).collect();
        assert_eq!(looks, [12, 20, 28, 36, 44]);
        // A clear regression settles at the first look of 20 flags.
        assert!(settled(&rounds(12, 0.3, 0.02), 0.05, 0.05 / 20.0));
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
        assert!(!settled(&ratios, 0.05, 0.05 / 20.0));
        assert!(settled(&rounds(10, 0.3, 0.02), 0.05, 0.05 / 20.0));
    }

    #[test]
    fn a_quiet_no_change_with_a_few_rounds_two_percent_off_settles_at_the_first_look() {
        // Nine rounds within ±0.2% and three 2% away, one of 20 flags against 5%: the three
        // count (within half the threshold), so the first look at 12 settles `Inside`.
        let mut ratios = rounds(9, 0.0, 0.002);
        ratios.extend([1.02f64.ln(), 0.98f64.ln(), 1.021f64.ln()]);
        assert_eq!(ratios.len(), first_look(0.05 / 20.0));
        assert!(settled(&ratios, 0.05, 0.05 / 20.0));
        // Against a 2% threshold the same rounds are as far out as the threshold: not settled.
        assert!(!settled(&ratios, 0.02, 0.05 / 20.0));
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
