//! The gate over divan benchmarks (`fixtures/divan`: divan 0.1.21 pinned, imported as `dv`, with
//! its allocation profiler): real cargo, real divan processes, a real git repository. Unchanged
//! code is gated green, locally and in a pull request's rounds; a 30% slowdown and a second
//! allocation are confirmed red.

mod support;

use support::{json, output, verdicts, Demo};

const TIMES: [&str; 6] = [
    "speed::checksum_of::256",
    "speed::checksum_of::4096",
    "speed::collect_64",
    "speed::checksum_in_threads::t=1",
    "speed::checksum_in_threads::t=2",
    "speed::text::parse_number",
];

#[test]
fn divan_benchmarks_and_their_allocations_are_gated_green_unchanged_and_red_when_slowed() {
    let fixture = Demo::divan();
    let (code, _, stderr) = output(fixture.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "baseline save failed: {stderr}");
    let baseline = json(&fixture.read("baselines/default.json"));
    for b in baseline["benchmarks"].as_array().unwrap() {
        assert_eq!(b["source"], "divan", "{b}");
        // One median per process: the quick run's five.
        assert_eq!(b["samples"].as_array().unwrap().len(), 5, "{b}");
    }
    fixture.commit("baseline");

    // Unchanged, locally: every benchmark and allocation figure measured, none regressed.
    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    let compare = json(&stdout);
    let seen = verdicts(&compare);
    assert_eq!(
        seen.len(),
        18,
        "6 benchmarks, 2 allocation figures each: {seen:?}"
    );
    assert_unchanged_reads_green(code, &compare, &stderr);
    for id in TIMES {
        assert_eq!(support::entry(&compare, id)["unit"], "ns");
        let count = support::entry(&compare, &format!("{id}/alloc_count"));
        assert_eq!(count["unit"], "count", "{count}");
    }
    let parse = support::entry(&compare, "speed::text::parse_number/alloc_count");
    assert_eq!(parse["current"], 0.0, "no allocation reads 0: {parse}");

    shards_split_divan_benchmarks_and_merge_into_the_ids_of_one_run(&fixture, &seen);

    // A pull request that touches the package without changing its speed: its benchmarks are
    // listed and measured in rounds against the baseline side, and read green.
    fixture.git(&["checkout", "-q", "-b", "pr"]);
    let lib = fixture.read("src/lib.rs");
    fixture.write(
        "src/lib.rs",
        &format!("{lib}\npub fn unused() -> u8 {{ 7 }}\n"),
    );
    fixture.commit("an unused function");
    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["check", "--quick", "--format", "json"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert!(
        stderr.contains("6 benchmarks listed, to be measured in rounds"),
        "{stderr}"
    );
    assert_unchanged_reads_green(code, &json(&stdout), &stderr);

    // 30% more work in checksum, a second allocation in collect.
    fixture.edit(
        "src/lib.rs",
        "pub const EXTRA_ROUNDS: u32 = 0;",
        "pub const EXTRA_ROUNDS: u32 = 3;",
    );
    fixture.edit(
        "src/lib.rs",
        "pub const EXTRA_ALLOCATION: bool = false;",
        "pub const EXTRA_ALLOCATION: bool = true;",
    );
    fixture.commit("slower checksum, two allocations in collect");
    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["check", "--quick", "--format", "json"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert_eq!(code, 3, "a 30% slowdown should fail: {stdout}\n{stderr}");
    let compare = json(&stdout);
    for id in ["speed::checksum_of::256", "speed::checksum_of::4096"] {
        let entry = support::entry(&compare, id);
        assert_eq!(entry["verdict"], "regressed", "{entry}");
        assert_eq!(entry["method"], "confirmed", "{entry}");
        let change = entry["change"].as_f64().unwrap();
        assert!((0.15..0.5).contains(&change), "{id}: change {change}");
    }
    for metric in ["alloc_count", "alloc_bytes"] {
        let entry = support::entry(&compare, &format!("speed::collect_64/{metric}"));
        assert_eq!(entry["verdict"], "regressed", "{entry}");
        assert_eq!(entry["change"], 1.0, "one allocation became two: {entry}");
    }
    let untouched = support::entry(&compare, "speed::checksum_of::4096/alloc_count");
    assert_eq!(untouched["verdict"], "pass", "{untouched}");
}

/// Divan 0.1.14 (its command line and tree before `--list --format terse`): its benchmarks are
/// listed by a one-sample run, filtered, measured in a pull request's rounds, and a 30% slowdown
/// of one of them is confirmed red.
#[test]
fn an_older_divan_is_listed_filtered_and_its_slowdown_confirmed() {
    let fixture = Demo::divan_legacy();
    let (code, _, stderr) = output(fixture.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "baseline save failed: {stderr}");
    fixture.commit("baseline");
    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    let compare = json(&stdout);
    let ids: Vec<String> = verdicts(&compare).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["legacy::mix::1024", "legacy::mix::64"], "{stderr}");
    assert_unchanged_reads_green(code, &compare, &stderr);

    fixture.git(&["checkout", "-q", "-b", "pr"]);
    fixture.edit(
        "src/lib.rs",
        "pub const EXTRA_ROUNDS: u32 = 0;",
        "pub const EXTRA_ROUNDS: u32 = 3;",
    );
    fixture.commit("30% more work");
    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["check", "--quick", "--format", "json", "mix::1024"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert!(
        stderr.contains("1 benchmarks listed, to be measured in rounds"),
        "the filter applies to the listed paths: {stderr}"
    );
    assert_eq!(code, 3, "a 30% slowdown should fail: {stdout}\n{stderr}");
    let compare = json(&stdout);
    let entry = support::entry(&compare, "legacy::mix::1024");
    assert_eq!(entry["verdict"], "regressed", "{entry}");
    assert_eq!(entry["method"], "confirmed", "{entry}");
}

/// No benchmark regressed and none failed to run; the exit is 0, or 1 only where a loaded
/// machine left a time's rounds undecided (`inconclusive` fails closed, never passes).
fn assert_unchanged_reads_green(code: i32, compare: &serde_json::Value, stderr: &str) {
    for (id, verdict) in verdicts(compare) {
        assert!(
            matches!(verdict.as_str(), "pass" | "improved" | "inconclusive"),
            "{id}: {verdict}\n{stderr}"
        );
        if verdict == "inconclusive" {
            assert!(
                TIMES.contains(&id.as_str()),
                "{id}: an allocation figure is exact"
            );
        }
    }
    let undecided = verdicts(compare).iter().any(|(_, v)| v == "inconclusive");
    assert!(
        code == 0 || (code == 1 && undecided),
        "unchanged code: exit {code}\n{stderr}"
    );
}

/// Two shards measure every divan benchmark once between them (a benchmark with its allocation
/// figures), and the merged shards carry the ids one unsharded run gives.
fn shards_split_divan_benchmarks_and_merge_into_the_ids_of_one_run(
    fixture: &Demo,
    unsharded: &[(String, String)],
) {
    let runs = fixture.two_shards_merged();
    let ids = |path: &str| fixture.run_ids(path);
    let (first, second) = (ids(&runs[0]), ids(&runs[1]));
    assert!(
        !first.is_empty() && !second.is_empty(),
        "{first:?} {second:?}"
    );
    for id in &first {
        let path = id.split('/').next().unwrap();
        assert!(
            !second.iter().any(|o| o.split('/').next() == Some(path)),
            "{path} measured in both shards"
        );
    }
    let mut expected: Vec<String> = unsharded.iter().map(|(id, _)| id.clone()).collect();
    expected.sort();
    assert_eq!(ids("target/merged/run.json"), expected);
}

/// `init` on a workspace whose only benchmarks are divan's: the example stability suite is added
/// beside them, `cargo bench` stays green, and the divan benchmarks are still found and measured.
#[test]
fn init_on_a_divan_only_workspace_leaves_cargo_bench_green() {
    let fixture = Demo::divan();
    let harness = support::repo_root().join("crates/perfgate-harness");
    let (code, _, stderr) =
        output(
            fixture
                .perfgate()
                .args(["init", "--harness-path", &harness.display().to_string()]),
        );
    assert_eq!(code, 0, "init: {stderr}");
    assert!(fixture
        .path()
        .join("benches/perfgate_stability.rs")
        .is_file());
    let bench =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["bench", "--quiet"])
            .current_dir(fixture.path())
            .env("CARGO_TARGET_DIR", &fixture.target)
            .output()
            .expect("cargo runs");
    assert!(
        bench.status.success(),
        "cargo bench after init: {}",
        String::from_utf8_lossy(&bench.stderr)
    );
    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["run", "--quick", "--bench", "speed", "--format", "json"]),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let run = json(&fixture.read("target/perfgate/run.json"));
    let divan = run["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["source"] == "divan")
        .count();
    assert_eq!(divan, 18, "{run}");
}
