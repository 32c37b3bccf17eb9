//! Baseline entries the run did not measure (`missing`), read beside the benchmarks only the
//! run has (`new`): a pair in the same package with the same unit whose medians lie within the
//! missing entry's threshold of each other is named as a likely rename in both notes (closest
//! pairs first, one to one). The pairing reads the numbers; it compares nothing and passes
//! nothing. A maintainer's acceptance (the pull request's label) acknowledges every `missing`
//! entry: it becomes `accepted`, with the rename it pairs with when there is one.

use perfgate_format::{Acceptance, Entry, Verdict};

use super::{accepted_by, append_note};

/// Most missing × new pairs weighed; past it no rename is named (a run that renamed thousands
/// of benchmarks is refreshed, not paired).
const MAX_PAIRS_WEIGHED: usize = 1_000_000;

/// Names likely renames, and turns `missing` into `accepted` under an acceptance. Returns how
/// many missing entries the acceptance acknowledged.
pub(super) fn read(entries: &mut [Entry], acceptance: Option<&Acceptance>) -> usize {
    for (old, new, apart) in likely_renames(entries) {
        let (old_id, new_id) = (entries[old].id.clone(), entries[new].id.clone());
        let said = match acceptance {
            Some(_) => "renamed",
            None => "renamed?",
        };
        append_note(
            &mut entries[old],
            format!("{said} to `{new_id}`: same package and unit, medians {apart} apart"),
        );
        append_note(
            &mut entries[new],
            format!("{said} from the baseline's `{old_id}`, which this run did not measure: same package and unit, medians {apart} apart"),
        );
    }
    let Some(acceptance) = acceptance else {
        return 0;
    };
    let mut acknowledged = 0;
    for entry in entries.iter_mut().filter(|e| e.verdict == Verdict::Missing) {
        entry.verdict = Verdict::Accepted;
        append_note(
            entry,
            format!(
                "not measured by this change, accepted with {}",
                accepted_by(acceptance)
            ),
        );
        acknowledged += 1;
    }
    acknowledged
}

/// `(missing, new, how far apart)` index pairs, closest first, each entry in one pair at most.
fn likely_renames(entries: &[Entry]) -> Vec<(usize, usize, String)> {
    let of = |verdict: Verdict| -> Vec<usize> {
        (0..entries.len())
            .filter(|&i| entries[i].verdict == verdict)
            .collect()
    };
    let (missing, new) = (of(Verdict::Missing), of(Verdict::New));
    if missing.len().saturating_mul(new.len()) > MAX_PAIRS_WEIGHED {
        return Vec::new();
    }
    let mut weighed: Vec<(f64, usize, usize)> = Vec::new();
    for &m in &missing {
        for &n in &new {
            let (old, cur) = (&entries[m], &entries[n]);
            let (Some(was), Some(now)) = (old.baseline, cur.current) else {
                continue;
            };
            if old.package != cur.package || old.unit != cur.unit || was <= 0.0 || now <= 0.0 {
                continue;
            }
            let distance = (now / was).ln().abs();
            if distance.is_finite() && distance <= old.threshold.ln_1p() {
                weighed.push((distance, m, n));
            }
        }
    }
    weighed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut taken = std::collections::BTreeSet::new();
    let mut pairs = Vec::new();
    for (distance, m, n) in weighed {
        if taken.contains(&m) || taken.contains(&n) {
            continue;
        }
        taken.extend([m, n]);
        pairs.push((m, n, format!("{:.1}%", distance.exp_m1() * 100.0)));
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, verdict: Verdict, baseline: Option<f64>, current: Option<f64>) -> Entry {
        Entry {
            package: "core".to_string(),
            target: "benches".to_string(),
            unit: "ns".to_string(),
            baseline,
            current,
            threshold: 0.05,
            ..Entry::new(id, verdict)
        }
    }

    #[test]
    fn a_rename_pairs_by_the_closest_median_and_a_slowed_one_does_not() {
        let mut entries = vec![
            entry("parse/old", Verdict::Missing, Some(100.0), None),
            entry("hash/old", Verdict::Missing, Some(50.0), None),
            entry("parse/new", Verdict::New, None, Some(101.0)),
            entry("hash/new", Verdict::New, None, Some(65.0)),
        ];
        assert_eq!(read(&mut entries, None), 0);
        assert!(entries[2]
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("renamed? from the baseline's `parse/old`")));
        assert!(entries[0]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("`parse/new`")));
        // 30% slower is no rename by its numbers, and nothing passes either way.
        assert_eq!(entries[1].note, None);
        assert_eq!(entries[3].note, None);
        assert_eq!(entries[1].verdict, Verdict::Missing);
    }

    #[test]
    fn an_acceptance_acknowledges_every_missing_entry() {
        let acceptance = Acceptance {
            label: "perfgate:accept".to_string(),
            by: Some("maintainer".to_string()),
            pull_request: Some(7),
            head_sha: None,
        };
        let mut entries = vec![
            entry("a", Verdict::Missing, Some(100.0), None),
            entry("b", Verdict::Missing, Some(10.0), None),
            entry("c", Verdict::New, None, Some(99.0)),
        ];
        assert_eq!(read(&mut entries, Some(&acceptance)), 2);
        assert!(entries
            .iter()
            .take(2)
            .all(|e| e.verdict == Verdict::Accepted));
        let note = entries[0].note.clone().unwrap_or_default();
        assert!(
            note.contains("accepted with the label `perfgate:accept`"),
            "{note}"
        );
        assert!(note.contains("renamed to `c`"), "{note}");
    }
}
