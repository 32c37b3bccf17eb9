//! Everything under `target/perfgate/` (or `--out-dir`): where it is, what its files are
//! called, how perfgate's versioned JSON files are read, and how any file is written
//! (atomically). No other module names an artifact path.

use std::io::Write;
use std::path::{Path, PathBuf};

use perfgate_format::{split_schema, Comparison, Run, COMPARE_SCHEMA, RUN_SCHEMA};
use serde_json::Value;

use crate::error::{Error, Result};

/// The measurements of one run.
pub(crate) const RUN_FILE: &str = "run.json";
/// The verdicts of one comparison.
pub(crate) const COMPARE_FILE: &str = "compare.json";
/// The PR comment body (and job summary).
pub(crate) const REPORT_FILE: &str = "report.md";
/// This machine's A/A noise floors (`cargo perfgate noise`).
pub(crate) const NOISE_FILE: &str = "noise.json";
/// The out dir's folder of degradation-curve charts.
pub(crate) const CURVES_DIR: &str = "curves";

/// The artifact directory of one command, made absolute: bench processes run in other
/// directories (the package root, the baseline's exported tree) and must write where we read.
#[derive(Debug, Clone)]
pub struct OutDir(PathBuf);

impl OutDir {
    /// `--out-dir` when given, else `<target-dir>/perfgate`.
    pub fn resolve(flag: Option<&Path>, target_dir: &Path) -> OutDir {
        let dir = flag
            .map(Path::to_path_buf)
            .unwrap_or_else(|| target_dir.join("perfgate"));
        OutDir(std::path::absolute(&dir).unwrap_or(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn run_json(&self) -> PathBuf {
        self.0.join(RUN_FILE)
    }

    pub(crate) fn compare_json(&self) -> PathBuf {
        self.0.join(COMPARE_FILE)
    }

    pub(crate) fn report_md(&self) -> PathBuf {
        self.0.join(REPORT_FILE)
    }

    pub(crate) fn noise_json(&self) -> PathBuf {
        self.0.join(NOISE_FILE)
    }

    /// The charts of degradation curves (`curves/<suite>_<scenario>.svg`).
    pub fn curves(&self) -> PathBuf {
        self.0.join(CURVES_DIR)
    }

    /// Where one criterion bench target writes (its `CRITERION_HOME`).
    pub(crate) fn criterion_home(&self, package: &str, target: &str) -> PathBuf {
        self.0.join("criterion").join(package).join(target)
    }

    /// Where one gungraun bench target saves its summaries (its `--home`).
    pub(crate) fn gungraun_home(&self, package: &str, target: &str) -> PathBuf {
        self.0.join("gungraun").join(package).join(target)
    }

    /// The confirm stage's `CRITERION_HOME` for one side of one round.
    pub(crate) fn confirm_home(&self, id: &str, round: usize, side: &str) -> PathBuf {
        self.0
            .join("confirm")
            .join(sanitize(id))
            .join(format!("{round}-{side}"))
    }

    /// The baseline side's `CRITERION_HOME` for one pair of runs as users run a benchmark (the
    /// candidate's run saves where `cargo bench` saves).
    pub(crate) fn as_users_run_home(&self, id: &str, pair: usize) -> PathBuf {
        self.0
            .join("confirm")
            .join(sanitize(id))
            .join(format!("as-users-run-{pair}"))
    }

    /// Where a stability suite writes its results.
    pub(crate) fn stability_results(&self, package: &str, target: &str) -> PathBuf {
        self.0
            .join("stability")
            .join(format!("{package}-{target}.json"))
    }

    /// The output log of one bench process.
    pub fn log(&self, name: &str) -> PathBuf {
        self.0.join("logs").join(format!("{}.log", sanitize(name)))
    }
}

/// A file-name-safe form of an id.
fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The `schema` field of a JSON document, read without building the document in memory (the
/// typed parse that follows is then the only full one: half the time for 10,000 benchmarks).
/// The error is what is wrong, in words for the user.
pub(crate) fn schema_of(text: &str) -> std::result::Result<Option<String>, String> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        schema: Option<Value>,
    }
    if !text.trim_start().starts_with('{') {
        // serde would read a struct from an array too; a perfgate file is an object.
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => "valid JSON, but not of this kind (not an object)".to_string(),
            Err(e) => json_problem(&e),
        });
    }
    let head: Head = serde_json::from_str(text).map_err(|e| json_problem(&e))?;
    // A schema that is not a string is shown as written, so the message can name it.
    Ok(head.schema.map(|v| match v {
        Value::String(text) => text,
        other => other.to_string(),
    }))
}

