//! Builds the selected bench targets through cargo, runs each under a time limit, and collects
//! what they measured into a `Run`. A target that fails or hangs becomes an error entry; the
//! others still run.

pub mod confirm;
pub mod criterion;
pub mod machine;
pub mod stability;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cargo_metadata::Message;
use perfgate_format::{Benchmark, Direction, Run, Source, TargetError, RUN_SCHEMA};
use wait_timeout::ChildExt;

use crate::config::{Selection, Shard};
use crate::error::{Error, Result};
use crate::stats;
use crate::workspace::{cargo_program, BenchTarget, Harness, Workspace};

/// The tool's version, recorded in every file it writes.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Status lines on stderr: a progress bar on a terminal, plain lines in CI or a pipe.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub fn new(total: usize) -> Self {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        let bar = (std::io::stderr().is_terminal() && !ci).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar }
    }

    pub fn start(&self, what: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(what.to_string()),
            None => eprintln!("perfgate: {what}"),
        }
    }

    pub fn finish_one(&self, line: &str) {
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.println(line);
            }
            None => eprintln!("perfgate: {line}"),
        }
    }

    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Bench executables built by cargo, by (package, target).
pub type Executables = BTreeMap<(String, String), PathBuf>;

/// Builds `targets` of the workspace at `manifest_path` with `cargo bench --no-run`.
pub fn build(
    manifest_path: &Path,
    targets: &[BenchTarget],
    selection: &Selection,
    target_dir: Option<&Path>,
) -> Result<Executables> {
    let mut command = Command::new(cargo_program());
    command
        .args([
            "bench",
            "--no-run",
            "--message-format",
            "json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(manifest_path);
    let mut packages: Vec<&str> = targets.iter().map(|t| t.package.as_str()).collect();
    packages.dedup();
    for package in packages {
        command.args(["--package", package]);
    }
    for target in targets {
        command.args(["--bench", &target.name]);
    }
    for features in &selection.features {
        command.args(["--features", features]);
    }
    if selection.all_features {
        command.arg("--all-features");
    }
    if selection.no_default_features {
        command.arg("--no-default-features");
    }
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    let shown = format!(
        "cargo bench --no-run --manifest-path {}",
        manifest_path.display()
    );
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child = command.spawn().map_err(|source| Error::Spawn {
        program: "cargo".to_string(),
        source,
    })?;
    let mut executables = Executables::new();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Other("cargo's stdout is missing".into()))?;
    for message in Message::parse_stream(std::io::BufReader::new(stdout)) {
        let message = message.map_err(|e| Error::Other(format!("reading cargo's output: {e}")))?;
        if let Message::CompilerArtifact(artifact) = message {
            let Some(executable) = artifact.executable else {
                continue;
            };
            if !artifact
                .target
                .kind
                .iter()
                .any(|k| k.to_string() == "bench")
            {
                continue;
            }
            let manifest_dir = artifact
                .manifest_path
                .parent()
                .map(|p| p.as_std_path().to_path_buf());
            if let Some(target) = targets.iter().find(|t| {
                t.name == artifact.target.name
                    && manifest_dir
                        .as_deref()
                        .is_some_and(|d| same_dir(d, &t.package_root))
            }) {
                executables.insert(
                    (target.package.clone(), target.name.clone()),
                    executable.into_std_path_buf(),
                );
            }
        }
    }
    let status = child.wait().map_err(|source| Error::Spawn {
        program: "cargo".to_string(),
        source,
    })?;
    if !status.success() {
        return Err(Error::Build {
            command: shown,
            status: status.to_string(),
        });
    }
    Ok(executables)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || (a.canonicalize().ok().is_some() && a.canonicalize().ok() == b.canonicalize().ok())
}

/// The shard (0-based) a key falls in: FNV-1a of the key modulo the count. It depends on that
/// key alone, so adding or removing benchmarks moves no other.
fn shard_of(key: &str, count: u32) -> u64 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    hash % u64::from(count)
}

/// Whether a target runs in a shard: every criterion target does (its benchmarks are split one
/// by one, see [`benchmark_in_shard`]); a stability suite runs in one process, so it goes whole,
/// by `package/target`.
pub fn target_in_shard(target: &BenchTarget, shard: Option<Shard>) -> bool {
    shard.is_none_or(|s| {
        target.harness == Harness::Criterion
            || shard_of(&format!("{}/{}", target.package, target.name), s.count)
                == u64::from(s.index - 1)
    })
}

/// Whether a measured (or baseline) benchmark belongs to a shard: a criterion benchmark by
/// `package/target/id`, a stability metric with its whole target.
pub fn benchmark_in_shard(b: &Benchmark, shard: Option<Shard>) -> bool {
    shard.is_none_or(|s| {
        let key = match b.source {
            Source::Criterion => {
                // `make_ids_unique` may have put `target::` in front of the criterion id.
                let prefix = format!("{}::", b.target);
                let id = b.id.strip_prefix(&prefix).unwrap_or(&b.id);
                format!("{}/{}/{id}", b.package, b.target)
            }
            _ => format!("{}/{}", b.package, b.target),
        };
        shard_of(&key, s.count) == u64::from(s.index - 1)
    })
}

/// The ids a criterion executable would run (`--list`), with the user's filter applied.
pub(crate) fn list_criterion(
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
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": benchmark"))
        .map(str::to_string)
        .collect())
}

