//! All git plumbing, through git2 (and the git CLI, `cli`, for talking to `origin`): the state
//! of the work tree, files read at a rev, the merge-base with a PR's base branch, the confirm
//! stage's cache of exported commits (verified against the commit's objects before each use),
//! the files a change touched since a commit, HEAD's first-parent line, a file's history, and
//! committing refreshed baselines: one owner for what is handed to git. The per-commit records
//! in git notes are `history.rs`'s (their format and merge), through this module's repository,
//! walk and CLI. `export.rs` the export cache, `commits.rs` committing and history, `fetch.rs`
//! fetching.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, StatusOptions};
use perfgate_format::GitState;

use crate::error::{Error, Result};

mod commits;
mod export;
mod fetch;

pub use fetch::fetch;
pub(crate) use fetch::Fetch;

/// The repository holding a workspace, and the workspace's path inside it.
pub(crate) struct Repo {
    pub repo: Repository,
    pub workdir: PathBuf,
    /// Workspace root relative to `workdir` (empty when they are the same).
    pub prefix: PathBuf,
}

impl Repo {
    /// Opens the repository containing `root`.
    pub fn open(root: &Path) -> Result<Self> {
        let repo = Repository::discover(root).map_err(|e| Error::Git {
            context: format!("{} is not inside a git repository", root.display()),
            message: format!(
                "{}; run `git init` and commit, or pass --against <baseline.json>",
                e.message()
            ),
        })?;
        let workdir = repo
            .workdir()
            .ok_or_else(|| {
                Error::Other(format!(
                    "{}: a bare repository has no work tree",
                    root.display()
                ))
            })?
            .to_path_buf();
        let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let canonical_workdir = workdir.canonicalize().unwrap_or_else(|_| workdir.clone());
        let prefix = canonical_root
            .strip_prefix(&canonical_workdir)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(Repo {
            repo,
            workdir: canonical_workdir,
            prefix,
        })
    }

    /// Path inside the repository of a workspace-relative path, with `/` separators.
    pub(crate) fn repo_path(&self, relative: &str) -> String {
        let joined = self.prefix.join(relative);
        joined.to_string_lossy().replace('\\', "/")
    }

    /// Resolves a rev to a commit, with the fix in the message when it cannot.
    pub fn resolve(&self, rev: &str) -> Result<Oid> {
        match self
            .repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
        {
            Ok(commit) => Ok(commit.id()),
            Err(e) => {
                let hint = if self.repo.is_shallow() {
                    format!("this is a shallow clone: pass --fetch, or `git fetch --no-tags origin {rev}`, or use `fetch-depth: 0` in actions/checkout")
                } else if rev == "HEAD" {
                    "the repository has no commits yet: commit your code and baseline first"
                        .to_string()
                } else {
                    format!("check the name, or `git fetch origin {rev}`")
                };
                Err(Error::Git {
                    context: format!("cannot resolve `{rev}` in {}", self.workdir.display()),
                    message: format!("{}; {hint}", e.message()),
                })
            }
        }
    }

    /// Resolves a rev given on the command line, refusing one git would read as an option or
    /// one whose short name is a ref of more than one kind that point at different commits
    /// (a local branch `origin/main` beside the remote-tracking `refs/remotes/origin/main`,
    /// a tag named like a branch): git's own rule would silently pick one of them.
    pub(crate) fn resolve_unambiguous(&self, rev: &str) -> Result<Oid> {
        check_rev(rev)?;
        let kinds = [
            format!("refs/{rev}"),
            format!("refs/tags/{rev}"),
            format!("refs/heads/{rev}"),
            format!("refs/remotes/{rev}"),
            format!("refs/remotes/{rev}/HEAD"),
        ];
        let found: Vec<(String, Oid)> = kinds
            .iter()
            .filter_map(|name| {
                let reference = self.repo.find_reference(name).ok()?;
                let commit = reference.peel_to_commit().ok()?;
                Some((name.clone(), commit.id()))
            })
            .collect();
        if let Some((first, commit)) = found.first() {
            if let Some((other, _)) = found.iter().find(|(_, c)| c != commit) {
                return Err(Error::Usage(format!(
                    "`{rev}` names both {first} and {other}, which point at different commits; write the full ref name (e.g. `--against {other}`)"
                )));
            }
            return Ok(*commit);
        }
        self.resolve(rev)
    }