/// What a JSON error means for the user: a file cut short or not JSON at all, or JSON of
/// another shape.
pub(crate) fn json_problem(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof => {
            format!("{error}; the file is corrupt or truncated")
        }
        Category::Data => format!("{error}; valid JSON, but not of this kind"),
        Category::Io => error.to_string(),
    }
}

/// `text` without a leading UTF-8 byte order mark (some editors add one; JSON parsers refuse it).
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A perfgate JSON file's text, its location for messages, and its `schema` (`(none)` when it
/// has none); `what` names the file kind in a parse error.
pub(crate) fn read_with_schema(
    path: &Path,
    what: &'static str,
) -> Result<(String, String, String)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = without_bom(&text).to_string();
    let location = path.display().to_string();
    let schema = schema_of(&text)
        .map_err(|detail| Error::Parse {
            location: location.clone(),
            what,
            detail,
        })?
        .unwrap_or_else(|| "(none)".to_string());
    Ok((text, location, schema))
}

/// Reads a perfgate JSON file of kind `what` whose schema must be `expected`'s family at
/// `expected`'s version: a newer version or another family is a clear error naming both.
pub fn read_versioned<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
    expected: &'static str,
) -> Result<T> {
    let (text, location, schema) = read_with_schema(path, what)?;
    let wanted = split_schema(expected);
    match split_schema(&schema) {
        found if found == wanted => serde_json::from_str(&text).map_err(|e| Error::Parse {
            location,
            what,
            detail: json_problem(&e),
        }),
        Some((family, v)) if wanted.is_some_and(|(f, w)| f == family && v > w) => {
            Err(Error::NewerSchema {
                location,
                found: schema,
                supported: expected,
            })
        }
        _ => Err(Error::ForeignSchema {
            location,
            expected,
            found: schema,
        }),
    }
}

/// Reads and parses a run.json, refusing entries no comparison can use (`entries::check`).
pub fn read_run(path: &Path) -> Result<Run> {
    let run: Run = read_versioned(path, RUN_FILE, RUN_SCHEMA)?;
    crate::entries::check(
        &run.benchmarks,
        &path.display().to_string(),
        crate::entries::Origin::Run,
    )?;
    Ok(run)
}

/// Reads a compare.json, checking its schema.
pub fn read_comparison(path: &Path) -> Result<Comparison> {
    read_versioned(path, COMPARE_FILE, COMPARE_SCHEMA)
}

/// Writes `value` as pretty JSON, atomically.
pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Other(format!("serialising {}: {e}", path.display())))?;
    write_atomic(path, &(text + "\n"))
}

/// Prefix of the temporary files `write_atomic` writes beside its target.
const TEMP_PREFIX: &str = ".perfgate-write-";

/// Writes `text` to `path` atomically: a temporary file, synced, then renamed over the target.
/// A killed process leaves the old file intact. Inside a git work tree the temporary file is
/// made in the repository's git directory, where `git status` and `git add -A` never see it
/// (a killed `baseline save` would otherwise leave megabytes of untracked JSON beside the
/// baseline); elsewhere, or where the git directory is on another filesystem, it is made beside
/// the target. Temporaries a killed write left behind are removed by the next write there.
/// The file keeps the mode of the one it replaces (a new one gets 0644, as `git checkout`
/// would).
pub(crate) fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let write_err = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_err)?;
    remove_stale_temporaries(dir);
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions())
        .ok()
        .or_else(default_permissions);
    if let Some(scratch) = git_scratch_dir(dir) {
        if let Ok(file) = temporary_with(&scratch, text, mode.clone()) {
            // Only a rename across filesystems fails here; then the temporary goes beside.
            if file.persist(path).is_ok() {
                return Ok(());
            }
        }
    }
    let file = temporary_with(dir, text, mode).map_err(write_err)?;
    file.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
}

