//! Command-line types (clap) and nothing else: `config` turns them into its own values
//! (`Selection`, `Output`, `Overrides`, and with the policy `Settings`), and no module after it
//! sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `cargo perfgate` is invoked by cargo as `cargo-perfgate perfgate …`.
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", styles = clap::builder::Styles::plain())]
pub enum Cargo {
    /// Performance gate: run benchmarks and stability suites, compare with baselines in git.
    #[command(version = crate::release::LONG_VERSION, name = "perfgate")]
    Perfgate(Perfgate),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Perfgate {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the default `check` command.
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure, compare against the baseline in git, report, and exit with the gate's verdict (default).
    Check(CheckArgs),
    /// Measure only: write run.json.
    Run(RunArgs),
    /// Compare a run.json against a baseline (a git rev or a file) without measuring.
    Compare(CompareArgs),
    /// Manage baselines in `baselines/`.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Re-render a saved compare.json as markdown, JSON, JUnit or a table.
    Report(ReportArgs),
    /// Post or update the sticky pull-request comment on GitHub.
    Comment(CommentArgs),
    /// Scaffold perfgate.toml, GitHub workflows and an example stability suite.
    Init(InitArgs),
    /// Combine the run.json files of several shards into one comparison.
    Merge(MergeArgs),
    /// Each benchmark per commit on the default branch, from the history `check` records in git
    /// notes on a push (or with --drift), and the commit where each one moved.
    History(HistoryArgs),
    /// Measure this machine's noise floor: each criterion or divan benchmark A/A-tested against itself
    /// in confirm rounds, with the smallest threshold the gate can resolve for it here.
    Noise(RunArgs),
}

/// Which workspace, packages and targets to measure.
#[derive(Debug, Args, Clone, Default)]
pub struct SelectArgs {
    /// Path to Cargo.toml of the workspace.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Only bench targets of these packages.
    #[arg(short, long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    /// Only these bench targets.
    #[arg(long = "bench", value_name = "NAME")]
    pub benches: Vec<String>,
    /// Space or comma separated features to activate.
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Activate all features.
    #[arg(long)]
    pub all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    pub no_default_features: bool,
    /// Short measurements: for tests and smoke runs, not for gating releases.
    #[arg(long)]
    pub quick: bool,
    /// Kill a bench target that runs longer than this (e.g. `90s`, `10m`).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Run only this shard of the benchmarks, `i/n` with 1 ≤ i ≤ n.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Only benchmarks whose id matches this regular expression (criterion's filter; a regex on divan's paths).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
}

/// How results are printed on stdout (`--format`; the one type `config` uses too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// When to re-measure against the baseline's commit on this machine: `--confirm` and
/// `gate.confirm` read the same words into this one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Confirm {
    /// Re-measure flagged benchmarks against the baseline's commit.
    Auto,
    /// A/B-test every benchmark against the baseline's commit.
    Always,
    /// Never re-measure: flags stay unconfirmed.
    Never,
}

/// Where the artifacts go and how the verdict is printed.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Directory for run.json, compare.json and report.md [default: <target-dir>/perfgate].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// `json` prints compare.json on stdout instead of the table.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// Which baseline to compare against.
#[derive(Debug, Args, Clone, Default)]
pub struct AgainstArgs {
    /// A git rev (branch, tag, sha) to read `baselines/<profile>.json` and perfgate.toml from,
    /// or a baseline/run JSON file [default: the merge-base with GITHUB_BASE_REF, else HEAD].
    #[arg(long, value_name = "REV|FILE")]
    pub against: Option<String>,
    /// Baseline profile: the file `baselines/<profile>.json`.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Re-measure flagged benchmarks on this machine before calling them regressed.
    #[arg(long, value_enum)]
    pub confirm: Option<Confirm>,
    /// Most wall time the confirm stage may spend (e.g. `10m`); the largest flags go first and
    /// what it leaves is `unconfirmed` [default: gate.confirm_budget, else 20m].
    #[arg(long, value_name = "DURATION")]
    pub confirm_budget: Option<String>,
    /// Fetch the base branch (or the --against rev) from `origin` when the clone lacks it;
    /// unshallows a shallow clone so the merge-base can be found.
    #[arg(long)]
    pub fetch: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct CheckArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub against: AgainstArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Judge the drift since the commit that measured the committed baseline (its provenance),
    /// against `gate.drift_threshold`, and record this run in the history (git notes)
    /// [default: on in a push to the default branch].
    #[arg(long, conflicts_with = "against")]
    pub drift: bool,
}

