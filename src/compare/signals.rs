//! Both signals of one benchmark side by side: a time and the instruction count of the same
//! code (the gungraun benchmark whose path is the time's id, or the one `[signals]` names for
//! it). Each is judged by its own rule, on its own row; this puts the count beside the time and
//! says when the two disagree, which neither can say alone: a time that moved at the same count
//! is the same work taking another time (a layout, memory or frequency effect, or noise); a
//! count that moved at the same time is more or less work than this machine's time shows.

use std::collections::BTreeMap;

use perfgate_format::{Entry, Signal, Verdict};

/// The unit of a gungraun instruction count (`run::gungraun::FIGURES`).
const COUNT_UNIT: &str = "instructions";

/// Sets `instructions` on every time entry whose count the comparison has, and says in its note
/// when the two disagree. `named` maps a time's id to the count's path or id (`[signals]`).
pub(super) fn pair(entries: &mut [Entry], named: &BTreeMap<String, String>) {
    let counts: BTreeMap<String, (Option<f64>, Verdict)> = entries
        .iter()
        .filter(|e| e.unit == COUNT_UNIT)
        .map(|e| (e.id.clone(), (e.change, e.verdict)))
        .collect();
    for entry in entries.iter_mut().filter(|e| e.unit == "ns") {
        let twin = match named.get(&entry.id) {
            Some(path) if path.ends_with("/instructions") => path.clone(),
            Some(path) => format!("{path}/instructions"),
            None => format!("{}/instructions", entry.id),
        };
        let Some(&(change, verdict)) = counts.get(&twin) else {
            continue;
        };
        let disagree = match (moved(entry.verdict), moved(verdict)) {
            (Some(time), Some(count)) => time != count,
            _ => false,
        };
        if disagree {
            let percent =
                |c: Option<f64>| c.map_or("—".to_string(), |c| format!("{:+.1}%", c * 100.0));
            let sentence = if moved(entry.verdict) == Some(true) {
                format!(
                    "time {} at {} instructions (`{twin}`): the same work took another time — a layout, memory or frequency effect, or noise",
                    percent(entry.change),
                    percent(change)
                )
            } else {
                format!(
                    "instructions {} (`{twin}`) at {} time: the work changed by more than this machine's time shows",
                    percent(change),
                    percent(entry.change)
                )
            };
            entry.note = Some(match entry.note.take() {
                Some(note) => format!("{note}; {sentence}"),
                None => sentence,
            });
        }
        entry.instructions = Some(Signal {
            id: twin,
            change,
            verdict,
            disagree,
        });
    }
}

/// Whether a verdict says its signal moved past its threshold; `None` where it decided nothing
/// (not measured, undecided).
fn moved(verdict: Verdict) -> Option<bool> {
    match verdict {
        Verdict::Pass => Some(false),
        Verdict::Regressed | Verdict::Improved | Verdict::Accepted => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, unit: &str, change: f64, verdict: Verdict) -> Entry {
        Entry {
            package: "p".into(),
            target: "t".into(),
            unit: unit.into(),
            baseline: Some(1.0),
            current: Some(1.0 + change),
            change: Some(change),
            threshold: 0.05,
            ..Entry::new(id, verdict)
        }
    }

    #[test]
    fn a_time_gets_its_twins_count_and_a_disagreement_is_said() {
        let mut entries = vec![
            entry("speed::parse", "ns", 0.12, Verdict::Regressed),
            entry(
                "speed::parse/instructions",
                "instructions",
                0.0,
                Verdict::Pass,
            ),
            entry("checksum/1k", "ns", 0.01, Verdict::Pass),
            entry(
                "counts::work::checksum::large/instructions",
                "instructions",
                0.3,
                Verdict::Regressed,
            ),
            entry("alone", "ns", 0.3, Verdict::Regressed),
        ];
        let named = BTreeMap::from([(
            "checksum/1k".to_string(),
            "counts::work::checksum::large".to_string(),
        )]);
        pair(&mut entries, &named);
        let parse = entries[0].instructions.as_ref().unwrap();
        assert!(parse.disagree && parse.change == Some(0.0));
        let note = entries[0].note.as_deref().unwrap();
        assert!(note.contains("time +12.0% at +0.0% instructions"), "{note}");
        let checksum = entries[2].instructions.as_ref().unwrap();
        assert_eq!(checksum.id, "counts::work::checksum::large/instructions");
        assert!(checksum.disagree);
        assert!(entries[2]
            .note
            .as_deref()
            .unwrap()
            .contains("instructions +30.0%"));
        assert!(entries[4].instructions.is_none(), "no count for it");
        assert!(
            entries[1].instructions.is_none(),
            "a count has no count beside it"
        );
    }

    #[test]
    fn signals_that_agree_or_an_undecided_one_say_nothing() {
        let mut entries = vec![
            entry("a", "ns", 0.3, Verdict::Regressed),
            entry("a/instructions", "instructions", 0.3, Verdict::Regressed),
            entry("b", "ns", 0.3, Verdict::Inconclusive),
            entry("b/instructions", "instructions", 0.0, Verdict::Pass),
        ];
        pair(&mut entries, &BTreeMap::new());
        assert!(!entries[0].instructions.as_ref().unwrap().disagree);
        assert!(!entries[2].instructions.as_ref().unwrap().disagree);
        assert!(entries.iter().all(|e| e.note.is_none()));
    }
}
