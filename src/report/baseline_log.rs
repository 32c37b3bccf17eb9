//! The history of a baseline (`cargo perfgate baseline log`): each benchmark's median in every
//! committed version of the baseline file, as a table with the change between versions, and
//! as an SVG chart of the change from the oldest version shown. The chart (`draw`, `Point`,
//! `day_of`) is also the one `cargo perfgate history --plot` draws.

use std::path::Path;

use perfgate_format::Baseline;
use plotters::prelude::*;

use super::format_value;
use crate::error::{Error, Result};

/// One committed version of the baseline file.
pub struct Version {
    /// The commit that wrote it, shortened.
    pub commit: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// `None` when that version cannot be read.
    pub baseline: Option<Baseline>,
}

/// The ids of the newest readable version.
pub(crate) fn ids_of_newest(versions: &[Version]) -> Vec<String> {
    versions
        .iter()
        .find_map(|v| v.baseline.as_ref())
        .map(|b| b.benchmarks.iter().map(|x| x.id.clone()).collect())
        .unwrap_or_default()
}

fn median(version: &Version, id: &str) -> Option<(f64, String)> {
    version
        .baseline
        .as_ref()?
        .benchmarks
        .iter()
        .find(|x| x.id == id)
        .map(|x| (x.summary.median, x.unit.clone()))
}

/// `YYYY-MM-DD` of a commit time; dates humantime cannot write (before 1970, after 9999) are
/// said as such instead.
pub(crate) fn day_of(time: i64) -> String {
    const LAST_WRITABLE: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    if !(0..=LAST_WRITABLE).contains(&time) {
        return "out of range".to_string();
    }
    let stamp = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(time as u64),
    )
    .to_string();
    stamp.chars().take(10).collect()
}

/// The table of `baseline log`: newest first, at most `limit` versions, each cell the median
/// and its change from the version before.
pub fn table(versions: &[Version], ids: &[String], limit: usize) -> String {
    let mut grid = comfy_table::Table::new();
    grid.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["commit".to_string(), "date".to_string()];
    header.extend(ids.iter().map(|id| super::terminal_text(id)));
    grid.set_header(header);
    for (i, version) in versions.iter().enumerate().take(limit) {
        let mut row = vec![version.commit.clone(), day_of(version.time)];
        for id in ids {
            let older = versions.get(i + 1).and_then(|v| median(v, id));
            let cell = match (median(version, id), older) {
                (Some((now, unit)), Some((before, _))) if before > 0.0 => format!(
                    "{} ({:+.1}%)",
                    format_value(Some(now), &unit),
                    (now / before - 1.0) * 100.0
                ),
                (Some((now, unit)), _) => format_value(Some(now), &unit),
                (None, _) if version.baseline.is_none() => "unreadable".to_string(),
                (None, _) => "—".to_string(),
            };
            row.push(cell);
        }
        grid.add_row(row);
    }
    grid.to_string()
}

/// One version on the chart: its label and each benchmark's median (`None` where absent).
/// One x position of a chart: its label and each series' value there.
pub(crate) struct Point {
    pub label: String,
    pub medians: Vec<Option<f64>>,
}

/// What a chart says on its caption and x axis.
pub(crate) struct Labels<'a> {
    pub caption: &'a str,
    pub x: &'a str,
}

/// Writes the chart of `versions` (newest first, as `baseline log` lists them) to `path`.
pub fn write_svg(path: &Path, ids: &[String], versions: &[Version]) -> Result<()> {
    let points: Vec<Point> = versions
        .iter()
        .rev()
        .map(|v| Point {
            label: v.commit.chars().take(7).collect(),
            medians: ids.iter().map(|id| median(v, id).map(|(m, _)| m)).collect(),
        })
        .collect();
    draw(
        path,
        ids,
        &points,
        &Labels {
            caption: "benchmark medians across baseline versions",
            x: "baseline commit (oldest → newest)",
        },
    )
}

/// Draws each series as its change from its first value; `versions` run oldest to newest.
pub(crate) fn draw(path: &Path, ids: &[String], versions: &[Point], labels: &Labels) -> Result<()> {
    let failed = |what: String| Error::Other(format!("drawing {}: {what}", path.display()));
    // Each benchmark relative to its first known median, in percent.
    let series: Vec<Vec<(usize, f64)>> = (0..ids.len())
        .map(|k| {
            let first = versions.iter().find_map(|v| v.medians[k]).unwrap_or(0.0);
            versions
                .iter()
                .enumerate()
                .filter_map(|(x, v)| {
                    let m = v.medians[k]?;
                    (first > 0.0).then(|| (x, (m / first - 1.0) * 100.0))
                })
                .collect()
        })
        .collect();
    let (low, high) = series
        .iter()
        .flatten()
        .fold((0.0f64, 0.0f64), |(lo, hi), &(_, y)| (lo.min(y), hi.max(y)));
    let pad = ((high - low) * 0.1).max(1.0);
    let height = 420 + 18 * ids.len().min(40) as u32;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| failed(e.to_string()))?;
    let last = versions.len().saturating_sub(1).max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(labels.caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0..last, (low - pad)..(high + pad))
        .map_err(|e| failed(e.to_string()))?;
    chart
        .configure_mesh()
        .x_labels(versions.len().clamp(2, 12))
        .x_label_formatter(&|x| {
            versions
                .get(*x)
                .map(|v| v.label.clone())
                .unwrap_or_default()
        })
        .x_desc(labels.x)
        .y_desc("change from the first value (%)")
        .draw()
        .map_err(|e| failed(e.to_string()))?;
    for (k, (id, points)) in ids.iter().zip(&series).enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| failed(e.to_string()))?
            .label(id.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 3, color.filled())),
            )
            .map_err(|e| failed(e.to_string()))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| failed(e.to_string()))?;
    root.present().map_err(|e| failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::day_of;

    #[test]
    fn dates_humantime_cannot_write_are_said_not_panicked_on() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(253_402_300_800), "out of range"); // year 10000
        assert_eq!(day_of(-1), "out of range");
    }
}
