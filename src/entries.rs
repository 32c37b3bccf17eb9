//! What a benchmark entry must be before anything compares it, checked the same way by every
//! reader of entries from outside the process: a baseline file, a saved `run.json` (`compare`,
//! `merge`, `baseline save --from`, `history`), and a stability suite's results file. A file
//! one reader refuses is refused by all of them, with the file, the entry and the fix.

use std::collections::BTreeSet;

use perfgate_format::{Benchmark, Kind, Source};

use crate::error::{Error, Result};

/// Where the entries came from, which decides what the message tells the user to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A baseline file (or a run.json read as one).
    Baseline,
    /// A saved `run.json`.
    Run,
    /// The results file a stability suite wrote.
    SuiteResults,
}

impl Origin {
    fn what(self) -> &'static str {
        match self {
            Origin::Baseline => "baseline entry",
            Origin::Run => "run entry",
            Origin::SuiteResults => "suite result",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            Origin::Baseline => "restore the file from git or run `cargo perfgate baseline save`",
            Origin::Run => {
                "measure again (`cargo perfgate run`) rather than use an edited or damaged run.json"
            }
            Origin::SuiteResults => {
                "the suite's harness wrote it; check the suite's code and run it again"
            }
        }
    }
}

/// Refuses entries no comparison can use, naming the file and the entry: an id given twice
/// (one copy would decide silently, or both would count), no samples, a non-finite value, a
/// criterion time outside (0, 1e15] ns, a negative duration, rate or count, or a summary
/// median that does not describe the samples.
pub fn check(benchmarks: &[Benchmark], location: &str, origin: Origin) -> Result<()> {
    let bad = |id: &str, detail: String| Error::Parse {
        location: location.to_string(),
        what: origin.what(),
        detail: format!("`{id}`: {detail}; {}", origin.fix()),
    };
    let mut seen = BTreeSet::new();
    for b in benchmarks {
        if !seen.insert(b.id.as_str()) {
            return Err(bad(&b.id, "appears more than once".to_string()));
        }
        if b.samples.is_empty() {
            return Err(bad(&b.id, "has no samples".to_string()));
        }
        if let Some(v) = b.samples.iter().find(|v| !v.is_finite()) {
            return Err(bad(&b.id, format!("has a sample of {v}")));
        }
        if b.source == Source::Criterion {
            if let Some(v) = b.samples.iter().find(|v| **v <= 0.0 || **v > 1e15) {
                return Err(bad(
                    &b.id,
                    format!("has a time of {v} ns, outside (0, 1e15]"),
                ));
            }
        }
        let never_negative = match b.kind.unwrap_or_else(|| Kind::of_unit(&b.unit)) {
            Kind::Duration => Some("time"),
            Kind::Rate => Some("rate"),
            Kind::Count => Some("count"),
            _ => None,
        };
        if let Some(kind) = never_negative {
            if let Some(v) = b.samples.iter().find(|v| **v < 0.0) {
                return Err(bad(
                    &b.id,
                    format!(
                        "has a sample of {v} {}, and a {kind} is never negative",
                        b.unit
                    ),
                ));
            }
        }
        let median = crate::stats::median(&b.samples);
        let tolerance = 1e-2 * median.abs().max(1e-9);
        if !b.summary.median.is_finite() || (b.summary.median - median).abs() > tolerance {
            return Err(bad(
                &b.id,
                format!(
                    "its summary median {} does not match its samples' median {median}",
                    b.summary.median
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, unit: &str, samples: Vec<f64>) -> Benchmark {
        Benchmark::new(id, Source::Stability, "p", "t", unit, samples)
    }

    fn refused(entries: &[Benchmark]) -> String {
        check(entries, "run.json", Origin::Run)
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn a_valid_set_passes_and_each_flaw_is_named_with_the_entry() {
        let good = entry("a", "ns", vec![1.0, 2.0, 3.0]);
        assert!(check(std::slice::from_ref(&good), "x", Origin::Run).is_ok());
        assert!(refused(&[good.clone(), good.clone()]).contains("`a`: appears more than once"));
        assert!(refused(&[entry("e", "ns", vec![])]).contains("`e`: has no samples"));
        let negative = refused(&[entry("n", "ns", vec![-1.0, 2.0, 3.0])]);
        assert!(
            negative.contains("`n`") && negative.contains("never negative"),
            "{negative}"
        );
        let mut edited = good;
        edited.summary.median = 9.0;
        assert!(refused(&[edited]).contains("does not match"));
        // A drift or a growth may be negative: a fraction is not refused for its sign.
        assert!(check(
            &[entry("d", "ratio", vec![-0.1, 0.0, 0.1])],
            "x",
            Origin::Run
        )
        .is_ok());
    }

    #[test]
    fn the_fix_depends_on_where_the_entries_came_from() {
        let twice = [entry("a", "ns", vec![1.0]), entry("a", "ns", vec![1.0])];
        for (origin, words) in [
            (Origin::Baseline, "baseline save"),
            (Origin::Run, "cargo perfgate run"),
            (Origin::SuiteResults, "harness"),
        ] {
            let message = check(&twice, "f.json", origin).unwrap_err().to_string();
            assert!(message.starts_with("f.json") || message.contains("f.json"));
            assert!(message.contains(words), "{message}");
        }
    }
}
