//! Baselines: reading them (from a git rev by default, or a file), checking their schema,
//! writing them atomically in a diff-friendly form, and choosing which rev the gate's
//! baseline and policy come from. The git plumbing itself is in `git`.

pub mod git;

use std::io::Write;
use std::path::{Path, PathBuf};

use perfgate_format::{split_schema, Baseline, Provenance, Run, BASELINE_SCHEMA, RUN_SCHEMA};
use serde_json::Value;

use crate::config::{Policy, CONFIG_FILE};
use crate::error::{Error, Result};

/// Directory of baseline files, relative to the workspace root.
pub const BASELINE_DIR: &str = "baselines";

/// Workspace-relative path of a profile's baseline file.
pub fn relative_path(profile: &str) -> String {
    format!("{BASELINE_DIR}/{profile}.json")
}

/// The `schema` field of a JSON document, read without building the document in memory (the
/// typed parse that follows is then the only full one: half the time for 10,000 benchmarks).
pub fn schema_of(text: &str) -> serde_json::Result<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        schema: Option<Value>,
    }
    let head: Head = serde_json::from_str(text)?;
    Ok(head.schema.and_then(|v| v.as_str().map(str::to_string)))
}

/// A perfgate JSON file's text, its location for messages, and its `schema` (`(none)` when it
/// has none); `what` names the file kind in a parse error.
pub fn read_with_schema(path: &Path, what: &'static str) -> Result<(String, String, String)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let location = path.display().to_string();
    let schema = schema_of(&text)
        .map_err(|e| Error::Parse {
            location: location.clone(),
            what,
            detail: e.to_string(),
        })?
        .unwrap_or_else(|| "(none)".to_string());
    Ok((text, location, schema))
}

/// Parses a baseline file, or a run.json used as one. `location` names it in errors.
pub fn parse(text: &str, location: &str) -> Result<Baseline> {
    let schema = schema_of(text)
        .map_err(|e| Error::Parse {
            location: location.to_string(),
            what: "baseline (JSON)",
            detail: format!("{e}; the file is corrupt or truncated: restore it from git or run `cargo perfgate baseline save`"),
        })?
        .ok_or_else(|| Error::ForeignSchema {
            location: location.to_string(),
            expected: BASELINE_SCHEMA,
            found: "(no `schema` field)".to_string(),
        })?;
    let deserialize_error = |e: serde_json::Error| Error::Parse {
        location: location.to_string(),
        what: "baseline",
        detail: e.to_string(),
    };
    match split_schema(&schema) {
        Some(("perfgate.baseline", 1)) => serde_json::from_str(text).map_err(deserialize_error),
        Some(("perfgate.run", 1)) => {
            let run: Run = serde_json::from_str(text).map_err(deserialize_error)?;
            Ok(from_run(&run, "run"))
        }
        Some(("perfgate.baseline", v)) if v > 1 => Err(Error::NewerSchema {
            location: location.to_string(),
            found: schema,
            supported: BASELINE_SCHEMA,
        }),
        Some(("perfgate.run", v)) if v > 1 => Err(Error::NewerSchema {
            location: location.to_string(),
            found: schema,
            supported: RUN_SCHEMA,
        }),
        _ => Err(Error::ForeignSchema {
            location: location.to_string(),
            expected: BASELINE_SCHEMA,
            found: schema,
        }),
    }
}

/// Reads and parses a run.json.
pub fn read_run(path: &Path) -> Result<Run> {
    read_versioned(path, "run.json", RUN_SCHEMA)
}

/// Reads a perfgate JSON file of kind `what` whose schema must be `expected`'s family at
/// `expected`'s version: a newer version or another family is a clear error naming both.
pub fn read_versioned<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
    expected: &'static str,
) -> Result<T> {
    let (text, location, schema) = read_with_schema(path, what)?;
    let wanted = split_schema(expected);
    match split_schema(&schema) {
        found if found == wanted => serde_json::from_str(&text).map_err(|e| Error::Parse {
            location,
            what,
            detail: e.to_string(),
        }),
        Some((family, v)) if wanted.is_some_and(|(f, w)| f == family && v > w) => {
            Err(Error::NewerSchema {
                location,
                found: schema,
                supported: expected,
            })
        }
        _ => Err(Error::ForeignSchema {
            location,
            expected,
            found: schema,
        }),
    }
}

