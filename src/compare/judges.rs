//! The judges: one small pure function per rule that turns numbers into a verdict and its
//! note. `compare` decides which judge sees which benchmark.

use perfgate_format::{
    Benchmark, BudgetCheck, Confirmation, Counts, Direction, Entry, Overall, Source, Verdict,
};

use crate::config::{Budget, BudgetOp, Confirm, Policy, Unconfirmed};
use crate::stats;

/// What an `unconfirmed` note ends with, by the base side's policy.
fn unconfirmed_outcome(policy: Unconfirmed) -> &'static str {
    match policy {
        Unconfirmed::Fail => "not a pass",
        Unconfirmed::Warn => "reported, not failed (`gate.unconfirmed = \"warn\"`)",
    }
}

/// Stage-one judgement of one benchmark against the stored baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stored {
    pub change: f64,
    pub low: f64,
    pub high: f64,
    /// Holm-adjusted over the run's comparisons.
    pub p: f64,
    /// Whether `change`, `low` and `high` are differences in points (a fraction) rather than
    /// relative changes.
    pub points: bool,
}

/// What a stored-only judgement needs to know besides the numbers.
#[derive(Debug, Clone, Copy)]
pub struct StoredContext<'a> {
    pub alpha: f64,
    pub confirm: Confirm,
    pub machine_differs: bool,
    pub source: Source,
    pub unavailable: Option<&'a str>,
    /// What the base side's policy does with a flag that could not be re-measured.
    pub unconfirmed: Unconfirmed,
}

type Judged = (Verdict, Option<String>);

/// The change in the "worse" direction: positive means slower (or less throughput).
fn worsening(change: f64, direction: Direction) -> f64 {
    match direction {
        Direction::LowerIsBetter => change,
        Direction::HigherIsBetter => -change,
    }
}

/// The interval `[low, high]` on a change, in the "worse" direction: `(least worse, most worse)`.
fn worse_bounds(low: f64, high: f64, direction: Direction) -> (f64, f64) {
    match direction {
        Direction::LowerIsBetter => (low, high),
        Direction::HigherIsBetter => (-high, -low),
    }
}

/// A slowdown that only some of the candidate's processes show (`stats::slow_share`, at the
/// confirmation's own level): the note that says so, or `None`.
fn slow_in_some_processes(
    confirmation: &Confirmation,
    threshold: f64,
    direction: Direction,
) -> Option<String> {
    if confirmation.points {
        return None;
    }
    let logs: Vec<f64> = confirmation.ratios.iter().map(|r| r.ln()).collect();
    let worse = stats::oriented(&logs, direction);
    let level = 1.0 - confirmation.confidence;
    let (share, tails) = stats::slow_share(&worse, threshold, level);
    (share == stats::Share::Slow).then(|| {
        format!(
            "slower beyond the threshold in {} of {} rounds and faster beyond it in {} (sign test p={:.1e}): a slow path in a share of processes, {:+.1}% per process on average",
            tails.slower,
            worse.len(),
            tails.faster,
            tails.p_value,
            tails.mean * 100.0
        )
    })
}

