//! Fetching from `origin` with the git CLI (the credentials actions/checkout configures live
//! where libgit2 does not read them).

use std::path::Path;

use git2::Repository;

use super::check_rev;
use crate::error::{Error, Result};

/// Fetches what the gate needs from `origin` with the git CLI: it uses the credentials
/// actions/checkout configures (an `http.extraheader`), which libgit2 does not read.
///
/// With `branch`, fetches `refs/heads/<branch>` into `origin/<branch>` and, in a shallow clone,
/// the whole history (`--unshallow`), so the merge-base with HEAD exists. Otherwise fetches
/// the one rev into `FETCH_HEAD`.
pub fn fetch(root: &Path, what: Fetch<'_>) -> Result<()> {
    let shallow = Repository::discover(root)
        .map(|r| r.is_shallow())
        .unwrap_or(false);
    let mut command = super::cli(root);
    command.args(["fetch", "--no-tags", "--quiet"]);
    let wanted = match what {
        Fetch::Branch(branch) => {
            if !git2::Reference::is_valid_name(&format!("refs/heads/{branch}"))
                || branch.starts_with('-')
            {
                return Err(Error::Usage(format!(
                    "`{branch}` is not a valid branch name to fetch"
                )));
            }
            if shallow {
                command.arg("--unshallow");
            }
            // Nothing after this is read as an option, whatever it starts with.
            command.arg("--end-of-options");
            command.args([
                "origin",
                &format!("+refs/heads/{branch}:refs/remotes/origin/{branch}"),
            ]);
            format!("branch `{branch}`")
        }
        Fetch::Rev(rev) => {
            check_rev(rev)?;
            command.args(["--end-of-options", "origin", rev]);
            format!("`{rev}`")
        }
    };
    eprintln!("perfgate: fetching {wanted} from origin");
    let output = command.output().map_err(|e| Error::Git {
        context: format!("fetching {wanted} from origin"),
        message: format!("cannot run `git`: {e}; install git or fetch it yourself"),
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(Error::Git {
        context: format!("fetching {wanted} from origin in {}", root.display()),
        message: format!(
            "`git fetch` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })
}

/// What `fetch` asks origin for.
#[derive(Debug, Clone, Copy)]
pub enum Fetch<'a> {
    /// A pull request's base branch, with the history down to the merge-base.
    Branch(&'a str),
    /// One rev (a branch, tag or commit) for `--against`.
    Rev(&'a str),
}
