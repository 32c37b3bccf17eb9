//! The main job end to end: real cargo, real criterion, real git repositories in temp dirs.

mod support;

use support::{json, output, timing, verdicts, Demo};

fn save_and_commit_baseline(demo: &Demo) {
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "baseline save failed: {stderr}");
    demo.commit("baseline");
}

#[test]
fn unchanged_code_passes_and_a_30_percent_slowdown_regresses_only_that_benchmark() {
    let demo = Demo::new();
    save_and_commit_baseline(&demo);

    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    assert_eq!(code, 0, "no-change check should pass: {stdout}\n{stderr}");
    let compare = json(&stdout);
    assert_eq!(compare["schema"], "perfgate.compare.v1");
    assert_eq!(compare["verdict"], "pass");
    let passed = verdicts(&compare);
    assert_eq!(passed.len(), 3, "{passed:?}");
    assert!(passed.iter().all(|(_, v)| v == "pass"), "{passed:?}");

    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    assert_eq!(
        code, 3,
        "a 30% slowdown should fail the gate: {stdout}\n{stderr}"
    );
    let compare = json(&stdout);
    assert_eq!(compare["verdict"], "fail");
    let regressed: Vec<_> = verdicts(&compare)
        .into_iter()
        .filter(|(_, v)| v == "regressed")
        .collect();
    assert_eq!(
        regressed,
        [("checksum/1k".to_string(), "regressed".to_string())]
    );
    let entry = support::entry(&compare, "checksum/1k");
    let change = entry["change"].as_f64().unwrap();
    assert!(
        (0.15..0.6).contains(&change),
        "change {change} should be near +30%"
    );
    assert_eq!(entry["method"], "confirmed");

    // A confirm budget spent before the flag is reached leaves it unconfirmed: exit 1, said so.
    let (code, stdout, stderr) = output(demo.perfgate().args([
        "check",
        "--quick",
        "--format",
        "json",
        "--confirm-budget",
        "0s",
    ]));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    let entry = support::entry(&compare, "checksum/1k");
    assert_eq!(entry["verdict"], "unconfirmed", "{entry}");
    assert!(
        entry["note"].as_str().unwrap().contains("confirm budget"),
        "{entry}"
    );

    // The artifacts are where SPEC says.
    for file in ["run.json", "compare.json", "report.md"] {
        assert!(
            demo.target.join("perfgate").join(file).is_file(),
            "{file} missing"
        );
    }
    let run = json(&std::fs::read_to_string(demo.target.join("perfgate/run.json")).unwrap());
    assert_eq!(run["schema"], "perfgate.run.v1");
    assert_eq!(run["git"]["dirty"], true);
    assert!(run["benchmarks"][0]["samples"].as_array().unwrap().len() >= 10);
}

