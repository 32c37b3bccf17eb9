//! Real fixture workspaces in temp git repositories, and the real binary run against them.
#![allow(dead_code)]

pub mod github;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of `fixtures/demo` in a fresh git repository, with its own target directory
/// (cargo names a path package's artifacts alike wherever it lives, so copies must never
/// share one) seeded with the demo's compiled dependencies.
pub struct Demo {
    pub dir: tempfile::TempDir,
    pub target: PathBuf,
}

impl Demo {
    /// The demo with its criterion benchmarks only.
    pub fn new() -> Demo {
        Demo::make(false)
    }

    /// The demo with its perfgate stability suite and budgets too.
    pub fn with_stability() -> Demo {
        Demo::make(true)
    }

    fn make(stability: bool) -> Demo {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = repo_root().join("fixtures/demo");
        let mut files = vec!["Cargo.lock", "src/lib.rs", "benches/core.rs", ".gitignore"];
        if stability {
            files.extend(["benches/stability.rs", "perfgate.toml"]);
        }
        for file in files {
            let to = dir.path().join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(source.join(file), &to).unwrap();
        }
        // The copy lives elsewhere: point it at this repository's harness, and leave the
        // stability suite out unless asked for.
        let harness = repo_root().join("crates/perfgate-harness");
        let mut manifest = std::fs::read_to_string(source.join("Cargo.toml"))
            .unwrap()
            .replace(
                "path = \"../../crates/perfgate-harness\"",
                &format!("path = {:?}", harness.display().to_string()),
            );
        if !stability {
            manifest = manifest.replace("[[bench]]\nname = \"stability\"\nharness = false\n", "");
        }
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        Demo::seeded_repository(dir, DEMO_SEED, "demo")
    }

    /// `dir` with its target directory seeded and its files committed in a new repository. The
    /// baseline side is built by the tool in `base_cache()`.
    fn seeded_repository(dir: tempfile::TempDir, seed: Seed, message: &str) -> Demo {
        let target = dir.path().join("target");
        seed_target(&target, seed);
        let demo = Demo { dir, target };
        demo.git(&["init", "-q", "-b", "main"]);
        demo.commit(message);
        demo
    }

    /// A copy of `fixtures/criterion-versions` (one package per criterion version, 0.3 to
    /// 0.8) in a fresh git repository, seeded like the demo.
    pub fn criterion_versions() -> Demo {
        Demo::copy_of(VERSIONS_SEED, "criterion versions")
    }

    /// A copy of `fixtures/divan` (a package benchmarked with divan, pinned, imported as `dv`)
    /// in a fresh git repository, seeded like the demo.
    pub fn divan() -> Demo {
        Demo::copy_of(DIVAN_SEED, "divan fixture")
    }

    /// A copy of `fixtures/divan-legacy` (divan 0.1.14, which lists no argument rows) in a
    /// fresh git repository, seeded like the demo.
    pub fn divan_legacy() -> Demo {
        Demo::copy_of(DIVAN_LEGACY_SEED, "divan legacy fixture")
    }

    /// A copy of `fixtures/gungraun` (instruction counts through gungraun 0.20.0 and valgrind)
    /// in a fresh git repository, seeded like the demo.
    pub fn gungraun() -> Demo {
        Demo::copy_of(GUNGRAUN_SEED, "gungraun fixture")
    }

