//! The baseline as a team keeps it: saved and committed with its source, never half written,
//! found in a shallow clone, and its history shown and plotted.

mod support;

use support::{hand_made_run, json, output, run_envelope, timing, verdicts, Demo, Scratch};

#[test]
fn a_shallow_clone_gets_the_exact_fix_and_fetch_finds_the_merge_base() {
    let demo = Demo::new();
    demo.write("run.json", &hand_made_run(3, 100.0).to_string());
    let (code, _, stderr) = output(
        demo.perfgate()
            .args(["baseline", "save", "--from", "run.json"]),
    );
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline on main");
    let main_commit = demo.rev("HEAD");
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
    let in_clone = || {
        let mut command = demo.perfgate();
        command
            .current_dir(clone.path().join("repo"))
            .env("GITHUB_BASE_REF", "main");
        command
    };
    let (code, _, stderr) = output(in_clone().args(["check", "--quick"]));
    assert_eq!(code, 1, "{stderr}");
    for fix in [
        "shallow",
        "fetch-depth: 0",
        "--fetch",
        "git fetch --no-tags --unshallow origin +refs/heads/main:refs/remotes/origin/main",
    ] {
        assert!(stderr.contains(fix), "no `{fix}` in: {stderr}");
    }

    let (code, stdout, stderr) = output(in_clone().args([
        "check",
        "--quick",
        "--fetch",
        "--confirm",
        "never",
        "--format",
        "json",
    ]));
    // The baseline's three entries are not in this run: `missing` is not a pass.
    assert_eq!(code, 1, "{stderr}");
    let compare = json(&stdout);
    assert_eq!(compare["baseline"]["commit"], main_commit.as_str());
    let missing = verdicts(&compare)
        .into_iter()
        .filter(|(_, v)| v == "missing")
        .count();
    assert_eq!(missing, 3, "main's baseline was read: {stdout}");
}

