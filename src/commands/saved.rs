//! Judging saved runs: `cargo perfgate compare` (one run.json) and `cargo perfgate merge`
//! (the run.json files of every shard).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use perfgate_format::{Benchmark, Confirmation, Machine, Run};

use super::publish::{baseline_ref, publish};
use crate::artifacts::{self, write_json, OutDir};
use crate::baseline::{self, Reference};
use crate::cli;
use crate::compare::{self, Inputs};
use crate::config::{Against, Output, Overrides, Settings};
use crate::error::Result;
use crate::github;
use crate::outcome::Outcome;
use crate::run::shard;
use crate::workspace::Workspace;

/// `cargo perfgate compare [RUN] --against REV|FILE`: judge a saved run without measuring.
pub fn compare(args: &cli::CompareArgs) -> Result<Outcome> {
    let output = Output::from_args(&args.output);
    let (root, target_dir) = Workspace::root_of(args.manifest_path.as_deref())?;
    let out = OutDir::resolve(output.out_dir.as_deref(), &target_dir);
    let run_path = args.run.clone().unwrap_or_else(|| out.run_json());
    let run = artifacts::read_run(&run_path)?;
    judge_saved(&root, &args.against, &output, &out, &run, &[])
}

/// `cargo perfgate merge`: shard runs → one comparison.
pub fn merge(args: &cli::MergeArgs) -> Result<Outcome> {
    let output = Output::from_args(&args.output);
    let (root, target_dir) = Workspace::root_of(args.manifest_path.as_deref())?;
    let out = OutDir::resolve(output.out_dir.as_deref(), &target_dir);
    let runs: Vec<(PathBuf, Run)> = args
        .runs
        .iter()
        .map(|p| artifacts::read_run(p).map(|r| (p.clone(), r)))
        .collect::<Result<_>>()?;
    let merged = shard::merge_runs(&runs)?;
    write_json(&out.run_json(), &merged)?;
    let machines: Vec<Machine> = runs.iter().map(|(_, r)| r.machine.clone()).collect();
    judge_saved(&root, &args.against, &output, &out, &merged, &machines)
}

fn judge_saved(
    root: &Path,
    against: &cli::AgainstArgs,
    output: &Output,
    out: &OutDir,
    run: &Run,
    shard_machines: &[Machine],
) -> Result<Outcome> {
    artifacts::refuse_tracked(out, root)?;
    let against = Against::from_args(against)?;
    let reference = Reference::choose(
        against.against.as_deref(),
        github::pr_base_ref(),
        against.fetch,
    );
    let located = baseline::locate(root, &reference, against.profile.as_deref())?;
    let settings = Settings::resolve(
        &Overrides::of(None, Some(&against)).in_pull_request(github::pr_base_ref().is_some()),
        &located.policy,
    );
    // Re-measurements `check` made against this very baseline commit still count.
    let against_commit = located.commit.map(|c| c.to_string());
    let confirmations: BTreeMap<String, Confirmation> = run
        .confirmations
        .iter()
        .filter(|(_, c)| Some(&c.baseline_commit) == against_commit.as_ref())
        .map(|(id, c)| (id.clone(), c.clone()))
        .collect();
    // So do the entries it set aside as unchanged against this very commit's build.
    let mut run = run.clone();
    run.identical
        .retain(|_, i| Some(&i.baseline_commit) == against_commit.as_ref());
    let run = &run;
    // A saved run has no selection to consult: every baseline benchmark was meant to be in it.
    let in_scope = |_: &Benchmark| true;
    let mut warnings = located.warnings.clone();
    let floors = artifacts::noise_floors(
        out,
        &run.machine,
        (root, crate::github::pr_base_ref().is_some()),
        &mut warnings,
    )?;
    let mut baseline_ref = baseline_ref(&located, run);
    // A merged run holds one machine, but its shards may have run on several (a CI matrix):
    // the stored figures of any shard measured elsewhere than the baseline say nothing here.
    if let Some(b) = baseline_ref.as_mut() {
        b.machine_differs |= shard_machines.iter().any(|m| *m != b.provenance.machine);
    }
    let mut distinct: Vec<String> = shard_machines.iter().map(Machine::describe).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > 1 {
        warnings.push(format!(
            "the shards ran on {} different machines ({}): each shard's re-measurements are its own machine's, and no stored figure is judged against a baseline from another machine",
            distinct.len(),
            distinct.join("; ")
        ));
    }
    let acceptance = super::acceptance(&located.policy, &mut warnings);
    let comparison = compare::compare(&Inputs {
        run,
        baseline: located.baseline.as_ref(),
        baseline_ref,
        policy: &located.policy,
        confirm: settings.confirm,
        confirmations: &confirmations,
        confirm_unavailable: Some(
            "saved runs are not re-measured, and this one holds no re-measurement against this baseline; run `cargo perfgate check` to confirm".to_string(),
        ),
        confirm_failures: &BTreeMap::new(),
        floors: &floors,
        in_scope: &in_scope,
        warnings,
        acceptance: acceptance.as_ref(),
        drift: None,
        paired: false,
    });
    publish(&comparison, output, out)
}
