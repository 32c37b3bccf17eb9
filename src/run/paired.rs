//! In a pull request the A/B rounds are the measurement: the candidate is built and each
//! criterion and divan target's benchmarks are listed; only what the rounds will not measure runs as
//! usual here (stability suites, benchmarks the baseline does not have). The rest is measured
//! by the confirm stage's rounds, whose candidate side becomes the run
//! (`confirm::Confirmed::candidate`); a benchmark the rounds could not measure runs as usual
//! afterwards (`measure_listed`), so the run never lacks it.

use std::time::Duration;

use perfgate_format::{Benchmark, GitState, Run, TargetError};

use super::{criterion, shard, Executables, Progress};
use crate::artifacts::OutDir;
use crate::config::Selection;
use crate::error::Result;
use crate::workspace::{BenchTarget, Harness, Workspace};

/// A criterion or divan benchmark the candidate lists, under its id in the run.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub id: String,
    pub target: BenchTarget,
}

/// What was measured before the rounds: the run so far, the candidate's executables, the
/// benchmarks the rounds will measure (the baseline has them), and the bench targets neither
/// ran nor listed because the change cannot have changed them (with their executable's hash).
pub(crate) struct Planned {
    pub run: Run,
    pub executables: Executables,
    pub paired: Vec<Listed>,
    pub unchanged: Vec<(BenchTarget, String)>,
}

/// What decides, per bench target, what runs before the rounds: whether the baseline has a
/// benchmark (then the rounds measure it), and whether the target is unchanged by construction
/// (its executable's hash when it is: then nothing of it runs).
pub(crate) struct Plan<'a> {
    pub in_baseline: &'a dyn Fn(&Listed) -> bool,
    pub unchanged: &'a Unchanged<'a>,
}

/// Whether a bench target (with its built executable) is unchanged by construction: its
/// executable's hash when it is.
pub type Unchanged<'a> = dyn Fn(&BenchTarget, &std::path::Path) -> Option<String> + 'a;

/// Builds the candidate, sets aside the targets `plan` finds unchanged, lists the other
/// criterion targets' benchmarks (the selection's filter and shard applied) and runs, as
/// `measure` does, everything the rounds will not measure.
pub(crate) fn measure_unpaired(
    workspace: &Workspace,
    selection: &Selection,
    out: &OutDir,
    timeout: Duration,
    git: Option<GitState>,
    plan: &Plan,
) -> Result<Planned> {
    let super::Started {
        started,
        targets,
        executables,
    } = super::start(workspace, selection)?;
    let progress = Progress::new(targets.len());
    let mut suites: Vec<Benchmark> = Vec::new();
    let mut listed: Vec<(BenchTarget, String)> = Vec::new();
    let mut errors = Vec::new();
    let mut unchanged = Vec::new();
    for target in &targets {
        let label = format!("{}/{}", target.package, target.name);
        let key = (target.package.clone(), target.name.clone());
        let line = match executables.get(&key) {
            None => Err("cargo built no executable for this bench target".to_string()),
            Some(executable) => match (plan.unchanged)(target, executable) {
                Some(hash) => {
                    unchanged.push((target.clone(), hash));
                    Ok("its executable is byte-identical to the baseline side's and its package is untouched: unchanged by construction, not run".to_string())
                }
                None => {
                    progress.start(&format!("running {label}"));
                    visit(target, executable, selection, out, timeout).map(|found| match found {
                        Visited::Listed(ids) => {
                            // A divan or gungraun benchmark is listed with its figures.
                            let benchmarks = ids
                                .iter()
                                .filter(|id| super::is_primary_figure(target.harness, id))
                                .count();
                            let line = format!("{benchmarks} benchmarks listed, to be measured in rounds against the baseline side");
                            listed.extend(ids.into_iter().map(|id| (target.clone(), id)));
                            line
                        }
                        Visited::Measured(metrics) => {
                            let line = format!("{} metrics", metrics.len());
                            suites.extend(metrics);
                            line
                        }
                    })
                }
            },
        };
        match line {
            Ok(line) => progress.finish_one(&format!("{label}: {line}")),
            Err(message) => {
                progress.finish_one(&format!("{label}: error: {message}"));
                errors.push(target_error(target, &message));
            }
        }
    }
    progress.done();
    let (paired, mut unpaired): (Vec<Listed>, Vec<Listed>) = with_run_ids(&mut suites, listed)
        .into_iter()
        .partition(|l| (plan.in_baseline)(l));
    // A figure the baseline lacks (a divan allocation figure, a gungraun cycle count) is no
    // benchmark of its own: it is new only where its benchmark is, and then measured with it.
    unpaired
        .retain(|l| super::is_primary_figure(l.target.harness, super::own_id(&l.id, &l.target)));
    let (new, new_errors) = measure_listed(&unpaired, &executables, selection, out, timeout);
    suites.extend(new);
    errors.extend(new_errors);
    Ok(Planned {
        run: super::new_run(started, git, selection, suites, errors),
        executables,
        paired,
        unchanged,
    })
}