#[test]
fn baseline_save_commit_writes_and_commits_the_baseline_with_its_source() {
    let demo = Demo::new();
    demo.write("run.json", &hand_made_run(3, 100.0).to_string());
    // Something else is staged: it must not ride along in the baseline commit.
    demo.write("notes.txt", "staged, not part of the refresh\n");
    demo.git(&["add", "notes.txt"]);
    let (code, _, stderr) = output(
        demo.perfgate()
            .args(["baseline", "save", "--from", "run.json", "--commit"])
            .env("GITHUB_REF_NAME", "v1.2.3"),
    );
    assert_eq!(code, 0, "{stderr}");
    let log = std::process::Command::new("git")
        .args(["log", "-1", "--format=%s", "--name-only"])
        .current_dir(demo.path())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(
        log.contains("v1.2.3") && log.contains("0123456789"),
        "{log}"
    );
    assert!(log.contains("baselines/default.json"), "{log}");
    let saved = json(&demo.read("baselines/default.json"));
    assert_eq!(saved["schema"], "perfgate.baseline.v1");
    assert_eq!(
        saved["provenance"]["commit"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert!(!log.contains("notes.txt"), "{log}");
    let status = demo.git_output(&["status", "--porcelain"]);
    assert!(status.contains("A  notes.txt"), "still staged: {status}");
    assert!(!status.contains("baselines"), "{status}");
}

#[test]
fn baseline_save_commit_refuses_a_detached_head_and_a_dirty_run() {
    let demo = Demo::new();
    let mut run = hand_made_run(3, 100.0);
    run["git"]["dirty"] = serde_json::json!(true);
    demo.write("run.json", &run.to_string());
    let save = || {
        let mut command = demo.perfgate();
        command.args(["baseline", "save", "--from", "run.json", "--commit"]);
        command
    };
    let (code, _, stderr) = output(&mut save());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("uncommitted") && stderr.contains("--allow-dirty"),
        "{stderr}"
    );
    let head = demo.rev("HEAD");
    demo.git(&["checkout", "-q", "--detach"]);
    let (code, _, stderr) = output(save().arg("--allow-dirty"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("detached") && stderr.contains("git switch"),
        "{stderr}"
    );
    assert_eq!(demo.rev("HEAD"), head, "no commit was made");
    demo.git(&["switch", "-q", "main"]);
    let (code, _, stderr) = output(save().arg("--allow-dirty"));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(demo.rev("HEAD"), head);
}

#[test]
fn a_killed_baseline_save_never_leaves_a_half_written_file() {
    let demo = Demo::new();
    demo.write("small.json", &hand_made_run(2, 100.0).to_string());
    demo.write("big.json", &hand_made_run(60_000, 200.0).to_string());
    let (code, _, stderr) =
        output(
            demo.perfgate()
                .args(["baseline", "save", "--from", "small.json"]),
        );
    assert_eq!(code, 0, "{stderr}");
    let old = demo.read("baselines/default.json");
    for delay_ms in [5u64, 20, 50, 100, 200, 400] {
        let mut child = demo
            .perfgate()
            .args(["baseline", "save", "--from", "big.json"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = demo.read("baselines/default.json");
        let parsed = json(&now);
        let n = parsed["benchmarks"].as_array().unwrap().len();
        assert!(
            now == old || n == 60_000,
            "after a kill at {delay_ms} ms the baseline has {n} benchmarks"
        );
        demo.write("baselines/default.json", &old);
    }
}

#[test]
fn baseline_log_shows_each_committed_version_with_its_change() {
    let demo = Demo::new();
    for (i, median) in [100.0, 110.0, 99.0].iter().enumerate() {
        demo.write("run.json", &hand_made_run(2, *median).to_string());
        let (code, _, stderr) = output(
            demo.perfgate()
                .args(["baseline", "save", "--from", "run.json"]),
        );
        assert_eq!(code, 0, "{stderr}");
        demo.commit(&format!("release {i}"));
        demo.write("unrelated.txt", &format!("{i}"));
        demo.commit("unrelated change");
    }
    let (code, stdout, stderr) =
        output(
            demo.perfgate()
                .args(["baseline", "log", "group/bench-000001"]),
        );
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.contains(" ns")).collect();
    assert_eq!(
        rows.len(),
        3,
        "one row per version, not per commit: {stdout}"
    );
    assert!(rows[0].contains("99.00 ns (-10.0%)"), "{stdout}");
    assert!(rows[1].contains("110.0 ns (+10.0%)"), "{stdout}");

    let (code, _, stderr) = output(demo.perfgate().args([
        "baseline",
        "log",
        "group/bench-000000",
        "group/bench-000001",
        "--plot",
        "trend.svg",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let svg = demo.read("trend.svg");
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains("group/bench-000001"),
        "legend names the benchmark"
    );
    let newest = demo.git_output(&["log", "-1", "--format=%h", "--abbrev=7", "--", "baselines"]);
    assert!(
        svg.contains(newest.trim()),
        "x axis names the commits: {svg}"
    );
    // Two series of three points each.
    assert_eq!(svg.matches("<circle").count(), 6, "{svg}");
}

#[test]
fn baseline_save_commit_with_a_short_commit_and_a_detached_head() {
    let scratch = Scratch::new();
    let mut run = run_envelope(vec![timing("checksum/1k", 1000.0)]);
    run["git"]["commit"] = "abc".into();
    scratch.write("run.json", &run.to_string());
    let save = || {
        output(
            scratch
                .perfgate()
                .args(["baseline", "save", "--from", "run.json", "--commit"]),
        )
    };
    let (code, _, stderr) = save();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("measured at abc"), "{stderr}");

    // Detached: refused before anything is written.
    std::fs::remove_file(scratch.path().join("baselines/default.json")).unwrap();
    scratch.git(&["checkout", "-q", "--detach"]);
    let (code, _, stderr) = save();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("detached"), "{stderr}");
    assert!(!scratch.path().join("baselines/default.json").exists());
}

#[test]
fn baseline_log_plot_refuses_to_overwrite_a_non_svg_file() {
    let scratch = Scratch::new();
    let before = std::fs::read_to_string(scratch.path().join("Cargo.toml")).unwrap();
    let (code, _, stderr) =
        output(
            scratch
                .perfgate()
                .args(["baseline", "log", "--plot", "Cargo.toml"]),
        );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(".svg"), "{stderr}");
    let after = std::fs::read_to_string(scratch.path().join("Cargo.toml")).unwrap();
    assert_eq!(before, after);
}
