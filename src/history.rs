//! The per-commit history of the default branch, kept in git itself: each gate run on the
//! default branch adds one record (medians, intervals, machine, commit) as a line of the git
//! note on its commit under `refs/notes/perfgate`, written with git2. Records are lines, so two
//! runs that race merge by taking the union of lines per commit; sharing with `origin` goes
//! through the git CLI (it holds the credentials actions/checkout configures).

use std::collections::BTreeMap;
use std::path::Path;

use git2::{Oid, Repository, Signature};
use perfgate_format::{Machine, Run};
use serde::{Deserialize, Serialize};

use crate::baseline::git;
use crate::error::{Error, Result};
use crate::stats;

/// The notes ref the history lives under.
pub(crate) const NOTES_REF: &str = "refs/notes/perfgate";
/// Where `origin`'s history is fetched to before merging.
const ORIGIN_NOTES_REF: &str = "refs/notes/perfgate-origin";
/// Schema of one record.
pub(crate) const HISTORY_SCHEMA: &str = "perfgate.history.v1";
/// Attempts at pushing when another run keeps winning the race.
const PUSH_ATTEMPTS: usize = 5;

/// One run's summary of one commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub schema: String,
    pub commit: String,
    /// RFC 3339 UTC time the run started.
    pub date: String,
    pub tool_version: String,
    pub machine: Machine,
    pub benchmarks: Vec<Point>,
}

/// One benchmark's median in one run, with the 95% interval of that median where the run
/// measured enough samples for one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub id: String,
    pub unit: String,
    pub median: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    pub samples: usize,
}

impl Record {
    /// The record of a run of a clean commit; `None` for a run of uncommitted changes (a
    /// commit's history must be of that commit's code).
    pub fn of(run: &Run) -> Option<Self> {
        let state = run.git.as_ref().filter(|g| !g.dirty)?;
        Some(Record {
            schema: HISTORY_SCHEMA.to_string(),
            commit: state.commit.clone(),
            date: run.started.clone(),
            tool_version: run.tool_version.clone(),
            machine: run.machine.clone(),
            benchmarks: run
                .benchmarks
                .iter()
                .map(|b| {
                    let interval = (b.samples.len() >= crate::compare::MIN_SAMPLES_FOR_INTERVAL)
                        .then(|| stats::median_interval(&b.samples))
                        .filter(|(l, h)| l.is_finite() && h.is_finite());
                    Point {
                        id: b.id.clone(),
                        unit: b.unit.clone(),
                        median: b.summary.median,
                        low: interval.map(|i| i.0),
                        high: interval.map(|i| i.1),
                        samples: b.samples.len(),
                    }
                })
                .collect(),
        })
    }
}

/// The records of a note's text: one JSON record per line; lines that are not a record of
/// this schema are skipped and counted (a newer tool's lines, or damage).
pub fn parse_note(text: &str) -> (Vec<Record>, usize) {
    let mut records = Vec::new();
    let mut skipped = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Record>(line) {
            Ok(r)
                if r.schema == HISTORY_SCHEMA
                    && r.benchmarks.iter().all(|p| p.median.is_finite()) =>
            {
                records.push(r)
            }
            _ => skipped += 1,
        }
    }
    (records, skipped)
}

/// The lines of `theirs` followed by those of `ours` it lacks: the merge of two notes.
fn union(theirs: &str, ours: &str) -> String {
    let mut lines: Vec<&str> = theirs.lines().filter(|l| !l.trim().is_empty()).collect();
    for line in ours.lines().filter(|l| !l.trim().is_empty()) {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Who writes the notes: the repository's configured identity, else the tool's own.
fn signature(repo: &Repository) -> Result<Signature<'static>> {
    repo.signature()
        .map(|s| s.to_owned())
        .or_else(|_| Signature::now("cargo-perfgate", "cargo-perfgate@users.noreply.github.com"))
        .map_err(|e| Error::git("making the history note's signature", e))
}

fn note_text(repo: &Repository, notes_ref: &str, commit: Oid) -> Option<String> {
    let note = repo.find_note(Some(notes_ref), commit).ok()?;
    note.message().map(str::to_string)
}

/// Adds `record` to the note of its commit in the local history.
pub fn record(root: &Path, record: &Record) -> Result<()> {
    let repo = git::Repo::open(root)?.repo;
    let context = || format!("recording the history of {}", record.commit);
    let commit = Oid::from_str(&record.commit).map_err(|e| Error::git(context(), e))?;
    repo.find_commit(commit).map_err(|e| Error::Git {
        context: context(),
        message: format!(
            "{}; the run's commit is not in this repository",
            e.message()
        ),
    })?;
    let line =
        serde_json::to_string(record).map_err(|e| Error::Other(format!("{}: {e}", context())))?;
    let text = union(
        &note_text(&repo, NOTES_REF, commit).unwrap_or_default(),
        &line,
    );
    let who = signature(&repo)?;
    repo.note(&who, &who, Some(NOTES_REF), commit, &text, true)
        .map_err(|e| Error::git(context(), e))?;
    Ok(())
}

/// Every note under a notes ref, by annotated commit.
fn notes_of(repo: &Repository, notes_ref: &str) -> Result<BTreeMap<Oid, String>> {
    let mut notes = BTreeMap::new();
    let Ok(iter) = repo.notes(Some(notes_ref)) else {
        return Ok(notes); // no such ref yet
    };
    for item in iter {
        let (_, commit) = item.map_err(|e| Error::git(format!("reading {notes_ref}"), e))?;
        if let Some(text) = note_text(repo, notes_ref, commit) {
            notes.insert(commit, text);
        }
    }
    Ok(notes)
}

/// Merges `origin`'s fetched history into the local one: the local ref moves onto origin's
/// tip, and each commit whose lines origin lacks gets a note of the union on top (so the
/// result fast-forwards origin, and no record of either side is lost).
fn merge_fetched(repo: &Repository) -> Result<()> {
    let Ok(theirs) = repo.refname_to_id(ORIGIN_NOTES_REF) else {
        return Ok(());
    };
    let ours = notes_of(repo, NOTES_REF)?;
    let fetched = notes_of(repo, ORIGIN_NOTES_REF)?;
    repo.reference(NOTES_REF, theirs, true, "perfgate: history from origin")
        .map_err(|e| Error::git("moving the local history onto origin's", e))?;
    let who = signature(repo)?;
    for (commit, text) in ours {
        let theirs_text = fetched.get(&commit).map(String::as_str).unwrap_or("");
        let merged = union(theirs_text, &text);
        if merged != union(theirs_text, "") {
            repo.note(&who, &who, Some(NOTES_REF), commit, &merged, true)
                .map_err(|e| Error::git("merging the history", e))?;
        }
    }
    Ok(())
}

/// Runs `git` in `root` with `args` and returns its output (a failed git is the caller's to
/// read from the status); an error only when git could not be run at all.
fn git_cli(root: &Path, args: &[&str], what: &str) -> Result<std::process::Output> {
    git::cli(root).args(args).output().map_err(|e| Error::Git {
        context: what.to_string(),
        message: format!("cannot run `git`: {e}"),
    })
}

/// Fetches `origin`'s history and merges it into the local one. A remote without any history
/// yet is not an error.
pub fn fetch(root: &Path) -> Result<()> {
    let spec = format!("+{NOTES_REF}:{ORIGIN_NOTES_REF}");
    let output = git_cli(
        root,
        &["fetch", "--no-tags", "--quiet", "origin", &spec],
        "fetching the history from origin",
    )?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        if stderr.contains("couldn't find remote ref") {
            return Ok(());
        }
        return Err(Error::Git {
            context: format!("fetching {NOTES_REF} from origin"),
            message: stderr.trim().to_string(),
        });
    }
    merge_fetched(&git::Repo::open(root)?.repo)
}

