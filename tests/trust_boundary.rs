//! What a pull request controls beyond its files (its cargo configuration, its build scripts
//! and benchmarks, its refs) never reaches the baseline side: each door, tried as a hostile
//! contributor would with a real 30% slowdown, ends non-zero and names what it saw.

mod support;

use support::{entry, json, output, verdicts, Demo};

/// The demo with a committed baseline on `main`, then on a branch `pr`.
fn demo_with_baseline_then_pr() -> Demo {
    let demo = Demo::new();
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline on main");
    demo.git(&["checkout", "-q", "-b", "pr"]);
    demo
}

fn in_pr(demo: &Demo, args: &[&str]) -> (i32, String, String) {
    output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"])
            .args(args)
            .env("GITHUB_BASE_REF", "main"),
    )
}

fn assert_checksum_regressed(code: i32, stdout: &str, stderr: &str) {
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let compare = json(stdout);
    let checksum = entry(&compare, "checksum/1k");
    assert_eq!(checksum["verdict"], "regressed", "{checksum}");
}

/// A rustc wrapper that, for a build started outside the pull request's checkout (the baseline
/// side), compiles the pull request's own `src/lib.rs` instead, and says so in a log.
const SWAPPING_WRAPPER: &str = r#"#!/usr/bin/env bash
here="$(cd "$(dirname "$0")/.." && pwd)"
rustc="$1"; shift
args=()
for a in "$@"; do
  if [[ "$a" == "src/lib.rs" && "$PWD" != "$here"* ]]; then
    echo "$PWD" >> "$here/wrapper-saw-the-base-side.log"
    a="$here/src/lib.rs"
  fi
  args+=("$a")
done
exec "$rustc" "${args[@]}"
"#;

#[test]
fn a_cargo_config_in_the_pr_does_not_reach_the_baseline_build() {
    let demo = demo_with_baseline_then_pr();
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);
    demo.write(".cargo/swap.sh", SWAPPING_WRAPPER);
    let script = demo.path().join(".cargo/swap.sh");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    demo.write(
        ".cargo/config.toml",
        &format!(
            "[build]\nrustc-wrapper = {:?}\n[env]\nPERFGATE_PR_ENV = \"set by the pull request\"\n",
            script.display().to_string()
        ),
    );
    demo.commit("slower, and a wrapper that builds the baseline from the PR's sources");
    let (code, stdout, stderr) = in_pr(&demo, &[]);
    assert_checksum_regressed(code, &stdout, &stderr);
    assert!(
        !demo.path().join("wrapper-saw-the-base-side.log").exists(),
        "the PR's rustc-wrapper ran for the baseline side: {}",
        std::fs::read_to_string(demo.path().join("wrapper-saw-the-base-side.log"))
            .unwrap_or_default()
    );
    assert!(
        stderr.contains("before the change's code runs"),
        "the baseline side is built first: {stderr}"
    );
}

/// Bench code that copies its own executable over every executable of the `core` bench
/// target it finds under the baseline side's directory, each time it runs.
const TAMPERING_BENCH: &str = r#"
fn overwrite_baseline_executables(dir: &std::path::Path, me: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            overwrite_baseline_executables(&path, me);
        } else if name.starts_with("core-") && !name.contains('.') && path != me {
            let _ = std::fs::copy(me, &path);
        }
    }
}

fn tamper(_: &mut Criterion) {
    if let (Some(dir), Ok(me)) = (std::env::var_os("PERFGATE_CACHE_DIR"), std::env::current_exe()) {
        overwrite_baseline_executables(std::path::Path::new(&dir), &me);
    }
}

criterion_group!(benches, tamper, bench_core);"#;

