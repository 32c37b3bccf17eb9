//! Finds the workspace and its bench targets with `cargo metadata`, and sorts them by harness.
//! What makes a target a criterion one or a stability suite is asked of `run::criterion` and
//! `run::stability` (the one import against the pipeline's order: each harness's knowledge has
//! one owner).

use std::path::{Path, PathBuf};

use cargo_metadata::{MetadataCommand, Package};

use crate::config::Selection;
use crate::error::{Error, Result};
use crate::run::{criterion, stability};

/// Which harness a bench target is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Harness {
    Criterion,
    Stability,
}

/// One `[[bench]]` target perfgate can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchTarget {
    pub package: String,
    pub name: String,
    pub harness: Harness,
    /// Directory of the package's Cargo.toml: cargo runs benches from there.
    pub package_root: PathBuf,
}

/// The measured workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub manifest_path: PathBuf,
    pub target_dir: PathBuf,
    pub targets: Vec<BenchTarget>,
}

impl Workspace {
    /// Runs `cargo metadata` and selects bench targets as `--package` and `--bench` say.
    pub fn discover(selection: &Selection) -> Result<Self> {
        let mut command = MetadataCommand::new();
        command.cargo_path(cargo_program()).no_deps();
        if let Some(path) = &selection.manifest_path {
            if !path.is_file() {
                return Err(Error::Usage(format!(
                    "--manifest-path {}: no such file",
                    path.display()
                )));
            }
            command.manifest_path(path);
        }
        let manifest = selection
            .manifest_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the current directory".to_string());
        let metadata = command.exec().map_err(|e| Error::Metadata {
            manifest: manifest.clone(),
            detail: match e {
                cargo_metadata::Error::CargoMetadata { stderr } => stderr.trim().to_string(),
                other => other.to_string(),
            },
        })?;
        for wanted in &selection.packages {
            if !metadata
                .workspace_packages()
                .iter()
                .any(|p| &p.name[..] == wanted)
            {
                return Err(Error::Usage(format!(
                    "--package {wanted}: no such package in the workspace at {}",
                    metadata.workspace_root
                )));
            }
        }
        let mut targets = Vec::new();
        for package in metadata.workspace_packages() {
            if !selection.packages.is_empty()
                && !selection.packages.iter().any(|p| p == &package.name[..])
            {
                continue;
            }
            targets.extend(bench_targets(package)?);
        }
        for wanted in &selection.benches {
            if !targets.iter().any(|t| &t.name == wanted) {
                return Err(Error::Usage(format!(
                    "--bench {wanted}: no criterion or perfgate bench target of that name in {}",
                    metadata.workspace_root
                )));
            }
        }
        if !selection.benches.is_empty() {
            targets.retain(|t| selection.benches.contains(&t.name));
        }
        let root = PathBuf::from(metadata.workspace_root.as_std_path());
        if targets.is_empty() {
            let mut filter = String::new();
            if !selection.packages.is_empty() {
                filter = format!(" (packages: {})", selection.packages.join(", "));
            }
            return Err(Error::NoBenchmarks {
                workspace: root.display().to_string(),
                filter,
            });
        }
        Ok(Workspace {
            manifest_path: root.join("Cargo.toml"),
            root,
            target_dir: PathBuf::from(metadata.target_directory.as_std_path()),
            targets,
        })
    }
}

impl Workspace {
    /// The workspace root and target directory, for commands that do not measure:
    /// `--manifest-path`'s workspace or the one `cargo metadata` finds from here.
    pub fn root_of(manifest_path: Option<&Path>) -> Result<(PathBuf, PathBuf)> {
        let mut command = MetadataCommand::new();
        command.cargo_path(cargo_program()).no_deps();
        if let Some(p) = manifest_path {
            command.manifest_path(p);
        }
        let metadata = command.exec().map_err(|e| Error::Metadata {
            manifest: manifest_path
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the current directory".into()),
            detail: e.to_string(),
        })?;
        Ok((
            metadata.workspace_root.into_std_path_buf(),
            metadata.target_directory.into_std_path_buf(),
        ))
    }
}

/// The cargo to call: the one that invoked us (`CARGO`), else `cargo` on PATH.
pub fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

fn bench_targets(package: &Package) -> Result<Vec<BenchTarget>> {
    // By the name the bench source uses: a renamed dependency (`criterion = { package =
    // "codspeed-criterion-compat" }`) is still `criterion` there.
    let depends_on = |name: &str| {
        package
            .dependencies
            .iter()
            .any(|d| d.rename.as_deref().unwrap_or(&d.name) == name || d.name == name)
    };
    let package_root = package
        .manifest_path
        .parent()
        .map(|p| PathBuf::from(p.as_std_path()))
        .unwrap_or_default();
    let mut found = Vec::new();
    for target in &package.targets {
        if !target.kind.iter().any(|k| k.to_string() == "bench") {
            continue;
        }
        let source = read_source(target.src_path.as_std_path())?;
        // A package may use both harnesses (one target each): `criterion_main!` decides first,
        // then the harness the source names.
        let criterion = depends_on(criterion::CRATE);
        let harness = if criterion && criterion::recognises(&source, true) {
            Harness::Criterion
        } else if depends_on(stability::CRATE) && stability::recognises(&source) {
            Harness::Stability
        } else if criterion && criterion::recognises(&source, false) {
            Harness::Criterion
        } else {
            continue; // a libtest `#[bench]` or another harness: not ours to run
        };
        found.push(BenchTarget {
            package: package.name.to_string(),
            name: target.name.clone(),
            harness,
            package_root: package_root.clone(),
        });
    }
    Ok(found)
}

fn read_source(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}
