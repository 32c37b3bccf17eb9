//! Bad inputs, faults and hostile files: each gets a clear error that names what and where
//! (exit 1, or 2 for usage), never a panic, a hang, lost data or a silent pass; and nothing a
//! benchmark name says is obeyed by a terminal, an Actions log, markdown or XML.

mod support;

use std::process::Command;
use std::time::Duration;

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
