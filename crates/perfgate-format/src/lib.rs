//! The result format cargo-perfgate and the `perfgate` harness both speak.
//!
//! Owns the serde types of `run.json`, baseline files and `compare.json`, with their schema
//! versions, the shape of a benchmark's id and how a recorded commit is shown. Holds no logic
//! beyond (de)serialisation, the schema check, that id shape and that short form. (Past 600
//! lines because it is the one definition of every type both sides speak: split, the schema
//! would be defined in two places.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Schema of `target/perfgate/run.json`: one run's measurements.
pub const RUN_SCHEMA: &str = "perfgate.run.v1";
/// Schema of `baselines/<profile>.json`: the measurements a run is compared against.
pub const BASELINE_SCHEMA: &str = "perfgate.baseline.v1";
/// Environment variable through which cargo-perfgate asks a stability suite for its results
/// (a JSON array of [`Benchmark`]).
pub const OUTPUT_ENV: &str = "PERFGATE_OUTPUT";
/// Environment variable that puts a stability suite in quick mode.
pub const QUICK_ENV: &str = "PERFGATE_QUICK";
/// Environment variable naming the only scenarios a stability suite runs: exact
/// `suite/scenario` names, one per line (a name filter on the command line still applies too).
/// cargo-perfgate sets it in confirm rounds; a harness that predates it runs what the filter
/// names, which is a superset.
pub const SCENARIOS_ENV: &str = "PERFGATE_SCENARIOS";

/// Schema of `target/perfgate/compare.json`: verdicts of one comparison.
pub const COMPARE_SCHEMA: &str = "perfgate.compare.v1";

/// Schema of `target/perfgate/noise.json`: this machine's A/A noise floor per benchmark.
pub const NOISE_SCHEMA: &str = "perfgate.noise.v1";

/// The leak check's metric whose value above zero means the harness's slope test found a leak
/// (the lower end of the 95% interval of live-heap growth per operation, in bytes).
pub const LEAK_BOUND_METRIC: &str = "heap_growth_per_op_low";

/// Splits `"perfgate.run.v1"` into `("perfgate.run", 1)`.
///
/// ```
/// assert_eq!(perfgate_format::split_schema("perfgate.run.v12"), Some(("perfgate.run", 12)));
/// assert_eq!(perfgate_format::split_schema("nonsense"), None);
/// ```
pub fn split_schema(schema: &str) -> Option<(&str, u32)> {
    let (family, version) = schema.rsplit_once(".v")?;
    Some((family, version.parse().ok()?))
}

/// Where a run or a baseline was measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: u32,
    pub os: String,
    pub arch: String,
    pub rustc: String,
}

impl Machine {
    /// A short, human-readable fingerprint, e.g. `AMD EPYC 7B13 ×2, linux x86_64, rustc 1.95.0`.
    pub fn describe(&self) -> String {
        format!(
            "{} ×{}, {} {}, {}",
            self.cpu_model, self.cores, self.os, self.arch, self.rustc
        )
    }
}

/// The git state a run was measured at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitState {
    /// Full hex id of `HEAD`.
    pub commit: String,
    /// Whether tracked files differed from `HEAD` when the run started.
    pub dirty: bool,
}

/// How a recorded commit is shown: its first 10 characters, cut on a character boundary (a file
/// may hold any text there, so a byte slice could split a character).
pub fn short_commit(commit: &str) -> &str {
    match commit.char_indices().nth(10) {
        Some((end, _)) => &commit[..end],
        None => commit,
    }
}

/// What a measurement is of: a criterion benchmark, a metric of a stability suite, a divan
/// benchmark (or one of its allocation figures; one sample per process), or a gungraun
/// benchmark's instruction or cycle count (one sample: counts repeat exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Criterion,
    Stability,
    Divan,
    Gungraun,
}

/// Whether a larger value is better (throughput) or worse (time, bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    #[default]
    LowerIsBetter,
    HigherIsBetter,
}