#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone)]
pub struct CompareArgs {
    /// The run to judge [default: <out-dir>/run.json].
    #[arg(value_name = "RUN")]
    pub run: Option<PathBuf>,
    /// Path to Cargo.toml of the workspace.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    #[command(flatten)]
    pub against: AgainstArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Measure (or take --from) and write `baselines/<profile>.json` atomically.
    Save(BaselineSaveArgs),
    /// Show how benchmarks moved across the commits that changed the baseline file.
    Log(BaselineLogArgs),
}

#[derive(Debug, Args, Clone)]
pub struct BaselineLogArgs {
    /// Benchmark ids to show [default: every benchmark of the newest baseline].
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Path to Cargo.toml of the workspace.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Baseline profile: the file `baselines/<profile>.json`.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// At most this many baseline versions, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Also draw the trend (change from the oldest version shown) as an SVG chart here.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct BaselineSaveArgs {
    /// Use this run.json instead of measuring.
    #[arg(long, value_name = "RUN")]
    pub from: Option<PathBuf>,
    /// Commit the written baseline with git (on HEAD's branch; nothing else is committed).
    #[arg(long)]
    pub commit: bool,
    /// With --commit: commit even though tracked files have uncommitted changes.
    #[arg(long, requires = "commit")]
    pub allow_dirty: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Baseline profile: the file `baselines/<profile>.json`.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
    Junit,
    Table,
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The comparison to render [default: target/perfgate/compare.json].
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: ReportFormat,
    /// Write here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct CommentArgs {
    /// The comparison to post [default: target/perfgate/compare.json].
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Pull request number [default: from GITHUB_EVENT_PATH].
    #[arg(long)]
    pub pr: Option<u64>,
    /// `owner/name` [default: GITHUB_REPOSITORY].
    #[arg(long)]
    pub repo: Option<String>,
    /// Find the pull request by its head commit (a `workflow_run` job) [default: from the event].
    #[arg(long, value_name = "SHA")]
    pub head_sha: Option<String>,
    /// Print the body instead of posting it.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args, Clone)]
pub struct InitArgs {
    /// Workspace root to scaffold [default: current directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Overwrite existing files (Cargo.toml is only ever added to, never rewritten).
    #[arg(long)]
    pub force: bool,
    /// The package that gets the example stability suite [default: the root package, or the
    /// workspace's only member].
    #[arg(short, long = "package", value_name = "NAME")]
    pub package: Option<String>,
    /// Leave out the example stability suite (Cargo.toml is not touched).
    #[arg(long)]
    pub no_stability: bool,
    /// Depend on the harness at this local path instead of the project's git repository (a
    /// checkout of cargo-perfgate: `<checkout>/crates/perfgate-harness`).
    #[arg(long, value_name = "DIR")]
    pub harness_path: Option<PathBuf>,
    /// Then measure this machine's noise (as `cargo perfgate noise` does) and write a
    /// `[thresholds]` entry for each benchmark or metric it cannot resolve at its default.
    #[arg(long)]
    pub calibrate: bool,
    /// With --calibrate: short measurements (for tests and smoke runs, not for a CI's
    /// thresholds).
    #[arg(long, requires = "calibrate")]
    pub quick: bool,
}

#[derive(Debug, Args, Clone)]
pub struct HistoryArgs {
    /// Benchmark ids to show [default: every benchmark of the newest record].
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Path to Cargo.toml of the workspace.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// At most this many commits, along HEAD's first-parent history.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Also draw each benchmark per commit (change from the oldest shown) as an SVG chart here.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// First fetch the history from `origin` (merged with the local one).
    #[arg(long)]
    pub fetch: bool,
    /// Push the local history to `origin`, merged with what is there (safe when runs race).
    #[arg(long)]
    pub push: bool,
    /// Add this run.json (of a clean commit: a merged run of shards, say) to the history first.
    #[arg(long, value_name = "RUN")]
    pub record: Option<PathBuf>,
    /// `json` prints the series and change points as JSON.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// The shards' run.json files.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Path to Cargo.toml of the workspace.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    #[command(flatten)]
    pub against: AgainstArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The process arguments, with `perfgate` inserted when the binary is run directly
/// (`cargo-perfgate check`) rather than through cargo (`cargo perfgate check`).
pub fn normalized_args() -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_none_or(|a| a != "perfgate") {
        args.insert(1.min(args.len()), "perfgate".into());
    }
    args
}
