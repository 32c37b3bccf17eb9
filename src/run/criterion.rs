//! Everything perfgate knows about criterion, in one file: how a criterion bench target is
//! recognised, the arguments its executable takes (`--bench`, `--list`, timing flags, the
//! filter), how a filter selects ids, and its private files
//! `<CRITERION_HOME>/**/new/{benchmark,sample}.json` (the same layout from 0.3 to 0.5).
//! A second measurement harness would be one more file of this shape.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cargo_metadata::semver::Version;
use perfgate_format::{Benchmark, Direction, Source, Throughput};
use serde::Deserialize;

use super::shard;
use crate::config::Selection;
use crate::error::{Error, Result};
use crate::stats;
use crate::workspace::BenchTarget;

/// Criterion's package name.
pub(crate) const CRATE: &str = "criterion";

/// Packages that are criterion as far as a bench target is concerned: criterion itself and
/// the forks that keep its command line and files.
pub(crate) const CRATES: [&str; 2] = [CRATE, "codspeed-criterion-compat"];

/// Whether a bench target's source is a criterion harness (`criterion_main!`), criterion
/// being imported as `used_as`; `strong` asks for the macro itself, else any mention will do.
pub(crate) fn recognises(source: &str, used_as: &str, strong: bool) -> bool {
    if strong {
        source.contains("criterion_main!")
    } else {
        source.contains(used_as)
    }
}

/// A benchmark as criterion saved it: its id, per-iteration values (nanoseconds with
/// criterion's wall-clock measurement) and what one iteration processes, if declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub id: String,
    pub per_iteration_ns: Vec<f64>,
    pub throughput: Option<Throughput>,
}

#[derive(Deserialize)]
struct BenchmarkFile {
    full_id: String,
    /// `{"Bytes": n}`, `{"BytesDecimal": n}`, `{"Bits": n}` or `{"Elements": n}` (0.3: bytes
    /// and elements only).
    #[serde(default)]
    throughput: Option<serde_json::Value>,
}

/// Criterion's throughput declaration as perfgate records it; `None` for a form it does not
/// know (the measurement itself is unaffected).
fn throughput_of(declared: Option<&serde_json::Value>) -> Option<Throughput> {
    let (kind, amount) = declared?.as_object()?.iter().next()?;
    let unit = match kind.as_str() {
        "Bytes" | "BytesDecimal" => "bytes",
        "Bits" => "bits",
        "Elements" => "elements",
        _ => return None,
    };
    let per_iteration = amount.as_f64().filter(|n| n.is_finite() && *n > 0.0)?;
    Some(Throughput {
        unit: unit.to_string(),
        per_iteration,
    })
}

