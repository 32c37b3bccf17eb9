//! The harnesses whose benchmark gives several figures and whose benchmarks are listed before a
//! selection runs (divan: a time and allocation figures; gungraun: instruction and cycle
//! counts): which ids a listed benchmark stands for, which of them stands for the benchmark,
//! what a run selects of such a target and how it runs it. Each harness's own knowledge stays in
//! its file (`divan.rs`, `gungraun.rs`).

use std::path::Path;
use std::time::Duration;

use perfgate_format::Benchmark;

use super::{divan, gungraun, shard};
use crate::artifacts::OutDir;
use crate::config::Selection;
use crate::workspace::{BenchTarget, Harness};

/// The ids a listed benchmark path stands for: a divan benchmark's time and allocation figures,
/// a gungraun benchmark's counts, a criterion benchmark itself.
pub(crate) fn listed_figures(harness: Harness, path: String) -> Vec<String> {
    match harness {
        Harness::Divan => std::iter::once(path.clone())
            .chain(divan::ALLOC_METRICS.map(|m| format!("{path}/{m}")))
            .collect(),
        Harness::Gungraun => gungraun::FIGURES
            .iter()
            .map(|(name, _, _)| format!("{path}/{name}"))
            .collect(),
        _ => vec![path],
    }
}

/// Whether an id is the figure that stands for its benchmark (a divan time, a gungraun
/// instruction count, any other harness's id): the one a listed benchmark must have, whose
/// other figures come with it.
pub(crate) fn is_primary_figure(harness: Harness, id: &str) -> bool {
    match harness {
        Harness::Divan => divan::benchmark_path(id) == id,
        Harness::Gungraun => id.ends_with("/instructions"),
        _ => true,
    }
}

/// The benchmark path of a figure's id (the id itself for a harness with one figure each).
pub(crate) fn figure_path(harness: Harness, id: &str) -> &str {
    match harness {
        Harness::Divan => divan::benchmark_path(id),
        Harness::Gungraun => gungraun::benchmark_path(id),
        _ => id,
    }
}

/// The benchmark paths a divan or gungraun target lists, the user's filter applied.
pub(crate) fn list(
    target: &BenchTarget,
    executable: &Path,
    filter: Option<&str>,
    timeout: Duration,
    log: &Path,
) -> Result<Vec<String>, String> {
    match target.harness {
        Harness::Gungraun => gungraun::list(target, executable, filter, timeout, log),
        _ => divan::list(target, executable, filter, timeout, log),
    }
}

/// The benchmarks of a divan or gungraun target a run measures: all (`None`) unless a filter or
/// a shard selects, then exactly the listed ones that pass both.
pub(crate) fn selected(
    target: &BenchTarget,
    executable: &Path,
    selection: &Selection,
    timeout: Duration,
    log: &Path,
) -> Result<Option<Vec<String>>, String> {
    if selection.filter.is_none() && selection.shard.is_none() {
        return Ok(None);
    }
    let listed = list(
        target,
        executable,
        selection.filter.as_deref(),
        timeout,
        log,
    )?;
    Ok(Some(
        listed
            .into_iter()
            .filter(|id| {
                selection
                    .shard
                    .is_none_or(|s| shard::listed_in_shard(target, id, s))
            })
            .collect(),
    ))
}

/// Runs a divan or gungraun target as a run measures it, each process selecting the benchmarks
/// of `only` (ids, figures included; all when `None`), and keeps the figures of those benchmarks
/// (divan prints a selected benchmark's other thread-count rows too).
pub(crate) fn run_selected(
    target: &BenchTarget,
    executable: &Path,
    only: Option<&[String]>,
    quick: bool,
    out: &OutDir,
    timeout: Duration,
    log: &Path,
) -> Result<Vec<Benchmark>, String> {
    let mut found = match target.harness {
        Harness::Gungraun => gungraun::run(
            target,
            executable,
            only,
            &out.gungraun_home(&target.package, &target.name),
            timeout,
            log,
        )?,
        _ => divan::run(
            target,
            executable,
            only,
            divan_measurement(quick),
            timeout,
            log,
        )?,
    };
    if let Some(only) = only {
        found.retain(|b| {
            let path = figure_path(target.harness, &b.id);
            only.iter()
                .any(|id| figure_path(target.harness, id) == path)
        });
    }
    Ok(found)
}

/// How a divan target is measured as a run: quick or with the benchmarks' own settings.
fn divan_measurement(quick: bool) -> divan::Measurement {
    if quick {
        divan::Measurement::Quick
    } else {
        divan::Measurement::Full
    }
}