/// A synced temporary file in `dir` holding `text`, with `mode`.
fn temporary_with(
    dir: &Path,
    text: &str,
    mode: Option<std::fs::Permissions>,
) -> std::io::Result<tempfile::NamedTempFile> {
    std::fs::create_dir_all(dir)?;
    remove_stale_temporaries(dir);
    let mut file = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .tempfile_in(dir)?;
    file.write_all(text.as_bytes())?;
    if let Some(permissions) = mode {
        file.as_file().set_permissions(permissions)?;
    }
    file.as_file().sync_all()?;
    Ok(file)
}

/// `<git dir>/perfgate-tmp` when `dir` is inside a git work tree.
fn git_scratch_dir(dir: &Path) -> Option<PathBuf> {
    let repo = git2::Repository::discover(dir).ok()?;
    let work_tree = repo.workdir()?.canonicalize().ok()?;
    dir.canonicalize()
        .ok()?
        .starts_with(&work_tree)
        .then(|| repo.path().join("perfgate-tmp"))
}

/// A new file's mode: 0644 on unix (a temporary file starts at 0600); elsewhere the default.
fn default_permissions() -> Option<std::fs::Permissions> {
    #[cfg(unix)]
    return Some(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    #[cfg(not(unix))]
    None
}

/// Removes temporary files an earlier, killed write left in `dir`: those whose writing process
/// is gone (its id is in the name), and any older than a minute whose writer cannot be told.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TEMP_PREFIX) else {
            continue;
        };
        let writer = rest
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        let stale = match writer {
            Some(pid) => !process_alive(pid),
            None => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(60)),
        };
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this id exists (on unix; elsewhere assumed alive).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // Signal 0 checks for existence; EPERM means it exists under another user.
        // SAFETY: kill with signal 0 sends nothing.
        let result = unsafe { libc::kill(pid, 0) };
        result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    true
}

