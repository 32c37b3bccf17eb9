//! A pull request cannot bend its own gate: baseline and policy come from the merge-base.

mod support;

use support::{json, output, verdicts, Demo};

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
    assert!(warnings.contains("baselines/default.json"), "{warnings}");
    let report = std::fs::read_to_string(demo.target.join("perfgate/report.md")).unwrap();
    assert!(
        report.contains("perfgate.toml") && report.contains("baselines/default.json"),
        "{report}"
    );
}

#[test]
fn a_shallow_clone_without_the_base_branch_gets_the_exact_fix() {
    let demo = Demo::new();
    demo.git(&["checkout", "-q", "-b", "pr"]);
    demo.write("notes.txt", "a pr commit\n");
    demo.commit("pr work");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", demo.path().display());
    let status = std::process::Command::new("git")
        .args([
            "clone",
            "-q",
            "--depth",
            "1",
            "--single-branch",
            "--branch",
            "pr",
            &url,
        ])
        .arg(clone.path().join("repo"))
        .status()
        .unwrap();
    assert!(status.success());
    let (code, _, stderr) = output(
        demo.perfgate()
            .current_dir(clone.path().join("repo"))
            .args(["check", "--quick"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("shallow") && stderr.contains("fetch-depth: 0"),
        "{stderr}"
    );
}