/// The verdict from a same-machine re-measurement (`p`, Holm-adjusted over the re-measured, is
/// reported in notes). `regressed` needs the whole interval beyond the threshold and both
/// halves of the rounds agreeing (`stats::side_of`, the confirm stage's stopping rule too);
/// `improved` the same on the other side; a pass needs the slower side ruled out.
pub fn judge_confirmed(
    stored: &Stored,
    confirmation: &Confirmation,
    p: f64,
    threshold: f64,
    direction: Direction,
) -> Judged {
    let read = stats::PairedRounds {
        change: confirmation.change,
        low: confirmation.change_low,
        high: confirmation.change_high,
        p_value: p,
        counted: confirmation.counted,
        halves: confirmation
            .halves
            .unwrap_or([confirmation.change, confirmation.change]),
    };
    let (worse, better) = match direction {
        Direction::LowerIsBetter => (stats::Side::Above, stats::Side::Below),
        Direction::HigherIsBetter => (stats::Side::Below, stats::Side::Above),
    };
    let flagged = worsening(stored.change, direction).abs() > threshold;
    let show = |v: f64| percent(v, stored.points);
    let stored_note = |outcome: &str| {
        format!(
            "the stored baseline showed {}; re-measured on this machine: {} [{}, {}] (p={:.3}), {outcome}",
            show(stored.change),
            show(confirmation.change),
            show(confirmation.change_low),
            show(confirmation.change_high),
            p
        )
    };
    let side = stats::side_of(&read, threshold);
    let (_, most_worse) = worse_bounds(read.low, read.high, direction);
    if side == worse {
        (Verdict::Regressed, None)
    } else if let Some(share) = slow_in_some_processes(confirmation, threshold, direction) {
        // The median is a fast process's when a minority of processes is slow: the tails
        // overturn a pass, but only with enough one-sided rounds that a loaded machine's few
        // far rounds (6 slow and none fast in 48, once) do not (`stats::slow_share`).
        (Verdict::Regressed, Some(stored_note(&share)))
    } else if side == better {
        (Verdict::Improved, None)
    } else if side == stats::Side::Inside {
        (
            Verdict::Pass,
            flagged.then(|| stored_note("not reproduced")),
        )
    } else if most_worse > threshold {
        (
            Verdict::Inconclusive,
            Some(stored_note(&format!(
                "too noisy to judge after {} rounds ({} counted; halves {} and {}): the interval does not clear the {} threshold; the smallest change these rounds resolve is about ±{}; not a pass: raise this benchmark's threshold, give the confirm stage more time (--confirm-budget), or gate it on a quieter runner (`cargo perfgate noise` measures what this machine resolves)",
                confirmation.rounds,
                confirmation.counted,
                show(read.halves[0]),
                show(read.halves[1]),
                show(threshold).trim_start_matches('+'),
                show((read.high - read.low) / 2.0).trim_start_matches('+')
            ))),
        )
    } else {
        (
            Verdict::Pass,
            Some(stored_note(
                "not slower beyond the threshold; not claimed as an improvement",
            )),
        )
    }
}

/// A change as the notes say it: `+3.1%`, `+2.0 pp` for a difference in points, or "up from
/// 0" where a baseline of 0 makes a relative change infinite.
pub fn percent(change: f64, points: bool) -> String {
    if points {
        format!("{:+.1} pp", change * 100.0)
    } else if change.is_infinite() {
        format!("{} from 0", if change > 0.0 { "up" } else { "down" })
    } else {
        format!("{:+.1}%", change * 100.0)
    }
}

/// `unconfirmed`: what the stored comparison showed, why it was not re-measured (`default` when
/// the context does not say) and what the base side's policy does with it.
fn unmeasured(shown: String, context: &StoredContext, default: &str) -> Judged {
    (
        Verdict::Unconfirmed,
        Some(format!(
            "{shown}: {}; {}",
            context.unavailable.unwrap_or(default),
            unconfirmed_outcome(context.unconfirmed)
        )),
    )
}

/// The verdict from the stored baseline alone, when nothing was re-measured. Where every
/// comparison is to be re-measured (`--confirm always`, and `auto` in a pull request), one that
/// was not is never a pass or an improvement on its stored samples alone: it is `unconfirmed`,
/// with the reason.
pub fn judge_stored(
    stored: &Stored,
    threshold: f64,
    direction: Direction,
    context: StoredContext,
) -> Judged {
    let judged = judge_stored_alone(stored, threshold, direction, &context);
    if context.confirm == Confirm::Always && matches!(judged.0, Verdict::Pass | Verdict::Improved) {
        return unmeasured(
            format!(
                "{} against the stored baseline; every comparison is re-measured here (a pull request, or --confirm always) and this one was not",
                percent(stored.change, stored.points)
            ),
            &context,
            "confirmation was not run",
        );
    }
    judged
}

