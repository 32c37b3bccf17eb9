//! One function per subcommand, wiring the pipeline: select → measure → locate the baseline →
//! compare (→ confirm → compare again) → report → outcome. No statistics or formats here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use perfgate_format::{
    BaselineRef, Benchmark, Comparison, Confirmation, Overall, Run, Verdict, COMPARE_SCHEMA,
};

use crate::baseline::{self, git::Repo, Located, Reference};
use crate::cli::{self, BaselineCommand, Command};
use crate::compare::{self, Inputs};
use crate::config::{self, Against, Confirm, Format, Output, Policy, Selection};
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::report::{json::Json, junit::Junit, markdown::Markdown, table::Table, Render};
use crate::run::{self, confirm, Executables};
use crate::workspace::Workspace;

/// Runs the parsed command line.
pub fn run(cli: cli::Cargo) -> Outcome {
    let cli::Cargo::Perfgate(perfgate) = cli;
    let result = match perfgate.command {
        None => check(&perfgate.check),
        Some(Command::Check(args)) => check(&args),
        Some(Command::Run(args)) => measure_only(&args),
        Some(Command::Compare(args)) => compare_files(&args),
        Some(Command::Baseline(BaselineCommand::Save(args))) => baseline_save(&args),
        Some(Command::Baseline(BaselineCommand::Log(args))) => baseline_log(&args),
        Some(Command::Report(args)) => report(&args),
        Some(Command::Comment(args)) => comment(&args),
        Some(Command::Init(args)) => init(&args),
        Some(Command::Merge(args)) => merge(&args),
        Some(Command::Noise(args)) => noise(&args),
    };
    if let Err(error) = &result {
        eprintln!("error: {error}");
    }
    Outcome::from(result)
}

/// The artifact directory, made absolute: bench processes run in other directories (the
/// package root, the baseline's exported tree) and must write where we read.
fn out_dir(output: &Output, target_dir: &Path) -> PathBuf {
    let dir = output
        .out_dir
        .clone()
        .unwrap_or_else(|| target_dir.join("perfgate"));
    std::path::absolute(&dir).unwrap_or(dir)
}

/// `cargo perfgate check`: the gate.
fn check(args: &cli::CheckArgs) -> Result<Outcome> {
    let selection = Selection::from_args(&args.select)?;
    let output = Output::from_args(&args.output);
    let against = Against::from_args(&args.against);
    let profile = against
        .profile
        .as_deref()
        .map(config::profile_name)
        .transpose()?;
    let workspace = Workspace::discover(&selection)?;
    let reference = Reference::choose(against.against.as_deref(), against.fetch);
    // Read the baseline first: a corrupt one should stop us before minutes of measuring.
    let located = baseline::locate(&workspace.root, &reference, profile.as_deref())?;
    let policy = located.policy.clone();
    let confirm_mode = against.confirm.unwrap_or(policy.confirm);
    let out = out_dir(&output, &workspace.target_dir);
    let (run, candidate) = run::measure(
        &workspace,
        &selection,
        &out,
        selection.timeout.unwrap_or(policy.timeout),
    )?;
    write_json(&out.join("run.json"), &run)?;
    let (comparison, confirmations) = judge(
        &workspace,
        &selection,
        &located,
        &run,
        &candidate,
        confirm_mode,
        &out,
    )?;
    if !confirmations.is_empty() {
        // Kept with the measurements, so `merge` of shards decides as each `check` did.
        let mut run = run;
        run.confirmations = confirmations;
        write_json(&out.join("run.json"), &run)?;
    }
    publish(&comparison, &output, &out)
}

