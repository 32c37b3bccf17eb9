//! Living with the gate: a maintainer's label accepts an intended slowdown (and nothing in the
//! pull request's files can), drift on the default branch is measured since the baseline's
//! commit, and the history kept in git notes names the commit where a benchmark moved. Real
//! cargo, criterion and git; real GitHub event payloads.

mod support;

use serde_json::Value;
use support::github::event_example;
use support::{json, output, Demo};

/// A real `pull_request` payload (`labeled`, or `synchronize` when `labels` is empty) whose
/// pull request carries `labels`, written into `dir`.
fn pull_request_event(dir: &std::path::Path, labels: &[&str]) -> std::path::PathBuf {
    let action = if labels.is_empty() {
        "synchronize"
    } else {
        "labeled"
    };
    let mut event = event_example("pull_request", |e| e["action"] == action);
    let named: Vec<Value> = labels
        .iter()
        .map(|name| serde_json::json!({"name": name, "color": "ededed", "default": false}))
        .collect();
    event["pull_request"]["labels"] = Value::Array(named);
    if let Some(last) = labels.last() {
        event["label"]["name"] = Value::from(*last);
    }
    let path = dir.join(format!("event-{action}-{}.json", labels.join("+")));
    std::fs::write(&path, event.to_string()).unwrap();
    path
}

fn in_pull_request(command: &mut std::process::Command, event: &std::path::Path) {
    command
        .env("GITHUB_BASE_REF", "main")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", event);
}

#[test]
fn a_maintainers_label_accepts_a_confirmed_regression_and_the_pull_requests_files_cannot() {
    let demo = Demo::new();
    let events = tempfile::tempdir().unwrap();
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline on main");
    demo.git(&["checkout", "-q", "-b", "pr"]);
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 40);
    demo.commit("intended: checksum does more work");

    // Labelled: the confirmed regression is accepted, exit 0, and the report says by whom.
    let labelled = pull_request_event(events.path(), &["perfgate:accept"]);
    let mut check = demo.perfgate();
    check.args(["check", "--quick", "--format", "json", "checksum"]);
    in_pull_request(&mut check, &labelled);
    let (code, stdout, stderr) = output(&mut check);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    let entry = support::entry(&compare, "checksum/1k");
    assert_eq!(entry["verdict"], "accepted", "{entry}");
    assert_eq!(entry["method"], "confirmed", "{entry}");
    let note = entry["note"].as_str().unwrap();
    assert!(
        note.contains("`perfgate:accept` added by @Codertocat on #2 for commit "),
        "the accepted head is named: {note}"
    );
    assert_eq!(compare["acceptance"]["by"], "Codertocat");
    assert_eq!(compare["counts"]["accepted"], 1);
    let report = std::fs::read_to_string(demo.target.join("perfgate/report.md")).unwrap();
    // The comment escapes the @ so that it mentions nobody.
    assert!(
        report.contains("| accepted |") && report.contains("Codertocat"),
        "{report}"
    );

    // The same measurements without the label: regressed, exit 3.
    let unlabelled = pull_request_event(events.path(), &[]);
    let mut compare_again = demo.perfgate();
    compare_again.args(["compare", "--format", "json"]);
    in_pull_request(&mut compare_again, &unlabelled);
    let (code, stdout, stderr) = output(&mut compare_again);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let entry_without = json(&stdout);
    assert_eq!(
        support::entry(&entry_without, "checksum/1k")["verdict"],
        "regressed"
    );

    // A later push (`synchronize`) with the label still on the pull request: it accepted the
    // head it was added on, not this one.
    let pushed = pull_request_event(events.path(), &[]);
    let mut later = json(&std::fs::read_to_string(&pushed).unwrap());
    later["pull_request"]["labels"] = serde_json::json!([{"name": "perfgate:accept"}]);
    std::fs::write(&pushed, later.to_string()).unwrap();
    let mut after_push = demo.perfgate();
    after_push.args(["compare", "--format", "json"]);
    in_pull_request(&mut after_push, &pushed);
    let (code, stdout, stderr) = output(&mut after_push);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    assert_eq!(
        support::entry(&compare, "checksum/1k")["verdict"],
        "regressed"
    );
    let warnings = compare["warnings"].to_string();
    assert!(
        warnings.contains("earlier head") && warnings.contains("add it again"),
        "{warnings}"
    );

    // The pull request renames the accepting label to one it carries, refreshes the baseline
    // and commits an event file of its own: none of it counts.
    demo.write("perfgate.toml", "[gate]\naccept_label = \"bug\"\n");
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.write("event.json", &std::fs::read_to_string(&labelled).unwrap());
    demo.commit("accept it myself");
    let bug = pull_request_event(events.path(), &["bug"]);
    let mut faked = demo.perfgate();
    faked.args(["check", "--quick", "--format", "json", "checksum"]);
    in_pull_request(&mut faked, &bug);
    let (code, stdout, stderr) = output(&mut faked);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    assert_eq!(
        support::entry(&compare, "checksum/1k")["verdict"],
        "regressed"
    );
    let warnings = compare["warnings"].to_string();
    assert!(
        warnings.contains("accept_label perfgate:accept → bug"),
        "{warnings}"
    );
}

