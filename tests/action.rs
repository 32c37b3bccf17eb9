//! The GitHub Action's shell steps (`action/*.sh`), run here as the runner would run them: the
//! inputs as `INPUT_*` variables, `GITHUB_OUTPUT`/`GITHUB_PATH` files, and a `cargo` on PATH
//! (a recording stand-in, or the real one with the built tool). The steps are bash scripts
//! that a Windows runner runs in Git Bash; these tests run them on unix only.
#![cfg(unix)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{git_in, output, repo_root, run_envelope, timing};

/// A `cargo` and a `cargo-perfgate` that write their arguments, one per line, to `$CALLS` and
/// succeed.
fn recording_cargo(bin: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    for name in ["cargo", "cargo-perfgate"] {
        let script = bin.join(name);
        std::fs::write(
            &script,
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" >> \"$CALLS\"\nprintf -- '--\\n' >> \"$CALLS\"\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn step(script: &str, bin: &Path, work: &Path) -> Command {
    let mut command = Command::new("bash");
    command
        .arg(repo_root().join("action").join(script))
        .current_dir(work)
        .env("GITHUB_ACTION_PATH", repo_root())
        .env("GITHUB_OUTPUT", work.join("github_output"))
        .env("GITHUB_PATH", work.join("github_path"))
        .env("CALLS", work.join("calls"))
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        );
    for var in [
        "INPUT_COMMAND",
        "INPUT_ARGS",
        "INPUT_MANIFEST_PATH",
        "INPUT_AGAINST",
        "INPUT_SHARD",
        "INPUT_UPLOAD",
        "GITHUB_EVENT_NAME",
        "PERFGATE_ACTION_REF",
        "PERFGATE_RELEASE_BASE",
    ] {
        command.env_remove(var);
    }
    command
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn inputs_reach_the_tool_as_arguments_and_are_never_evaluated_by_a_shell() {
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    recording_cargo(&bin);
    let (code, _, stderr) = output(
        step("run.sh", &bin, work.path())
            .env("INPUT_COMMAND", "baseline save")
            .env("INPUT_ARGS", "--quick $(touch pwned) ;echo `id`")
            .env("INPUT_MANIFEST_PATH", "my crate/Cargo.toml")
            .env("INPUT_SHARD", "1/2"),
    );
    assert_eq!(code, 0, "{stderr}");
    let calls: Vec<String> = read(work.path().join("calls"))
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        calls,
        [
            "perfgate",
            "baseline",
            "save",
            "--manifest-path",
            "my crate/Cargo.toml",
            "--shard",
            "1/2",
            "--quick",
            "$(touch",
            "pwned)",
            ";echo",
            "`id`",
            "--"
        ]
    );
    assert!(!work.path().join("pwned").exists());

    // With no inputs: the gate itself.
    std::fs::remove_file(work.path().join("calls")).unwrap();
    let (code, _, _) = output(&mut step("run.sh", &bin, work.path()));
    assert_eq!(code, 0);
    assert_eq!(read(work.path().join("calls")), "perfgate\ncheck\n--\n");
}

#[test]
fn compare_json_is_uploaded_in_a_pull_request_run_and_only_when_it_exists() {
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    let compare = work.path().join("compare.json");
    std::fs::write(&compare, "{}").unwrap();
    let missing = work.path().join("missing.json");
    let cases: [(&str, &str, &Path, &str); 5] = [
        ("auto", "pull_request", &compare, "upload=true"),
        ("auto", "push", &compare, "upload=false"),
        ("true", "push", &compare, "upload=true"),
        ("false", "pull_request", &compare, "upload=false"),
        ("auto", "pull_request", &missing, "upload=false"),
    ];
    for (upload, event, file, expected) in cases {
        let _ = std::fs::remove_file(work.path().join("github_output"));
        let (code, _, stderr) = output(
            step("run.sh", &bin, work.path())
                .arg("should-upload")
                .env("INPUT_UPLOAD", upload)
                .env("GITHUB_EVENT_NAME", event)
                .env("COMPARE_JSON", file),
        );
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            read(work.path().join("github_output")).trim(),
            expected,
            "upload={upload} event={event} file={}",
            file.display()
        );
    }
    let (code, stdout, _) = output(
        step("run.sh", &bin, work.path())
            .arg("should-upload")
            .env("INPUT_UPLOAD", "sometimes"),
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("must be auto, true or false"), "{stdout}");
}

