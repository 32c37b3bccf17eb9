//! Everything perfgate knows about gungraun (the harness formerly named iai-callgrind), in one
//! file: how its bench targets are recognised, listed and run, and how its summaries are read.
//!
//! Gungraun runs each benchmark under valgrind's callgrind and counts what it executed:
//! instructions (`Ir`) and the estimated cycles derived from them and the cache simulation.
//! Counts of one build repeat exactly whatever else the machine does, so one process gives the
//! figure: an entry has one sample, and no interval is claimed for it. A benchmark gives two
//! entries, `<path>/instructions` and `<path>/estimated_cycles`, where `<path>` is gungraun's own
//! (`file::group::function::id`, as `--list` prints it and its filter takes it).
//!
//! Gungraun's summaries change shape between its versions; the one read here is its summary
//! schema 7 (gungraun 0.20, pinned in `fixtures/gungraun`). Another version is an error naming
//! it, never a guess.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use perfgate_format::{Benchmark, Direction, Kind, Source};
use serde_json::Value;

use super::criterion::filter_matches;
use crate::stats;
use crate::workspace::BenchTarget;

/// Gungraun's package name.
pub(crate) const CRATE: &str = "gungraun";

/// The summary schema this reader knows.
const SUMMARY_VERSION: &str = "7";

/// The figures of a benchmark: the name after its path, callgrind's metric, and the unit.
pub(crate) const FIGURES: [(&str, &str, &str); 2] = [
    ("instructions", "Ir", "instructions"),
    ("estimated_cycles", "EstimatedCycles", "cycles"),
];

/// Whether a bench target's source is a gungraun harness (`main!` with its benchmark groups),
/// gungraun being imported as `used_as`.
pub(crate) fn recognises(source: &str, used_as: &str) -> bool {
    source.contains(used_as)
        && (source.contains("library_benchmark_groups")
            || source.contains("binary_benchmark_groups"))
}

/// The benchmark path of a figure's id (the id without `/instructions`, `/estimated_cycles`).
pub(crate) fn benchmark_path(id: &str) -> &str {
    id.rsplit_once('/')
        .filter(|(_, figure)| FIGURES.iter().any(|(name, _, _)| name == figure))
        .map_or(id, |(path, _)| path)
}

/// What gungraun needs beside itself: valgrind, and its runner of the same version as the
/// library (`GUNGRAUN_RUNNER` or `gungraun-runner` on `PATH`). The error says how to install.
fn check_tools(target: &BenchTarget) -> Result<(), String> {
    // Once found, they stay: the rounds run gungraun twice a round.
    static FOUND: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    if FOUND.get().is_some() {
        return Ok(());
    }
    let runs = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !runs("valgrind") {
        return Err("valgrind is not installed (gungraun counts through it): install it, e.g. `sudo apt-get install valgrind`".to_string());
    }
    let runner = std::env::var("GUNGRAUN_RUNNER").unwrap_or_else(|_| "gungraun-runner".into());
    if !runs(&runner) {
        let version = target
            .harness_version
            .as_ref()
            .map_or(String::new(), |v| format!(" --version {v}"));
        return Err(format!(
            "`{runner}` is not installed (gungraun's benchmarks run through it): `cargo install gungraun-runner{version} --locked`, the same version as the gungraun library"
        ));
    }
    let _ = FOUND.set(());
    Ok(())
}

/// The paths of a gungraun target's benchmarks (`--list --format terse`), the user's filter
/// applied (a regex on the path).
pub fn list(
    target: &BenchTarget,
    executable: &Path,
    filter: Option<&str>,
    timeout: Duration,
    log: &Path,
) -> Result<Vec<String>, String> {
    check_tools(target)?;
    let mut command = Command::new(executable);
    command
        .current_dir(&target.package_root)
        .args(["--bench", "--list", "--format", "terse"]);
    let text = super::run_read(command, timeout, log)?;
    let wanted = filter_matches(filter);
    Ok(parse_list(&text)?
        .into_iter()
        .filter(|p| wanted(p))
        .collect())
}

/// The paths in `--list --format terse` output (`<path>: benchmark`); any other line is an
/// error naming it.
pub fn parse_list(text: &str) -> Result<Vec<String>, String> {
    let mut paths = Vec::new();
    for (at, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match line.strip_suffix(": benchmark") {
            Some(path) if !path.trim().is_empty() => paths.push(path.to_string()),
            _ => {
                return Err(format!(
                    "gungraun's list, line {}: `{}` is not `<path>: benchmark`",
                    at + 1,
                    crate::text::terminal_text(line.trim())
                ))
            }
        }
    }
    Ok(paths)
}

