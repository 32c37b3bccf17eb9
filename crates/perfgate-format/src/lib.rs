//! The result format cargo-perfgate and the `perfgate` harness both speak.
//!
//! Owns the serde types of `run.json`, baseline files and `compare.json`, with their schema
//! versions, the shape of a benchmark's id and how a recorded commit is shown. Holds no logic
//! beyond (de)serialisation, the schema check, that id shape and that short form: `run.rs`
//! what a run measured (and a baseline keeps), `compare.rs` what a comparison decided,
//! `noise.rs` a machine's noise floors, `history.rs` what `history --format json` prints; each type is defined once and re-exported here.

mod compare;
mod history;
mod noise;
mod run;

pub use compare::*;
pub use history::*;
pub use noise::*;
pub use run::*;

/// Schema of `target/perfgate/run.json`: one run's measurements.
pub const RUN_SCHEMA: &str = "perfgate.run.v1";
/// Schema of `baselines/<profile>.json`: the measurements a run is compared against.
pub const BASELINE_SCHEMA: &str = "perfgate.baseline.v1";
/// Environment variable through which cargo-perfgate asks a stability suite for its results
/// (a JSON array of [`Benchmark`]).
pub const OUTPUT_ENV: &str = "PERFGATE_OUTPUT";
/// Environment variable that puts a stability suite in quick mode.
pub const QUICK_ENV: &str = "PERFGATE_QUICK";
/// Environment variable naming the only scenarios a stability suite runs: exact
/// `suite/scenario` names, one per line (a name filter on the command line still applies too).
/// cargo-perfgate sets it in confirm rounds; a harness that predates it runs what the filter
/// names, which is a superset.
pub const SCENARIOS_ENV: &str = "PERFGATE_SCENARIOS";

/// Schema of `target/perfgate/compare.json`: verdicts of one comparison.
pub const COMPARE_SCHEMA: &str = "perfgate.compare.v1";

/// Schema of what `cargo perfgate history --format json` prints: medians per recorded commit
/// and change points.
pub const HISTORY_REPORT_SCHEMA: &str = "perfgate.history-report.v1";

/// Schema of `target/perfgate/noise.json`: this machine's A/A noise floor per benchmark.
pub const NOISE_SCHEMA: &str = "perfgate.noise.v1";

/// The leak check's metric whose value above zero means the harness's slope test found a leak
/// (the lower end of the 95% interval of live-heap growth per operation, in bytes).
pub const LEAK_BOUND_METRIC: &str = "heap_growth_per_op_low";

/// Splits `"perfgate.run.v1"` into `("perfgate.run", 1)`.
///
/// ```
/// assert_eq!(perfgate_format::split_schema("perfgate.run.v12"), Some(("perfgate.run", 12)));
/// assert_eq!(perfgate_format::split_schema("nonsense"), None);
/// ```
pub fn split_schema(schema: &str) -> Option<(&str, u32)> {
    let (family, version) = schema.rsplit_once(".v")?;
    Some((family, version.parse().ok()?))
}

/// How a recorded commit is shown: its first 10 characters, cut on a character boundary (a file
/// may hold any text there, so a byte slice could split a character).
pub fn short_commit(commit: &str) -> &str {
    match commit.char_indices().nth(10) {
        Some((end, _)) => &commit[..end],
        None => commit,
    }
}

#[cfg(test)]
mod tests {
    use super::short_commit;

    #[test]
    fn a_short_commit_is_ten_characters_never_a_split_one() {
        assert_eq!(short_commit("0123456789abcdef"), "0123456789");
        assert_eq!(short_commit("abc"), "abc");
        assert_eq!(short_commit("aéééééééééééé"), "aééééééééé");
        assert_eq!(short_commit(""), "");
    }
}