#[test]
fn the_install_step_keys_the_cache_by_content_and_skips_a_cached_binary() {
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    recording_cargo(&bin);
    let key = |_: ()| {
        let _ = std::fs::remove_file(work.path().join("github_output"));
        let (code, _, stderr) = output(step("install.sh", &bin, work.path()).arg("key"));
        assert_eq!(code, 0, "{stderr}");
        read(work.path().join("github_output"))
    };
    let first = key(());
    assert!(
        first.starts_with("key=") && first.trim().len() == 24,
        "{first}"
    );
    assert_eq!(key(()), first, "the same sources give the same key");

    let root = work.path().join("cached");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("bin/cargo-perfgate"), "").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        root.join("bin/cargo-perfgate"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let (code, stdout, stderr) = output(
        step("install.sh", &bin, work.path())
            .arg("install")
            .env("PERFGATE_INSTALL_ROOT", &root),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("cached"), "{stdout}");
    assert!(
        !work.path().join("calls").exists(),
        "cargo install ran anyway"
    );
    assert_eq!(
        read(work.path().join("github_path")).trim(),
        root.join("bin").display().to_string()
    );

    // Not cached: cargo install from the action's checkout into the root.
    let fresh = work.path().join("fresh");
    let (code, _, stderr) = output(
        step("install.sh", &bin, work.path())
            .arg("install")
            .env("PERFGATE_INSTALL_ROOT", &fresh),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        read(work.path().join("calls")),
        format!(
            "install\n--path\n{}\n--locked\n--root\n{}\n--\n",
            repo_root().display(),
            fresh.display()
        )
    );
}

#[test]
fn the_run_step_gives_the_verdict_and_counts_as_step_outputs() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "").unwrap();
    std::fs::write(root.join(".gitignore"), "/target\n").unwrap();
    git_in(root, &["init", "-q", "-b", "main"]);
    let same = run_envelope(vec![timing("parse/1k", 1000.0), timing("index/1k", 500.0)]);
    std::fs::write(root.join("baseline.json"), same.to_string()).unwrap();
    std::fs::write(root.join("run.json"), same.to_string()).unwrap();
    git_in(root, &["add", "-A"]);
    git_in(root, &["commit", "-q", "-m", "scratch"]);

    let tool = assert_cmd::cargo::cargo_bin("cargo-perfgate");
    let bin = tool.parent().unwrap();
    let (code, stdout, stderr) = output(
        step("run.sh", bin, root)
            .env("INPUT_COMMAND", "compare")
            .env("INPUT_ARGS", "run.json --confirm never")
            .env("INPUT_AGAINST", "baseline.json")
            .env("CARGO_TARGET_DIR", root.join("target"))
            .env("CI", "true"),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let outputs = read(root.join("github_output"));
    for line in ["verdict=pass", "benchmarks=2", "regressed=0", "error=0"] {
        assert!(outputs.lines().any(|l| l == line), "{line} in {outputs}");
    }
    let path = outputs
        .lines()
        .find_map(|l| l.strip_prefix("compare-json="))
        .expect("compare-json output");
    assert!(Path::new(path).is_file(), "{path}");
}