/// Summary statistics of a benchmark's samples, in the benchmark's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Median absolute deviation, unscaled.
    pub mad: f64,
}

impl Summary {
    /// The summary of a sample (which must not be empty).
    ///
    /// ```
    /// let s = perfgate_format::Summary::of(&[3.0, 1.0, 2.0, 10.0]);
    /// assert_eq!((s.n, s.median, s.min, s.max), (4, 2.5, 1.0, 10.0));
    /// ```
    pub fn of(values: &[f64]) -> Summary {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = median_of_sorted(&sorted);
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        Summary {
            n: sorted.len(),
            median,
            mean: sorted.iter().sum::<f64>() / sorted.len().max(1) as f64,
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
            mad: median_of_sorted(&deviations),
        }
    }
}

/// Median of sorted values; NaN when there are none.
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// One measured benchmark or metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Benchmark {
    /// Stable id: criterion's full id, or `suite/scenario/metric` for stability suites.
    pub id: String,
    pub source: Source,
    /// Workspace package the bench target belongs to.
    pub package: String,
    /// Bench target name (`cargo bench --bench <target>`).
    pub target: String,
    /// Unit of `samples` and `summary`: `ns` for criterion times.
    pub unit: String,
    #[serde(default)]
    pub direction: Direction,
    /// One value per sample: for criterion, time per iteration of each sample.
    pub samples: Vec<f64>,
    pub summary: Summary,
    /// What one iteration processes, when the benchmark declares it (criterion's
    /// `Throughput`): a rate is `per_iteration / time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Throughput>,
    /// What the metric is; files without it are read by their unit ([`Kind::of_unit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
}

/// The id of a benchmark that another target of the run names alike: `package::target::id`,
/// so no two benchmarks of a run share an id.
pub fn qualified_id(package: &str, target: &str, id: &str) -> String {
    format!("{package}::{target}::{id}")
}

/// The id a target itself gives a benchmark: `id` without the `package::target::` that
/// `qualified_id` puts in front.
pub fn own_id<'a>(id: &'a str, package: &str, target: &str) -> &'a str {
    id.strip_prefix(package)
        .and_then(|rest| rest.strip_prefix("::"))
        .and_then(|rest| rest.strip_prefix(target))
        .and_then(|rest| rest.strip_prefix("::"))
        .unwrap_or(id)
}

impl Benchmark {
    /// The id its own target gives it (see [`own_id`]).
    pub fn own_id(&self) -> &str {
        own_id(&self.id, &self.package, &self.target)
    }

    /// The metric's kind: as written, else as its unit says.
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or_else(|| Kind::of_unit(&self.unit))
    }
}

/// What a metric measures, which decides how two values of it are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A time (`ns`).
    Duration,
    /// Something per second (`ops/s`).
    Rate,
    /// A ratio or fraction (`ratio`: an error rate, a drift, a growth): compared by the
    /// difference in points, never relatively (0 → 2% is +2 points, not infinitely worse).
    Fraction,
    /// A multiple (`x`: spike p99 over normal p99).
    Factor,
    /// Bytes (`B`).
    Bytes,
    /// A count (`count`: allocations per op, panics).
    Count,
    /// Any other unit (a custom criterion measurement).
    Other,
}

impl Kind {
    /// The kind a unit implies.
    pub fn of_unit(unit: &str) -> Kind {
        match unit {
            "ns" => Kind::Duration,
            "ratio" => Kind::Fraction,
            "x" => Kind::Factor,
            "B" => Kind::Bytes,
            "count" => Kind::Count,
            u if u.ends_with("/s") => Kind::Rate,
            _ => Kind::Other,
        }
    }

    /// Whether changes of this kind are differences in points rather than relative changes.
    pub fn in_points(self) -> bool {
        self == Kind::Fraction
    }
}

/// What one iteration of a benchmark processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// `bytes`, `bits` or `elements`.
    pub unit: String,
    pub per_iteration: f64,
}

/// A bench target that could not be measured (build failure, panic, timeout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetError {
    pub package: String,
    pub target: String,
    pub message: String,
}