#[test]
fn a_benchmark_that_overwrites_the_baseline_executable_is_caught_and_does_not_outlive_its_job() {
    let demo = demo_with_baseline_then_pr();
    let main_commit = demo.rev("main");
    // Job 1: a slowed pull request whose benchmark copies itself over the baseline's
    // executable every time it runs.
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);
    demo.edit(
        "benches/core.rs",
        "criterion_group!(benches, bench_core);",
        TAMPERING_BENCH,
    );
    demo.commit("slower, and a benchmark that overwrites the baseline's executable");
    let (code, stdout, stderr) = in_pr(&demo, &[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("changed after it was built") && stderr.contains("rebuilding"),
        "the first change is rebuilt with a warning: {stderr}"
    );
    assert!(
        stderr.contains("2 time(s)") && stderr.contains("cannot be trusted"),
        "the second is an error: {stderr}"
    );

    // Job 2 in the same checkout and baseline directory: an innocent docs-only pull request
    // is judged against a fresh build of the base, not the executables job 1 left behind.
    // (A text file in the package, not Markdown: the benchmarks could read it, so they are
    // measured rather than set aside as unchanged by construction.)
    demo.git(&["checkout", "-q", "-b", "docs", &main_commit]);
    demo.write("NOTES.txt", "docs only\n");
    demo.commit("docs");
    let (code, stdout, stderr) = in_pr(&demo, &[]);
    assert!(
        !stderr.contains("changed after it was built"),
        "nothing tampers in job 2: {stderr}"
    );
    let compare = json(&stdout);
    let checksum = entry(&compare, "checksum/1k");
    assert!(
        checksum["verdict"] != "improved" && checksum["verdict"] != "regressed",
        "job 1's executables are not job 2's baseline (exit {code}): {checksum}"
    );
    let change = checksum["change"].as_f64().unwrap();
    assert!(change.abs() < 0.15, "{checksum}");
}

#[test]
fn a_local_branch_named_like_the_base_remote_does_not_become_the_base() {
    let demo = demo_with_baseline_then_pr();
    // As in a clone: the base branch's remote-tracking ref.
    demo.git(&["update-ref", "refs/remotes/origin/main", "main"]);
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);
    demo.commit("slower");
    // A local branch `origin/main` at the pull request's own head.
    demo.git(&["branch", "origin/main"]);
    let (code, stdout, stderr) = in_pr(&demo, &[]);
    assert_checksum_regressed(code, &stdout, &stderr);
    let compare = json(&stdout);
    assert_eq!(compare["baseline"]["commit"], demo.rev("main").as_str());
    // Named as a short rev, the two refs are ambiguous: refused, naming both.
    let (code, stdout, stderr) =
        output(
            demo.perfgate()
                .args(["check", "--quick", "--against", "origin/main"]),
        );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("refs/heads/origin/main") && stderr.contains("refs/remotes/origin/main"),
        "{stderr}"
    );
}

#[test]
fn a_merge_base_that_is_head_in_a_pull_request_is_said() {
    let demo = demo_with_baseline_then_pr();
    // The job checked out the base branch itself: the merge-base is HEAD, an A/A run.
    demo.git(&["checkout", "-q", "main"]);
    let (_, stdout, stderr) = in_pr(&demo, &["--confirm", "never"]);
    let compare = json(&stdout);
    assert!(
        compare["warnings"].to_string().contains("is HEAD itself"),
        "{stdout}\n{stderr}"
    );
}

#[test]
fn a_local_run_on_a_feature_branch_judges_the_branchs_commits() {
    let demo = demo_with_baseline_then_pr();
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);
    demo.commit("slower, committed on the branch");
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    assert_checksum_regressed(code, &stdout, &stderr);
    let compare = json(&stdout);
    assert_eq!(compare["baseline"]["commit"], demo.rev("main").as_str());
    let chosen = compare["baseline"]["chosen_by"]
        .as_str()
        .unwrap_or_default();
    assert!(
        chosen.contains("merge-base") && chosen.contains("`main`"),
        "the headline says how the commit was chosen: {chosen}"
    );
    let report = std::fs::read_to_string(demo.target.join("perfgate/report.md")).unwrap();
    assert!(
        report.contains("merge-base of \\`pr\\` with \\`main\\`"),
        "{report}"
    );
}

