//! Bad inputs, faults and hostile files: each gets a clear error that names what and where
//! (exit 1, or 2 for usage), never a panic, a hang, lost data or a silent pass; and nothing a
//! benchmark name says is obeyed by a terminal, an Actions log, markdown or XML.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{json, output, run_envelope, timing, Scratch};

fn hostile_id() -> &'static str {
    "evil\n::error title=owned::pwned\u{1b}[31m<script>@everyone</script>"
}

#[test]
fn renderers_survive_a_non_ascii_commit_and_make_hostile_text_inert() {
    let scratch = Scratch::new();
    let mut base = run_envelope(vec![timing(hostile_id(), 1000.0)]);
    base["git"]["commit"] = "aéééééééé`@team <img src=x>".into();
    base["benchmarks"][0]["unit"] = "ns".into();
    let mut run = run_envelope(vec![timing(hostile_id(), 1300.0)]);
    run["benchmarks"][0]["unit"] = "ns".into();
    let compare = scratch.compared(base, run);
    for format in ["markdown", "table", "junit", "json"] {
        let (code, stdout, stderr) = output(scratch.perfgate().args([
            "report",
            "--input",
            compare.to_str().unwrap(),
            "--format",
            format,
        ]));
        assert_eq!(code, 0, "{format}: {stderr}");
        assert!(
            !stdout.contains('\u{1b}'),
            "{format}: an escape reached the output"
        );
        assert!(
            !stdout.lines().any(|l| l.starts_with("::")),
            "{format}: a workflow command at column 0: {stdout}"
        );
        if format == "markdown" {
            assert!(
                !stdout.contains("<img") && !stdout.contains("<script>"),
                "{stdout}"
            );
            assert!(
                !stdout.contains("@everyone") && !stdout.contains("@team"),
                "{stdout}"
            );
        }
        if format == "junit" {
            assert!(
                !stdout.chars().any(|c| c.is_control() && c != '\n'),
                "JUnit must be well-formed XML: {stdout}"
            );
        }
    }
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
#[cfg(unix)]
fn a_written_baseline_is_0644_and_a_killed_writes_leftovers_are_removed() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    scratch.write(
        "run.json",
        &run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    scratch.write("baselines/.perfgate-write-killed", "half a baseline");
    let stale = scratch.path().join("baselines/.perfgate-write-killed");
    let status = Command::new("touch")
        .args(["-d", "2 hours ago"])
        .arg(&stale)
        .status()
        .unwrap();
    assert!(status.success());
    let (code, _, stderr) = output(
        scratch
            .perfgate()
            .args(["baseline", "save", "--from", "run.json"]),
    );
    assert_eq!(code, 0, "{stderr}");
    let written = scratch.path().join("baselines/default.json");
    let mode = std::fs::metadata(&written).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    assert!(!stale.exists(), "the killed write's temporary file is gone");
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
#[cfg(unix)]
fn a_symlinked_config_outside_the_workspace_is_not_read_or_quoted() {
    let scratch = Scratch::new();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secrets.toml");
    std::fs::write(&secret, "API_TOKEN = ghp_secretSecretSecret\n").unwrap();
    std::os::unix::fs::symlink(&secret, scratch.path().join("perfgate.toml")).unwrap();
    scratch.write(
        "run.json",
        &run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    let (code, stdout, stderr) = output(
        scratch
            .perfgate()
            .args(["baseline", "save", "--from", "run.json"]),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("symlink") && stderr.contains("perfgate.toml"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("ghp_") && !stdout.contains("ghp_"),
        "{stderr}"
    );
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

#[test]
fn a_budget_that_matches_nothing_and_a_budget_in_the_wrong_unit_are_errors() {
    let scratch = Scratch::new();
    scratch.write(
        "perfgate.toml",
        "[budgets]\n\"checksum/1k\" = \"> 20000/s\"\n\"no/such/*\" = \"< 1ms\"\n",
    );
    scratch.write(
        "baseline.json",
        &run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    scratch.write(
        "run.json",
        &run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    let (code, stdout, stderr) = output(scratch.perfgate().args(support::COMPARE_SAVED_RUN));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    let entry = support::entry(&compare, "checksum/1k");
    assert_eq!(entry["verdict"], "error", "{entry}");
    assert!(
        entry["note"].as_str().unwrap().contains("another unit"),
        "{entry}"
    );
    assert!(
        compare["warnings"].to_string().contains("no/such/*"),
        "{compare}"
    );
    // Alone, a budget that matches nothing still stops the gate: a typo drops no budget.
    scratch.write("perfgate.toml", "[budgets]\n\"no/such/*\" = \"< 1ms\"\n");
    let (code, stdout, stderr) = output(scratch.perfgate().args(support::COMPARE_SAVED_RUN));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    assert_eq!(compare["verdict"], "error", "{compare}");
    assert_eq!(support::entry(&compare, "checksum/1k")["verdict"], "pass");
    assert!(
        compare["warnings"].to_string().contains("fix its id"),
        "{compare}"
    );
}

#[test]
fn shards_of_different_commits_are_refused_and_a_dirty_shard_keeps_the_merge_dirty() {
    use cargo_perfgate::run::shard::merge_runs;
    let shard = |index: u32, commit: &str, dirty: bool| {
        let mut run = run_envelope(vec![timing(&format!("b/{index}"), 1000.0)]);
        run["shard"] = format!("{index}/2").into();
        run["git"] = serde_json::json!({"commit": commit, "dirty": dirty});
        (
            PathBuf::from(format!("shard-{index}/run.json")),
            serde_json::from_value::<perfgate_format::Run>(run).unwrap(),
        )
    };
    let err = merge_runs(&[shard(1, "aaaa", false), shard(2, "bbbb", false)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("same commit"), "{err}");
    let merged = merge_runs(&[shard(1, "aaaa", false), shard(2, "aaaa", true)]).unwrap();
    assert!(merged.git.unwrap().dirty);
}

#[test]
fn a_merge_of_shards_from_two_machines_says_so_and_trusts_no_stored_figure() {
    let scratch = Scratch::new();
    for index in 1..=2 {
        let mut run = run_envelope(vec![timing(&format!("b/{index}"), 1000.0)]);
        run["shard"] = format!("{index}/2").into();
        if index == 2 {
            run["machine"]["cpu_model"] = "Another CPU".into();
        }
        scratch.write(&format!("shard{index}.json"), &run.to_string());
    }
    scratch.write(
        "baseline.json",
        &run_envelope(vec![timing("b/1", 1000.0), timing("b/2", 1000.0)]).to_string(),
    );
    let (code, stdout, stderr) = output(scratch.perfgate().args([
        "merge",
        "shard1.json",
        "shard2.json",
        "--against",
        "baseline.json",
        "--format",
        "json",
    ]));
    // The baseline's machine is shard 1's: shard 2's stored figures are not judged.
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    assert_eq!(compare["baseline"]["machine_differs"], true, "{compare}");
    assert!(
        compare["warnings"]
            .to_string()
            .contains("2 different machines"),
        "{compare}"
    );
}

#[test]
fn a_killed_writes_temporary_is_removed_at_once_and_a_write_leaves_git_status_clean() {
    let scratch = Scratch::new();
    scratch.write(
        "run.json",
        &run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    // A process that is gone: its temporary is stale however fresh the file is.
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let leftover = format!("baselines/.perfgate-write-{pid}-abcdef");
    scratch.write(&leftover, "half a baseline");
    let (code, _, stderr) = output(
        scratch
            .perfgate()
            .args(["baseline", "save", "--from", "run.json"]),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!scratch.path().join(&leftover).exists());
    let status = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(!status.contains("perfgate-write"), "{status}");
}

#[test]
fn a_second_run_in_the_same_out_dir_is_refused_while_the_first_holds_it() {
    let demo = support::Demo::new();
    let out = demo.target.join("perfgate");
    std::fs::create_dir_all(&out).unwrap();
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.join(".lock"))
        .unwrap();
    held.lock().unwrap();
    let (code, _, stderr) = output(demo.perfgate().args(["run", "--quick"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("another cargo perfgate"), "{stderr}");
}

#[test]
fn messages_say_what_is_wrong_with_a_file() {
    let scratch = Scratch::new();
    scratch.write(
        "run.json",
        &run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string(),
    );
    let compare_with = |baseline: &str| {
        scratch.write("baseline.json", baseline);
        output(scratch.perfgate().args(support::COMPARE_SAVED_RUN))
    };
    // A byte order mark is not corruption.
    let valid = run_envelope(vec![timing("checksum/1k", 1000.0)]).to_string();
    let (code, _, stderr) = compare_with(&format!("\u{feff}{valid}"));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = compare_with("[1, 2, 3]");
    assert_eq!(code, 1);
    assert!(stderr.contains("valid JSON, but not"), "{stderr}");
    let (code, _, stderr) = compare_with("{\"schema\": 5}");
    assert_eq!(code, 1);
    assert!(stderr.contains("`5`"), "{stderr}");
    let (code, _, stderr) = compare_with("{\"schema\": \"perfgate.baseline.v1\", \"benchm");
    assert_eq!(code, 1);
    assert!(stderr.contains("corrupt or truncated"), "{stderr}");
}

#[test]
fn an_invalid_filter_is_a_usage_error_not_a_criterion_panic() {
    let demo = support::Demo::new();
    let (code, _, stderr) = output(demo.perfgate().args(["run", "--quick", "parse/(["]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not a valid regular expression"),
        "{stderr}"
    );
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

#[test]
fn a_timed_out_bench_takes_its_grandchildren_with_it() {
    let demo = support::Demo::new();
    let manifest = demo.read("Cargo.toml");
    demo.write(
        "Cargo.toml",
        &format!("{manifest}\n[[bench]]\nname = \"spawner\"\nharness = false\n"),
    );
    // Counts as a criterion target; starts a grandchild and hangs.
    demo.write(
        "benches/spawner.rs",
        "// criterion stand-in\nfn main() {\n    std::process::Command::new(\"sleep\").arg(\"987.654321\").spawn().unwrap();\n    std::thread::sleep(std::time::Duration::from_secs(600));\n}\n",
    );
    let (code, _, stderr) =
        output(
            demo.perfgate()
                .args(["run", "--quick", "--bench", "spawner", "--timeout", "3s"]),
        );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    std::thread::sleep(Duration::from_millis(300));
    // Every process's command line, from /proc (no pgrep on a fresh machine).
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains("987.654321"))
        .collect();
    assert!(
        left.is_empty(),
        "the grandchild outlived --timeout: {left:?}"
    );
}
