//! Results + baseline + policy → verdicts. A pure function: the confirm stage's re-measurements
//! come in as data, so the same inputs always give the same `compare.json`. This file pairs the
//! run with the baseline and assembles the comparison; each rule is a small judge in `judges`
//! (re-measured, stored-only, budgets, the overall verdict), and its words (warnings, the
//! method line) in `words`; entries with one side only (`new`, `missing`, `identical`) in
//! `one_side`; likely renames and an acceptance of `missing` in `renames`; a time's instruction
//! count beside it in `signals`; what it is given is `inputs::Inputs`; `to_confirm` says what
//! the confirm stage should re-measure.

mod inputs;
mod judges;
mod one_side;
mod renames;
mod signals;
mod words;

pub use inputs::Inputs;
use judges::apply_budgets;
pub use judges::{judge_confirmed, judge_stored, overall, Stored, StoredContext};
use one_side::{lone_entry, new_entries, unmeasured_entries};
use words::{method_text, warnings_of};

use std::collections::BTreeMap;

use perfgate_format::{
    Acceptance, Benchmark, Comparison, Confirmation, Counts, Entry, Method, Verdict, COMPARE_SCHEMA,
};

use crate::artifacts::MAX_WIDENING;
use crate::config::Confirm;
use crate::release::TOOL_VERSION;
use crate::stats;

/// The benchmarks the confirm stage re-measures after the stored comparison: under `auto`,
/// those it flags as regressions or improvements (a stored number alone should not claim
/// either); under `always`, every benchmark with both sides; under `never`, none.
pub fn to_confirm(first: &Comparison, mode: Confirm) -> Vec<String> {
    let wanted = |e: &&Entry| match mode {
        Confirm::Never => false,
        Confirm::Always => {
            e.baseline.is_some() && e.current.is_some() && e.method != Method::Identical
        }
        Confirm::Auto => {
            e.method == Method::Stored
                && matches!(
                    e.verdict,
                    Verdict::Unconfirmed
                        | Verdict::Regressed
                        | Verdict::Inconclusive
                        | Verdict::Improved
                )
        }
    };
    first
        .entries
        .iter()
        .filter(wanted)
        .map(|e| e.id.clone())
        .collect()
}

/// The threshold a benchmark is judged against: the policy's, or this machine's noise floor
/// when that is wider (then with the note that says so).
fn threshold_of(inputs: &Inputs, current: &Benchmark) -> (f64, Option<String>) {
    let configured = configured_threshold(inputs, current);
    match inputs.floors.get(&current.id) {
        Some(&floor) if floor > configured => {
            let bound = configured * MAX_WIDENING;
            let widened = floor.min(bound);
            let capped = if floor > bound {
                format!(" (capped at {MAX_WIDENING}x the configured threshold)")
            } else {
                String::new()
            };
            (
                widened,
                Some(format!(
                    "threshold widened from {:.1}% to {:.1}%{capped}: this machine's A/A noise for this benchmark (`cargo perfgate noise`) is ±{:.1}%",
                    configured * 100.0,
                    widened * 100.0,
                    floor * 100.0
                )),
            )
        }
        _ => (configured, None),
    }
}

/// The policy's threshold for a benchmark; in a drift run, the cumulative drift threshold when
/// that is wider (drift is measured over many changes, each allowed its own threshold).
fn configured_threshold(inputs: &Inputs, b: &Benchmark) -> f64 {
    let per_change = inputs.policy.threshold_of(b);
    match inputs.drift {
        Some(drift) => per_change.max(drift.threshold),
        None => per_change,
    }
}

/// Fewest samples on each side for an interval on the change: below it, a row shows the change
/// of its figures alone (a single-run figure has no interval to show).
pub(crate) const MIN_SAMPLES_FOR_INTERVAL: usize = 5;