/// Compares, then re-measures what the stored comparison flagged (or everything with
/// `--confirm=always`) and compares again with those figures.
fn judge(
    workspace: &Workspace,
    selection: &Selection,
    located: &Located,
    run: &Run,
    candidate: &Executables,
    confirm_mode: Confirm,
    out: &Path,
) -> Result<(Comparison, BTreeMap<String, Confirmation>)> {
    let in_scope = scope(workspace, selection);
    let no_confirmations = BTreeMap::new();
    let mut warnings = located.warnings.clone();
    let floors = noise_floors(out, &run.machine, &mut warnings)?;
    let mut inputs = Inputs {
        run,
        baseline: located.baseline.as_ref(),
        baseline_ref: baseline_ref(located, run),
        policy: &located.policy,
        confirm: confirm_mode,
        confirmations: &no_confirmations,
        confirm_unavailable: None,
        floors: &floors,
        in_scope: &in_scope,
        warnings,
    };
    let first = compare::compare(&inputs);
    let ids: Vec<String> = match confirm_mode {
        Confirm::Never => return Ok((first, BTreeMap::new())),
        Confirm::Auto => compare::flagged(&first),
        Confirm::Always => first
            .entries
            .iter()
            .filter(|e| e.baseline.is_some() && e.current.is_some())
            .map(|e| e.id.clone())
            .collect(),
    };
    if ids.is_empty() {
        return Ok((first, BTreeMap::new()));
    }
    let Some(commit) = located.commit else {
        inputs.confirm_unavailable =
            Some("the baseline came from a file, so there is no commit to build".to_string());
        return Ok((compare::compare(&inputs), BTreeMap::new()));
    };
    let flagged: Vec<(&str, &crate::workspace::BenchTarget)> = ids
        .iter()
        .filter_map(|id| {
            // Only criterion benchmarks can be re-run alone; stability metrics are gated by budgets.
            let b = run
                .benchmarks
                .iter()
                .find(|b| &b.id == id && b.source == perfgate_format::Source::Criterion)?;
            let t = workspace
                .targets
                .iter()
                .find(|t| t.package == b.package && t.name == b.target)?;
            Some((id.as_str(), t))
        })
        .collect();
    if flagged.is_empty() {
        return Ok((first, BTreeMap::new()));
    }
    let mut targets: Vec<crate::workspace::BenchTarget> =
        flagged.iter().map(|(_, t)| (*t).clone()).collect();
    targets.dedup();
    eprintln!(
        "perfgate: confirming {} benchmark(s) against {} on this machine",
        flagged.len(),
        baseline::git::short(commit)
    );
    let repo = Repo::open(&workspace.root)?;
    let built = match confirm::build_baseline(workspace, &repo, commit, &targets, selection) {
        Ok(built) => built,
        Err(e) => {
            inputs.confirm_unavailable =
                Some(format!("building the baseline's commit failed: {e}"));
            return Ok((compare::compare(&inputs), BTreeMap::new()));
        }
    };
    let items: Vec<confirm::Flagged> = flagged
        .iter()
        .map(|(id, target)| confirm::Flagged {
            id,
            target,
            threshold: first
                .entries
                .iter()
                .find(|e| e.id == *id)
                .map_or(located.policy.threshold, |e| e.threshold),
            level: confirm::level(located.policy.alpha, flagged.len()),
        })
        .collect();
    let timeout = selection.timeout.unwrap_or(located.policy.timeout);
    let (confirmations, failures) =
        confirm::confirm(workspace, &built, candidate, &items, out, timeout);
    if !failures.is_empty() {
        inputs.confirm_unavailable = Some(
            failures
                .iter()
                .map(|(id, why)| format!("{id}: {why}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    inputs.confirmations = &confirmations;
    let comparison = compare::compare(&inputs);
    Ok((comparison, confirmations))
}

/// This machine's noise floors by benchmark id from `<out>/noise.json`, when `cargo perfgate
/// noise` wrote one there on the machine that measured `machine`'s run; a file from another
/// machine is not used, and either way a warning says what happened.
fn noise_floors(
    out: &Path,
    machine: &perfgate_format::Machine,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, f64>> {
    let path = out.join("noise.json");
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let noise: perfgate_format::Noise =
        baseline::read_versioned(&path, "noise.json", perfgate_format::NOISE_SCHEMA)?;
    if noise.machine != *machine {
        warnings.push(format!(
            "{} was measured on another machine ({}): its noise floors are not used here",
            path.display(),
            noise.machine.describe()
        ));
        return Ok(BTreeMap::new());
    }
    warnings.push(format!(
        "this machine's noise floors from {} (measured {}) apply: a threshold below a benchmark's floor is widened to it; delete the file to gate at the configured thresholds",
        path.display(),
        noise.measured
    ));
    Ok(noise
        .benchmarks
        .into_iter()
        .filter(|b| b.resolvable.is_finite())
        .map(|b| (b.id, b.resolvable))
        .collect())
}

/// Which baseline entries a run of this selection was meant to measure.
fn scope<'a>(
    workspace: &'a Workspace,
    selection: &'a Selection,
) -> impl Fn(&Benchmark) -> bool + 'a {
    let filter = selection
        .filter
        .as_deref()
        .map(|f| regex::Regex::new(f).map_err(|_| f.to_string()));
    move |b: &Benchmark| {
        let target_selected = workspace
            .targets
            .iter()
            .any(|t| t.package == b.package && t.name == b.target)
            && run::benchmark_in_shard(b, selection.shard);
        let id_selected = match &filter {
            None => true,
            Some(Ok(regex)) => regex.is_match(&b.id),
            Some(Err(text)) => b.id.contains(text.as_str()),
        };
        target_selected && id_selected
    }
}

fn baseline_ref(located: &Located, run: &Run) -> Option<BaselineRef> {
    let baseline = located.baseline.as_ref()?;
    Some(BaselineRef {
        location: located.location.clone(),
        commit: located.commit.map(|c| c.to_string()),
        provenance: baseline.provenance.clone(),
        machine_differs: baseline.provenance.machine != run.machine,
    })
}

/// Writes compare.json and report.md, prints the table (or JSON), and feeds GitHub Actions.
fn publish(comparison: &Comparison, output: &Output, out: &Path) -> Result<Outcome> {
    write_json(&out.join("compare.json"), comparison)?;
    let markdown = Markdown {
        limit: crate::report::markdown::COMMENT_LIMIT,
    }
    .render(comparison);
    baseline::write_atomic(&out.join("report.md"), &markdown)?;
    match output.format {
        Format::Json => print!("{}", Json.render(comparison)),
        Format::Table => print!("{}", Table.render(comparison)),
    }
    actions_output(comparison, output.format);
    Ok(Outcome::Verdict(comparison.verdict))
}

/// In GitHub Actions: the job summary and `::error` annotations for the worst entries. With
/// `--format json` stdout carries only the JSON, so the annotations go to stderr.
fn actions_output(comparison: &Comparison, format: Format) {
    if let Ok(path) = std::env::var("GITHUB_STEP_SUMMARY") {
        if !path.is_empty() {
            let summary = Markdown {
                limit: crate::report::markdown::SUMMARY_LIMIT,
            }
            .render(comparison);
            let appended = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, summary.as_bytes()));
            if let Err(e) = appended {
                eprintln!("warning: cannot write the job summary to {path}: {e}");
            }
        }
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        // GitHub shows about ten annotations per step: the worst first, by verdict then change.
        let mut worst: Vec<_> = comparison
            .entries
            .iter()
            .filter(|e| e.verdict.fails_gate() || e.verdict == Verdict::Error)
            .collect();
        worst.sort_by(|a, b| {
            a.verdict
                .cmp(&b.verdict)
                .then(b.change.unwrap_or(0.0).total_cmp(&a.change.unwrap_or(0.0)))
        });
        for e in worst.iter().take(10) {
            let message = format!(
                "{} {}: {}{}",
                e.id,
                e.verdict.as_str(),
                crate::report::format_change(e),
                e.note
                    .as_deref()
                    .map(|n| format!(" — {n}"))
                    .unwrap_or_default()
            );
            let line = format!(
                "::error title=perfgate::{}",
                message
                    .replace('%', "%25")
                    .replace('\r', "%0D")
                    .replace('\n', "%0A")
            );
            match format {
                Format::Json => eprintln!("{line}"),
                Format::Table => println!("{line}"),
            }
        }
    }
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Other(format!("serialising {}: {e}", path.display())))?;
    baseline::write_atomic(path, &(text + "\n"))
}

