//! `cargo perfgate history`: each benchmark per commit of the default branch, from the records
//! `check` keeps in git notes, and the commit where each one moved (a change-point test).

use perfgate_format::{HistoryReport, Moved, Series, HISTORY_REPORT_SCHEMA};

use crate::cli;
use crate::error::{Error, Result};
use crate::history::{self, Commit};
use crate::outcome::Outcome;
use crate::report;
use crate::stats;
use crate::workspace::Workspace;

/// Benchmarks shown side by side in the table; more are summarised by their change points.
const TABLE_COLUMNS: usize = 6;

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
        let json = HistoryReport {
            schema: HISTORY_REPORT_SCHEMA.to_string(),
            commits: commits.len(),
            recorded: recorded.len(),
            series,
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| Error::Other(format!("serialising the history: {e}")))?;
        println!("{text}");
    } else {
        if series.len() <= TABLE_COLUMNS {
            let rows: Vec<report::history::Row> = recorded
                .iter()
                .map(|c| report::history::Row {
                    commit: c.commit.to_string(),
                    time: c.time,
                    subject: &c.subject,
                })
                .collect();
            println!("{}", report::history::table(&rows, &series));
        }
        for s in &series {
            println!("{}", report::history::moved_line(s, recorded.len()));
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
    let points: Vec<report::baseline_log::Point> = recorded
        .iter()
        .map(|c| report::baseline_log::Point {
            label: crate::baseline::git::short(c.commit),
            medians: ids.iter().map(|id| history::value_at(c, id)).collect(),
        })
        .collect();
    report::baseline_log::draw(
        plot,
        ids,
        &points,
        &report::baseline_log::Labels {
            caption: "benchmark medians per commit",
            x: "commit on the default branch (oldest → newest)",
        },
    )?;
    eprintln!("perfgate: drew {}", plot.display());
    Ok(())
}

/// A benchmark's medians per recorded commit and its change point.
fn series_of(id: &str, recorded: &[&Commit]) -> Series {
    let at: Vec<(&Commit, f64)> = recorded
        .iter()
        .filter_map(|c| history::value_at(c, id).map(|v| (*c, v)))
        .collect();
    let values: Vec<f64> = at.iter().map(|(_, v)| *v).collect();
    let seed = stats::fnv1a(id, 0x51_7cc1_b727_220a);
    let change_point = stats::change_point(&values, seed).map(|cp| {
        let (commit, _) = at[cp.index];
        Moved {
            commit: commit.commit.to_string(),
            subject: commit.subject.clone(),
            change: cp.change,
            change_low: cp.low.is_finite().then_some(cp.low),
            change_high: cp.high.is_finite().then_some(cp.high),
            p_value: cp.p_value,
            significant: cp.p_value < stats::CHANGE_POINT_ALPHA,
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