    /// A copy of a whole fixture (its `target` left out) in a fresh git repository.
    fn copy_of(seed: Seed, message: &str) -> Demo {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = repo_root().join("fixtures").join(seed.fixture);
        for entry in walkdir::WalkDir::new(&source)
            .into_iter()
            .filter_entry(|e| e.file_name() != "target")
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let to = dir.path().join(entry.path().strip_prefix(&source).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), &to).unwrap();
        }
        Demo::seeded_repository(dir, seed, message)
    }

    /// Replaces `from` (which must be there) with `to` in one file.
    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let text = self.read(file);
        assert!(text.contains(from), "{from:?} not found in {file}");
        self.write(file, &text.replace(from, to));
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) {
        git_in(self.path(), args);
    }

    /// Stdout of a git command in the demo.
    pub fn git_output(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?} failed");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The full commit id of a rev.
    pub fn rev(&self, rev: &str) -> String {
        self.git_output(&["rev-parse", rev]).trim().to_string()
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    pub fn write(&self, file: &str, text: &str) {
        let path = self.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path().join(file)).unwrap()
    }

    /// Sets one of the demo's slowdown knobs in `src/lib.rs`.
    pub fn slow_down(&self, knob: &str, percent: u32) {
        let source = self.read("src/lib.rs");
        let needle = format!("pub const {knob}: u64 = 0;");
        assert!(source.contains(&needle), "knob {knob} not found");
        self.write(
            "src/lib.rs",
            &source.replace(&needle, &format!("pub const {knob}: u64 = {percent};")),
        );
    }

    /// `run --quick --shard i/2` for both shards (each into `target/shard-<i>`, exit 0), then
    /// `merge` of the two into `target/merged` on stored samples alone (any verdict but a crash
    /// or a usage error: what a caller checks is the ids). The two shards' `run.json` paths.
    pub fn two_shards_merged(&self) -> [String; 2] {
        let runs = ["1", "2"].map(|i| {
            let out = format!("target/shard-{i}");
            let shard = format!("{i}/2");
            let (code, _, stderr) = output(self.perfgate().args([
                "run",
                "--quick",
                "--shard",
                &shard,
                "--out-dir",
                &out,
            ]));
            assert_eq!(code, 0, "shard {shard}: {stderr}");
            format!("{out}/run.json")
        });
        let (code, stdout, stderr) = output(self.perfgate().args([
            "merge",
            &runs[0],
            &runs[1],
            "--out-dir",
            "target/merged",
            "--confirm",
            "never",
        ]));
        assert!(
            matches!(code, 0 | 1 | 3),
            "merge: {code}\n{stdout}\n{stderr}"
        );
        runs
    }

    /// The benchmark ids of a `run.json` in the demo, sorted.
    pub fn run_ids(&self, path: &str) -> Vec<String> {
        let mut ids: Vec<String> = json(&self.read(path))["benchmarks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }

    /// `cargo-perfgate perfgate …` in the demo, as CI would run it.
    pub fn perfgate(&self) -> Command {
        perfgate_in(self.path(), &self.target)
    }
}

/// git in `dir`, as a test user, failing the test when git fails.
pub fn git_in(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=perfgate-test",
            "-c",
            "user.email=test@localhost",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

/// The baseline side's directory every test shares (outside every fixture's checkout, and
/// outside this repository's own workspace, which cargo would take an export for a member of),
/// so the baseline side's dependencies compile once per test run, as on a developer's machine.
pub fn base_cache() -> PathBuf {
    std::env::temp_dir().join("cargo-perfgate-test-base-cache")
}

/// `cargo-perfgate perfgate …` in `dir` with its own target directory, as CI would run it, with
/// no GitHub Actions variables of the test's own environment.
pub fn perfgate_in(dir: &Path, target: &Path) -> Command {
    let mut command = Command::cargo_bin("cargo-perfgate").expect("binary built");
    command
        .arg("perfgate")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("PERFGATE_CACHE_DIR", base_cache())
        .env("CI", "true");
    for var in [
        "GITHUB_BASE_REF",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_NAME",
        "GITHUB_EVENT_PATH",
        "GITHUB_REF",
        "GITHUB_OUTPUT",
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
    ] {
        command.env_remove(var);
    }
    command
}

/// A fixture workspace whose compiled dependencies tests copy (its own packages' artifacts are
/// left out: each copy builds those itself).
#[derive(Clone)]
pub struct Seed {
    fixture: &'static str,
}

pub const DEMO_SEED: Seed = Seed { fixture: "demo" };
pub const DIVAN_SEED: Seed = Seed { fixture: "divan" };
pub const DIVAN_LEGACY_SEED: Seed = Seed {
    fixture: "divan-legacy",
};
pub const GUNGRAUN_SEED: Seed = Seed {
    fixture: "gungraun",
};
pub const VERSIONS_SEED: Seed = Seed {
    fixture: "criterion-versions",
};

/// How the artifacts of a fixture's own packages begin, as cargo metadata names them: each
/// member package's name in both spellings, and each of its targets' names followed by `-`.
fn own_artifact_prefixes(manifest: &Path) -> Vec<String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata of {manifest:?} failed"
    );
    let metadata = json(&String::from_utf8_lossy(&out.stdout));
    let mut prefixes = Vec::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("a name");
        prefixes.push(name.to_string());
        prefixes.push(name.replace('-', "_"));
        for target in package["targets"].as_array().expect("targets") {
            let target = target["name"].as_str().expect("a target name");
            prefixes.push(format!("{target}-"));
            prefixes.push(format!("{}-", target.replace('-', "_")));
        }
    }
    prefixes
}

