//! A green means every baseline entry in scope was measured and compared: a renamed benchmark,
//! one whose id a collision prefixed, and one whose unit changed each get the verdict that says
//! so, and only the base side's policy can make `missing` a warning.

use std::collections::BTreeMap;

use cargo_perfgate::compare::{self, Inputs};
use cargo_perfgate::config::{Confirm, Policy, Unconfirmed};
use perfgate_format::{
    qualified_id, Baseline, Benchmark, Comparison, Direction, Machine, Overall, Provenance, Run,
    Source, Summary, Verdict, BASELINE_SCHEMA, RUN_SCHEMA,
};

fn machine() -> Machine {
    Machine {
        cpu_model: "Test CPU".into(),
        cores: 2,
        os: "linux".into(),
        arch: "x86_64".into(),
        rustc: "rustc 1.95.0".into(),
    }
}

/// 30 samples ±1% around `median`, of `target` in package `p`.
fn timing(id: &str, target: &str, median: f64) -> Benchmark {
    let samples: Vec<f64> = (0..30)
        .map(|i| median * (0.99 + 0.02 * f64::from(i) / 29.0))
        .collect();
    Benchmark {
        summary: Summary::of(&samples),
        id: id.to_string(),
        source: Source::Criterion,
        package: "p".into(),
        target: target.into(),
        unit: "ns".into(),
        direction: Direction::LowerIsBetter,
        samples,
        throughput: None,
        kind: None,
    }
}

fn judged(baseline: Vec<Benchmark>, current: Vec<Benchmark>, policy: &Policy) -> Comparison {
    let run = Run {
        schema: RUN_SCHEMA.into(),
        tool_version: "0.1.0".into(),
        started: "2026-11-01T00:00:00Z".into(),
        git: None,
        machine: machine(),
        shard: None,
        benchmarks: current,
        errors: Vec::new(),
        confirmations: BTreeMap::new(),
    };
    let baseline = Baseline {
        schema: BASELINE_SCHEMA.into(),
        profile: "default".into(),
        provenance: Provenance {
            commit: None,
            dirty: false,
            date: "2026-11-01T00:00:00Z".into(),
            tool_version: "0.1.0".into(),
            machine: machine(),
        },
        benchmarks: baseline,
    };
    let in_scope = |_: &Benchmark| true;
    compare::compare(&Inputs {
        run: &run,
        baseline: Some(&baseline),
        baseline_ref: None,
        policy,
        confirm: Confirm::Never,
        confirmations: &BTreeMap::new(),
        confirm_unavailable: None,
        confirm_failures: &BTreeMap::new(),
        floors: &BTreeMap::new(),
        in_scope: &in_scope,
        warnings: Vec::new(),
        acceptance: None,
        drift: None,
    })
}

fn verdict(comparison: &Comparison, id: &str) -> Verdict {
    comparison
        .entries
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("{id} not in {:?}", comparison.entries))
        .verdict
}

#[test]
fn a_renamed_benchmark_is_missing_and_fails_the_run() {
    let comparison = judged(
        vec![
            timing("checksum/1k", "core", 100.0),
            timing("parse", "core", 50.0),
        ],
        vec![
            timing("checksum/1kb", "core", 130.0),
            timing("parse", "core", 50.0),
        ],
        &Policy::default(),
    );
    assert_eq!(verdict(&comparison, "checksum/1k"), Verdict::Missing);
    assert_eq!(verdict(&comparison, "checksum/1kb"), Verdict::New);
    assert_eq!(comparison.verdict, Overall::Error, "not a pass");
    let warnings = comparison.warnings.join("\n");
    assert!(
        warnings.contains("not measured") && warnings.contains("gate.missing"),
        "{warnings}"
    );
}

#[test]
fn the_base_sides_policy_can_make_missing_a_warning() {
    let policy = Policy {
        missing: Unconfirmed::Warn,
        ..Policy::default()
    };
    let comparison = judged(
        vec![timing("gone", "core", 100.0), timing("kept", "core", 50.0)],
        vec![timing("kept", "core", 50.0)],
        &policy,
    );
    assert_eq!(verdict(&comparison, "gone"), Verdict::Missing);
    assert_eq!(comparison.verdict, Overall::Pass);
    assert!(comparison
        .warnings
        .join("\n")
        .contains("reported, not failed"));
}

