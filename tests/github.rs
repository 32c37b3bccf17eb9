//! Everything the gate says to GitHub: `cargo perfgate comment` against a stand-in on 127.0.0.1
//! that checks every request against GitHub's REST description, fed with real webhook payloads;
//! the job summary and annotations; which setting a GitHub error is blamed on.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use perfgate_format::*;
use support::github::{event_example, StandIn};
use support::{hand_made_run, json, output, run_envelope, timing, Demo, Scratch};

const TOKEN: &str = "ghs_perfgateTestToken0123456789abcdef";

fn compare_file(dir: &std::path::Path) -> std::path::PathBuf {
    let machine = Machine {
        cpu_model: "Test CPU".into(),
        cores: 2,
        os: "linux".into(),
        arch: "x86_64".into(),
        rustc: "rustc 1.95.0".into(),
    };
    let entry = Entry {
        package: "core".into(),
        target: "bench".into(),
        unit: "ns".into(),
        baseline: Some(100.0),
        current: Some(130.0),
        change: Some(0.3),
        change_low: Some(0.28),
        change_high: Some(0.32),
        p_value: Some(0.001),
        threshold: 0.05,
        method: Method::Confirmed,
        ..Entry::new("a|b @team <b>", Verdict::Regressed)
    };
    let comparison = Comparison {
        schema: COMPARE_SCHEMA.into(),
        tool_version: "0.1.0".into(),
        verdict: Overall::Fail,
        counts: Counts {
            total: 1,
            regressed: 1,
            ..Counts::default()
        },
        baseline: None,
        current_git: None,
        machine,
        method: "test".into(),
        warnings: vec![],
        entries: vec![entry],
        cost: None,
        acceptance: None,
        drift: None,
    };
    let path = dir.join("compare.json");
    std::fs::write(&path, serde_json::to_string(&comparison).unwrap()).unwrap();
    path
}

fn comment(standin: &StandIn, dir: &std::path::Path, event: &serde_json::Value) -> Command {
    let event_path = dir.join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    let mut command = Command::cargo_bin("cargo-perfgate").unwrap();
    command
        .args(["perfgate", "comment", "--input"])
        .arg(compare_file(dir))
        .env("GITHUB_API_URL", &standin.url)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "octo-org/demo")
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_ACTIONS", "true");
    command
}

fn assert_no_token(texts: &[&str]) {
    for text in texts {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
        assert!(
            !text.contains(&TOKEN[4..]),
            "part of the token leaked: {text}"
        );
    }
}

#[test]
fn the_sticky_comment_is_created_once_then_updated_in_place_among_150_comments() {
    let standin = StandIn::start();
    let event = event_example("pull_request", |e| e["action"] == "opened");
    let pr = event["pull_request"]["number"].as_u64().unwrap();
    standin.seed_comments(pr, 150);
    let dir = tempfile::tempdir().unwrap();

    let (code, stdout, stderr) = output(&mut comment(&standin, dir.path(), &event));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("created comment 1150 on #{pr}")),
        "{stderr}"
    );
    let (code, stdout2, stderr2) = output(&mut comment(&standin, dir.path(), &event));
    assert_eq!(code, 0, "{stderr2}");
    assert!(
        stderr2.contains(&format!("updated comment 1150 on #{pr}")),
        "{stderr2}"
    );

    let st = standin.state.lock().unwrap();
    assert!(
        st.violations.is_empty(),
        "requests GitHub's REST description rejects: {:?}",
        st.violations
    );
    let comments = &st.comments[&pr];
    assert_eq!(comments.len(), 151, "exactly one comment added");
    let ours: Vec<_> = comments
        .iter()
        .filter(|c| c.1.contains("cargo-perfgate:sticky-comment"))
        .collect();
    assert_eq!(ours.len(), 1);
    assert!(
        ours[0].1.contains("a\\|b @\u{200b}team &lt;b&gt;"),
        "the name is inert: {}",
        ours[0].1
    );
    assert!(st
        .requests
        .iter()
        .any(|r| r.method == "patch" && r.path.ends_with("/issues/comments/1150")));
    assert!(
        st.requests.iter().any(|r| r.path.contains("page=2")),
        "the second page of comments was read"
    );
    assert!(st.requests.iter().all(|r| r
        .authorization
        .as_deref()
        .is_some_and(|a| a.ends_with(TOKEN))));
    assert_no_token(&[&stdout, &stderr, &stdout2, &stderr2]);
}

#[test]
fn a_workflow_run_for_a_fork_finds_the_pull_request_by_head_sha() {
    let standin = StandIn::start();
    let event = event_example("workflow_run", |e| {
        e["workflow_run"]["pull_requests"]
            .as_array()
            .is_some_and(|p| p.is_empty())
    });
    let sha = event["workflow_run"]["head_sha"]
        .as_str()
        .unwrap()
        .to_string();
    {
        let mut st = standin.state.lock().unwrap();
        st.pulls = (1..=130).map(|n| (n, format!("{n:040x}"))).collect();
        st.pulls.push((131, sha));
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = output(&mut comment(&standin, dir.path(), &event));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("on #131"), "{stderr}");
    let st = standin.state.lock().unwrap();
    assert!(st.violations.is_empty(), "{:?}", st.violations);
    assert_eq!(st.comments[&131].len(), 1);
}

