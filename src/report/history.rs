//! The history command's text (`cargo perfgate history`): the per-commit table of medians,
//! newest first, and one line per benchmark saying where it moved (or that it did not).

use perfgate_format::Series;

use super::baseline_log::day_of;
use super::{format_value, terminal_text};
use crate::stats;

/// One recorded commit as a row of the table: its id, committer time and subject.
pub(crate) struct Row<'a> {
    pub commit: String,
    pub time: i64,
    pub subject: &'a str,
}

/// Newest first (`rows` oldest first): commit, date, subject, then each benchmark's median at
/// that commit, from its series.
pub(crate) fn table(rows: &[Row], series: &[Series]) -> String {
    let mut grid = comfy_table::Table::new();
    grid.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec![
        "commit".to_string(),
        "date".to_string(),
        "subject".to_string(),
    ];
    header.extend(series.iter().map(|s| terminal_text(&s.id)));
    grid.set_header(header);
    for row in rows.iter().rev() {
        let subject: String = terminal_text(row.subject).chars().take(40).collect();
        let mut cells = vec![
            perfgate_format::short_commit(&row.commit).to_string(),
            day_of(row.time),
            subject,
        ];
        cells.extend(series.iter().map(|s| {
            let at = s.points.iter().find(|(c, _)| *c == row.commit);
            format_value(at.map(|(_, v)| *v), &s.unit)
        }));
        grid.add_row(cells);
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
