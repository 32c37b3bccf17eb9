//! Publishing a comparison: `compare.json`, `report.md`, stdout and GitHub Actions for the
//! judging commands; `cargo perfgate report` and `cargo perfgate comment` for a saved one.

use std::path::PathBuf;

use perfgate_format::{BaselineRef, Comparison, Run};

use crate::artifacts::{self, write_atomic, write_json, OutDir};
use crate::baseline::Located;
use crate::cli;
use crate::config::{Format, Output};
use crate::error::Result;
use crate::github;
use crate::outcome::Outcome;
use crate::report::{curves, json::Json, junit::Junit, markdown::Markdown, table::Table, Render};
use crate::workspace::Workspace;

/// What the comparison says of its baseline: where it was read and whether the machine differs.
pub(crate) fn baseline_ref(located: &Located, run: &Run) -> Option<BaselineRef> {
    let baseline = located.baseline.as_ref()?;
    Some(BaselineRef {
        location: located.location.clone(),
        commit: located.commit.map(|c| c.to_string()),
        provenance: baseline.provenance.clone(),
        machine_differs: baseline.provenance.machine != run.machine,
        chosen_by: located.chosen_by.clone(),
    })
}

/// Writes compare.json and report.md, prints the table (or JSON), and feeds GitHub Actions.
pub(crate) fn publish(comparison: &Comparison, output: &Output, out: &OutDir) -> Result<Outcome> {
    write_json(&out.compare_json(), comparison)?;
    write_atomic(&out.report_md(), &Markdown::comment().render(comparison))?;
    for curve in curves::curves(comparison) {
        let path = out.curves().join(curves::file_name(&curve));
        // A chart is a picture of numbers the table already has: a failure to draw it is
        // said, never the gate's failure.
        if let Err(e) = curves::write_svg(&path, &curve) {
            eprintln!("warning: {e}");
        }
    }
    match output.format {
        Format::Json => print!("{}", Json.render(comparison)),
        Format::Table => print!("{}", Table.render(comparison)),
    }
    github::actions_output(comparison, output.format == Format::Json);
    github::step_outputs(comparison, &out.compare_json());
    Ok(Outcome::Verdict(comparison.verdict))
}

/// `--input`, else `compare.json` where `check` writes it: under the target directory cargo
/// reports for the current directory (so `CARGO_TARGET_DIR` is honoured).
fn saved_comparison(input: Option<&PathBuf>) -> Result<Comparison> {
    let path = match input {
        Some(path) => path.clone(),
        None => {
            let (_, target_dir) = Workspace::root_of(None)?;
            OutDir::resolve(None, &target_dir).compare_json()
        }
    };
    artifacts::read_comparison(&path)
}

/// `cargo perfgate report`.
pub fn report(args: &cli::ReportArgs) -> Result<Outcome> {
    let comparison = saved_comparison(args.input.as_ref())?;
    let text = match args.format {
        cli::ReportFormat::Markdown => Markdown::comment().render(&comparison),
        cli::ReportFormat::Json => Json.render(&comparison),
        cli::ReportFormat::Junit => Junit.render(&comparison),
        cli::ReportFormat::Table => Table.render(&comparison),
    };
    match &args.output {
        Some(path) => write_atomic(path, &text)?,
        None => print!("{text}"),
    }
    Ok(Outcome::Done)
}

/// `cargo perfgate comment`.
pub fn comment(args: &cli::CommentArgs) -> Result<Outcome> {
    let comparison = saved_comparison(args.input.as_ref())?;
    let body = Markdown::comment().render(&comparison);
    if args.dry_run {
        print!("{body}");
        return Ok(Outcome::Done);
    }
    let destination =
        github::Destination::from_env(args.repo.as_deref(), args.pr, args.head_sha.as_deref())?;
    // A comment that cannot be posted is a warning: the gate's verdict was already given.
    match github::post_sticky(&destination, &body) {
        Ok(github::Posted::Created { comment_id, pr }) => {
            eprintln!("perfgate: created comment {comment_id} on #{pr}")
        }
        Ok(github::Posted::Updated { comment_id, pr }) => {
            eprintln!("perfgate: updated comment {comment_id} on #{pr}")
        }
        Err(e) => github::warn(&format!("could not post the PR comment: {e}")),
    }
    Ok(Outcome::Done)
}