/// Stage one for every pair: the relative change of medians with its interval where both sides
/// have the samples for one, and Mann–Whitney p Holm-adjusted over all of them.
fn stage_one(paired: &[(&Benchmark, &Benchmark)]) -> Vec<Stored> {
    let raw: Vec<(f64, f64, f64, f64)> = paired
        .iter()
        .map(|(b, c)| {
            let enough = b.samples.len().min(c.samples.len()) >= MIN_SAMPLES_FOR_INTERVAL;
            if c.kind().in_points() {
                // A fraction's change is the difference of its medians, in points.
                let (low, high) = if enough {
                    stats::median_difference_interval(&b.samples, &c.samples)
                } else {
                    (f64::NAN, f64::NAN)
                };
                return (
                    stats::median(&c.samples) - stats::median(&b.samples),
                    low,
                    high,
                    stats::mann_whitney_p(&b.samples, &c.samples),
                );
            }
            let (low, high) = if enough {
                stats::median_change_interval(&b.samples, &c.samples, seed_of(&c.id))
            } else {
                (f64::NAN, f64::NAN)
            };
            (
                stats::relative_change(&b.samples, &c.samples),
                low,
                high,
                stats::mann_whitney_p(&b.samples, &c.samples),
            )
        })
        .collect();
    let adjusted = stats::holm_adjust(&raw.iter().map(|r| r.3).collect::<Vec<_>>());
    raw.iter()
        .zip(adjusted)
        .zip(paired)
        .map(|((&(change, low, high, _), p), (_, c))| Stored {
            change,
            low,
            high,
            p,
            points: c.kind().in_points(),
        })
        .collect()
}

/// One benchmark measured on both sides.
/// (Over 80 lines: a pair's entry filled in the order its row reads: figures, verdict, notes,
/// budgets.)
fn judge_pair(
    inputs: &Inputs,
    baseline: &Benchmark,
    current: &Benchmark,
    stored: &Stored,
    confirmed_p: &BTreeMap<&str, f64>,
) -> Entry {
    if let Some(changed) = unit_change(baseline, current) {
        // Not a comparison: numbers of two kinds have no ratio worth gating on.
        let mut entry = lone_entry(current, Verdict::Error, inputs.policy);
        entry.current = Some(current.summary.median);
        entry.note = Some(format!(
            "{changed} between the baseline and this run: not compared; refresh the baseline (`cargo perfgate baseline save`) once the change is intended"
        ));
        return entry;
    }
    let (threshold, widened) = threshold_of(inputs, current);
    let mut entry = lone_entry(current, Verdict::Pass, inputs.policy);
    entry.threshold = threshold;
    entry.baseline = Some(baseline.summary.median);
    entry.current = Some(current.summary.median);
    show_stored(&mut entry, stored, baseline, current);
    (entry.verdict, entry.note) = match inputs.confirmations.get(&current.id) {
        Some(confirmation) => {
            let p = confirmed_p.get(current.id.as_str()).copied().unwrap_or(1.0);
            show_confirmed(
                &mut entry,
                confirmation,
                stored.points,
                p,
                baseline,
                current,
            );
            judge_confirmed(stored, confirmation, p, threshold, current.direction)
        }
        None => judge_stored(
            stored,
            threshold,
            current.direction,
            StoredContext {
                alpha: inputs.policy.alpha,
                confirm: inputs.confirm,
                machine_differs: machine_differs(inputs),
                source: current.source,
                unavailable: inputs
                    .confirm_failures
                    .get(&current.id)
                    .or(inputs.confirm_unavailable.as_ref())
                    .map(String::as_str),
                unconfirmed: inputs.policy.unconfirmed,
            },
        ),
    };
    if let Some(confirmation) = inputs.confirmations.get(&current.id) {
        show_as_users_run(&mut entry, confirmation, threshold);
    }
    if let Some(widened) = widened {
        append_note(&mut entry, widened);
    }
    if let (Verdict::Regressed, Some(acceptance)) = (entry.verdict, inputs.acceptance) {
        entry.verdict = Verdict::Accepted;
        append_note(
            &mut entry,
            format!("regressed, accepted with {}", accepted_by(acceptance)),
        );
    }
    let decided = if stored.points {
        entry.difference
    } else {
        entry.change
    };
    if let (Some(drift), Some(change)) = (inputs.drift, decided) {
        append_note(
            &mut entry,
            format!(
                "{} over {} commit(s) since baseline {}",
                judges::percent(change, stored.points),
                drift.commits,
                short_commit(&drift.since)
            ),
        );
    }
    let judged_on = budgeted(current, &entry);
    apply_budgets(&mut entry, &judged_on, inputs.policy);
    entry
}

