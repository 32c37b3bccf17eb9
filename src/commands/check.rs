//! `cargo perfgate check` (the gate) and `cargo perfgate run` (measure only).

use std::collections::BTreeMap;
use std::time::Instant;

use perfgate_format::{Benchmark, Comparison, Confirmation, Cost, Direction, Drift, Overall, Run};

use super::publish::{baseline_ref, publish};
use crate::artifacts::{self, write_json, OutDir};
use crate::baseline::{self, git, Located, Reference};
use crate::cli;
use crate::compare::{self, Inputs};
use crate::config::{Against, Confirm, Output, Overrides, Policy, Selection, Settings};
use crate::error::{Error, Result};
use crate::github;
use crate::history;
use crate::outcome::Outcome;
use crate::run::base_side::{BaseDir, BaselineBuild};
use crate::run::paired::{self, Listed};
use crate::run::{confirm, criterion, shard, Executables};
use crate::workspace::{BenchTarget, Workspace};

/// `cargo perfgate check`: the gate.
pub fn check(args: &cli::CheckArgs) -> Result<Outcome> {
    let selection = Selection::from_args(&args.select)?;
    let output = Output::from_args(&args.output);
    let against = Against::from_args(&args.against)?;
    let workspace = Workspace::discover(&selection)?;
    let drifting =
        args.drift || (against.against.is_none() && github::default_branch_push().is_some());
    let reference = if drifting {
        Reference::Head
    } else {
        Reference::choose(
            against.against.as_deref(),
            github::pr_base_ref(),
            against.fetch,
        )
    };
    // Read the baseline first: a corrupt one should stop us before minutes of measuring.
    let mut located = baseline::locate(&workspace.root, &reference, against.profile.as_deref())?;
    if drifting {
        located.drift = Some(drift_since_baseline(
            &workspace.root,
            &mut located,
            against.fetch,
        )?);
    }
    // In a pull request, and for drift, `auto` re-measures every benchmark: a stored baseline
    // measured in a slow phase of its machine would otherwise hide a slowdown.
    let settings = Settings::resolve(
        &Overrides::of(Some(&selection), Some(&against))
            .in_pull_request(github::pr_base_ref().is_some() || located.drift.is_some()),
        &located.policy,
    );
    let out = OutDir::resolve(output.out_dir.as_deref(), &workspace.target_dir);
    artifacts::refuse_tracked(&out, &workspace.root)?;
    let begun = Instant::now();
    let base_dir = match located.commit {
        Some(_) => Some(BaseDir::choose(&git::Repo::open(&workspace.root)?.workdir)?),
        None => None,
    };
    // When every benchmark will be re-measured (a pull request), the baseline side is built
    // and its executables hashed before any of the change's code (build scripts, benchmarks)
    // runs in this process.
    let prebuilt = match (&base_dir, located.commit) {
        (Some(base), Some(commit))
            if settings.confirm == Confirm::Always && located.baseline.is_some() =>
        {
            let targets = shard::targets_in_shard(&workspace.targets, selection.shard);
            let building = Instant::now();
            eprintln!(
                "perfgate: building the baseline side ({}) before the change's code runs",
                git::short(commit)
            );
            let built = baseline_side(base, &workspace, &selection, commit, &targets);
            Some((built, building.elapsed().as_secs_f64()))
        }
        _ => None,
    };
    // Noise floors are read before the change's build scripts and benchmarks run.
    let mut floor_warnings = Vec::new();
    let floors = artifacts::noise_floors(
        &out,
        &crate::run::machine::fingerprint(),
        (&workspace.root, github::pr_base_ref().is_some()),
        &mut floor_warnings,
    )?;
    let measuring = Instant::now();
    // In a pull request whose baseline side built, the A/B rounds are the measurement: the
    // benchmarks they will measure are not run a first time on their own.
    let paired =
        github::pr_base_ref().is_some() && !drifting && matches!(prebuilt, Some((Ok(_), _)));
    let (run, pairs, candidate, _lock) = if paired {
        let lock = out.lock()?;
        let state = git::state(&workspace.root, baseline::BASELINE_DIR);
        let by_id = baseline_by_id(&located);
        let has = |l: &Listed| {
            compare::baseline_entry(&l.id, (&l.target.package, &l.target.name), &by_id).is_some()
        };
        let unchanged: Box<paired::Unchanged> = match (&prebuilt, located.commit) {
            (Some((Ok(built), _)), Some(commit)) => {
                Box::new(unchanged_by_construction(&workspace, built, commit))
            }
            _ => Box::new(|_: &BenchTarget, _: &std::path::Path| None),
        };
        let plan = paired::Plan {
            in_baseline: &has,
            unchanged: &*unchanged,
        };
        let planned =
            paired::measure_unpaired(&workspace, &selection, &out, settings.timeout, state, &plan)?;
        let (mut run, pairs) = (planned.run, planned.paired);
        record_unchanged(&mut run, &planned.unchanged, &located, &selection);
        (run, pairs, planned.executables, lock)
    } else {
        let (run, candidate, lock) =
            super::measure_work_tree(&workspace, &selection, &out, settings.timeout)?;
        (run, Vec::new(), candidate, lock)
    };
    let measure_seconds = measuring.elapsed().as_secs_f64();
    let base = BeforeMeasuring {
        dir: base_dir.as_ref(),
        prebuilt,
        floors,
        floor_warnings,
    };
    let mut judged = judge(
        &workspace,
        &selection,
        &located,
        Measured {
            run,
            pairs: &pairs,
            candidate: &candidate,
            paired,
        },
        &settings,
        &out,
        base,
    )?;
    judged.comparison.cost = Some(Cost {
        measure_seconds,
        baseline_build_seconds: judged.build_seconds,
        confirm_seconds: judged.confirm_seconds,
        confirmed: judged.confirmations.len(),
        rounds: judged.confirmations.values().map(|c| c.rounds).sum(),
        total_seconds: begun.elapsed().as_secs_f64(),
    });
    let mut run = judged.run;
    if !judged.confirmations.is_empty() || paired {
        // Kept with the measurements, so `merge` of shards decides as each `check` did.
        run.confirmations = judged.confirmations;
        write_json(&out.run_json(), &run)?;
    }
    if located.drift.is_some() {
        record_history(&workspace.root, &run, &mut judged.comparison.warnings);
    }
    add_trends(&workspace.root, &mut judged.comparison);
    publish(&judged.comparison, &output, &out)
}

