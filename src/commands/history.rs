//! `cargo perfgate history`: each benchmark per commit of the default branch, from the records
//! `check` keeps in git notes, and the commit where each one moved (a change-point test).

use serde::Serialize;

use crate::cli;
use crate::error::{Error, Result};
use crate::history::{self, Commit};
use crate::outcome::Outcome;
use crate::report::history as chart;
use crate::report::{format_value, terminal_text};
use crate::stats;
use crate::workspace::Workspace;

/// A change point below this p-value is named as where the benchmark moved.
const CHANGE_POINT_ALPHA: f64 = 0.05;
/// Benchmarks shown side by side in the table; more are summarised by their change points.
const TABLE_COLUMNS: usize = 6;

/// One benchmark's series and where it moved.
#[derive(Debug, Serialize)]
struct Series {
    id: String,
    unit: String,
    /// `[commit, median]`, oldest first, over the commits that recorded it.
    points: Vec<(String, f64)>,
    /// The best single split, whether or not it is significant.
    change_point: Option<Moved>,
}

#[derive(Debug, Serialize)]
struct Moved {
    /// The first commit after the move.
    commit: String,
    subject: String,
    change: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    change_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change_high: Option<f64>,
    p_value: f64,
    /// Whether `p_value` is below 0.05: the benchmark moved at `commit`.
    significant: bool,
}

#[derive(Debug, Serialize)]
struct HistoryJson<'a> {
    schema: &'static str,
    commits: usize,
    recorded: usize,
    series: &'a [Series],
}

pub fn history(args: &cli::HistoryArgs) -> Result<Outcome> {
    if let Some(plot) = &args.plot {
        super::require_svg(plot)?;
    }
    let (root, _) = Workspace::root_of(args.manifest_path.as_deref())?;
    write(args, &root)?;
    let only_writes = args.ids.is_empty() && args.plot.is_none() && args.format.is_none();
    if only_writes && (args.record.is_some() || args.push) {
        return Ok(Outcome::Done);
    }
    let (commits, skipped) = history::read(&root, args.limit)?;
    if skipped > 0 {
        eprintln!(
            "perfgate: warning: {skipped} line(s) of {} are not records this version reads; skipped",
            history::NOTES_REF
        );
    }
    let recorded: Vec<&Commit> = commits.iter().filter(|c| !c.records.is_empty()).collect();
    if recorded.is_empty() {
        return Err(Error::Other(format!(
            "no history on HEAD's last {} first-parent commit(s): `cargo perfgate check` records it on a push to the default branch (or with --drift); `--fetch` gets origin's ({})",
            commits.len(),
            history::NOTES_REF
        )));
    }
    let ids = if args.ids.is_empty() {
        last_recorded_ids(&recorded)
    } else {
        args.ids.clone()
    };
    let series: Vec<Series> = ids.iter().map(|id| series_of(id, &recorded)).collect();
    if args.format == Some(cli::Format::Json) {
        let json = HistoryJson {
            schema: "perfgate.history-report.v1",
            commits: commits.len(),
            recorded: recorded.len(),
            series: &series,
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| Error::Other(format!("serialising the history: {e}")))?;
        println!("{text}");
    } else {
        if series.len() <= TABLE_COLUMNS {
            println!("{}", table(&recorded, &series));
        }
        for s in &series {
            println!("{}", moved_line(s, recorded.len()));
        }
    }
    if let Some(plot) = &args.plot {
        draw(plot, &ids, &recorded)?;
    }
    Ok(Outcome::Done)
}

/// The writing half of `history`: a run recorded in git notes, notes fetched from or pushed to
/// origin, each said on stderr.
fn write(args: &cli::HistoryArgs, root: &std::path::Path) -> Result<()> {
    if let Some(path) = &args.record {
        let run = crate::artifacts::read_run(path)?;
        let record = history::Record::of(&run).ok_or_else(|| {
            Error::Usage(format!(
                "--record {}: the run measured uncommitted changes (or outside git), so it is no commit's history; record a run of a clean checkout",
                path.display()
            ))
        })?;
        history::record(root, &record)?;
        eprintln!(
            "perfgate: recorded {} in {} for {}",
            path.display(),
            history::NOTES_REF,
            perfgate_format::short_commit(&record.commit)
        );
    }
    if args.fetch && !args.push {
        history::fetch(root)?;
    }
    if args.push {
        history::push(root)?;
        eprintln!("perfgate: pushed {} to origin", history::NOTES_REF);
    }
    Ok(())
}

/// Every benchmark id of the newest recorded commit, sorted: what `history` shows by default.
fn last_recorded_ids(recorded: &[&Commit]) -> Vec<String> {
    let Some(last) = recorded.last() else {
        return Vec::new();
    };
    let mut ids: Vec<String> = last
        .records
        .iter()
        .flat_map(|r| r.benchmarks.iter().map(|p| p.id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The medians of `ids` per recorded commit, drawn as an SVG chart at `plot`.
fn draw(plot: &std::path::Path, ids: &[String], recorded: &[&Commit]) -> Result<()> {
    let points: Vec<chart::Point> = recorded
        .iter()
        .map(|c| chart::Point {
            label: git2_short(c),
            medians: ids.iter().map(|id| history::value_at(c, id)).collect(),
        })
        .collect();
    chart::draw(
        plot,
        ids,
        &points,
        &chart::Labels {
            caption: "benchmark medians per commit",
            x: "commit on the default branch (oldest → newest)",
        },
    )?;
    eprintln!("perfgate: drew {}", plot.display());
    Ok(())
}

fn git2_short(c: &Commit) -> String {
    crate::baseline::git::short(c.commit)
}

/// A benchmark's medians per recorded commit and its change point.
fn series_of(id: &str, recorded: &[&Commit]) -> Series {
    let at: Vec<(&Commit, f64)> = recorded
        .iter()
        .filter_map(|c| history::value_at(c, id).map(|v| (*c, v)))
        .collect();
    let values: Vec<f64> = at.iter().map(|(_, v)| *v).collect();
    let seed = id.bytes().fold(0x51_7cc1_b727_220a, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let change_point = stats::change_point(&values, seed).map(|cp| {
        let (commit, _) = at[cp.index];
        Moved {
            commit: commit.commit.to_string(),
            subject: commit.subject.clone(),
            change: cp.change,
            change_low: cp.low.is_finite().then_some(cp.low),
            change_high: cp.high.is_finite().then_some(cp.high),
            p_value: cp.p_value,
            significant: cp.p_value < CHANGE_POINT_ALPHA,
        }
    });
    let unit = recorded
        .iter()
        .flat_map(|c| c.records.iter().flat_map(|r| r.benchmarks.iter()))
        .find(|p| p.id == id)
        .map(|p| p.unit.clone())
        .unwrap_or_default();
    Series {
        id: id.to_string(),
        unit,
        points: at.iter().map(|(c, v)| (c.commit.to_string(), *v)).collect(),
        change_point,
    }
}

/// Newest first: commit, date, subject, then each benchmark's median.
fn table(recorded: &[&Commit], series: &[Series]) -> String {
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
        let mut row = vec![git2_short(c), chart::day_of(c.time), subject];
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
fn moved_line(s: &Series, recorded: usize) -> String {
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
        &m.commit[..10.min(m.commit.len())],
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
