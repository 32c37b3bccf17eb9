//! The confirm stage's cache of exported commits: a commit's tree written outside the work
//! tree, and verified against the commit's objects before every use.

use std::path::{Path, PathBuf};

use git2::Oid;

use super::{short, Repo};
use crate::error::{Error, Result};

impl Repo {
    /// The workspace root inside an export of `commit`, kept in `cache/<commit>` between runs.
    ///
    /// The cache usually sits under the work tree's `target/`, where a pull request can
    /// force-add files: before every use each file of the export is hashed and checked against
    /// the commit's blobs, and any file the commit does not have is refused, so a planted
    /// tree is exported afresh (with a warning) instead of being measured as the baseline.
    pub(crate) fn export_verified(&self, commit: Oid, cache: &Path) -> Result<PathBuf> {
        let dir = cache.join(commit.to_string());
        if dir.exists() {
            match self.verify_export(commit, &dir) {
                Ok(()) => return Ok(dir.join(&self.prefix)),
                Err(why) => {
                    eprintln!(
                        "perfgate: warning: the cached export of {} at {} does not match the commit ({why}); exporting it again",
                        short(commit),
                        dir.display()
                    );
                }
            }
        }
        let staging = cache.join(format!("{}.partial-{}", commit, std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        self.export(commit, &staging)?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&staging, &dir).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
        self.verify_export(commit, &dir).map_err(|why| Error::Git {
            context: format!("exporting {} into {}", short(commit), dir.display()),
            message: format!("the fresh export does not match the commit: {why}"),
        })?;
        Ok(dir.join(&self.prefix))
    }

    /// Checks that `dir` holds exactly the files of `commit`'s tree, byte for byte.
    fn verify_export(&self, commit: Oid, dir: &Path) -> std::result::Result<(), String> {
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| e.message().to_string())?;
        let mut expected = std::collections::BTreeMap::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                let name = entry.name().unwrap_or_default();
                expected.insert(format!("{parent}{name}"), (entry.id(), entry.filemode()));
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(|e| e.message().to_string())?;
        for (path, (blob, mode)) in &expected {
            let on_disk = dir.join(path);
            let found = if *mode == i32::from(git2::FileMode::Link) {
                std::fs::read_link(&on_disk)
                    .map_err(|e| format!("{path}: {e}"))
                    .and_then(|t| {
                        Oid::hash_object(git2::ObjectType::Blob, t.to_string_lossy().as_bytes())
                            .map_err(|e| e.message().to_string())
                    })?
            } else {
                Oid::hash_file(git2::ObjectType::Blob, &on_disk)
                    .map_err(|e| format!("{path}: {}", e.message()))?
            };
            if found != *blob {
                return Err(format!("{path} differs from the commit's"));
            }
        }
        for entry in walkdir::WalkDir::new(dir).min_depth(1) {
            let entry = entry.map_err(|e| e.to_string())?;
            if entry.file_type().is_dir() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(dir)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            if !expected.contains_key(&relative) {
                return Err(format!("{relative} is not in the commit"));
            }
        }
        Ok(())
    }

    /// Tracked files (at HEAD or staged) under a directory, repository-relative: the gate's
    /// own artifacts must never come from the change under test.
    pub(crate) fn tracked_under(&self, dir: &Path) -> Vec<String> {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let Ok(relative) = canonical.strip_prefix(&self.workdir) else {
            return Vec::new();
        };
        // The work tree's root itself holds every tracked file.
        let prefix = match relative.to_string_lossy().replace('\\', "/") {
            root if root.is_empty() => String::new(),
            dir => format!("{dir}/"),
        };
        let Ok(index) = self.repo.index() else {
            return Vec::new();
        };
        index
            .iter()
            .filter_map(|e| String::from_utf8(e.path).ok())
            .filter(|p| p.starts_with(&prefix))
            .collect()
    }

    /// Writes the tree of `commit` into `dir` without touching HEAD, the index or the work tree.
    fn export(&self, commit: Oid, dir: &Path) -> Result<()> {
        let context = || format!("exporting {} into {}", short(commit), dir.display());
        let object = self
            .repo
            .find_object(commit, None)
            .map_err(|e| Error::git(context(), e))?;
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut checkout = git2::build::CheckoutBuilder::new();
        checkout
            .target_dir(dir)
            .force()
            .update_index(false)
            .recreate_missing(true);
        self.repo
            .checkout_tree(&object, Some(&mut checkout))
            .map_err(|e| Error::git(context(), e))
    }
}
