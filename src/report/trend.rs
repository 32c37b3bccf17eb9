//! The history chart of `baseline log --plot`: each benchmark's median across the committed
//! versions of a baseline, as the change from the oldest version shown, drawn as SVG.

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};

/// One committed version of the baseline: its label (short commit) and each benchmark's median
/// (`None` where the benchmark is absent), in the order of the chart's ids.
pub struct Point {
    pub label: String,
    pub medians: Vec<Option<f64>>,
}

/// Writes the chart to `path`. `versions` run oldest to newest.
pub fn write_svg(path: &Path, ids: &[String], versions: &[Point]) -> Result<()> {
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
        .caption(
            "benchmark medians across baseline versions",
            ("sans-serif", 18),
        )
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
        .x_desc("baseline commit (oldest → newest)")
        .y_desc("change from the first version (%)")
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