/// `cargo perfgate run`: measure only.
fn measure_only(args: &cli::RunArgs) -> Result<Outcome> {
    let selection = Selection::from_args(&args.select)?;
    let output = Output::from_args(&args.output);
    let workspace = Workspace::discover(&selection)?;
    let policy = Policy::from_dir(&workspace.root)?;
    let out = out_dir(&output, &workspace.target_dir);
    let (run, _) = run::measure(
        &workspace,
        &selection,
        &out,
        selection.timeout.unwrap_or(policy.timeout),
    )?;
    write_json(&out.join("run.json"), &run)?;
    eprintln!(
        "perfgate: wrote {} ({} benchmarks, {} target errors)",
        out.join("run.json").display(),
        run.benchmarks.len(),
        run.errors.len()
    );
    if !run.errors.is_empty() {
        return Ok(Outcome::Verdict(Overall::Error));
    }
    Ok(Outcome::Done)
}

/// The workspace root for commands that do not measure: `--manifest-path`'s directory or
/// the one `cargo metadata` finds.
fn root_of(manifest_path: Option<&Path>) -> Result<(PathBuf, PathBuf)> {
    let mut command = cargo_metadata::MetadataCommand::new();
    command
        .cargo_path(crate::workspace::cargo_program())
        .no_deps();
    if let Some(p) = manifest_path {
        command.manifest_path(p);
    }
    let metadata = command.exec().map_err(|e| Error::Metadata {
        manifest: manifest_path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the current directory".into()),
        detail: e.to_string(),
    })?;
    Ok((
        metadata.workspace_root.into_std_path_buf(),
        metadata.target_directory.into_std_path_buf(),
    ))
}