/// What a bench target gave before the rounds: a criterion or divan target its listed
/// benchmarks' own ids, a stability suite its metrics.
enum Visited {
    Listed(Vec<String>),
    Measured(Vec<Benchmark>),
}

/// Lists a criterion or divan target's benchmarks (the filter and shard applied; none at all,
/// unfiltered, is an error), or runs a stability suite as `measure` does.
fn visit(
    target: &BenchTarget,
    executable: &std::path::Path,
    selection: &Selection,
    out: &OutDir,
    timeout: Duration,
) -> Result<Visited, String> {
    let listed = match target.harness {
        Harness::Criterion => criterion::list(target, executable, selection.filter.as_deref())?,
        Harness::Divan | Harness::Gungraun => {
            // Each benchmark with its figures: those the baseline has are measured in the
            // rounds with it, the others are left out (`measure_unpaired`).
            let log = out.log(&format!("list-{}-{}", target.package, target.name));
            super::figures::list(
                target,
                executable,
                selection.filter.as_deref(),
                timeout,
                &log,
            )?
            .into_iter()
            .flat_map(|path| super::listed_figures(target.harness, path))
            .collect()
        }
        Harness::Stability => {
            return super::measure_target(target, executable, selection, out, timeout)
                .map(Visited::Measured)
        }
    };
    {
        {
            let mine: Vec<String> = listed
                .into_iter()
                .filter(|id| {
                    selection
                        .shard
                        .is_none_or(|s| shard::listed_in_shard(target, id, s))
                })
                .collect();
            if mine.is_empty() && selection.filter.is_none() && selection.shard.is_none() {
                return Err(
                    "its list has no benchmark: does it run any (criterion_main!, divan::main())?"
                        .to_string(),
                );
            }
            Ok(Visited::Listed(mine))
        }
    }
}

/// Gives the suites' metrics and the listed benchmarks their ids in the run, as `measure` does:
/// unique over all of them (`make_ids_unique`).
fn with_run_ids(suites: &mut [Benchmark], listed: Vec<(BenchTarget, String)>) -> Vec<Listed> {
    let keys: Vec<(&str, &str, &str)> = suites
        .iter()
        .map(|b| (b.package.as_str(), b.target.as_str(), b.own_id()))
        .chain(
            listed
                .iter()
                .map(|(t, id)| (t.package.as_str(), t.name.as_str(), id.as_str())),
        )
        .collect();
    let ids = super::unique_ids(&keys);
    let (suite_ids, listed_ids) = ids.split_at(suites.len());
    for (b, id) in suites.iter_mut().zip(suite_ids) {
        b.id = id.clone();
    }
    listed
        .into_iter()
        .zip(listed_ids)
        .map(|((target, _), id)| Listed {
            id: id.clone(),
            target,
        })
        .collect()
}

