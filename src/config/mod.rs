//! Resolves command-line arguments and `perfgate.toml` into plain settings: `Policy` (the
//! file, parsed from text so it can come from any git rev) and `Settings::resolve`, the one
//! place where a flag beats a `perfgate.toml` key beats a default; `metric_defaults`, the
//! threshold a harness metric takes when no key names it. No module after this one sees clap
//! types.

use std::path::PathBuf;
use std::time::Duration;

pub(crate) mod metric_defaults;
mod policy;

pub(crate) use policy::{calibrated, parse_duration, profile_name, Budget, BudgetOp};
pub use policy::{Policy, Unconfirmed};

use crate::cli;
use crate::error::{Error, Result};

/// Default relative threshold a regression must exceed.
pub(crate) const DEFAULT_THRESHOLD: f64 = 0.05;
/// Default family-wise significance level of one run's comparisons.
pub(crate) const DEFAULT_ALPHA: f64 = 0.05;
/// Default per-target time limit.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Default wall time the confirm stage may spend in one run.
pub(crate) const DEFAULT_CONFIRM_BUDGET: Duration = Duration::from_secs(20 * 60);
/// Default number of criterion benchmarks a pull request's check also runs as users run them:
/// one, for a one-in-`n` chance per run (of `n` re-measured criterion benchmarks) of catching
/// code that is fast only under the gate's probes, at the cost of two runs of one benchmark
/// with its own settings (~18 s at criterion's defaults: a plain `cargo bench` of the demo's
/// three benchmarks takes ~29 s, its pull request's rounds ~5 s).
pub(crate) const DEFAULT_AS_USERS_RUN: usize = 1;
/// Default label with which a maintainer accepts a pull request's confirmed regressions.
pub(crate) const DEFAULT_ACCEPT_LABEL: &str = "perfgate:accept";
/// Default cumulative drift allowed on the default branch since the baseline's commit.
pub(crate) const DEFAULT_DRIFT_THRESHOLD: f64 = 0.10;
/// Name of the config file at the workspace root.
pub(crate) const CONFIG_FILE: &str = "perfgate.toml";

pub use crate::cli::{Confirm, Format};

/// One shard of `n`: `index` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::Usage(format!(
                "--shard {text}: expected i/n with 1 ≤ i ≤ n, e.g. 2/4"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// Which workspace, packages and targets to measure, and how.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub manifest_path: Option<PathBuf>,
    pub packages: Vec<String>,
    pub benches: Vec<String>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
    pub filter: Option<String>,
    pub quick: bool,
    pub timeout: Option<Duration>,
    pub shard: Option<Shard>,
}

impl Selection {
    pub(crate) fn from_args(args: &cli::SelectArgs) -> Result<Self> {
        Ok(Selection {
            manifest_path: args.manifest_path.clone(),
            packages: args.packages.clone(),
            benches: args.benches.clone(),
            features: args.features.clone(),
            all_features: args.all_features,
            no_default_features: args.no_default_features,
            filter: args.filter.clone(),
            quick: args.quick,
            timeout: args
                .timeout
                .as_deref()
                .map(|t| parse_duration(t).map_err(|e| Error::Usage(format!("--timeout {t}: {e}"))))
                .transpose()?,
            shard: args.shard.as_deref().map(Shard::parse).transpose()?,
        })
    }

    /// Whether a run of this selection covers every benchmark (no filter, no shard).
    pub(crate) fn is_complete(&self) -> bool {
        self.packages.is_empty()
            && self.benches.is_empty()
            && self.filter.is_none()
            && self.shard.is_none()
    }
}

/// Where artifacts go and how stdout looks.
#[derive(Debug, Clone)]
pub struct Output {
    pub out_dir: Option<PathBuf>,
    pub format: Format,
}

impl Output {
    pub(crate) fn from_args(args: &cli::OutputArgs) -> Self {
        Output {
            out_dir: args.out_dir.clone(),
            format: args.format.unwrap_or(Format::Table),
        }
    }
}

/// Which baseline, and whether to confirm.
#[derive(Debug, Clone)]
pub struct Against {
    pub against: Option<String>,
    pub profile: Option<String>,
    pub confirm: Option<Confirm>,
    pub confirm_budget: Option<Duration>,
    pub fetch: bool,
}

