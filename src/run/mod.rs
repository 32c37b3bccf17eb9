//! Builds the selected bench targets through cargo, runs each under a time limit, and collects
//! what they measured into a `Run`. A target that fails or hangs becomes an error entry; the
//! others still run.

pub(crate) mod base_side;
pub mod confirm;
pub mod criterion;
pub mod divan;
pub(crate) mod figures;
pub mod gungraun;
pub mod machine;
pub mod paired;
pub mod shard;
pub mod stability;

pub(crate) use figures::{figure_path, is_primary_figure, listed_figures, run_selected, selected};

use std::collections::BTreeMap;
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cargo_metadata::Message;
use perfgate_format::{Benchmark, GitState, Run, TargetError, RUN_SCHEMA};
use wait_timeout::ChildExt;

use crate::artifacts::OutDir;
use crate::config::Selection;
use crate::error::{Error, Result};
use crate::release::TOOL_VERSION;
use crate::workspace::{cargo_program, BenchTarget, Harness, Workspace};

/// Status lines on stderr: a progress bar on a terminal, plain lines in CI or a pipe.
pub(crate) struct Progress {
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

    pub(crate) fn finish_one(&self, line: &str) {
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
pub(crate) type Executables = BTreeMap<(String, String), PathBuf>;

/// Where a build other than the candidate's goes, and where cargo starts (which decides the
/// cargo configuration it reads).
pub struct BuildPlace<'a> {
    pub target_dir: &'a Path,
    pub current_dir: &'a Path,
}

/// Builds `targets` of the workspace at `manifest_path` with `cargo bench --no-run`.
pub fn build(
    manifest_path: &Path,
    targets: &[BenchTarget],
    selection: &Selection,
    place: Option<BuildPlace>,
) -> Result<Executables> {
    let mut command = build_command(manifest_path, targets, selection, place);
    // The command as it runs, every argument included, for the error message.
    let shown = std::iter::once("cargo".to_string())
        .chain(command.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
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
            executables.extend(bench_executable(artifact, targets));
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

/// `cargo bench --no-run` for exactly these targets, with the selection's features.
fn build_command(
    manifest_path: &Path,
    targets: &[BenchTarget],
    selection: &Selection,
    place: Option<BuildPlace>,
) -> Command {
    let mut command = bench_command(manifest_path, targets, selection);
    command.args(["--no-run", "--message-format", "json-render-diagnostics"]);
    if let Some(place) = place {
        command
            .env("CARGO_TARGET_DIR", place.target_dir)
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .current_dir(place.current_dir);
    }
    command
}

/// `cargo bench` of exactly these targets with the selection's features: the build above, and
/// a run as users run their benchmarks (`criterion::run_through_cargo`).
pub(crate) fn bench_command(
    manifest_path: &Path,
    targets: &[BenchTarget],
    selection: &Selection,
) -> Command {
    let mut command = Command::new(cargo_program());
    command
        .arg("bench")
        .arg("--manifest-path")
        .arg(manifest_path);
    let mut packages: Vec<String> = targets.iter().map(BenchTarget::package_spec).collect();
    packages.sort();
    packages.dedup();
    for package in &packages {
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
    command
}

/// The bench executable an artifact message announces, keyed by the target it belongs to.
fn bench_executable(
    artifact: cargo_metadata::Artifact,
    targets: &[BenchTarget],
) -> Option<((String, String), PathBuf)> {
    let executable = artifact.executable?;
    if !artifact
        .target
        .kind
        .iter()
        .any(|k| k.to_string() == "bench")
    {
        return None;
    }
    let manifest_dir = artifact
        .manifest_path
        .parent()
        .map(|p| p.as_std_path().to_path_buf())?;
    let target = targets
        .iter()
        .find(|t| t.name == artifact.target.name && same_dir(&manifest_dir, &t.package_root))?;
    Some((
        (target.package.clone(), target.name.clone()),
        executable.into_std_path_buf(),
    ))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || (a.canonicalize().ok().is_some() && a.canonicalize().ok() == b.canonicalize().ok())
}

/// Measures every selected target of the workspace and returns the run.
/// `git` is the state of the work tree being measured, recorded in the run.
pub fn measure(
    workspace: &Workspace,
    selection: &Selection,
    out: &OutDir,
    timeout: Duration,
    git: Option<GitState>,
) -> Result<(Run, Executables)> {
    let Started {
        started,
        targets,
        executables,
    } = start(workspace, selection)?;
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
        let result = measure_target(target, executable, selection, out, timeout);
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
    let run = new_run(started, git, selection, benchmarks, errors);
    Ok((run, executables))
}

/// A measuring begun: when, the selection's bench targets (its shard's), and their executables.
pub(crate) struct Started {
    pub started: String,
    pub targets: Vec<BenchTarget>,
    pub executables: Executables,
}

/// Checks the filter, notes the time and builds the selection's bench targets.
pub(crate) fn start(workspace: &Workspace, selection: &Selection) -> Result<Started> {
    criterion::check_filter(selection.filter.as_deref())?;
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let targets = shard::targets_in_shard(&workspace.targets, selection.shard);
    let executables = if targets.is_empty() {
        Executables::new()
    } else {
        build(&workspace.manifest_path, &targets, selection, None)?
    };
    Ok(Started {
        started,
        targets,
        executables,
    })
}

/// A run of this machine begun at `started`, as `selection` measured it.
pub(crate) fn new_run(
    started: String,
    git: Option<GitState>,
    selection: &Selection,
    benchmarks: Vec<Benchmark>,
    errors: Vec<TargetError>,
) -> Run {
    Run {
        schema: RUN_SCHEMA.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        started,
        git,
        machine: machine::fingerprint(),
        shard: selection.shard.map(|s| format!("{}/{}", s.index, s.count)),
        benchmarks,
        errors,
        confirmations: BTreeMap::new(),
        identical: BTreeMap::new(),
    }
}

/// Runs one bench target with the harness it is written in. Without a user filter, a target
/// that runs must report something: one that exits 0 having measured nothing would otherwise
/// pass as "nothing changed".
pub(crate) fn measure_target(
    target: &BenchTarget,
    executable: &Path,
    selection: &Selection,
    out: &OutDir,
    timeout: Duration,
) -> Result<Vec<Benchmark>, String> {
    let mut expect_results = selection.filter.is_none();
    let found = match target.harness {
        Harness::Criterion => match criterion::shard_filter(target, executable, selection)? {
            Some(filter) => {
                let measurement = if selection.quick {
                    criterion::Measurement::Quick
                } else {
                    criterion::Measurement::Full
                };
                criterion::run(
                    target,
                    executable,
                    &out.criterion_home(&target.package, &target.name),
                    &criterion::arguments(
                        target.harness_version.as_ref(),
                        filter.as_deref(),
                        measurement,
                    ),
                    timeout,
                    &out.log(&format!("{}-{}", target.package, target.name)),
                )?
            }
            None => {
                expect_results = false;
                Vec::new()
            }
        },
        Harness::Stability => stability::run(
            target,
            executable,
            selection.filter.as_deref(),
            &[],
            selection.quick,
            timeout,
            out,
        )?,
        Harness::Divan | Harness::Gungraun => {
            let log = out.log(&format!("{}-{}", target.package, target.name));
            match selected(target, executable, selection, timeout, &log)? {
                Some(ids) if ids.is_empty() => {
                    expect_results = false; // none of it is in this shard
                    Vec::new()
                }
                only => run_selected(
                    target,
                    executable,
                    only.as_deref(),
                    selection.quick,
                    out,
                    timeout,
                    &log,
                )?,
            }
        }
    };
    if found.is_empty() && expect_results {
        return Err("the target exited successfully but reported no results: does it run any benchmark (criterion_main!, or the suite's finish())?".to_string());
    }
    Ok(found)
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
    // A group of its own, so the time limit ends whatever the bench started too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) => {
            kill_group(&mut child);
            let _ = child.wait();
            return Err(format!(
                "timed out after {}s (raise --timeout or gate.timeout); output in {}",
                timeout.as_secs(),
                shown_path(log).display()
            ));
        }
        Err(e) => return Err(format!("waiting for {program}: {e}")),
    };
    if !status.success() {
        return Err(format!("{status}: {}", tail(log, 6)));
    }
    Ok(())
}

/// `run_logged`, then the log's text: what a harness that reports by printing printed.
pub(crate) fn run_read(command: Command, timeout: Duration, log: &Path) -> Result<String, String> {
    run_logged(command, timeout, log)?;
    std::fs::read_to_string(log).map_err(|e| format!("cannot read {}: {e}", log.display()))
}

/// Kills a child started in its own process group, and the whole group with it.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the group the child leads; it touches no
        // memory of ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

/// Two targets may name a benchmark alike: then each of them is `package::target::id`, the
/// same whichever ran first, so no two benchmarks of a run share an id. Ids already made
/// unique (shards being merged) are read back to the target's own first.
pub(crate) fn make_ids_unique(benchmarks: &mut [Benchmark]) {
    let keys: Vec<(&str, &str, &str)> = benchmarks
        .iter()
        .map(|b| (b.package.as_str(), b.target.as_str(), b.own_id()))
        .collect();
    let ids = unique_ids(&keys);
    for (b, id) in benchmarks.iter_mut().zip(ids) {
        b.id = id;
    }
}

/// The run's id of each `(package, target, own id)`: the own id, or `package::target::id` when
/// another target names a benchmark alike (see [`make_ids_unique`]).
pub(crate) fn unique_ids(keys: &[(&str, &str, &str)]) -> Vec<String> {
    let mut owners: BTreeMap<&str, std::collections::BTreeSet<(&str, &str)>> = BTreeMap::new();
    for &(package, target, id) in keys {
        owners.entry(id).or_default().insert((package, target));
    }
    keys.iter()
        .map(|&(package, target, id)| {
            if owners.get(id).is_some_and(|o| o.len() > 1) {
                perfgate_format::qualified_id(package, target, id)
            } else {
                id.to_string()
            }
        })
        .collect()
}

/// The id a target itself gives a benchmark (`make_ids_unique`'s prefix taken off).
pub fn own_id<'a>(id: &'a str, target: &BenchTarget) -> &'a str {
    perfgate_format::own_id(id, &target.package, &target.name)
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
    format!("{shown} (full output in {})", shown_path(path).display())
}

/// A path as reports show it: relative to where the command runs when it is below it, so a
/// report carries no runner's home directory.
pub(crate) fn shown_path(path: &Path) -> &Path {
    std::env::current_dir()
        .ok()
        .and_then(|here| path.strip_prefix(here).ok())
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path)
}
