//! The tool's one error type. Every variant carries what a user needs to find the problem:
//! the path, the line, the key, the ref or the target. Exit codes are decided in `outcome`.

use std::path::PathBuf;

/// Everything that can stop cargo-perfgate before it reaches a verdict.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{location}: not a valid {what}: {detail}")]
    Parse {
        location: String,
        what: &'static str,
        detail: String,
    },
    #[error("{location}: schema `{found}` is newer than this cargo-perfgate understands (`{supported}`); upgrade cargo-perfgate ({install})", install = crate::release::INSTALL)]
    NewerSchema {
        location: String,
        found: String,
        supported: &'static str,
    },
    #[error("{location}: expected schema `{expected}`, found `{found}`; is this a perfgate file?")]
    ForeignSchema {
        location: String,
        expected: &'static str,
        found: String,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("`cargo metadata` failed for {manifest}: {detail}")]
    Metadata { manifest: String, detail: String },
    #[error("no benchmarks found in {workspace}{filter}: add a criterion, divan or gungraun bench target (`[[bench]] harness = false`) or loosen --package/--bench")]
    NoBenchmarks { workspace: String, filter: String },
    #[error("building the benchmarks failed (`{command}`, {status}); see cargo's output above")]
    Build { command: String, status: String },
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("git: {context}: {message}")]
    Git { context: String, message: String },
    #[error("no baseline at {location}: {hint}")]
    MissingBaseline { location: String, hint: String },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn git(context: impl Into<String>, err: git2::Error) -> Self {
        Error::Git {
            context: context.into(),
            message: err.message().to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