/// A finite number, or none: JSON has no infinity (a change from a baseline of 0 is empty).
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// An entry's figures from the stored comparison: its change (in points for a fraction, beside
/// the relative change) with its interval, and the stored test's p-value.
fn show_stored(entry: &mut Entry, stored: &Stored, baseline: &Benchmark, current: &Benchmark) {
    if stored.points {
        entry.difference = finite(stored.change);
        entry.difference_low = finite(stored.low);
        entry.difference_high = finite(stored.high);
        entry.change = finite(stats::relative_change(&baseline.samples, &current.samples));
    } else {
        entry.change = finite(stored.change);
        entry.change_low = finite(stored.low);
        entry.change_high = finite(stored.high);
    }
    entry.p_value = Some(stored.p);
}

/// An entry's figures from its re-measurement, over the stored ones: the re-measured change and
/// interval, its p-value, and the re-measured medians in the row (where their ratio is not the
/// change, `report::how` says so), the stored medians kept in the JSON.
fn show_confirmed(
    entry: &mut Entry,
    confirmation: &Confirmation,
    points: bool,
    p: f64,
    baseline: &Benchmark,
    current: &Benchmark,
) {
    entry.method = Method::Confirmed;
    if points {
        entry.difference = Some(confirmation.change);
        entry.difference_low = Some(confirmation.change_low);
        entry.difference_high = Some(confirmation.change_high);
        entry.change = confirmation
            .medians
            .and_then(|[base, cand]| finite(cand / base - 1.0));
    } else {
        entry.change = Some(confirmation.change);
        entry.change_low = Some(confirmation.change_low);
        entry.change_high = Some(confirmation.change_high);
    }
    entry.p_value = Some(p);
    let mut kept = confirmation.clone();
    if let Some([base, cand]) = confirmation.medians {
        kept.stored_medians = Some([baseline.summary.median, current.summary.median]);
        entry.baseline = Some(base);
        entry.current = Some(cand);
    }
    entry.confirmation = Some(kept);
}

/// A re-measured entry whose runs as users run it (`cargo bench`, after the rounds) read it
/// slower than the rounds allow in every pair (`stats::slower_as_users_run`): `regressed`, its
/// row the pairs' figures (median of each side, median of the pairs' changes, no interval:
/// three single runs a side give none), the rounds' reading in the note.
fn show_as_users_run(entry: &mut Entry, confirmation: &Confirmation, threshold: f64) {
    let pairs = &confirmation.as_users_run;
    if entry.verdict == Verdict::Regressed
        || !stats::slower_as_users_run(pairs, confirmation.change_high, threshold)
    {
        return;
    }
    let side = |i: usize| stats::median(&pairs.iter().map(|p| p[i]).collect::<Vec<_>>());
    let change = stats::median(&pairs.iter().map(|[b, c]| c / b - 1.0).collect::<Vec<_>>());
    entry.verdict = Verdict::Regressed;
    entry.baseline = Some(side(0));
    entry.current = Some(side(1));
    entry.change = Some(change);
    entry.change_low = None;
    entry.change_high = None;
    entry.p_value = None;
    entry.note = Some(format!(
        "slower as `cargo bench` runs it than under the gate's probes: {} (median of {} pairs of runs with its own settings, the candidate through cargo in its checkout, each beyond the rounds' upper bound by more than the threshold) against {} [{}, {}] in {} rounds; code that runs differently when the gate measures it is not a pass — find what in it tells the two apart",
        judges::percent(change, false),
        pairs.len(),
        judges::percent(confirmation.change, false),
        judges::percent(confirmation.change_low, false),
        judges::percent(confirmation.change_high, false),
        confirmation.rounds,
    ));
}