/// `run.json`: everything one run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub schema: String,
    pub tool_version: String,
    /// RFC 3339 UTC time the run started.
    pub started: String,
    pub git: Option<GitState>,
    pub machine: Machine,
    /// `i/n` when the run is one shard of several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub benchmarks: Vec<Benchmark>,
    #[serde(default)]
    pub errors: Vec<TargetError>,
    /// Same-machine re-measurements made by `check` (by benchmark id), so a later `merge` or
    /// `compare` against the same baseline commit decides exactly as `check` did.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub confirmations: BTreeMap<String, Confirmation>,
    /// Baseline entries `check` left unmeasured in a pull request because the change left their
    /// bench executable byte-identical to the baseline side's and touched no file in their
    /// package, by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identical: BTreeMap<String, Identical>,
}

/// A bench executable the change left byte-identical to the baseline side's build of one
/// commit: the entries it measures are unchanged by construction against that commit alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identical {
    /// The executable's SHA-256, hex.
    pub sha256: String,
    /// The commit the baseline side was built from.
    pub baseline_commit: String,
}

/// Where a baseline came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub commit: Option<String>,
    pub dirty: bool,
    /// RFC 3339 UTC time of the run the baseline was taken from.
    pub date: String,
    pub tool_version: String,
    pub machine: Machine,
}

/// `baselines/<profile>.json`: the committed reference measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema: String,
    pub profile: String,
    pub provenance: Provenance,
    pub benchmarks: Vec<Benchmark>,
}

/// Verdict of one compared metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Error,
    Regressed,
    BudgetFail,
    Unconfirmed,
    Inconclusive,
    /// Within a budget, but past its warn level (or within it by less than the measurement's
    /// own uncertainty): reported, not failed.
    Warn,
    /// A confirmed regression a maintainer accepted through a trusted signal (the pull
    /// request's label, read from the event GitHub wrote): reported, not failed.
    Accepted,
    Missing,
    New,
    Improved,
    Pass,
}

impl Verdict {
    /// The word used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Error => "error",
            Verdict::Regressed => "regressed",
            Verdict::BudgetFail => "budget-fail",
            Verdict::Unconfirmed => "unconfirmed",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Accepted => "accepted",
            Verdict::Warn => "warn",
            Verdict::Missing => "missing",
            Verdict::New => "new",
            Verdict::Improved => "improved",
            Verdict::Pass => "pass",
        }
    }

    /// Whether this verdict fails the gate.
    pub fn fails_gate(self) -> bool {
        matches!(self, Verdict::Regressed | Verdict::BudgetFail)
    }
}

/// Overall verdict of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overall {
    Pass,
    Fail,
    Error,
}

impl Overall {
    pub fn as_str(self) -> &'static str {
        match self {
            Overall::Pass => "pass",
            Overall::Fail => "fail",
            Overall::Error => "error",
        }
    }
}

/// How a verdict was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Against the stored baseline's samples only.
    Stored,
    /// Re-measured: baseline and candidate builds alternated on this machine.
    Confirmed,
    /// Not measured: the change left the benchmark's bench executable byte-identical to the
    /// baseline side's, and touched no file in its package (`Run::identical`).
    Identical,
}

fn ninety_five() -> f64 {
    0.95
}

