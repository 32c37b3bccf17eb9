//! A gate that fails closed: each way a 3–4x slowdown once went green, as a hostile pull request
//! or a careless setup would try it, now ends non-zero (or `regressed` where an honest
//! re-measurement is possible). Real cargo, real criterion, real git repositories.

mod support;

use support::{json, output, run_envelope, timing, verdicts, Demo};

fn save_and_commit_baseline(demo: &Demo) {
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "baseline save failed: {stderr}");
    demo.commit("baseline");
}

/// A single-figure stability metric, as the harness writes one.
fn metric(id: &str, unit: &str, direction: &str, value: f64) -> serde_json::Value {
    serde_json::json!({
        "id": id, "source": "stability", "package": "demo-core", "target": "stability",
        "unit": unit, "direction": direction, "samples": [value],
        "summary": {"n": 1, "median": value, "mean": value, "min": value, "max": value, "mad": 0.0}
    })
}

#[test]
fn a_tracked_noise_file_is_refused_and_an_untracked_one_widens_at_most_3x() {
    let demo = Demo::new();
    demo.write(
        "baseline.json",
        &run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    demo.write(
        "run.json",
        &run_envelope(vec![timing("checksum/1k", 4000.0)]).to_string(),
    );
    let run = json(&demo.read("run.json"));
    let noise = serde_json::json!({
        "schema": "perfgate.noise.v1", "tool_version": "0.1.0",
        "measured": "2026-11-01T00:00:00Z", "machine": run["machine"],
        "benchmarks": [{"id": "checksum/1k", "rounds": 16, "counted": 16, "change": 0.0,
            "change_low": -1e308, "change_high": 1e308, "resolvable": 1e308,
            "threshold": 0.05, "seconds": 1.0}]
    });
    demo.write("target/perfgate/noise.json", &noise.to_string());
    demo.git(&["add", "-f", "target/perfgate/noise.json"]);
    demo.commit("a PR that brings its own noise floor");

    let compare = || output(demo.perfgate().args(support::COMPARE_SAVED_RUN));
    let (code, stdout, stderr) = compare();
    assert_eq!(
        code, 1,
        "a tracked noise.json must be refused: {stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("tracked by git") && stderr.contains("noise.json"),
        "{stderr}"
    );

    // Measured by this machine and not from the change: used, but bounded.
    demo.git(&["rm", "-q", "--cached", "target/perfgate/noise.json"]);
    demo.commit("untracked");
    let (code, stdout, stderr) = compare();
    assert_eq!(code, 3, "+300% still regresses: {stdout}\n{stderr}");
    let entry = support::entry(&json(&stdout), "checksum/1k").clone();
    assert_eq!(entry["verdict"], "regressed", "{entry}");
    let threshold = entry["threshold"].as_f64().unwrap();
    assert!((threshold - 0.15).abs() < 1e-9, "{entry}");
    assert!(
        entry["note"].as_str().unwrap().contains("capped at 3x"),
        "{entry}"
    );
}

#[test]
fn a_planted_baseline_tree_is_exported_again_and_the_slowdown_regresses() {
    let demo = Demo::new();
    save_and_commit_baseline(&demo);
    let base = demo.rev("HEAD");
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 300);
    // The PR's slowed sources, planted where the confirm stage caches the base commit's tree.
    let planted = format!("target/perfgate/worktrees/{base}");
    for file in ["Cargo.toml", "Cargo.lock", "src/lib.rs", "benches/core.rs"] {
        demo.write(&format!("{planted}/{file}"), &demo.read(file));
    }
    demo.write(&format!("{planted}/.perfgate-complete"), &base);
    demo.git(&["add", "-f", &planted]);
    demo.commit("slower, with a planted baseline tree");
    let check = || {
        output(
            demo.perfgate()
                .args(["check", "--quick", "--format", "json", "--against", &base]),
        )
    };
    let (code, stdout, stderr) = check();
    assert_eq!(
        code, 1,
        "files the change tracks under target/ are refused: {stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("tracked by git") && stderr.contains("worktrees"),
        "{stderr}"
    );

    // The same tree planted where the baseline side is exported (outside the checkout: a
    // poisoned cache) is checked against the commit and exported again.
    demo.git(&["rm", "-r", "-q", "--cached", &planted]);
    demo.commit("untracked again");
    let export = support::base_cache().join("exports").join(&base);
    for file in ["Cargo.toml", "Cargo.lock", "src/lib.rs", "benches/core.rs"] {
        let to = export.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, demo.read(file)).unwrap();
    }
    let (code, stdout, stderr) = check();
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let entry = support::entry(&json(&stdout), "checksum/1k").clone();
    assert_eq!(entry["verdict"], "regressed", "{entry}");
    assert_eq!(entry["method"], "confirmed", "{entry}");
    assert!(
        stderr.contains("does not match the commit"),
        "the planted tree is named: {stderr}"
    );
}

