//! Finds the workspace and its bench targets with `cargo metadata`, and sorts them by harness.
//! What makes a target a criterion, divan or gungraun one or a stability suite is asked of
//! `run::criterion`, `run::divan`, `run::gungraun` and `run::stability` (the one import against
//! the pipeline's order: each harness's knowledge has one owner).

use std::path::{Path, PathBuf};

use cargo_metadata::semver::Version;
use cargo_metadata::{Metadata, MetadataCommand, Package};

use crate::config::Selection;
use crate::error::{Error, Result};
use crate::run::{criterion, divan, gungraun, stability};

/// Which harness a bench target is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Harness {
    Criterion,
    Stability,
    Divan,
    Gungraun,
}

/// One `[[bench]]` target perfgate can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchTarget {
    pub package: String,
    pub name: String,
    pub harness: Harness,
    /// The version of the harness crate cargo resolved for this package (criterion's command
    /// line differs between versions); `None` for a criterion-compatible fork.
    pub harness_version: Option<Version>,
    /// Directory of the package's Cargo.toml: cargo runs benches from there.
    pub package_root: PathBuf,
}

impl BenchTarget {
    /// The package as a cargo package id spec naming its directory, so `--package` is never
    /// ambiguous (another package of the same name may be in the dependency tree) and still
    /// names the package in an export of another commit, at whatever version it has there.
    pub(crate) fn package_spec(&self) -> String {
        match url::Url::from_directory_path(&self.package_root) {
            Ok(url) => format!(
                "path+{}#{}",
                url.as_str().trim_end_matches('/'),
                self.package
            ),
            Err(()) => self.package.clone(),
        }
    }
}

/// The measured workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub manifest_path: PathBuf,
    pub target_dir: PathBuf,
    pub targets: Vec<BenchTarget>,
    /// The directory of every package of the workspace, selected or not.
    pub members: Vec<PathBuf>,
}

impl Workspace {
    /// Runs `cargo metadata` and selects bench targets as `--package` and `--bench` say.
    pub(crate) fn discover(selection: &Selection) -> Result<Self> {
        Workspace::discover_with(selection, MetadataCommand::new())
    }

    /// `discover` with cargo started in `dir`, so the cargo configuration read is the one
    /// above `dir` (the baseline side's export), not the one above the current directory.
    pub(crate) fn discover_from(selection: &Selection, dir: &std::path::Path) -> Result<Self> {
        let mut command = MetadataCommand::new();
        command.current_dir(dir);
        Workspace::discover_with(selection, command)
    }

