//! Runs a perfgate stability suite (a bench target built on the `perfgate` harness) and reads
//! the metrics it writes to `PERFGATE_OUTPUT`, in the shared format.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use perfgate_format::Benchmark;
use wait_timeout::ChildExt;

use crate::workspace::BenchTarget;

/// Runs one suite; the error is a one-line reason with the tail of its output.
pub fn run(
    target: &BenchTarget,
    executable: &Path,
    filter: Option<&str>,
    quick: bool,
    timeout: Duration,
    out_dir: &Path,
) -> Result<Vec<Benchmark>, String> {
    let results = out_dir
        .join("stability")
        .join(format!("{}-{}.json", target.package, target.name));
    let log = out_dir
        .join("logs")
        .join(format!("{}-{}.log", target.package, target.name));
    for dir in [results.parent(), log.parent()].into_iter().flatten() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let _ = std::fs::remove_file(&results);
    let log_file =
        File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let mut command = Command::new(executable);
    command.arg("--bench");
    if quick {
        command.arg("--quick");
    }
    if let Some(filter) = filter {
        command.arg(filter);
    }
    let mut child = command
        .current_dir(&target.package_root)
        .env(perfgate_format::OUTPUT_ENV, &results)
        .env("CARGO_PKG_NAME", &target.package)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", executable.display()))?;
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "timed out after {}s (raise --timeout or gate.timeout); output in {}",
                timeout.as_secs(),
                log.display()
            ));
        }
        Err(e) => return Err(format!("waiting for {}: {e}", executable.display())),
    };
    if !status.success() {
        return Err(format!("{status}: {}", super::tail(&log, 6)));
    }
    let text = std::fs::read_to_string(&results).map_err(|e| {
        format!(
            "the suite wrote no results to {} ({e}); does it call `Suite::finish()`?",
            results.display()
        )
    })?;
    let mut metrics: Vec<Benchmark> = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not perfgate results: {e}", results.display()))?;
    for m in &mut metrics {
        m.package = target.package.clone();
        m.target = target.name.clone();
    }
    Ok(metrics)
}
