//! `cargo perfgate init`: scaffolds `perfgate.toml`, the GitHub workflows (gate, comment,
//! baseline refresh) and an example stability suite, whose dev-dependency and `[[bench]]`
//! entry it adds to the package's Cargo.toml with a format-preserving editor. Files that exist
//! are kept unless `--force`; Cargo.toml is only ever added to. A second run changes nothing.
//! `--calibrate` then measures the machine's noise and adds a threshold for each benchmark it
//! cannot resolve at its default (what is written: `config::calibrated`).

use std::path::{Path, PathBuf};

use cargo_metadata::MetadataCommand;
use toml_edit::{value, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

use crate::artifacts::write_atomic;
use crate::cli;
use crate::config::{self, calibrated};
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::release::{INSTALL, REPOSITORY};
use crate::run::stability;
use crate::workspace::cargo_program;

/// The files `init` writes at the workspace root, with their text.
const FILES: [(&str, &str); 4] = [
    (
        config::CONFIG_FILE,
        include_str!("../../templates/perfgate.toml"),
    ),
    (
        ".github/workflows/perfgate.yml",
        include_str!("../../templates/perfgate.yml"),
    ),
    (
        ".github/workflows/perfgate-comment.yml",
        include_str!("../../templates/perfgate-comment.yml"),
    ),
    (
        ".github/workflows/perfgate-release.yml",
        include_str!("../../templates/perfgate-release.yml"),
    ),
];

/// The example stability suite: its bench target's name and its text.
const SUITE: &str = "perfgate_stability";
const SUITE_TEXT: &str = include_str!("../../templates/stability.rs");

pub fn init(args: &cli::InitArgs) -> Result<Outcome> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.join("Cargo.toml").is_file() {
        return Err(Error::Usage(format!(
            "{}: no Cargo.toml here; run `cargo perfgate init` at the workspace root or pass --dir",
            dir.display()
        )));
    }
    // Which package gets the suite is settled before anything is written.
    let suite_manifest = match args.no_stability {
        true => None,
        false => Some(package_manifest(
            &dir.join("Cargo.toml"),
            args.package.as_deref(),
        )?),
    };
    let mut changed = Vec::new();
    for (path, text) in FILES {
        write_new(&dir.join(path), text, args.force, &mut changed)?;
    }
    if let Some(manifest) = suite_manifest {
        add_stability_suite(&dir, manifest, args, &mut changed)?;
    }
    if args.calibrate {
        calibrate(&dir, args.quick)?;
    }
    if !changed.is_empty() {
        eprintln!(
            "perfgate: next: `cargo bench --no-run`, then `cargo perfgate baseline save` and commit `baselines/` with the files above\nperfgate: CI installs the tool with `{INSTALL}`"
        );
    } else if !args.calibrate {
        eprintln!("perfgate: init changed nothing: every file and Cargo.toml entry is already there (--force rewrites the files)");
    }
    Ok(Outcome::Done)
}