/// In a sharded run, the criterion filter that runs exactly this shard's benchmarks of a
/// target (`None`: none of them are in the shard). Without a shard, the user's filter.
fn criterion_filter(
    target: &BenchTarget,
    executable: &Path,
    selection: &Selection,
) -> Result<Option<Option<String>>, String> {
    let Some(shard) = selection.shard else {
        return Ok(Some(selection.filter.clone()));
    };
    let mine: Vec<String> = list_criterion(target, executable, selection.filter.as_deref())?
        .into_iter()
        .filter(|id| {
            let key = format!("{}/{}/{id}", target.package, target.name);
            shard_of(&key, shard.count) == u64::from(shard.index - 1)
        })
        .map(|id| regex::escape(&id))
        .collect();
    Ok((!mine.is_empty()).then(|| Some(format!("^(?:{})$", mine.join("|")))))
}

/// Measures every selected target of the workspace and returns the run.
pub fn measure(
    workspace: &Workspace,
    selection: &Selection,
    out_dir: &Path,
    timeout: Duration,
) -> Result<(Run, Executables)> {
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let git = crate::baseline::git::state(&workspace.root);
    let targets: Vec<BenchTarget> = workspace
        .targets
        .iter()
        .filter(|t| target_in_shard(t, selection.shard))
        .cloned()
        .collect();
    let executables = if targets.is_empty() {
        Executables::new()
    } else {
        build(&workspace.manifest_path, &targets, selection, None)?
    };
    let measurement = if selection.quick {
        criterion::Measurement::Quick
    } else {
        criterion::Measurement::Full
    };
    let progress = Progress::new(targets.len());
    let mut benchmarks = Vec::new();
    let mut errors = Vec::new();
    for target in &targets {
        let label = format!("{}/{}", target.package, target.name);
        progress.start(&format!("running {label}"));
        let begun = Instant::now();
        let Some(executable) = executables.get(&(target.package.clone(), target.name.clone()))
        else {
            errors.push(TargetError {
                package: target.package.clone(),
                target: target.name.clone(),
                message: "cargo built no executable for this bench target".to_string(),
            });
            continue;
        };
        let result = match target.harness {
            Harness::Criterion => match criterion_filter(target, executable, selection) {
                Ok(Some(filter)) => run_criterion(
                    target,
                    executable,
                    &out_dir
                        .join("criterion")
                        .join(&target.package)
                        .join(&target.name),
                    &criterion::arguments(filter.as_deref(), measurement),
                    timeout,
                    &out_dir
                        .join("logs")
                        .join(format!("{}-{}.log", target.package, target.name)),
                ),
                Ok(None) => Ok(Vec::new()),
                Err(message) => Err(message),
            },
            Harness::Stability => stability::run(
                target,
                executable,
                selection.filter.as_deref(),
                selection.quick,
                timeout,
                out_dir,
            ),
        };
        match result {
            Ok(found) => {
                progress.finish_one(&format!(
                    "{label}: {} benchmarks in {:.1}s",
                    found.len(),
                    begun.elapsed().as_secs_f64()
                ));
                benchmarks.extend(found);
            }
            Err(message) => {
                progress.finish_one(&format!("{label}: error: {message}"));
                errors.push(TargetError {
                    package: target.package.clone(),
                    target: target.name.clone(),
                    message,
                });
            }
        }
    }
    progress.done();
    make_ids_unique(&mut benchmarks);
    let run = Run {
        schema: RUN_SCHEMA.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        started,
        git,
        machine: machine::fingerprint(),
        shard: selection.shard.map(|s| format!("{}/{}", s.index, s.count)),
        benchmarks,
        errors,
        confirmations: BTreeMap::new(),
    };
    Ok((run, executables))
}

/// Runs a bench process with its output in `log`, killing it after `timeout`. The error is a
/// one-line reason: the panic or the last lines of the output.
pub(crate) fn run_logged(
    mut command: Command,
    timeout: Duration,
    log: &Path,
) -> Result<(), String> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let log_file =
        File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
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
        Err(e) => return Err(format!("waiting for {program}: {e}")),
    };
    if !status.success() {
        return Err(format!("{status}: {}", tail(log, 6)));
    }
    Ok(())
}

/// Runs one criterion executable into a fresh `CRITERION_HOME`; the error is a one-line reason
/// with the tail of the target's output.
pub fn run_criterion(
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
    run_logged(command, timeout, log)?;
    let measured = criterion::collect(home).map_err(|e| e.to_string())?;
    Ok(measured
        .into_iter()
        .map(|m| benchmark(target, m.id, m.per_iteration_ns))
        .collect())
}

fn benchmark(target: &BenchTarget, id: String, samples: Vec<f64>) -> Benchmark {
    Benchmark {
        summary: stats::summary(&samples),
        id,
        source: Source::Criterion,
        package: target.package.clone(),
        target: target.name.clone(),
        unit: "ns".to_string(),
        direction: Direction::LowerIsBetter,
        samples,
    }
}

/// Two targets may name a benchmark alike; the later ones get `target::` in front.
fn make_ids_unique(benchmarks: &mut [Benchmark]) {
    let mut seen = std::collections::BTreeSet::new();
    for b in benchmarks.iter_mut() {
        if !seen.insert(b.id.clone()) {
            b.id = format!("{}::{}", b.target, b.id);
            seen.insert(b.id.clone());
        }
    }
}

/// A one-line reason from a target's log: the panic and its message when it panicked, else the
/// last lines.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let shown = match all.iter().position(|l| l.contains("panicked at")) {
        Some(at) => all[at..(at + 2).min(all.len())].join(" "),
        None => all[all.len().saturating_sub(lines)..].join(" | "),
    };
    format!("{shown} (full output in {})", path.display())
}