#[test]
fn in_a_pull_request_against_a_file_the_policy_is_the_bases_and_no_pr_file_is_read() {
    let demo = demo_with_baseline_then_pr();
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);
    demo.write("perfgate.toml", "[gate]\nthreshold = \"90%\"\n");
    // A file named like the base's remote ref, holding the PR's loose baseline.
    demo.write("origin/main", &demo.read("baselines/default.json"));
    demo.commit("slower, a 90% threshold, and a file named origin/main");
    let (code, stdout, stderr) = in_pr(&demo, &["--against", "origin/main"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("inside the checkout"), "{stderr}");
    // The same baseline from outside the checkout is read, under the base side's 5%.
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("baseline.json");
    std::fs::write(&file, demo.read("baselines/default.json")).unwrap();
    let (code, stdout, stderr) = in_pr(&demo, &["--against", file.to_str().unwrap()]);
    assert_checksum_regressed(code, &stdout, &stderr);
    let compare = json(&stdout);
    let threshold = entry(&compare, "checksum/1k")["threshold"]
        .as_f64()
        .unwrap();
    assert!((threshold - 0.05).abs() < 1e-9, "{compare}");
}

#[test]
fn noise_floors_a_pr_could_have_written_and_an_out_dir_at_the_root_are_refused() {
    let demo = demo_with_baseline_then_pr();
    demo.write("NOTES.md", "a pull request's own commit\n");
    demo.commit("notes");
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--out-dir", "."])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("tracked by git"), "{stderr}");
    // A noise file in the checkout's out dir (as a build script could write one) is not read.
    let noise = serde_json::json!({
        "schema": "perfgate.noise.v1", "tool_version": "0.1.0", "measured": "2026-11-01T00:00:00Z",
        "machine": {"cpu_model": "x", "cores": 1, "os": "linux", "arch": "x86_64", "rustc": "r"},
        "benchmarks": []
    });
    demo.write("target-out/noise.json", &noise.to_string());
    let (_, stdout, stderr) = output(
        demo.perfgate()
            .args([
                "check",
                "--quick",
                "--format",
                "json",
                "--out-dir",
                "target-out",
            ])
            .env("GITHUB_BASE_REF", "main"),
    );
    let compare = json(&stdout);
    assert!(
        compare["warnings"]
            .to_string()
            .contains("its noise floors are not used"),
        "{stdout}\n{stderr}"
    );
}

#[test]
fn nothing_handed_to_git_is_read_as_an_option() {
    let demo = demo_with_baseline_then_pr();
    let marker = demo.path().join("pwned");
    let injected = format!("--upload-pack=touch {}", marker.display());
    let (code, stdout, stderr) = output(demo.perfgate().args([
        "check",
        "--quick",
        "--fetch",
        &format!("--against={injected}"),
    ]));
    assert_ne!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("is not a git revision"), "{stderr}");
    assert!(!marker.exists(), "git ran the injected command");

    // A committed baseline on the default branch whose provenance commit is an option, under
    // `check --drift --fetch`.
    demo.git(&["checkout", "-q", "main"]);
    let mut baseline = json(&demo.read("baselines/default.json"));
    baseline["provenance"]["commit"] = serde_json::Value::String(injected.clone());
    demo.write(
        "baselines/default.json",
        &serde_json::to_string_pretty(&baseline).unwrap(),
    );
    demo.commit("a baseline whose commit is an option");
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--drift", "--fetch"]),
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("is not a commit id"), "{stderr}");
    assert!(!marker.exists(), "git ran the injected command");
}

