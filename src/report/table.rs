//! The terminal table (comfy-table): regressions first; id, baseline, current, change with
//! its interval, how it was measured, verdict. Past `ALL_ROWS_UP_TO` rows the `pass` rows are
//! counted rather than listed (every row stays in `compare.json`).

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table as Grid};
use perfgate_format::Comparison;

use super::{format_change, format_value, headline, how, terminal_text, Render};

pub struct Table;

/// Most rows the table lists in full. A larger comparison lists every row whose verdict is not
/// `pass` and says how many `pass` rows it left out: a terminal of 100,000 rows is read by
/// nobody, and laying it out costs more than the comparison.
pub const ALL_ROWS_UP_TO: usize = 1_000;

impl Render for Table {
    fn render(&self, comparison: &Comparison) -> String {
        let mut grid = Grid::new();
        grid.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header([
                "benchmark",
                "baseline",
                "current",
                "change [interval]",
                "how",
                "verdict",
            ]);
        let fold = comparison.entries.len() > ALL_ROWS_UP_TO;
        let shown = comparison
            .entries
            .iter()
            .filter(|e| !fold || e.verdict != perfgate_format::Verdict::Pass);
        for entry in shown {
            grid.add_row([
                Cell::new(terminal_text(&entry.id)),
                Cell::new(format_value(entry.baseline, &entry.unit)),
                Cell::new(format_value(entry.current, &entry.unit)),
                Cell::new(format_change(entry)),
                Cell::new(how(entry)),
                Cell::new(entry.verdict.as_str()),
            ]);
        }
        let mut out = format!("{grid}\n");
        if fold {
            let passed = comparison
                .entries
                .iter()
                .filter(|e| e.verdict == perfgate_format::Verdict::Pass)
                .count();
            out.push_str(&format!(
                "({passed} rows with verdict `pass` not listed: the comparison has more than {ALL_ROWS_UP_TO} rows; every row is in compare.json)\n"
            ));
        }
        out.push_str(&targets_and_curves(comparison));
        out.push_str(&format!("{}\n", headline(comparison)));
        for entry in comparison
            .entries
            .iter()
            .filter(|e| e.note.is_some() && e.verdict != perfgate_format::Verdict::Pass)
        {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                terminal_text(&entry.id),
                entry.verdict.as_str(),
                terminal_text(entry.note.as_deref().unwrap_or(""))
            ));
        }
        for warning in &comparison.warnings {
            out.push_str(&format!("warning: {}\n", terminal_text(warning)));
        }
        if let Some(cost) = super::cost_line(comparison) {
            out.push_str(&cost);
            out.push('\n');
        }
        if let Some(b) = &comparison.baseline {
            let chosen = b
                .chosen_by
                .as_ref()
                .map(|how| format!(", {}", terminal_text(how)))
                .unwrap_or_default();
            out.push_str(&format!(
                "baseline: {}{chosen} (measured at {} on {})\n",
                terminal_text(&b.location),
                terminal_text(&super::short_commit(b.provenance.commit.as_deref())),
                terminal_text(&b.provenance.machine.describe())
            ));
        }
        out
    }
}

/// The targets-vs-actuals table (where budgets apply) and one line per degradation curve.
fn targets_and_curves(comparison: &Comparison) -> String {
    let mut out = String::new();
    let targets = super::target_rows(comparison);
    if !targets.is_empty() {
        let mut table = Grid::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(["metric", "target", "actual", "margin", "status"]);
        for row in targets {
            table.add_row(row.map(|cell| Cell::new(terminal_text(&cell))));
        }
        out.push_str(&format!("targets vs actuals:\n{table}\n"));
    }
    for curve in super::curves::curves(comparison) {
        out.push_str(&format!(
            "degradation {} (chart: {}/{})\n",
            terminal_text(&super::curves::describe(&curve)),
            crate::artifacts::CURVES_DIR,
            super::curves::file_name(&curve)
        ));
    }
    out
}
