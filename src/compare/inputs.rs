//! What a comparison is given: the run, the baseline and the policy, and what the confirm
//! stage, the noise floors, the scope, an acceptance and a drift add to them.

use std::collections::BTreeMap;

use perfgate_format::{Acceptance, Baseline, BaselineRef, Benchmark, Confirmation, Drift, Run};

use crate::config::{Confirm, Policy};

/// Everything a comparison depends on.
pub struct Inputs<'a> {
    pub run: &'a Run,
    pub baseline: Option<&'a Baseline>,
    pub baseline_ref: Option<BaselineRef>,
    pub policy: &'a Policy,
    pub confirm: Confirm,
    /// Same-machine A/B results by benchmark id.
    pub confirmations: &'a BTreeMap<String, Confirmation>,
    /// Why no flagged benchmark could be confirmed, when none could (no commit to build, the
    /// baseline side did not build).
    pub confirm_unavailable: Option<String>,
    /// Why single benchmarks could not be confirmed, by id (their rounds failed).
    pub confirm_failures: &'a BTreeMap<String, String>,
    /// This machine's A/A noise floor by benchmark id (`noise.json`): a threshold below a
    /// benchmark's floor is widened to it, and the entry says so.
    pub floors: &'a BTreeMap<String, f64>,
    /// Whether a baseline entry was meant to be measured by this run (filters, shards).
    pub in_scope: &'a dyn Fn(&Benchmark) -> bool,
    pub warnings: Vec<String>,
    /// A maintainer's acceptance of this change's regressions (the pull request's label).
    pub acceptance: Option<&'a Acceptance>,
    /// Set for a drift run: the default branch against the baseline's commit.
    pub drift: Option<&'a Drift>,
    /// Whether the rounds were the candidate's measurement (a pull request): its criterion
    /// benchmarks were not run on their own first.
    pub paired: bool,
}

impl<'a> Inputs<'a> {
    /// The inputs of a comparison of `run` with `baseline` under `policy` and its `confirm`
    /// mode: every baseline entry in scope, nothing re-measured, no floors, no warnings, no
    /// acceptance. Callers set what differs with struct update syntax
    /// (`Inputs { confirm: Confirm::Never, ..Inputs::new(run, baseline, policy) }`).
    pub fn new(run: &'a Run, baseline: Option<&'a Baseline>, policy: &'a Policy) -> Self {
        static NO_CONFIRMATIONS: BTreeMap<String, Confirmation> = BTreeMap::new();
        static NO_FAILURES: BTreeMap<String, String> = BTreeMap::new();
        static NO_FLOORS: BTreeMap<String, f64> = BTreeMap::new();
        fn everything(_: &Benchmark) -> bool {
            true
        }
        Inputs {
            run,
            baseline,
            baseline_ref: None,
            policy,
            confirm: policy.confirm,
            confirmations: &NO_CONFIRMATIONS,
            confirm_unavailable: None,
            confirm_failures: &NO_FAILURES,
            floors: &NO_FLOORS,
            in_scope: &everything,
            warnings: Vec::new(),
            acceptance: None,
            drift: None,
            paired: false,
        }
    }
}