/// Commits of history a flagged entry's trend shows.
const TREND_COMMITS: usize = 30;

/// Each flagged entry's medians on the default branch, from the history (in GitHub Actions,
/// fetched from origin first). Informational: the trend never changes a verdict.
fn add_trends(root: &std::path::Path, comparison: &mut Comparison) {
    use perfgate_format::Verdict;
    let flagged = |v: Verdict| {
        matches!(
            v,
            Verdict::Regressed
                | Verdict::Accepted
                | Verdict::Inconclusive
                | Verdict::Unconfirmed
                | Verdict::Improved
                | Verdict::BudgetFail
        )
    };
    if !comparison.entries.iter().any(|e| flagged(e.verdict)) {
        return;
    }
    if github::in_actions() {
        if let Err(e) = history::fetch(root) {
            comparison
                .warnings
                .push(format!("no trends: the history could not be fetched ({e})"));
        }
    }
    let Ok((commits, _)) = history::read(root, TREND_COMMITS) else {
        return;
    };
    for entry in comparison.entries.iter_mut().filter(|e| flagged(e.verdict)) {
        entry.trend = commits
            .iter()
            .filter_map(|c| history::value_at(c, &entry.id))
            .collect();
    }
}

/// The drift a run on the default branch measures: against the commit that measured the
/// committed baseline (its provenance), which becomes the confirm stage's baseline side.
fn drift_since_baseline(
    root: &std::path::Path,
    located: &mut Located,
    fetch: bool,
) -> Result<Drift> {
    let refresh = "refresh it with `cargo perfgate baseline save` on a clean checkout of the default branch, and commit it";
    let Some(baseline) = &located.baseline else {
        return Err(Error::MissingBaseline {
            location: located.location.clone(),
            hint: format!("drift is measured since the committed baseline's commit; {refresh}"),
        });
    };
    let since = match (&baseline.provenance.commit, baseline.provenance.dirty) {
        (Some(commit), _) if !git::is_commit_id(commit) => {
            return Err(Error::Other(format!(
                "{}: its provenance commit `{}` is not a commit id (40 or 64 hex digits), so it is never handed to git; {refresh}",
                located.location,
                commit.escape_debug()
            )))
        }
        (Some(commit), false) => commit.clone(),
        (Some(commit), true) => {
            return Err(Error::Other(format!(
                "{}: measured on uncommitted changes to {commit}, so no commit holds the code it measured and drift cannot be re-measured against it; {refresh}",
                located.location
            )))
        }
        (None, _) => {
            return Err(Error::Other(format!(
                "{}: records no commit, so drift cannot be re-measured against the code it measured; {refresh}",
                located.location
            )))
        }
    };
    let repo = git::Repo::open(root)?;
    let commit = match repo.resolve(&since) {
        Ok(commit) => commit,
        Err(_) if fetch => {
            git::fetch(root, git::Fetch::Rev(&since))?;
            git::Repo::open(root)?.resolve(&since)?
        }
        Err(e) => {
            return Err(Error::Git {
                context: format!(
                    "the baseline's commit {} is not in this clone",
                    perfgate_format::short_commit(&since)
                ),
                message: format!(
                    "{e}; fetch the history (actions/checkout `fetch-depth: 0`, or `--fetch`)"
                ),
            })
        }
    };
    let head = repo.resolve("HEAD")?;
    let commits = repo.commits_ahead(head, commit)?;
    located.commit = Some(commit);
    Ok(Drift {
        since: commit.to_string(),
        commits,
        threshold: located.policy.drift_threshold,
    })
}

