//! Runs a perfgate stability suite (a bench target built on the `perfgate-harness` crate) and reads
//! the metrics it writes to `PERFGATE_OUTPUT`, in the shared format.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use perfgate_format::Benchmark;

use crate::artifacts::OutDir;
use crate::workspace::BenchTarget;

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
