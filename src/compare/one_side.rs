//! Entries with one side only: a benchmark the baseline does not have (`new`), a baseline
//! entry the run did not measure (`missing`, or `error` when its target failed), and one the
//! run set aside as unchanged by construction (`identical`).

use std::collections::{BTreeMap, BTreeSet};

use perfgate_format::{Benchmark, Direction, Entry, Method, Verdict};

use super::{apply_budgets, baseline_of, Inputs};
use crate::config::Policy;

/// The SHA-256 a baseline entry's bench executable shares with the change's, when `check` set
/// it aside as unchanged by construction (`Run::identical`).
fn identical<'a>(inputs: &'a Inputs, baseline: &Benchmark) -> Option<&'a str> {
    inputs
        .run
        .identical
        .get(&baseline.id)
        .map(|i| i.sha256.as_str())
}

fn identical_note(hash: &str) -> String {
    format!(
        "unchanged by construction, not measured (so no budget is checked on it): the change left its bench executable byte-identical to the baseline side's (SHA-256 {}…) and touched no file in its package",
        &hash[..hash.len().min(12)]
    )
}

/// Benchmarks only in the run: `new` (budgets still apply).
pub(super) fn new_entries<'a>(
    inputs: &'a Inputs,
    baseline_by_id: &'a BTreeMap<&str, &Benchmark>,
) -> impl Iterator<Item = Entry> + 'a {
    inputs
        .run
        .benchmarks
        .iter()
        .filter(|c| baseline_of(c, baseline_by_id).is_none())
        .map(|current| {
            let mut entry = lone_entry(current, Verdict::New, inputs.policy);
            entry.current = Some(current.summary.median);
            entry.note = Some("no baseline for this benchmark yet".to_string());
            apply_budgets(&mut entry, current, inputs.policy);
            entry
        })
}

/// Baseline benchmarks the run did not measure (an `error` when their target failed, else
/// `missing` when they were in scope), and one `error` per failed target with no such entry.
pub(super) fn unmeasured_entries(
    inputs: &Inputs,
    paired: &[(&Benchmark, &Benchmark)],
) -> Vec<Entry> {
    let run = inputs.run;
    let measured: BTreeSet<&str> = paired.iter().map(|(b, _)| b.id.as_str()).collect();
    let mut entries = Vec::new();
    let mut errored_targets = BTreeSet::new();
    let unmeasured = inputs
        .baseline
        .map(|b| b.benchmarks.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|b| !measured.contains(b.id.as_str()));
    for old in unmeasured {
        let failed = run
            .errors
            .iter()
            .find(|e| e.package == old.package && e.target == old.target);
        if failed.is_none() && !(inputs.in_scope)(old) {
            continue;
        }
        if let (None, Some(hash)) = (failed, identical(inputs, old)) {
            let mut entry = lone_entry(old, Verdict::Pass, inputs.policy);
            entry.baseline = Some(old.summary.median);
            entry.method = Method::Identical;
            entry.note = Some(identical_note(hash));
            entries.push(entry);
            continue;
        }
        let mut entry = lone_entry(old, Verdict::Missing, inputs.policy);
        entry.baseline = Some(old.summary.median);
        entry.note = Some(match failed {
            Some(error) => {
                entry.verdict = Verdict::Error;
                errored_targets.insert((error.package.as_str(), error.target.as_str()));
                error.message.clone()
            }
            None => "in the baseline but not measured: removed or renamed? `cargo perfgate baseline save` accepts it".to_string(),
        });
        entries.push(entry);
    }
    for error in &run.errors {
        if errored_targets.contains(&(error.package.as_str(), error.target.as_str())) {
            continue;
        }
        entries.push(Entry {
            package: error.package.clone(),
            target: error.target.clone(),
            unit: String::new(),
            direction: Direction::LowerIsBetter,
            threshold: inputs.policy.threshold,
            note: Some(error.message.clone()),
            ..Entry::new(
                &format!("{}/{}", error.package, error.target),
                Verdict::Error,
            )
        });
    }
    entries
}

/// The entry of one benchmark, before its numbers are filled in.
pub(super) fn lone_entry(b: &Benchmark, verdict: Verdict, policy: &Policy) -> Entry {
    Entry {
        package: b.package.clone(),
        target: b.target.clone(),
        unit: b.unit.clone(),
        direction: b.direction,
        kind: Some(b.kind()),
        threshold: policy.threshold_of(b),
        throughput: b.throughput.clone(),
        ..Entry::new(&b.id, verdict)
    }
}
