//! `perfgate.toml`: the gate's policy (thresholds, budgets, confirmation, warn levels),
//! parsed from text so it can come from any git rev, with every error naming the file, the
//! line and the key. (Past 600 lines with its unit tests: one reader for every key.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use perfgate_format::{Benchmark, Source};
use serde::Deserialize;
use toml::Spanned;

use super::{
    Confirm, CONFIG_FILE, DEFAULT_ACCEPT_LABEL, DEFAULT_ALPHA, DEFAULT_CONFIRM_BUDGET,
    DEFAULT_DRIFT_THRESHOLD, DEFAULT_THRESHOLD, DEFAULT_TIMEOUT,
};
use crate::error::{Error, Result};

/// The words of `gate.confirm`, in the order of `Confirm`'s variants.
const CONFIRM_WORDS: [&str; 3] = ["auto", "always", "never"];
/// The words of `gate.unconfirmed`, in the order of `Unconfirmed`'s variants.
const UNCONFIRMED_WORDS: [&str; 2] = ["fail", "warn"];

/// What the gate does with a flag it could not re-measure (`gate.unconfirmed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unconfirmed {
    /// Fail closed: the run's verdict is `error` (exit 1), naming what and why.
    Fail,
    /// Report it loudly without failing (a base-side choice; a pull request cannot make it).
    Warn,
}

/// A budget: an absolute limit on a metric's current value.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub pattern: glob::Pattern,
    pub op: BudgetOp,
    /// Limit in the metric's unit (ns for times).
    pub limit: f64,
    /// The budget as written, for reports.
    pub text: String,
    /// The unit it was written in (`us`, `%`, `/s`, `B`, … or empty).
    pub unit: String,
    /// The warn level: a limit on the same side, in the same unit, that a value may break
    /// without failing (`warn`, not `budget-fail`).
    pub warn: Option<Level>,
}

/// A budget's warn level.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub limit: f64,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetOp {
    Below,
    Above,
}

impl Budget {
    /// Whether the budget's unit can describe a metric measured in `metric_unit`: a time budget
    /// on a throughput never applies, and must not pass silently.
    pub fn fits(&self, metric_unit: &str) -> bool {
        match self.unit.as_str() {
            "ns" | "us" | "µs" | "ms" | "s" => metric_unit == "ns",
            "%" => metric_unit == "ratio",
            "x" => matches!(metric_unit, "x" | "ratio"),
            "/s" => metric_unit.ends_with("/s"),
            "B" | "KiB" | "MiB" => metric_unit == "B",
            _ => true,
        }
    }

    /// Whether `value` keeps the budget.
    pub fn holds(&self, value: f64) -> bool {
        self.keeps(self.limit, value)
    }

    /// Whether `value` keeps `limit` on this budget's side.
    pub fn keeps(&self, limit: f64, value: f64) -> bool {
        match self.op {
            BudgetOp::Below => value < limit,
            BudgetOp::Above => value > limit,
        }
    }

    /// How far `value` is inside the limit, relative to it (`0.25`: a quarter of the limit to
    /// spare; negative: over it).
    pub fn margin(&self, value: f64) -> f64 {
        let room = match self.op {
            BudgetOp::Below => self.limit - value,
            BudgetOp::Above => value - self.limit,
        };
        room / self.limit.abs().max(f64::MIN_POSITIVE)
    }
}