/// (Over 80 lines: one verdict rule, a ladder read top to bottom.)
fn judge_stored_alone(
    stored: &Stored,
    threshold: f64,
    direction: Direction,
    context: &StoredContext,
) -> Judged {
    let worse = worsening(stored.change, direction);
    let significant = stored.p < context.alpha;
    let (least_worse, most_worse) = worse_bounds(stored.low, stored.high, direction);
    // Another machine's figures say nothing about this change here, in either direction: a
    // machine twice as fast reads a 1.8x slowdown as an improvement. Every such comparison is
    // re-measured against the baseline's build on this machine; one that was not is not a pass.
    if context.machine_differs {
        return unmeasured(
            format!(
                "{} against a baseline measured on another machine, which says nothing about this change here; not re-measured",
                percent(stored.change, stored.points)
            ),
            context,
            "confirmation was not run",
        );
    }
    if worse > threshold {
        if context.confirm == Confirm::Never {
            return if significant && least_worse > threshold {
                (
                    Verdict::Regressed,
                    Some("decided against the stored baseline alone (--confirm=never)".to_string()),
                )
            } else {
                (
                    Verdict::Unconfirmed,
                    Some(
                        "above the threshold, but the stored samples do not rule out a change within it"
                            .to_string(),
                    ),
                )
            };
        }
        return unmeasured(
            format!(
                "{} against the stored baseline, not re-measured",
                percent(stored.change, stored.points)
            ),
            context,
            "confirmation was not run",
        );
    }
    // The point is within the threshold but the stored samples reach beyond it: that is not a
    // measured pass. Re-measure it (the confirm stage decides), or say it was not.
    if most_worse > threshold && context.confirm != Confirm::Never {
        return unmeasured(
            format!(
                "{} against the stored baseline, but its interval reaches {}",
                percent(stored.change, stored.points),
                percent(worsening(most_worse, direction), stored.points)
            ),
            context,
            "not re-measured",
        );
    }
    if -worse > threshold && significant && most_worse < -threshold {
        return (Verdict::Improved, None);
    }
    if -worse > threshold {
        // A large change the stored samples cannot call an improvement is not a measured pass
        // either: a baseline that was measured slow (a loaded machine, a bad sample) reads a
        // real slowdown as a speed-up. Re-measure it, or say it was not.
        if context.confirm != Confirm::Never {
            return unmeasured(
                format!(
                    "{} against the stored baseline, too large a change to pass unmeasured and not clear enough to call an improvement",
                    percent(stored.change, stored.points)
                ),
                context,
                "not re-measured",
            );
        }
        return (
            Verdict::Pass,
            Some(format!(
                "{} against the stored baseline, not re-measured: not claimed as an improvement",
                percent(stored.change, stored.points)
            )),
        );
    }
    (Verdict::Pass, None)
}

/// The run's verdict, failing closed: `error` when there was nothing to compare (no baseline,
/// nothing measured), with any error entry, or with a flag that could not be re-measured;
/// `fail` with a regression or a broken budget; else `error` with a re-measurement that could
/// not decide or a baseline entry that was not measured at all (a confirmed regression says
/// more than those, so it decides the exit code when both are there); each of the three
/// undecided states only when the policy does not say to warn; else `pass`.
pub fn overall(counts: &Counts, comparable: bool, policy: &Policy) -> Overall {
    let unmeasured = counts.unconfirmed > 0 && policy.unconfirmed == Unconfirmed::Fail;
    let undecided = (counts.missing > 0 && policy.missing == Unconfirmed::Fail)
        || (counts.inconclusive > 0 && policy.inconclusive == Unconfirmed::Fail);
    if !comparable || counts.error > 0 || unmeasured {
        Overall::Error
    } else if counts.regressed + counts.budget_fail > 0 {
        Overall::Fail
    } else if undecided {
        Overall::Error
    } else {
        Overall::Pass
    }
}

