//! The gate over instruction counts (`fixtures/gungraun`: gungraun 0.20.0 pinned, with a divan
//! time of one counted call beside it): real cargo, real valgrind through gungraun's runner
//! (installed as `.ci/run` installs it), a real git repository. Unchanged counts are gated
//! green; 30% more work in `checksum` is counted red in a pull request, where both sides are
//! counted; a pause that costs time and no work reads as the two signals disagreeing.

mod support;

use support::{json, output, verdicts, Demo};

/// Valgrind and the runner are needed; a machine without them fails here with the install
/// lines rather than passing untested.
fn tools_present() {
    for (tool, install) in [
        ("valgrind", "sudo apt-get install valgrind"),
        (
            "gungraun-runner",
            "cargo install gungraun-runner --version 0.20.0 --locked (then put it on PATH)",
        ),
    ] {
        let runs = std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(runs, "{tool} is needed for this test: {install}");
    }
}

#[test]
fn instruction_counts_are_gated_green_unchanged_and_red_when_the_work_grows() {
    tools_present();
    let fixture = Demo::gungraun();
    let (code, _, stderr) = output(fixture.perfgate().args(["baseline", "save"]));
    assert_eq!(code, 0, "baseline save failed: {stderr}");
    let baseline = json(&fixture.read("baselines/default.json"));
    let ids: Vec<&str> = baseline["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["source"] == "gungraun")
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "counts::work::checksum::large/estimated_cycles",
            "counts::work::checksum::large/instructions",
            "counts::work::checksum::small/estimated_cycles",
            "counts::work::checksum::small/instructions",
            "counts::work::parse_number/estimated_cycles",
            "counts::work::parse_number/instructions",
        ]
    );
    for b in baseline["benchmarks"].as_array().unwrap() {
        if b["source"] == "gungraun" {
            assert_eq!(b["samples"].as_array().unwrap().len(), 1, "one count: {b}");
        }
    }
    fixture.commit("baseline");

    // Unchanged: every count the same, nothing re-measured.
    let (code, stdout, stderr) = output(fixture.perfgate().args(["check", "--format", "json"]));
    assert_eq!(code, 0, "unchanged counts: {stdout}\n{stderr}");
    let compare = json(&stdout);
    for (id, verdict) in verdicts(&compare) {
        assert_eq!(verdict, "pass", "{id}");
        let entry = support::entry(&compare, &id);
        if id.ends_with("/instructions") {
            assert_eq!(entry["change"], 0.0, "{entry}");
            assert!(
                entry["change_low"].is_null(),
                "no interval from one count: {entry}"
            );
        }
    }

    // 30% more work in checksum, as a pull request: both sides counted in rounds.
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
            .args(["check", "--format", "json"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert!(
        stderr.contains("3 benchmarks listed, to be measured in rounds"),
        "{stderr}"
    );
    assert_eq!(
        code, 3,
        "30% more instructions should fail: {stdout}\n{stderr}"
    );
    let compare = json(&stdout);
    for id in [
        "counts::work::checksum::small/instructions",
        "counts::work::checksum::large/instructions",
    ] {
        let entry = support::entry(&compare, id);
        assert_eq!(entry["verdict"], "regressed", "{entry}");
        assert_eq!(entry["method"], "confirmed", "{entry}");
        let change = entry["change"].as_f64().unwrap();
        assert!((0.25..0.35).contains(&change), "{id}: {change}");
        assert_eq!(
            entry["change_low"], entry["change_high"],
            "counts repeat exactly: {entry}"
        );
    }
    let parse = support::entry(&compare, "counts::work::parse_number/instructions");
    assert_eq!(parse["verdict"], "pass", "{parse}");
    assert_eq!(parse["change"], 0.0, "{parse}");
    // Time and count both moved: they agree.
    let time = support::entry(&compare, "speed::checksum_large");
    assert_eq!(time["verdict"], "regressed", "{time}");
    assert_eq!(time["instructions"]["verdict"], "regressed", "{time}");
    assert_eq!(time["instructions"]["disagree"], false, "{time}");

    // A microsecond's sleep before the same work: the time moves, the count hardly does, and
    // the row says the two disagree.
    fixture.edit(
        "src/lib.rs",
        "pub const EXTRA_ROUNDS: u32 = 3;",
        "pub const EXTRA_ROUNDS: u32 = 0;",
    );
    fixture.edit(
        "src/lib.rs",
        "pub const PAUSE: bool = false;",
        "pub const PAUSE: bool = true;",
    );
    fixture.commit("a pause, the same work");
    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["check", "--format", "json", "checksum"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert_eq!(code, 3, "the time regressed: {stdout}\n{stderr}");
    let compare = json(&stdout);
    let time = support::entry(&compare, "speed::checksum_large");
    assert_eq!(time["verdict"], "regressed", "{time}");
    assert_eq!(time["instructions"]["verdict"], "pass", "{time}");
    assert_eq!(time["instructions"]["disagree"], true, "{time}");
    let note = time["note"].as_str().unwrap_or_default();
    assert!(note.contains("the same work took another time"), "{note}");
}