/// The gate's policy, from `perfgate.toml` (or defaults when there is none).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub threshold: f64,
    pub alpha: f64,
    pub confirm: Confirm,
    pub unconfirmed: Unconfirmed,
    /// What a baseline entry in scope that the run did not measure (removed, renamed, its
    /// target no longer recognised) does to the run (`gate.missing`, same words).
    pub missing: Unconfirmed,
    /// What a re-measurement still across the threshold after its last round does to the run
    /// (`gate.inconclusive`, same words).
    pub inconclusive: Unconfirmed,
    pub profile: String,
    pub timeout: Duration,
    /// Most wall time the confirm stage may spend.
    pub confirm_budget: Duration,
    /// The pull-request label with which a maintainer accepts its confirmed regressions.
    pub accept_label: String,
    /// The cumulative change a benchmark may drift on the default branch since the baseline's
    /// commit (a drift run judges against the larger of this and its per-change threshold).
    pub drift_threshold: f64,
    /// Per-benchmark thresholds, first match wins.
    pub thresholds: Vec<(glob::Pattern, f64)>,
    /// Per-package thresholds from `[components.*]`.
    pub package_thresholds: Vec<(String, f64)>,
    pub budgets: Vec<Budget>,
    /// `[signals]`: a time's id → the gungraun benchmark counting the same code, whose
    /// instruction count its row shows beside it (a count whose path is the time's id needs no
    /// entry).
    pub signals: BTreeMap<String, String>,
    /// Where the policy was read from (`perfgate.toml at HEAD`, `defaults`).
    pub origin: String,
}