/// The figures a benchmark's budgets are judged on: the candidate side of its rounds where it
/// was re-measured (one figure per round, so the budget sees the re-measured median and its
/// interval, as the threshold does), else the run's own. The stored single run only decides
/// what to re-measure.
fn budgeted(current: &Benchmark, entry: &Entry) -> Benchmark {
    match &entry.confirmation {
        Some(c)
            if !c.candidate_rounds.is_empty()
                && c.candidate_rounds.iter().all(|v| v.is_finite()) =>
        {
            Benchmark {
                summary: perfgate_format::Summary::of(&c.candidate_rounds),
                samples: c.candidate_rounds.clone(),
                ..current.clone()
            }
        }
        _ => current.clone(),
    }
}

/// Adds a sentence before an entry's note.
fn append_note(entry: &mut Entry, sentence: String) {
    entry.note = Some(match entry.note.take() {
        Some(note) => format!("{sentence}; {note}"),
        None => sentence,
    });
}

/// `the label `perfgate:accept` added by @alice on #12`, with what the event says.
pub(crate) fn accepted_by(acceptance: &Acceptance) -> String {
    format!(
        "the label `{}`{}{}{}",
        acceptance.label,
        acceptance
            .by
            .as_deref()
            .map(|by| format!(" added by @{by}"))
            .unwrap_or_default(),
        acceptance
            .pull_request
            .map(|n| format!(" on #{n}"))
            .unwrap_or_default(),
        acceptance
            .head_sha
            .as_deref()
            .map(|sha| format!(" for commit {}", perfgate_format::short_commit(sha)))
            .unwrap_or_default()
    )
}

pub(super) use perfgate_format::short_commit;

pub(super) fn machine_differs(inputs: &Inputs) -> bool {
    inputs
        .baseline_ref
        .as_ref()
        .is_some_and(|b| b.machine_differs)
}

/// What changed in what a benchmark measures, when its unit or its kind differs between the
/// baseline and the run (`ns` → `cycles`, a duration → a fraction).
fn unit_change(baseline: &Benchmark, current: &Benchmark) -> Option<String> {
    if baseline.unit != current.unit {
        return Some(format!(
            "the unit changed from `{}` to `{}`",
            baseline.unit, current.unit
        ));
    }
    match (baseline.kind, current.kind) {
        (Some(was), Some(now)) if was != now => Some(format!(
            "the kind changed from {} to {}",
            serde_json::to_string(&was).unwrap_or_default(),
            serde_json::to_string(&now).unwrap_or_default()
        )),
        _ => None,
    }
}

/// The baseline entry a run's benchmark is the same benchmark as: the one with its id, else
/// the one its target names alike once a collision prefixed either id with
/// `package::target::` (a second target naming a benchmark alike must never orphan the
/// entry that was there before).
fn baseline_of<'a>(
    current: &Benchmark,
    baseline_by_id: &BTreeMap<&str, &'a Benchmark>,
) -> Option<&'a Benchmark> {
    baseline_entry(
        &current.id,
        (&current.package, &current.target),
        baseline_by_id,
    )
}

/// [`baseline_of`] for a benchmark known by its id in the run and its target.
pub(crate) fn baseline_entry<'a>(
    id: &str,
    (package, target): (&str, &str),
    baseline_by_id: &BTreeMap<&str, &'a Benchmark>,
) -> Option<&'a Benchmark> {
    if let Some(found) = baseline_by_id.get(id) {
        return Some(*found);
    }
    let own = perfgate_format::own_id(id, package, target);
    let other_form = if own == id {
        perfgate_format::qualified_id(package, target, own)
    } else {
        own.to_string()
    };
    baseline_by_id
        .get(other_form.as_str())
        .filter(|b| b.package == package && b.target == target)
        .copied()
}

