//! Results + baseline + policy → verdicts. A pure function: the confirm stage's re-measurements
//! come in as data, so the same inputs always give the same `compare.json`.

use std::collections::BTreeMap;

use perfgate_format::{
    Baseline, BaselineRef, Benchmark, Comparison, Confirmation, Counts, Direction, Entry, Method,
    Overall, Run, Verdict, COMPARE_SCHEMA,
};

use crate::config::{Confirm, Policy};
use crate::stats;

/// Everything a comparison depends on.
pub struct Inputs<'a> {
    pub run: &'a Run,
    pub baseline: Option<&'a Baseline>,
    pub baseline_ref: Option<BaselineRef>,
    pub policy: &'a Policy,
    pub confirm: Confirm,
    /// Same-machine A/B results by benchmark id.
    pub confirmations: &'a BTreeMap<String, Confirmation>,
    /// Why flagged benchmarks could not be confirmed, when they could not.
    pub confirm_unavailable: Option<String>,
    /// This machine's A/A noise floor by benchmark id (`noise.json`): a threshold below a
    /// benchmark's floor is widened to it, and the entry says so.
    pub floors: &'a BTreeMap<String, f64>,
    /// Whether a baseline entry was meant to be measured by this run (filters, shards).
    pub in_scope: &'a dyn Fn(&Benchmark) -> bool,
    pub warnings: Vec<String>,
}

/// Stage-one judgement of one benchmark against the stored baseline.
#[derive(Debug, Clone, Copy)]
struct Stored {
    change: f64,
    low: f64,
    high: f64,
    p: f64,
}

/// The change in the "worse" direction: positive means slower (or less throughput).
fn worsening(change: f64, direction: Direction) -> f64 {
    match direction {
        Direction::LowerIsBetter => change,
        Direction::HigherIsBetter => -change,
    }
}

/// Ids the stored comparison flags, as regressions or as improvements (a stored number alone
/// should not claim either): the benchmarks the confirm stage re-measures.
pub fn flagged(comparison: &Comparison) -> Vec<String> {
    comparison
        .entries
        .iter()
        .filter(|e| {
            e.method == Method::Stored
                && matches!(
                    e.verdict,
                    Verdict::Unconfirmed
                        | Verdict::Regressed
                        | Verdict::Inconclusive
                        | Verdict::Improved
                )
        })
        .map(|e| e.id.clone())
        .collect()
}

/// The threshold a benchmark is judged against: the policy's, or this machine's noise floor
/// when that is wider (then with the note that says so).
fn threshold_of(inputs: &Inputs, current: &Benchmark) -> (f64, Option<String>) {
    let configured = inputs.policy.threshold_for(&current.id, &current.package);
    match inputs.floors.get(&current.id) {
        Some(&floor) if floor > configured => (
            floor,
            Some(format!(
                "threshold widened from {:.1}% to {:.1}%: this machine's A/A noise for this benchmark (`cargo perfgate noise`) is ±{:.1}%",
                configured * 100.0,
                floor * 100.0,
                floor * 100.0
            )),
        ),
        _ => (configured, None),
    }
}

