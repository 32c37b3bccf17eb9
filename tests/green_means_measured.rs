//! A green means every baseline entry in scope was measured and compared: a renamed benchmark,
//! one whose id a collision prefixed, and one whose unit changed each get the verdict that says
//! so, and only the base side's policy can make `missing` a warning.

mod support;

use std::collections::BTreeMap;

use cargo_perfgate::compare::{self, Inputs};
use cargo_perfgate::config::{Confirm, Policy, Unconfirmed};
use perfgate_format::{
    qualified_id, Baseline, Benchmark, Comparison, Direction, Machine, Overall, Provenance, Run,
    Source, Verdict, BASELINE_SCHEMA, RUN_SCHEMA,
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
    Benchmark::new(id, Source::Criterion, "p", target, "ns", samples)
}

fn run_of(benchmarks: Vec<Benchmark>) -> Run {
    Run {
        schema: RUN_SCHEMA.into(),
        tool_version: "0.1.0".into(),
        started: "2026-11-01T00:00:00Z".into(),
        git: None,
        machine: machine(),
        shard: None,
        benchmarks,
        errors: Vec::new(),
        confirmations: BTreeMap::new(),
        identical: Default::default(),
    }
}

fn baseline_of(benchmarks: Vec<Benchmark>) -> Baseline {
    Baseline {
        schema: BASELINE_SCHEMA.into(),
        profile: "default".into(),
        provenance: Provenance {
            commit: None,
            dirty: false,
            date: "2026-11-01T00:00:00Z".into(),
            tool_version: "0.1.0".into(),
            machine: machine(),
        },
        benchmarks,
    }
}

/// The comparison of `current` with `baseline`, nothing re-measured, under `confirm` and
/// with the confirm stage `unavailable` as given.
fn judged_with(
    baseline: Vec<Benchmark>,
    current: Vec<Benchmark>,
    policy: &Policy,
    confirm: Confirm,
    unavailable: Option<String>,
) -> Comparison {
    let (run, baseline) = (run_of(current), baseline_of(baseline));
    compare::compare(&Inputs {
        confirm,
        confirm_unavailable: unavailable,
        ..Inputs::new(&run, Some(&baseline), policy)
    })
}