#[test]
fn a_file_named_like_the_base_branch_is_refused_not_read() {
    let demo = Demo::new();
    save_and_commit_baseline(&demo);
    demo.git(&["checkout", "-q", "-b", "pr"]);
    demo.write("main", &demo.read("baselines/default.json"));
    demo.commit("a file named main");
    let (code, stdout, stderr) =
        output(
            demo.perfgate()
                .args(["check", "--quick", "--against", "main"]),
        );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("names both") && stderr.contains("./main"),
        "{stderr}"
    );
}

#[test]
fn a_baseline_commit_that_does_not_build_fails_closed() {
    let demo = Demo::new();
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    let source = demo.read("src/lib.rs");
    demo.write(
        "src/lib.rs",
        &format!("{source}\ncompile_error!(\"broken at the base\");\n"),
    );
    demo.commit("baseline, with code that does not build");
    demo.write("src/lib.rs", &source);
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 300);

    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    assert_eq!(compare["verdict"], "error");
    let entry = support::entry(&compare, "checksum/1k");
    assert_eq!(entry["verdict"], "unconfirmed", "{entry}");
    let note = entry["note"].as_str().unwrap();
    assert!(
        note.contains("building the baseline's commit failed") && note.contains("not a pass"),
        "{note}"
    );
}

#[test]
fn a_baseline_file_is_confirmed_against_its_recorded_commit_or_fails_closed() {
    let demo = Demo::new();
    save_and_commit_baseline(&demo);
    demo.write("baseline.json", &demo.read("baselines/default.json"));
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 300);
    let check = || {
        output(demo.perfgate().args([
            "check",
            "--quick",
            "--format",
            "json",
            "--against",
            "baseline.json",
            "--bench",
            "core",
            "checksum",
        ]))
    };
    let (code, stdout, stderr) = check();
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    let entry = support::entry(&compare, "checksum/1k").clone();
    assert_eq!(
        (entry["verdict"].as_str(), entry["method"].as_str()),
        (Some("regressed"), Some("confirmed")),
        "{entry}"
    );
    // The row shows the re-measured medians, and the run says what it cost.
    let medians = &entry["confirmation"]["medians"];
    assert_eq!(entry["baseline"], medians[0], "{entry}");
    assert_eq!(entry["current"], medians[1], "{entry}");
    let cost = &compare["cost"];
    assert_eq!(cost["confirmed"], 1, "{cost}");
    assert!(
        cost["rounds"].as_u64().unwrap() >= cargo_perfgate::run::confirm::FIRST_ROUNDS as u64,
        "{cost}"
    );
    assert!(cost["total_seconds"].as_f64().unwrap() >= cost["measure_seconds"].as_f64().unwrap());

    // A file that records no commit: nothing to re-measure against, so not a pass.
    let mut file = json(&demo.read("baseline.json"));
    file["provenance"]["commit"] = serde_json::Value::Null;
    demo.write("baseline.json", &file.to_string());
    let (code, stdout, stderr) = check();
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let entry = support::entry(&json(&stdout), "checksum/1k").clone();
    assert_eq!(entry["verdict"], "unconfirmed", "{entry}");
    assert!(
        entry["note"].as_str().unwrap().contains("--against <rev>"),
        "{entry}"
    );
}