/// The unit criterion printed its estimates in (`time:   [1.2 µs 1.3 µs 1.4 µs]`): `ns` when
/// every estimate in the log is a time, else the first other unit printed (a custom
/// measurement's, whose values are not nanoseconds).
pub(crate) fn printed_unit(log: &str) -> String {
    const TIMES: [&str; 6] = ["ps", "ns", "µs", "us", "ms", "s"];
    log.lines()
        .filter_map(|line| line.split_once("time:").map(|(_, rest)| rest))
        .filter_map(|rest| rest.trim().strip_prefix('[')?.split_once(']'))
        .map(|(inside, _)| inside.split_whitespace().collect::<Vec<_>>())
        // Three estimates, each a number and a unit (a `change:` line has percentages only).
        .filter(|tokens| tokens.len() == 6)
        .flat_map(|tokens| [tokens[1], tokens[3], tokens[5]])
        .find(|unit| !TIMES.contains(unit))
        .map(str::to_string)
        .unwrap_or_else(|| "ns".to_string())
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

/// Whether this criterion reads `--warm-up-time` and `--measurement-time` as whole seconds
/// (0.3 and older refuse `0.3`; 0.4 took fractions).
fn whole_seconds(version: Option<&Version>) -> bool {
    version.is_some_and(|v| v.major == 0 && v.minor <= 3)
}

/// Arguments for a criterion bench executable (`cargo bench` passes `--bench` first), for the
/// criterion `version` cargo resolved (`None`: a fork with the newest command line).
pub fn arguments(
    version: Option<&Version>,
    filter: Option<&str>,
    measurement: Measurement,
) -> Vec<String> {
    let mut args = vec!["--bench".to_string()];
    if let Some(filter) = filter {
        args.push(filter.to_string());
    }
    args.push("--noplot".to_string());
    // (warm-up seconds, measurement seconds, samples, resamples)
    let (warm_up, measure, samples, resamples) = match measurement {
        Measurement::Full => return args,
        Measurement::Quick => (0.3, 1.0, 20, 1000),
        Measurement::Probe => (0.005, 0.02, 10, 100),
    };
    let seconds = |s: f64| {
        if whole_seconds(version) {
            format!("{}", s.ceil().max(1.0))
        } else {
            format!("{s}")
        }
    };
    args.extend([
        "--warm-up-time".to_string(),
        seconds(warm_up),
        "--measurement-time".to_string(),
        seconds(measure),
        "--sample-size".to_string(),
        samples.to_string(),
        "--nresamples".to_string(),
        resamples.to_string(),
    ]);
    args
}

/// A criterion filter matching exactly one benchmark id (criterion filters are regexes).
pub(crate) fn exact_filter(id: &str) -> String {
    format!("^{}$", regex::escape(id))
}

/// Refuses a filter that is not a regular expression: criterion would panic on it.
pub(crate) fn check_filter(filter: Option<&str>) -> Result<()> {
    match filter.map(regex::Regex::new) {
        Some(Err(e)) => Err(Error::Usage(format!(
            "FILTER `{}`: not a valid regular expression (criterion reads the filter as one): {e}",
            filter.unwrap_or_default()
        ))),
        _ => Ok(()),
    }
}

/// Whether a benchmark id passes the user's filter the way criterion applies it: a regex, or
/// (when it is not a valid regex) a plain substring.
pub(crate) fn filter_matches(filter: Option<&str>) -> impl Fn(&str) -> bool {
    let compiled = filter.map(|f| regex::Regex::new(f).map_err(|_| f.to_string()));
    move |id: &str| match &compiled {
        None => true,
        Some(Ok(regex)) => regex.is_match(id),
        Some(Err(text)) => id.contains(text.as_str()),
    }
}

/// The ids a criterion executable would run (`--list`), with the user's filter applied.
/// Criterion 0.5 prints `<id>: benchmark`, 0.3 and 0.4 print `<id>: bench`.
pub fn list(
    target: &BenchTarget,
    executable: &Path,
    filter: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut command = Command::new(executable);
    command
        .args(["--bench", "--list"])
        .args(filter)
        .current_dir(&target.package_root);
    let output = command
        .output()
        .map_err(|e| format!("cannot list benchmarks of {}: {e}", executable.display()))?;
    if !output.status.success() {
        return Err(format!(
            "listing benchmarks failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    parse_list(&String::from_utf8_lossy(&output.stdout)).map_err(|e| {
        format!(
            "cannot read the benchmark list of {}: {e}",
            executable.display()
        )
    })
}

/// The ids in `--bench --list` output: `<id>: benchmark` (0.5) or `<id>: bench` (0.3, 0.4).
/// Output with lines but no ids is not criterion's, and is an error rather than "none".
pub fn parse_list(stdout: &str) -> Result<Vec<String>, String> {
    let ids: Vec<String> = stdout
        .lines()
        .filter_map(|l| {
            l.strip_suffix(": benchmark")
                .or_else(|| l.strip_suffix(": bench"))
        })
        .map(str::to_string)
        .collect();
    match stdout.lines().find(|l| !l.trim().is_empty()) {
        Some(line) if ids.is_empty() => Err(format!(
            "`--bench --list` printed `{}`, not `<id>: benchmark` lines; is it a criterion target?",
            crate::text::terminal_text(line.trim())
        )),
        _ => Ok(ids),
    }
}

/// The filter that runs exactly this shard's benchmarks of a target (`None`: none of them are
/// in the shard). Without a shard, the user's filter.
pub(crate) fn shard_filter(
    target: &BenchTarget,
    executable: &Path,
    selection: &Selection,
) -> Result<Option<Option<String>>, String> {
    let Some(shard) = selection.shard else {
        return Ok(Some(selection.filter.clone()));
    };
    let mine: Vec<String> = list(target, executable, selection.filter.as_deref())?
        .into_iter()
        .filter(|id| shard::listed_in_shard(target, id, shard))
        .map(|id| regex::escape(&id))
        .collect();
    Ok((!mine.is_empty()).then(|| Some(format!("^(?:{})$", mine.join("|")))))
}

/// Runs one criterion executable into a fresh `CRITERION_HOME` and reads what it saved; the
/// error is a one-line reason with the tail of the target's output.
pub fn run(
    target: &BenchTarget,
    executable: &Path,
    home: &Path,
    args: &[String],
    timeout: Duration,
    log: &Path,
) -> Result<Vec<Benchmark>, String> {
    let _ = std::fs::remove_dir_all(home);
    std::fs::create_dir_all(home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let mut command = Command::new(executable);
    command
        .args(args)
        .current_dir(&target.package_root)
        .env("CRITERION_HOME", home);
    super::run_logged(command, timeout, log)?;
    let measured = collect(home).map_err(|e| e.to_string())?;
    let unit = printed_unit(&std::fs::read_to_string(log).unwrap_or_default());
    Ok(measured
        .into_iter()
        .map(|m| Benchmark {
            summary: stats::summary(&m.per_iteration_ns),
            id: m.id,
            source: Source::Criterion,
            package: target.package.clone(),
            target: target.name.clone(),
            unit: unit.clone(),
            direction: Direction::LowerIsBetter,
            samples: m.per_iteration_ns,
            throughput: m.throughput,
            kind: None,
        })
        .collect())
}

/// Where criterion saves when `cargo bench` runs `target` and nothing is set for it:
/// `CRITERION_HOME`, else `criterion` in `CARGO_TARGET_DIR`, else in the target directory cargo
/// names (criterion 0.3 to 0.8 ask `cargo metadata`; `target_dir` is the workspace's, from the
/// same source). A relative variable is read from the bench process's directory, its package's
/// root, as criterion reads it.
pub(crate) fn home_as_users_run(target: &BenchTarget, target_dir: &Path) -> PathBuf {
    let from_bench = |value: std::ffi::OsString| target.package_root.join(value);
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return from_bench(home);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| target_dir.to_path_buf(), from_bench)
        .join("criterion")
}

/// Runs the benchmarks `filter` selects as users run them: `cargo bench --bench <target> --
/// <filter>` in the workspace, with the benchmark's own settings and no variable of the tool's,
/// so the benchmark sees what a user's run shows it; reads what criterion saved there during
/// this run (files from before it are not this run's).
pub(crate) fn run_through_cargo(
    workspace: &crate::workspace::Workspace,
    target: &BenchTarget,
    selection: &Selection,
    filter: &str,
    timeout: Duration,
    log: &Path,
) -> Result<Vec<Measured>, String> {
    let home = home_as_users_run(target, &workspace.target_dir);
    // A second's allowance for file systems that keep coarse times: a benchmark ran at most
    // once in that second, by this run.
    let begun = std::time::SystemTime::now() - Duration::from_secs(1);
    let mut command = super::bench_command(
        &workspace.manifest_path,
        std::slice::from_ref(target),
        selection,
    );
    command.arg("--").arg(filter).current_dir(&workspace.root);
    // The tool's own variables (its cache, its settings) are not a user's.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PERFGATE_") {
            command.env_remove(name);
        }
    }
    super::run_logged(command, timeout, log)?;
    collect_since(&home, begun).map_err(|e| e.to_string())
}

