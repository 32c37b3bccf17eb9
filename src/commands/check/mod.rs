//! `cargo perfgate check` (the gate) and `cargo perfgate run` (measure only): what runs
//! before judging (the baseline side's build in a pull request, the noise floors, the
//! measuring), and after it (cost, history, trends). Judging is `judge.rs`'s; the targets a
//! pull request cannot have changed are `unchanged.rs`'s.

mod judge;
mod unchanged;

use std::time::Instant;

use perfgate_format::{Benchmark, Comparison, Cost, Drift, Overall, Run};

use super::publish::publish;
use crate::artifacts::{self, write_json, OutDir};
use crate::baseline::{self, git, Located, Reference};
use crate::cli;
use crate::compare;
use crate::config::{Against, Confirm, Output, Overrides, Selection, Settings};
use crate::error::{Error, Result};
use crate::github;
use crate::history;
use crate::outcome::Outcome;
use crate::run::base_side::{BaseDir, BaselineBuild};
use crate::run::paired::{self, Listed};
use crate::run::{criterion, shard};
use crate::workspace::Workspace;
use judge::{baseline_by_id, baseline_side, judge, BeforeMeasuring, Measured};
use unchanged::{record_unchanged, unchanged_by_construction};

/// `cargo perfgate check`: the gate.
/// (Over 80 lines: the gate's steps in the order they run, its table of contents.)
pub fn check(args: &cli::CheckArgs) -> Result<Outcome> {
    let selection = Selection::from_args(&args.select)?;
    let output = Output::from_args(&args.output);
    let against = Against::from_args(&args.against)?;
    let workspace = Workspace::discover(&selection)?;
    let drifting =
        args.drift || (against.against.is_none() && github::default_branch_push().is_some());
    // Read the baseline first: a corrupt one should stop us before minutes of measuring.
    let located = locate(&workspace, &against, drifting)?;
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
    let base_dir = base_dir(&workspace, &located)?;
    let prebuilt = base_dir
        .as_ref()
        .and_then(|base| build_base_first(base, &workspace, &selection, &located, &settings));
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
    let (run, pairs, candidate, _lock) = match (&prebuilt, located.commit) {
        (Some((Ok(built), _)), Some(commit)) if paired => {
            let before_rounds = (&workspace, &selection, &out);
            measure_before_rounds(before_rounds, &located, &settings, (built, commit))?
        }
        _ => {
            let (run, candidate, lock) =
                super::measure_work_tree(&workspace, &selection, &out, settings.timeout)?;
            (run, Vec::new(), candidate, lock)
        }
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

/// Where the baseline side is exported and built, when there is a commit to build.
fn base_dir(workspace: &Workspace, located: &Located) -> Result<Option<BaseDir>> {
    if located.commit.is_none() {
        return Ok(None);
    }
    let workdir = git::Repo::open(&workspace.root)?.workdir;
    BaseDir::choose(&workdir, github::runner_temp()).map(Some)
}

/// The baseline the gate compares with (and for drift, what it drifted from).
fn locate(workspace: &Workspace, against: &Against, drifting: bool) -> Result<Located> {
    let reference = if drifting {
        Reference::Head
    } else {
        Reference::choose(
            against.against.as_deref(),
            github::pr_base_ref(),
            against.fetch,
        )
    };
    let mut located = baseline::locate(&workspace.root, &reference, against.profile.as_deref())?;
    if drifting {
        located.drift = Some(drift_since_baseline(
            &workspace.root,
            &mut located,
            against.fetch,
        )?);
    }
    Ok(located)
}

/// When every benchmark will be re-measured (a pull request), the baseline side is built and
/// its executables hashed before any of the change's code (build scripts, benchmarks) runs in
/// this process: the build, and its seconds.
fn build_base_first<'a>(
    base: &'a BaseDir,
    workspace: &Workspace,
    selection: &Selection,
    located: &Located,
    settings: &Settings,
) -> Option<(Result<BaselineBuild<'a>>, f64)> {
    let commit = located.commit?;
    if settings.confirm != Confirm::Always || located.baseline.is_none() {
        return None;
    }
    let targets = shard::targets_in_shard(&workspace.targets, selection.shard);
    let building = Instant::now();
    eprintln!(
        "perfgate: building the baseline side ({}) before the change's code runs",
        git::short(commit)
    );
    let built = baseline_side(base, workspace, selection, commit, &targets);
    Some((built, building.elapsed().as_secs_f64()))
}

/// A pull request's measuring before its rounds (`paired::measure_unpaired`): the targets the
/// change cannot have changed set aside and recorded, the benchmarks the baseline has left to
/// the rounds (returned), the rest run as usual; `run.json` is written after judging.
fn measure_before_rounds(
    (workspace, selection, out): (&Workspace, &Selection, &OutDir),
    located: &Located,
    settings: &Settings,
    (built, commit): (&BaselineBuild, git2::Oid),
) -> Result<(
    Run,
    Vec<Listed>,
    crate::run::Executables,
    artifacts::OutLock,
)> {
    let lock = out.lock()?;
    let state = git::state(&workspace.root, baseline::BASELINE_DIR);
    let by_id = baseline_by_id(located);
    let has = |l: &Listed| {
        compare::baseline_entry(&l.id, (&l.target.package, &l.target.name), &by_id).is_some()
    };
    let unchanged = unchanged_by_construction(workspace, built, commit);
    let plan = paired::Plan {
        in_baseline: &has,
        unchanged: &unchanged,
    };
    let planned =
        paired::measure_unpaired(workspace, selection, out, settings.timeout, state, &plan)?;
    let mut run = planned.run;
    let in_scope = scope(workspace, selection);
    record_unchanged(&mut run, &planned.unchanged, (located, &in_scope), commit);
    Ok((run, planned.paired, planned.executables, lock))
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
pub(crate) fn measure_only(args: &cli::RunArgs) -> Result<Outcome> {
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