/// `perfgate.toml` of the drift test: each change may cost 20%, the branch 30% in all.
const DRIFT_POLICY: &str = "[gate]\nthreshold = \"20%\"\ndrift_threshold = \"30%\"\n";

#[test]
fn steps_that_pass_one_by_one_as_pull_requests_fail_the_drift_check_once_they_add_up() {
    let demo = Demo::new();
    demo.write("perfgate.toml", DRIFT_POLICY);
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline");
    // The baseline was measured on the commit before the one that committed it.
    let baseline_commit = demo.rev("HEAD^");
    let events = tempfile::tempdir().unwrap();
    let unlabelled = pull_request_event(events.path(), &[]);
    let mut push = event_example("push", |_| true);
    push["ref"] = Value::from("refs/heads/main");
    push["repository"]["default_branch"] = Value::from("main");
    let push_path = events.path().join("push.json");
    std::fs::write(&push_path, push.to_string()).unwrap();

    // Each commit does 12% more work than the one before: +12%, +25%, +40% since the baseline.
    for (step, percent) in [(1, 12), (2, 25), (3, 40)] {
        demo.git(&["checkout", "-q", "-b", "pr"]);
        let source = demo.read("src/lib.rs");
        let knob = source
            .lines()
            .find(|l| l.starts_with("pub const CHECKSUM_SLOWDOWN_PERCENT"))
            .unwrap()
            .to_string();
        demo.write(
            "src/lib.rs",
            &source.replace(
                &knob,
                &format!("pub const CHECKSUM_SLOWDOWN_PERCENT: u64 = {percent};"),
            ),
        );
        demo.commit(&format!("step {step}: 12% more work"));

        let mut pr = demo.perfgate();
        pr.args(["check", "--quick", "--format", "json", "checksum"]);
        in_pull_request(&mut pr, &unlabelled);
        let (code, stdout, stderr) = output(&mut pr);
        assert_eq!(code, 0, "step {step} as a pull request: {stdout}\n{stderr}");

        demo.git(&["checkout", "-q", "main"]);
        demo.git(&["merge", "-q", "--ff-only", "pr"]);
        demo.git(&["branch", "-q", "-D", "pr"]);
        let mut drift = demo.perfgate();
        if step < 3 {
            drift.args([
                "check", "--drift", "--quick", "--format", "json", "checksum",
            ]);
        } else {
            // The push to the default branch turns drift on by itself.
            drift
                .args(["check", "--quick", "--format", "json", "checksum"])
                .env("GITHUB_EVENT_NAME", "push")
                .env("GITHUB_REF", "refs/heads/main")
                .env("GITHUB_EVENT_PATH", &push_path);
        }
        let (code, stdout, stderr) = output(&mut drift);
        let compare = json(&stdout);
        assert_eq!(compare["drift"]["since"], baseline_commit.as_str());
        assert_eq!(compare["drift"]["commits"], step + 1);
        let entry = support::entry(&compare, "checksum/1k");
        assert_eq!(entry["threshold"], 0.3, "{entry}");
        assert_eq!(entry["method"], "confirmed", "{entry}");
        assert_eq!(
            entry["confirmation"]["baseline_commit"],
            baseline_commit.as_str(),
            "drift is re-measured against the baseline's own commit: {entry}"
        );
        if step < 3 {
            assert_eq!(code, 0, "drift at step {step}: {stdout}\n{stderr}");
        } else {
            assert_eq!(code, 3, "drift at step 3 crosses 30%: {stdout}\n{stderr}");
            assert_eq!(entry["verdict"], "regressed", "{entry}");
            let note = entry["note"].as_str().unwrap();
            assert!(note.contains("over 4 commit(s) since baseline"), "{note}");
            // The flagged row carries its history: this run's record and the two before.
            assert_eq!(entry["trend"].as_array().unwrap().len(), 3, "{entry}");
            let report = std::fs::read_to_string(demo.target.join("perfgate/report.md")).unwrap();
            assert!(report.contains("per recorded commit"), "{report}");
        }
        assert!(
            stderr.contains("recorded this run in refs/notes/perfgate"),
            "{stderr}"
        );
    }

    // Each drift run recorded its commit in the history.
    let (code, stdout, stderr) = output(demo.perfgate().args(["history", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let history = json(&stdout);
    let series = history["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "checksum/1k")
        .unwrap();
    let points = series["points"].as_array().unwrap();
    assert_eq!(points.len(), 3, "{series}");
    // Each is that run's own single stage-one median (their order depends on the machine's load
    // between runs, so it is not asserted here; the change-point test checks the reading).
    for point in points {
        let median = point[1].as_f64().unwrap();
        assert!(median.is_finite() && median > 0.0, "{series}");
    }
}

/// A run.json of `commit` whose one benchmark has a median of `median` ns.
fn run_of(commit: &str, median: f64) -> Value {
    let mut run = support::run_envelope(vec![support::timing("parse/json", median)]);
    run["git"]["commit"] = Value::from(commit);
    run
}

#[test]
fn history_over_twenty_commits_names_the_commit_of_a_fifteen_percent_step() {
    let demo = Demo::new();
    let runs = tempfile::tempdir().unwrap();
    let mut step_commit = String::new();
    for k in 0..20u32 {
        demo.write("notes.txt", &format!("commit {k}\n"));
        demo.commit(&format!("change {k}"));
        let commit = demo.rev("HEAD");
        if k == 12 {
            step_commit = commit.clone();
        }
        // ±3% of run-to-run spread, and +15% from commit 12 on.
        let spread = [0.0, 0.021, -0.013, 0.029, -0.027, 0.008, -0.019, 0.015][(k % 8) as usize];
        let level = if k >= 12 { 115.0 } else { 100.0 };
        let path = runs.path().join(format!("run-{k}.json"));
        std::fs::write(&path, run_of(&commit, level * (1.0 + spread)).to_string()).unwrap();
        let (code, _, stderr) = output(demo.perfgate().args(["history", "--record"]).arg(&path));
        assert_eq!(code, 0, "{stderr}");
    }
    let plot = runs.path().join("history.svg");
    let (code, stdout, stderr) = output(demo.perfgate().arg("history").arg("--plot").arg(&plot));
    assert_eq!(code, 0, "{stderr}");
    let short = &step_commit[..10];
    assert!(
        stdout.contains("parse/json: moved +") && stdout.contains(short),
        "names {short}: {stdout}"
    );
    assert!(stdout.contains("\"change 12\""), "{stdout}");
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("<svg") && svg.contains("parse/json"), "{svg}");
    let (_, stdout, _) = output(demo.perfgate().args(["history", "--format", "json"]));
    let moved = &json(&stdout)["series"][0]["change_point"];
    assert_eq!(moved["commit"], step_commit.as_str());
    assert_eq!(moved["significant"], true);
    let change = moved["change"].as_f64().unwrap();
    assert!((0.10..0.20).contains(&change), "{moved}");
    assert!(moved["change_low"].as_f64().unwrap() > 0.0, "{moved}");

    // A run of uncommitted changes is no commit's history.
    let mut dirty = run_of(&demo.rev("HEAD"), 100.0);
    dirty["git"]["dirty"] = Value::from(true);
    let path = runs.path().join("dirty.json");
    std::fs::write(&path, dirty.to_string()).unwrap();
    let (code, _, stderr) = output(demo.perfgate().args(["history", "--record"]).arg(&path));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("uncommitted"), "{stderr}");
}

#[test]
fn two_runs_that_race_to_push_the_history_both_land() {
    let demo = Demo::new();
    let origin = tempfile::tempdir().unwrap();
    let bare = origin.path().join("origin.git");
    support::git_in(
        origin.path(),
        &[
            "clone",
            "-q",
            "--bare",
            demo.path().to_str().unwrap(),
            "origin.git",
        ],
    );
    let clones = tempfile::tempdir().unwrap();
    let clone = |name: &str| {
        support::git_in(
            clones.path(),
            &["clone", "-q", bare.to_str().unwrap(), name],
        );
        clones.path().join(name)
    };
    let (a, b) = (clone("a"), clone("b"));
    let head = demo.rev("HEAD");
    let runs = tempfile::tempdir().unwrap();
    let record = |dir: &std::path::Path, median: f64| {
        let path = runs.path().join(format!("run-{median}.json"));
        std::fs::write(&path, run_of(&head, median).to_string()).unwrap();
        let (code, _, stderr) = output(
            support::perfgate_in(dir, &demo.target)
                .args(["history", "--record"])
                .arg(&path),
        );
        assert_eq!(code, 0, "{stderr}");
    };
    // Both record the same commit before either pushes: the second push is rejected, merges
    // and lands, and neither record is lost.
    record(&a, 100.0);
    record(&b, 101.0);
    for dir in [&a, &b] {
        let (code, _, stderr) =
            output(support::perfgate_in(dir, &demo.target).args(["history", "--push"]));
        assert_eq!(code, 0, "{stderr}");
    }
    let c = clone("c");
    let (code, stdout, stderr) = output(
        support::perfgate_in(&c, &demo.target).args(["history", "--fetch", "--format", "json"]),
    );
    assert_eq!(code, 0, "{stderr}");
    let note = std::process::Command::new("git")
        .args(["notes", "--ref=perfgate", "show", &head])
        .current_dir(&c)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&note.stdout);
    assert_eq!(text.lines().count(), 2, "both records: {text}");
    let point = &json(&stdout)["series"][0]["points"][0];
    assert_eq!(
        point[1].as_f64().unwrap(),
        100.5,
        "the median of both runs: {point}"
    );
}
