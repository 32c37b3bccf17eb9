//! `cargo perfgate noise`: every criterion and divan benchmark and every stability metric A/A-tested
//! against its own executable in the confirm stage's rounds (a suite's scenarios at their own
//! length, or quick with `--quick`), so a team sees which thresholds this machine can hold.

use perfgate_format::{Benchmark, NoiseFloor, Source, NOISE_SCHEMA};

use crate::artifacts::write_json;
use crate::cli;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::release::TOOL_VERSION;
use crate::report::noise as noise_table;
use crate::run::base_side::BaselineBuild;
use crate::run::{self, confirm, criterion, shard, stability};
use crate::workspace::{BenchTarget, Harness};

pub fn noise(args: &cli::RunArgs) -> Result<Outcome> {
    floors(args).map(|_| Outcome::Done)
}

/// Measures, prints and writes the noise floors (what `noise` does; `init --calibrate` reads
/// them), with the machine they were measured on.
/// (Over 80 lines: the command's steps in order: measure twice, compare, write, print.)
pub(super) fn floors(args: &cli::RunArgs) -> Result<perfgate_format::Noise> {
    let started = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let super::Measuring {
        selection,
        workspace,
        policy,
        settings,
        out,
    } = super::Measuring::from_args(args)?;
    let _lock = out.lock()?;
    let targets: Vec<BenchTarget> = workspace
        .targets
        .iter()
        .filter(|t| shard::target_in_shard(t, selection.shard))
        .cloned()
        .collect();
    if targets.is_empty() {
        return Err(Error::NoBenchmarks {
            workspace: workspace.root.display().to_string(),
            filter: String::new(),
        });
    }
    let executables = run::build(&workspace.manifest_path, &targets, &selection, None)?;
    let listed = list_all(&targets, &executables, &selection, &out, settings.timeout)?;
    let items: Vec<confirm::Flagged> = listed
        .iter()
        .map(|(b, target)| confirm::Flagged {
            points: b.kind().in_points(),
            direction: b.direction,
            quick: selection.quick,
            id: &b.id,
            target,
            threshold: policy.threshold_of(b),
            level: confirm::level(policy.alpha, listed.len()),
        })
        .collect();
    let mut itself = BaselineBuild::itself(&workspace, &executables)?;
    let confirm::Confirmed {
        confirmations: results,
        failures,
        ..
    } = confirm::confirm(
        &workspace,
        &mut itself,
        &executables,
        &items,
        &out,
        settings.timeout,
        settings.confirm_budget,
    )?;
    let floors: Vec<NoiseFloor> = items
        .iter()
        .filter_map(|item| {
            let c = results.get(item.id)?;
            Some(NoiseFloor {
                id: item.id.to_string(),
                rounds: c.rounds,
                counted: c.counted,
                change: c.change,
                change_low: c.change_low,
                change_high: c.change_high,
                resolvable: c.change_low.abs().max(c.change_high.abs()),
                threshold: item.threshold,
                seconds: c.seconds,
            })
        })
        .collect();
    let ids: Vec<&str> = items.iter().map(|i| i.id).collect();
    println!("{}", noise_table::table(&ids, &floors, &failures));
    let noise = perfgate_format::Noise {
        schema: NOISE_SCHEMA.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        measured: started,
        machine: run::machine::fingerprint(),
        benchmarks: floors,
    };
    write_json(&out.noise_json(), &noise)?;
    if !failures.is_empty() {
        return Err(Error::Other(format!(
            "{} benchmark(s) could not be measured: see the table",
            failures.len()
        )));
    }
    Ok(noise)
}

/// Every criterion and divan benchmark of `targets` (their lists, filtered) and every metric of their
/// stability suites (one run of each, as the rounds will run it), with its target. A criterion
/// benchmark is listed as a figure with its id and target alone (the rounds measure the rest).
fn list_all<'a>(
    targets: &'a [BenchTarget],
    executables: &run::Executables,
    selection: &crate::config::Selection,
    out: &crate::artifacts::OutDir,
    timeout: std::time::Duration,
) -> Result<Vec<(Benchmark, &'a BenchTarget)>> {
    let mut listed = Vec::new();
    for target in targets {
        let key = (target.package.clone(), target.name.clone());
        let Some(exe) = executables.get(&key) else {
            continue;
        };
        let failed = |e: String| Error::Other(format!("{}/{}: {e}", target.package, target.name));
        match target.harness {
            Harness::Criterion => {
                let ids =
                    criterion::list(target, exe, selection.filter.as_deref()).map_err(failed)?;
                listed.extend(
                    ids.into_iter()
                        .map(|id| (listed_benchmark(id, target, Source::Criterion), target)),
                );
            }
            Harness::Gungraun => eprintln!(
                "perfgate: {}/{}: gungraun's counts repeat exactly, so they have no noise floor to measure",
                target.package, target.name
            ),
            Harness::Divan => {
                let log = out.log(&format!("list-{}-{}", target.package, target.name));
                let ids = run::divan::list(target, exe, selection.filter.as_deref(), timeout, &log)
                    .map_err(failed)?;
                listed.extend(
                    ids.into_iter()
                        .map(|id| (listed_benchmark(id, target, Source::Divan), target)),
                );
            }
            Harness::Stability => {
                eprintln!(
                    "perfgate: running {}/{} once for its metrics",
                    target.package, target.name
                );
                let filter = selection.filter.as_deref();
                let metrics =
                    stability::run(target, exe, filter, &[], selection.quick, timeout, out)
                        .map_err(failed)?;
                listed.extend(metrics.into_iter().map(|m| (m, target)));
            }
        }
    }
    Ok(listed)
}

/// A criterion or divan benchmark as its list names it: lower is better, a time.
fn listed_benchmark(id: String, target: &BenchTarget, source: Source) -> Benchmark {
    Benchmark {
        id,
        source,
        package: target.package.clone(),
        target: target.name.clone(),
        unit: "ns".to_string(),
        direction: perfgate_format::Direction::LowerIsBetter,
        summary: perfgate_format::Summary::of(&[]),
        samples: Vec::new(),
        throughput: None,
        kind: Some(perfgate_format::Kind::Duration),
    }
}
