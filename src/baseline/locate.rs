//! Where the gate's baseline and policy come from: `--against` (a revision, or a file), the
//! merge-base with a pull request's base branch, or `HEAD`; and reading them there, with the
//! trust rules between choosing and reading (a pull request's own files are never the base
//! side). (Over 80 lines in `locate`: one ladder of where a baseline may come from.)

use std::path::{Path, PathBuf};

use perfgate_format::Baseline;

use super::git;
use super::{parse, relative_path};
use crate::config::{Policy, CONFIG_FILE};
use crate::error::{Error, Result};

/// Where the gate's baseline and policy come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reference {
    /// `--against` as given: a git revision, or a file when no revision has that name (a name
    /// that is both is refused, so a file the change adds can never stand in for a revision).
    /// In a pull request (`pr_base`), the policy still comes from the merge-base with the base
    /// branch, and no file of the work tree is read as the baseline.
    Against {
        text: String,
        fetch: bool,
        pr_base: Option<String>,
    },
    /// A pull request's base branch (`GITHUB_BASE_REF`): the merge-base with it. `fetch`
    /// fetches from origin what a shallow or single-branch clone lacks.
    PrBase { base: String, fetch: bool },
    /// A local run: the committed `HEAD` on the default branch, the merge-base with the
    /// default branch on any other.
    Head,
}

impl Reference {
    /// `--against` if given, else the merge-base with the pull request's base branch, else
    /// `HEAD` (or the merge-base with the default branch).
    pub fn choose(against: Option<&str>, pr_base: Option<String>, fetch: bool) -> Self {
        match (against, pr_base) {
            (Some(text), pr_base) => Reference::Against {
                text: text.to_string(),
                fetch,
                pr_base,
            },
            (None, Some(base)) => Reference::PrBase { base, fetch },
            (None, None) => Reference::Head,
        }
    }
}

/// What an `--against` argument names.
enum Against {
    File(PathBuf),
    Commit(git2::Oid),
}

/// Resolves `--against`: a revision first (fetched from origin with `--fetch` when this clone
/// lacks it); a file only when no revision has that name. In a pull request a file inside the
/// repository's work tree is refused: the pull request could have written it.
fn resolve_against(root: &Path, text: &str, fetch: bool, in_pr: bool) -> Result<Against> {
    let path = PathBuf::from(text);
    let is_file = path.is_file();
    let repo = git::Repo::open(root);
    let rev = repo
        .as_ref()
        .ok()
        .map(|r| git::check_rev(text).and_then(|()| r.resolve_unambiguous(text)));
    let against = match (rev, is_file) {
        (Some(Err(e @ Error::Usage(_))), _) if git::check_rev(text).is_ok() => return Err(e),
        (Some(Ok(commit)), true) => {
            return Err(Error::Usage(format!(
                "--against {text}: names both the git revision {} and the file {}; write `--against {text}^{{commit}}` for the revision or `--against ./{text}` for the file",
                git::short(commit),
                path.display()
            )))
        }
        (Some(Ok(commit)), false) => Against::Commit(commit),
        (Some(Err(_)), _) if fetch && git::check_rev(text).is_ok() => {
            git::fetch(root, git::Fetch::Rev(text))?;
            Against::Commit(git::Repo::open(root)?.resolve("FETCH_HEAD")?)
        }
        (_, true) => Against::File(path),
        (Some(Err(Error::Git { context, message })), false) => {
            return Err(Error::Git {
                context,
                message: format!("{message}; and there is no file {} either", path.display()),
            })
        }
        (Some(Err(other)), false) => return Err(other),
        (None, false) => {
            return Err(Error::Usage(format!(
                "--against {text}: no such file, and {} is not in a git repository to read a revision from",
                root.display()
            )))
        }
    };
    if let (Against::File(file), true, Ok(repo)) = (&against, in_pr, &repo) {
        let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
        if canonical.starts_with(&repo.workdir) {
            return Err(Error::Other(format!(
                "--against {text}: in a pull request the baseline is never read from a file inside the checkout ({}), which the pull request could have written; name a git revision (e.g. `--against refs/remotes/origin/main`), or a file from outside the checkout",
                canonical.display()
            )));
        }
    }
    Ok(against)
}

/// A baseline as located for a comparison, with the policy that goes with it.
pub(crate) struct Located {
    /// `None` when no baseline file exists at the reference.
    pub baseline: Option<Baseline>,
    /// `git:<short>:<path>` or the file path.
    pub location: String,
    pub commit: Option<git2::Oid>,
    pub policy: Policy,
    /// What the report must say: files the change edits that the gate reads from the base side.
    pub warnings: Vec<String>,
    /// Set for a drift run: `commit` is then the baseline's provenance, not the rev it was read at.
    pub drift: Option<perfgate_format::Drift>,
    /// How `commit` was chosen, in words for the headline.
    pub chosen_by: Option<String>,
}

