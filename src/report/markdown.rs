//! Markdown for the sticky PR comment and the job summary: verdict first, failures first,
//! the rest folded, always under a size limit by summarising. Benchmark names are made inert.

use perfgate_format::{Comparison, Entry, Overall, Verdict};

use super::{format_change, format_value, headline, how, Render};

/// Hidden marker the sticky comment is found again by.
pub(crate) const MARKER: &str = "<!-- cargo-perfgate:sticky-comment -->";
/// GitHub rejects comment bodies over 65,536 characters; keep a margin.
pub const COMMENT_LIMIT: usize = 60_000;
/// `GITHUB_STEP_SUMMARY` is capped at 1 MiB per step.
pub(crate) const SUMMARY_LIMIT: usize = 1_000_000;

/// Most warnings shown, and most characters of one warning or note.
const MAX_WARNINGS: usize = 20;
const MAX_TEXT: usize = 1_000;
/// Most characters of one name from outside: a benchmark id, a baseline location, a machine,
/// a budget's text. Every free-text field reaches the body through `text` or `code` with one
/// of these budgets, so the body stays under its limit whatever the files hold.
const MAX_NAME: usize = 300;

/// Outside text for a table cell or a line: cut to `max` characters, then made inert.
fn text(value: &str, max: usize) -> String {
    escape_text(&clip(value, max))
}

/// Outside text for a code span: cut to `max` characters, then made inert.
fn code(value: &str, max: usize) -> String {
    escape_code(&clip(value, max))
}

/// `text` cut to at most `max` characters, saying so.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… (cut; the whole text is in compare.json)")
}

pub struct Markdown {
    /// Upper bound on the body's length in characters.
    pub limit: usize,
}

impl Markdown {
    /// The PR comment (and `report.md`).
    pub fn comment() -> Self {
        Markdown {
            limit: COMMENT_LIMIT,
        }
    }

    /// The job summary.
    pub fn summary() -> Self {
        Markdown {
            limit: SUMMARY_LIMIT,
        }
    }
}

impl Render for Markdown {
    fn render(&self, comparison: &Comparison) -> String {
        let head = self.head(comparison);
        let (urgent, rest): (Vec<&Entry>, Vec<&Entry>) = comparison.entries.iter().partition(|e| {
            matches!(
                e.verdict,
                Verdict::Regressed
                    | Verdict::BudgetFail
                    | Verdict::Error
                    | Verdict::Unconfirmed
                    | Verdict::Inconclusive
                    | Verdict::Accepted
                    | Verdict::Warn
                    | Verdict::Missing
            )
        });
        let tail = footer(comparison);

        let budget = self.limit.saturating_sub(head.len() + tail.len() + 200);
        let mut body = String::new();
        let (urgent_rows, urgent_left) = rows(&urgent, budget);
        if !urgent.is_empty() {
            body.push_str(&table(&urgent_rows));
            if urgent_left > 0 {
                body.push_str(&format!(
                    "\n…and {urgent_left} more not shown (size limit); see compare.json.\n"
                ));
            }
            body.push_str(&trends(&urgent, budget.saturating_sub(body.len()) / 4));
        }
        body.push_str(&curves_section(comparison));
        let room = budget.saturating_sub(body.len()) / 3;
        body.push_str(&targets_section(comparison, room));
        if !rest.is_empty() {
            let (rest_rows, rest_left) =
                rows(&rest, budget.saturating_sub(body.len()).saturating_sub(120));
            body.push_str(&format!(
                "\n<details><summary>{} other benchmarks</summary>\n\n",
                rest.len()
            ));
            if !rest_rows.is_empty() {
                body.push_str(&table(&rest_rows));
            }
            if rest_left > 0 {
                body.push_str(&format!(
                    "\n…and {rest_left} more not shown (size limit); see compare.json.\n"
                ));
            }
            body.push_str("\n</details>\n");
        }
        let whole = format!("{head}{body}{tail}");
        if whole.chars().count() <= self.limit {
            return whole;
        }
        // Every part above is budgeted; this is the backstop should a budget be wrong.
        format!(
            "{MARKER}\n## {} perfgate: **{}**\n\n{}\n\nThe report does not fit in {} characters; the whole of it is in compare.json and report.md in the run's artifacts.\n",
            icon(comparison.verdict),
            comparison.verdict.as_str(),
            text(&headline(comparison), MAX_TEXT),
            self.limit
        )
    }
}

impl Markdown {
    /// The verdict line, the headline and the warnings: each warning cut, and their number and
    /// total bounded (a quarter of the limit: escaping can lengthen a text), so the rows keep
    /// their room.
    fn head(&self, comparison: &Comparison) -> String {
        let mut head = format!(
            "{MARKER}\n## {} perfgate: **{}**\n\n",
            icon(comparison.verdict),
            comparison.verdict.as_str()
        );
        head.push_str(&escape_text(&headline(comparison)));
        head.push_str("\n\n");
        let mut shown = 0;
        for warning in comparison.warnings.iter().take(MAX_WARNINGS) {
            let block = format!("> [!WARNING]\n> {}\n\n", text(warning, MAX_TEXT));
            if head.len() + block.len() > self.limit / 4 {
                break;
            }
            head.push_str(&block);
            shown += 1;
        }
        if comparison.warnings.len() > shown {
            head.push_str(&format!(
                "> [!WARNING]\n> …and {} more warnings; see compare.json.\n\n",
                comparison.warnings.len() - shown
            ));
        }
        head
    }
}

