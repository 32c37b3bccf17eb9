//! The machine fingerprint recorded with every run and baseline: CPU model, cores, OS,
//! architecture and rustc version. Two runs are comparable only on equal fingerprints.

use std::process::Command;

use perfgate_format::Machine;

/// Reads this machine's fingerprint. Unknown parts are `"unknown"`, never an error.
pub fn fingerprint() -> Machine {
    Machine {
        cpu_model: cpu_model().unwrap_or_else(|| "unknown".to_string()),
        cores: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        rustc: rustc_version().unwrap_or_else(|| "unknown".to_string()),
    }
}

fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn rustc_version() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc).arg("-V").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    // "rustc 1.95.0 (59807616e 2026-04-14)" → "rustc 1.95.0"
    Some(
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" "),
    )
}