    /// The tip of a pull request's base branch, by full ref name: the remote-tracking
    /// `refs/remotes/origin/<base>`, else the local `refs/heads/<base>`. Never git's short-name
    /// guessing, under which a local branch called `origin/<base>` would win.
    fn base_tip(&self, base: &str) -> Result<Oid> {
        let valid = git2::Reference::is_valid_name(&format!("refs/heads/{base}"));
        if !valid || base.starts_with('-') {
            return Err(Error::Usage(format!(
                "`{base}` (GITHUB_BASE_REF) is not a valid branch name"
            )));
        }
        for name in [
            format!("refs/remotes/origin/{base}"),
            format!("refs/heads/{base}"),
        ] {
            if let Ok(commit) = self
                .repo
                .find_reference(&name)
                .and_then(|r| r.peel_to_commit())
            {
                return Ok(commit.id());
            }
        }
        Err(Error::Git {
            context: format!(
                "cannot find refs/remotes/origin/{base} or refs/heads/{base} in {} (base branch from GITHUB_BASE_REF)",
                self.workdir.display()
            ),
            message: format!(
                "pass --fetch, or run `{}`, or in GitHub Actions use actions/checkout with `fetch-depth: 0`",
                fetch_command(base, self.repo.is_shallow())
            ),
        })
    }

    /// How many commits `head` has that `base` does not (git's ahead count).
    pub(crate) fn commits_ahead(&self, head: Oid, base: Oid) -> Result<usize> {
        self.repo
            .graph_ahead_behind(head, base)
            .map(|(ahead, _)| ahead)
            .map_err(|e| Error::git(format!("counting the commits since {}", short(base)), e))
    }

    /// The merge-base of `HEAD` and a PR's base branch (`refs/remotes/origin/<base>`, else
    /// `refs/heads/<base>`: full ref names, so a local branch named like the remote's never
    /// stands in for it).
    pub(crate) fn merge_base_with(&self, base: &str) -> Result<Oid> {
        let head = self.resolve("HEAD")?;
        let base_commit = self.base_tip(base)?;
        self.merge_base_of(head, base_commit, base)
    }

    /// Whether `commit` is `HEAD` with nothing uncommitted: a base side that is the change
    /// itself (an A/A run).
    pub(crate) fn is_clean_head(&self, commit: Oid) -> bool {
        self.resolve("HEAD").ok() == Some(commit)
            && self.changed_files(super::BASELINE_DIR).is_empty()
    }

    fn merge_base_of(&self, head: Oid, base_commit: Oid, base: &str) -> Result<Oid> {
        self.repo.merge_base(head, base_commit).map_err(|e| Error::Git {
            context: format!("no merge-base between HEAD and `{base}`"),
            message: if self.repo.is_shallow() {
                format!(
                    "{}; this is a shallow clone: pass --fetch, or run `{}`, or use `fetch-depth: 0` in actions/checkout",
                    e.message(),
                    fetch_command(base, true)
                )
            } else {
                format!("{}; the branches share no history", e.message())
            },
        })
    }

    /// The repository's default branch and its tip: what `refs/remotes/origin/HEAD` points
    /// at, else `init.defaultBranch`, `main` or `master`, whichever exists (remote-tracking
    /// first). `None` when none does.
    pub fn default_branch(&self) -> Option<(String, Oid)> {
        let from_origin = self
            .repo
            .find_reference("refs/remotes/origin/HEAD")
            .ok()
            .and_then(|r| r.symbolic_target().map(str::to_string))
            .and_then(|t| t.strip_prefix("refs/remotes/origin/").map(str::to_string));
        let configured = self
            .repo
            .config()
            .ok()
            .and_then(|c| c.get_string("init.defaultBranch").ok());
        let names = from_origin
            .into_iter()
            .chain(configured)
            .chain(["main".to_string(), "master".to_string()]);
        for name in names {
            if let Ok(tip) = self.base_tip(&name) {
                return Some((name, tip));
            }
        }
        None
    }

