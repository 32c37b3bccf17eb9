//! In a pull request, the bench targets the change cannot have changed: set aside before
//! anything runs, their entries judged `identical` (see `unchanged_by_construction`).

use perfgate_format::{Benchmark, Run};

use crate::baseline::{self, git, Located};
use crate::run::base_side::BaselineBuild;
use crate::workspace::{BenchTarget, Workspace};

/// In a pull request, whether a bench target is unchanged by construction: its executable is
/// byte-identical to the baseline side's (hashed right after its build) and the change touched
/// no file the benchmark could read at run time: none in its package's directory, and none
/// outside every package of the workspace but Markdown, `.github/` and the gate's own
/// `perfgate.toml` and baselines (workspace-level data is the benchmark's as much as any
/// package's). Gives the executable's SHA-256 when it is. When the changed files cannot be
/// listed, no target is.
pub(super) fn unchanged_by_construction<'a>(
    workspace: &Workspace,
    built: &'a BaselineBuild,
    commit: git2::Oid,
) -> impl Fn(&BenchTarget, &std::path::Path) -> Option<String> + 'a {
    let canonical = |p: &std::path::Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let members: Vec<std::path::PathBuf> = workspace.members.iter().map(|m| canonical(m)).collect();
    let root = canonical(&workspace.root);
    let not_read_by_benchmarks = |path: &std::path::Path| {
        let within = path.strip_prefix(&root).unwrap_or(path);
        within.extension().is_some_and(|e| e == "md")
            || within.starts_with(".github")
            || within.starts_with(baseline::BASELINE_DIR)
            || within == std::path::Path::new(crate::config::CONFIG_FILE)
    };
    let changed: Option<Vec<std::path::PathBuf>> = git::Repo::open(&workspace.root)
        .and_then(|r| r.changed_since(commit))
        .map_err(|e| eprintln!("perfgate: warning: every bench target runs: {e}"))
        .ok()
        .map(|all| {
            all.into_iter()
                .filter(|p| !not_read_by_benchmarks(p))
                .collect()
        });
    move |target: &BenchTarget, executable: &std::path::Path| {
        let package = canonical(&target.package_root);
        let touched = changed.as_ref()?.iter().any(|p| {
            // The deepest package directory holding the file is the package it belongs to.
            let owner = members
                .iter()
                .filter(|m| p.starts_with(m))
                .max_by_key(|m| m.components().count());
            owner.is_none_or(|m| *m == package)
        });
        if touched {
            return None;
        }
        built.same_executable(&(target.package.clone(), target.name.clone()), executable)
    }
}

/// Records as `identical` every baseline entry in scope (`in_scope`, the comparison's own) of
/// the bench targets left unrun as unchanged by construction.
pub(super) fn record_unchanged(
    run: &mut Run,
    unchanged: &[(BenchTarget, String)],
    (located, in_scope): (&Located, &dyn Fn(&Benchmark) -> bool),
    commit: git2::Oid,
) {
    let entries = located.baseline.as_ref().map_or(&[][..], |b| &b.benchmarks);
    for (target, hash) in unchanged {
        for entry in entries
            .iter()
            .filter(|e| e.package == target.package && e.target == target.name && in_scope(e))
        {
            run.identical.insert(
                entry.id.clone(),
                perfgate_format::Identical {
                    sha256: hash.clone(),
                    baseline_commit: commit.to_string(),
                },
            );
        }
    }
}
