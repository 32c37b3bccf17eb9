//! Renders a `Comparison` for people and machines: one file per format behind `Render`.
//! The markdown renderer makes both the PR comment and the job summary, so they cannot drift.

pub mod baseline_log;
pub mod curves;
pub mod history;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod noise;
pub mod table;

use perfgate_format::{Comparison, Entry};

pub(crate) use crate::text::short_commit;
pub(crate) use crate::text::{format_value, terminal_text};

/// One output format of a comparison.
pub trait Render {
    fn render(&self, comparison: &Comparison) -> String;
}

/// `+3.1% [+1.2%, +5.0%]`: the change the verdict was decided on, with its interval where one
/// was measured (a single-run figure has none): 95% for a stored comparison, 1 - alpha over the
/// number re-measured for a re-measured one (`confirmation.confidence`). A fraction's change is
/// its difference in points: `+2.0 pp [+1.1 pp, +2.9 pp]`.
pub fn format_change(entry: &Entry) -> String {
    let (change, low, high, suffix) = match entry.difference {
        Some(d) => (Some(d), entry.difference_low, entry.difference_high, " pp"),
        None => (entry.change, entry.change_low, entry.change_high, "%"),
    };
    let show = |v: f64| format!("{:+.1}{suffix}", v * 100.0);
    match (change, low, high) {
        (Some(c), Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => {
            format!("{} [{}, {}]", show(c), show(lo), show(hi))
        }
        (Some(c), _, _) => show(c),
        _ => "—".to_string(),
    }
}

/// How the row's change was measured: re-measured on this machine (with its rounds; a
/// stability suite in its quick mode), against the stored samples, or from single-run figures
/// (no interval); or not at all, its executable being the baseline's own.
pub fn how(entry: &Entry) -> String {
    let decided = entry.difference.or(entry.change);
    let interval = entry.difference_low.or(entry.change_low);
    if entry.method == perfgate_format::Method::Identical {
        return "identical executable".to_string();
    }
    let paired = if columns_disagree(entry) {
        " (the change is the median of the rounds' paired ratios, not the columns' ratio)"
    } else {
        ""
    };
    let method = match (&entry.confirmation, decided, interval) {
        (Some(c), _, _) if c.quick => {
            format!("re-measured, {} quick-suite rounds{paired}", c.rounds)
        }
        (Some(c), _, _) if !c.as_users_run.is_empty() => {
            let pairs: Vec<String> = c
                .as_users_run
                .iter()
                .map(|[b, cand]| format!("{:+.1}%", (cand / b - 1.0) * 100.0))
                .collect();
            // A row decided by these pairs shows their figures, not the rounds': the rule
            // held, and `compare` put the pairs' figures (no interval) in the row rather than
            // keep a verdict the rounds had already made.
            let decided_by_pairs =
                crate::stats::slower_as_users_run(&c.as_users_run, c.change_high, entry.threshold)
                    && entry.change_low.is_none();
            let (paired, pairs_decided) = if decided_by_pairs {
                ("", " (the row: these pairs' medians)")
            } else {
                (paired, "")
            };
            format!(
                "re-measured, {} rounds{paired}; as `cargo bench` runs it: {}{pairs_decided}",
                c.rounds,
                pairs.join(", ")
            )
        }
        (Some(c), _, _) => format!("re-measured, {} rounds{paired}", c.rounds),
        (None, Some(_), Some(_)) => "stored".to_string(),
        (None, Some(_), None) => "single run".to_string(),
        (None, None, _) => "—".to_string(),
    };
    // A time's instruction count (its own row judges it) beside it.
    match &entry.instructions {
        Some(count) => match count.change {
            Some(change) => format!("{method}; instructions {:+.1}%", change * 100.0),
            None => format!("{method}; instructions —"),
        },
        None => method,
    }
}

/// Whether a re-measured row's baseline and current columns (each side's median over the
/// rounds) say another change than the row's (the median of the rounds' paired ratios; in
/// points, of their differences) by more than the last digit shown (0.1%, 0.1 pp): then the
/// row says so rather than letting the numbers disagree silently.
pub(crate) fn columns_disagree(entry: &Entry) -> bool {
    let (Some(_), Some(base), Some(current)) = (&entry.confirmation, entry.baseline, entry.current)
    else {
        return false;
    };
    let (shown, columns) = match entry.difference {
        Some(d) => (d, current - base),
        None => match entry.change {
            Some(c) if base != 0.0 => (c, current / base - 1.0),
            _ => return false,
        },
    };
    columns.is_finite() && (shown - columns).abs() >= 0.0005
}

/// Targets vs actuals: one row per budget of every metric that has one, as
/// `[metric, target (warn level), actual, margin, status]`.
pub(crate) fn target_rows(comparison: &Comparison) -> Vec<[String; 5]> {
    comparison
        .entries
        .iter()
        .flat_map(|e| {
            e.budgets.iter().map(move |b| {
                [
                    e.id.clone(),
                    match &b.warn_at {
                        Some(w) => format!("{} (warn {w})", b.target),
                        None => b.target.clone(),
                    },
                    format_value(Some(b.actual), &e.unit),
                    format!("{:+.0}%", b.margin * 100.0),
                    b.status.clone(),
                ]
            })
        })
        .collect()
}

/// Where the run's time went, in one line (`None` when the comparison did not measure).
pub(crate) fn cost_line(comparison: &Comparison) -> Option<String> {
    let c = comparison.cost.as_ref()?;
    let confirm = if c.confirmed == 0 {
        "nothing re-measured".to_string()
    } else {
        format!(
            "baseline side built in {:.1} s; {} benchmark(s) re-measured in {} rounds, {:.1} s",
            c.baseline_build_seconds, c.confirmed, c.rounds, c.confirm_seconds
        )
    };
    Some(format!(
        "cost: measured in {:.1} s (build included); {confirm}; total {:.1} s",
        c.measure_seconds, c.total_seconds
    ))
}

/// Values as a line of eight-level blocks, lowest to highest: `▁▂▅█`.
pub(crate) fn sparkline(values: &[f64]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (low, high) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    values
        .iter()
        .map(|v| {
            if !v.is_finite() {
                ' '
            } else if high > low {
                BLOCKS[(((v - low) / (high - low)) * 7.0).round() as usize]
            } else {
                BLOCKS[0]
            }
        })
        .collect()
}

/// The one-line headline: overall verdict and counts.
pub fn headline(comparison: &Comparison) -> String {
    let c = &comparison.counts;
    let mut parts = Vec::new();
    for (n, word) in [
        (c.regressed, "regressed"),
        (c.budget_fail, "over budget"),
        (c.error, "error"),
        (c.unconfirmed, "unconfirmed"),
        (c.inconclusive, "inconclusive"),
        (c.accepted, "accepted"),
        (c.warn, "warn"),
        (c.missing, "missing"),
        (c.new, "new"),
        (c.improved, "improved"),
        (c.pass, "pass"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let drift = comparison
        .drift
        .as_ref()
        .map(|d| {
            format!(
                " — drift since baseline {} over {} commit(s)",
                short_commit(Some(&d.since)),
                d.commits
            )
        })
        .unwrap_or_default();
    format!(
        "perfgate: {}{drift} — {} benchmarks: {}",
        comparison.verdict.as_str().to_uppercase(),
        c.total,
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    )
}