/// Reads every benchmark criterion saved under `home`, sorted by id.
pub fn collect(home: &Path) -> Result<Vec<Measured>> {
    collect_since(home, std::time::SystemTime::UNIX_EPOCH)
}

/// Reads every benchmark criterion saved under `home` at or after `since`, sorted by id.
fn collect_since(home: &Path, since: std::time::SystemTime) -> Result<Vec<Measured>> {
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
            && entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .is_some_and(|modified| modified >= since)
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
    // Criterion writes a positive iteration count and a finite, non-negative time for every
    // sample; anything else is a damaged file or a custom measurement that returned a negative
    // duration, and dropping those samples would judge the rest as if nothing happened.
    let location = dir.join("sample.json").display().to_string();
    let mut per_iteration_ns = Vec::with_capacity(sample.times.len());
    for (i, (iters, time)) in sample.iters.iter().zip(&sample.times).enumerate() {
        if !(iters.is_finite() && *iters > 0.0 && time.is_finite() && *time >= 0.0) {
            return Err(Error::Parse {
                location,
                what: "criterion sample file",
                detail: format!(
                    "sample {} of {} took {time} ns for {iters} iterations: criterion never writes a negative or non-finite time or a non-positive count, so the file is damaged or the benchmark's measurement (an `iter_custom` or custom `Measurement`) returned an impossible value; fix the benchmark and run it again",
                    i + 1,
                    sample.times.len()
                ),
            });
        }
        per_iteration_ns.push(time / iters);
    }
    Ok(Measured {
        id: benchmark.full_id,
        per_iteration_ns,
        throughput: throughput_of(benchmark.throughput.as_ref()),
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
    fn the_printed_unit_is_ns_for_times_and_the_measurement_s_own_otherwise() {
        let wall = "checksum/1k             time:   [823.37 ns 824.03 ns 824.97 ns]\n                        thrpt:  [1.1560 GiB/s 1.1573 GiB/s 1.1583 GiB/s]\nfold/64  time:   [1.2 µs 1.3 µs 1.4 µs]\n                        change: [-1.2% +0.3% +1.5%] (p = 0.61 > 0.05)\n";
        assert_eq!(printed_unit(wall), "ns");
        let long_id = "a/very/long/benchmark/id/that/wraps\n                        time:   [2.0000 ms 2.1000 ms 2.2000 ms]\n";
        assert_eq!(printed_unit(long_id), "ns");
        let cycles =
            "hash/1k                 time:   [1523.1 cycles 1530.2 cycles 1540.9 cycles]\n";
        assert_eq!(printed_unit(cycles), "cycles");
        assert_eq!(printed_unit(""), "ns");
        assert_eq!(printed_unit("time: [garbage"), "ns");
    }

    #[test]
    fn throughput_is_read_in_every_form_criterion_writes() {
        let read = |text: &str| throughput_of(Some(&serde_json::from_str(text).unwrap()));
        let bytes = read(r#"{"Bytes": 1024}"#).unwrap();
        assert_eq!(
            (bytes.unit.as_str(), bytes.per_iteration),
            ("bytes", 1024.0)
        );
        assert_eq!(read(r#"{"BytesDecimal": 1000}"#).unwrap().unit, "bytes");
        assert_eq!(read(r#"{"Bits": 8}"#).unwrap().unit, "bits");
        assert_eq!(read(r#"{"Elements": 3}"#).unwrap().unit, "elements");
        assert_eq!(read(r#"{"Elements": -3}"#), None);
        assert_eq!(read(r#"{"Fathoms": 3}"#), None);
        assert_eq!(read("null"), None);
        assert_eq!(read("7"), None);
    }

    #[test]
    fn reads_captured_criterion_output_as_per_iteration_times() {
        let home = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/criterion-0.5");
        let measured = collect(&home).unwrap();
        let ids: Vec<_> = measured.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["checksum/1k", "group/with space/42"]);
        assert_eq!(measured[0].per_iteration_ns.len(), 3);
        assert!((measured[0].per_iteration_ns[0] - 1000.0).abs() < 1e-9);
    }

    /// The error `collect` gives for a benchmark whose sample file holds `sample`.
    fn refused_sample(sample: &str) -> String {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("b/new");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("benchmark.json"), r#"{"full_id":"b"}"#).unwrap();
        std::fs::write(dir.join("sample.json"), sample).unwrap();
        collect(home.path()).unwrap_err().to_string()
    }

    #[test]
    fn a_sample_criterion_never_writes_is_named_never_dropped() {
        // No usable iteration at all: an error, not a null median.
        let err = refused_sample(r#"{"iters":[0.0,0.0],"times":[10.0,20.0]}"#);
        assert!(
            err.contains("sample.json") && err.contains("sample 1 of 2"),
            "{err}"
        );
        // Half the samples negative: not judged on the other half.
        let err = refused_sample(r#"{"iters":[1.0,1.0,1.0,1.0],"times":[10.0,-20.0,10.0,-30.0]}"#);
        assert!(
            err.contains("sample 2 of 4") && err.contains("-20"),
            "{err}"
        );
        // All negative: the cause is the time, not the count.
        let err = refused_sample(r#"{"iters":[1.0,1.0],"times":[-10.0,-20.0]}"#);
        assert!(err.contains("-10 ns") && err.contains("negative"), "{err}");
    }

    #[test]
    fn list_output_of_every_criterion_version_is_read_and_foreign_output_refused() {
        assert_eq!(
            parse_list("a/b: benchmark\nc: benchmark\n").unwrap(),
            ["a/b", "c"]
        );
        assert_eq!(parse_list("a/b: bench\n").unwrap(), ["a/b"]);
        assert!(parse_list("").unwrap().is_empty());
        assert!(parse_list("running 0 tests\n").is_err());
    }

    #[test]
    fn exact_filter_escapes_regex_characters() {
        assert_eq!(exact_filter("a.b/c(1)"), "^a\\.b/c\\(1\\)$");
    }
}
