//! `cargo perfgate init`: scaffolds `perfgate.toml`, the GitHub workflows and an example
//! stability suite, keeping files that exist unless `--force`.

use std::path::PathBuf;

use crate::artifacts::write_atomic;
use crate::cli;
use crate::config;
use crate::error::Result;
use crate::outcome::Outcome;

/// The files `init` writes, relative to the workspace root, with their text.
const FILES: [(&str, &str); 4] = [
    (
        config::CONFIG_FILE,
        include_str!("../../templates/perfgate.toml"),
    ),
    (
        "benches/perfgate_stability.rs",
        include_str!("../../templates/stability.rs"),
    ),
    (
        ".github/workflows/perfgate.yml",
        include_str!("../../templates/perfgate.yml"),
    ),
    (
        ".github/workflows/perfgate-comment.yml",
        include_str!("../../templates/perfgate-comment.yml"),
    ),
];

pub fn init(args: &cli::InitArgs) -> Result<Outcome> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    for (path, text) in FILES {
        let target = dir.join(path);
        if target.exists() && !args.force {
            eprintln!(
                "perfgate: kept {} (exists; --force overwrites)",
                target.display()
            );
            continue;
        }
        write_atomic(&target, text)?;
        eprintln!("perfgate: wrote {}", target.display());
    }
    eprintln!(
        "perfgate: to run the example stability suite, add to Cargo.toml:\n\n[dev-dependencies]\nperfgate = \"0.1\"\n\n[[bench]]\nname = \"perfgate_stability\"\nharness = false\n"
    );
    Ok(Outcome::Done)
}
