//! The history command's text (`cargo perfgate history`): the per-commit table of medians,
//! newest first, and one line per benchmark saying where it moved (or that it did not).

use perfgate_format::Series;

use super::baseline_log::day_of;
use super::{format_value, terminal_text};
use crate::history::{self, Commit};
use crate::stats;

/// Newest first: commit, date, subject, then each benchmark's median.
pub(crate) fn table(recorded: &[&Commit], series: &[Series]) -> String {
    let mut grid = comfy_table::Table::new();
    grid.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec![
        "commit".to_string(),
        "date".to_string(),
        "subject".to_string(),
    ];
    header.extend(series.iter().map(|s| terminal_text(&s.id)));
    grid.set_header(header);
    for c in recorded.iter().rev() {
        let subject: String = terminal_text(&c.subject).chars().take(40).collect();
        let mut row = vec![
            crate::baseline::git::short(c.commit),
            day_of(c.time),
            subject,
        ];
        row.extend(
            series
                .iter()
                .map(|s| format_value(history::value_at(c, &s.id), &s.unit)),
        );
        grid.add_row(row);
    }
    grid.to_string()
}

/// `work/2000: moved +15.2% [+9.8%, +20.9%] at abc1234 "subject" (p=0.002 over 20 commits)`.
pub(crate) fn moved_line(s: &Series, recorded: usize) -> String {
    let id = terminal_text(&s.id);
    let Some(m) = &s.change_point else {
        return format!(
            "{id}: {} commit(s) recorded; a change point needs at least {}",
            s.points.len(),
            2 * stats::MIN_SEGMENT
        );
    };
    let interval = match (m.change_low, m.change_high) {
        (Some(l), Some(h)) => format!(" [{:+.1}%, {:+.1}%]", l * 100.0, h * 100.0),
        _ => String::new(),
    };
    let at = format!(
        "{} \"{}\"",
        perfgate_format::short_commit(&m.commit),
        terminal_text(&m.subject)
    );
    if m.significant {
        format!(
            "{id}: moved {:+.1}%{interval} at {at} (change point p={:.3} over {} of {recorded} recorded commits)",
            m.change * 100.0,
            m.p_value,
            s.points.len()
        )
    } else {
        format!(
            "{id}: no change point (the best split, at {at}, is {:+.1}%{interval} with p={:.3} over {} commits)",
            m.change * 100.0,
            m.p_value,
            s.points.len()
        )
    }
}
