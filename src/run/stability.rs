//! Runs a perfgate stability suite (a bench target built on the `perfgate-harness` crate) and reads
//! the metrics it writes to `PERFGATE_OUTPUT`, in the shared format; for a baseline, runs it
//! `SAVED_RUNS` times (`repeat_for_baseline`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use perfgate_format::{Benchmark, Run, Summary, TargetError};

use crate::artifacts::OutDir;
use crate::workspace::{BenchTarget, Harness, Workspace};

/// The harness crate's name as users depend on it.
pub(crate) const CRATE: &str = "perfgate-harness";

/// Whether a bench target's source uses the harness, imported as `used_as`.
pub(crate) fn recognises(source: &str, used_as: &str) -> bool {
    source.contains(used_as)
}

/// Runs one suite, or only the scenarios `only` names exactly (`suite/scenario`; a harness that
/// predates the list runs what `filter` names); the error is a one-line reason with the tail of
/// its output.
pub fn run(
    target: &BenchTarget,
    executable: &Path,
    filter: Option<&str>,
    only: &[&str],
    quick: bool,
    timeout: Duration,
    out: &OutDir,
) -> Result<Vec<Benchmark>, String> {
    let results = out.stability_results(&target.package, &target.name);
    let log = out.log(&format!("{}-{}", target.package, target.name));
    if let Some(dir) = results.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let _ = std::fs::remove_file(&results);
    let mut command = Command::new(executable);
    command.arg("--bench");
    if quick {
        command.arg("--quick");
    }
    if let Some(filter) = filter {
        command.arg(filter);
    }
    if !only.is_empty() {
        command.env(perfgate_format::SCENARIOS_ENV, only.join("\n"));
    }
    command
        .current_dir(&target.package_root)
        .env(perfgate_format::OUTPUT_ENV, &results)
        .env("CARGO_PKG_NAME", &target.package);
    super::run_logged(command, timeout, &log)?;
    let text = std::fs::read_to_string(&results).map_err(|e| {
        format!(
            "the suite wrote no results to {} ({e}); does it call `Suite::finish()`?",
            results.display()
        )
    })?;
    let mut metrics = parse_results(&text, &results)?;
    for m in &mut metrics {
        m.package = target.package.clone();
        m.target = target.name.clone();
    }
    Ok(metrics)
}

/// Reads the metrics a suite wrote to `path`: every one must be comparable (samples, finite
/// values, a summary that matches them), or the file is named with what is wrong.
pub fn parse_results(text: &str, path: &Path) -> Result<Vec<Benchmark>, String> {
    let location = path.display().to_string();
    let metrics: Vec<Benchmark> =
        serde_json::from_str(text).map_err(|e| format!("{location}: not perfgate results: {e}"))?;
    crate::entries::check(&metrics, &location, crate::entries::Origin::SuiteResults)
        .map_err(|e| e.to_string())?;
    Ok(metrics)
}

/// How many runs of a stability suite a saved baseline's figures come from: each metric's
/// stored figure is the median of their figures (its samples are all of them). Every later run
/// is judged against that figure, so one run's scheduler hiccups must not become it: a single
/// stored run of the gauge suite read 2,315 ns of CPU per operation where its typical run reads
/// ~1,100, and hid a 3 µs spin (+77% against a 100% default) from every gate run after it.
pub(crate) const SAVED_RUNS: usize = 3;

/// Runs each stability suite whose metrics `run` holds `SAVED_RUNS - 1` more times and folds
/// every metric's figures into its samples (with the summary of all of them). A suite that
/// fails on a later run fails the save, as a failed first run does.
pub(crate) fn repeat_for_baseline(
    run: &mut Run,
    workspace: &Workspace,
    executables: &super::Executables,
    (filter, quick): (Option<&str>, bool),
    timeout: Duration,
    out: &OutDir,
) {
    let suites: Vec<&BenchTarget> = workspace
        .targets
        .iter()
        .filter(|t| {
            t.harness == Harness::Stability
                && run
                    .benchmarks
                    .iter()
                    .any(|b| b.package == t.package && b.target == t.name)
        })
        .collect();
    for target in suites {
        let Some(executable) = executables.get(&(target.package.clone(), target.name.clone()))
        else {
            continue;
        };
        for again in 2..=SAVED_RUNS {
            eprintln!(
                "perfgate: {}/{}: run {again} of {SAVED_RUNS} for the baseline",
                target.package, target.name
            );
            match self::run(target, executable, filter, &[], quick, timeout, out) {
                Ok(metrics) => fold(run, &metrics),
                Err(message) => {
                    run.errors.push(TargetError {
                        package: target.package.clone(),
                        target: target.name.clone(),
                        message: format!("run {again} of {SAVED_RUNS} for the baseline: {message}"),
                    });
                    break;
                }
            }
        }
    }
}

/// Adds each of `metrics`' samples to the run's metric of the same package, target and id.
fn fold(run: &mut Run, metrics: &[Benchmark]) {
    for m in metrics {
        if let Some(b) = run
            .benchmarks
            .iter_mut()
            .find(|b| b.package == m.package && b.target == m.target && b.id == m.id)
        {
            b.samples.extend_from_slice(&m.samples);
            b.summary = Summary::of(&b.samples);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_figure_is_the_median_of_the_runs() {
        let metric = |value: f64| {
            Benchmark::new(
                "s/op/cpu_per_op",
                perfgate_format::Source::Stability,
                "p",
                "t",
                "ns",
                vec![value],
            )
        };
        let selection = crate::config::Selection::default();
        let mut run =
            super::super::new_run(String::new(), None, &selection, Vec::new(), Vec::new());
        run.benchmarks.push(metric(2315.0));
        fold(&mut run, &[metric(1100.0)]);
        fold(&mut run, &[metric(1130.0)]);
        // A metric of another target is not folded in.
        let mut other = metric(9.0);
        other.target = "u".to_string();
        fold(&mut run, &[other]);
        let b = &run.benchmarks[0];
        assert_eq!(b.samples, vec![2315.0, 1100.0, 1130.0]);
        assert_eq!(b.summary.median, 1130.0);
    }
}