/// A broken budget turns any verdict but `error` into `budget-fail`. A leak the harness's
/// slope test found fails by default: its metric needs no budget written.
pub(super) fn apply_budgets(entry: &mut Entry, current: &Benchmark, policy: &Policy) {
    if entry.verdict == Verdict::Error {
        return;
    }
    let mut budgets = policy.budgets_for(&current.id).peekable();
    let leak_bound = current.source == Source::Stability
        && current
            .id
            .rsplit('/')
            .next()
            .is_some_and(|m| m == perfgate_format::LEAK_BOUND_METRIC);
    if budgets.peek().is_none() && leak_bound && current.summary.median > 0.0 {
        entry.verdict = Verdict::BudgetFail;
        entry.note = Some(format!(
            "leak: live heap grows by at least {:.3} B per operation (the lower end of the slope's 95% interval is above zero); fix the leak, or write a budget for this metric to tolerate it",
            current.summary.median
        ));
        return;
    }
    let (fitting, misfits): (Vec<_>, Vec<_>) = budgets.partition(|b| b.fits(&current.unit));
    if let Some(misfit) = misfits.first() {
        // A budget that cannot describe the metric cannot be checked: not a pass.
        entry.verdict = Verdict::Error;
        entry.note = Some(format!(
            "budget `{}` = \"{}\" is in another unit than this metric ({}): fix the budget in perfgate.toml",
            misfit.pattern.as_str(),
            misfit.text,
            current.unit
        ));
        return;
    }
    let value = current.summary.median;
    // The current median's own 95% interval, where its samples give one.
    let interval = (current.samples.len() >= super::MIN_SAMPLES_FOR_INTERVAL)
        .then(|| stats::median_interval(&current.samples))
        .filter(|(low, high)| low.is_finite() && high.is_finite());
    entry.budgets = fitting
        .iter()
        .map(|b| check_budget(b, value, interval, &current.unit))
        .collect();
    let with = |status: &str| {
        entry
            .budgets
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.note.clone().unwrap_or_else(|| c.target.clone()))
            .collect::<Vec<_>>()
    };
    let (broken, warned) = (with("fail"), with("warn"));
    if !broken.is_empty() {
        entry.verdict = Verdict::BudgetFail;
        entry.note = Some(format!("over budget: {}", broken.join(", ")));
    } else if !warned.is_empty()
        && matches!(
            entry.verdict,
            Verdict::Pass | Verdict::Improved | Verdict::New
        )
    {
        entry.verdict = Verdict::Warn;
        entry.note = Some(format!("warn: {}", warned.join("; ")));
    }
}

/// One budget against a value: `fail` over the limit; `warn` past the warn level, or within the
/// limit by less than the value's own interval (its slower end breaks the limit); else `pass`.
fn check_budget(
    budget: &Budget,
    value: f64,
    interval: Option<(f64, f64)>,
    unit: &str,
) -> BudgetCheck {
    let show = |v: f64| crate::text::format_value(Some(v), unit);
    let worse_end = interval.map(|(low, high)| match budget.op {
        BudgetOp::Below => high,
        BudgetOp::Above => low,
    });
    let (status, note) = if !budget.holds(value) {
        (
            "fail",
            Some(format!("{} (actual {})", budget.text, show(value))),
        )
    } else if let Some(level) = budget
        .warn
        .as_ref()
        .filter(|w| !budget.keeps(w.limit, value))
    {
        (
            "warn",
            Some(format!(
                "past the warn level {} (actual {}, budget {})",
                level.text,
                show(value),
                budget.text
            )),
        )
    } else if let Some(end) = worse_end.filter(|end| !budget.holds(*end)) {
        (
            "warn",
            Some(format!(
                "within {} by less than its noise (actual {}, 95% interval reaching {})",
                budget.text,
                show(value),
                show(end)
            )),
        )
    } else {
        ("pass", None)
    };
    BudgetCheck {
        target: budget.text.clone(),
        warn_at: budget.warn.as_ref().map(|w| w.text.clone()),
        limit: budget.limit,
        actual: value,
        margin: budget.margin(value),
        status: status.to_string(),
        note,
    }
}