impl Policy {
    /// What `other` (a changed perfgate.toml) would set differently from this policy, as
    /// `key old → new` phrases; empty when they gate alike (where each was read from aside).
    pub fn differences(&self, other: &Policy) -> Vec<String> {
        let percent = |v: f64| format!("{}%", (v * 1000.0).round() / 10.0);
        let mut changed = Vec::new();
        if self.threshold != other.threshold {
            changed.push(format!(
                "threshold {} → {}",
                percent(self.threshold),
                percent(other.threshold)
            ));
        }
        if self.alpha != other.alpha {
            changed.push(format!("alpha {} → {}", self.alpha, other.alpha));
        }
        if self.confirm != other.confirm {
            changed
                .push(format!("confirm {:?} → {:?}", self.confirm, other.confirm).to_lowercase());
        }
        if self.inconclusive != other.inconclusive {
            changed.push(
                format!(
                    "inconclusive {:?} → {:?}",
                    self.inconclusive, other.inconclusive
                )
                .to_lowercase(),
            );
        }
        if self.missing != other.missing {
            changed
                .push(format!("missing {:?} → {:?}", self.missing, other.missing).to_lowercase());
        }
        if self.unconfirmed != other.unconfirmed {
            changed.push(
                format!(
                    "unconfirmed {:?} → {:?}",
                    self.unconfirmed, other.unconfirmed
                )
                .to_lowercase(),
            );
        }
        if self.profile != other.profile {
            changed.push(format!("profile {} → {}", self.profile, other.profile));
        }
        if self.timeout != other.timeout {
            changed.push(format!(
                "timeout {}s → {}s",
                self.timeout.as_secs(),
                other.timeout.as_secs()
            ));
        }
        if self.confirm_budget != other.confirm_budget {
            changed.push(format!(
                "confirm_budget {}s → {}s",
                self.confirm_budget.as_secs(),
                other.confirm_budget.as_secs()
            ));
        }
        if self.accept_label != other.accept_label {
            changed.push(format!(
                "accept_label {} → {}",
                self.accept_label, other.accept_label
            ));
        }
        if self.drift_threshold != other.drift_threshold {
            changed.push(format!(
                "drift_threshold {} → {}",
                percent(self.drift_threshold),
                percent(other.drift_threshold)
            ));
        }
        let thresholds = |p: &Policy| {
            p.thresholds
                .iter()
                .map(|(g, t)| format!("{} = {}", g.as_str(), percent(*t)))
                .chain(
                    p.package_thresholds
                        .iter()
                        .map(|(k, t)| format!("package {k} = {}", percent(*t))),
                )
                .collect::<Vec<_>>()
        };
        let budgets = |p: &Policy| {
            p.budgets
                .iter()
                .map(|b| match &b.warn {
                    Some(w) => format!("{} {} (warn {})", b.pattern.as_str(), b.text, w.text),
                    None => format!("{} {}", b.pattern.as_str(), b.text),
                })
                .collect::<Vec<_>>()
        };
        let signals = |p: &Policy| {
            p.signals
                .iter()
                .map(|(time, count)| format!("{time} = {count}"))
                .collect::<Vec<_>>()
        };
        for (name, before, after) in [
            ("thresholds", thresholds(self), thresholds(other)),
            ("budgets", budgets(self), budgets(other)),
            ("signals", signals(self), signals(other)),
        ] {
            if before != after {
                changed.push(format!(
                    "{name} [{}] → [{}]",
                    before.join(", "),
                    after.join(", ")
                ));
            }
        }
        changed
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            threshold: DEFAULT_THRESHOLD,
            alpha: DEFAULT_ALPHA,
            confirm: Confirm::Auto,
            unconfirmed: Unconfirmed::Fail,
            missing: Unconfirmed::Fail,
            inconclusive: Unconfirmed::Fail,
            profile: "default".to_string(),
            timeout: DEFAULT_TIMEOUT,
            confirm_budget: DEFAULT_CONFIRM_BUDGET,
            accept_label: DEFAULT_ACCEPT_LABEL.to_string(),
            drift_threshold: DEFAULT_DRIFT_THRESHOLD,
            thresholds: Vec::new(),
            package_thresholds: Vec::new(),
            budgets: Vec::new(),
            signals: BTreeMap::new(),
            origin: "defaults (no perfgate.toml)".to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    gate: RawGate,
    #[serde(default)]
    thresholds: std::collections::BTreeMap<String, Spanned<RawNumber>>,
    #[serde(default)]
    components: std::collections::BTreeMap<String, RawComponent>,
    /// `"< 20ms"`, or `{ fail = "< 20ms", warn = "< 15ms" }` (read by `budget_levels`, so
    /// a mistake is named with its key rather than as an enum that did not match).
    #[serde(default)]
    budgets: std::collections::BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    signals: std::collections::BTreeMap<String, Spanned<toml::Value>>,
}

/// The fail level and the optional warn level of a budget as written.
fn budget_levels(value: &toml::Value) -> Result<(String, Option<String>), String> {
    let text = |v: &toml::Value, key: &str| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("`{key}` must be a string like \"< 20ms\""))
    };
    match value {
        toml::Value::String(fail) => Ok((fail.clone(), None)),
        toml::Value::Table(levels) => {
            if let Some(unknown) = levels
                .keys()
                .find(|k| !matches!(k.as_str(), "fail" | "warn"))
            {
                return Err(format!(
                    "unknown key `{unknown}`: a budget table has `fail` and optionally `warn`"
                ));
            }
            let fail = levels.get("fail").ok_or(
                "a budget table needs `fail`, e.g. { fail = \"< 20ms\", warn = \"< 15ms\" }",
            )?;
            let warn = levels.get("warn").map(|w| text(w, "warn")).transpose()?;
            Ok((text(fail, "fail")?, warn))
        }
        _ => Err(
            "expected a string like \"< 20ms\" or a table { fail = \"< 20ms\", warn = \"< 15ms\" }"
                .to_string(),
        ),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    threshold: Option<Spanned<RawNumber>>,
    alpha: Option<Spanned<f64>>,
    confirm: Option<Spanned<String>>,
    unconfirmed: Option<Spanned<String>>,
    missing: Option<Spanned<String>>,
    inconclusive: Option<Spanned<String>>,
    profile: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    confirm_budget: Option<Spanned<String>>,
    accept_label: Option<Spanned<String>>,
    drift_threshold: Option<Spanned<RawNumber>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    packages: Vec<String>,
    threshold: Option<Spanned<RawNumber>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawNumber {
    Number(f64),
    Text(String),
}

impl Policy {
    /// Parses `perfgate.toml` text; `location` names it in errors (a path, or `rev:path`).
    pub fn from_toml(text: &str, location: &str) -> Result<Self> {
        let err = |message: String| Error::Config {
            path: PathBuf::from(location),
            message,
        };
        let at = |span: std::ops::Range<usize>, key: &str, message: String| {
            err(format!(
                "line {}: `{key}`: {message}",
                line_of(text, span.start)
            ))
        };
        let raw: RawPolicy =
            toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        let mut policy = Policy {
            origin: location.to_string(),
            ..Policy::default()
        };
        let relative = |value: &Spanned<RawNumber>, key: &str| {
            parse_relative(value.get_ref()).map_err(|m| at(value.span(), key, m))
        };
        if let Some(t) = &raw.gate.threshold {
            policy.threshold = relative(t, "gate.threshold")?;
        }
        if let Some(a) = &raw.gate.alpha {
            let alpha = *a.get_ref();
            if !(alpha > 0.0 && alpha < 0.5) {
                return Err(at(
                    a.span(),
                    "gate.alpha",
                    format!("{alpha} is not in (0, 0.5)"),
                ));
            }
            policy.alpha = alpha;
        }
        let choice = |value: &Spanned<String>, key: &str| {
            let found = value.get_ref().as_str();
            let options = match key {
                "gate.confirm" => &CONFIRM_WORDS[..],
                _ => &UNCONFIRMED_WORDS[..],
            };
            options.iter().position(|w| *w == found).ok_or_else(|| {
                at(
                    value.span(),
                    key,
                    format!("`{found}` is not one of {}", options.join(", ")),
                )
            })
        };
        if let Some(c) = &raw.gate.confirm {
            policy.confirm =
                [Confirm::Auto, Confirm::Always, Confirm::Never][choice(c, "gate.confirm")?];
        }
        if let Some(u) = &raw.gate.unconfirmed {
            policy.unconfirmed =
                [Unconfirmed::Fail, Unconfirmed::Warn][choice(u, "gate.unconfirmed")?];
        }
        if let Some(m) = &raw.gate.missing {
            policy.missing = [Unconfirmed::Fail, Unconfirmed::Warn][choice(m, "gate.missing")?];
        }
        if let Some(i) = &raw.gate.inconclusive {
            policy.inconclusive =
                [Unconfirmed::Fail, Unconfirmed::Warn][choice(i, "gate.inconclusive")?];
        }
        if let Some(p) = &raw.gate.profile {
            policy.profile =
                validate_profile(p.get_ref()).map_err(|m| at(p.span(), "gate.profile", m))?;
        }
        if let Some(t) = &raw.gate.timeout {
            policy.timeout =
                parse_duration(t.get_ref()).map_err(|m| at(t.span(), "gate.timeout", m))?;
        }
        if let Some(t) = &raw.gate.confirm_budget {
            policy.confirm_budget =
                parse_duration(t.get_ref()).map_err(|m| at(t.span(), "gate.confirm_budget", m))?;
        }
        if let Some(label) = &raw.gate.accept_label {
            let name = label.get_ref().trim();
            // GitHub's limit on a label's name.
            if name.is_empty() || name.chars().count() > 50 {
                return Err(at(
                    label.span(),
                    "gate.accept_label",
                    format!("`{name}` is not a label name (1 to 50 characters)"),
                ));
            }
            policy.accept_label = name.to_string();
        }
        if let Some(t) = &raw.gate.drift_threshold {
            policy.drift_threshold = relative(t, "gate.drift_threshold")?;
        }
        policy.read_tables(&raw, &at)?;
        Ok(policy)
    }

    /// The `[thresholds]`, `[components.*]` and `[budgets]` tables; `at` makes an error that
    /// names the line and key of a span.
    fn read_tables(
        &mut self,
        raw: &RawPolicy,
        at: &dyn Fn(std::ops::Range<usize>, &str, String) -> Error,
    ) -> Result<()> {
        let policy = self;
        let relative = |value: &Spanned<RawNumber>, key: &str| {
            parse_relative(value.get_ref()).map_err(|m| at(value.span(), key, m))
        };
        for (pattern, value) in &raw.thresholds {
            let key = format!("thresholds.\"{pattern}\"");
            let glob = glob::Pattern::new(pattern)
                .map_err(|e| at(value.span(), &key, format!("bad glob: {e}")))?;
            policy.thresholds.push((glob, relative(value, &key)?));
        }
        for (time, count) in &raw.signals {
            let key = format!("signals.\"{time}\"");
            let path = count
                .get_ref()
                .as_str()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .ok_or_else(|| {
                    at(
                        count.span(),
                        &key,
                        "expected the gungraun benchmark's path, e.g. \"counts::work::checksum::large\"".to_string(),
                    )
                })?;
            policy.signals.insert(time.clone(), path.to_string());
        }
        for (name, component) in &raw.components {
            if let Some(t) = &component.threshold {
                let threshold = relative(t, &format!("components.{name}.threshold"))?;
                for package in &component.packages {
                    policy.package_thresholds.push((package.clone(), threshold));
                }
            }
        }
        for (pattern, value) in &raw.budgets {
            let key = format!("budgets.\"{pattern}\"");
            let glob = glob::Pattern::new(pattern)
                .map_err(|e| at(value.span(), &key, format!("bad glob: {e}")))?;
            let (fail, warn) =
                budget_levels(value.get_ref()).map_err(|m| at(value.span(), &key, m))?;
            let (op, limit, unit) = parse_budget(&fail).map_err(|m| at(value.span(), &key, m))?;
            let warn = match warn {
                None => None,
                Some(text) => {
                    let (warn_op, warn_limit, warn_unit) = parse_budget(&text)
                        .map_err(|m| at(value.span(), &format!("{key}.warn"), m))?;
                    let inside = match op {
                        BudgetOp::Below => warn_limit <= limit,
                        BudgetOp::Above => warn_limit >= limit,
                    };
                    if warn_op != op || warn_unit != unit || !inside {
                        return Err(at(
                            value.span(),
                            &format!("{key}.warn"),
                            format!("`{}` must be on the same side and in the same unit as `{}`, and no looser", text.trim(), fail.trim()),
                        ));
                    }
                    Some(Level {
                        limit: warn_limit,
                        text: text.trim().to_string(),
                    })
                }
            };
            policy.budgets.push(Budget {
                pattern: glob,
                op,
                limit,
                text: fail.trim().to_string(),
                unit,
                warn,
            });
        }
        Ok(())
    }

    /// Reads `perfgate.toml` from a workspace directory, or defaults when it is absent.
    /// A symlink to a file outside the workspace is refused unread (its lines would be quoted
    /// in errors).
    pub fn from_dir(root: &Path) -> Result<Self> {
        let path = root.join(CONFIG_FILE);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            let inside = match (path.canonicalize(), root.canonicalize()) {
                (Ok(target), Ok(root)) => target.starts_with(root),
                _ => false,
            };
            if !inside {
                return Err(Error::Config {
                    path,
                    message: "a symlink to a file outside the workspace: not read; make it a regular file".to_string(),
                });
            }
        }
        match std::fs::read_to_string(&path) {
            // Errors name the file where it is; reports say where it was read from in words
            // that do not carry the runner's paths.
            Ok(text) => {
                Policy::from_toml(&text, &path.display().to_string()).map(|policy| Policy {
                    origin: format!("{CONFIG_FILE} in the work tree"),
                    ..policy
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
            Err(source) => Err(Error::Read { path, source }),
        }
    }

    /// The relative threshold for one criterion benchmark: its glob, else its package's, else
    /// `gate.threshold`.
    pub fn threshold_for(&self, id: &str, package: &str) -> f64 {
        self.glob_threshold(id)
            .or_else(|| self.package_threshold(package))
            .unwrap_or(self.threshold)
    }

    /// The threshold for one measured benchmark or metric: its glob, else (a harness metric or
    /// a divan allocation figure) the default for what it is (`metric_defaults`), else its package's, else
    /// `gate.threshold`. A metric's default comes before its package's: a component's
    /// threshold is written for its benchmarks, and a latency tail cannot hold a benchmark's 3%.
    pub fn threshold_of(&self, b: &Benchmark) -> f64 {
        let harness_default = || {
            match b.source {
                Source::Stability => super::metric_defaults::of(&b.id),
                Source::Divan => super::metric_defaults::of_divan(&b.id),
                _ => None,
            }
            .map(|d| d.threshold)
        };
        self.glob_threshold(&b.id)
            .or_else(harness_default)
            .or_else(|| self.package_threshold(&b.package))
            .unwrap_or(self.threshold)
    }

    fn glob_threshold(&self, id: &str) -> Option<f64> {
        self.thresholds
            .iter()
            .find(|(glob, _)| glob.matches(id))
            .map(|(_, t)| *t)
    }

    fn package_threshold(&self, package: &str) -> Option<f64> {
        self.package_thresholds
            .iter()
            .find(|(p, _)| p == package)
            .map(|(_, t)| *t)
    }

    /// Budgets that apply to a benchmark id.
    pub fn budgets_for<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Budget> + 'a {
        self.budgets.iter().filter(move |b| b.pattern.matches(id))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn validate_profile(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!(
            "`{name}` is not a valid profile name (letters, digits, - _ .)"
        ))
    }
}

/// Checks a `--profile` value.
pub fn profile_name(name: &str) -> Result<String> {
    validate_profile(name).map_err(|m| Error::Usage(format!("--profile: {m}")))
}

/// `"5%"`, `"0.05"` or `0.05` → 0.05. A bare number of 1 or more is refused: `5` would
/// mean 500%, which nobody writes on purpose.
fn parse_relative(value: &RawNumber) -> Result<f64, String> {
    let number = match value {
        RawNumber::Number(n) if *n >= 1.0 => {
            return Err(format!(
                "{n} would mean {}%; write \"{n}%\" for {n}%, or a fraction below 1",
                n * 100.0
            ))
        }
        RawNumber::Number(n) => *n,
        RawNumber::Text(t) => {
            let t = t.trim();
            if let Some(p) = t.strip_suffix('%') {
                p.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{t}` is not a percentage like \"5%\""))?
                    / 100.0
            } else {
                let n = t
                    .parse::<f64>()
                    .map_err(|_| format!("`{t}` is not a number or a percentage like \"5%\""))?;
                return parse_relative(&RawNumber::Number(n));
            }
        }
    };
    if !(number > 0.0 && number < 10.0) {
        return Err(format!("{number} is not a relative threshold in (0, 10)"));
    }
    Ok(number)
}

/// `"90s"`, `"10m"`, `"1h"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration like 90s or 10m ({e})"))
}

/// `"< 50us"`, `"> 20000/s"`, `"< 1%"`.
fn parse_budget(text: &str) -> Result<(BudgetOp, f64, String), String> {
    let t = text.trim();
    let (op, rest) = if let Some(r) = t.strip_prefix('<') {
        (BudgetOp::Below, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (BudgetOp::Above, r)
    } else {
        return Err(format!("`{t}` must start with < or >, e.g. \"< 50us\""));
    };
    let rest = rest.trim_start_matches('=').trim();
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at(split);
    let number: f64 = number
        .replace('_', "")
        .parse()
        .map_err(|_| format!("`{t}`: `{number}` is not a number"))?;
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "%" => 0.01,
        "x" | "" | "/s" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "`{t}`: unknown unit `{other}` (ns, us, ms, s, %, x, /s, B, KiB, MiB)"
            ))
        }
    };
    Ok((op, number * scale, unit.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_policy_read_from_two_places_has_no_differences() {
        let text = "[gate]\nthreshold = \"5%\"\n[budgets]\n\"a/*\" = \"< 20ms\"\n";
        let base = Policy::from_toml(text, "git:abc:perfgate.toml").unwrap();
        let same = Policy::from_toml(text, "/work/perfgate.toml").unwrap();
        assert!(base.differences(&same).is_empty());
        let looser = Policy::from_toml(
            "[gate]\nthreshold = \"50%\"\nconfirm = \"never\"\n",
            "/work/perfgate.toml",
        )
        .unwrap();
        let changes = base.differences(&looser);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert_eq!(changes[0], "threshold 5% → 50%");
        assert_eq!(changes[1], "confirm auto → never");
        assert!(
            changes[2].starts_with("budgets [a/* < 20ms] → []"),
            "{changes:?}"
        );
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = Policy::from_toml(
            "[gate]\nthreshold = \"5%\"\nthreshhold = 1\n",
            "perfgate.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("perfgate.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("threshhold"), "{err}");
    }

    #[test]
    fn malformed_threshold_names_line_and_key() {
        let err = Policy::from_toml("\n[thresholds]\n\"parse/*\" = \"lots\"\n", "perfgate.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("thresholds.\"parse/*\""), "{err}");
    }

    #[test]
    fn thresholds_resolve_glob_then_component_then_default() {
        let policy = Policy::from_toml(
            "[gate]\nthreshold = \"4%\"\n[thresholds]\n\"parse/*\" = 0.1\n[components.core]\npackages = [\"core\"]\nthreshold = \"2%\"\n",
            "perfgate.toml",
        )
        .unwrap();
        assert_eq!(policy.threshold_for("parse/x", "core"), 0.1);
        assert_eq!(policy.threshold_for("index", "core"), 0.02);
        assert_eq!(policy.threshold_for("index", "other"), 0.04);
    }

    #[test]
    fn a_budget_may_have_a_warn_level_on_its_own_side() {
        let policy = Policy::from_toml(
            "[budgets]\n\"a\" = { fail = \"< 20ms\", warn = \"< 15ms\" }\n\"b\" = \"> 100/s\"\n",
            "perfgate.toml",
        )
        .unwrap();
        let a = &policy.budgets[0];
        assert_eq!(a.limit, 20e6);
        assert_eq!(a.warn.as_ref().unwrap().limit, 15e6);
        assert!(policy.budgets[1].warn.is_none());
        for bad in [
            "{ fail = \"< 20ms\", warn = \"> 15ms\" }",
            "{ fail = \"< 20ms\", warn = \"< 30ms\" }",
            "{ fail = \"< 20ms\", warn = \"< 15%\" }",
            "{ fail = \"< 20ms\", alarm = \"< 15ms\" }",
        ] {
            let text = format!("[budgets]\n\"a\" = {bad}\n");
            let err = Policy::from_toml(&text, "perfgate.toml")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("line 2") && err.contains("budgets"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn budgets_parse_units() {
        let parsed = |t: &str| parse_budget(t).map(|(op, limit, _)| (op, limit));
        assert_eq!(parsed("< 50us").unwrap(), (BudgetOp::Below, 50_000.0));
        assert_eq!(parsed("> 20000/s").unwrap(), (BudgetOp::Above, 20_000.0));
        assert_eq!(parsed("< 1%").unwrap(), (BudgetOp::Below, 0.01));
        assert!(parse_budget("50us").is_err());
        assert!(parse_budget("< 5 parsecs").is_err());
    }

    #[test]
    fn a_bare_threshold_of_one_or_more_is_refused_not_read_as_hundreds_of_percent() {
        let err = Policy::from_toml("[gate]\nthreshold = 5\n", "perfgate.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("500%") && err.contains("line 2"), "{err}");
        assert!(Policy::from_toml("[gate]\nthreshold = \"5\"\n", "perfgate.toml").is_err());
        let ok = Policy::from_toml("[gate]\nthreshold = 0.05\n", "perfgate.toml").unwrap();
        assert_eq!(ok.threshold, 0.05);
    }
}
