//! What a run measured: the machine and commit, each benchmark with its samples and summary,
//! and the baseline file that keeps a run for later comparison.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Confirmation;

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
    /// A benchmark of `samples` (which must not be empty) in `unit`, lower being better, with
    /// its summary computed from them and no throughput or kind: set those fields after.
    ///
    /// ```
    /// use perfgate_format::{Benchmark, Source};
    /// let b = Benchmark::new("parse/small", Source::Criterion, "core", "parse", "ns", vec![2.0, 1.0, 3.0]);
    /// assert_eq!((b.summary.median, b.summary.n), (2.0, 3));
    /// ```
    pub fn new(
        id: &str,
        source: Source,
        package: &str,
        target: &str,
        unit: &str,
        samples: Vec<f64>,
    ) -> Self {
        Benchmark {
            id: id.to_string(),
            source,
            package: package.to_string(),
            target: target.to_string(),
            unit: unit.to_string(),
            direction: Direction::LowerIsBetter,
            summary: Summary::of(&samples),
            samples,
            throughput: None,
            kind: None,
        }
    }

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