/// Adds this run to the per-commit history (git notes), and in GitHub Actions shares it with
/// `origin`. A history that cannot be written is reported, never the gate's failure.
fn record_history(root: &std::path::Path, run: &Run, warnings: &mut Vec<String>) {
    let Some(record) = history::Record::of(run) else {
        warnings
            .push("not recorded in the history: the run measured uncommitted changes".to_string());
        return;
    };
    if let Err(e) = history::record(root, &record) {
        warnings.push(format!("not recorded in the history: {e}"));
        return;
    }
    eprintln!(
        "perfgate: recorded this run in {} for {}",
        history::NOTES_REF,
        perfgate_format::short_commit(&record.commit)
    );
    if github::in_actions() {
        if let Err(e) = history::push(root) {
            warnings.push(format!("the history was recorded here but not pushed: {e}"));
        }
    }
}

/// A comparison, the run it judged, the re-measurements behind it, and what the confirm stage
/// cost.
struct Judged {
    comparison: Comparison,
    run: Run,
    confirmations: BTreeMap<String, Confirmation>,
    build_seconds: f64,
    confirm_seconds: f64,
}

/// What `check` reads and builds before the change's code runs: where the baseline side is
/// built, the build when it was made then (with its seconds), and the noise floors.
struct BeforeMeasuring<'a> {
    dir: Option<&'a BaseDir>,
    prebuilt: Option<(Result<BaselineBuild<'a>>, f64)>,
    floors: BTreeMap<String, f64>,
    floor_warnings: Vec<String>,
}

/// What the candidate's measuring gave: the run so far, the benchmarks its rounds are to
/// measure (a pull request's; none otherwise), and its executables.
struct Measured<'a> {
    run: Run,
    pairs: &'a [Listed],
    candidate: &'a Executables,
    /// Whether the rounds are the candidate's measurement (a pull request).
    paired: bool,
}

/// What the confirm stage gave the comparison: its rounds, or why it could not run, and what
/// building the baseline side and the rounds cost.
#[derive(Default)]
struct Stage {
    confirmed: confirm::Confirmed,
    unavailable: Option<String>,
    build_seconds: f64,
    confirm_seconds: f64,
}