/// `cargo perfgate compare [RUN] --against REV|FILE`: judge a saved run without measuring.
fn compare_files(args: &cli::CompareArgs) -> Result<Outcome> {
    let output = Output::from_args(&args.output);
    let (root, target_dir) = root_of(args.manifest_path.as_deref())?;
    let out = out_dir(&output, &target_dir);
    let run_path = args.run.clone().unwrap_or_else(|| out.join("run.json"));
    let run = baseline::read_run(&run_path)?;
    judge_saved(&root, &args.against, &output, &out, &run)
}

fn judge_saved(
    root: &Path,
    against: &cli::AgainstArgs,
    output: &Output,
    out: &Path,
    run: &Run,
) -> Result<Outcome> {
    let against = Against::from_args(against);
    let profile = against
        .profile
        .as_deref()
        .map(config::profile_name)
        .transpose()?;
    let located = baseline::locate(
        root,
        &Reference::choose(against.against.as_deref(), against.fetch),
        profile.as_deref(),
    )?;
    // Re-measurements `check` made against this very baseline commit still count.
    let against_commit = located.commit.map(|c| c.to_string());
    let confirmations: BTreeMap<String, Confirmation> = run
        .confirmations
        .iter()
        .filter(|(_, c)| Some(&c.baseline_commit) == against_commit.as_ref())
        .map(|(id, c)| (id.clone(), c.clone()))
        .collect();
    // A saved run has no selection to consult: every baseline benchmark was meant to be in it.
    let in_scope = |_: &Benchmark| true;
    let mut warnings = located.warnings.clone();
    let floors = noise_floors(out, &run.machine, &mut warnings)?;
    let comparison = compare::compare(&Inputs {
        run,
        baseline: located.baseline.as_ref(),
        baseline_ref: baseline_ref(&located, run),
        policy: &located.policy,
        confirm: against.confirm.unwrap_or(located.policy.confirm),
        confirmations: &confirmations,
        confirm_unavailable: Some(
            "saved runs are not re-measured, and this one holds no re-measurement against this baseline; run `cargo perfgate check` to confirm".to_string(),
        ),
        floors: &floors,
        in_scope: &in_scope,
        warnings,
    });
    publish(&comparison, output, out)
}

