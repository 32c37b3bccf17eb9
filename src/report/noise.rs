//! The table of `cargo perfgate noise`: each benchmark's A/A change on this machine, the
//! smallest threshold it resolves, and whether its configured threshold holds here.

use std::collections::BTreeMap;

use perfgate_format::NoiseFloor;

/// One row per benchmark in `ids`' order: its floor, or the reason it could not be measured.
pub fn table(ids: &[&str], floors: &[NoiseFloor], failures: &BTreeMap<String, String>) -> String {
    let mut grid = comfy_table::Table::new();
    grid.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    grid.set_header([
        "benchmark",
        "rounds",
        "A/A change [95% CI]",
        "resolvable",
        "threshold",
        "verdict",
    ]);
    for id in ids {
        let Some(f) = floors.iter().find(|f| f.id == *id) else {
            let why = failures
                .get(*id)
                .map(String::as_str)
                .unwrap_or("not measured");
            grid.add_row(vec![
                super::terminal_text(id),
                "—".to_string(),
                why.to_string(),
                "—".to_string(),
                "—".to_string(),
                "error".to_string(),
            ]);
            continue;
        };
        let verdict = if f.resolvable <= f.threshold {
            "ok".to_string()
        } else {
            format!(
                "too noisy for {:.1}%: the gate here widens it to {:.1}% (noise.json); a quieter runner keeps it",
                f.threshold * 100.0,
                f.resolvable * 100.0
            )
        };
        grid.add_row([
            super::terminal_text(id),
            f.rounds.to_string(),
            format!(
                "{:+.1}% [{:+.1}%, {:+.1}%]",
                f.change * 100.0,
                f.change_low * 100.0,
                f.change_high * 100.0
            ),
            format!("±{:.1}%", f.resolvable * 100.0),
            format!("{:.1}%", f.threshold * 100.0),
            verdict,
        ]);
    }
    grid.to_string()
}