/// Compares, re-measures what the stored comparison flagged (or everything with
/// `--confirm=always`) and compares again with those figures. In a pull request the rounds
/// also measure the candidate's side of `measured.pairs`, which joins the run here; the
/// comparison that plans them reads the baseline's own entries in their place (its figures
/// decide nothing: under `always` every pair is re-measured), and the run never holds them.
fn judge(
    workspace: &Workspace,
    selection: &Selection,
    located: &Located,
    measured: Measured,
    settings: &Settings,
    out: &OutDir,
    base: BeforeMeasuring,
) -> Result<Judged> {
    let in_scope = scope(workspace, selection);
    let mut warnings = located.warnings.clone();
    let acceptance = super::acceptance(&located.policy, &mut warnings);
    warnings.extend(base.floor_warnings);
    let context = Context {
        located,
        settings,
        floors: base.floors,
        in_scope: &in_scope,
        warnings,
        acceptance,
        paired: measured.paired,
    };
    let planning = with_baseline_entries(&measured.run, measured.pairs, located);
    let first = compare::compare(&context.inputs(&planning));
    let stage = confirm_stage(
        workspace,
        selection,
        located,
        (&first, &planning, measured.candidate),
        settings,
        out,
        (base.dir, base.prebuilt),
    )?;
    let Stage {
        confirmed:
            confirm::Confirmed {
                confirmations,
                failures,
                candidate: mut rounds_measured,
            },
        unavailable,
        build_seconds,
        confirm_seconds,
    } = stage;
    let mut run = measured.run;
    let mut unmeasured = Vec::new();
    for pair in measured.pairs {
        match rounds_measured.remove(&pair.id) {
            Some(b) => run.benchmarks.push(b),
            None => unmeasured.push(pair.clone()),
        }
    }
    if !unmeasured.is_empty() {
        eprintln!(
            "perfgate: measuring {} benchmark(s) the rounds gave no figure for, as a run without rounds would",
            unmeasured.len()
        );
        let (found, errors) = paired::measure_listed(
            &unmeasured,
            measured.candidate,
            selection,
            out,
            settings.timeout,
        );
        run.benchmarks.extend(found);
        run.errors.extend(errors);
    }
    if measured.paired {
        in_target_order(&mut run, workspace);
    }
    let comparison = compare::compare(&Inputs {
        confirmations: &confirmations,
        confirm_failures: &failures,
        confirm_unavailable: unavailable,
        ..context.inputs(&run)
    });
    Ok(Judged {
        comparison,
        run,
        confirmations,
        build_seconds,
        confirm_seconds,
    })
}

/// What every comparison of one `check` shares: all of `Inputs` but the run and the confirm
/// stage's results.
struct Context<'a> {
    located: &'a Located,
    settings: &'a Settings,
    floors: BTreeMap<String, f64>,
    in_scope: &'a dyn Fn(&Benchmark) -> bool,
    warnings: Vec<String>,
    acceptance: Option<perfgate_format::Acceptance>,
    paired: bool,
}

impl Context<'_> {
    fn inputs<'a>(&'a self, run: &'a Run) -> Inputs<'a> {
        Inputs {
            baseline_ref: baseline_ref(self.located, run),
            confirm: self.settings.confirm,
            floors: &self.floors,
            in_scope: self.in_scope,
            warnings: self.warnings.clone(),
            acceptance: self.acceptance.as_ref(),
            drift: self.located.drift.as_ref(),
            paired: self.paired,
            ..Inputs::new(run, self.located.baseline.as_ref(), &self.located.policy)
        }
    }
}

/// The run the confirm stage is planned from: the run so far, and for each pair the baseline's
/// entry under the candidate's package and target. Never written, never judged.
fn with_baseline_entries(run: &Run, pairs: &[Listed], located: &Located) -> Run {
    let mut planning = run.clone();
    let by_id = baseline_by_id(located);
    for pair in pairs {
        let target = (pair.target.package.as_str(), pair.target.name.as_str());
        if let Some(entry) = compare::baseline_entry(&pair.id, target, &by_id) {
            planning.benchmarks.push(Benchmark {
                id: pair.id.clone(),
                package: pair.target.package.clone(),
                target: pair.target.name.clone(),
                ..entry.clone()
            });
        }
    }
    planning
}

/// In a pull request, whether a bench target is unchanged by construction: its executable is
/// byte-identical to the baseline side's (hashed right after its build) and its package
/// directory holds no file the change touched (a benchmark may read its package's files at run
/// time). Gives the executable's SHA-256 when it is. When the changed files cannot be listed,
/// no target is.
fn unchanged_by_construction<'a>(
    workspace: &Workspace,
    built: &'a BaselineBuild,
    commit: git2::Oid,
) -> impl Fn(&BenchTarget, &std::path::Path) -> Option<String> + 'a {
    let changed = git::Repo::open(&workspace.root)
        .and_then(|r| r.changed_since(commit))
        .map_err(|e| eprintln!("perfgate: warning: every bench target runs: {e}"))
        .ok();
    move |target: &BenchTarget, executable: &std::path::Path| {
        let root = target
            .package_root
            .canonicalize()
            .unwrap_or_else(|_| target.package_root.clone());
        if changed.as_ref()?.iter().any(|p| p.starts_with(&root)) {
            return None;
        }
        built.same_executable(&(target.package.clone(), target.name.clone()), executable)
    }
}