    fn discover_with(selection: &Selection, mut command: MetadataCommand) -> Result<Self> {
        // With dependencies resolved: which criterion each package gets decides its flags.
        command.cargo_path(cargo_program());
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
        let named = |package: &Package| selection.packages.iter().any(|w| names(package, w));
        for wanted in &selection.packages {
            if !metadata
                .workspace_packages()
                .iter()
                .any(|p| names(p, wanted))
            {
                return Err(Error::Usage(format!(
                    "--package {wanted}: no such package in the workspace at {}",
                    metadata.workspace_root
                )));
            }
        }
        let mut targets = Vec::new();
        for package in metadata.workspace_packages() {
            if !selection.packages.is_empty() && !named(package) {
                continue;
            }
            targets.extend(bench_targets(&metadata, package)?);
        }
        for wanted in &selection.benches {
            if !targets.iter().any(|t| &t.name == wanted) {
                return Err(Error::Usage(format!(
                    "--bench {wanted}: no criterion, divan, gungraun or perfgate bench target of that name in {}",
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
        let members = metadata
            .workspace_packages()
            .iter()
            .filter_map(|p| p.manifest_path.parent())
            .map(|dir| PathBuf::from(dir.as_std_path()))
            .collect();
        Ok(Workspace {
            manifest_path: root.join("Cargo.toml"),
            root,
            target_dir: PathBuf::from(metadata.target_directory.as_std_path()),
            targets,
            members,
        })
    }
}

impl Workspace {
    /// The workspace root and target directory, for commands that do not measure:
    /// `--manifest-path`'s workspace or the one `cargo metadata` finds from here.
    pub(crate) fn root_of(manifest_path: Option<&Path>) -> Result<(PathBuf, PathBuf)> {
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
pub(crate) fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// Whether `wanted` (a `--package` argument) names `package`: its name, `name@version`, or
/// its package id spec.
fn names(package: &Package, wanted: &str) -> bool {
    wanted == &package.name[..]
        || wanted == format!("{}@{}", package.name, package.version)
        || wanted == package.id.repr
}

/// A dependency as the bench source sees it: the crate name it is imported by (a rename
/// included, `-` read as `_`), the package behind it, and the version cargo resolved.
struct Dependency {
    used_as: String,
    package: String,
    version: Version,
}

/// The dependencies cargo resolved for `package` (normal and dev), from the resolve graph.
fn resolved_dependencies(metadata: &Metadata, package: &Package) -> Vec<Dependency> {
    let Some(node) = metadata
        .resolve
        .as_ref()
        .and_then(|r| r.nodes.iter().find(|n| n.id == package.id))
    else {
        return Vec::new();
    };
    node.deps
        .iter()
        .filter_map(|dep| {
            let resolved = metadata.packages.iter().find(|p| p.id == dep.pkg)?;
            Some(Dependency {
                used_as: dep.name.replace('-', "_"),
                package: resolved.name.to_string(),
                version: resolved.version.clone(),
            })
        })
        .collect()
}

/// Criterion's own version; a compatible fork speaks the newest command line.
fn criterion_version(dep: &Dependency) -> Option<Version> {
    (dep.package == criterion::CRATE).then(|| dep.version.clone())
}

fn bench_targets(metadata: &Metadata, package: &Package) -> Result<Vec<BenchTarget>> {
    let dependencies = resolved_dependencies(metadata, package);
    // By the name the bench source uses: a renamed dependency (`criterion = { package =
    // "codspeed-criterion-compat" }`) is `criterion` there.
    let criterion_dep = dependencies
        .iter()
        .find(|d| criterion::CRATES.contains(&d.package.as_str()));
    let stability_dep = dependencies.iter().find(|d| d.package == stability::CRATE);
    let divan_dep = dependencies.iter().find(|d| d.package == divan::CRATE);
    let gungraun_dep = dependencies.iter().find(|d| d.package == gungraun::CRATE);
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
        let criterion_uses = |strong| {
            criterion_dep.is_some_and(|d| criterion::recognises(&source, &d.used_as, strong))
        };
        let (harness, version) = if criterion_uses(true) {
            (
                Harness::Criterion,
                criterion_dep.and_then(criterion_version),
            )
        } else if let Some(dep) =
            stability_dep.filter(|d| stability::recognises(&source, &d.used_as))
        {
            (Harness::Stability, Some(dep.version.clone()))
        } else if let Some(dep) = divan_dep.filter(|d| divan::recognises(&source, &d.used_as)) {
            (Harness::Divan, Some(dep.version.clone()))
        } else if let Some(dep) = gungraun_dep.filter(|d| gungraun::recognises(&source, &d.used_as))
        {
            (Harness::Gungraun, Some(dep.version.clone()))
        } else if criterion_uses(false) {
            (
                Harness::Criterion,
                criterion_dep.and_then(criterion_version),
            )
        } else {
            continue; // a libtest `#[bench]` or another harness: not ours to run
        };
        found.push(BenchTarget {
            package: package.name.to_string(),
            name: target.name.clone(),
            harness,
            harness_version: version,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(selection: Selection) -> Result<Workspace> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/Cargo.toml");
        Workspace::discover(&Selection {
            manifest_path: Some(manifest),
            ..selection
        })
    }

    #[test]
    fn the_demos_targets_are_sorted_by_harness_from_its_metadata() {
        let workspace = demo(Selection::default()).unwrap();
        let found: Vec<(&str, Harness)> = workspace
            .targets
            .iter()
            .map(|t| (t.name.as_str(), t.harness))
            .collect();
        assert_eq!(
            found,
            [
                ("core", Harness::Criterion),
                ("stability", Harness::Stability)
            ]
        );
        let core = &workspace.targets[0];
        assert!(
            core.harness_version.is_some(),
            "criterion's version resolved"
        );
        assert!(core.package_root.join("Cargo.toml").is_file());
        assert!(workspace.target_dir.is_absolute());
    }

    #[test]
    fn an_unknown_bench_or_package_is_an_error_that_names_it() {
        let no_bench = demo(Selection {
            benches: vec!["nope".into()],
            ..Selection::default()
        });
        let err = no_bench.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("nope"), "{err}");
        let no_package = demo(Selection {
            packages: vec!["absent-package".into()],
            ..Selection::default()
        });
        let err = no_package.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("absent-package"), "{err}");
    }
}
