//! The baseline side of the confirm stage: where it lives (a directory outside the checkout
//! under test), its build from the base commit's export with the base commit's own cargo
//! configuration, and the hashes of its executables, checked before every round. The export
//! itself is `baseline::git`'s; the rounds are `confirm`'s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Executables;
use crate::config::Selection;
use crate::error::{Error, Result};
use crate::workspace::{BenchTarget, Workspace};

/// Names the directory the baseline side is exported to and built in (a persistent cache you
/// trust: only base-side builds may write it).
pub(crate) const CACHE_DIR_VAR: &str = "PERFGATE_CACHE_DIR";

/// Where the baseline side is exported and built: never inside the repository under test, so
/// no `.cargo/config.toml`, `rust-toolchain.toml` or planted file of the change's tree sits
/// above it. In GitHub Actions a private directory made for this run in the runner's temp
/// directory (removed when the run ends, so nothing outlives the job); elsewhere
/// `PERFGATE_CACHE_DIR`, or the user's cache directory, kept between runs so dependencies
/// compile once.
pub struct BaseDir {
    root: PathBuf,
    /// Held for a per-run directory: removed with it.
    _private: Option<tempfile::TempDir>,
}

impl BaseDir {
    /// Chooses the directory for a repository whose work tree is `workdir`; `runner_temp` is
    /// GitHub Actions' per-job temp directory when the run is in Actions (`github::runner_temp`).
    pub fn choose(workdir: &Path, runner_temp: Option<PathBuf>) -> Result<BaseDir> {
        let named = std::env::var_os(CACHE_DIR_VAR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let (root, private) = match (named, runner_temp) {
            (Some(dir), _) => (dir, None),
            (None, Some(temp)) => {
                std::fs::create_dir_all(&temp).map_err(|source| Error::Write {
                    path: temp.clone(),
                    source,
                })?;
                let private = tempfile::Builder::new()
                    .prefix("perfgate-base-")
                    .tempdir_in(&temp)
                    .map_err(|source| Error::Write {
                        path: temp.clone(),
                        source,
                    })?;
                (private.path().to_path_buf(), Some(private))
            }
            (None, None) => (user_cache_dir(), None),
        };
        std::fs::create_dir_all(&root).map_err(|source| Error::Write {
            path: root.clone(),
            source,
        })?;
        let root = root.canonicalize().unwrap_or(root);
        let workdir = workdir
            .canonicalize()
            .unwrap_or_else(|_| workdir.to_path_buf());
        if root.starts_with(&workdir) {
            return Err(Error::Other(format!(
                "the baseline side's directory {} is inside the repository under test ({}), where the change's files and cargo configuration would reach it; set {CACHE_DIR_VAR} to a directory outside the checkout",
                root.display(),
                workdir.display()
            )));
        }
        Ok(BaseDir {
            root,
            _private: private,
        })
    }

    /// Exports of base commits, one directory per commit.
    pub fn exports(&self) -> PathBuf {
        self.root.join("exports")
    }

    /// The cargo target directory base-side builds share: registry and git dependencies
    /// compile once; the base commit's own packages are rebuilt every time (`mark_new`).
    fn target(&self) -> PathBuf {
        self.root.join("target")
    }

    /// A target directory no earlier build has touched, for the rebuild after a tampered
    /// executable.
    fn fresh_target(&self, attempt: usize) -> PathBuf {
        self.root
            .join(format!("target-rebuilt-{}-{attempt}", std::process::id()))
    }

    /// Keeps the `keep` most recently made exports, and `in_use`, and removes the rest.
    pub(crate) fn prune_exports(&self, keep: usize, in_use: &str) {
        let Ok(entries) = std::fs::read_dir(self.exports()) else {
            return;
        };
        let mut exports: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(std::result::Result::ok)
            .filter(|e| e.file_name() != in_use)
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        exports.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (_, path) in exports.into_iter().skip(keep) {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// `$XDG_CACHE_HOME/cargo-perfgate`, `~/.cache/cargo-perfgate`, or the system temp directory.
fn user_cache_dir() -> PathBuf {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .or_else(|| from("HOME").map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("cargo-perfgate")
}

/// A cargo configuration file above `dir` that cargo would read for a build started there,
/// other than the runner's own (`$CARGO_HOME/config.toml`).
fn foreign_cargo_config(dir: &Path) -> Option<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .and_then(|p| p.canonicalize().ok());
    dir.ancestors().skip(1).find_map(|ancestor| {
        let cargo = ancestor.join(".cargo");
        if cargo.canonicalize().ok() == cargo_home {
            return None;
        }
        ["config.toml", "config"]
            .into_iter()
            .map(|name| cargo.join(name))
            .find(|file| file.is_file())
    })
}

/// A `Cargo.toml` above `dir` (outside the export): cargo looks for a workspace root in every
/// parent of a manifest, so an export below another workspace would be read as its member.
fn enclosing_manifest(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .skip(1)
        .map(|ancestor| ancestor.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())
}

/// SHA-256 of a file.
fn hash_file(path: &Path) -> std::result::Result<[u8; 32], String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(hasher.finalize().into())
}

fn hash_all(executables: &Executables) -> Result<BTreeMap<(String, String), [u8; 32]>> {
    executables
        .iter()
        .map(|(key, path)| {
            hash_file(path)
                .map(|hash| (key.clone(), hash))
                .map_err(|e| Error::Other(format!("hashing the baseline's executable: {e}")))
        })
        .collect()
}

/// What a rebuild of the baseline side needs.
struct Recipe<'a> {
    base: &'a BaseDir,
    manifest: PathBuf,
    selection: Selection,
}

/// The baseline side: its commit, its executables (with their hashes from right after the
/// build) and the root of its source tree.
pub struct BaselineBuild<'a> {
    /// The full commit id the tree was exported from.
    pub commit: String,
    executables: Executables,
    hashes: BTreeMap<(String, String), [u8; 32]>,
    pub root: PathBuf,
    /// The bench targets as they are in the baseline's tree (its criterion may differ).
    pub targets: Vec<BenchTarget>,
    recipe: Option<Recipe<'a>>,
    /// Executables found changed since their build, this run.
    tampered: usize,
    /// Fresh target directories of rebuilds, removed when the build is dropped.
    rebuilt: Vec<PathBuf>,
}

impl Drop for BaselineBuild<'_> {
    fn drop(&mut self) {
        for dir in &self.rebuilt {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl<'a> BaselineBuild<'a> {
    /// The candidate's own executables as a baseline: an A/A test (`cargo perfgate noise`).
    pub fn itself(workspace: &Workspace, executables: &Executables) -> Result<Self> {
        Ok(BaselineBuild {
            commit: "0".repeat(40),
            hashes: hash_all(executables)?,
            executables: executables.clone(),
            root: workspace.root.clone(),
            targets: workspace.targets.clone(),
            recipe: None,
            tampered: 0,
            rebuilt: Vec::new(),
        })
    }

    /// Builds `targets` (those the baseline's tree has) in the export at `exported` (the
    /// workspace root inside an export of `commit`, in `base`), from that directory, so cargo
    /// reads the base commit's own configuration and the runner's `CARGO_HOME`, never the
    /// change's. The executables are hashed as soon as they are built.
    pub fn build(
        base: &'a BaseDir,
        workspace: &Workspace,
        commit: String,
        exported: PathBuf,
        targets: &[BenchTarget],
        selection: &Selection,
    ) -> Result<Self> {
        let manifest = exported.join("Cargo.toml");
        if !manifest.exists() {
            return Err(Error::Other(format!(
                "the baseline's commit {} has no Cargo.toml at the workspace's place ({})",
                perfgate_format::short_commit(&commit),
                manifest.display()
            )));
        }
        // Above the export's root (the commit's own tree, whose layout is its own business).
        let exports = base.exports();
        let export_root = exported
            .ancestors()
            .find(|a| a.parent() == Some(exports.as_path()))
            .unwrap_or(&exported)
            .to_path_buf();
        if let Some(workspace_manifest) = enclosing_manifest(&export_root) {
            return Err(Error::Other(format!(
                "{} sits above the baseline side's directory: cargo would take the export for a member of that workspace; set {CACHE_DIR_VAR} to a directory outside any cargo package or workspace",
                workspace_manifest.display()
            )));
        }
        if let Some(config) = foreign_cargo_config(&export_root) {
            return Err(Error::Other(format!(
                "a cargo configuration at {} sits above the baseline side's directory and would apply to its build; remove it, or set {CACHE_DIR_VAR} to a directory with none above it",
                config.display()
            )));
        }
        let mut relocated: Vec<BenchTarget> = targets
            .iter()
            .map(|t| relocate(t, &workspace.root, &exported))
            .collect();
        // The criterion the baseline's commit resolved decides the flags its side gets, and a
        // bench target the change adds is not built there.
        let there = Selection {
            manifest_path: Some(manifest.clone()),
            ..selection.clone()
        };
        if let Ok(theirs) = Workspace::discover_from(&there, &exported) {
            relocated.retain_mut(|target| {
                let found = theirs
                    .targets
                    .iter()
                    .find(|t| t.package == target.package && t.name == target.name);
                if let Some(found) = found {
                    target.harness_version = found.harness_version.clone();
                }
                found.is_some()
            });
        }
        let recipe = Recipe {
            base,
            manifest,
            selection: selection.clone(),
        };
        let executables = recipe.run(&exported, &relocated, &base.target())?;
        Ok(BaselineBuild {
            commit,
            hashes: hash_all(&executables)?,
            executables,
            root: exported,
            targets: relocated,
            recipe: Some(recipe),
            tampered: 0,
            rebuilt: Vec::new(),
        })
    }

    pub fn short(&self) -> &str {
        perfgate_format::short_commit(&self.commit)
    }

    /// The SHA-256 (hex) of a bench target's baseline executable, as hashed right after its
    /// build, when the candidate's executable at `candidate` is byte-identical to it.
    pub(crate) fn same_executable(
        &self,
        key: &(String, String),
        candidate: &Path,
    ) -> Option<String> {
        let theirs = self.hashes.get(key)?;
        let ours = hash_file(candidate).ok()?;
        (&ours == theirs).then(|| ours.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Whether the baseline side has an executable for a bench target.
    pub fn has(&self, key: &(String, String)) -> bool {
        self.executables.contains_key(key)
    }

    /// The executable of a bench target, checked against its hash from the build before it
    /// runs. One that changed is rebuilt into a fresh target directory, with a warning; a
    /// second change in one run is an error: something on this runner writes into the
    /// baseline side.
    pub(crate) fn verified(&mut self, key: &(String, String)) -> Result<PathBuf> {
        let path = self.executables.get(key).cloned().ok_or_else(|| {
            Error::Other(format!("no baseline executable for {}/{}", key.0, key.1))
        })?;
        let found = hash_file(&path).ok();
        if found.as_ref() == self.hashes.get(key) {
            return Ok(path);
        }
        self.tampered += 1;
        let what = format!(
            "the baseline's executable {} changed after it was built (by a process of this run: the change's build scripts or benchmarks?)",
            path.display()
        );
        let Some(recipe) = self.recipe.as_ref().filter(|_| self.tampered < 2) else {
            return Err(Error::Other(format!(
                "{what}, {} time(s); the baseline side cannot be trusted on this runner, so nothing is judged against it. Run the gate where the change's code cannot write outside its checkout (an ephemeral runner), and look at what the change runs",
                self.tampered
            )));
        };
        eprintln!("perfgate: warning: {what}; rebuilding the baseline side in a fresh directory");
        let fresh = recipe.base.fresh_target(self.tampered);
        self.rebuilt.push(fresh.clone());
        let rebuilt = recipe.run(&self.root, &self.targets, &fresh)?;
        self.hashes = hash_all(&rebuilt)?;
        self.executables = rebuilt;
        self.executables
            .get(key)
            .cloned()
            .ok_or_else(|| Error::Other(format!("no baseline executable for {}/{}", key.0, key.1)))
    }
}

impl Recipe<'_> {
    /// `cargo bench --no-run` of `targets` in the export at `exported`, started there, into
    /// `target_dir`, with the export's files marked new first: cargo judges a path package's
    /// artifacts fresh by time, so an executable left in the cache (or replaced there) is
    /// never taken for this commit's build.
    fn run(
        &self,
        exported: &Path,
        targets: &[BenchTarget],
        target_dir: &Path,
    ) -> Result<Executables> {
        mark_new(exported)?;
        super::build(
            &self.manifest,
            targets,
            &self.selection,
            Some(super::BuildPlace {
                target_dir,
                current_dir: exported,
            }),
        )
    }
}

/// Sets every file of an export to modified now, so cargo rebuilds what it compiles from them.
fn mark_new(exported: &Path) -> Result<()> {
    let now = std::time::SystemTime::now();
    for entry in walkdir::WalkDir::new(exported)
        .into_iter()
        .filter_map(std::result::Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        std::fs::File::options()
            .write(true)
            .open(entry.path())
            .and_then(|f| f.set_modified(now))
            .map_err(|source| Error::Write {
                path: entry.path().to_path_buf(),
                source,
            })?;
    }
    Ok(())
}

/// A bench target of the workspace at `from`, as it sits in the tree at `to`.
pub(crate) fn relocate(target: &BenchTarget, from: &Path, to: &Path) -> BenchTarget {
    let package_root = target
        .package_root
        .strip_prefix(from)
        .map(|rel| to.join(rel))
        .unwrap_or_else(|_| target.package_root.clone());
    BenchTarget {
        package_root,
        ..target.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::{enclosing_manifest, foreign_cargo_config, hash_file};

    #[test]
    fn a_workspace_above_the_baseline_side_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let export = dir.path().join("cache/exports/abc");
        std::fs::create_dir_all(&export).unwrap();
        std::fs::write(export.join("Cargo.toml"), "[package]\n").unwrap();
        assert_eq!(enclosing_manifest(&export), None);
        std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
        assert_eq!(
            enclosing_manifest(&export),
            Some(dir.path().join("Cargo.toml"))
        );
    }

    #[test]
    fn a_cargo_config_above_the_baseline_side_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let export = dir.path().join("cache/exports/abc");
        std::fs::create_dir_all(&export).unwrap();
        // The base commit's own configuration, inside the export, is its own.
        std::fs::create_dir_all(export.join(".cargo")).unwrap();
        std::fs::write(export.join(".cargo/config.toml"), "").unwrap();
        assert_eq!(foreign_cargo_config(&export), None);
        std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
        std::fs::write(dir.path().join(".cargo/config"), "[build]\n").unwrap();
        assert_eq!(
            foreign_cargo_config(&export),
            Some(dir.path().join(".cargo/config"))
        );
    }

    #[test]
    fn a_changed_file_hashes_differently() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("exe");
        std::fs::write(&file, "baseline").unwrap();
        let before = hash_file(&file).unwrap();
        std::fs::write(&file, "candidate").unwrap();
        assert_ne!(hash_file(&file).unwrap(), before);
        assert!(hash_file(&dir.path().join("missing")).is_err());
    }
}
