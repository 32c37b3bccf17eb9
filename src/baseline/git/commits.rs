//! Writing history and reading it back: committing a refreshed baseline file on HEAD's branch,
//! and the versions of a file along HEAD's first-parent history.

use std::path::Path;

use git2::Oid;

use super::{short, Repo};
use crate::error::{Error, Result};

impl Repo {
    /// Commits one workspace-relative file, as it is in the work tree, on top of HEAD's
    /// branch: the new tree is HEAD's tree with just that file replaced, so nothing else that
    /// happens to be staged is committed with it.
    pub(crate) fn commit_file(&self, file: &str, message: &str) -> Result<Oid> {
        let context = || format!("committing {file}");
        self.ensure_on_branch(file)?;
        let path = self.repo_path(file);
        let head = self
            .repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(|e| Error::Git {
                context: context(),
                message: format!("{}; commit the workspace once first", e.message()),
            })?;
        let blob = self
            .repo
            .blob_path(&self.workdir.join(&path))
            .map_err(|e| Error::git(context(), e))?;
        let head_tree = head.tree().map_err(|e| Error::git(context(), e))?;
        let tree_id = git2::build::TreeUpdateBuilder::new()
            .upsert(&path, blob, git2::FileMode::Blob)
            .create_updated(&self.repo, &head_tree)
            .map_err(|e| Error::git(context(), e))?;
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(|e| Error::git(context(), e))?;
        let signature = self
            .repo
            .signature()
            .or_else(|_| git2::Signature::now("cargo-perfgate", "perfgate@localhost"))
            .map_err(|e| Error::git(context(), e))?;
        let commit = self
            .repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &[&head],
            )
            .map_err(|e| Error::git(context(), e))?;
        // Stage the same content, so `git status` agrees with the new commit.
        let mut index = self.repo.index().map_err(|e| Error::git(context(), e))?;
        index
            .add_path(Path::new(&path))
            .and_then(|_| index.write())
            .map_err(|e| Error::git(context(), e))?;
        Ok(commit)
    }

    /// Refuses a detached HEAD before `file` is written and committed: the commit would be on
    /// no branch.
    pub(crate) fn ensure_on_branch(&self, file: &str) -> Result<()> {
        if !self.repo.head_detached().unwrap_or(false) {
            return Ok(());
        }
        let at = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(short)
            .unwrap_or_default();
        Err(Error::Git {
            context: format!("committing {file}"),
            message: format!(
                "HEAD is detached (at {at}), so the commit would be on no branch; `git switch <branch>` first (in Actions, check out with `ref: <branch>`)"
            ),
        })
    }
}

/// One version of a file in history: the commit that wrote it and its time.
pub(crate) struct Version {
    pub commit: Oid,
    /// Seconds since the epoch (committer time).
    pub time: i64,
    pub text: String,
}

impl Repo {
    /// HEAD's first-parent line, newest first, as git2 walks it (each step may fail).
    pub(crate) fn first_parent_line(&self, context: &str) -> Result<git2::Revwalk<'_>> {
        let mut walk = self.repo.revwalk().map_err(|e| Error::git(context, e))?;
        walk.push_head().map_err(|e| Error::git(context, e))?;
        walk.simplify_first_parent()
            .map_err(|e| Error::git(context, e))?;
        Ok(walk)
    }

    /// The versions of `path` (repository-relative) along HEAD's first-parent history, newest
    /// first: every commit whose copy differs from its parent's.
    pub fn history(&self, path: &str, limit: usize) -> Result<Vec<Version>> {
        let context = || format!("walking the history of {path}");
        let walk = self.first_parent_line(&context())?;
        let blob_at = |commit: &git2::Commit| -> Option<Oid> {
            commit
                .tree()
                .ok()?
                .get_path(Path::new(path))
                .ok()
                .map(|e| e.id())
        };
        let mut versions = Vec::new();
        for oid in walk {
            let oid = oid.map_err(|e| Error::git(context(), e))?;
            let commit = self
                .repo
                .find_commit(oid)
                .map_err(|e| Error::git(context(), e))?;
            let Some(blob) = blob_at(&commit) else {
                continue;
            };
            let parent_blob = commit.parent(0).ok().and_then(|p| blob_at(&p));
            if parent_blob == Some(blob) {
                continue;
            }
            let content = self
                .repo
                .find_blob(blob)
                .map_err(|e| Error::git(context(), e))?;
            versions.push(Version {
                commit: oid,
                time: commit.time().seconds(),
                text: String::from_utf8_lossy(content.content()).into_owned(),
            });
            if versions.len() >= limit {
                break;
            }
        }
        Ok(versions)
    }
}
