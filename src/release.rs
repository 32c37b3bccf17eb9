//! What this build of the tool is and where it comes from: its version (recorded in every file
//! it writes), the commit it was built from (named by `--version`, so a bug report says which
//! build), its repository and the install line every message gives.

/// The tool's version, recorded in every file it writes.
pub(crate) const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What `--version` prints after the program's name: the version and the first 12 hex digits
/// of the commit this build came from, or `unknown` (see `build.rs`).
pub(crate) const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PERFGATE_BUILD_COMMIT"),
    ")"
);

/// The project's canonical repository (`repository` in Cargo.toml): every install line and
/// the git dependency `init` writes come from it.
pub(crate) const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The install line that works whether or not a release is published: from the repository.
pub(crate) const INSTALL: &str = concat!(
    "cargo install --git ",
    env!("CARGO_PKG_REPOSITORY"),
    " --locked cargo-perfgate"
);
