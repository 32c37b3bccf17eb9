//! Baselines: parsing and checking baseline files, making one from a run, merging a partial
//! save, and rendering them in a diff-friendly form; `locate` is which rev (or file) the gate's
//! baseline and policy come from. The git plumbing itself is in `git`; writing files is
//! `artifacts`'.

pub mod git;
mod locate;

pub(crate) use locate::{locate, Located, Reference};

use perfgate_format::{split_schema, Baseline, Provenance, Run, BASELINE_SCHEMA, RUN_SCHEMA};
use serde_json::Value;

use crate::artifacts::{json_problem, schema_of, without_bom};
use crate::error::{Error, Result};

/// Directory of baseline files, relative to the workspace root.
pub(crate) const BASELINE_DIR: &str = "baselines";

/// Workspace-relative path of a profile's baseline file.
pub(crate) fn relative_path(profile: &str) -> String {
    format!("{BASELINE_DIR}/{profile}.json")
}

/// Parses a baseline file, or a run.json used as one. `location` names it in errors.
pub fn parse(text: &str, location: &str) -> Result<Baseline> {
    let text = without_bom(text);
    let schema = schema_of(text)
        .map_err(|e| Error::Parse {
            location: location.to_string(),
            what: "baseline (JSON)",
            detail: format!("{e}: restore it from git or run `cargo perfgate baseline save`"),
        })?
        .ok_or_else(|| Error::ForeignSchema {
            location: location.to_string(),
            expected: BASELINE_SCHEMA,
            found: "(no `schema` field)".to_string(),
        })?;
    let deserialize_error = |e: serde_json::Error| Error::Parse {
        location: location.to_string(),
        what: "baseline",
        detail: json_problem(&e),
    };
    let baseline = match split_schema(&schema) {
        Some(("perfgate.baseline", 1)) => serde_json::from_str(text).map_err(deserialize_error)?,
        Some(("perfgate.run", 1)) => {
            let run: Run = serde_json::from_str(text).map_err(deserialize_error)?;
            from_run(&run, "run")
        }
        Some(("perfgate.baseline", v)) if v > 1 => {
            return Err(Error::NewerSchema {
                location: location.to_string(),
                found: schema,
                supported: BASELINE_SCHEMA,
            })
        }
        Some(("perfgate.run", v)) if v > 1 => {
            return Err(Error::NewerSchema {
                location: location.to_string(),
                found: schema,
                supported: RUN_SCHEMA,
            })
        }
        _ => {
            return Err(Error::ForeignSchema {
                location: location.to_string(),
                expected: BASELINE_SCHEMA,
                found: schema,
            })
        }
    };
    crate::entries::check(
        &baseline.benchmarks,
        location,
        crate::entries::Origin::Baseline,
    )?;
    Ok(baseline)
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
pub(crate) fn merge_into(existing: &Baseline, update: Baseline) -> Baseline {
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

#[cfg(test)]
mod tests {
    use super::*;
    use perfgate_format::{Benchmark, Source};

    fn run_of(benchmarks: Vec<Benchmark>) -> Run {
        let mut run: Run = serde_json::from_value(serde_json::json!({
            "schema": perfgate_format::RUN_SCHEMA, "tool_version": "0.1.0",
            "started": "2026-11-01T00:00:00Z",
            "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": false},
            "machine": {"cpu_model": "Test CPU", "cores": 2, "os": "linux", "arch": "x86_64",
                "rustc": "rustc 1.95.0"},
            "benchmarks": [], "errors": []
        }))
        .unwrap();
        run.benchmarks = benchmarks;
        run
    }

    fn timing(id: &str, target: &str, samples: Vec<f64>) -> Benchmark {
        Benchmark::new(id, Source::Criterion, "core", target, "ns", samples)
    }

    #[test]
    fn a_baseline_from_a_run_is_sorted_rounded_and_reads_back_as_written() {
        let run = run_of(vec![
            timing("b", "t", vec![1.234_567_89, 2.0]),
            timing("a", "t", vec![123_456_789.0, 5.0]),
        ]);
        let baseline = from_run(&run, "default");
        let ids: Vec<&str> = baseline.benchmarks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(baseline.benchmarks[1].samples, [1.234_57, 2.0]);
        assert_eq!(baseline.benchmarks[0].samples, [123_457_000.0, 5.0]);
        assert_eq!(
            baseline.provenance.commit.as_deref().map(str::len),
            Some(40)
        );
        let text = render(&baseline).unwrap();
        assert!(
            text.contains("[1.23457, 2.0]"),
            "one line per array: {text}"
        );
        assert_eq!(parse(&text, "baselines/default.json").unwrap(), baseline);
    }

    #[test]
    fn a_partial_save_replaces_the_targets_it_measured_and_keeps_the_rest() {
        let existing = from_run(
            &run_of(vec![
                timing("old/a", "parse", vec![1.0]),
                timing("old/b", "hash", vec![1.0]),
            ]),
            "default",
        );
        let update = from_run(
            &run_of(vec![timing("new/a", "parse", vec![2.0])]),
            "default",
        );
        let merged = merge_into(&existing, update);
        let ids: Vec<&str> = merged.benchmarks.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(
            ids,
            ["new/a", "old/b"],
            "parse's old entry went with its target"
        );
    }
}