#[test]
fn baseline_is_read_from_the_committed_file_not_the_work_tree() {
    let demo = Demo::new();
    save_and_commit_baseline(&demo);
    // Corrupt only the work tree's copy: the gate reads HEAD's.
    demo.write("baselines/default.json", "{ not json");
    let (code, stdout, stderr) = output(demo.perfgate().args([
        "check",
        "--quick",
        "--format",
        "json",
        "--confirm",
        "never",
    ]));
    // The exit code is the stored comparison's (under `--confirm never` a noisy quick run can
    // leave a flag `unconfirmed`, exit 1): what this test asks is which file was read.
    assert!(
        code != 2 && !stderr.contains("corrupt or truncated"),
        "the work tree's baseline must not be read: {stderr}"
    );
    let compare = json(&stdout);
    assert!(
        compare["baseline"]["location"]
            .as_str()
            .unwrap_or_default()
            .starts_with("git:"),
        "{compare}"
    );
    assert!(
        compare["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("differs from the baseline")),
        "{compare}"
    );
}

#[test]
fn a_corrupt_committed_baseline_is_an_error_naming_the_file() {
    let demo = Demo::new();
    demo.write(
        "baselines/default.json",
        "{\"schema\": \"perfgate.baseline.v1\", \"benchm",
    );
    demo.commit("corrupt baseline");
    let (code, _, stderr) = output(demo.perfgate().args(["check", "--quick"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("baselines/default.json"), "{stderr}");
    assert!(stderr.contains("corrupt or truncated"), "{stderr}");
}

#[test]
fn a_baseline_of_a_newer_schema_asks_for_an_upgrade() {
    let demo = Demo::new();
    demo.write(
        "baselines/default.json",
        "{\"schema\": \"perfgate.baseline.v9\"}",
    );
    demo.commit("future baseline");
    let (code, _, stderr) = output(demo.perfgate().args(["check", "--quick"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("perfgate.baseline.v9") && stderr.contains("upgrade"),
        "{stderr}"
    );
}

#[test]
fn a_foreign_json_file_is_not_taken_for_a_baseline() {
    let demo = Demo::new();
    demo.write("baselines/default.json", "{\"name\": \"something else\"}");
    demo.commit("foreign");
    let (code, _, stderr) = output(demo.perfgate().args(["check", "--quick"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no `schema` field"), "{stderr}");
}

#[test]
fn a_missing_baseline_measures_but_exits_1_with_the_fix() {
    let demo = Demo::new();
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    assert_eq!(code, 1, "{stderr}");
    let compare = json(&stdout);
    assert_eq!(compare["verdict"], "error");
    assert!(verdicts(&compare).iter().all(|(_, v)| v == "new"));
    assert!(
        compare["warnings"][0]
            .as_str()
            .unwrap()
            .contains("baseline save"),
        "{compare}"
    );
}

#[test]
fn an_unknown_config_key_names_file_line_and_key() {
    let demo = Demo::new();
    demo.write(
        "perfgate.toml",
        "[gate]\nthreshold = \"5%\"\nthreshhold = 1\n",
    );
    let (code, _, stderr) = output(demo.perfgate().args(["check", "--quick"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("perfgate.toml")
            && stderr.contains("threshhold")
            && stderr.contains("line 3"),
        "{stderr}"
    );
}

#[test]
fn a_panicking_bench_target_is_an_error_entry_and_the_others_still_run() {
    let demo = Demo::new();
    let manifest = demo.read("Cargo.toml");
    demo.write(
        "Cargo.toml",
        &format!("{manifest}\n[[bench]]\nname = \"broken\"\nharness = false\n"),
    );
    demo.write(
        "benches/broken.rs",
        "use criterion::{criterion_group, criterion_main, Criterion};\nfn b(c: &mut Criterion) { c.bench_function(\"boom\", |b| b.iter(|| -> u32 { panic!(\"the component fell over\") })); }\ncriterion_group!(g, b);\ncriterion_main!(g);\n",
    );
    let (code, stdout, stderr) =
        output(demo.perfgate().args(["run", "--quick", "--format", "json"]));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let run = json(&std::fs::read_to_string(demo.target.join("perfgate/run.json")).unwrap());
    assert_eq!(
        run["benchmarks"].as_array().unwrap().len(),
        3,
        "the healthy target still ran"
    );
    let error = &run["errors"][0];
    assert_eq!(error["target"], "broken");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("the component fell over"),
        "{error}"
    );
}

#[test]
fn not_a_cargo_workspace_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = output(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("cargo-perfgate"))
            .args(["perfgate", "check"])
            .current_dir(dir.path()),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cargo metadata") && stderr.contains("Cargo.toml"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let demo = Demo::new();
    let (code, _, _) = output(demo.perfgate().args(["check", "--no-such-flag"]));
    assert_eq!(code, 2);
    let (code, _, stderr) = output(demo.perfgate().args(["check", "--shard", "5/4"]));
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn noise_measures_each_benchmark_against_itself_and_names_what_it_resolves() {
    let demo = Demo::new();
    let (code, stdout, stderr) = output(demo.perfgate().args(["noise", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    for id in ["checksum/1k", "index/build", "parse/1000_lines"] {
        assert!(stdout.contains(id), "{stdout}");
    }
    let noise = json(&std::fs::read_to_string(demo.target.join("perfgate/noise.json")).unwrap());
    assert_eq!(noise["schema"], "perfgate.noise.v1");
    let floors = noise["benchmarks"].as_array().unwrap();
    assert_eq!(floors.len(), 3, "{floors:?}");
    for floor in floors {
        assert!(
            floor["rounds"].as_u64().unwrap() >= cargo_perfgate::run::confirm::FIRST_ROUNDS as u64,
            "{floor}"
        );
        assert!(floor["counted"].as_u64().unwrap() <= floor["rounds"].as_u64().unwrap());
        let (low, high) = (
            floor["change_low"].as_f64().unwrap(),
            floor["change_high"].as_f64().unwrap(),
        );
        assert!(low <= high, "{floor}");
        let resolvable = floor["resolvable"].as_f64().unwrap();
        assert!(resolvable >= low.abs().max(high.abs()) - 1e-12, "{floor}");
    }
}

#[test]
fn a_noise_floor_from_this_machine_widens_a_threshold_and_says_so() {
    let demo = Demo::new();
    let base = support::run_envelope(vec![
        timing("fast/one", 1000.0),
        timing("noisy/two", 1000.0),
    ]);
    let run = support::run_envelope(vec![
        timing("fast/one", 1100.0),
        timing("noisy/two", 1100.0),
    ]);
    demo.write("baseline.json", &base.to_string());
    demo.write("run.json", &run.to_string());
    let compare = || output(demo.perfgate().args(support::COMPARE_SAVED_RUN));
    let (code, stdout, stderr) = compare();
    assert_eq!(code, 3, "{stderr}");
    let judged = json(&stdout);
    assert!(
        verdicts(&judged).iter().all(|(_, v)| v == "regressed"),
        "{judged}"
    );

    // `cargo perfgate noise` found `noisy/two` unresolvable below ±15% on this machine.
    let noise_path = demo.target.join("perfgate/noise.json");
    let noise = |machine: &serde_json::Value| {
        serde_json::json!({
            "schema": "perfgate.noise.v1", "tool_version": "0.1.0",
            "measured": "2026-11-01T00:00:00Z", "machine": machine,
            "benchmarks": [{"id": "noisy/two", "rounds": 16, "counted": 15, "change": 0.01,
                "change_low": -0.15, "change_high": 0.12, "resolvable": 0.15,
                "threshold": 0.05, "seconds": 2.0}]
        })
        .to_string()
    };
    std::fs::write(&noise_path, noise(&run["machine"])).unwrap();
    let (code, stdout, stderr) = compare();
    assert_eq!(code, 3, "fast/one still regresses: {stderr}");
    let judged = json(&stdout);
    let noisy = support::entry(&judged, "noisy/two");
    assert_eq!(noisy["verdict"], "pass", "{noisy}");
    assert_eq!(noisy["threshold"], 0.15, "{noisy}");
    let note = noisy["note"].as_str().unwrap();
    assert!(
        note.contains("threshold widened from 5.0% to 15.0%"),
        "{note}"
    );
    assert!(
        judged["warnings"].to_string().contains("noise.json"),
        "{judged}"
    );

    // Measured on another machine: not used, and said.
    let mut other = run["machine"].clone();
    other["cpu_model"] = "Other CPU".into();
    std::fs::write(&noise_path, noise(&other)).unwrap();
    let (code, stdout, _) = compare();
    assert_eq!(code, 3);
    let judged = json(&stdout);
    assert!(
        verdicts(&judged).iter().all(|(_, v)| v == "regressed"),
        "{judged}"
    );
    assert!(
        judged["warnings"].to_string().contains("another machine"),
        "{judged}"
    );

    // A truncated file is an error that names it, not a silent pass.
    std::fs::write(&noise_path, "{\"schema\": \"perfgate.noise.v1\", \"bench").unwrap();
    let (code, _, stderr) = compare();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("noise.json"), "{stderr}");
}

#[test]
fn report_and_comment_find_compare_json_where_check_wrote_it_under_cargo_target_dir() {
    let demo = Demo::new();
    let elsewhere = tempfile::tempdir().unwrap();
    demo.write(
        "baseline.json",
        &support::run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    demo.write(
        "run.json",
        &support::run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    let (code, _, stderr) = output(
        demo.perfgate()
            .args(support::COMPARE_SAVED_RUN)
            .env("CARGO_TARGET_DIR", elsewhere.path()),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(elsewhere.path().join("perfgate/compare.json").is_file());
    for args in [
        &["report", "--format", "json"][..],
        &["comment", "--dry-run"][..],
    ] {
        let (code, stdout, stderr) = output(
            demo.perfgate()
                .args(args)
                .env("CARGO_TARGET_DIR", elsewhere.path()),
        );
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(stdout.contains("checksum/1k"), "{args:?}: {stdout}");
    }
}