/// A baseline made from a run: benchmarks sorted by id, samples rounded to 6 significant digits.
pub fn from_run(run: &Run, profile: &str) -> Baseline {
    let mut benchmarks = run.benchmarks.clone();
    benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    for b in &mut benchmarks {
        b.samples
            .iter_mut()
            .for_each(|v| *v = round_significant(*v, 6));
        let s = &mut b.summary;
        for v in [
            &mut s.median,
            &mut s.mean,
            &mut s.min,
            &mut s.max,
            &mut s.mad,
        ] {
            *v = round_significant(*v, 6);
        }
    }
    Baseline {
        schema: BASELINE_SCHEMA.to_string(),
        profile: profile.to_string(),
        provenance: Provenance {
            commit: run.git.as_ref().map(|g| g.commit.clone()),
            dirty: run.git.as_ref().is_some_and(|g| g.dirty),
            date: run.started.clone(),
            tool_version: run.tool_version.clone(),
            machine: run.machine.clone(),
        },
        benchmarks,
    }
}

fn round_significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(digits - 1 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

/// Replaces the entries of `update` in `existing` (by id and by measured target) and keeps the rest.
pub fn merge_into(existing: &Baseline, update: Baseline) -> Baseline {
    let measured: std::collections::BTreeSet<(&str, &str)> = update
        .benchmarks
        .iter()
        .map(|b| (b.package.as_str(), b.target.as_str()))
        .collect();
    let mut merged = update.clone();
    for old in &existing.benchmarks {
        let replaced = merged.benchmarks.iter().any(|b| b.id == old.id)
            || measured.contains(&(old.package.as_str(), old.target.as_str()));
        if !replaced {
            merged.benchmarks.push(old.clone());
        }
    }
    merged.benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    merged
}

/// Renders JSON for review in diffs: sorted keys, one benchmark per block, each array of
/// numbers on one line.
pub fn render<T: serde::Serialize>(value: &T) -> Result<String> {
    let value =
        serde_json::to_value(value).map_err(|e| Error::Other(format!("serialising: {e}")))?;
    let mut out = String::new();
    write_value(&value, 0, &mut out);
    out.push('\n');
    Ok(out)
}

fn write_value(value: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push_str(": ");
                write_value(&map[*key], indent + 1, out);
                out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
        Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                write_value(item, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        Value::Array(items) => {
            let inline: Vec<String> = items.iter().map(Value::to_string).collect();
            out.push('[');
            out.push_str(&inline.join(", "));
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over the target. A killed process leaves the old file intact.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let write_err = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_err)?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
    file.write_all(text.as_bytes()).map_err(write_err)?;
    file.as_file().sync_all().map_err(write_err)?;
    file.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
}

/// Where the gate's baseline and policy come from.
#[derive(Debug, Clone)]
pub enum Reference {
    /// A file given with `--against <file>`.
    File(PathBuf),
    /// A git rev; `pr_base` names the base branch when it came from GITHUB_BASE_REF; `fetch`
    /// fetches from origin what a shallow or single-branch clone lacks.
    Rev {
        rev: String,
        pr_base: Option<String>,
        fetch: bool,
    },
}

impl Reference {
    /// `--against` if given (a file when one exists at that path), else the merge-base with
    /// `GITHUB_BASE_REF` in a pull request, else `HEAD`.
    pub fn choose(against: Option<&str>, fetch: bool) -> Self {
        if let Some(a) = against {
            let path = PathBuf::from(a);
            if path.is_file() || a.ends_with(".json") {
                return Reference::File(path);
            }
            return Reference::Rev {
                rev: a.to_string(),
                pr_base: None,
                fetch,
            };
        }
        match std::env::var("GITHUB_BASE_REF") {
            Ok(base) if !base.trim().is_empty() => Reference::Rev {
                rev: base.trim().to_string(),
                pr_base: Some(base.trim().to_string()),
                fetch,
            },
            _ => Reference::Rev {
                rev: "HEAD".to_string(),
                pr_base: None,
                fetch: false,
            },
        }
    }
}

/// A baseline as located for a comparison, with the policy that goes with it.
pub struct Located {
    /// `None` when no baseline file exists at the reference.
    pub baseline: Option<Baseline>,
    /// `git:<short>:<path>` or the file path.
    pub location: String,
    pub commit: Option<git2::Oid>,
    pub policy: Policy,
    /// What the report must say: files the change edits that the gate reads from the base side.
    pub warnings: Vec<String>,
}

/// What an edited baseline would change: ` (N benchmarks moved, largest: id a → b)`, or
/// added and removed counts.
fn describe_edit(committed: &Baseline, edited: &Baseline) -> String {
    let before: std::collections::BTreeMap<&str, f64> = committed
        .benchmarks
        .iter()
        .map(|b| (b.id.as_str(), b.summary.median))
        .collect();
    let mut moved: Vec<(&str, f64, f64)> = edited
        .benchmarks
        .iter()
        .filter_map(|b| {
            let old = *before.get(b.id.as_str())?;
            (old != b.summary.median).then_some((b.id.as_str(), old, b.summary.median))
        })
        .collect();
    let added = edited
        .benchmarks
        .iter()
        .filter(|b| !before.contains_key(b.id.as_str()))
        .count();
    let removed = committed.benchmarks.len() + added - edited.benchmarks.len();
    moved.sort_by(|x, y| {
        let size = |m: &(&str, f64, f64)| (m.2 / m.1 - 1.0).abs();
        size(y).total_cmp(&size(x))
    });
    let mut parts = Vec::new();
    if let Some((id, old, new)) = moved.first() {
        parts.push(format!(
            "{} benchmark(s) moved, the most `{id}` {:+.1}%",
            moved.len(),
            (new / old - 1.0) * 100.0
        ));
    }
    if added > 0 {
        parts.push(format!("{added} added"));
    }
    if removed > 0 {
        parts.push(format!("{removed} removed"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Reads the baseline of `profile` and the policy at `reference`. `profile` of `None` means
/// the policy's `gate.profile`.
pub fn locate(root: &Path, reference: &Reference, profile: Option<&str>) -> Result<Located> {
    // The work tree's config is always validated, so a typo never goes unnoticed.
    let local_policy = Policy::from_dir(root)?;
    match reference {
        Reference::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            let location = path.display().to_string();
            Ok(Located {
                baseline: Some(parse(&text, &location)?),
                location,
                commit: None,
                policy: local_policy,
                warnings: Vec::new(),
            })
        }
        Reference::Rev {
            rev,
            pr_base,
            fetch,
        } => {
            let commit = match (pr_base, fetch) {
                (Some(base), true) => {
                    git::fetch(root, git::Fetch::Branch(base))?;
                    git::Repo::open(root)?.merge_base_with(base)?
                }
                (Some(base), false) => git::Repo::open(root)?.merge_base_with(base)?,
                (None, true) => match git::Repo::open(root)?.resolve(rev) {
                    Ok(commit) => commit,
                    Err(_) => {
                        git::fetch(root, git::Fetch::Rev(rev))?;
                        git::Repo::open(root)?.resolve("FETCH_HEAD")?
                    }
                },
                (None, false) => git::Repo::open(root)?.resolve(rev)?,
            };
            let repo = git::Repo::open(root)?;
            let short = git::short(commit);
            let config_path = repo.repo_path(CONFIG_FILE);
            // Locally (HEAD) the developer's own config applies; against another rev, that
            // rev's config decides, so a change cannot loosen its own gate.
            let policy = if rev == "HEAD" && pr_base.is_none() {
                local_policy.clone()
            } else {
                match repo.read_at(commit, &config_path)? {
                    Some(text) => Policy::from_toml(&text, &format!("git:{short}:{config_path}"))?,
                    None => Policy::default(),
                }
            };
            let profile = profile.unwrap_or(&policy.profile).to_string();
            let path = repo.repo_path(&relative_path(&profile));
            let location = format!("git:{short}:{path}");
            let baseline = repo
                .read_at(commit, &path)?
                .map(|text| parse(&text, &location))
                .transpose()?;
            let mut warnings = Vec::new();
            // Empty locally at HEAD, where the work tree's policy is the one used.
            let edits = policy.differences(&local_policy);
            if !edits.is_empty() {
                warnings.push(format!(
                    "this change edits {CONFIG_FILE} ({}); the gate uses the version at {short} (the change takes effect once merged)",
                    edits.join("; ")
                ));
            }
            let local_baseline = root.join(relative_path(&profile));
            if let Ok(text) = std::fs::read_to_string(&local_baseline) {
                let relative = relative_path(&profile);
                match &baseline {
                    None => warnings.push(format!(
                        "{relative} exists in the work tree but not at {short}: commit it to gate against it"
                    )),
                    Some(committed) => {
                        let local = parse(&text, &local_baseline.display().to_string()).ok();
                        if local.as_ref() != Some(committed) {
                            warnings.push(format!(
                                "{relative} differs from the baseline at {short}{}; the gate compares against {short}'s",
                                local.as_ref().map(|l| describe_edit(committed, l)).unwrap_or_default()
                            ));
                        }
                    }
                }
            }
            Ok(Located {
                baseline,
                location,
                commit: Some(commit),
                policy,
                warnings,
            })
        }
    }
}