/// `cargo perfgate baseline save`.
fn baseline_save(args: &cli::BaselineSaveArgs) -> Result<Outcome> {
    let selection = Selection::from_args(&args.select)?;
    let output = Output::from_args(&args.output);
    let (run, root) = match &args.from {
        Some(path) => {
            let (root, _) = root_of(selection.manifest_path.as_deref())?;
            (baseline::read_run(path)?, root)
        }
        None => {
            let workspace = Workspace::discover(&selection)?;
            refuse_dirty(&workspace.root, args)?;
            let policy = Policy::from_dir(&workspace.root)?;
            let out = out_dir(&output, &workspace.target_dir);
            let (run, _) = run::measure(
                &workspace,
                &selection,
                &out,
                selection.timeout.unwrap_or(policy.timeout),
            )?;
            write_json(&out.join("run.json"), &run)?;
            (run, workspace.root)
        }
    };
    if !run.errors.is_empty() {
        let failed: Vec<String> = run
            .errors
            .iter()
            .map(|e| format!("{}/{}: {}", e.package, e.target, e.message))
            .collect();
        return Err(Error::Other(format!(
            "not writing a baseline: {} bench target(s) failed:\n  {}",
            failed.len(),
            failed.join("\n  ")
        )));
    }
    if run.benchmarks.is_empty() {
        return Err(Error::Other(
            "not writing a baseline: the run measured no benchmarks".to_string(),
        ));
    }
    if args.commit && !args.allow_dirty && run.git.as_ref().is_some_and(|g| g.dirty) {
        return Err(Error::Other(
            "not committing a baseline from a run of uncommitted changes (its `git.dirty` is true); commit them and measure again, or pass --allow-dirty".to_string(),
        ));
    }
    let policy = Policy::from_dir(&root)?;
    let profile = match &args.profile {
        Some(p) => config::profile_name(p)?,
        None => policy.profile.clone(),
    };
    let path = root.join(baseline::relative_path(&profile));
    let mut fresh = baseline::from_run(&run, &profile);
    if !selection.is_complete() {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let existing = baseline::parse(&text, &path.display().to_string())?;
            fresh = baseline::merge_into(&existing, fresh);
        }
    }
    baseline::write_atomic(&path, &baseline::render(&fresh)?)?;
    eprintln!(
        "perfgate: wrote {} ({} benchmarks)",
        path.display(),
        fresh.benchmarks.len()
    );
    if args.commit {
        let repo = Repo::open(&root)?;
        let source = run
            .git
            .as_ref()
            .map(|g| g.commit[..10].to_string())
            .unwrap_or_else(|| "an unknown commit".into());
        let release =
            std::env::var("GITHUB_REF_NAME").unwrap_or_else(|_| "manual refresh".to_string());
        let message =
            format!("perfgate: refresh baselines/{profile}.json ({release}, measured at {source})");
        let commit = repo.commit_file(&baseline::relative_path(&profile), &message)?;
        eprintln!(
            "perfgate: committed {}: {message}",
            baseline::git::short(commit)
        );
    }
    Ok(Outcome::Done)
}

/// Refuses to commit a baseline measured from uncommitted code (it would describe no commit),
/// and warns about one that is only written.
fn refuse_dirty(root: &Path, args: &cli::BaselineSaveArgs) -> Result<()> {
    let Ok(repo) = Repo::open(root) else {
        return Ok(());
    };
    let changed = repo.changed_files(baseline::BASELINE_DIR);
    if changed.is_empty() {
        return Ok(());
    }
    let listed = changed
        .iter()
        .take(5)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let more = if changed.len() > 5 {
        format!(" and {} more", changed.len() - 5)
    } else {
        String::new()
    };
    if args.commit && !args.allow_dirty {
        return Err(Error::Other(format!(
            "not committing a baseline measured from uncommitted changes ({listed}{more}): it would describe code no commit holds; commit or stash them, or pass --allow-dirty"
        )));
    }
    eprintln!(
        "perfgate: warning: measuring uncommitted changes ({listed}{more}); the baseline records the commit as dirty"
    );
    Ok(())
}

