//! `perfgate.toml`: the gate's policy (thresholds, budgets, confirmation, warn levels, signals)
//! and the answers it gives (which threshold, which budgets). `read.rs` reads it from text,
//! naming the file, line and key of every error; `budget.rs` owns a budget; `calibrated.rs`
//! the thresholds `init --calibrate` adds to it.

mod budget;
pub(crate) mod calibrated;
mod read;

use std::collections::BTreeMap;
use std::time::Duration;

use perfgate_format::{Benchmark, Source};

use super::{
    Confirm, DEFAULT_ACCEPT_LABEL, DEFAULT_ALPHA, DEFAULT_AS_USERS_RUN, DEFAULT_CONFIRM_BUDGET,
    DEFAULT_DRIFT_THRESHOLD, DEFAULT_THRESHOLD, DEFAULT_TIMEOUT,
};

pub(crate) use budget::{Budget, BudgetOp};
pub(crate) use read::{parse_duration, profile_name, MAX_RELATIVE};

/// What the gate does with a flag it could not re-measure (`gate.unconfirmed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unconfirmed {
    /// Fail closed: the run's verdict is `error` (exit 1), naming what and why.
    Fail,
    /// Report it loudly without failing (a base-side choice; a pull request cannot make it).
    Warn,
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
    /// How many criterion benchmarks a pull request's check also runs as users run them
    /// (`cargo bench`), after their rounds, picked at random (`gate.as_users_run`).
    pub as_users_run: usize,
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
        let percent = |v: &f64| format!("{}%", (v * 1000.0).round() / 10.0);
        let word = |v: &dyn std::fmt::Debug| format!("{v:?}").to_lowercase();
        let secs = |d: &Duration| format!("{}s", d.as_secs());
        let text = |s: &String| s.clone();
        let list = |items: Vec<String>| format!("[{}]", items.join(", "));
        let thresholds = |p: &Policy| {
            let globs = p.thresholds.iter();
            let packages = p.package_thresholds.iter();
            list(
                globs
                    .map(|(g, t)| format!("{} = {}", g.as_str(), percent(t)))
                    .chain(packages.map(|(k, t)| format!("package {k} = {}", percent(t))))
                    .collect(),
            )
        };
        let budgets = |p: &Policy| {
            list(
                p.budgets
                    .iter()
                    .map(|b| match &b.warn {
                        Some(w) => format!("{} {} (warn {})", b.pattern.as_str(), b.text, w.text),
                        None => format!("{} {}", b.pattern.as_str(), b.text),
                    })
                    .collect(),
            )
        };
        let signals = |p: &Policy| {
            list(
                p.signals
                    .iter()
                    .map(|(time, count)| format!("{time} = {count}"))
                    .collect(),
            )
        };
        // One key per line, in the order of the file: (name, differs, before, after).
        macro_rules! key {
            ($field:ident, $show:expr) => {
                (
                    stringify!($field),
                    self.$field != other.$field,
                    $show(&self.$field),
                    $show(&other.$field),
                )
            };
        }
        let keys = [
            key!(threshold, percent),
            key!(alpha, |a: &f64| a.to_string()),
            key!(confirm, |c: &Confirm| word(c)),
            key!(inconclusive, |u: &Unconfirmed| word(u)),
            key!(missing, |u: &Unconfirmed| word(u)),
            key!(unconfirmed, |u: &Unconfirmed| word(u)),
            key!(profile, text),
            key!(timeout, secs),
            key!(confirm_budget, secs),
            key!(as_users_run, |n: &usize| n.to_string()),
            key!(accept_label, text),
            key!(drift_threshold, percent),
        ];
        let tables = [
            ("thresholds", thresholds(self), thresholds(other)),
            ("budgets", budgets(self), budgets(other)),
            ("signals", signals(self), signals(other)),
        ];
        keys.into_iter()
            .filter(|(_, differs, _, _)| *differs)
            .map(|(name, _, before, after)| (name, before, after))
            .chain(
                tables
                    .into_iter()
                    .filter(|(_, before, after)| before != after),
            )
            .map(|(name, before, after)| format!("{name} {before} → {after}"))
            .collect()
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

    /// The threshold of the first `[thresholds]` glob that names `id`.
    pub(crate) fn glob_threshold(&self, id: &str) -> Option<f64> {
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
    pub(crate) fn budgets_for<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Budget> + 'a {
        self.budgets.iter().filter(move |b| b.pattern.matches(id))
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
            as_users_run: DEFAULT_AS_USERS_RUN,
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
    fn gate_confirm_takes_the_words_of_the_confirm_flag_and_names_them_when_wrong() {
        let read = |text: &str| Policy::from_toml(text, "perfgate.toml");
        for (word, confirm) in [
            ("auto", Confirm::Auto),
            ("always", Confirm::Always),
            ("never", Confirm::Never),
        ] {
            let policy = read(&format!("[gate]\nconfirm = \"{word}\"\n")).unwrap();
            assert_eq!(policy.confirm, confirm);
        }
        let err = read("[gate]\nconfirm = \"Always\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("gate.confirm") && err.contains("auto, always, never"),
            "{err}"
        );
    }

    #[test]
    fn as_users_run_takes_a_count_from_zero_to_twenty() {
        let read = |text: &str| Policy::from_toml(text, "perfgate.toml");
        assert_eq!(read("[gate]\nas_users_run = 0\n").unwrap().as_users_run, 0);
        assert_eq!(read("[gate]\nas_users_run = 5\n").unwrap().as_users_run, 5);
        assert_eq!(Policy::default().as_users_run, 1);
        for bad in ["-1", "21", "\"all\"", "1.5"] {
            let err = read(&format!("[gate]\nas_users_run = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("gate.as_users_run") || err.contains("line 2"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn thresholds_resolve_glob_then_component_then_default() {
        let policy = Policy::from_toml(
            "[gate]\nthreshold = \"4%\"\n[thresholds]\n\"parse/*\" = 0.1\n[components.core]\npackages = [\"core\"]\nthreshold = \"2%\"\n",
            "perfgate.toml",
        )
        .unwrap();
        let of = |id: &str, package: &str| {
            let b = Benchmark::new(id, Source::Criterion, package, "t", "ns", vec![1.0]);
            policy.threshold_of(&b)
        };
        assert_eq!(of("parse/x", "core"), 0.1);
        assert_eq!(of("index", "core"), 0.02);
        assert_eq!(of("index", "other"), 0.04);
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