impl Against {
    pub(crate) fn from_args(args: &cli::AgainstArgs) -> Result<Self> {
        Ok(Against {
            against: args.against.clone(),
            profile: args.profile.as_deref().map(profile_name).transpose()?,
            confirm: args.confirm,
            confirm_budget: args
                .confirm_budget
                .as_deref()
                .map(|t| {
                    parse_duration(t)
                        .map_err(|e| Error::Usage(format!("--confirm-budget {t}: {e}")))
                })
                .transpose()?,
            fetch: args.fetch,
        })
    }
}

/// What a command's flags ask for that `perfgate.toml` also sets; `None` where no flag was given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub timeout: Option<Duration>,
    pub confirm: Option<Confirm>,
    pub confirm_budget: Option<Duration>,
    pub profile: Option<String>,
    /// Whether the gate runs for a pull request (from the environment, not a flag).
    pub pull_request: bool,
}

impl Overrides {
    /// The overrides of a command that selects what to measure and which baseline to use.
    pub fn of(selection: Option<&Selection>, against: Option<&Against>) -> Self {
        Overrides {
            timeout: selection.and_then(|s| s.timeout),
            confirm: against.and_then(|a| a.confirm),
            confirm_budget: against.and_then(|a| a.confirm_budget),
            profile: against.and_then(|a| a.profile.clone()),
            pull_request: false,
        }
    }

    /// For a run in a pull request: `auto` then re-measures every benchmark.
    pub fn in_pull_request(self, pull_request: bool) -> Self {
        Overrides {
            pull_request,
            ..self
        }
    }

    /// With a `--profile` flag of a command that has no `--against`.
    pub fn profile(self, flag: Option<&str>) -> Result<Self> {
        Ok(Overrides {
            profile: flag.map(profile_name).transpose()?,
            ..self
        })
    }
}

/// The settings a command runs with, each resolved once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub timeout: Duration,
    pub confirm: Confirm,
    pub confirm_budget: Duration,
    pub profile: String,
}

impl Settings {
    /// A flag beats the `perfgate.toml` key, which beats the default (the policy holds the
    /// defaults for keys the file does not set). `auto` in a pull request re-measures every
    /// benchmark against the merge-base build (`always`): a stored baseline measured in a slow
    /// phase of its machine would otherwise hide a slowdown from the stored comparison.
    pub fn resolve(overrides: &Overrides, policy: &Policy) -> Self {
        let confirm = match overrides.confirm.unwrap_or(policy.confirm) {
            Confirm::Auto if overrides.pull_request => Confirm::Always,
            chosen => chosen,
        };
        Settings {
            timeout: overrides.timeout.unwrap_or(policy.timeout),
            confirm,
            confirm_budget: overrides.confirm_budget.unwrap_or(policy.confirm_budget),
            profile: overrides
                .profile
                .clone()
                .unwrap_or_else(|| policy.profile.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parses_and_rejects() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("x").is_err());
    }

    #[test]
    fn a_flag_beats_the_config_key_which_beats_the_default() {
        let keyed = Policy::from_toml(
            "[gate]\ntimeout = \"90s\"\nconfirm = \"never\"\nprofile = \"ci\"\nconfirm_budget = \"3m\"\n",
            "perfgate.toml",
        )
        .unwrap();
        let none = Settings::resolve(&Overrides::default(), &Policy::default());
        assert_eq!(none.timeout, DEFAULT_TIMEOUT);
        assert_eq!(none.confirm, Confirm::Auto);
        assert_eq!(none.profile, "default");
        assert_eq!(none.confirm_budget, DEFAULT_CONFIRM_BUDGET);
        let keys = Settings::resolve(&Overrides::default(), &keyed);
        assert_eq!(keys.timeout, Duration::from_secs(90));
        assert_eq!(keys.confirm, Confirm::Never);
        assert_eq!(keys.profile, "ci");
        assert_eq!(keys.confirm_budget, Duration::from_secs(180));
        let flags = Overrides {
            timeout: Some(Duration::from_secs(5)),
            confirm: Some(Confirm::Always),
            confirm_budget: Some(Duration::from_secs(30)),
            profile: Some("local".to_string()),
            pull_request: false,
        };
        let flagged = Settings::resolve(&flags, &keyed);
        assert_eq!(flagged.timeout, Duration::from_secs(5));
        assert_eq!(flagged.confirm, Confirm::Always);
        assert_eq!(flagged.profile, "local");
        assert_eq!(flagged.confirm_budget, Duration::from_secs(30));
        let pr = Overrides::default().in_pull_request(true);
        assert_eq!(
            Settings::resolve(&pr, &Policy::default()).confirm,
            Confirm::Always
        );
        assert_eq!(Settings::resolve(&pr, &keyed).confirm, Confirm::Never);
    }
}