#[test]
fn a_run_that_measured_nothing_fails_closed() {
    let demo = Demo::new();
    save_and_commit_baseline(&demo);

    // A filter that matches nothing.
    let (code, stdout, stderr) =
        output(
            demo.perfgate()
                .args(["check", "--quick", "no-such-benchmark"]),
        );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("measured nothing"), "{stdout}");

    // A criterion target that exits 0 without results, and whose `--list` is not criterion's.
    let manifest = demo.read("Cargo.toml");
    demo.write(
        "Cargo.toml",
        &format!("{manifest}\n[[bench]]\nname = \"silent\"\nharness = false\n"),
    );
    demo.write(
        "benches/silent.rs",
        "// Uses criterion in name only.\nfn main() { println!(\"criterion? not today\"); }\n",
    );
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    let entry = support::entry(&compare, "demo-core/silent");
    assert_eq!(entry["verdict"], "error", "{entry}");
    assert!(
        entry["note"]
            .as_str()
            .unwrap()
            .contains("reported no results"),
        "{entry}"
    );
    let (code, stdout, stderr) = output(demo.perfgate().args([
        "check", "--quick", "--format", "json", "--bench", "silent", "--shard", "1/2",
    ]));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("cannot read the benchmark list"),
        "{stdout}"
    );
}

#[test]
fn a_baseline_entry_without_samples_is_an_error_naming_file_and_entry() {
    let demo = Demo::new();
    let mut broken = timing("checksum/1k", 1000.0);
    broken["samples"] = serde_json::json!([]);
    demo.write(
        "baseline.json",
        &run_envelope(vec![broken, timing("parse/1000_lines", 1000.0)]).to_string(),
    );
    demo.write(
        "run.json",
        &run_envelope(vec![
            timing("checksum/1k", 4000.0),
            timing("parse/1000_lines", 1000.0),
        ])
        .to_string(),
    );
    let (code, stdout, stderr) = output(demo.perfgate().args(support::COMPARE_SAVED_RUN));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("baseline.json") && stderr.contains("`checksum/1k`: has no samples"),
        "{stderr}"
    );
    for (text, why) in [("-5.0", "outside"), ("1e308", "outside")] {
        let mut bad = timing("checksum/1k", 1000.0);
        bad["samples"][0] = serde_json::from_str(text).unwrap();
        demo.write("baseline.json", &run_envelope(vec![bad]).to_string());
        let (code, _, stderr) = output(demo.perfgate().args(support::COMPARE_SAVED_RUN));
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains(why), "{text}: {stderr}");
    }
    demo.write(
        "baseline.json",
        &run_envelope(vec![
            timing("checksum/1k", 1000.0),
            timing("checksum/1k", 1.0),
        ])
        .to_string(),
    );
    let (code, _, stderr) = output(demo.perfgate().args(support::COMPARE_SAVED_RUN));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("more than once"), "{stderr}");
}