/// The tools step reads the workspace's resolved gungraun (real `cargo metadata` on the fixture)
/// and installs its runner of that version; a workspace without gungraun installs nothing.
#[test]
fn the_tools_step_installs_gungraun_runner_of_the_resolved_version_only_where_it_is_used() {
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // `cargo metadata` is the real one; any other cargo call is recorded.
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let script = bin.join("cargo");
    std::fs::write(
        &script,
        format!(
            "#!/usr/bin/env bash\nif [ \"$1\" = metadata ]; then exec {real:?} \"$@\"; fi\nprintf '%s\\n' \"$@\" >> \"$CALLS\"\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tools = work.path().join("tools");
    let run = |manifest: &Path| {
        let _ = std::fs::remove_file(work.path().join("calls"));
        output(
            step("install.sh", &bin, work.path())
                .arg("tools")
                .env("INPUT_MANIFEST_PATH", manifest)
                .env("PERFGATE_TOOLS_ROOT", &tools),
        )
    };
    let (code, stdout, stderr) = run(&repo_root().join("fixtures/gungraun/Cargo.toml"));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let root = tools.join("gungraun-runner-0.20.0");
    assert_eq!(
        read(work.path().join("calls")),
        format!(
            "install\ngungraun-runner\n--version\n0.20.0\n--locked\n--root\n{}\n",
            root.display()
        )
    );
    assert!(read(work.path().join("github_path")).contains(&root.join("bin").display().to_string()));

    let (code, stdout, stderr) = run(&repo_root().join("fixtures/divan/Cargo.toml"));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("does not use gungraun"), "{stdout}");
    assert!(!work.path().join("calls").exists(), "installed anyway");
}

/// The release's download folder served on 127.0.0.1, as `<base>/v<version>/<file>`: the files
/// of `dir`, 404 for anything else. Every requested path is kept, in order.
struct ReleaseStandIn {
    base: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ReleaseStandIn {
    fn serve(dir: &Path) -> ReleaseStandIn {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (seen, dir) = (requests.clone(), dir.to_path_buf());
        let prefix = format!("/releases/download/v{}/", env!("CARGO_PKG_VERSION"));
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let path = request.url().to_string();
                seen.lock().unwrap().push(path.clone());
                let file = path
                    .strip_prefix(&prefix)
                    .filter(|name| !name.contains('/') && !name.is_empty())
                    .map(|name| dir.join(name))
                    .filter(|file| file.is_file());
                let _ = match file {
                    Some(file) => request
                        .respond(tiny_http::Response::from_data(std::fs::read(file).unwrap())),
                    None => request.respond(tiny_http::Response::empty(404)),
                };
            }
        });
        ReleaseStandIn {
            base: format!("http://127.0.0.1:{port}/releases/download"),
            requests,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn release_script(args: &[&str]) -> String {
    let (code, stdout, stderr) = output(
        Command::new("bash")
            .arg(repo_root().join("scripts/release.sh"))
            .args(args),
    );
    assert_eq!(code, 0, "release.sh {args:?}: {stderr}");
    stdout.trim().to_string()
}

/// The install step at a release tag, against a stand-in serving the release: a good archive
/// (packed and summed by the release workflow's own script, around the built tool) installs
/// and runs without compiling; an archive that does not match SHA256SUMS is refused with no
/// fallback; no release, or an action not used at a release tag, builds from source (said in
/// the log).
#[test]
fn the_install_step_takes_a_verified_prebuilt_release_and_refuses_a_tampered_one() {
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    recording_cargo(&bin);
    let version = env!("CARGO_PKG_VERSION");
    let target = release_script(&["host-target"]);
    let name = release_script(&["name", &target]);
    assert_eq!(name, format!("cargo-perfgate-{target}-v{version}.tar.gz"));
    let release = work.path().join("release");
    let packed = release_script(&[
        "archive",
        &target,
        env!("CARGO_BIN_EXE_cargo-perfgate"),
        release.to_str().unwrap(),
    ]);
    assert_eq!(Path::new(&packed), release.join(&name));
    let sums = release_script(&["sums", release.to_str().unwrap()]);
    assert!(sums.ends_with(&format!("  {name}")), "{sums}");
    let stand_in = ReleaseStandIn::serve(&release);
    let install = |root: &Path, reference: &str, base: &str| {
        let _ = std::fs::remove_file(work.path().join("calls"));
        output(
            step("install.sh", &bin, work.path())
                .arg("install")
                .env("PERFGATE_INSTALL_ROOT", root)
                .env("PERFGATE_ACTION_REF", reference)
                .env("PERFGATE_RELEASE_BASE", base),
        )
    };
    let tag = format!("v{version}");

    // A good archive: installed, runs, names its version; cargo is never called.
    let good = work.path().join("good");
    let (code, stdout, stderr) = install(&good, &tag, &stand_in.base);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("installed the prebuilt"), "{stdout}");
    assert!(
        !work.path().join("calls").exists(),
        "cargo install ran anyway"
    );
    let (code, printed, _) =
        output(Command::new(good.join("bin/cargo-perfgate")).args(["perfgate", "--version"]));
    assert_eq!(code, 0);
    assert!(
        printed.contains(&format!(" {version} (commit ")),
        "{printed}"
    );
    assert_eq!(
        stand_in.requests(),
        [
            format!("/releases/download/{tag}/SHA256SUMS"),
            format!("/releases/download/{tag}/{name}")
        ]
    );

    // The archive replaced after the sums were written: refused, nothing installed, no
    // fallback to building.
    let impostor = work.path().join("impostor");
    std::fs::write(
        &impostor,
        format!("#!/bin/sh\necho cargo-perfgate {version}\n"),
    )
    .unwrap();
    release_script(&[
        "archive",
        &target,
        impostor.to_str().unwrap(),
        release.to_str().unwrap(),
    ]);
    let tampered = work.path().join("tampered");
    let (code, stdout, stderr) = install(&tampered, &tag, &stand_in.base);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("does not match the release's SHA256SUMS"),
        "{stderr}"
    );
    assert!(!tampered.join("bin").exists(), "something was installed");
    assert!(!work.path().join("calls").exists(), "fell back to building");

    // No release of this version: built from the action's checkout, and said so.
    let empty = tempfile::tempdir().unwrap();
    let nothing = ReleaseStandIn::serve(empty.path());
    let source = work.path().join("source");
    let (code, stdout, stderr) = install(&source, &tag, &nothing.base);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("no release {tag} to take")),
        "{stdout}"
    );
    assert!(stdout.contains("building from source"), "{stdout}");
    assert!(read(work.path().join("calls")).starts_with("install\n--path\n"));

    // The action used at a branch: its sources may be newer than any release, so no download.
    let branch = work.path().join("branch");
    let before = stand_in.requests().len();
    let (code, stdout, stderr) = install(&branch, "main", &stand_in.base);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("not at the release tag"), "{stdout}");
    assert_eq!(
        stand_in.requests().len(),
        before,
        "asked the release anyway"
    );
    assert!(read(work.path().join("calls")).starts_with("install\n--path\n"));
}