/// A scratch package in a new repository on `main` (no benchmarks: `compare` judges saved runs).
#[test]
fn a_branch_that_commits_the_first_baseline_is_compared_with_it_and_told_so() {
    let scratch = support::Scratch::new();
    let root = scratch.path();
    let target = root.join("target");
    support::git_in(root, &["checkout", "-q", "-b", "feature"]);
    let same = support::run_envelope(vec![support::timing("parse/1k", 1000.0)]);
    std::fs::write(root.join("run.json"), same.to_string()).unwrap();
    let (code, _, stderr) = output(
        support::perfgate_in(root, &target).args(["baseline", "save", "--from", "run.json"]),
    );
    assert_eq!(code, 0, "{stderr}");
    support::git_in(root, &["add", "baselines"]);
    support::git_in(
        root,
        &["commit", "-q", "-m", "first baseline, on the branch"],
    );
    let (code, stdout, stderr) = output(support::perfgate_in(root, &target).args([
        "compare",
        "run.json",
        "--confirm",
        "never",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    assert!(
        compare["baseline"]["chosen_by"]
            .as_str()
            .unwrap_or_default()
            .contains("no baseline"),
        "{}",
        compare["baseline"]
    );
    assert!(
        compare["warnings"].to_string().contains("not judged"),
        "{}",
        compare["warnings"]
    );
}

/// A benchmark that tells the gate's measuring apart from a user's `cargo bench` (here by the
/// probes' `CRITERION_HOME` and their `--measurement-time`, as a hostile change or a test-only
/// shortcut would) and is 30% slower only for users: its rounds read no change, and the runs as
/// users run it (after the rounds, picked at random; here the only benchmark in scope) read
/// +30% in every pair. The check is a full run, not a quick one: the benchmarks set their own
/// short times in code (on `main`, so both sides run alike).
#[test]
fn code_that_is_fast_only_when_the_gate_measures_it_fails_the_pull_request() {
    let demo = Demo::new();
    demo.edit(
        "benches/core.rs",
        "criterion_group!(benches, bench_core);",
        "criterion_group! {\n    name = benches;\n    config = Criterion::default()\n        .warm_up_time(std::time::Duration::from_millis(200))\n        .measurement_time(std::time::Duration::from_millis(600))\n        .sample_size(20);\n    targets = bench_core\n}",
    );
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline on main, benchmarks with their own times");
    demo.git(&["checkout", "-q", "-b", "pr"]);
    demo.edit(
        "src/lib.rs",
        "let extra = data.len() as u64 * knob(CHECKSUM_SLOWDOWN_PERCENT) / 100;",
        "static MEASURED: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| std::env::var_os(\"CRITERION_HOME\").is_some() || std::env::args().any(|a| a == \"--measurement-time\"));\n    let extra = data.len() as u64 * knob(if *MEASURED { 0 } else { 30 }) / 100;",
    );
    demo.commit("checksum is slower unless the gate measures it");
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--format", "json", "checksum"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    let checksum = entry(&compare, "checksum/1k");
    assert_eq!(checksum["verdict"], "regressed", "{checksum}");
    let note = checksum["note"].as_str().unwrap_or_default();
    assert!(note.contains("slower as `cargo bench` runs it"), "{note}");
    // The rounds saw nothing; the pairs (three, each beyond the rounds) saw the slowdown.
    let confirmation = &checksum["confirmation"];
    assert!(
        confirmation["change_high"].as_f64().unwrap() < 0.05,
        "{confirmation}"
    );
    let pairs = confirmation["as_users_run"].as_array().unwrap();
    assert_eq!(pairs.len(), 3, "{confirmation}");
    assert!(checksum["change"].as_f64().unwrap() > 0.15, "{checksum}");
    assert!(
        checksum["change_low"].is_null(),
        "no interval from three pairs: {checksum}"
    );
    assert!(
        compare["method"]
            .as_str()
            .is_some_and(|m| m.contains("also run as `cargo bench` runs them")),
        "{}",
        compare["method"]
    );
}

#[test]
fn a_pr_that_slows_a_benchmark_and_rewrites_baseline_and_config_still_fails() {
    let demo = Demo::new();
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline on main");

    demo.git(&["checkout", "-q", "-b", "pr"]);
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.write(
        "perfgate.toml",
        "[gate]\nthreshold = \"500%\"\nconfirm = \"never\"\n",
    );
    demo.commit("slower, and hide it");

    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args(["check", "--quick", "--format", "json"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert_eq!(
        code, 3,
        "the PR's own baseline and config must not count: {stdout}\n{stderr}"
    );
    let compare = json(&stdout);
    let regressed: Vec<_> = verdicts(&compare)
        .into_iter()
        .filter(|(_, v)| v == "regressed")
        .collect();
    assert_eq!(regressed.len(), 1, "{regressed:?}");
    assert_eq!(regressed[0].0, "checksum/1k");
    let warnings = compare["warnings"].to_string();
    assert!(warnings.contains("perfgate.toml"), "{warnings}");
    assert!(
        warnings.contains("threshold 5% → 500%") && warnings.contains("confirm auto → never"),
        "says what the edit would change: {warnings}"
    );
    assert!(warnings.contains("baselines/default.json"), "{warnings}");
    assert!(
        warnings.contains("moved, the most"),
        "says what the edit moves: {warnings}"
    );
    let report = std::fs::read_to_string(demo.target.join("perfgate/report.md")).unwrap();
    assert!(
        report.contains("perfgate.toml") && report.contains("baselines/default.json"),
        "{report}"
    );
}