/// Compares a run with a baseline under a policy.
pub fn compare(inputs: &Inputs) -> Comparison {
    let baseline_by_id: BTreeMap<&str, &Benchmark> = inputs
        .baseline
        .map(|b| b.benchmarks.iter().map(|x| (x.id.as_str(), x)).collect())
        .unwrap_or_default();
    let paired: Vec<(&Benchmark, &Benchmark)> = inputs
        .run
        .benchmarks
        .iter()
        .filter_map(|c| baseline_of(c, &baseline_by_id).map(|b| (b, c)))
        .collect();
    let stored = stage_one(&paired);
    let confirmed_p: BTreeMap<&str, f64> = inputs
        .confirmations
        .keys()
        .map(String::as_str)
        .zip(stats::holm_adjust(
            &inputs
                .confirmations
                .values()
                .map(|c| c.p_value)
                .collect::<Vec<_>>(),
        ))
        .collect();
    let mut entries: Vec<Entry> = paired
        .iter()
        .zip(&stored)
        .map(|((b, c), s)| {
            let mut entry = judge_pair(inputs, b, c, s, &confirmed_p);
            if b.id != c.id {
                append_note(
                    &mut entry,
                    format!(
                        "compared with the baseline's `{}`: the same benchmark of {}/{}, one id prefixed because another target names a benchmark alike",
                        b.id, c.package, c.target
                    ),
                );
            }
            entry
        })
        .collect();
    entries.extend(new_entries(inputs, &baseline_by_id));
    entries.extend(unmeasured_entries(inputs, &paired));
    let acknowledged = renames::read(&mut entries, inputs.acceptance);
    signals::pair(&mut entries, &inputs.policy.signals);
    entries.sort_by(|a, b| a.verdict.cmp(&b.verdict).then_with(|| a.id.cmp(&b.id)));
    let counts = count(&entries);
    // Benchmarks set aside as unchanged by construction were judged, not lost.
    let nothing_measured = inputs.run.benchmarks.is_empty() && inputs.run.identical.is_empty();
    let unmatched = unmatched_budgets(inputs);
    let warnings = warnings_of(inputs, &counts, nothing_measured, &unmatched, acknowledged);
    Comparison {
        schema: COMPARE_SCHEMA.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        verdict: overall(
            &counts,
            inputs.baseline.is_some() && !nothing_measured && unmatched.is_empty(),
            inputs.policy,
        ),
        counts,
        baseline: inputs.baseline_ref.clone(),
        current_git: inputs.run.git.clone(),
        machine: inputs.run.machine.clone(),
        method: method_text(inputs),
        warnings,
        entries,
        cost: None,
        acceptance: inputs.acceptance.cloned(),
        drift: inputs.drift.cloned(),
    }
}

/// Budgets whose pattern names no benchmark of the run or of its baseline: a typo that would
/// drop a budget without a word, so the comparison cannot pass while one is there.
fn unmatched_budgets<'a>(inputs: &Inputs<'a>) -> Vec<&'a crate::config::Budget> {
    let known = |budget: &crate::config::Budget| {
        inputs
            .run
            .benchmarks
            .iter()
            .chain(
                inputs
                    .baseline
                    .map(|b| b.benchmarks.as_slice())
                    .unwrap_or_default(),
            )
            .any(|b| budget.pattern.matches(&b.id))
    };
    inputs.policy.budgets.iter().filter(|b| !known(b)).collect()
}

/// How many baseline entries this run was meant to measure.
pub(super) fn expected_in_scope(inputs: &Inputs) -> usize {
    inputs.baseline.map_or(0, |b| {
        b.benchmarks.iter().filter(|x| (inputs.in_scope)(x)).count()
    })
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
            Verdict::Accepted => &mut counts.accepted,
            Verdict::Warn => &mut counts.warn,
            Verdict::Improved => &mut counts.improved,
            Verdict::New => &mut counts.new,
            Verdict::Missing => &mut counts.missing,
            Verdict::Error => &mut counts.error,
        } += 1;
    }
    counts
}

/// A seed per benchmark id, so bootstrap intervals are reproducible.
fn seed_of(id: &str) -> u64 {
    stats::fnv1a(id, 0x9e37_79b9_7f4a_7c15)
}