/// `cargo binstall` finds the same archive the release uploads and the action takes: the
/// manifest's templates, expanded as binstall expands them, name `release.sh`'s archive and
/// the executable's place in it.
#[test]
fn binstall_metadata_names_the_archives_the_release_builds() {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap()).unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    let version = env!("CARGO_PKG_VERSION");
    let repository = release_script(&["repository"]);
    for (target, exe) in [
        ("x86_64-unknown-linux-musl", ""),
        ("aarch64-apple-darwin", ""),
        ("x86_64-pc-windows-msvc", ".exe"),
    ] {
        let expand = |template: &str| {
            template
                .replace("{ repo }", &repository)
                .replace("{ name }", "cargo-perfgate")
                .replace("{ version }", version)
                .replace("{ target }", target)
                .replace("{ archive-suffix }", ".tar.gz")
                .replace("{ bin }", "cargo-perfgate")
                .replace("{ binary-ext }", exe)
        };
        let name = release_script(&["name", target]);
        assert_eq!(
            expand(binstall["pkg-url"].as_str().unwrap()),
            format!("{repository}/releases/download/v{version}/{name}")
        );
        assert_eq!(
            expand(binstall["bin-dir"].as_str().unwrap()),
            format!("{}/cargo-perfgate{exe}", name.trim_end_matches(".tar.gz"))
        );
        assert_eq!(binstall["pkg-fmt"].as_str(), Some("tgz"));
    }
}