/// `cargo perfgate baseline log`: each benchmark's median in every committed version of the
/// baseline, newest first, with the change from the version before.
fn baseline_log(args: &cli::BaselineLogArgs) -> Result<Outcome> {
    let (root, _) = root_of(args.manifest_path.as_deref())?;
    let policy = Policy::from_dir(&root)?;
    let profile = match &args.profile {
        Some(p) => config::profile_name(p)?,
        None => policy.profile.clone(),
    };
    let repo = Repo::open(&root)?;
    let path = repo.repo_path(&baseline::relative_path(&profile));
    // One more than shown, so the oldest shown version has a change too.
    let versions = repo.history(&path, args.limit + 1)?;
    if versions.is_empty() {
        return Err(Error::MissingBaseline {
            location: format!("git:HEAD:{path}"),
            hint: "no commit on HEAD's history has this file; run `cargo perfgate baseline save` and commit it".to_string(),
        });
    }
    let parsed: Vec<(baseline::git::Version, Option<perfgate_format::Baseline>)> = versions
        .into_iter()
        .map(|v| {
            let location = format!("git:{}:{path}", baseline::git::short(v.commit));
            let b = baseline::parse(&v.text, &location).ok();
            (v, b)
        })
        .collect();
    let ids: Vec<String> = if args.ids.is_empty() {
        parsed
            .iter()
            .find_map(|(_, b)| b.as_ref())
            .map(|b| b.benchmarks.iter().map(|x| x.id.clone()).collect())
            .unwrap_or_default()
    } else {
        args.ids.clone()
    };
    let median = |b: &Option<perfgate_format::Baseline>, id: &str| {
        b.as_ref()
            .and_then(|b| b.benchmarks.iter().find(|x| x.id == id))
            .map(|x| (x.summary.median, x.unit.clone()))
    };
    let mut grid = comfy_table::Table::new();
    grid.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["commit".to_string(), "date".to_string()];
    header.extend(ids.iter().cloned());
    grid.set_header(header);
    for (i, (version, b)) in parsed.iter().enumerate().take(args.limit) {
        let date = humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(version.time.max(0) as u64),
        );
        let mut row = vec![
            baseline::git::short(version.commit),
            date.to_string()[..10].to_string(),
        ];
        for id in &ids {
            let cell = match (
                median(b, id),
                parsed.get(i + 1).and_then(|(_, older)| median(older, id)),
            ) {
                (Some((now, unit)), Some((before, _))) if before > 0.0 => format!(
                    "{} ({:+.1}%)",
                    crate::report::format_value(Some(now), &unit),
                    (now / before - 1.0) * 100.0
                ),
                (Some((now, unit)), _) => crate::report::format_value(Some(now), &unit),
                (None, _) if b.is_none() => "unreadable".to_string(),
                (None, _) => "—".to_string(),
            };
            row.push(cell);
        }
        grid.add_row(row);
    }
    println!("{grid}");
    if let Some(plot) = &args.plot {
        let shown = parsed.len().min(args.limit);
        let points: Vec<crate::report::trend::Point> = parsed[..shown]
            .iter()
            .rev()
            .map(|(version, b)| crate::report::trend::Point {
                label: baseline::git::short(version.commit)[..7].to_string(),
                medians: ids.iter().map(|id| median(b, id).map(|(m, _)| m)).collect(),
            })
            .collect();
        crate::report::trend::write_svg(plot, &ids, &points)?;
        eprintln!("perfgate: drew {}", plot.display());
    }
    Ok(Outcome::Done)
}

/// `cargo perfgate report`.
fn report(args: &cli::ReportArgs) -> Result<Outcome> {
    let input = args
        .input
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/perfgate/compare.json"));
    let comparison = read_comparison(&input)?;
    let text = match args.format {
        cli::ReportFormat::Markdown => Markdown {
            limit: crate::report::markdown::COMMENT_LIMIT,
        }
        .render(&comparison),
        cli::ReportFormat::Json => Json.render(&comparison),
        cli::ReportFormat::Junit => Junit.render(&comparison),
        cli::ReportFormat::Table => Table.render(&comparison),
    };
    match &args.output {
        Some(path) => baseline::write_atomic(path, &text)?,
        None => print!("{text}"),
    }
    Ok(Outcome::Done)
}

/// Reads a compare.json, checking its schema.
pub fn read_comparison(path: &Path) -> Result<Comparison> {
    baseline::read_versioned(path, "compare.json", COMPARE_SCHEMA)
}

/// `cargo perfgate comment`.
fn comment(args: &cli::CommentArgs) -> Result<Outcome> {
    let input = args
        .input
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/perfgate/compare.json"));
    let comparison = read_comparison(&input)?;
    let body = Markdown {
        limit: crate::report::markdown::COMMENT_LIMIT,
    }
    .render(&comparison);
    if args.dry_run {
        print!("{body}");
        return Ok(Outcome::Done);
    }
    let destination = crate::github::Destination::from_env(
        args.repo.as_deref(),
        args.pr,
        args.head_sha.as_deref(),
    )?;
    // A comment that cannot be posted is a warning: the gate's verdict was already given.
    match crate::github::post_sticky(&destination, &body) {
        Ok(crate::github::Posted::Created { comment_id, pr }) => {
            eprintln!("perfgate: created comment {comment_id} on #{pr}")
        }
        Ok(crate::github::Posted::Updated { comment_id, pr }) => {
            eprintln!("perfgate: updated comment {comment_id} on #{pr}")
        }
        Err(e) => {
            eprintln!("warning: could not post the PR comment: {e}");
            if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
                println!("::warning title=perfgate::could not post the PR comment: {e}");
            }
        }
    }
    Ok(Outcome::Done)
}