/// Pushes the local history to `origin`, fetching and merging first; when another run pushed
/// in between (a rejected push), merges again and retries.
pub fn push(root: &Path) -> Result<()> {
    let spec = format!("{NOTES_REF}:{NOTES_REF}");
    let mut last = String::new();
    for attempt in 0..PUSH_ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(std::time::Duration::from_millis(250 << attempt));
        }
        fetch(root)?;
        let output = git_cli(
            root,
            &["push", "--quiet", "origin", &spec],
            "pushing the history to origin",
        )?;
        if output.status.success() {
            return Ok(());
        }
        last = String::from_utf8_lossy(&output.stderr).trim().to_string();
        let raced = [
            "rejected",
            "non-fast-forward",
            "fetch first",
            "cannot lock ref",
        ]
        .iter()
        .any(|w| last.contains(w));
        if !raced {
            break;
        }
    }
    Err(Error::Git {
        context: format!("pushing {NOTES_REF} to origin"),
        message: format!(
            "{last}; the job needs `permissions: contents: write` (the history is a git notes ref)"
        ),
    })
}

/// One commit of HEAD's first-parent line and the records its note holds.
pub struct Commit {
    pub commit: Oid,
    pub subject: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    pub records: Vec<Record>,
}

/// The commits along HEAD's first-parent history (at most `limit`), oldest first, each with
/// its records (none where nothing was recorded), and how many note lines were unreadable.
pub fn read(root: &Path, limit: usize) -> Result<(Vec<Commit>, usize)> {
    let opened = git::Repo::open(root)?;
    let context = || "walking HEAD's history".to_string();
    let walk = opened.first_parent_line(&context())?;
    let repo = &opened.repo;
    let mut commits = Vec::new();
    let mut skipped = 0;
    for oid in walk.take(limit) {
        let oid = oid.map_err(|e| Error::git(context(), e))?;
        let commit = repo
            .find_commit(oid)
            .map_err(|e| Error::git(context(), e))?;
        let (records, bad) = note_text(repo, NOTES_REF, oid)
            .map(|t| parse_note(&t))
            .unwrap_or_default();
        skipped += bad;
        // A note that names another commit is not this commit's record.
        let records = records
            .into_iter()
            .filter(|r| r.commit == oid.to_string())
            .collect();
        commits.push(Commit {
            commit: oid,
            subject: commit.summary().unwrap_or("").to_string(),
            time: commit.time().seconds(),
            records,
        });
    }
    commits.reverse();
    Ok((commits, skipped))
}

/// One benchmark's value at a commit: the median of the medians its records hold there.
pub(crate) fn value_at(commit: &Commit, id: &str) -> Option<f64> {
    let medians: Vec<f64> = commit
        .records
        .iter()
        .flat_map(|r| r.benchmarks.iter().filter(|p| p.id == id))
        .map(|p| p.median)
        .collect();
    (!medians.is_empty()).then(|| stats::median(&medians))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_keeps_every_line_of_both_sides_once() {
        let merged = union("a\nb\n", "b\nc\n");
        assert_eq!(merged, "a\nb\nc\n");
        assert_eq!(union("", "x"), "x\n");
    }

    #[test]
    fn lines_that_are_not_records_are_skipped_and_counted() {
        let (records, skipped) = parse_note("not json\n{\"schema\":\"other\"}\n\n");
        assert!(records.is_empty());
        assert_eq!(skipped, 2);
    }
}
