//! What `cargo perfgate init --calibrate` writes to `perfgate.toml`: for each benchmark or
//! metric this machine cannot resolve at the threshold it would get (an A/A interval from
//! `noise` reaching past it), a `[thresholds]` entry of its own id at `MARGIN` times what was
//! resolved, with the measurement behind it in a comment. Nothing else in the file changes, and
//! a benchmark a glob of the team's already names keeps that glob.

use perfgate_format::NoiseFloor;

use super::Policy;

/// How far above the measured floor a written threshold sits: an A/A interval is itself a
/// measurement, and a threshold at it would leave the next unchanged run on the line.
pub(crate) const MARGIN: f64 = 1.5;

/// A threshold `--calibrate` writes: the benchmark's id, the threshold (relative, or points for
/// a fraction), and the comment that says where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Calibrated {
    pub id: String,
    pub threshold: f64,
    pub why: String,
}

/// What the floors ask of the policy: the thresholds to write, and the ids left as they are
/// because a glob of the policy names them or because no threshold a policy takes would hold
/// them (each in words).
pub(crate) fn choose(
    policy: &Policy,
    floors: &[NoiseFloor],
    machine: &str,
) -> (Vec<Calibrated>, Vec<String>) {
    let mut written = Vec::new();
    let mut kept = Vec::new();
    for floor in floors {
        if !floor.resolvable.is_finite() || floor.resolvable <= floor.threshold {
            continue;
        }
        if let Some(glob) = policy.glob_threshold(&floor.id) {
            kept.push(format!(
                "{} (a glob sets {:.1}%; this machine resolved ±{:.1}%)",
                floor.id,
                glob * 100.0,
                floor.resolvable * 100.0
            ));
            continue;
        }
        let threshold = rounded_up(floor.resolvable * MARGIN);
        if threshold >= super::MAX_RELATIVE {
            kept.push(format!(
                "{} at its default {:.1}% (this machine resolved ±{:.1}%, beyond the largest threshold a policy takes, {}%: gate it with a budget)",
                floor.id,
                floor.threshold * 100.0,
                floor.resolvable * 100.0,
                super::MAX_RELATIVE * 100.0
            ));
            continue;
        }
        written.push(Calibrated {
            id: floor.id.clone(),
            threshold,
            why: format!(
                "init --calibrate: A/A on {machine}, {} rounds, resolved ±{:.1}% against a default of {:.1}%",
                floor.counted,
                floor.resolvable * 100.0,
                floor.threshold * 100.0
            ),
        });
    }
    (written, kept)
}

/// `fraction` in whole percent, rounded up to two significant figures (0.372 → 0.38, 12.34 →
/// 13).
fn rounded_up(fraction: f64) -> f64 {
    let percent = fraction * 100.0;
    let digits = percent.log10().floor() as i32 - 1;
    let step = 10f64.powi(digits.max(0));
    (percent / step).ceil() * step / 100.0
}

/// `text` (a `perfgate.toml`) with `calibrated` added to its `[thresholds]` table (made when
/// absent), each entry after a comment line of its own; every other line as it was.
pub(crate) fn add_to(text: &str, calibrated: &[Calibrated]) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let table = doc
        .entry("thresholds")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_mut()
        .ok_or("`thresholds` is not a table")?;
    for c in calibrated {
        let percent = format!("{}%", c.threshold * 100.0);
        let percent = percent.replace(".0%", "%");
        table.insert(&c.id, toml_edit::value(percent));
        if let Some(mut key) = table.key_mut(&c.id) {
            key.leaf_decor_mut().set_prefix(format!("# {}\n", c.why));
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floor(id: &str, resolvable: f64, threshold: f64) -> NoiseFloor {
        NoiseFloor {
            id: id.to_string(),
            rounds: 12,
            counted: 10,
            change: 0.0,
            change_low: -resolvable,
            change_high: resolvable,
            resolvable,
            threshold,
            seconds: 1.0,
        }
    }

    #[test]
    fn only_what_this_machine_cannot_resolve_gets_a_threshold_and_a_glob_wins() {
        let policy =
            Policy::from_toml("[thresholds]\n\"parse/*\" = \"8%\"\n", "perfgate.toml").unwrap();
        let floors = [
            floor("fast/add", 0.02, 0.05),
            floor("slow/sort", 0.123, 0.05),
            floor("parse/json", 0.2, 0.08),
            floor("s/op/latency_p99", f64::INFINITY, 5.0),
            floor("s/op/latency_max", 90.0, 20.0),
        ];
        let (written, kept) = choose(&policy, &floors, "a 2-core runner");
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].id, "slow/sort");
        // 1.5 × 12.3% = 18.45%, rounded up to two figures.
        assert!((written[0].threshold - 0.19).abs() < 1e-12, "{written:?}");
        assert!(written[0].why.contains("±12.3%"), "{written:?}");
        assert_eq!(kept.len(), 2);
        assert!(
            kept[0].starts_with("parse/json (a glob sets 8.0%"),
            "{kept:?}"
        );
        // 1.5 × 9,000% is beyond what a policy takes: the default stays, and says so.
        assert!(kept[1].contains("gate it with a budget"), "{kept:?}");
        // What is written, the policy reads back: a tail's 1,300% too.
        let big = [floor("s/op/latency_p99", 8.445, 5.0)];
        let text = add_to("", &choose(&policy, &big, "m").0).unwrap();
        let read = Policy::from_toml(&text, "perfgate.toml").unwrap();
        assert_eq!(read.glob_threshold("s/op/latency_p99"), Some(13.0));
    }

    #[test]
    fn thresholds_are_rounded_up_never_down() {
        assert!((rounded_up(0.372) - 0.38).abs() < 1e-12);
        assert!((rounded_up(12.34) - 13.0).abs() < 1e-12);
        assert!((rounded_up(0.05) - 0.05).abs() < 1e-12);
        assert!((rounded_up(0.0301) - 0.04).abs() < 1e-12);
    }

    #[test]
    fn entries_join_the_thresholds_table_and_every_other_line_stays() {
        let text = "# ours\n[gate]\nthreshold = \"5%\"\n\n[thresholds]\n# \"parse/*\" = \"10%\"\n";
        let calibrated = [Calibrated {
            id: "slow/sort".to_string(),
            threshold: 0.19,
            why: "init --calibrate: measured".to_string(),
        }];
        let out = add_to(text, &calibrated).unwrap();
        assert!(
            out.starts_with("# ours\n[gate]\nthreshold = \"5%\"\n"),
            "{out}"
        );
        assert!(
            out.contains("# init --calibrate: measured\n\"slow/sort\" = \"19%\""),
            "{out}"
        );
        let policy = Policy::from_toml(&out, "perfgate.toml").unwrap();
        assert_eq!(policy.glob_threshold("slow/sort"), Some(0.19));
        // No [thresholds] table yet: one is made.
        let out = add_to("[gate]\n", &calibrated).unwrap();
        assert!(out.contains("[thresholds]"), "{out}");
        assert!(add_to("[gate\n", &calibrated).is_err());
    }
}