/// Where the baseline came from, the run's cost and how the verdict was decided.
fn footer(comparison: &Comparison) -> String {
    let mut tail = String::new();
    if let Some(b) = &comparison.baseline {
        let chosen = b
            .chosen_by
            .as_ref()
            .map(|how| format!(" ({})", text(how, MAX_NAME)))
            .unwrap_or_default();
        tail.push_str(&format!(
            "\nBaseline: `{}`{chosen}, measured at {} on {}.\n",
            code(&b.location, MAX_NAME),
            match &b.provenance.commit {
                Some(c) => format!("`{}`", code(&super::short_commit(Some(c)), MAX_NAME)),
                None => "an unknown commit".to_string(),
            },
            text(&b.provenance.machine.describe(), MAX_NAME)
        ));
    }
    if let Some(cost) = super::cost_line(comparison) {
        tail.push_str(&format!("\n{}\n", text(&cost, MAX_NAME)));
    }
    tail.push_str(&format!(
            "\n<details><summary>How this was decided</summary>\n\n{}\n\nTo accept an intended slowdown, a maintainer labels the pull request (`gate.accept_label` in the base branch's perfgate.toml, `perfgate:accept` by default); the gate re-runs on the label and reports the regression as `accepted`. After merging, refresh the baseline on the default branch (`cargo perfgate baseline save`, commit `baselines/`).\n</details>\n",
            text(&comparison.method, 4 * MAX_TEXT)
        ));
    tail
}

/// The degradation scenarios, one line each with their chart's name.
fn curves_section(comparison: &Comparison) -> String {
    let mut body = String::new();
    let curves = super::curves::curves(comparison);
    if !curves.is_empty() {
        body.push_str("\n<details><summary>Degradation curves</summary>\n\n");
        for curve in curves.iter().take(20) {
            body.push_str(&format!(
                "- {} (chart: `{}/{}` in the artifacts)\n",
                text(&super::curves::describe(curve), MAX_TEXT),
                crate::artifacts::CURVES_DIR,
                code(&super::curves::file_name(curve), MAX_NAME)
            ));
        }
        body.push_str("\n</details>\n");
    }
    body
}

/// Targets vs actuals, as many rows as fit in `room` bytes.
fn targets_section(comparison: &Comparison, room: usize) -> String {
    let targets = super::target_rows(comparison);
    if !targets.is_empty() {
        let mut section = String::from(
                "\n<details><summary>Targets vs actuals</summary>\n\n| metric | target | actual | margin | status |\n|---|---|---:|---:|---|\n",
            );
        let mut left = 0;
        for row in &targets {
            let line = format!(
                "| {} | {} | {} | {} | {} |\n",
                text(&row[0], MAX_NAME),
                text(&row[1], MAX_NAME),
                row[2],
                row[3],
                row[4]
            );
            if section.len() + line.len() > room {
                left += 1;
                continue;
            }
            section.push_str(&line);
        }
        if left > 0 {
            section.push_str(&format!("\n…and {left} more; see compare.json.\n"));
        }
        section.push_str("\n</details>\n");
        return section;
    }
    String::new()
}

/// The flagged benchmarks' medians per commit on the default branch, as sparklines, within
/// `room` bytes.
fn trends(entries: &[&Entry], room: usize) -> String {
    let mut lines = String::new();
    for e in entries.iter().filter(|e| e.trend.len() >= 2) {
        let line = format!(
            "- `{}` {} ({} commits: {} → {})\n",
            code(&e.id, MAX_NAME),
            super::sparkline(&e.trend),
            e.trend.len(),
            super::format_value(e.trend.first().copied(), &e.unit),
            super::format_value(e.trend.last().copied(), &e.unit)
        );
        if lines.len() + line.len() > room {
            break;
        }
        lines.push_str(&line);
    }
    if lines.is_empty() {
        return String::new();
    }
    format!("\nOn the default branch, per recorded commit (`cargo perfgate history`):\n\n{lines}")
}

fn icon(verdict: Overall) -> &'static str {
    match verdict {
        Overall::Pass => "✅",
        Overall::Fail => "❌",
        Overall::Error => "⚠️",
    }
}

/// Table rows that fit in `budget` characters, and how many did not.
fn rows(entries: &[&Entry], budget: usize) -> (Vec<String>, usize) {
    let mut used = 0;
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let note = e
            .note
            .as_deref()
            .map(|n| text(n, MAX_TEXT))
            .unwrap_or_default();
        let row = format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            text(&e.id, MAX_NAME),
            text(&format_value(e.baseline, &e.unit), MAX_NAME),
            text(&format_value(e.current, &e.unit), MAX_NAME),
            format_change(e),
            how(e),
            e.verdict.as_str(),
            note
        );
        if used + row.len() > budget {
            return (out, entries.len() - i);
        }
        used += row.len();
        out.push(row);
    }
    (out, 0)
}

fn table(rows: &[String]) -> String {
    let mut out = String::from("| benchmark | baseline | current | change [interval] | how | verdict | note |\n|---|---:|---:|---:|---|---|---|\n");
    rows.iter().for_each(|r| out.push_str(r));
    out
}

/// Makes text inert in a table cell: no HTML, no @-mentions, no broken cells.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '@' => out.push_str("@\u{200b}"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            '`' | '*' | '_' | '[' | ']' | '\\' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text for inside a single-backtick code span in a table cell (mentions and HTML are inert
/// there; pipes still end a cell and backticks end the span).
fn escape_code(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
        .replace(|c: char| c.is_control(), "\u{fffd}")
}