/// Records as `identical` every baseline entry in scope of the bench targets left unrun as
/// unchanged by construction.
fn record_unchanged(
    run: &mut Run,
    unchanged: &[(BenchTarget, String)],
    located: &Located,
    selection: &Selection,
) {
    let selected = criterion::filter_matches(selection.filter.as_deref());
    let entries = located.baseline.as_ref().map_or(&[][..], |b| &b.benchmarks);
    for (target, hash) in unchanged {
        for entry in entries.iter().filter(|e| {
            e.package == target.package
                && e.target == target.name
                && shard::benchmark_in_shard(e, selection.shard)
                && selected(&e.id)
        }) {
            run.identical.insert(entry.id.clone(), hash.clone());
        }
    }
}

/// The baseline's entries by id.
fn baseline_by_id(located: &Located) -> BTreeMap<&str, &Benchmark> {
    located
        .baseline
        .as_ref()
        .map(|b| b.benchmarks.iter().map(|e| (e.id.as_str(), e)).collect())
        .unwrap_or_default()
}

/// A run's benchmarks in the workspace's target order, each criterion target's by id (as
/// criterion saves them), a suite's metrics as it wrote them.
fn in_target_order(run: &mut Run, workspace: &Workspace) {
    let position = |b: &Benchmark| {
        workspace
            .targets
            .iter()
            .position(|t| t.package == b.package && t.name == b.target)
            .unwrap_or(usize::MAX)
    };
    run.benchmarks.sort_by(|a, b| {
        position(a).cmp(&position(b)).then_with(|| match a.source {
            perfgate_format::Source::Criterion => a.id.cmp(&b.id),
            perfgate_format::Source::Stability => std::cmp::Ordering::Equal,
        })
    });
}

/// The confirm stage: what the first comparison asks to re-measure, against the baseline's
/// commit built outside the checkout (or the build made before the change's code ran).
fn confirm_stage<'a>(
    workspace: &Workspace,
    selection: &Selection,
    located: &Located,
    (first, planning, candidate): (&Comparison, &Run, &Executables),
    settings: &Settings,
    out: &OutDir,
    (dir, prebuilt): (
        Option<&'a BaseDir>,
        Option<(Result<BaselineBuild<'a>>, f64)>,
    ),
) -> Result<Stage> {
    let ids = compare::to_confirm(first, settings.confirm);
    if ids.is_empty() {
        return Ok(Stage::default());
    }
    let Some(commit) = located.commit else {
        return Ok(Stage {
            unavailable: Some("the baseline file records no clean commit this repository has, so there is no baseline side to build; gate against a git revision (`--against <rev>`)".to_string()),
            ..Stage::default()
        });
    };
    let flagged = re_measurable(&ids, planning, workspace);
    if flagged.is_empty() {
        return Ok(Stage::default());
    }
    // Each target once, whatever order its benchmarks' ids interleave in.
    let mut targets: Vec<BenchTarget> = Vec::new();
    for (_, target) in &flagged {
        if !targets.contains(target) {
            targets.push((*target).clone());
        }
    }
    eprintln!(
        "perfgate: confirming {} benchmark(s) against {} on this machine",
        flagged.len(),
        git::short(commit)
    );
    let (built, build_seconds) = match (prebuilt, dir) {
        (Some(prebuilt), _) => prebuilt,
        (None, Some(dir)) => {
            let building = Instant::now();
            let built = baseline_side(dir, workspace, selection, commit, &targets);
            (built, building.elapsed().as_secs_f64())
        }
        (None, None) => (
            Err(Error::Other(
                "no directory for the baseline side was chosen".to_string(),
            )),
            0.0,
        ),
    };
    let mut built = match built {
        Ok(built) => built,
        Err(e) => {
            return Ok(Stage {
                unavailable: Some(format!("building the baseline's commit failed: {e}")),
                build_seconds,
                ..Stage::default()
            });
        }
    };
    let items = to_items(&flagged, first, &located.policy);
    let confirming = Instant::now();
    let confirmed = confirm::confirm(
        workspace,
        &mut built,
        candidate,
        &items,
        out,
        settings.timeout,
        settings.confirm_budget,
    )?;
    Ok(Stage {
        confirmed,
        unavailable: None,
        build_seconds,
        confirm_seconds: confirming.elapsed().as_secs_f64(),
    })
}

