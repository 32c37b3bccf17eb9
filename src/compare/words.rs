//! What a comparison says in words besides its entries: the run-level warnings (what kept the
//! gate from a verdict, or what it reports without failing) and the method line (how the
//! verdicts were reached, in the words of what this code does).

use perfgate_format::Counts;

use super::{accepted_by, expected_in_scope, machine_differs, short_commit, Inputs};
use crate::config::{Confirm, Unconfirmed};

/// The run-level messages: the inputs' own, then what kept the gate from a verdict or what it
/// reports without failing.
pub(super) fn warnings_of(
    inputs: &Inputs,
    counts: &Counts,
    nothing_measured: bool,
    unmatched_budgets: &[&crate::config::Budget],
    acknowledged_missing: usize,
) -> Vec<String> {
    let mut warnings = inputs.warnings.clone();
    if nothing_measured {
        warnings.insert(
            0,
            format!(
                "this run measured nothing{}: check the filter, --bench, --package and --shard, and that every bench target writes its results",
                match expected_in_scope(inputs) {
                    0 => String::new(),
                    n => format!(" where the baseline holds {n} benchmark(s) in scope"),
                }
            ),
        );
    }
    if counts.unconfirmed > 0 {
        warnings.push(match inputs.policy.unconfirmed {
            Unconfirmed::Fail => format!("{} flag(s) could not be re-measured, so the gate cannot say pass: fix what stopped each re-measurement (its note says what); give single-run stability metrics budgets and thresholds their run-to-run spread stays within; or, as a team choice, set `gate.unconfirmed = \"warn\"` in the base branch's perfgate.toml", counts.unconfirmed),
            Unconfirmed::Warn => format!("{} flag(s) could not be re-measured; the base branch's perfgate.toml (`gate.unconfirmed = \"warn\"`) reports them without failing", counts.unconfirmed),
        });
    }
    for budget in unmatched_budgets {
        warnings.push(format!(
            "budget `{}` = \"{}\" matches no benchmark of this run or its baseline, so it would check nothing: fix its id in perfgate.toml or remove it (the gate stops rather than drop a budget silently)",
            budget.pattern.as_str(),
            budget.text
        ));
    }
    if let Some(acceptance) = inputs.acceptance {
        let regressions = counts.accepted.saturating_sub(acknowledged_missing);
        if acknowledged_missing > 0 {
            warnings.push(format!(
                "{acknowledged_missing} benchmark(s) of the baseline not measured by this change (removed or renamed) accepted with {}: reported, not failed; the next baseline refresh drops them",
                accepted_by(acceptance)
            ));
        }
        if regressions > 0 {
            warnings.push(format!(
                "{regressions} confirmed regression(s) accepted with {}: reported, not failed; the next baseline refresh (`cargo perfgate baseline save` on the default branch) takes them in",
                accepted_by(acceptance)
            ));
        } else if acknowledged_missing == 0 {
            warnings.push(format!(
                "{} is set, and there is no confirmed regression to accept",
                accepted_by(acceptance)
            ));
        }
    }
    if let Some(drift) = inputs.drift {
        warnings.push(format!(
            "drift since baseline {}: {} commit(s) on the first-parent line, judged against the cumulative threshold of {:.1}% (`gate.drift_threshold`) or a benchmark's own when wider",
            short_commit(&drift.since),
            drift.commits,
            drift.threshold * 100.0
        ));
    }
    if machine_differs(inputs) {
        warnings.push(
            "the baseline was measured on a different machine: every comparison is re-measured here against the baseline's build, and one that is not stays unconfirmed".to_string(),
        );
    }
    if counts.missing > 0 {
        warnings.push(format!(
            "{} benchmark(s) of the baseline were not measured (removed or renamed, or their bench target is no longer recognised): {}; refresh the baseline (`cargo perfgate baseline save`) to accept it, or a base-side `gate.missing = \"warn\"` reports it without failing",
            counts.missing,
            match inputs.policy.missing {
                Unconfirmed::Fail => "not a pass",
                Unconfirmed::Warn => "reported, not failed (`gate.missing = \"warn\"`)",
            }
        ));
    }
    warnings
}

/// How the verdicts were reached, in the words of what this code does.
pub(super) fn method_text(inputs: &Inputs) -> String {
    let policy = inputs.policy;
    let rounds = "the baseline's commit and this change ran alternately in rounds on this machine, and the median of the paired per-round ratios decided: `regressed` needs its distribution-free interval (at 1 - alpha over the number re-measured) wholly above the threshold and both halves of the rounds above it too (rounds that straddled a change of the machine's speed left out); an interval across the threshold after the last round is `inconclusive`";
    let confirm = match inputs.confirm {
        Confirm::Auto => format!("Benchmarks whose stored change was beyond the threshold were re-measured: {rounds}. The stored comparison alone decides nothing else: a flag that could not be re-measured is `unconfirmed`."),
        Confirm::Always => {
            let done = inputs.confirmations.len();
            let paired = inputs.run.benchmarks.len();
            let not_done = match &inputs.confirm_unavailable {
                Some(why) => format!(" The confirm stage could not run ({why}): no comparison was re-measured, and none passes on its stored samples alone (each is `unconfirmed`)."),
                None if done < paired => " A comparison that was not re-measured is `unconfirmed`, never a pass on its stored samples.".to_string(),
                None => String::new(),
            };
            let measured_by = if inputs.paired {
                " In this pull request the rounds were the change's measurement: its criterion and divan benchmarks that the baseline has were not run on their own first, and a re-measured row's stored change is its candidate's per-round medians against the baseline file's samples, deciding nothing."
            } else {
                ""
            };
            let checked = inputs
                .confirmations
                .values()
                .filter(|c| !c.as_users_run.is_empty())
                .count();
            let as_users_run = match (inputs.paired, checked) {
                (false, _) => String::new(),
                (true, 0) => " No benchmark was also run as `cargo bench` runs it (a quick run, `gate.as_users_run = 0`, or no criterion benchmark within the threshold).".to_string(),
                (true, n) => format!(" {n} criterion benchmark(s), picked at random, were also run as `cargo bench` runs them (each side one process with the benchmark's own settings, the candidate through cargo, up to {} pairs): slower there in every pair, beyond the rounds' upper bound by more than the threshold, is `regressed` (code that is fast only under the gate's probes).", crate::stats::USER_RUN_PAIRS),
            };
            let identical = match inputs.run.identical.len() {
                0 => String::new(),
                n => format!(" {n} benchmark(s) were not measured: the change left their bench executable byte-identical to the baseline side's (SHA-256 of each file) and touched no file in their package, so they are unchanged by construction (`identical executable`)."),
            };
            format!("Every comparison was to be re-measured, {done} were: {rounds}.{not_done}{measured_by}{as_users_run}{identical}")
        }
        Confirm::Never => "Nothing was re-measured (--confirm=never): a stored change whose interval lies beyond the threshold and that is significant (Mann-Whitney U, Holm-adjusted) is `regressed`.".to_string(),
    };
    format!(
        "Stored change: the ratio of medians against the baseline's samples, with a 95% distribution-free interval (Price-Bonett), over {} comparisons; threshold {:.1}% unless a glob or component sets another (a stability metric: the default for what it is, e.g. any rise of an error rate). {confirm} A maintainer accepts a regression with the pull request label `{}` (read from the event GitHub writes, never from the change's files). Policy: {}.",
        inputs.run.benchmarks.len(),
        policy.threshold * 100.0,
        policy.accept_label,
        policy.origin
    )
}