/// Compares a run with a baseline under a policy.
pub fn compare(inputs: &Inputs) -> Comparison {
    let policy = inputs.policy;
    let run = inputs.run;
    let machine_differs = inputs
        .baseline_ref
        .as_ref()
        .is_some_and(|b| b.machine_differs);
    let baseline_by_id: BTreeMap<&str, &Benchmark> = inputs
        .baseline
        .map(|b| b.benchmarks.iter().map(|x| (x.id.as_str(), x)).collect())
        .unwrap_or_default();

    // Stage one for every paired benchmark, then Holm over all of them.
    let paired: Vec<(&Benchmark, &Benchmark)> = run
        .benchmarks
        .iter()
        .filter_map(|c| baseline_by_id.get(c.id.as_str()).map(|b| (*b, c)))
        .collect();
    let raw: Vec<Stored> = paired
        .iter()
        .map(|(b, c)| {
            let (low, high) = stats::median_change_interval(&b.samples, &c.samples, seed_of(&c.id));
            Stored {
                change: stats::relative_change(&b.samples, &c.samples),
                low,
                high,
                p: stats::mann_whitney_p(&b.samples, &c.samples),
            }
        })
        .collect();
    let adjusted = stats::holm_adjust(&raw.iter().map(|s| s.p).collect::<Vec<_>>());
    let confirmed_ids: Vec<&String> = inputs.confirmations.keys().collect();
    let confirmed_adjusted = stats::holm_adjust(
        &inputs
            .confirmations
            .values()
            .map(|c| c.p_value)
            .collect::<Vec<_>>(),
    );
    let confirmed_p: BTreeMap<&str, f64> = confirmed_ids
        .iter()
        .zip(confirmed_adjusted)
        .map(|(id, p)| (id.as_str(), p))
        .collect();

    let mut entries = Vec::new();
    for (((baseline, current), stored), p_adj) in paired.iter().zip(&raw).zip(&adjusted) {
        let (threshold, widened) = threshold_of(inputs, current);
        let significant = *p_adj < policy.alpha;
        let worse = worsening(stored.change, current.direction);
        // Any change beyond the threshold is flagged for re-measurement: between processes on a
        // shared machine the stored samples' own significance test is over- and under-confident
        // by turns, so it decides alone only under --confirm=never.
        let flagged_regression = worse > threshold;
        let flagged_improvement = -worse > threshold;
        let mut entry = Entry {
            id: current.id.clone(),
            verdict: Verdict::Pass,
            package: current.package.clone(),
            target: current.target.clone(),
            unit: current.unit.clone(),
            direction: current.direction,
            baseline: Some(baseline.summary.median),
            current: Some(current.summary.median),
            // JSON has no infinity: a change from a baseline of 0 is left empty (and noted).
            change: stored.change.is_finite().then_some(stored.change),
            change_low: stored.low.is_finite().then_some(stored.low),
            change_high: stored.high.is_finite().then_some(stored.high),
            p_value: Some(*p_adj),
            threshold,
            method: Method::Stored,
            confirmation: None,
            note: None,
        };
        if let Some(confirmation) = inputs.confirmations.get(&current.id) {
            let p = confirmed_p.get(current.id.as_str()).copied().unwrap_or(1.0);
            let confirmed_worse = worsening(confirmation.change, current.direction);
            let sure = p < policy.alpha;
            entry.method = Method::Confirmed;
            entry.change = Some(confirmation.change);
            entry.change_low = Some(confirmation.change_low);
            entry.change_high = Some(confirmation.change_high);
            entry.p_value = Some(p);
            entry.confirmation = Some(confirmation.clone());
            let stored_note = |outcome: &str| {
                format!(
                    "the stored baseline showed {:+.1}%; re-measured on this machine: {:+.1}% (p={:.3}), {outcome}",
                    stored.change * 100.0,
                    confirmation.change * 100.0,
                    p
                )
            };
            (entry.verdict, entry.note) = if sure && confirmed_worse > threshold {
                (Verdict::Regressed, None)
            } else if sure && -confirmed_worse > threshold {
                (Verdict::Improved, None)
            } else if confirmed_worse > threshold {
                // Large but not significant even after the extra rounds: too noisy to judge.
                (
                    Verdict::Inconclusive,
                    Some(stored_note(&format!(
                        "too noisy to judge after {} rounds ({} counted): the interval [{:+.1}%, {:+.1}%] is wider than the {:.1}% threshold can use here; raise this benchmark's threshold or gate it on a quieter runner (`cargo perfgate noise` measures what this machine resolves, and the gate then widens thresholds to it)",
                        confirmation.rounds,
                        confirmation.counted,
                        confirmation.change_low * 100.0,
                        confirmation.change_high * 100.0,
                        threshold * 100.0
                    ))),
                )
            } else if flagged_regression || flagged_improvement {
                (Verdict::Pass, Some(stored_note("not reproduced")))
            } else {
                (Verdict::Pass, None)
            };
        } else if flagged_regression {
            let not_confirmed = || {
                format!(
                    "flagged against the stored baseline, not re-measured: {}",
                    inputs
                        .confirm_unavailable
                        .as_deref()
                        .unwrap_or("confirmation was not run")
                )
            };
            (entry.verdict, entry.note) = if machine_differs {
                (
                    Verdict::Inconclusive,
                    Some("the baseline was measured on another machine and the change could not be re-measured here".to_string()),
                )
            } else if inputs.confirm == Confirm::Never && significant {
                (
                    Verdict::Regressed,
                    Some("decided against the stored baseline alone (--confirm=never)".to_string()),
                )
            } else if inputs.confirm == Confirm::Never {
                (
                    Verdict::Unconfirmed,
                    Some(
                        "above the threshold but not significant against the stored samples"
                            .to_string(),
                    ),
                )
            } else if current.source == perfgate_format::Source::Stability {
                (
                    Verdict::Unconfirmed,
                    Some("a stability metric beyond the threshold: reported, not failed (gate it with a budget)".to_string()),
                )
            } else {
                (Verdict::Unconfirmed, Some(not_confirmed()))
            };
        } else if flagged_improvement && significant {
            entry.verdict = Verdict::Improved;
        }
        if let Some(widened) = widened {
            entry.note = Some(match entry.note.take() {
                Some(note) => format!("{widened}; {note}"),
                None => widened,
            });
        }
        apply_budgets(&mut entry, current, policy);
        entries.push(entry);
    }

    // Benchmarks only in the run: new.
    for current in run
        .benchmarks
        .iter()
        .filter(|c| !baseline_by_id.contains_key(c.id.as_str()))
    {
        let mut entry = lone_entry(current, Verdict::New, policy);
        entry.current = Some(current.summary.median);
        entry.note = Some("no baseline for this benchmark yet".to_string());
        apply_budgets(&mut entry, current, policy);
        entries.push(entry);
    }

    // Baseline benchmarks not measured: an error when their target failed, else missing.
    let measured: std::collections::BTreeSet<&str> =
        run.benchmarks.iter().map(|b| b.id.as_str()).collect();
    let mut errored_targets_with_entries = std::collections::BTreeSet::new();
    if let Some(baseline) = inputs.baseline {
        for old in baseline
            .benchmarks
            .iter()
            .filter(|b| !measured.contains(b.id.as_str()))
        {
            let failed = run
                .errors
                .iter()
                .find(|e| e.package == old.package && e.target == old.target);
            if failed.is_none() && !(inputs.in_scope)(old) {
                continue;
            }
            let mut entry = lone_entry(old, Verdict::Missing, policy);
            entry.baseline = Some(old.summary.median);
            entry.note = Some(match failed {
                Some(error) => {
                    entry.verdict = Verdict::Error;
                    errored_targets_with_entries.insert((error.package.as_str(), error.target.as_str()));
                    error.message.clone()
                }
                None => "in the baseline but not measured: removed or renamed? `cargo perfgate baseline save` accepts it".to_string(),
            });
            entries.push(entry);
        }
    }
    for error in &run.errors {
        if errored_targets_with_entries.contains(&(error.package.as_str(), error.target.as_str())) {
            continue;
        }
        entries.push(Entry {
            id: format!("{}/{}", error.package, error.target),
            verdict: Verdict::Error,
            package: error.package.clone(),
            target: error.target.clone(),
            unit: String::new(),
            direction: Direction::LowerIsBetter,
            baseline: None,
            current: None,
            change: None,
            change_low: None,
            change_high: None,
            p_value: None,
            threshold: policy.threshold,
            method: Method::Stored,
            confirmation: None,
            note: Some(error.message.clone()),
        });
    }

    entries.sort_by(|a, b| a.verdict.cmp(&b.verdict).then_with(|| a.id.cmp(&b.id)));
    let counts = count(&entries);
    let mut warnings = inputs.warnings.clone();
    let verdict = if inputs.baseline.is_none() {
        warnings.insert(
            0,
            "no baseline to compare against: run `cargo perfgate baseline save` and commit `baselines/`".to_string(),
        );
        Overall::Error
    } else if counts.error > 0 {
        Overall::Error
    } else if counts.regressed + counts.budget_fail > 0 {
        Overall::Fail
    } else {
        Overall::Pass
    };
    if machine_differs {
        warnings.push(
            "the baseline was measured on a different machine: stored comparisons are inconclusive unless re-measured here".to_string(),
        );
    }
    if counts.missing > 0 {
        warnings.push(format!(
            "{} benchmark(s) of the baseline were not measured (removed or renamed?)",
            counts.missing
        ));
    }
    Comparison {
        schema: COMPARE_SCHEMA.to_string(),
        tool_version: crate::run::TOOL_VERSION.to_string(),
        verdict,
        counts,
        baseline: inputs.baseline_ref.clone(),
        current_git: run.git.clone(),
        machine: run.machine.clone(),
        method: method_text(inputs),
        warnings,
        entries,
    }
}

