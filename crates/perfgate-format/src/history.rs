//! What `cargo perfgate history --format json` prints: each benchmark's medians per recorded
//! commit of the default branch, and where each one moved.

use serde::{Deserialize, Serialize};

/// The history report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryReport {
    /// [`HISTORY_REPORT_SCHEMA`](crate::HISTORY_REPORT_SCHEMA).
    pub schema: String,
    /// First-parent commits read from HEAD back (at most `--limit`).
    pub commits: usize,
    /// Those of them that hold a record.
    pub recorded: usize,
    pub series: Vec<Series>,
}

/// One benchmark's medians per recorded commit and where it moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub id: String,
    pub unit: String,
    /// `[commit, median]`, oldest first, over the commits that recorded it.
    pub points: Vec<(String, f64)>,
    /// The best single split, whether or not it is significant; `null` below six points.
    pub change_point: Option<Moved>,
}

/// The best split of a series: the first commit after it and the change across it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    /// The first commit after the move.
    pub commit: String,
    pub subject: String,
    /// Relative change of the medians, after against before.
    pub change: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_high: Option<f64>,
    /// Permutation p-value of the split.
    pub p_value: f64,
    /// Whether `p_value` is below 0.05: the benchmark moved at `commit`.
    pub significant: bool,
}
