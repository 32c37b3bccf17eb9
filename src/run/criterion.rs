//! The one place that knows criterion's private file format and command line.
//!
//! Reads `<CRITERION_HOME>/**/new/{benchmark,sample}.json` as written by criterion 0.3 to 0.5
//! (the directory layout and these two files are the same across those versions) and builds
//! the arguments perfgate passes to a criterion bench executable.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// A benchmark as criterion saved it: its id and per-iteration times in nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub id: String,
    pub per_iteration_ns: Vec<f64>,
}

#[derive(Deserialize)]
struct BenchmarkFile {
    full_id: String,
}

#[derive(Deserialize)]
struct SampleFile {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// How long criterion measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measurement {
    /// The bench's own configuration.
    Full,
    /// Short runs for tests and smoke checks.
    Quick,
    /// The shortest run that still gives ten samples: one side of one confirm round.
    Probe,
}

/// Arguments for a criterion bench executable (`cargo bench` passes `--bench` first).
pub fn arguments(filter: Option<&str>, measurement: Measurement) -> Vec<String> {
    let mut args = vec!["--bench".to_string()];
    if let Some(filter) = filter {
        args.push(filter.to_string());
    }
    args.push("--noplot".to_string());
    let timing: &[&str] = match measurement {
        Measurement::Full => &[],
        Measurement::Quick => &[
            "--warm-up-time",
            "0.3",
            "--measurement-time",
            "1",
            "--sample-size",
            "20",
            "--nresamples",
            "1000",
        ],
        Measurement::Probe => &[
            "--warm-up-time",
            "0.02",
            "--measurement-time",
            "0.04",
            "--sample-size",
            "10",
            "--nresamples",
            "100",
        ],
    };
    args.extend(timing.iter().map(|s| s.to_string()));
    args
}

/// A criterion filter matching exactly one benchmark id (criterion filters are regexes).
pub fn exact_filter(id: &str) -> String {
    format!("^{}$", regex::escape(id))
}

/// Reads every benchmark criterion saved under `home`, sorted by id.
pub fn collect(home: &Path) -> Result<Vec<Measured>> {
    let mut found = Vec::new();
    if !home.exists() {
        return Ok(found);
    }
    for entry in walkdir::WalkDir::new(home).sort_by_file_name() {
        let entry =
            entry.map_err(|e| Error::Other(format!("cannot list {}: {e}", home.display())))?;
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "benchmark.json")
            && path
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n == "new")
        {
            found.push(read_benchmark(path.parent().unwrap_or(home))?);
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

fn read_benchmark(dir: &Path) -> Result<Measured> {
    let benchmark: BenchmarkFile = read_json(&dir.join("benchmark.json"))?;
    let sample: SampleFile = read_json(&dir.join("sample.json"))?;
    if sample.iters.len() != sample.times.len() || sample.iters.is_empty() {
        return Err(Error::Parse {
            location: dir.join("sample.json").display().to_string(),
            what: "criterion sample file",
            detail: format!(
                "{} iteration counts for {} times",
                sample.iters.len(),
                sample.times.len()
            ),
        });
    }
    let per_iteration_ns = sample
        .iters
        .iter()
        .zip(&sample.times)
        .filter(|(iters, _)| **iters > 0.0)
        .map(|(iters, time)| time / iters)
        .collect();
    Ok(Measured {
        id: benchmark.full_id,
        per_iteration_ns,
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Parse {
        location: path.display().to_string(),
        what: "criterion output file",
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_captured_criterion_output_as_per_iteration_times() {
        let home = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/criterion-0.5");
        let measured = collect(&home).unwrap();
        let ids: Vec<_> = measured.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["checksum/1k", "group/with space/42"]);
        assert_eq!(measured[0].per_iteration_ns.len(), 3);
        assert!((measured[0].per_iteration_ns[0] - 1000.0).abs() < 1e-9);
    }

    #[test]
    fn exact_filter_escapes_regex_characters() {
        assert_eq!(exact_filter("a.b/c(1)"), "^a\\.b/c\\(1\\)$");
    }
}