fn lone_entry(b: &Benchmark, verdict: Verdict, policy: &Policy) -> Entry {
    Entry {
        id: b.id.clone(),
        verdict,
        package: b.package.clone(),
        target: b.target.clone(),
        unit: b.unit.clone(),
        direction: b.direction,
        baseline: None,
        current: None,
        change: None,
        change_low: None,
        change_high: None,
        p_value: None,
        threshold: policy.threshold_for(&b.id, &b.package),
        method: Method::Stored,
        confirmation: None,
        note: None,
    }
}

fn apply_budgets(entry: &mut Entry, current: &Benchmark, policy: &Policy) {
    if entry.verdict == Verdict::Error {
        return;
    }
    let broken: Vec<&str> = policy
        .budgets_for(&current.id)
        .filter(|b| !b.holds(current.summary.median))
        .map(|b| b.text.as_str())
        .collect();
    if !broken.is_empty() {
        entry.verdict = Verdict::BudgetFail;
        entry.note = Some(format!("over budget: {}", broken.join(", ")));
    }
}

fn count(entries: &[Entry]) -> Counts {
    let mut counts = Counts {
        total: entries.len(),
        ..Counts::default()
    };
    for e in entries {
        *match e.verdict {
            Verdict::Pass => &mut counts.pass,
            Verdict::Regressed => &mut counts.regressed,
            Verdict::BudgetFail => &mut counts.budget_fail,
            Verdict::Unconfirmed => &mut counts.unconfirmed,
            Verdict::Inconclusive => &mut counts.inconclusive,
            Verdict::Improved => &mut counts.improved,
            Verdict::New => &mut counts.new,
            Verdict::Missing => &mut counts.missing,
            Verdict::Error => &mut counts.error,
        } += 1;
    }
    counts
}

