//! `check`'s judging: compare, re-measure what the first comparison asks for against the
//! baseline side (in a pull request also the candidate's side of its rounds, which joins the
//! run), compare again. What runs before it is `mod.rs`'s.

use std::collections::BTreeMap;
use std::time::Instant;

use perfgate_format::{Benchmark, Comparison, Confirmation, Direction, Run};

use super::super::publish::baseline_ref;
use crate::artifacts::OutDir;
use crate::baseline::{git, Located};
use crate::compare::{self, Inputs};
use crate::config::{Policy, Selection, Settings};
use crate::error::{Error, Result};
use crate::run::base_side::{BaseDir, BaselineBuild};
use crate::run::paired::{self, Listed};
use crate::run::{confirm, Executables};
use crate::workspace::{BenchTarget, Workspace};

/// A comparison, the run it judged, the re-measurements behind it, and what the confirm stage
/// cost.
pub(super) struct Judged {
    pub comparison: Comparison,
    pub run: Run,
    pub confirmations: BTreeMap<String, Confirmation>,
    pub build_seconds: f64,
    pub confirm_seconds: f64,
}

/// What `check` reads and builds before the change's code runs: where the baseline side is
/// built, the build when it was made then (with its seconds), and the noise floors.
pub(super) struct BeforeMeasuring<'a> {
    pub dir: Option<&'a BaseDir>,
    pub prebuilt: Option<(Result<BaselineBuild<'a>>, f64)>,
    pub floors: BTreeMap<String, f64>,
    pub floor_warnings: Vec<String>,
}

/// What the candidate's measuring gave: the run so far, the benchmarks its rounds are to
/// measure (a pull request's; none otherwise), and its executables.
pub(super) struct Measured<'a> {
    pub run: Run,
    pub pairs: &'a [Listed],
    pub candidate: &'a Executables,
    /// Whether the rounds are the candidate's measurement (a pull request).
    pub paired: bool,
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
pub(super) fn judge(
    workspace: &Workspace,
    selection: &Selection,
    located: &Located,
    measured: Measured,
    settings: &Settings,
    out: &OutDir,
    base: BeforeMeasuring,
) -> Result<Judged> {
    let in_scope = super::scope(workspace, selection);
    let mut warnings = located.warnings.clone();
    let acceptance = super::super::acceptance(&located.policy, &mut warnings);
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
        (&first, &planning, measured.candidate, measured.paired),
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
    if measured.paired {
        let rounds = (&mut rounds_measured, measured.candidate);
        with_pairs(&mut run, measured.pairs, rounds, (selection, out, settings));
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

/// Adds each pair's measurement to the run: its candidate side of the rounds, or, where the
/// rounds gave none, a run as usual (`paired::measure_listed`).
fn with_pairs(
    run: &mut Run,
    pairs: &[Listed],
    (rounds_measured, candidate): (&mut BTreeMap<String, Benchmark>, &Executables),
    (selection, out, settings): (&Selection, &OutDir, &Settings),
) {
    let mut unmeasured = Vec::new();
    for pair in pairs {
        match rounds_measured.remove(&pair.id) {
            Some(b) => run.benchmarks.push(b),
            None => unmeasured.push(pair.clone()),
        }
    }
    if unmeasured.is_empty() {
        return;
    }
    eprintln!(
        "perfgate: measuring {} benchmark(s) the rounds gave no figure for, as a run without rounds would",
        unmeasured.len()
    );
    let (found, errors) =
        paired::measure_listed(&unmeasured, candidate, selection, out, settings.timeout);
    run.benchmarks.extend(found);
    run.errors.extend(errors);
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

/// The baseline's entries by id.
pub(super) fn baseline_by_id(located: &Located) -> BTreeMap<&str, &Benchmark> {
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
            perfgate_format::Source::Criterion
            | perfgate_format::Source::Divan
            | perfgate_format::Source::Gungraun => a.id.cmp(&b.id),
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
    (first, planning, candidate, paired): (&Comparison, &Run, &Executables, bool),
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
    eprintln!(
        "perfgate: confirming {} benchmark(s) against {} on this machine",
        flagged.len(),
        git::short(commit)
    );
    let (built, build_seconds) = match prebuilt {
        Some(prebuilt) => prebuilt,
        None => build_baseline_side(dir, workspace, selection, commit, &flagged),
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
    let items = to_items(&flagged, first, &located.policy, selection.quick);
    let confirming = Instant::now();
    let mut confirmed = confirm::confirm(
        workspace,
        &mut built,
        candidate,
        &items,
        out,
        settings.timeout,
        settings.confirm_budget,
    )?;
    // The rounds are a pull request's only measurement: a few of them are checked against
    // runs as users run the benchmark. A quick run (a smoke check) runs nothing at its own
    // settings, so it skips that, and its method line says so.
    if paired && !selection.quick {
        let setting = confirm::AsUsersRun {
            workspace,
            selection,
            out,
            timeout: settings.timeout,
        };
        let count = located.policy.as_users_run;
        confirm::check_as_users_run(&setting, &mut built, &items, &mut confirmed, count)?;
    }
    Ok(Stage {
        confirmed,
        unavailable: None,
        build_seconds,
        confirm_seconds: confirming.elapsed().as_secs_f64(),
    })
}

/// The baseline side built now (when it was not before the change's code ran), with the
/// seconds it took.
fn build_baseline_side<'a>(
    dir: Option<&'a BaseDir>,
    workspace: &Workspace,
    selection: &Selection,
    commit: git2::Oid,
    flagged: &[(&str, &BenchTarget)],
) -> (Result<BaselineBuild<'a>>, f64) {
    // Each target once, whatever order its benchmarks' ids interleave in.
    let mut targets: Vec<BenchTarget> = Vec::new();
    for (_, target) in flagged {
        if !targets.contains(target) {
            targets.push((*target).clone());
        }
    }
    let Some(dir) = dir else {
        let none = "no directory for the baseline side was chosen";
        return (Err(Error::Other(none.to_string())), 0.0);
    };
    let building = Instant::now();
    let built = baseline_side(dir, workspace, selection, commit, &targets);
    (built, building.elapsed().as_secs_f64())
}

/// What the confirm stage needs of each flagged benchmark: its target, the threshold its first
/// comparison judged it against, and its share of alpha; a stability metric's rounds at its
/// scenario's own length unless the run was `quick`. Largest and most certain flags first, so
/// a confirm budget that runs out leaves the smallest ones.
fn to_items<'a>(
    flagged: &[(&'a str, &'a BenchTarget)],
    first: &Comparison,
    policy: &Policy,
    quick: bool,
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
            quick,
        })
        .collect()
}

/// Exports of base commits kept in the baseline side's directory between runs.
const EXPORTS_KEPT: usize = 8;

/// The baseline side of the confirm stage: `commit` exported (verified against its objects)
/// outside the checkout, and its bench targets built there.
pub(super) fn baseline_side<'a>(
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
/// alone by an exact filter) and stability metrics (their flagged scenarios).
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