/// Copies a fixture's compiled dependencies (built once into `target/fixture-seed/<fixture>`,
/// under cargo's own lock) into `target`, leaving out the fixture's own artifacts.
pub fn seed_target(target: &Path, seed: Seed) {
    let built = repo_root().join("target/fixture-seed").join(seed.fixture);
    let manifest = repo_root()
        .join("fixtures")
        .join(seed.fixture)
        .join("Cargo.toml");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "bench",
            "--no-run",
            "--quiet",
            "--locked",
            "--manifest-path",
        ])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &built)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the fixture seed failed");
    let prefixes = own_artifact_prefixes(&manifest);
    let own = |name: &str| {
        let name = name.strip_prefix("lib").unwrap_or(name);
        prefixes.iter().any(|o| name.starts_with(o.as_str()))
    };
    for entry in walkdir::WalkDir::new(&built)
        .into_iter()
        .filter_map(Result::ok)
    {
        let relative = entry.path().strip_prefix(&built).unwrap();
        if relative
            .components()
            .any(|c| own(&c.as_os_str().to_string_lossy()))
        {
            continue;
        }
        let to = target.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// Runs a command and returns (exit code, stdout, stderr).
pub fn output(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("command runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The entry of benchmark `id` in a compare.json value.
pub fn entry<'a>(compare: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    compare["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {compare}"))
}

/// `compare` of the saved `run.json` against `baseline.json`, stored comparison only, as JSON.
pub const COMPARE_SAVED_RUN: [&str; 8] = [
    "compare",
    "run.json",
    "--against",
    "baseline.json",
    "--confirm",
    "never",
    "--format",
    "json",
];

/// Verdicts by id from a compare.json value.
pub fn verdicts(compare: &serde_json::Value) -> Vec<(String, String)> {
    compare["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A hand-made `perfgate.run.v1` around the given benchmark objects, from a fixed commit on a
/// fixed test machine.
pub fn run_envelope(benchmarks: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "schema": "perfgate.run.v1", "tool_version": "0.1.0", "started": "2026-11-01T00:00:00Z",
        "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": false},
        "machine": {"cpu_model": "Test CPU", "cores": 2, "os": "linux", "arch": "x86_64", "rustc": "rustc 1.95.0"},
        "benchmarks": benchmarks, "errors": []
    })
}

/// A criterion entry with 30 samples spread ±1% around `median` ns.
pub fn timing(id: &str, median: f64) -> serde_json::Value {
    let samples: Vec<f64> = (0..30)
        .map(|i| median * (0.99 + 0.02 * f64::from(i) / 29.0))
        .collect();
    serde_json::json!({
        "id": id, "source": "criterion", "package": "demo-core", "target": "core",
        "unit": "ns", "direction": "lower-is-better", "samples": samples,
        "summary": {"n": 30, "median": median, "mean": median, "min": samples[0],
            "max": samples[29], "mad": median * 0.005}
    })
}

/// A small cargo workspace with no benchmarks in a fresh git repository: enough for every
/// command that does not measure.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let scratch = Scratch { dir };
        scratch.write(
            "Cargo.toml",
            "[package]\nname = \"scratch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        );
        scratch.write("src/lib.rs", "");
        scratch.write(".gitignore", "/target\n");
        scratch.git(&["init", "-q", "-b", "main"]);
        scratch.git(&["add", "-A"]);
        scratch.git(&["commit", "-q", "-m", "scratch"]);
        scratch
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, file: &str, text: &str) {
        let path = self.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn git(&self, args: &[&str]) {
        git_in(self.path(), args);
    }

    pub fn perfgate(&self) -> Command {
        perfgate_in(self.path(), &self.path().join("target"))
    }

    /// A saved comparison of `run` against `base` (stored samples only), for the renderers.
    pub fn compared(&self, base: serde_json::Value, run: serde_json::Value) -> PathBuf {
        self.write("baseline.json", &base.to_string());
        self.write("run.json", &run.to_string());
        let (code, _, stderr) = output(self.perfgate().args(COMPARE_SAVED_RUN));
        assert!(code == 0 || code == 3, "{stderr}");
        self.path().join("target/perfgate/compare.json")
    }
}

pub fn hand_made_run(benchmarks: usize, median: f64) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = (0..benchmarks)
        .map(|i| {
            serde_json::json!({
                "id": format!("group/bench-{i:06}"), "source": "criterion", "package": "demo-core", "target": "core",
                "unit": "ns", "direction": "lower-is-better",
                "samples": (0..20).map(|k| median * (0.99 + 0.001 * k as f64)).collect::<Vec<f64>>(),
                "summary": {"n": 20, "median": median, "mean": median, "min": median * 0.99, "max": median * 1.01, "mad": median * 0.01}
            })
        })
        .collect();
    run_envelope(entries)
}
