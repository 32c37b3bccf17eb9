//! What a comparison decided (`compare.json`): each entry's verdict, how it was reached and
//! re-measured, the budgets, signals, acceptance, drift and cost, and the run's counts.

use serde::{Deserialize, Serialize};

use crate::{Direction, GitState, Kind, Machine, Provenance, Throughput};

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
    /// Pairs of runs of the benchmark as `cargo bench` runs it, after the rounds of a pull
    /// request: `[baseline side, candidate]` medians, each side one process with the
    /// benchmark's own settings (the candidate through cargo in its checkout), in the order
    /// measured. Empty where the benchmark was not among those picked for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub as_users_run: Vec<[f64; 2]>,
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

impl Entry {
    /// The entry of `id` with a verdict and nothing measured yet (no figures, no interval, no
    /// note; threshold 0, lower being better, judged on stored figures): set what is known with
    /// struct update syntax.
    ///
    /// ```
    /// use perfgate_format::{Entry, Verdict};
    /// let e = Entry { note: Some("why".into()), ..Entry::new("parse/small", Verdict::Error) };
    /// assert_eq!((e.current, e.threshold), (None, 0.0));
    /// ```
    pub fn new(id: &str, verdict: Verdict) -> Self {
        Entry {
            id: id.to_string(),
            verdict,
            package: String::new(),
            target: String::new(),
            unit: String::new(),
            direction: Direction::LowerIsBetter,
            baseline: None,
            current: None,
            change: None,
            change_low: None,
            change_high: None,
            p_value: None,
            threshold: 0.0,
            method: Method::Stored,
            throughput: None,
            kind: None,
            difference: None,
            difference_low: None,
            difference_high: None,
            confirmation: None,
            note: None,
            trend: Vec::new(),
            budgets: Vec::new(),
            instructions: None,
        }
    }
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