#[test]
fn unbudgeted_stability_changes_fail_closed_and_a_leak_fails_with_no_budget() {
    let demo = Demo::new();
    let base = run_envelope(vec![
        metric("store/put/throughput", "ops/s", "higher-is-better", 5000.0),
        metric("store/put/error_rate", "ratio", "lower-is-better", 0.0),
        metric(
            "store/put_leak/heap_growth_per_op_low",
            "B",
            "lower-is-better",
            0.0,
        ),
    ]);
    let current = run_envelope(vec![
        // -60%: beyond a throughput's default (50%).
        metric("store/put/throughput", "ops/s", "higher-is-better", 2000.0),
        // +8 points: beyond an error rate's default (any rise; a fraction is compared in points).
        metric("store/put/error_rate", "ratio", "lower-is-better", 0.08),
        metric(
            "store/put_leak/heap_growth_per_op_low",
            "B",
            "lower-is-better",
            0.8,
        ),
    ]);
    demo.write("baseline.json", &base.to_string());
    demo.write("run.json", &current.to_string());
    let (code, stdout, stderr) = output(demo.perfgate().args([
        "compare",
        "run.json",
        "--against",
        "baseline.json",
        "--format",
        "json",
    ]));
    assert_ne!(code, 0, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    let by_id: std::collections::BTreeMap<String, String> =
        verdicts(&compare).into_iter().collect();
    assert_eq!(
        by_id["store/put_leak/heap_growth_per_op_low"], "budget-fail",
        "{compare}"
    );
    assert_eq!(by_id["store/put/throughput"], "unconfirmed", "{compare}");
    assert_eq!(by_id["store/put/error_rate"], "unconfirmed", "{compare}");
    assert_eq!(
        compare["verdict"], "error",
        "could not measure, so not pass"
    );
    assert_eq!(code, 1);
    let leak = support::entry(&compare, "store/put_leak/heap_growth_per_op_low");
    assert!(
        leak["note"].as_str().unwrap().starts_with("leak:"),
        "{leak}"
    );

    // A base-side policy may choose to warn; the leak still fails the gate.
    demo.write("perfgate.toml", "[gate]\nunconfirmed = \"warn\"\n");
    let (code, stdout, stderr) = output(demo.perfgate().args([
        "compare",
        "run.json",
        "--against",
        "baseline.json",
        "--format",
        "json",
    ]));
    assert_eq!(code, 3, "{stdout}\n{stderr}");
}

#[test]
fn a_harness_that_refuses_the_confirm_arguments_fails_closed() {
    let demo = Demo::new();
    // The base side's bench refuses a fractional measurement time, as criterion 0.3 does.
    let bench = demo.read("benches/core.rs");
    demo.write(
        "benches/core.rs",
        &bench.replace(
            "criterion_main!(benches);",
            "fn main() {\n    let args: Vec<String> = std::env::args().collect();\n    if let Some(at) = args.iter().position(|a| a == \"--measurement-time\") {\n        if args.get(at + 1).is_some_and(|v| v.contains('.')) {\n            eprintln!(\"error: Invalid value for '--measurement-time <SECONDS>': invalid digit found in string\");\n            std::process::exit(1);\n        }\n    }\n    benches();\n    Criterion::default().configure_from_args().final_summary();\n}",
        ),
    );
    save_and_commit_baseline(&demo);
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 300);
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let entry = support::entry(&json(&stdout), "checksum/1k").clone();
    assert_eq!(entry["verdict"], "unconfirmed", "{entry}");
    let note = entry["note"].as_str().unwrap();
    assert!(
        note.contains("Invalid value") && note.contains("not a pass"),
        "{note}"
    );
}

#[test]
fn a_bench_target_that_is_no_longer_recognised_leaves_its_entries_missing() {
    let demo = Demo::with_stability();
    save_and_commit_baseline(&demo);
    // The suite's `[[bench]]` entry is removed: cargo no longer builds it as a harness-less
    // target, and its metrics would once have left the comparison without a word.
    demo.edit(
        "Cargo.toml",
        "[[bench]]\nname = \"stability\"\nharness = false\n",
        "",
    );
    demo.git(&["rm", "-q", "--cached", "benches/stability.rs"]);
    std::fs::remove_file(demo.path().join("benches/stability.rs")).unwrap();
    demo.commit("the stability suite is gone");
    let (code, stdout, stderr) = output(demo.perfgate().args([
        "check",
        "--quick",
        "--confirm",
        "never",
        "--format",
        "json",
    ]));
    let compare = json(&stdout);
    // Missing entries fail the gate (exit 1). The criterion benchmarks are judged on stored
    // samples alone here (`--confirm never`): on a shared machine one of them can read as
    // regressed, which fails it with 3; either way it is not a pass.
    let regressed = verdicts(&compare).iter().any(|(_, v)| v == "regressed");
    assert!(
        code == 1 || (code == 3 && regressed),
        "{code}: {stdout}\n{stderr}"
    );
    let missing: Vec<String> = verdicts(&compare)
        .into_iter()
        .filter(|(_, v)| v == "missing")
        .map(|(id, _)| id)
        .collect();
    assert!(
        !missing.is_empty() && missing.iter().all(|id| id.starts_with("store/")),
        "{missing:?}"
    );
    assert!(
        compare["warnings"]
            .to_string()
            .contains("no longer recognised"),
        "{}",
        compare["warnings"]
    );
}