/// The same-machine A/B re-measurement behind a confirmed verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    /// Commit the baseline side was built from.
    pub baseline_commit: String,
    pub rounds: usize,
    /// Rounds the change was read from: the others were mode switches (the machine changed
    /// speed between a round's two processes). Files without it counted every round.
    #[serde(default)]
    pub counted: usize,
    /// Median of the per-round candidate/baseline ratios, minus one.
    pub change: f64,
    /// The change's distribution-free interval at `confidence`.
    pub change_low: f64,
    pub change_high: f64,
    /// The interval's confidence: 1 - alpha over the number of benchmarks re-measured together.
    /// Files without it had 95% intervals.
    #[serde(default = "ninety_five")]
    pub confidence: f64,
    /// The change read from the first and the second half of the counted rounds (time order).
    /// Files without it are read as two halves that agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halves: Option<[f64; 2]>,
    pub p_value: f64,
    /// Seconds spent measuring (build excluded).
    pub seconds: f64,
    /// The re-measured medians, `[baseline side, candidate side]`: the median over the rounds of
    /// each side's per-process median. A row that was re-measured shows these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medians: Option<[f64; 2]>,
    /// The stored comparison's medians, `[baseline, current]`, that the re-measurement replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_medians: Option<[f64; 2]>,
    /// Each round's candidate/baseline ratio of medians, in the order measured (for a metric
    /// compared in points, each round's difference instead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratios: Vec<f64>,
    /// `true` when `change`, its interval and `halves` are differences in points (a
    /// fraction's candidate minus baseline) rather than relative changes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub points: bool,
    /// Each round's candidate figure (its process's median), in the order measured: a
    /// re-measured entry's budgets are judged on these, not on the stored single run. Files
    /// without it judged budgets on the stored figures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidate_rounds: Vec<f64>,
    /// `true` when each round ran a stability suite in its quick mode (the medians are those
    /// of the quick runs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quick: bool,
}

/// One compared metric in `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub verdict: Verdict,
    pub package: String,
    pub target: String,
    pub unit: String,
    #[serde(default)]
    pub direction: Direction,
    /// Baseline median (the value the gate compared against).
    pub baseline: Option<f64>,
    /// Current median.
    pub current: Option<f64>,
    /// Relative change the verdict was decided on (`0.031` is +3.1%).
    pub change: Option<f64>,
    /// 95% interval of `change`.
    pub change_low: Option<f64>,
    pub change_high: Option<f64>,
    /// p-value of the decision, adjusted for the number of comparisons in the run.
    pub p_value: Option<f64>,
    /// What the metric is (files without it: as its unit says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// For a fraction (`kind: fraction`): current minus baseline in points (`0.02` is +2
    /// points), with its interval where one was measured. The verdict of such a metric is
    /// decided on this, and `threshold` is read in points; `change` stays relative (empty from
    /// a baseline of 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference_low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference_high: Option<f64>,
    /// Threshold the effect had to exceed: relative, or in points for a fraction.
    pub threshold: f64,
    pub method: Method,
    /// What one iteration processes (from the current run), when the benchmark declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Throughput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// Why, in one sentence, for non-pass verdicts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// This benchmark's recorded medians on the default branch (oldest first), from the history
    /// in git notes, for a flagged entry when the history was available.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trend: Vec<f64>,
    /// Every budget that applies to this metric, checked against its current value: target
    /// vs actual.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetCheck>,
    /// For a time: the instruction count of the same code beside it, when the run has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<Signal>,
}

/// An instruction count beside a time: the gungraun benchmark counting the same code (the
/// time's id with `/instructions` after it, or the one `[signals]` names for it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The count's entry id.
    pub id: String,
    /// Its relative change, where it has one.
    pub change: Option<f64>,
    /// Its verdict, by its own threshold.
    pub verdict: Verdict,
    /// Whether the two signals disagree: one moved past its threshold and the other did not.
    pub disagree: bool,
}

/// One budget checked against a metric's current value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetCheck {
    /// The budget as written (`< 20ms`).
    pub target: String,
    /// Its warn level as written, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<String>,
    /// The limit in the metric's unit.
    pub limit: f64,
    /// The value checked: the current median.
    pub actual: f64,
    /// How far inside the limit the value is, relative to the limit (negative: over it).
    pub margin: f64,
    /// `pass`, `warn` or `fail`.
    pub status: String,
    /// Why a `warn` is one: past the warn level, or within the budget by less than the
    /// measurement's own 95% interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where the baseline of a comparison was read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRef {
    /// `git:<rev>:<path>` or a file path.
    pub location: String,
    /// Commit the baseline was read at, when read from git.
    pub commit: Option<String>,
    pub provenance: Provenance,
    /// Whether the baseline was measured on a machine with another fingerprint.
    pub machine_differs: bool,
    /// How the gate chose the commit it compared against, in words (files without it did not
    /// say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_by: Option<String>,
}