/// `--calibrate`: this machine's noise measured over the workspace as `noise` measures it, and
/// a threshold written to perfgate.toml for each benchmark it cannot resolve at its default
/// (`config::calibrated`).
fn calibrate(dir: &Path, quick: bool) -> Result<()> {
    let args = cli::RunArgs {
        select: cli::SelectArgs {
            manifest_path: Some(dir.join("Cargo.toml")),
            quick,
            ..Default::default()
        },
        output: cli::OutputArgs::default(),
    };
    eprintln!(
        "perfgate: calibrating: every benchmark and stability metric A/A-tested on this machine"
    );
    let noise = super::noise::floors(&args)?;
    let path = dir.join(config::CONFIG_FILE);
    let policy = config::Policy::from_dir(dir)?;
    let machine = noise.machine.describe();
    let (written, kept) = calibrated::choose(&policy, &noise.benchmarks, &machine);
    for k in &kept {
        eprintln!("perfgate: kept {k}");
    }
    if written.is_empty() {
        eprintln!(
            "perfgate: calibrated: this machine resolves all {} benchmark(s) at their thresholds; perfgate.toml unchanged",
            noise.benchmarks.len()
        );
        return Ok(());
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let edited = calibrated::add_to(&text, &written).map_err(|message| Error::Config {
        path: path.clone(),
        message,
    })?;
    write_atomic(&path, &edited)?;
    eprintln!(
        "perfgate: calibrated: {} of {} benchmark(s) need more than their thresholds here; wrote each at {}× what was resolved to {} (commit it with the baseline)",
        written.len(),
        noise.benchmarks.len(),
        calibrated::MARGIN,
        path.display()
    );
    Ok(())
}

/// Writes `text` at `path` unless a file is there (and `force` is off); says which.
fn write_new(path: &Path, text: &str, force: bool, changed: &mut Vec<PathBuf>) -> Result<()> {
    if path.exists() && !force {
        eprintln!(
            "perfgate: kept {} (exists; --force overwrites)",
            path.display()
        );
        return Ok(());
    }
    if path.exists() && std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    write_atomic(path, text)?;
    eprintln!("perfgate: wrote {}", path.display());
    changed.push(path.to_path_buf());
    Ok(())
}

/// The example suite in the chosen package, with what its Cargo.toml needs for it. When the
/// harness cannot be resolved (no network to its repository, say), Cargo.toml is put back as it
/// was and the suite file removed, so the build stays green; the warning says how to add it.
fn add_stability_suite(
    dir: &Path,
    manifest: PathBuf,
    args: &cli::InitArgs,
    changed: &mut Vec<PathBuf>,
) -> Result<()> {
    let workspace_manifest = dir.join("Cargo.toml");
    let package_dir = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
    let suite_path = package_dir.join("benches").join(format!("{SUITE}.rs"));
    let suite_existed = suite_path.exists();
    write_new(&suite_path, SUITE_TEXT, args.force, changed)?;

    let original = std::fs::read_to_string(&manifest).map_err(|source| Error::Read {
        path: manifest.clone(),
        source,
    })?;
    let mut doc: DocumentMut = original.parse().map_err(|e| Error::Parse {
        location: manifest.display().to_string(),
        what: "Cargo.toml",
        detail: format!("{e}"),
    })?;
    let source = harness_source(args.harness_path.as_deref())?;
    let bench_added = match add_bench_entry(&mut doc) {
        Ok(added) => added,
        Err(problem) => {
            // Without its entry cargo would build the suite as a libtest bench and fail.
            if !suite_existed {
                let _ = std::fs::remove_file(&suite_path);
                changed.retain(|p| p != &suite_path);
            }
            eprintln!(
                "warning: the example stability suite was not added: {problem} ({}); add `[[bench]] name = \"{SUITE}\" harness = false` by hand",
                manifest.display()
            );
            return Ok(());
        }
    };
    let added = [
        add_harness_dependency(&mut doc, source).then_some("the perfgate-harness dev-dependency"),
        bench_added.then_some("the `perfgate_stability` [[bench]] entry"),
    ];
    let added: Vec<&str> = added.into_iter().flatten().collect();
    if added.is_empty() {
        return Ok(());
    }
    write_atomic(&manifest, &doc.to_string())?;
    if let Err(problem) = resolves(&workspace_manifest) {
        write_atomic(&manifest, &original)?;
        if !suite_existed {
            let _ = std::fs::remove_file(&suite_path);
            changed.retain(|p| p != &suite_path);
        }
        eprintln!(
            "warning: the example stability suite was not added: cargo cannot resolve perfgate-harness from {}: {problem}\n  {} is as it was, so `cargo bench` stays green. Add the suite when the harness is reachable (re-run `cargo perfgate init`), or from a local checkout: `cargo perfgate init --harness-path <checkout>/crates/perfgate-harness`",
            source_text(&args.harness_path),
            manifest.display()
        );
        return Ok(());
    }
    eprintln!(
        "perfgate: added to {}: {}",
        manifest.display(),
        added.join(", ")
    );
    changed.push(manifest);
    Ok(())
}

/// The Cargo.toml of the package that gets the suite: `--package`, else the root package,
/// else the workspace's only member.
fn package_manifest(workspace_manifest: &Path, wanted: Option<&str>) -> Result<PathBuf> {
    let metadata = MetadataCommand::new()
        .cargo_path(cargo_program())
        .manifest_path(workspace_manifest)
        .no_deps()
        .exec()
        .map_err(|e| Error::Metadata {
            manifest: workspace_manifest.display().to_string(),
            detail: e.to_string(),
        })?;
    let members = metadata.workspace_packages();
    let chosen = match wanted {
        Some(name) => members.iter().copied().find(|p| p.name.as_str() == name),
        None => metadata.root_package().or(match members.as_slice() {
            [only] => Some(*only),
            _ => None,
        }),
    };
    let names = || {
        members
            .iter()
            .map(|p| p.name.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match chosen {
        Some(package) => Ok(package.manifest_path.clone().into_std_path_buf()),
        None => Err(Error::Usage(match wanted {
            Some(name) => format!("--package {name}: no such member (members: {})", names()),
            None => format!(
                "which package gets the example stability suite? pass --package NAME (members: {}) or --no-stability",
                names()
            ),
        })),
    }
}

/// Where the harness comes from: a local checkout, else the project's repository (until a
/// release is on crates.io).
enum HarnessSource {
    Path(PathBuf),
    Git,
}

fn harness_source(path: Option<&Path>) -> Result<HarnessSource> {
    let Some(path) = path else {
        return Ok(HarnessSource::Git);
    };
    let manifest = path.join("Cargo.toml");
    let is_harness = std::fs::read_to_string(&manifest)
        .is_ok_and(|text| text.contains(&format!("name = \"{}\"", stability::CRATE)));
    if !is_harness {
        return Err(Error::Usage(format!(
            "--harness-path {}: no {} package there (expected {})",
            path.display(),
            stability::CRATE,
            manifest.display()
        )));
    }
    let absolute = path.canonicalize().map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(HarnessSource::Path(absolute))
}

fn source_text(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => REPOSITORY.to_string(),
    }
}

/// Adds `perfgate-harness` to `[dev-dependencies]` unless the package depends on it already
/// (under any name). Returns whether it added.
fn add_harness_dependency(doc: &mut DocumentMut, source: HarnessSource) -> bool {
    let depends = ["dependencies", "dev-dependencies"].iter().any(|section| {
        doc.get(section)
            .and_then(Item::as_table_like)
            .is_some_and(|table| {
                table.iter().any(|(key, entry)| {
                    key == stability::CRATE
                        || entry
                            .get("package")
                            .and_then(Item::as_str)
                            .is_some_and(|p| p == stability::CRATE)
                })
            })
    });
    if depends {
        return false;
    }
    let mut spec = InlineTable::new();
    match source {
        HarnessSource::Path(path) => spec.insert("path", path.display().to_string().into()),
        HarnessSource::Git => spec.insert("git", REPOSITORY.into()),
    };
    let section = doc
        .entry("dev-dependencies")
        .or_insert_with(|| Item::Table(Table::new()));
    match section.as_table_like_mut() {
        Some(table) => {
            table.insert(stability::CRATE, value(spec));
            true
        }
        None => false,
    }
}

/// Adds `[[bench]] name = "perfgate_stability" harness = false` unless a bench target of that
/// name is declared (as `[[bench]]` tables or an inline array). Returns whether it added; an
/// error when `bench` has a shape it cannot extend.
fn add_bench_entry(doc: &mut DocumentMut) -> std::result::Result<bool, String> {
    let named = |name: Option<&str>| name == Some(SUITE);
    match doc.get_mut("bench") {
        None => {
            let mut benches = ArrayOfTables::new();
            benches.push(suite_table());
            doc.insert("bench", Item::ArrayOfTables(benches));
            Ok(true)
        }
        Some(Item::ArrayOfTables(benches)) => {
            if benches
                .iter()
                .any(|b| named(b.get("name").and_then(Item::as_str)))
            {
                return Ok(false);
            }
            benches.push(suite_table());
            Ok(true)
        }
        Some(Item::Value(toml_edit::Value::Array(benches))) => {
            if benches.iter().any(|b| {
                named(
                    b.as_inline_table()
                        .and_then(|t| t.get("name"))
                        .and_then(|v| v.as_str()),
                )
            }) {
                return Ok(false);
            }
            benches.push(suite_table().into_inline_table());
            Ok(true)
        }
        Some(_) => Err("`bench` in Cargo.toml is neither [[bench]] tables nor an array".into()),
    }
}

fn suite_table() -> Table {
    let mut entry = Table::new();
    entry.insert("name", value(SUITE));
    entry.insert("harness", value(false));
    entry
}

/// Whether cargo can resolve the workspace's dependencies now (it fetches a git dependency).
fn resolves(workspace_manifest: &Path) -> std::result::Result<(), String> {
    let output = std::process::Command::new(cargo_program())
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(workspace_manifest)
        .stdout(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    // cargo's first error line says what, its last cause says why.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let what = lines.iter().find(|l| l.starts_with("error"));
    match (what, lines.last()) {
        (Some(what), Some(why)) if what != why => Err(format!("{what} ({why})")),
        (Some(what), _) => Err(what.to_string()),
        _ => Err(format!("cargo metadata failed ({})", output.status)),
    }
}
