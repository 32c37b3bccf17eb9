//! Names the commit the tool is built from, for `--version` and bug reports: `PERFGATE_COMMIT`
//! when the builder sets it (the release workflow does), else the `git.sha1` cargo recorded in
//! `.cargo_vcs_info.json` when it packaged the crate (an install from crates.io), else `git
//! rev-parse HEAD` in a checkout, else `unknown`.

use std::path::Path;
use std::process::Command;

/// Reruns the script when `path` changes. Only a path that exists is named: cargo reruns a
/// script whose named path is missing on every build, which would rebuild the tool each time.
fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=PERFGATE_COMMIT");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&dir);
    let commit = std::env::var("PERFGATE_COMMIT")
        .ok()
        .filter(|c| is_commit(c))
        .or_else(|| packaged_commit(dir))
        .or_else(|| checkout_commit(dir))
        .map_or_else(|| "unknown".to_string(), |c| c[..12].to_string());
    println!("cargo:rustc-env=PERFGATE_BUILD_COMMIT={commit}");
}

fn is_commit(text: &str) -> bool {
    text.len() >= 12 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `{"git": {"sha1": "…"}, …}`, written by `cargo package`.
fn packaged_commit(dir: &Path) -> Option<String> {
    let info = dir.join(".cargo_vcs_info.json");
    watch(&info);
    let text = std::fs::read_to_string(info).ok()?;
    let after = text.split("\"sha1\"").nth(1)?;
    let value = after.split('"').nth(1)?;
    is_commit(value).then(|| value.to_string())
}

/// HEAD of the checkout the crate is built in; reruns when HEAD or its branch moves.
fn checkout_commit(dir: &Path) -> Option<String> {
    let git_dir = run_git(dir, &["rev-parse", "--absolute-git-dir"])?;
    let git_dir = Path::new(&git_dir);
    watch(&git_dir.join("HEAD"));
    watch(&git_dir.join("packed-refs"));
    if let Some(branch) = run_git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch(&git_dir.join(branch));
    }
    run_git(dir, &["rev-parse", "HEAD"]).filter(|c| is_commit(c))
}

fn run_git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