fn method_text(inputs: &Inputs) -> String {
    let policy = inputs.policy;
    let confirm = match inputs.confirm {
        Confirm::Auto => "Benchmarks flagged against the stored baseline were re-measured on this machine: the baseline's commit and this change ran alternately in rounds, and the median of the paired per-round ratios decided (rounds that straddled a change of the machine's speed left out; Wilcoxon signed-rank test, Holm-adjusted over the re-measured benchmarks).",
        Confirm::Always => "Every benchmark was re-measured on this machine: the baseline's commit and this change ran alternately in rounds, and the median of the paired per-round ratios decided (rounds that straddled a change of the machine's speed left out; Wilcoxon signed-rank test, Holm-adjusted over the re-measured benchmarks).",
        Confirm::Never => "Verdicts were decided against the stored baseline alone (--confirm=never).",
    };
    format!(
        "Change is the ratio of medians with a 95% distribution-free interval (Price-Bonett); a regression needs significance (Mann-Whitney U, Holm-adjusted over {} comparisons, alpha {}) and an effect above the threshold (default {:.1}%). {confirm} Policy: {}.",
        inputs.run.benchmarks.len(),
        policy.alpha,
        policy.threshold * 100.0,
        policy.origin
    )
}

/// A seed per benchmark id, so bootstrap intervals are reproducible.
fn seed_of(id: &str) -> u64 {
    id.bytes().fold(0x9e37_79b9_7f4a_7c15, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