fn judged(baseline: Vec<Benchmark>, current: Vec<Benchmark>, policy: &Policy) -> Comparison {
    judged_with(baseline, current, policy, Confirm::Never, None)
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
fn a_rename_is_named_and_only_a_maintainers_label_acknowledges_it() {
    let baseline = vec![
        timing("checksum/1k", "core", 100.0),
        timing("hash/64", "core", 40.0),
        timing("parse", "core", 50.0),
    ];
    // `checksum/1k` renamed unchanged; `hash/64` renamed and made 30% slower.
    let current = vec![
        timing("checksum/1kb", "core", 101.0),
        timing("hash/64b", "core", 52.0),
        timing("parse", "core", 50.0),
    ];
    let policy = Policy::default();
    let unlabelled = judged(baseline.clone(), current.clone(), &policy);
    assert_eq!(unlabelled.verdict, Overall::Error, "a rename is not a pass");
    let note = |c: &Comparison, id: &str| {
        c.entries
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.note.clone())
            .unwrap_or_default()
    };
    assert!(
        note(&unlabelled, "checksum/1kb").contains("renamed? from the baseline's `checksum/1k`"),
        "{}",
        note(&unlabelled, "checksum/1kb")
    );
    assert!(
        !note(&unlabelled, "hash/64b").contains("renamed"),
        "30% apart is no rename by its numbers"
    );

    let acceptance = perfgate_format::Acceptance {
        label: "perfgate:accept".into(),
        by: Some("maintainer".into()),
        pull_request: Some(12),
        head_sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
    };
    let (run, base) = (run_of(current), baseline_of(baseline));
    let labelled = compare::compare(&Inputs {
        confirm: Confirm::Never,
        acceptance: Some(&acceptance),
        ..Inputs::new(&run, Some(&base), &policy)
    });
    assert_eq!(labelled.verdict, Overall::Pass, "{:?}", labelled.warnings);
    assert_eq!(verdict(&labelled, "checksum/1k"), Verdict::Accepted);
    assert_eq!(verdict(&labelled, "hash/64"), Verdict::Accepted);
    let renamed = note(&labelled, "checksum/1k");
    assert!(
        renamed.contains("accepted with the label `perfgate:accept` added by @maintainer on #12 for commit 0123456789")
            && renamed.contains("renamed to `checksum/1kb`"),
        "{renamed}"
    );
    let warnings = labelled.warnings.join("\n");
    assert!(
        warnings.contains("2 benchmark(s) of the baseline not measured by this change"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("no confirmed regression to accept"),
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
    let comparison = judged_with(
        vec![
            timing("checksum/1k", "core", 100.0),
            timing("parse", "core", 50.0),
        ],
        vec![
            timing("checksum/1k", "core", 69.0),
            timing("parse", "core", 50.0),
        ],
        &Policy::default(),
        Confirm::Always,
        Some("building the baseline's commit failed: (test)".to_string()),
    );
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

/// A re-measurement whose median reads no change, as the run did (`+2.8% [-0.6%,
/// +69.2%]`), with `slow` of its 48 rounds at `factor` and the rest within ±1%.
fn mixture(slow: usize, factor: f64, fast: usize) -> perfgate_format::Confirmation {
    let mut ratios: Vec<f64> = (0..48 - slow - fast)
        .map(|i| 1.0 + 0.01 * ((i % 5) as f64 - 2.0) / 2.0)
        .collect();
    ratios.extend(std::iter::repeat_n(factor, slow));
    ratios.extend(std::iter::repeat_n(1.0 / factor, fast));
    perfgate_format::Confirmation {
        baseline_commit: "0".repeat(40),
        rounds: 48,
        counted: 40,
        change: 0.028,
        change_low: -0.006,
        change_high: 0.692,
        confidence: 0.95,
        halves: Some([0.01, 0.04]),
        medians: None,
        stored_medians: None,
        p_value: 0.2,
        seconds: 3.0,
        ratios,
        points: false,
        candidate_rounds: Vec::new(),
        quick: false,
        as_users_run: Vec::new(),
    }
}

fn verdict_of_confirmation(confirmation: &perfgate_format::Confirmation) -> (Verdict, String) {
    let stored = compare::Stored {
        change: 0.3,
        low: 0.2,
        high: 0.4,
        p: 0.001,
        points: false,
    };
    let (verdict, note) =
        compare::judge_confirmed(&stored, confirmation, 0.2, 0.05, Direction::LowerIsBetter);
    (verdict, note.unwrap_or_default())
}

#[test]
fn a_slowdown_in_a_share_of_processes_is_regressed_and_machine_noise_is_not() {
    // 35% of the candidate's processes take a 1.9x slow path.
    let (verdict, note) = verdict_of_confirmation(&mixture(17, 1.9, 0));
    assert_eq!(verdict, Verdict::Regressed, "{note}");
    assert!(
        note.contains("17 of 48 rounds") && note.contains("share of processes"),
        "{note}"
    );
    // The same far rounds on both sides (the machine changing speed, random order): not a
    // regression, and still not a pass.
    let (verdict, note) = verdict_of_confirmation(&mixture(4, 1.8, 4));
    assert_eq!(verdict, Verdict::Inconclusive, "{note}");
    assert!(
        note.contains("smallest change these rounds resolve"),
        "{note}"
    );
    // Too few slow rounds to tell from chance.
    let (verdict, _) = verdict_of_confirmation(&mixture(3, 1.9, 0));
    assert_ne!(verdict, Verdict::Regressed);
    // The median and its interval read a pass (a fast process's median, a tight interval):
    // the one-sided tail still overturns it.
    let mut tight = mixture(17, 1.9, 0);
    (tight.change, tight.change_low, tight.change_high) = (0.002, -0.01, 0.02);
    tight.halves = Some([0.001, 0.003]);
    let (verdict, note) = verdict_of_confirmation(&tight);
    assert_eq!(verdict, Verdict::Regressed, "{note}");
    // A loaded machine's unchanged benchmark once had 6 slow far rounds and none fast in 48:
    // still a pass.
    let mut loaded = mixture(6, 1.3, 0);
    (loaded.change, loaded.change_low, loaded.change_high) = (0.002, -0.01, 0.02);
    loaded.halves = Some([0.001, 0.003]);
    let (verdict, note) = verdict_of_confirmation(&loaded);
    assert_eq!(verdict, Verdict::Pass, "{note}");
}

/// End to end, as a pull request: the demo's `checksum` takes a 1.9x slow path in about 35%
/// of processes (chosen by a hash of the process id, as a hash seed or a layout effect would
/// choose), the other benchmarks are unchanged. Every benchmark is re-measured against the
/// merge-base's build; the median of `checksum`'s rounds is (most runs) a fast process's,
/// and the far tail that fills on one side only makes it `regressed`.
#[test]
fn code_slow_in_a_share_of_processes_fails_the_pull_request() {
    let demo = support::Demo::new();
    let (code, _, stderr) = support::output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline on main");
    demo.git(&["checkout", "-q", "-b", "pr"]);
    demo.edit(
        "src/lib.rs",
        "let extra = data.len() as u64 * knob(CHECKSUM_SLOWDOWN_PERCENT) / 100;",
        // Decided once per process (`process::id` is a system call: asked per call, it would
        // slow every process).
        // A splitmix64 step over the id: consecutive ids land anywhere in 0..100.
        "static SLOW: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| { let mut z = u64::from(std::process::id()).wrapping_add(0x9e37_79b9_7f4a_7c15); z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9); z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb); (z ^ (z >> 31)) % 100 < 35 });\n    let extra = data.len() as u64 * knob(if *SLOW { 90 } else { 0 }) / 100;",
    );
    demo.commit("a slow path in some processes");
    let (code, stdout, stderr) = support::output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"])
            .env("GITHUB_BASE_REF", "main"),
    );
    let compare = support::json(&stdout);
    let checksum = support::entry(&compare, "checksum/1k");
    assert_eq!(code, 3, "{checksum}\n{stderr}");
    // Usually by the far tail ("a slow path in a share of processes"); when chance gives the
    // slow processes the majority of the rounds, by the median itself. Never a pass.
    assert_eq!(checksum["verdict"], "regressed", "{checksum}");
    // The other benchmarks are not asserted on: the edit moves code, and a build whose parse
    // loop lands on another alignment is measurably (and truly) +7% slower in every round.
}

#[test]
fn inconclusive_is_not_a_pass_unless_the_base_side_says_warn() {
    let counts = perfgate_format::Counts {
        total: 2,
        pass: 1,
        inconclusive: 1,
        ..Default::default()
    };
    assert_eq!(
        compare::overall(&counts, true, &Policy::default()),
        Overall::Error
    );
    let warn = Policy {
        inconclusive: Unconfirmed::Warn,
        ..Policy::default()
    };
    assert_eq!(compare::overall(&counts, true, &warn), Overall::Pass);
    // A confirmed regression beside it decides the exit code: the gate failed.
    let with_regression = perfgate_format::Counts {
        regressed: 1,
        ..counts
    };
    assert_eq!(
        compare::overall(&with_regression, true, &Policy::default()),
        Overall::Fail
    );
}

#[test]
fn a_pull_request_measures_its_benchmarks_once_by_the_rounds() {
    let demo = support::Demo::new();
    let (code, _, stderr) = support::output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline on main");
    demo.git(&["checkout", "-q", "-b", "pr"]);
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);
    demo.commit("checksum does more work");
    let out = demo.target.join("perfgate");
    // `baseline save` ran the target on its own; the pull request must not.
    std::fs::remove_dir_all(out.join("logs")).unwrap();
    let (code, stdout, stderr) = support::output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json", "checksum|parse"])
            .env("GITHUB_BASE_REF", "main"),
    );
    let compare = support::json(&stdout);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert_eq!(
        support::entry(&compare, "checksum/1k")["verdict"],
        "regressed"
    );
    assert!(
        stderr.contains("2 benchmarks listed, to be measured in rounds"),
        "{stderr}"
    );
    // No run of the criterion target on its own: its log would be `demo-core-core.log`.
    assert!(!out.join("logs/demo-core-core.log").exists());
    // What run.json holds for a benchmark is its candidate side of the rounds, sample for round.
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    for id in ["checksum/1k", "parse/1000_lines"] {
        let measured = run["benchmarks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in run.json"));
        let rounds = &support::entry(&compare, id)["confirmation"]["rounds"];
        assert_eq!(
            measured["samples"].as_array().map(Vec::len),
            rounds.as_u64().map(|r| r as usize),
            "{id}"
        );
    }
    assert!(
        compare["method"]
            .as_str()
            .is_some_and(|m| m.contains("the rounds were the change's measurement")),
        "{}",
        compare["method"]
    );
}