/// What an edited baseline would change: ` (N benchmarks moved, largest: id a → b)`, or
/// added and removed counts.
fn describe_edit(committed: &Baseline, edited: &Baseline) -> String {
    let before: std::collections::BTreeMap<&str, f64> = committed
        .benchmarks
        .iter()
        .map(|b| (b.id.as_str(), b.summary.median))
        .collect();
    let mut moved: Vec<(&str, f64, f64)> = edited
        .benchmarks
        .iter()
        .filter_map(|b| {
            let old = *before.get(b.id.as_str())?;
            (old != b.summary.median).then_some((b.id.as_str(), old, b.summary.median))
        })
        .collect();
    let added = edited
        .benchmarks
        .iter()
        .filter(|b| !before.contains_key(b.id.as_str()))
        .count();
    let removed = (committed.benchmarks.len() + added).saturating_sub(edited.benchmarks.len());
    moved.sort_by(|x, y| {
        let size = |m: &(&str, f64, f64)| (m.2 / m.1 - 1.0).abs();
        size(y).total_cmp(&size(x))
    });
    let mut parts = Vec::new();
    if let Some((id, old, new)) = moved.first() {
        parts.push(format!(
            "{} benchmark(s) moved, the most `{id}` {:+.1}%",
            moved.len(),
            (new / old - 1.0) * 100.0
        ));
    }
    if added > 0 {
        parts.push(format!("{added} added"));
    }
    if removed > 0 {
        parts.push(format!("{removed} removed"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Reads the baseline of `profile` and the policy at `reference`. `profile` of `None` means
/// the policy's `gate.profile`.
/// (Over 80 lines: one ladder of where a baseline may come from, first match wins.)
pub(crate) fn locate(root: &Path, reference: &Reference, profile: Option<&str>) -> Result<Located> {
    // The work tree's config is always validated, so a typo never goes unnoticed.
    let local_policy = Policy::from_dir(root)?;
    match reference {
        Reference::Head => {
            let repo = git::Repo::open(root)?;
            let (commit, chosen_by) = repo.local_base()?;
            // Locally the developer's own config applies.
            let local = Some(local_policy.clone());
            let located = locate_at(root, commit, local.clone(), &local_policy, profile)?;
            let head = repo.resolve("HEAD")?;
            if located.baseline.is_none() && commit != head {
                // The branch committed the first baseline itself: gate against that one, and
                // say that the branch's own commits before it are not judged.
                let mut at_head = locate_at(root, head, local, &local_policy, profile)?;
                if at_head.baseline.is_some() {
                    at_head.warnings.push(format!(
                        "the merge-base with the default branch ({}) has no baseline file, so this run compares with HEAD's: the branch's own commits are not judged until the default branch has a baseline",
                        git::short(commit)
                    ));
                    return Ok(Located {
                        chosen_by: Some(
                            "HEAD (the merge-base with the default branch has no baseline)"
                                .to_string(),
                        ),
                        ..at_head
                    });
                }
            }
            Ok(Located {
                chosen_by: Some(chosen_by),
                ..located
            })
        }
        Reference::PrBase { base, fetch } => {
            let commit = pr_merge_base(root, base, *fetch)?;
            let mut located = locate_at(root, commit, None, &local_policy, profile)?;
            if git::Repo::open(root)?.is_clean_head(commit) {
                // Truthful (the checkout's code is already in the base branch), but never what
                // a pull request's checkout is: say so rather than pass quietly.
                located.warnings.push(format!(
                    "the merge-base of HEAD with `{base}` is HEAD itself ({}) and nothing is uncommitted: this run compares the checkout with itself (an A/A run); a pull request's checkout (actions/checkout's merge commit, or its head) never is",
                    git::short(commit)
                ));
            }
            Ok(Located {
                chosen_by: Some(format!(
                    "the merge-base of HEAD with `{base}` (the pull request's base branch)"
                )),
                ..located
            })
        }
        Reference::Against {
            text,
            fetch,
            pr_base,
        } => {
            // In a pull request the base side's policy decides, whatever `--against` names.
            let base_policy = match pr_base {
                Some(base) => {
                    let commit = pr_merge_base(root, base, *fetch)?;
                    let located = locate_at(root, commit, None, &local_policy, profile)?;
                    Some(located.policy)
                }
                None => None,
            };
            let chosen_by = Some(format!("`--against {text}`"));
            match resolve_against(root, text, *fetch, pr_base.is_some())? {
                Against::Commit(commit) => {
                    if pr_base.is_some() {
                        refuse_own_tree(root, commit, text)?;
                    }
                    let located = locate_at(root, commit, base_policy, &local_policy, profile)?;
                    Ok(Located {
                        chosen_by,
                        ..located
                    })
                }
                Against::File(path) => {
                    let policy = base_policy.unwrap_or(local_policy);
                    let located = locate_file(root, &path, policy)?;
                    Ok(Located {
                        chosen_by,
                        ..located
                    })
                }
            }
        }
    }
}

/// The merge-base with a pull request's base branch, fetched first with `fetch`.
fn pr_merge_base(root: &Path, base: &str, fetch: bool) -> Result<git2::Oid> {
    if fetch {
        git::fetch(root, git::Fetch::Branch(base))?;
    }
    git::Repo::open(root)?.merge_base_with(base)
}

/// In a pull request, a baseline side whose tree is the change's own (`--against HEAD`) would
/// compare the change with itself.
fn refuse_own_tree(root: &Path, commit: git2::Oid, text: &str) -> Result<()> {
    let repo = git::Repo::open(root)?;
    let tree = |c: git2::Oid| {
        repo.repo
            .find_commit(c)
            .and_then(|c| c.tree())
            .map(|t| t.id())
    };
    let head = repo.resolve("HEAD")?;
    if commit == head || tree(commit).ok() == tree(head).ok() {
        return Err(Error::Other(format!(
            "--against {text}: resolves to {}, whose tree is the pull request's own, so the change would be compared with itself; name the base side (e.g. `--against refs/remotes/origin/<base>`)",
            git::short(commit)
        )));
    }
    Ok(())
}

/// A baseline given as a file. When it records a clean commit this repository has, flagged
/// benchmarks can still be re-measured against a build of that commit.
fn locate_file(root: &Path, path: &Path, policy: Policy) -> Result<Located> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let location = path.display().to_string();
    let baseline = parse(&text, &location)?;
    let mut warnings = Vec::new();
    let commit = match (&baseline.provenance.commit, baseline.provenance.dirty) {
        (Some(commit), false) if git::is_commit_id(commit) => git::Repo::open(root)
            .ok()
            .and_then(|repo| repo.resolve(commit).ok()),
        _ => None,
    };
    if let Some(commit) = commit {
        warnings.push(format!(
            "the baseline file {location} records commit {}: flagged benchmarks are re-measured against a build of that commit",
            git::short(commit)
        ));
    }
    Ok(Located {
        baseline: Some(baseline),
        location,
        commit,
        policy,
        warnings,
        drift: None,
        chosen_by: None,
    })
}

/// The baseline and policy at `commit`; `local` is the policy to use instead of the commit's
/// (the developer's own, at `HEAD`), and `work_tree` the work tree's, compared for the report.
fn locate_at(
    root: &Path,
    commit: git2::Oid,
    local: Option<Policy>,
    work_tree: &Policy,
    profile: Option<&str>,
) -> Result<Located> {
    let repo = git::Repo::open(root)?;
    let short = git::short(commit);
    let config_path = repo.repo_path(CONFIG_FILE);
    // Against another rev, that rev's config decides, so a change cannot loosen its own gate.
    let policy = match local {
        Some(policy) => policy,
        None => match repo.read_at(commit, &config_path)? {
            Some(text) => Policy::from_toml(&text, &format!("git:{short}:{config_path}"))?,
            None => Policy::default(),
        },
    };
    let profile = profile.unwrap_or(&policy.profile).to_string();
    let path = repo.repo_path(&relative_path(&profile));
    let location = format!("git:{short}:{path}");
    let baseline = repo
        .read_at(commit, &path)?
        .map(|text| parse(&text, &location))
        .transpose()?;
    let mut warnings = Vec::new();
    if baseline.is_none() {
        // The fix names the profile, so following it as printed writes this profile's file.
        let flag = if profile == "default" {
            String::new()
        } else {
            format!(" --profile {profile}")
        };
        warnings.push(format!(
            "no baseline file at {location}: to keep this run as the baseline, `cargo perfgate baseline save --from <out-dir>/run.json{flag}` (nothing is measured again) and commit `{}`",
            relative_path(&profile)
        ));
    }
    // Empty locally at HEAD, where the work tree's policy is the one used.
    let edits = policy.differences(work_tree);
    if !edits.is_empty() {
        warnings.push(format!(
            "this change edits {CONFIG_FILE} ({}); the gate uses the version at {short} (the change takes effect once merged)",
            edits.join("; ")
        ));
    }
    let relative = relative_path(&profile);
    if let Ok(text) = std::fs::read_to_string(root.join(&relative)) {
        match &baseline {
            None => warnings.push(format!(
                "{relative} exists in the work tree but not at {short}: commit it to gate against it"
            )),
            Some(committed) => {
                let local = parse(&text, &relative).ok();
                if local.as_ref() != Some(committed) {
                    warnings.push(format!(
                        "{relative} differs from the baseline at {short}{}; the gate compares against {short}'s",
                        local.as_ref().map(|l| describe_edit(committed, l)).unwrap_or_default()
                    ));
                }
            }
        }
    }
    Ok(Located {
        baseline,
        location,
        commit: Some(commit),
        policy,
        warnings,
        drift: None,
        chosen_by: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn against_beats_the_pull_requests_base_which_beats_head() {
        assert!(matches!(
            Reference::choose(Some("v1"), Some("main".into()), false),
            Reference::Against { ref text, .. } if text == "v1"
        ));
        assert!(matches!(
            Reference::choose(None, Some("main".into()), true),
            Reference::PrBase { ref base, fetch: true } if base == "main"
        ));
        assert!(matches!(
            Reference::choose(None, None, false),
            Reference::Head
        ));
    }
}
