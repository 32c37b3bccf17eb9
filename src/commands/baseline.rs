//! `cargo perfgate baseline save` and `cargo perfgate baseline log`.

use std::path::Path;

use crate::artifacts::{self, write_atomic, OutDir};
use crate::baseline::{self, git};
use crate::cli;
use crate::config::{Output, Overrides, Policy, Selection, Settings};
use crate::error::{Error, Result};
use crate::github;
use crate::outcome::Outcome;
use crate::report::baseline_log;
use crate::run::stability;
use crate::workspace::Workspace;

/// `cargo perfgate baseline save`.
/// (Over 80 lines: the save's steps in order: measure (a stability suite three times), refuse
/// what cannot be a baseline, merge a partial save, write, commit.)
pub fn save(args: &cli::BaselineSaveArgs) -> Result<Outcome> {
    let selection = Selection::from_args(&args.select)?;
    let output = Output::from_args(&args.output);
    let overrides = Overrides::of(Some(&selection), None).profile(args.profile.as_deref())?;
    let (run, root) = match &args.from {
        Some(path) => {
            let (root, _) = Workspace::root_of(selection.manifest_path.as_deref())?;
            (artifacts::read_run(path)?, root)
        }
        None => {
            let workspace = Workspace::discover(&selection)?;
            refuse_dirty(&workspace.root, args)?;
            let policy = Policy::from_dir(&workspace.root)?;
            let settings = Settings::resolve(&overrides, &policy);
            let out = OutDir::resolve(output.out_dir.as_deref(), &workspace.target_dir);
            let (mut run, executables, _lock) =
                super::measure_work_tree(&workspace, &selection, &out, settings.timeout)?;
            // A stored stability figure is the median of several runs (`SAVED_RUNS`).
            let mode = (selection.filter.as_deref(), selection.quick);
            stability::repeat_for_baseline(
                &mut run,
                &workspace,
                &executables,
                mode,
                settings.timeout,
                &out,
            );
            artifacts::write_json(&out.run_json(), &run)?;
            (run, workspace.root)
        }
    };
    if !run.errors.is_empty() {
        let failed: Vec<String> = run
            .errors
            .iter()
            .map(|e| format!("{}/{}: {}", e.package, e.target, e.message))
            .collect();
        return Err(Error::Other(format!(
            "not writing a baseline: {} bench target(s) failed:\n  {}",
            failed.len(),
            failed.join("\n  ")
        )));
    }
    if run.benchmarks.is_empty() {
        return Err(Error::Other(
            "not writing a baseline: the run measured no benchmarks".to_string(),
        ));
    }
    if args.commit && !args.allow_dirty && run.git.as_ref().is_some_and(|g| g.dirty) {
        return Err(Error::Other(
            "not committing a baseline from a run of uncommitted changes (its `git.dirty` is true); commit them and measure again, or pass --allow-dirty".to_string(),
        ));
    }
    let settings = Settings::resolve(&overrides, &Policy::from_dir(&root)?);
    let profile = settings.profile;
    let path = root.join(baseline::relative_path(&profile));
    if args.commit {
        // Refused before anything is written.
        git::Repo::open(&root)?.ensure_on_branch(&baseline::relative_path(&profile))?;
    }
    let mut fresh = baseline::from_run(&run, &profile);
    if !selection.is_complete() {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let existing = baseline::parse(&text, &path.display().to_string())?;
            fresh = baseline::merge_into(&existing, fresh);
        }
    }
    write_atomic(&path, &baseline::render(&fresh)?)?;
    eprintln!(
        "perfgate: wrote {} ({} benchmarks)",
        path.display(),
        fresh.benchmarks.len()
    );
    if args.commit {
        let repo = git::Repo::open(&root)?;
        let source = run
            .git
            .as_ref()
            .map(|g| perfgate_format::short_commit(&g.commit).to_string())
            .unwrap_or_else(|| "an unknown commit".into());
        let release = github::release_name().unwrap_or_else(|| "manual refresh".to_string());
        let message =
            format!("perfgate: refresh baselines/{profile}.json ({release}, measured at {source})");
        let commit = repo.commit_file(&baseline::relative_path(&profile), &message)?;
        eprintln!("perfgate: committed {}: {message}", git::short(commit));
    }
    Ok(Outcome::Done)
}

/// Refuses to commit a baseline measured from uncommitted code (it would describe no commit),
/// and warns about one that is only written.
fn refuse_dirty(root: &Path, args: &cli::BaselineSaveArgs) -> Result<()> {
    let Ok(repo) = git::Repo::open(root) else {
        return Ok(());
    };
    let changed = repo.changed_files(baseline::BASELINE_DIR);
    if changed.is_empty() {
        return Ok(());
    }
    let listed = changed
        .iter()
        .take(5)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let more = if changed.len() > 5 {
        format!(" and {} more", changed.len() - 5)
    } else {
        String::new()
    };
    if args.commit && !args.allow_dirty {
        return Err(Error::Other(format!(
            "not committing a baseline measured from uncommitted changes ({listed}{more}): it would describe code no commit holds; commit or stash them, or pass --allow-dirty"
        )));
    }
    eprintln!(
        "perfgate: warning: measuring uncommitted changes ({listed}{more}); the baseline records the commit as dirty"
    );
    Ok(())
}

/// `cargo perfgate baseline log`: each benchmark's median in every committed version of the
/// baseline, newest first, with the change from the version before.
pub fn log(args: &cli::BaselineLogArgs) -> Result<Outcome> {
    if let Some(plot) = &args.plot {
        super::require_svg(plot)?;
    }
    let (root, _) = Workspace::root_of(args.manifest_path.as_deref())?;
    let overrides = Overrides::default().profile(args.profile.as_deref())?;
    let profile = Settings::resolve(&overrides, &Policy::from_dir(&root)?).profile;
    let repo = git::Repo::open(&root)?;
    let path = repo.repo_path(&baseline::relative_path(&profile));
    // One more than shown, so the oldest shown version has a change too.
    let versions = repo.history(&path, args.limit + 1)?;
    if versions.is_empty() {
        return Err(Error::MissingBaseline {
            location: format!("git:HEAD:{path}"),
            hint: "no commit on HEAD's history has this file; run `cargo perfgate baseline save` and commit it".to_string(),
        });
    }
    let parsed: Vec<baseline_log::Version> = versions
        .into_iter()
        .map(|v| {
            let location = format!("git:{}:{path}", git::short(v.commit));
            baseline_log::Version {
                commit: git::short(v.commit),
                time: v.time,
                baseline: baseline::parse(&v.text, &location).ok(),
            }
        })
        .collect();
    let ids: Vec<String> = if args.ids.is_empty() {
        baseline_log::ids_of_newest(&parsed)
    } else {
        args.ids.clone()
    };
    println!("{}", baseline_log::table(&parsed, &ids, args.limit));
    if let Some(plot) = &args.plot {
        baseline_log::write_svg(plot, &ids, &parsed[..parsed.len().min(args.limit)])?;
        eprintln!("perfgate: drew {}", plot.display());
    }
    Ok(Outcome::Done)
}
