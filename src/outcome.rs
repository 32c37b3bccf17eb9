//! Exit codes, decided in one place from the gate's verdict or the error that stopped it.

use perfgate_format::Overall;

use crate::error::Error;

/// The gate passed.
pub(crate) const EXIT_PASS: i32 = 0;
/// cargo-perfgate itself failed: bad input, build failure, unreadable baseline, a bench error.
pub(crate) const EXIT_TOOL_ERROR: i32 = 1;
/// Usage error (clap's own code).
pub(crate) const EXIT_USAGE: i32 = 2;
/// The gate failed: a confirmed regression or a budget failure.
pub(crate) const EXIT_GATE_FAILED: i32 = 3;

/// How a command ended.
#[derive(Debug)]
pub enum Outcome {
    /// A command that judges (check, compare, merge) reached a verdict.
    Verdict(Overall),
    /// A command that does not judge finished its work.
    Done,
    Failed(Error),
}

impl Outcome {
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Verdict(Overall::Pass) | Outcome::Done => EXIT_PASS,
            Outcome::Verdict(Overall::Fail) => EXIT_GATE_FAILED,
            Outcome::Verdict(Overall::Error) => EXIT_TOOL_ERROR,
            Outcome::Failed(Error::Usage(_)) => EXIT_USAGE,
            Outcome::Failed(_) => EXIT_TOOL_ERROR,
        }
    }
}

impl From<crate::error::Result<Outcome>> for Outcome {
    fn from(result: crate::error::Result<Outcome>) -> Self {
        result.unwrap_or_else(Outcome::Failed)
    }
}