    /// The commit a local run compares against, and how it was chosen: on a branch other than
    /// the default one, the merge-base with the default branch (so the branch's own commits
    /// are judged); otherwise `HEAD`.
    pub(crate) fn local_base(&self) -> Result<(Oid, String)> {
        let head = self.resolve("HEAD")?;
        let branch = self
            .repo
            .head()
            .ok()
            .filter(|h| h.is_branch())
            .and_then(|h| h.shorthand().map(str::to_string));
        let (Some(branch), Some((default, tip))) = (branch, self.default_branch()) else {
            return Ok((head, "HEAD (the commit checked out)".to_string()));
        };
        if branch == default {
            return Ok((head, format!("HEAD (`{default}`, the default branch)")));
        }
        let merge_base = self.merge_base_of(head, tip, &default)?;
        Ok((
            merge_base,
            format!(
                "the merge-base of `{branch}` with `{default}`, the default branch (so the branch's own commits are judged)"
            ),
        ))
    }

    /// The text of `path` (repository-relative) at `commit`, or `None` if it does not exist there.
    pub(crate) fn read_at(&self, commit: Oid, path: &str) -> Result<Option<String>> {
        let context = || format!("reading {path} at {}", short(commit));
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| Error::git(context(), e))?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(Error::git(context(), e)),
        };
        let blob = entry
            .to_object(&self.repo)
            .and_then(|o| o.peel_to_blob())
            .map_err(|e| Error::git(context(), e))?;
        String::from_utf8(blob.content().to_vec())
            .map(Some)
            .map_err(|_| Error::Parse {
                location: format!("git:{}:{path}", short(commit)),
                what: "UTF-8 text file",
                detail: "invalid UTF-8".to_string(),
            })
    }

    /// Files that differ between `base`'s tree and the work tree (committed since, staged,
    /// edited, or untracked and not ignored), as absolute paths.
    pub(crate) fn changed_since(&self, base: Oid) -> Result<Vec<PathBuf>> {
        let git = |e: git2::Error| Error::Git {
            context: format!("listing the files changed since {}", short(base)),
            message: e.message().to_string(),
        };
        let tree = self
            .repo
            .find_commit(base)
            .and_then(|c| c.tree())
            .map_err(git)?;
        let mut options = git2::DiffOptions::new();
        options.include_untracked(true).recurse_untracked_dirs(true);
        let diff = self
            .repo
            .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut options))
            .map_err(git)?;
        let mut changed = Vec::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path() {
                    changed.push(self.workdir.join(path));
                }
            }
        }
        changed.sort();
        changed.dedup();
        Ok(changed)
    }

    /// Tracked files that differ from HEAD (in the index or the work tree), repository-relative,
    /// leaving out those under `except` (a workspace-relative directory).
    pub(crate) fn changed_files(&self, except: &str) -> Vec<String> {
        let mut options = StatusOptions::new();
        options.include_untracked(false).include_ignored(false);
        let except = format!("{}/", self.repo_path(except));
        self.repo
            .statuses(Some(&mut options))
            .map(|statuses| {
                statuses
                    .iter()
                    .filter_map(|e| e.path().map(str::to_string))
                    .filter(|p| !p.starts_with(&except))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `HEAD`'s commit and whether tracked files outside `except` (a workspace-relative
/// directory: the baselines, whose edits do not change what is measured) differ from it;
/// `None` outside git.
pub fn state(root: &Path, except: &str) -> Option<GitState> {
    let repo = Repo::open(root).ok()?;
    let head = repo.repo.head().ok()?.peel_to_commit().ok()?;
    let dirty = !repo.changed_files(except).is_empty();
    Some(GitState {
        commit: head.id().to_string(),
        dirty,
    })
}

/// `git -C root`: the one way this tool runs the git CLI (for talking to `origin`, whose
/// credentials actions/checkout gives the CLI, not git2).
pub(crate) fn cli(root: &Path) -> std::process::Command {
    let mut command = std::process::Command::new("git");
    command.arg("-C").arg(root);
    command
}

/// The one `git fetch` line that makes `base` and the merge-base with it available.
fn fetch_command(base: &str, shallow: bool) -> String {
    format!(
        "git fetch --no-tags{} origin +refs/heads/{base}:refs/remotes/origin/{base}",
        if shallow { " --unshallow" } else { "" }
    )
}

/// Refuses a revision git would take for an option (`--upload-pack=…`), or one with bytes no
/// ref or commit has: a revision is data, never a command.
pub(crate) fn check_rev(rev: &str) -> Result<()> {
    if rev.is_empty() || rev.starts_with('-') || rev.chars().any(|c| c.is_control()) {
        return Err(Error::Usage(format!(
            "`{}` is not a git revision (a revision never starts with `-` or holds control characters)",
            rev.escape_debug()
        )));
    }
    Ok(())
}

/// Whether `text` is a commit id as a baseline records one: 40 (SHA-1) or 64 (SHA-256) hex
/// digits.
pub(crate) fn is_commit_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first 10 hex digits of a commit id.
pub fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository in a temp dir with `files` committed on `main`.
    fn repository(files: &[(&str, &str)]) -> (tempfile::TempDir, Repo, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        repo.set_head("refs/heads/main").unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let who = git2::Signature::now("t", "t@localhost").unwrap();
        let commit = repo
            .commit(Some("HEAD"), &who, &who, "first", &tree, &[])
            .unwrap();
        drop(tree);
        let opened = Repo::open(&dir.path().join("ws")).unwrap();
        (dir, opened, commit)
    }

    #[test]
    fn a_workspace_below_the_repository_reads_its_files_at_a_commit_by_prefix() {
        let (_dir, repo, commit) = repository(&[("ws/baselines/default.json", "{}\n")]);
        assert_eq!(repo.prefix, Path::new("ws"));
        let path = repo.repo_path("baselines/default.json");
        assert_eq!(path, "ws/baselines/default.json");
        assert_eq!(
            repo.read_at(commit, &path).unwrap().as_deref(),
            Some("{}\n")
        );
        assert_eq!(repo.read_at(commit, "ws/absent.json").unwrap(), None);
        assert_eq!(repo.resolve("main").unwrap(), commit);
    }

    #[test]
    fn changes_since_a_commit_include_edits_and_untracked_files() {
        let (dir, repo, commit) = repository(&[("ws/src/lib.rs", "a"), ("ws/b.rs", "b")]);
        assert!(repo.changed_since(commit).unwrap().is_empty());
        std::fs::write(dir.path().join("ws/src/lib.rs"), "changed").unwrap();
        std::fs::write(dir.path().join("ws/new.rs"), "new").unwrap();
        let changed = repo.changed_since(commit).unwrap();
        let names: Vec<_> = changed
            .iter()
            .map(|p| p.strip_prefix(&repo.workdir).unwrap().to_path_buf())
            .collect();
        assert_eq!(names, [Path::new("ws/new.rs"), Path::new("ws/src/lib.rs")]);
        assert_eq!(repo.changed_files("baselines"), ["ws/src/lib.rs"]);
    }

    #[test]
    fn a_revision_is_data_never_an_option() {
        for bad in ["", "--upload-pack=touch /tmp/x", "-c", "main\n--x"] {
            assert!(check_rev(bad).is_err(), "{bad:?}");
        }
        for good in ["main", "origin/main", "v1.0", "HEAD~2"] {
            assert!(check_rev(good).is_ok(), "{good}");
        }
        assert!(is_commit_id(&"a".repeat(40)) && !is_commit_id("abc"));
    }
}
