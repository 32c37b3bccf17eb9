//! `cargo perfgate comment` against a GitHub stand-in on 127.0.0.1 that checks every request
//! against GitHub's REST description, fed with real webhook payloads.

mod support;

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use perfgate_format::*;
use support::github::{event_example, StandIn};
use support::output;

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
