//! Degradation scenarios read as curves: each level's p99 on the baseline side and now, the
//! change per level, where each side's knee (`breakpoint`) is, and an SVG of the two curves.
//! The verdicts stay those of the level metrics and the breakpoint; this is how they read
//! together.

use std::collections::BTreeMap;
use std::path::Path;

use perfgate_format::Comparison;
use plotters::prelude::*;

use super::format_value;
use crate::error::{Error, Result};

/// The metric of one level: `<suite>/<scenario>/level_<rate>_latency_p99`.
const LEVEL_PREFIX: &str = "level_";
const LEVEL_SUFFIX: &str = "_latency_p99";

/// One load level: `(rate, baseline p99, current p99)`.
pub(crate) type Level = (f64, Option<f64>, Option<f64>);

/// One degradation scenario on both sides.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// `suite/scenario`.
    pub scenario: String,
    pub unit: String,
    /// Each level, by rate.
    pub levels: Vec<Level>,
    /// The breakpoint (ops/s) of each side, when measured.
    pub knee: (Option<f64>, Option<f64>),
}

/// The degradation curves of a comparison: every scenario with two or more levels.
pub fn curves(comparison: &Comparison) -> Vec<Curve> {
    let mut by_scenario: BTreeMap<&str, Curve> = BTreeMap::new();
    for e in &comparison.entries {
        let Some((scenario, metric)) = e.id.rsplit_once('/') else {
            continue;
        };
        let Some(rate) = metric
            .strip_prefix(LEVEL_PREFIX)
            .and_then(|m| m.strip_suffix(LEVEL_SUFFIX))
            .and_then(|r| r.parse::<f64>().ok())
            .filter(|r| r.is_finite())
        else {
            continue;
        };
        let curve = by_scenario.entry(scenario).or_insert_with(|| Curve {
            scenario: scenario.to_string(),
            unit: e.unit.clone(),
            levels: Vec::new(),
            knee: (None, None),
        });
        curve.levels.push((rate, e.baseline, e.current));
    }
    for e in &comparison.entries {
        if let Some(curve) =
            e.id.strip_suffix("/breakpoint")
                .and_then(|scenario| by_scenario.get_mut(scenario))
        {
            curve.knee = (e.baseline, e.current);
        }
    }
    by_scenario
        .into_values()
        .filter(|c| c.levels.len() >= 2)
        .map(|mut c| {
            c.levels.sort_by(|a, b| a.0.total_cmp(&b.0));
            c
        })
        .collect()
}

fn rate(value: Option<f64>) -> String {
    value.map_or("—".to_string(), |r| format!("{r}/s"))
}

/// One line per curve: the knee on each side and each level's p99 with its change.
pub fn describe(curve: &Curve) -> String {
    let levels: Vec<String> = curve
        .levels
        .iter()
        .map(|(r, base, current)| {
            let change = match (base, current) {
                (Some(b), Some(c)) if *b > 0.0 => format!(" ({:+.0}%)", (c / b - 1.0) * 100.0),
                _ => String::new(),
            };
            format!(
                "{r}/s {} → {}{change}",
                format_value(*base, &curve.unit),
                format_value(*current, &curve.unit)
            )
        })
        .collect();
    let knee = match curve.knee {
        (b, c) if b == c => format!("knee at {} on both sides", rate(b)),
        (b, c) => format!("knee moved from {} to {}", rate(b), rate(c)),
    };
    format!(
        "{}: {knee}; p99 per level: {}",
        curve.scenario,
        levels.join(", ")
    )
}

/// A file name for a curve's chart: the scenario with `/` as `_`, and nothing else a file
/// name could trip on.
pub fn file_name(curve: &Curve) -> String {
    let safe: String = curve
        .scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.svg")
}

/// Draws both sides' p99 against the load level.
pub fn write_svg(path: &Path, curve: &Curve) -> Result<()> {
    let failed = |what: String| Error::Other(format!("drawing {}: {what}", path.display()));
    let scale = if curve.unit == "ns" { 1e-3 } else { 1.0 };
    let y_label = if curve.unit == "ns" {
        "p99 (µs)".to_string()
    } else {
        format!("p99 ({})", curve.unit)
    };
    let side = |pick: fn(&Level) -> Option<f64>| -> Vec<(f64, f64)> {
        curve
            .levels
            .iter()
            .filter_map(|l| pick(l).map(|v| (l.0, v * scale)))
            .collect()
    };
    let baseline = side(|l| l.1);
    let current = side(|l| l.2);
    let (x_low, x_high) = (curve.levels[0].0, curve.levels[curve.levels.len() - 1].0);
    let y_high = baseline
        .iter()
        .chain(&current)
        .map(|p| p.1)
        .fold(0.0f64, f64::max)
        * 1.1;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let root = SVGBackend::new(path, (800, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| failed(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: p99 per load level", curve.scenario),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x_low..x_high.max(x_low + 1.0), 0.0..y_high.max(1e-9))
        .map_err(|e| failed(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("load (ops/s)")
        .y_desc(y_label)
        .draw()
        .map_err(|e| failed(e.to_string()))?;
    for (name, points, color) in [("baseline", baseline, BLUE), ("current", current, RED)] {
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(|e| failed(e.to_string()))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
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