/// Runs listed criterion, divan or gungraun benchmarks as `measure` would (one criterion or
/// gungraun process, or divan's processes, per target, selecting exactly them), under their ids
/// in the run; a divan or gungraun benchmark brings its other figures. A target that fails, or leaves one of them
/// unmeasured, is an error entry: the run never silently lacks a benchmark it listed.
pub(crate) fn measure_listed(
    listed: &[Listed],
    executables: &Executables,
    selection: &Selection,
    out: &OutDir,
    timeout: Duration,
) -> (Vec<Benchmark>, Vec<TargetError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut targets: Vec<&BenchTarget> = Vec::new();
    for l in listed {
        if !targets.contains(&&l.target) {
            targets.push(&l.target);
        }
    }
    for target in targets {
        let mine: Vec<&Listed> = listed.iter().filter(|l| &l.target == target).collect();
        let Some(executable) = executables.get(&(target.package.clone(), target.name.clone()))
        else {
            errors.push(target_error(
                target,
                "cargo built no executable for this bench target",
            ));
            continue;
        };
        let own: Vec<&str> = mine.iter().map(|l| super::own_id(&l.id, target)).collect();
        let log = out.log(&format!("{}-{}", target.package, target.name));
        let measured = run_listed(
            target,
            executable,
            &own,
            selection.quick,
            out,
            timeout,
            &log,
        );
        let benchmarks = match measured {
            Ok(benchmarks) => benchmarks,
            Err(message) => {
                errors.push(target_error(target, &message));
                continue;
            }
        };
        for (l, own) in mine.iter().zip(&own) {
            match benchmarks.iter().find(|b| b.id == *own) {
                Some(b) => found.push(Benchmark {
                    id: l.id.clone(),
                    ..b.clone()
                }),
                None => errors.push(target_error(
                    target,
                    &format!("`{}` is listed but its run did not measure it", l.id),
                )),
            }
        }
        // A new benchmark's other figures (divan's allocations, gungraun's cycles), under the
        // id prefix its listed figure has in the run.
        for b in &benchmarks {
            let path = super::figure_path(target.harness, &b.id);
            if own.contains(&b.id.as_str()) {
                continue;
            }
            let listed = mine
                .iter()
                .zip(&own)
                .find(|(_, o)| super::figure_path(target.harness, o) == path);
            if let Some((l, o)) = listed {
                found.push(Benchmark {
                    id: format!("{}{}", &l.id[..l.id.len() - o.len()], b.id),
                    ..b.clone()
                });
            }
        }
    }
    (found, errors)
}

/// One process of a listed criterion target (an exact filter naming `own`, its own ids), or a
/// divan or gungraun target's run selecting them, as `measure` runs it.
fn run_listed(
    target: &BenchTarget,
    executable: &std::path::Path,
    own: &[&str],
    quick: bool,
    out: &OutDir,
    timeout: Duration,
    log: &std::path::Path,
) -> Result<Vec<Benchmark>, String> {
    if matches!(target.harness, Harness::Divan | Harness::Gungraun) {
        let own: Vec<String> = own.iter().map(|id| id.to_string()).collect();
        return super::run_selected(target, executable, Some(&own), quick, out, timeout, log);
    }
    let escaped: Vec<String> = own.iter().map(|id| regex::escape(id)).collect();
    let measurement = if quick {
        criterion::Measurement::Quick
    } else {
        criterion::Measurement::Full
    };
    let filter = format!("^(?:{})$", escaped.join("|"));
    criterion::run(
        target,
        executable,
        &out.criterion_home(&target.package, &target.name),
        &criterion::arguments(target.harness_version.as_ref(), Some(&filter), measurement),
        timeout,
        log,
    )
}

fn target_error(target: &BenchTarget, message: &str) -> TargetError {
    TargetError {
        package: target.package.clone(),
        target: target.name.clone(),
        message: message.to_string(),
    }
}
