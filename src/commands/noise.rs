//! `cargo perfgate noise`: every criterion benchmark A/A-tested against its own executable in
//! the confirm stage's rounds, so a team sees which thresholds this machine can hold.

use perfgate_format::{NoiseFloor, NOISE_SCHEMA};

use crate::artifacts::{write_json, TOOL_VERSION};
use crate::cli;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::report::noise as noise_table;
use crate::run::base_side::BaselineBuild;
use crate::run::{self, confirm, criterion, shard};
use crate::workspace::{BenchTarget, Harness};

pub fn noise(args: &cli::RunArgs) -> Result<Outcome> {
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
        .filter(|t| t.harness == Harness::Criterion)
        .filter(|t| shard::target_in_shard(t, selection.shard))
        .cloned()
        .collect();
    if targets.is_empty() {
        return Err(Error::NoBenchmarks {
            workspace: workspace.root.display().to_string(),
            filter: " (criterion targets)".to_string(),
        });
    }
    let executables = run::build(&workspace.manifest_path, &targets, &selection, None)?;
    let listed = list_all(&targets, &executables, selection.filter.as_deref())?;
    let items: Vec<confirm::Flagged> = listed
        .iter()
        .map(|(id, target)| confirm::Flagged {
            points: false,
            direction: perfgate_format::Direction::LowerIsBetter,
            quick: selection.quick,
            id,
            target,
            threshold: policy.threshold_for(id, &target.package),
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
    write_json(
        &out.noise_json(),
        &perfgate_format::Noise {
            schema: NOISE_SCHEMA.to_string(),
            tool_version: TOOL_VERSION.to_string(),
            measured: started,
            machine: run::machine::fingerprint(),
            benchmarks: floors,
        },
    )?;
    if !failures.is_empty() {
        return Err(Error::Other(format!(
            "{} benchmark(s) could not be measured: see the table",
            failures.len()
        )));
    }
    Ok(Outcome::Done)
}

/// Every criterion benchmark of `targets` (their `--list`, filtered), with its target.
fn list_all<'a>(
    targets: &'a [BenchTarget],
    executables: &run::Executables,
    filter: Option<&str>,
) -> Result<Vec<(String, &'a BenchTarget)>> {
    let mut listed = Vec::new();
    for target in targets {
        let key = (target.package.clone(), target.name.clone());
        let Some(exe) = executables.get(&key) else {
            continue;
        };
        let ids = criterion::list(target, exe, filter)
            .map_err(|e| Error::Other(format!("{}/{}: {e}", target.package, target.name)))?;
        listed.extend(ids.into_iter().map(|id| (id, target)));
    }
    Ok(listed)
}