/// Held while a command measures into an out dir: two runs there would read each other's
/// criterion files. Released when dropped (or when the process dies).
pub struct OutLock(#[allow(dead_code)] std::fs::File);

impl OutDir {
    /// Takes the out dir for this process, or says who has it.
    pub fn lock(&self) -> Result<OutLock> {
        let path = self.0.join(".lock");
        let write_err = |source: std::io::Error| Error::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.0).map_err(write_err)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(write_err)?;
        match file.try_lock() {
            Ok(()) => Ok(OutLock(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Other(format!(
                "another cargo perfgate is measuring into {} (it holds {}): wait for it, or give this run its own --out-dir",
                self.0.display(),
                path.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(write_err(e)),
        }
    }
}

/// The most a noise floor may widen a configured threshold: a floor wider than this many times
/// the threshold gates at this bound (and says so), so no file can switch the gate off.
pub(crate) const MAX_WIDENING: f64 = 3.0;

/// Refuses an out dir that holds files tracked by git in the repository at `root`: the gate
/// reads its own files from there (noise floors, the confirm stage's exports), and those must
/// never come from the change under test.
pub(crate) fn refuse_tracked(out: &OutDir, root: &Path) -> Result<()> {
    let Ok(repo) = crate::baseline::git::Repo::open(root) else {
        return Ok(());
    };
    let tracked = repo.tracked_under(out.path());
    if tracked.is_empty() {
        return Ok(());
    }
    Err(Error::Other(format!(
        "{} holds {} file(s) tracked by git ({}{}): the gate's own files must never come from the change under test; `git rm -r --cached` them, or pass an --out-dir outside the repository",
        out.path().display(),
        tracked.len(),
        tracked.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
        if tracked.len() > 3 { ", …" } else { "" }
    )))
}

/// This machine's noise floors by benchmark id from `<out>/noise.json`, when `cargo perfgate
/// noise` wrote one there on the machine that measured `machine`'s run; a file from another
/// machine is not used, and either way a warning says what happened. In a pull request
/// (`pull_request`) a file inside the repository at `root` is not read at all: the change's
/// build scripts and benchmarks could have written it.
pub(crate) fn noise_floors(
    out: &OutDir,
    machine: &perfgate_format::Machine,
    (root, pull_request): (&Path, bool),
    warnings: &mut Vec<String>,
) -> Result<std::collections::BTreeMap<String, f64>> {
    let path = out.noise_json();
    if !path.exists() {
        return Ok(Default::default());
    }
    let inside = crate::baseline::git::Repo::open(root).is_ok_and(|repo| {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
        canonical.starts_with(&repo.workdir)
    });
    if pull_request && inside {
        warnings.push(format!(
            "{} is inside the pull request's checkout, where its code could have written it: its noise floors are not used; in a pull request give --out-dir a directory outside the checkout that `cargo perfgate noise` wrote before",
            path.display()
        ));
        return Ok(Default::default());
    }
    let noise: perfgate_format::Noise =
        read_versioned(&path, NOISE_FILE, perfgate_format::NOISE_SCHEMA)?;
    if noise.machine != *machine {
        warnings.push(format!(
            "{} was measured on another machine ({}): its noise floors are not used here",
            path.display(),
            noise.machine.describe()
        ));
        return Ok(Default::default());
    }
    warnings.push(format!(
        "this machine's noise floors from {} (measured {}) apply: a threshold below a benchmark's floor is widened to it, at most {MAX_WIDENING}x; delete the file to gate at the configured thresholds",
        path.display(),
        noise.measured
    ));
    Ok(noise
        .benchmarks
        .into_iter()
        .filter(|b| b.resolvable.is_finite())
        .map(|b| (b.id, b.resolvable))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_out_dir_is_the_flag_else_target_perfgate_and_always_absolute() {
        let from_target = OutDir::resolve(None, Path::new("/w/target"));
        assert_eq!(from_target.path(), Path::new("/w/target/perfgate"));
        let from_flag = OutDir::resolve(Some(Path::new("out")), Path::new("/w/target"));
        assert!(from_flag.path().is_absolute() && from_flag.path().ends_with("out"));
        assert_eq!(
            from_target.run_json(),
            Path::new("/w/target/perfgate/run.json")
        );
    }

    #[test]
    fn an_id_becomes_one_safe_file_name_under_the_out_dir() {
        let out = OutDir::resolve(None, Path::new("/w/target"));
        let log = out.log("../../etc/passwd a::b");
        assert_eq!(log.parent().unwrap(), out.path().join("logs"));
        assert_eq!(log.file_name().unwrap(), "______etc_passwd_a__b.log");
        let home = out.confirm_home("group/x y", 3, "baseline");
        assert!(home.ends_with("confirm/group_x_y/3-baseline"), "{home:?}");
    }

    #[test]
    fn a_newer_or_foreign_schema_is_refused_by_name_and_a_byte_order_mark_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let newer = file("newer.json", r#"{"schema": "perfgate.compare.v9"}"#);
        let err = read_comparison(&newer).unwrap_err().to_string();
        assert!(err.contains("perfgate.compare.v9"), "{err}");
        let foreign = file("foreign.json", r#"{"schema": "someone.else.v1", "x": 1}"#);
        let err = read_comparison(&foreign).unwrap_err().to_string();
        assert!(
            err.contains("someone.else.v1") && err.contains(COMPARE_SCHEMA),
            "{err}"
        );
        let cut = file(
            "cut.json",
            "\u{feff}{\"schema\": \"perfgate.compare.v1\", \"entr",
        );
        let err = read_comparison(&cut).unwrap_err().to_string();
        assert!(
            err.contains("truncated"),
            "the mark is skipped, the cut named: {err}"
        );
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/compare.json");
        write_atomic(&path, "first\n").unwrap();
        write_json(&path, &serde_json::json!({"second": true})).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"second\": true") && text.ends_with('\n'),
            "{text}"
        );
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["compare.json"]);
    }

    #[test]
    fn a_second_lock_on_one_out_dir_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::resolve(Some(dir.path()), Path::new("/unused"));
        let first = out.lock().unwrap();
        let err = out.lock().err().expect("held").to_string();
        assert!(err.contains("another cargo perfgate"), "{err}");
        drop(first);
        assert!(out.lock().is_ok());
    }
}