/// `cargo perfgate init`.
fn init(args: &cli::InitArgs) -> Result<Outcome> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let files: [(&str, &str); 4] = [
        (
            config::CONFIG_FILE,
            include_str!("../templates/perfgate.toml"),
        ),
        (
            "benches/perfgate_stability.rs",
            include_str!("../templates/stability.rs"),
        ),
        (
            ".github/workflows/perfgate.yml",
            include_str!("../templates/perfgate.yml"),
        ),
        (
            ".github/workflows/perfgate-comment.yml",
            include_str!("../templates/perfgate-comment.yml"),
        ),
    ];
    for (path, text) in files {
        let target = dir.join(path);
        if target.exists() && !args.force {
            eprintln!(
                "perfgate: kept {} (exists; --force overwrites)",
                target.display()
            );
            continue;
        }
        baseline::write_atomic(&target, text)?;
        eprintln!("perfgate: wrote {}", target.display());
    }
    eprintln!(
        "perfgate: to run the example stability suite, add to Cargo.toml:\n\n[dev-dependencies]\nperfgate = \"0.1\"\n\n[[bench]]\nname = \"perfgate_stability\"\nharness = false\n"
    );
    Ok(Outcome::Done)
}

/// `cargo perfgate merge`: shard runs → one comparison.
fn merge(args: &cli::MergeArgs) -> Result<Outcome> {
    let output = Output::from_args(&args.output);
    let (root, target_dir) = root_of(args.manifest_path.as_deref())?;
    let out = out_dir(&output, &target_dir);
    let runs: Vec<(PathBuf, Run)> = args
        .runs
        .iter()
        .map(|p| baseline::read_run(p).map(|r| (p.clone(), r)))
        .collect::<Result<_>>()?;
    let merged = merge_runs(&runs)?;
    write_json(&out.join("run.json"), &merged)?;
    judge_saved(&root, &args.against, &output, &out, &merged)
}

/// Combines shard runs; every shard `1..=n` must be there exactly once.
pub fn merge_runs(runs: &[(PathBuf, Run)]) -> Result<Run> {
    let mut seen = BTreeMap::new();
    let mut count = None;
    for (path, run) in runs {
        let shard = run.shard.as_deref().map(config::Shard::parse).transpose()?;
        let Some(shard) = shard else {
            if runs.len() == 1 {
                return Ok(run.clone());
            }
            return Err(Error::Usage(format!(
                "{}: not a shard run (made without --shard)",
                path.display()
            )));
        };
        if *count.get_or_insert(shard.count) != shard.count {
            return Err(Error::Usage(format!(
                "{}: shard {}/{} does not belong with {} shards",
                path.display(),
                shard.index,
                shard.count,
                count.unwrap_or(0)
            )));
        }
        if let Some(other) = seen.insert(shard.index, path.clone()) {
            return Err(Error::Usage(format!(
                "shard {}/{} given twice: {} and {}",
                shard.index,
                shard.count,
                other.display(),
                path.display()
            )));
        }
    }
    let count = count.unwrap_or(0);
    let missing: Vec<String> = (1..=count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Other(format!(
            "shard(s) {} missing: a merge needs every shard's run.json",
            missing.join(", ")
        )));
    }
    let mut merged = runs[0].1.clone();
    merged.shard = None;
    merged.benchmarks = runs
        .iter()
        .flat_map(|(_, r)| r.benchmarks.clone())
        .collect();
    merged.benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(twice) = merged.benchmarks.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(Error::Other(format!(
            "`{}` was measured by two shards: were the shards made by different versions or settings? Re-run them with the same `--shard i/n` command",
            twice[0].id
        )));
    }
    merged.errors = runs.iter().flat_map(|(_, r)| r.errors.clone()).collect();
    merged.confirmations = runs
        .iter()
        .flat_map(|(_, r)| r.confirmations.clone())
        .collect();
    Ok(merged)
}