#[test]
fn an_unchanged_pull_request_is_unchanged_by_construction_until_its_package_changes() {
    let demo = support::Demo::new();
    let (code, _, stderr) = support::output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline on main");
    demo.git(&["checkout", "-q", "-b", "pr"]);
    let gate = || {
        support::output(
            demo.perfgate()
                .args(["check", "--quick", "--format", "json"])
                .env("GITHUB_BASE_REF", "main"),
        )
    };
    let (code, stdout, stderr) = gate();
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let compare = support::json(&stdout);
    for (id, _) in support::verdicts(&compare) {
        let entry = support::entry(&compare, &id);
        assert_eq!(entry["method"], "identical", "{entry}");
        assert_eq!(entry["verdict"], "pass", "{entry}");
        assert!(
            entry["current"].is_null(),
            "nothing measured, nothing shown: {entry}"
        );
    }
    assert_eq!(compare["cost"]["rounds"], 0, "{}", compare["cost"]);
    assert!(
        stderr.contains("unchanged by construction, not run"),
        "{stderr}"
    );
    // The saved run says so, for `compare` (and `merge`) against the same commit only.
    let saved = demo.target.join("perfgate/run.json");
    let (code, stdout, stderr) = support::output(
        demo.perfgate()
            .args(["compare", "--format", "json", "--out-dir", "target/again"])
            .arg(&saved)
            .env("GITHUB_BASE_REF", "main"),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let again = support::json(&stdout);
    assert_eq!(support::entry(&again, "checksum/1k")["method"], "identical");

    // A file the benchmarks could read at run time, new in the package: measured again.
    // (Its verdicts are a measurement's, so not asserted here: `scripts/accuracy.sh` measures
    // how often unchanged code passes.)
    demo.write("benches/input.txt", "data");
    let (code, stdout, stderr) = gate();
    assert!(matches!(code, 0 | 3), "{stdout}\n{stderr}");
    let compare = support::json(&stdout);
    for (id, _) in support::verdicts(&compare) {
        let entry = support::entry(&compare, &id);
        assert_eq!(entry["method"], "confirmed", "{entry}");
    }
}