#[test]
fn server_errors_are_retried_and_a_failed_post_is_a_warning_without_the_token() {
    let standin = StandIn::start();
    let event = event_example("pull_request", |e| e["action"] == "opened");
    let pr = event["pull_request"]["number"].as_u64().unwrap();
    standin.state.lock().unwrap().fail_next = vec![502, 503];
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = output(&mut comment(&standin, dir.path(), &event));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("retrying") && stderr.contains(&format!("created comment 1000 on #{pr}")),
        "{stderr}"
    );

    standin.state.lock().unwrap().fail_next = vec![500; 20];
    let (code2, stdout2, stderr2) = output(&mut comment(&standin, dir.path(), &event));
    assert_eq!(
        code2, 0,
        "a failed comment never changes the verdict: {stderr2}"
    );
    assert!(
        stderr2.contains("could not post the PR comment"),
        "{stderr2}"
    );
    assert!(stdout2.contains("::warning"), "{stdout2}");
    assert_no_token(&[&stdout, &stderr, &stdout2, &stderr2]);
}

#[test]
fn a_marker_in_someone_elses_comment_is_never_edited() {
    let standin = StandIn::start();
    let event = event_example("pull_request", |e| e["action"] == "opened");
    let pr = event["pull_request"]["number"].as_u64().unwrap();
    let foreign = standin.seed_foreign_sticky(pr, "mallory");
    let dir = tempfile::tempdir().unwrap();
    for expected in ["created comment", "updated comment"] {
        let (code, _, stderr) = output(&mut comment(&standin, dir.path(), &event));
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
    let st = standin.state.lock().unwrap();
    assert!(st.violations.is_empty(), "{:?}", st.violations);
    assert!(
        !st.requests
            .iter()
            .any(|r| r.method == "patch" && r.path.ends_with(&format!("/comments/{foreign}"))),
        "mallory's comment was edited"
    );
    let ours: Vec<_> = st.comments[&pr]
        .iter()
        .filter(|c| c.2 == "github-actions[bot]")
        .collect();
    assert_eq!(ours.len(), 1, "one comment of our own");
}

#[test]
fn dry_run_prints_the_body_and_sends_nothing() {
    let standin = StandIn::start();
    let event = event_example("pull_request", |e| e["action"] == "opened");
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = output(comment(&standin, dir.path(), &event).arg("--dry-run"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("<!-- cargo-perfgate:sticky-comment -->"));
    assert!(standin.state.lock().unwrap().requests.is_empty());
}

#[test]
fn in_actions_compare_writes_the_job_summary_and_ranked_error_annotations() {
    let demo = Demo::new();
    demo.write("baseline.json", &hand_made_run(12, 100.0).to_string());
    demo.write("run.json", &hand_made_run(12, 150.0).to_string());
    let summary = demo.path().join("summary.md");
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .args([
                "compare",
                "run.json",
                "--against",
                "baseline.json",
                "--confirm",
                "never",
            ])
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary),
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let annotations = stdout
        .lines()
        .filter(|l| l.starts_with("::error title=perfgate::"))
        .count();
    assert_eq!(
        annotations, 10,
        "ten annotations, the ones GitHub shows: {stdout}"
    );
    let written = std::fs::read_to_string(summary).unwrap();
    assert!(
        written.starts_with("<!-- cargo-perfgate:sticky-comment -->\n## ❌ perfgate: **fail**"),
        "{written}"
    );

    // With --format json, stdout is only the JSON.
    let (_, stdout, stderr) = output(
        demo.perfgate()
            .args(support::COMPARE_SAVED_RUN)
            .env("GITHUB_ACTIONS", "true"),
    );
    assert_eq!(json(&stdout)["verdict"], "fail");
    assert!(stderr.contains("::error title=perfgate::"), "{stderr}");
}

#[test]
fn a_comment_against_an_api_that_never_answers_gives_up_with_a_warning() {
    let scratch = Scratch::new();
    let compare = scratch.compared(
        run_envelope(vec![timing("checksum/1k", 1000.0)]),
        run_envelope(vec![timing("checksum/1k", 1000.0)]),
    );
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap();
    // Accept connections and never answer.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming() {
            held.push(stream);
        }
    });
    let begun = Instant::now();
    let (code, stdout, stderr) = output(
        scratch
            .perfgate()
            .args(["comment", "--input", compare.to_str().unwrap()])
            .args(["--repo", "octo/repo", "--pr", "1"])
            .env("GITHUB_TOKEN", "ghs_neverPrinted0123456789")
            .env("GITHUB_API_URL", format!("http://{address}")),
    );
    assert!(
        begun.elapsed() < Duration::from_secs(150),
        "hung for {:?}",
        begun.elapsed()
    );
    assert_eq!(
        code, 0,
        "a failed comment never hides the verdict: {stderr}"
    );
    assert!(stderr.contains("could not post"), "{stderr}");
    assert!(!stdout.contains("ghs_") && !stderr.contains("ghs_"));
}

#[test]
fn github_settings_are_blamed_on_their_own_source() {
    let scratch = Scratch::new();
    let compare = scratch.compared(
        run_envelope(vec![timing("checksum/1k", 1000.0)]),
        run_envelope(vec![timing("checksum/1k", 1000.0)]),
    );
    let comment = |env: &[(&str, &str)]| {
        let mut command = scratch.perfgate();
        command
            .args(["comment", "--input", compare.to_str().unwrap()])
            .env("GITHUB_TOKEN", "ghs_x");
        for (k, v) in env {
            command.env(k, v);
        }
        output(&mut command)
    };
    let (code, _, stderr) = comment(&[("GITHUB_REPOSITORY", "not-a-repo")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("GITHUB_REPOSITORY `not-a-repo`"),
        "{stderr}"
    );
    let (code, _, stderr) = comment(&[
        ("GITHUB_REPOSITORY", "octo/repo"),
        ("GITHUB_EVENT_PATH", "/nonexistent/event.json"),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("GITHUB_EVENT_PATH names /nonexistent/event.json"),
        "{stderr}"
    );
}