/// `cargo perfgate noise`: every criterion benchmark A/A-tested against its own executable in
/// the confirm stage's rounds, so a team sees which thresholds this machine can hold.
fn noise(args: &cli::RunArgs) -> Result<Outcome> {
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let selection = Selection::from_args(&args.select)?;
    let output = Output::from_args(&args.output);
    let workspace = Workspace::discover(&selection)?;
    let policy = Policy::from_dir(&workspace.root)?;
    let out = out_dir(&output, &workspace.target_dir);
    let timeout = selection.timeout.unwrap_or(policy.timeout);
    let targets: Vec<crate::workspace::BenchTarget> = workspace
        .targets
        .iter()
        .filter(|t| t.harness == crate::workspace::Harness::Criterion)
        .filter(|t| run::target_in_shard(t, selection.shard))
        .cloned()
        .collect();
    if targets.is_empty() {
        return Err(Error::NoBenchmarks {
            workspace: workspace.root.display().to_string(),
            filter: " (criterion targets)".to_string(),
        });
    }
    let executables = run::build(&workspace.manifest_path, &targets, &selection, None)?;
    let mut listed: Vec<(String, &crate::workspace::BenchTarget)> = Vec::new();
    for target in &targets {
        let key = (target.package.clone(), target.name.clone());
        let Some(exe) = executables.get(&key) else {
            continue;
        };
        let ids = run::list_criterion(target, exe, selection.filter.as_deref())
            .map_err(|e| Error::Other(format!("{}/{}: {e}", target.package, target.name)))?;
        listed.extend(ids.into_iter().map(|id| (id, target)));
    }
    let items: Vec<confirm::Flagged> = listed
        .iter()
        .map(|(id, target)| confirm::Flagged {
            id,
            target,
            threshold: policy.threshold_for(id, &target.package),
            level: confirm::level(policy.alpha, listed.len()),
        })
        .collect();
    let itself = confirm::BaselineBuild {
        commit: git2::Oid::zero(),
        executables: executables.clone(),
        root: workspace.root.clone(),
    };
    let (results, failures) =
        confirm::confirm(&workspace, &itself, &executables, &items, &out, timeout);
    let mut grid = comfy_table::Table::new();
    grid.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    grid.set_header([
        "benchmark",
        "rounds",
        "A/A change [95% CI]",
        "resolvable",
        "threshold",
        "verdict",
    ]);
    let mut floors = Vec::new();
    for item in &items {
        let Some(c) = results.get(item.id) else {
            let why = failures
                .get(item.id)
                .map(String::as_str)
                .unwrap_or("not measured");
            grid.add_row([item.id, "—", why, "—", "—", "error"]);
            continue;
        };
        let resolvable = c.change_low.abs().max(c.change_high.abs());
        let verdict = if resolvable < item.threshold {
            "ok".to_string()
        } else {
            format!(
                "too noisy for {:.1}%: the gate here widens it to {:.1}% (noise.json); a quieter runner keeps it",
                item.threshold * 100.0,
                resolvable * 100.0
            )
        };
        grid.add_row([
            item.id.to_string(),
            c.rounds.to_string(),
            format!(
                "{:+.1}% [{:+.1}%, {:+.1}%]",
                c.change * 100.0,
                c.change_low * 100.0,
                c.change_high * 100.0
            ),
            format!("±{:.1}%", resolvable * 100.0),
            format!("{:.1}%", item.threshold * 100.0),
            verdict,
        ]);
        floors.push(perfgate_format::NoiseFloor {
            id: item.id.to_string(),
            rounds: c.rounds,
            counted: c.counted,
            change: c.change,
            change_low: c.change_low,
            change_high: c.change_high,
            resolvable,
            threshold: item.threshold,
            seconds: c.seconds,
        });
    }
    let noise = perfgate_format::Noise {
        schema: perfgate_format::NOISE_SCHEMA.to_string(),
        tool_version: run::TOOL_VERSION.to_string(),
        measured: started,
        machine: run::machine::fingerprint(),
        benchmarks: floors,
    };
    write_json(&out.join("noise.json"), &noise)?;
    println!("{grid}");
    if !failures.is_empty() {
        return Err(Error::Other(format!(
            "{} benchmark(s) could not be measured: see the table",
            failures.len()
        )));
    }
    Ok(Outcome::Done)
}