/// What the confirm stage needs of each flagged benchmark: its target, the threshold its first
/// comparison judged it against, and its share of alpha. Largest and most certain flags first,
/// so a confirm budget that runs out leaves the smallest ones.
fn to_items<'a>(
    flagged: &[(&'a str, &'a BenchTarget)],
    first: &Comparison,
    policy: &Policy,
) -> Vec<confirm::Flagged<'a>> {
    let entry = |id: &str| first.entries.iter().find(|e| e.id == id);
    let mut ordered = flagged.to_vec();
    ordered.sort_by(|a, b| {
        let size = |id: &str| entry(id).and_then(|e| e.change).map_or(0.0, f64::abs);
        let p = |id: &str| entry(id).and_then(|e| e.p_value).unwrap_or(1.0);
        size(b.0)
            .total_cmp(&size(a.0))
            .then(p(a.0).total_cmp(&p(b.0)))
    });
    ordered
        .iter()
        .map(|&(id, target)| confirm::Flagged {
            id,
            target,
            threshold: first
                .entries
                .iter()
                .find(|e| e.id == id)
                .map_or(policy.threshold, |e| e.threshold),
            level: confirm::level(policy.alpha, flagged.len()),
            points: entry(id)
                .and_then(|e| e.kind)
                .is_some_and(perfgate_format::Kind::in_points),
            direction: entry(id).map_or(Direction::LowerIsBetter, |e| e.direction),
        })
        .collect()
}

/// Exports of base commits kept in the baseline side's directory between runs.
const EXPORTS_KEPT: usize = 8;

/// The baseline side of the confirm stage: `commit` exported (verified against its objects)
/// outside the checkout, and its bench targets built there.
fn baseline_side<'a>(
    base: &'a BaseDir,
    workspace: &Workspace,
    selection: &Selection,
    commit: git2::Oid,
    targets: &[BenchTarget],
) -> Result<BaselineBuild<'a>> {
    let exported = git::Repo::open(&workspace.root)?.export_verified(commit, &base.exports())?;
    base.prune_exports(EXPORTS_KEPT, &commit.to_string());
    BaselineBuild::build(
        base,
        workspace,
        commit.to_string(),
        exported,
        targets,
        selection,
    )
}

/// The ids the confirm stage can re-measure, with their targets: criterion benchmarks (run
/// alone by an exact filter) and stability metrics (their suite runs whole, in quick mode).
fn re_measurable<'a>(
    ids: &'a [String],
    run: &Run,
    workspace: &'a Workspace,
) -> Vec<(&'a str, &'a BenchTarget)> {
    ids.iter()
        .filter_map(|id| {
            let b = run.benchmarks.iter().find(|b| &b.id == id)?;
            let t = workspace
                .targets
                .iter()
                .find(|t| t.package == b.package && t.name == b.target)?;
            Some((id.as_str(), t))
        })
        .collect()
}

/// Which baseline entries a run of this selection was meant to measure: those of the selected
/// bench targets, and, unless `--bench` names targets, every entry of a selected package
/// whose target is no longer recognised (its `[[bench]]` removed, or no longer a criterion or
/// harness target): such an entry is `missing`, never silently out of scope.
fn scope<'a>(
    workspace: &'a Workspace,
    selection: &'a Selection,
) -> impl Fn(&Benchmark) -> bool + 'a {
    let id_selected = criterion::filter_matches(selection.filter.as_deref());
    move |b: &Benchmark| {
        let known = workspace
            .targets
            .iter()
            .any(|t| t.package == b.package && t.name == b.target);
        let vanished_but_selected = !known
            && selection.benches.is_empty()
            && (selection.packages.is_empty() || selection.packages.contains(&b.package));
        (known || vanished_but_selected)
            && shard::benchmark_in_shard(b, selection.shard)
            && id_selected(&b.id)
    }
}

/// `cargo perfgate run`: measure only.
pub fn measure_only(args: &cli::RunArgs) -> Result<Outcome> {
    let super::Measuring {
        selection,
        workspace,
        settings,
        out,
        ..
    } = super::Measuring::from_args(args)?;
    let (run, _, _lock) = super::measure_work_tree(&workspace, &selection, &out, settings.timeout)?;
    eprintln!(
        "perfgate: wrote {} ({} benchmarks, {} target errors)",
        out.run_json().display(),
        run.benchmarks.len(),
        run.errors.len()
    );
    if !run.errors.is_empty() {
        return Ok(Outcome::Verdict(Overall::Error));
    }
    Ok(Outcome::Done)
}