/// Runs a gungraun executable once, its summaries saved under `home`, and returns each
/// benchmark's figures whose path `only` names (all when `None`; one path is passed to
/// gungraun as its filter, several run the target whole and keep theirs).
pub fn run(
    target: &BenchTarget,
    executable: &Path,
    only: Option<&[String]>,
    home: &Path,
    timeout: Duration,
    log: &Path,
) -> Result<Vec<Benchmark>, String> {
    check_tools(target)?;
    let _ = std::fs::remove_dir_all(home);
    std::fs::create_dir_all(home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let mut paths: Vec<&str> = only
        .unwrap_or_default()
        .iter()
        .map(|id| benchmark_path(id))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    let mut command = Command::new(executable);
    command
        .current_dir(&target.package_root)
        .arg("--bench")
        .arg("--save-summary=json")
        .arg(format!("--home={}", home.display()));
    if let [one] = paths[..] {
        // Gungraun's filter is a wildcard pattern: a path has none of its special characters
        // unless an id does, and then the target runs whole.
        if !one.contains(['*', '?', '[']) {
            command.arg(one);
        }
    }
    super::run_logged(command, timeout, log)?;
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(home)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "summary.json")
    {
        let text = std::fs::read_to_string(entry.path())
            .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?;
        let (path, figures) =
            read_summary(&text).map_err(|e| format!("{}: {e}", entry.path().display()))?;
        if only.is_some() && !paths.contains(&path.as_str()) {
            continue;
        }
        for (name, unit, value) in figures {
            found.push(Benchmark {
                id: format!("{path}/{name}"),
                source: Source::Gungraun,
                package: target.package.clone(),
                target: target.name.clone(),
                unit: unit.to_string(),
                direction: Direction::LowerIsBetter,
                summary: stats::summary(&[value]),
                samples: vec![value],
                throughput: None,
                kind: Some(Kind::Count),
            });
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

/// A benchmark's figures as its summary gives them: (name, unit, count).
pub type Figures = Vec<(&'static str, &'static str, f64)>;

/// One `summary.json`: the benchmark's path and its figures. A summary of another schema
/// version, or without callgrind's instruction count, is an error.
pub fn read_summary(text: &str) -> Result<(String, Figures), String> {
    let summary: Value =
        serde_json::from_str(text).map_err(|e| format!("not a gungraun summary: {e}"))?;
    let version = summary["version"].as_str().unwrap_or("none");
    if version != SUMMARY_VERSION {
        return Err(format!(
            "gungraun summary version {version}; perfgate reads version {SUMMARY_VERSION} (gungraun 0.20)"
        ));
    }
    let module = summary["module_path"]
        .as_str()
        .filter(|m| !m.is_empty())
        .ok_or("a summary without `module_path`")?;
    let path = match summary["id"].as_str() {
        Some(id) => format!("{module}::{id}"),
        None => module.to_string(),
    };
    let callgrind = summary["profiles"]
        .as_array()
        .and_then(|profiles| profiles.iter().find(|p| p["tool"] == "Callgrind"))
        .ok_or_else(|| format!("{path}: no callgrind profile in its summary"))?;
    let metrics = &callgrind["data"]["total"]["metrics"];
    let mut figures = Vec::new();
    for (name, metric, unit) in FIGURES {
        let value = &metrics[metric]["values"]["new"];
        match value.as_u64() {
            Some(count) => figures.push((name, unit, count as f64)),
            None if metric == "Ir" || !value.is_null() => {
                return Err(format!(
                    "{path}: callgrind's `{metric}` is not a count: {}",
                    crate::text::terminal_text(&value.to_string())
                ))
            }
            None => {} // estimated cycles need the cache simulation, which may be off
        }
    }
    Ok((path, figures))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(version: &str, id: Option<&str>, ir: &str) -> String {
        let id = id.map_or(String::new(), |i| format!(r#""id":"{i}","#));
        format!(
            r#"{{"version":"{version}",{id}"module_path":"counts::fibs::bench_fib","profiles":[{{"tool":"Callgrind","data":{{"total":{{"metrics":{{"Ir":{{"values":{{"new":{ir}}}}},"EstimatedCycles":{{"values":{{"new":1371,"old":1370}}}}}},"regressions":[]}}}}}}]}}"#
        )
    }

    #[test]
    fn a_real_summary_reads() {
        let text = include_str!("../../tests/data/gungraun-0.20.0-summary.json");
        let (path, figures) = read_summary(text).unwrap();
        assert_eq!(path, "counts::fibs::bench_fib::long");
        assert_eq!(figures[0], ("instructions", "instructions", 1266.0));
        assert_eq!(figures[1].0, "estimated_cycles");
    }

    #[test]
    fn a_summary_gives_its_path_and_counts() {
        let (path, figures) = read_summary(&summary("7", Some("long"), "1266")).unwrap();
        assert_eq!(path, "counts::fibs::bench_fib::long");
        assert_eq!(
            figures,
            vec![
                ("instructions", "instructions", 1266.0),
                ("estimated_cycles", "cycles", 1371.0)
            ]
        );
        let (path, _) = read_summary(&summary("7", None, "1")).unwrap();
        assert_eq!(path, "counts::fibs::bench_fib");
    }

    #[test]
    fn another_version_or_a_count_that_is_not_one_is_an_error() {
        let err = read_summary(&summary("6", None, "1")).unwrap_err();
        assert!(err.contains("version 6"), "{err}");
        let err = read_summary(&summary("7", None, "-3")).unwrap_err();
        assert!(err.contains("`Ir` is not a count"), "{err}");
        assert!(read_summary("{")
            .unwrap_err()
            .contains("not a gungraun summary"));
        assert!(read_summary(r#"{"version":"7"}"#)
            .unwrap_err()
            .contains("module_path"));
    }

    #[test]
    fn recognised_by_its_groups_and_figures_map_to_their_benchmark() {
        assert!(recognises(
            "use gungraun::main;\nmain!(library_benchmark_groups = g);",
            "gungraun"
        ));
        assert!(!recognises("criterion_main!(benches);", "gungraun"));
        assert_eq!(benchmark_path("a::b::c/instructions"), "a::b::c");
        assert_eq!(benchmark_path("a::b::c/estimated_cycles"), "a::b::c");
        assert_eq!(benchmark_path("a::b/other"), "a::b/other");
        assert_eq!(
            parse_list("counts::g::f::short: benchmark\n").unwrap(),
            ["counts::g::f::short"]
        );
        assert!(parse_list("counts\n").unwrap_err().contains("line 1"));
    }
}