#[test]
fn a_collision_in_a_new_target_never_orphans_the_entry_that_was_there() {
    // The baseline knew `checksum/1k` of `core`; a new target `extra` names one alike, so the
    // run prefixes both. The untouched one, slowed 30%, is still compared with its entry.
    let comparison = judged(
        vec![timing("checksum/1k", "core", 100.0)],
        vec![
            timing(&qualified_id("p", "core", "checksum/1k"), "core", 130.0),
            timing(&qualified_id("p", "extra", "checksum/1k"), "extra", 10.0),
        ],
        &Policy::default(),
    );
    let slowed = qualified_id("p", "core", "checksum/1k");
    assert_eq!(verdict(&comparison, &slowed), Verdict::Regressed);
    assert_eq!(
        verdict(&comparison, &qualified_id("p", "extra", "checksum/1k")),
        Verdict::New
    );
    assert!(comparison
        .entries
        .iter()
        .all(|e| e.verdict != Verdict::Missing));
    assert_eq!(comparison.verdict, Overall::Fail);
    // And the other way: a prefixed baseline entry, a plain id now.
    let comparison = judged(
        vec![timing(&qualified_id("p", "core", "parse"), "core", 100.0)],
        vec![timing("parse", "core", 100.0)],
        &Policy::default(),
    );
    assert_eq!(verdict(&comparison, "parse"), Verdict::Pass);
    assert_eq!(comparison.verdict, Overall::Pass);
}

#[test]
fn a_change_of_unit_or_kind_is_not_compared() {
    let mut cycles = timing("checksum/1k", "core", 308.8);
    cycles.unit = "cycles".into();
    let comparison = judged(
        vec![timing("checksum/1k", "core", 100.0)],
        vec![cycles],
        &Policy::default(),
    );
    let entry = &comparison.entries[0];
    assert_eq!(entry.verdict, Verdict::Error, "{entry:?}");
    assert!(entry.change.is_none(), "no ratio across units: {entry:?}");
    let note = entry.note.as_deref().unwrap_or_default();
    assert!(note.contains("`ns` to `cycles`"), "{note}");
    assert_eq!(comparison.verdict, Overall::Error);

    let mut fraction = timing("store/put/x", "core", 0.5);
    fraction.unit = "ns".into();
    fraction.kind = Some(perfgate_format::Kind::Fraction);
    let mut duration = timing("store/put/x", "core", 100.0);
    duration.kind = Some(perfgate_format::Kind::Duration);
    let comparison = judged(vec![duration], vec![fraction], &Policy::default());
    assert_eq!(comparison.entries[0].verdict, Verdict::Error);
    assert!(comparison.entries[0]
        .note
        .as_deref()
        .unwrap_or_default()
        .contains("kind changed"));
}

#[test]
fn where_every_comparison_is_re_measured_none_passes_on_stored_samples_alone() {
    // A baseline measured in a slow phase: the stored samples read a real slowdown as -31%.
    let run = Run {
        schema: RUN_SCHEMA.into(),
        tool_version: "0.1.0".into(),
        started: "2026-11-01T00:00:00Z".into(),
        git: None,
        machine: machine(),
        shard: None,
        benchmarks: vec![
            timing("checksum/1k", "core", 69.0),
            timing("parse", "core", 50.0),
        ],
        errors: Vec::new(),
        confirmations: BTreeMap::new(),
    };
    let baseline = Baseline {
        schema: BASELINE_SCHEMA.into(),
        profile: "default".into(),
        provenance: Provenance {
            commit: None,
            dirty: false,
            date: "2026-11-01T00:00:00Z".into(),
            tool_version: "0.1.0".into(),
            machine: machine(),
        },
        benchmarks: vec![
            timing("checksum/1k", "core", 100.0),
            timing("parse", "core", 50.0),
        ],
    };
    let in_scope = |_: &Benchmark| true;
    let unavailable = "building the baseline's commit failed: (test)".to_string();
    let policy = Policy::default();
    let comparison = compare::compare(&Inputs {
        run: &run,
        baseline: Some(&baseline),
        baseline_ref: None,
        policy: &policy,
        confirm: Confirm::Always,
        confirmations: &BTreeMap::new(),
        confirm_unavailable: Some(unavailable),
        confirm_failures: &BTreeMap::new(),
        floors: &BTreeMap::new(),
        in_scope: &in_scope,
        warnings: Vec::new(),
        acceptance: None,
        drift: None,
    });
    for entry in &comparison.entries {
        assert_eq!(entry.verdict, Verdict::Unconfirmed, "{entry:?}");
        assert!(
            entry
                .note
                .as_deref()
                .unwrap_or_default()
                .contains("did not build")
                || entry.note.as_deref().unwrap_or_default().contains("failed"),
            "{entry:?}"
        );
    }
    assert_eq!(comparison.verdict, Overall::Error);
    assert!(
        comparison.method.contains("could not run") && comparison.method.contains("0 were"),
        "the method line says what was done: {}",
        comparison.method
    );
}
