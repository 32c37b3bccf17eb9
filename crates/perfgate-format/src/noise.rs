//! A machine's A/A noise floors (`noise.json`).

use serde::{Deserialize, Serialize};

use crate::Machine;

/// `noise.json`: each criterion benchmark A/A-tested against its own executable on one machine
/// (`cargo perfgate noise`). The gate widens a threshold below a benchmark's floor to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    pub schema: String,
    pub tool_version: String,
    /// RFC 3339 UTC time the measurement started.
    pub measured: String,
    pub machine: Machine,
    pub benchmarks: Vec<NoiseFloor>,
}

/// One benchmark's A/A result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseFloor {
    pub id: String,
    pub rounds: usize,
    pub counted: usize,
    pub change: f64,
    pub change_low: f64,
    pub change_high: f64,
    /// The smallest threshold whose ±band holds this A/A interval: below it, the gate cannot
    /// tell this benchmark's change from this machine's noise.
    pub resolvable: f64,
    /// The threshold configured when it was measured.
    pub threshold: f64,
    pub seconds: f64,
}
