//! Reading `perfgate.toml` from text (so it can come from any git rev) or from a workspace:
//! every key checked, every error naming the file, the line and the key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::budget::budget_from;
use super::{Policy, Unconfirmed};
use crate::config::{Confirm, CONFIG_FILE};
use crate::error::{Error, Result};

/// The words of `gate.unconfirmed`, in the order of `Unconfirmed`'s variants.
const UNCONFIRMED_WORDS: [&str; 2] = ["fail", "warn"];

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
    as_users_run: Option<Spanned<i64>>,
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
        policy.read_gate(&raw.gate, &at)?;
        policy.read_tables(&raw, &at)?;
        Ok(policy)
    }

    /// The `[gate]` table's keys; `at` makes an error that names the line and key of a span.
    fn read_gate(
        &mut self,
        gate: &RawGate,
        at: &dyn Fn(std::ops::Range<usize>, &str, String) -> Error,
    ) -> Result<()> {
        let policy = self;
        let fail_or_warn = |found: &String| {
            choice(found, &UNCONFIRMED_WORDS).map(|i| [Unconfirmed::Fail, Unconfirmed::Warn][i])
        };
        let confirm = |found: &String| confirm_word(found);
        let duration = |text: &String| parse_duration(text);
        if let Some(t) = read(&gate.threshold, "gate.threshold", parse_relative, at)? {
            policy.threshold = t;
        }
        if let Some(a) = read(&gate.alpha, "gate.alpha", check_alpha, at)? {
            policy.alpha = a;
        }
        if let Some(c) = read(&gate.confirm, "gate.confirm", confirm, at)? {
            policy.confirm = c;
        }
        for (value, key, slot) in [
            (
                &gate.unconfirmed,
                "gate.unconfirmed",
                &mut policy.unconfirmed,
            ),
            (&gate.missing, "gate.missing", &mut policy.missing),
            (
                &gate.inconclusive,
                "gate.inconclusive",
                &mut policy.inconclusive,
            ),
        ] {
            if let Some(word) = read(value, key, fail_or_warn, at)? {
                *slot = word;
            }
        }
        if let Some(p) = read(&gate.profile, "gate.profile", |p| validate_profile(p), at)? {
            policy.profile = p;
        }
        if let Some(t) = read(&gate.timeout, "gate.timeout", duration, at)? {
            policy.timeout = t;
        }
        if let Some(t) = read(&gate.confirm_budget, "gate.confirm_budget", duration, at)? {
            policy.confirm_budget = t;
        }
        if let Some(n) = read(
            &gate.as_users_run,
            "gate.as_users_run",
            |n| as_users_run_count(*n),
            at,
        )? {
            policy.as_users_run = n;
        }
        if let Some(l) = read(
            &gate.accept_label,
            "gate.accept_label",
            |l| label_name(l),
            at,
        )? {
            policy.accept_label = l;
        }
        if let Some(t) = read(
            &gate.drift_threshold,
            "gate.drift_threshold",
            parse_relative,
            at,
        )? {
            policy.drift_threshold = t;
        }
        Ok(())
    }

    /// The `[thresholds]`, `[signals]`, `[components.*]` and `[budgets]` tables; `at` makes an
    /// error that names the line and key of a span.
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
            let budget = budget_from(glob, value.get_ref())
                .map_err(|(suffix, m)| at(value.span(), &format!("{key}{suffix}"), m))?;
            policy.budgets.push(budget);
        }
        Ok(())
    }

    /// Reads `perfgate.toml` from a workspace directory, or defaults when it is absent.
    /// A symlink to a file outside the workspace is refused unread (its lines would be quoted
    /// in errors).
    pub(crate) fn from_dir(root: &Path) -> Result<Self> {
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
}

/// The index of `found` among a key's `options`, or an error listing them.
fn choice(found: &str, options: &[&str]) -> Result<usize, String> {
    options
        .iter()
        .position(|w| *w == found)
        .ok_or_else(|| format!("`{found}` is not one of {}", options.join(", ")))
}

/// `gate.confirm`: the words `--confirm` takes, read into the one type both use.
fn confirm_word(found: &str) -> Result<Confirm, String> {
    use clap::ValueEnum;
    Confirm::from_str(found, false).map_err(|_| {
        let words: Vec<String> = Confirm::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        format!("`{found}` is not one of {}", words.join(", "))
    })
}

/// `gate.alpha`: a miss rate in (0, 0.5).
fn check_alpha(alpha: &f64) -> Result<f64, String> {
    if *alpha > 0.0 && *alpha < 0.5 {
        Ok(*alpha)
    } else {
        Err(format!("{alpha} is not in (0, 0.5)"))
    }
}

/// `gate.accept_label`: a GitHub label's name (1 to 50 characters), trimmed.
fn label_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(format!("`{name}` is not a label name (1 to 50 characters)"));
    }
    Ok(name.to_string())
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
pub(crate) fn profile_name(name: &str) -> Result<String> {
    validate_profile(name).map_err(|m| Error::Usage(format!("--profile: {m}")))
}

/// The largest relative threshold a policy takes (exclusive): 10,000%. The per-kind defaults
/// reach 2,000% (a microsecond operation's extremes), and `init --calibrate` writes a tail at
/// 1.5× what this machine resolves, which on a shared 2-core machine can pass 1,000%.
pub(crate) const MAX_RELATIVE: f64 = 100.0;

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
    if !(number > 0.0 && number < MAX_RELATIVE) {
        return Err(format!(
            "{}% is not a relative threshold above 0% and below {}%",
            number * 100.0,
            MAX_RELATIVE * 100.0
        ));
    }
    Ok(number)
}

/// `"90s"`, `"10m"`, `"1h"`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration like 90s or 10m ({e})"))
}

/// One key read by its checker, an error naming the key's line.
fn read<T, U>(
    value: &Option<Spanned<T>>,
    key: &str,
    check: impl Fn(&T) -> Result<U, String>,
    at: &dyn Fn(std::ops::Range<usize>, &str, String) -> Error,
) -> Result<Option<U>> {
    value
        .as_ref()
        .map(|v| check(v.get_ref()).map_err(|m| at(v.span(), key, m)))
        .transpose()
}

/// `gate.as_users_run`: how many benchmarks a pull request's check runs as users run them,
/// 0 to 20 (each costs about two runs of the benchmark with its own settings).
fn as_users_run_count(n: i64) -> Result<usize, String> {
    match usize::try_from(n) {
        Ok(n) if n <= 20 => Ok(n),
        _ => Err(format!(
            "expected a number of benchmarks from 0 to 20, found {n}"
        )),
    }
}
