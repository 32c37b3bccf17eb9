//! One function per subcommand, wiring the pipeline: select → measure → locate the baseline →
//! compare (→ confirm → compare again) → report → outcome. No statistics, formats, file
//! names or environment variables here: each step asks the module that owns it.

mod baseline;
mod check;
mod history;
mod init;
mod noise;
mod publish;
mod saved;

use std::time::Duration;

use perfgate_format::Run;

use crate::artifacts::{write_json, OutDir, OutLock};
use crate::baseline::{self as baselines, git};
use crate::cli::{self, BaselineCommand, Command};
use crate::config::Selection;
use crate::error::Result;
use crate::outcome::Outcome;
use crate::run::{self as measure, Executables};
use crate::workspace::Workspace;

/// Runs the parsed command line.
pub fn run(cli: cli::Cargo) -> Outcome {
    let cli::Cargo::Perfgate(perfgate) = cli;
    let result = match perfgate.command {
        None => check::check(&perfgate.check),
        Some(Command::Check(args)) => check::check(&args),
        Some(Command::Run(args)) => check::measure_only(&args),
        Some(Command::Compare(args)) => saved::compare(&args),
        Some(Command::Baseline(BaselineCommand::Save(args))) => baseline::save(&args),
        Some(Command::Baseline(BaselineCommand::Log(args))) => baseline::log(&args),
        Some(Command::Report(args)) => publish::report(&args),
        Some(Command::Comment(args)) => publish::comment(&args),
        Some(Command::Init(args)) => init::init(&args),
        Some(Command::Merge(args)) => saved::merge(&args),
        Some(Command::Noise(args)) => noise::noise(&args),
        Some(Command::History(args)) => history::history(&args),
    };
    if let Err(error) = &result {
        eprintln!("error: {error}");
    }
    Outcome::from(result)
}

/// Measures the workspace as it is in the work tree (recording its git state) and writes
/// `run.json`. The out dir stays this process's until the returned lock is dropped.
fn measure_work_tree(
    workspace: &Workspace,
    selection: &Selection,
    out: &OutDir,
    timeout: Duration,
) -> Result<(Run, Executables, OutLock)> {
    let lock = out.lock()?;
    let state = git::state(&workspace.root, baselines::BASELINE_DIR);
    let (run, executables) = measure::measure(workspace, selection, out, timeout, state)?;
    write_json(&out.run_json(), &run)?;
    Ok((run, executables, lock))
}

/// Refuses a `--plot` path that is not an `.svg` file (the chart is written as SVG).
fn require_svg(plot: &std::path::Path) -> Result<()> {
    if plot.extension().is_none_or(|e| e != "svg") {
        return Err(crate::error::Error::Usage(format!(
            "--plot {}: the chart is written as SVG; name a file ending in .svg",
            plot.display()
        )));
    }
    Ok(())
}

/// The maintainer's acceptance the event carries, under the base side's label
/// (`gate.accept_label`); an event that cannot be read accepts nothing, and the report says so.
fn acceptance(
    policy: &crate::config::Policy,
    warnings: &mut Vec<String>,
) -> Option<perfgate_format::Acceptance> {
    match crate::github::acceptance(&policy.accept_label) {
        Ok(acceptance) => acceptance,
        Err(why) => {
            warnings.push(format!(
                "the `{}` label is not applied: {why}",
                policy.accept_label
            ));
            None
        }
    }
}

/// What `run` and `noise` work with: the selection, its workspace, the work tree's policy and
/// the settings it resolves to, and the out dir.
struct Measuring {
    selection: Selection,
    workspace: Workspace,
    policy: crate::config::Policy,
    settings: crate::config::Settings,
    out: OutDir,
}

impl Measuring {
    fn from_args(args: &cli::RunArgs) -> Result<Self> {
        let selection = Selection::from_args(&args.select)?;
        let output = crate::config::Output::from_args(&args.output);
        let workspace = Workspace::discover(&selection)?;
        let policy = crate::config::Policy::from_dir(&workspace.root)?;
        let settings = crate::config::Settings::resolve(
            &crate::config::Overrides::of(Some(&selection), None),
            &policy,
        );
        let out = OutDir::resolve(output.out_dir.as_deref(), &workspace.target_dir);
        Ok(Measuring {
            selection,
            workspace,
            policy,
            settings,
            out,
        })
    }
}
