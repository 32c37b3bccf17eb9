//! cargo-perfgate: a performance gate for Rust workspaces. The modules are the pipeline, in
//! the order data flows: cli → config → workspace → run → baseline → compare → report → github
//! (→ history, the per-commit record in git notes). Beside it, two leaves that import nothing of
//! the crate, which any step may use: `stats` (the statistics, among them the rounds' rule that
//! the confirm stage stops on and `compare` judges by) and `text` (how a value or outside text
//! reads when printed). `artifacts` owns the files under `target/perfgate/`, `entries` what
//! every reader checks of a benchmark entry, `release` what this build is, and `commands` wires
//! the steps together, one file per group of subcommands.

pub mod artifacts;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod entries;
pub mod error;
pub mod github;
pub mod history;
pub mod outcome;
pub mod release;
pub mod report;
pub mod run;
pub mod stats;
pub(crate) mod text;
pub mod workspace;