/// Verdict counts, for headlines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: usize,
    pub pass: usize,
    pub regressed: usize,
    pub budget_fail: usize,
    pub unconfirmed: usize,
    pub inconclusive: usize,
    /// Confirmed regressions accepted by a maintainer's label (files without it had none).
    #[serde(default)]
    pub accepted: usize,
    /// Budgets kept, but past their warn level (files without it had none).
    #[serde(default)]
    pub warn: usize,
    pub improved: usize,
    pub new: usize,
    pub missing: usize,
    pub error: usize,
}

/// `compare.json`: verdicts of one run against one baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub schema: String,
    pub tool_version: String,
    pub verdict: Overall,
    pub counts: Counts,
    pub baseline: Option<BaselineRef>,
    pub current_git: Option<GitState>,
    pub machine: Machine,
    /// How verdicts were decided, in one paragraph for the report.
    pub method: String,
    /// Warnings the report must show (machine differs, files the change touches, ...).
    #[serde(default)]
    pub warnings: Vec<String>,
    pub entries: Vec<Entry>,
    /// What the gate run cost, when it measured (`check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// The maintainer's acceptance of this pull request's regressions, when the event carried
    /// it (entries it turned into `accepted` say so in their notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<Acceptance>,
    /// The drift of the default branch since the baseline's commit, when the run measured it
    /// (a push to the default branch, or `check --drift`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
}

/// A maintainer's acceptance of a pull request's confirmed regressions: the label GitHub
/// recorded on the pull request (only people with triage rights can set one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// The label, as the base side's perfgate.toml names it (`gate.accept_label`).
    pub label: String,
    /// Who added it, when the event says (a `labeled` event's sender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<u64>,
    /// The pull request's head commit when the label was added: the one commit it accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
}

/// What a drift run compared: the default branch's commit against the commit that measured the
/// committed baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The commit the baseline was measured at (its provenance).
    pub since: String,
    /// Commits on the first-parent line from `since` to the measured commit.
    pub commits: usize,
    /// The cumulative threshold (`gate.drift_threshold`).
    pub threshold: f64,
}

/// Where a gate run's time went, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Building the bench targets and running them once (stage one).
    pub measure_seconds: f64,
    /// Exporting and building the baseline side for the confirm stage.
    pub baseline_build_seconds: f64,
    /// The confirm stage's rounds.
    pub confirm_seconds: f64,
    /// Benchmarks re-measured, and the rounds they took together.
    pub confirmed: usize,
    pub rounds: usize,
    pub total_seconds: f64,
}

/// `noise.json`: each criterion benchmark A/A-tested against its own executable on one machine
/// (`cargo perfgate noise`). The gate widens a threshold below a benchmark's floor to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    pub schema: String,
    pub tool_version: String,
    /// RFC 3339 UTC time the measurement started.
    pub measured: String,
    pub machine: Machine,
    pub benchmarks: Vec<NoiseFloor>,
}

/// One benchmark's A/A result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseFloor {
    pub id: String,
    pub rounds: usize,
    pub counted: usize,
    pub change: f64,
    pub change_low: f64,
    pub change_high: f64,
    /// The smallest threshold whose ±band holds this A/A interval: below it, the gate cannot
    /// tell this benchmark's change from this machine's noise.
    pub resolvable: f64,
    /// The threshold configured when it was measured.
    pub threshold: f64,
    pub seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::short_commit;

    #[test]
    fn a_short_commit_is_ten_characters_never_a_split_one() {
        assert_eq!(short_commit("0123456789abcdef"), "0123456789");
        assert_eq!(short_commit("abc"), "abc");
        assert_eq!(short_commit("aéééééééééééé"), "aééééééééé");
        assert_eq!(short_commit(""), "");
    }
}
