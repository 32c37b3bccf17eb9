//! The check that a pull request's code measures alike when run as users run it. Its rounds
//! are the only measurement a pull request gets, and code can tell them apart (their probe
//! flags, their `CRITERION_HOME`); so after them a few criterion benchmarks, picked at random
//! where the change cannot know which, are run once per side per pair with their own settings:
//! the candidate through `cargo bench -- <filter>` in its checkout (nothing of the tool's in its
//! arguments or variables), the baseline side's executable as the rounds run it. The pairs go
//! into the benchmark's confirmation; `compare` judges them (`stats::slower_as_users_run`).

use std::collections::BTreeSet;
use std::time::Duration;

use rand::seq::SliceRandom;

use super::{Confirmed, Flagged};
use crate::artifacts::OutDir;
use crate::config::Selection;
use crate::error::Result;
use crate::run::base_side::BaselineBuild;
use crate::run::{criterion, own_id, Progress};
use crate::stats;
use crate::workspace::{Harness, Workspace};

/// What the check needs besides the rounds: the workspace, the run's selection (features, as
/// the candidate was built), where the baseline side's runs save and how long a process may
/// take.
pub(crate) struct Setting<'a> {
    pub workspace: &'a Workspace,
    pub selection: &'a Selection,
    pub out: &'a OutDir,
    pub timeout: Duration,
}

/// Runs up to `count` of the `flagged` criterion benchmarks whose rounds did not already call
/// them slower than the threshold, picked at random, as users run them, and adds the pairs to
/// their confirmations. A candidate that fails to run that way is not a pass: its confirmation
/// gives way to the failure, with the reason. An error of the baseline side's executable (its
/// check) ends the check, as it ends the rounds.
pub fn check(
    setting: &Setting,
    baseline: &mut BaselineBuild,
    flagged: &[Flagged],
    stage: &mut Confirmed,
    count: usize,
) -> Result<()> {
    let mut open: Vec<&Flagged> = flagged
        .iter()
        .filter(|item| item.target.harness == Harness::Criterion && !item.points)
        .filter(|item| {
            stage
                .confirmations
                .get(item.id)
                .is_some_and(|c| c.counted > 0 && c.change_low <= item.threshold)
        })
        .collect();
    open.shuffle(&mut rand::thread_rng());
    open.truncate(count);
    if open.is_empty() {
        return Ok(());
    }
    let progress = Progress::new(open.len());
    for item in open {
        progress.start(&format!("running {} as `cargo bench` runs it", item.id));
        let high = stage.confirmations[item.id].change_high;
        let mut pairs: Vec<[f64; 2]> = Vec::new();
        let mut failed = None;
        while stats::another_user_pair(&pairs, high, item.threshold) {
            match pair(setting, baseline, item, flagged, pairs.len())? {
                Ok(p) => pairs.push(p),
                Err(why) => {
                    failed = Some(why);
                    break;
                }
            }
        }
        if let Some(why) = failed {
            progress.finish_one(&format!("{}: as `cargo bench` runs it: {why}", item.id));
            stage.confirmations.remove(item.id);
            stage.failures.insert(
                item.id.to_string(),
                format!("run as `cargo bench` runs it (after its rounds), {why}"),
            );
            continue;
        }
        let shown: Vec<String> = pairs
            .iter()
            .map(|[b, c]| format!("{:+.1}%", (c / b - 1.0) * 100.0))
            .collect();
        progress.finish_one(&format!(
            "{}: as `cargo bench` runs it: {} (rounds up to {:+.1}%)",
            item.id,
            shown.join(", "),
            high * 100.0
        ));
        if let Some(confirmation) = stage.confirmations.get_mut(item.id) {
            confirmation.as_users_run = pairs;
        }
    }
    progress.done();
    Ok(())
}

/// One pair: each side once, in random order. `Ok(Err(why))` when a side could not run or
/// did not report the benchmark.
fn pair(
    setting: &Setting,
    baseline: &mut BaselineBuild,
    item: &Flagged,
    flagged: &[Flagged],
    index: usize,
) -> Result<std::result::Result<[f64; 2], String>> {
    let target = item.target;
    let key = (target.package.clone(), target.name.clone());
    let own = own_id(item.id, target);
    let filter = filter_for(
        own,
        flagged
            .iter()
            .filter(|f| f.target == target)
            .map(|f| own_id(f.id, target)),
    );
    let mut figures = [f64::NAN; 2];
    let mut order = [0usize, 1];
    order.shuffle(&mut rand::thread_rng());
    for side in order {
        let log = setting
            .out
            .log(&format!("as-users-run-{}-{index}-{side}", item.id));
        let measured = if side == 0 {
            let exe = baseline.verified(&key)?;
            let base_target = baseline
                .targets
                .iter()
                .find(|t| t.package == target.package && t.name == target.name)
                .unwrap_or(target);
            let args = criterion::arguments(
                base_target.harness_version.as_ref(),
                Some(&filter),
                criterion::Measurement::Full,
            );
            let home = setting.out.as_users_run_home(item.id, index);
            criterion::run(base_target, &exe, &home, &args, setting.timeout, &log).map(|found| {
                found
                    .into_iter()
                    .find(|b| b.id == own)
                    .map(|b| b.summary.median)
            })
        } else {
            criterion::run_through_cargo(
                setting.workspace,
                target,
                setting.selection,
                &filter,
                setting.timeout,
                &log,
            )
            .map(|found| {
                found
                    .into_iter()
                    .find(|m| m.id == own)
                    .map(|m| stats::median(&m.per_iteration_ns))
            })
        };
        let name = if side == 0 {
            "the baseline side"
        } else {
            "the candidate"
        };
        figures[side] = match measured {
            Ok(Some(median)) => median,
            Ok(None) => return Ok(Err(format!("{name} did not report it"))),
            Err(why) => return Ok(Err(format!("{name} failed: {why}"))),
        };
    }
    Ok(Ok(figures))
}

/// The filter a user would type for one benchmark: its id, when that selects no other
/// benchmark of the target that the run knows of and reads the same as a regular expression;
/// else the exact filter.
fn filter_for<'a>(own: &str, others: impl Iterator<Item = &'a str>) -> String {
    let others: BTreeSet<&str> = others.filter(|o| *o != own).collect();
    let plain = regex::escape(own) == own && !others.iter().any(|o| o.contains(own));
    if plain {
        own.to_string()
    } else {
        criterion::exact_filter(own)
    }
}

#[cfg(test)]
mod tests {
    use super::filter_for;

    #[test]
    fn a_plain_id_is_its_own_filter_unless_it_selects_another_or_is_no_plain_regex() {
        assert_eq!(filter_for("checksum", ["parse"].into_iter()), "checksum");
        assert_eq!(
            filter_for("checksum", ["checksum_fast", "checksum"].into_iter()),
            "^checksum$"
        );
        assert_eq!(filter_for("parse/1.5", std::iter::empty()), r"^parse/1\.5$");
        assert_eq!(filter_for("store/put", std::iter::empty()), "store/put");
    }
}
