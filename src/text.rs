//! How a value or a piece of outside text reads as text, wherever it is printed: a value in
//! its unit (`1.23 µs`), a recorded commit cut short, a benchmark id or a tool's output line made
//! inert on a terminal. A leaf: it imports nothing of the crate, so every step (`run` naming a
//! harness's output in an error, `compare` in a note, `report` in a table) reads text one way.

/// Text from outside (a benchmark id, a note) made inert on a terminal: control characters
/// (escape sequences, newlines that would start a workflow command at column 0) are shown as
/// escapes instead of being obeyed.
pub fn terminal_text(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The first 10 characters of a recorded commit (any text: a file may hold anything there), or
/// "an unknown commit".
pub fn short_commit(commit: Option<&str>) -> String {
    commit
        .map(|c| perfgate_format::short_commit(c).to_string())
        .unwrap_or_else(|| "an unknown commit".to_string())
}

/// A value in its unit, scaled for reading: `1.23 µs`, `4.5 ms`.
pub fn format_value(value: Option<f64>, unit: &str) -> String {
    let Some(v) = value else {
        return "—".to_string();
    };
    if unit == "ratio" {
        // A fraction reads as a percentage: 0.006 is 0.60%.
        return format!("{:.2}%", v * 100.0);
    }
    if unit != "ns" {
        return format!("{} {unit}", significant(v));
    }
    let (scaled, suffix) = if v.abs() >= 1e9 {
        (v / 1e9, "s")
    } else if v.abs() >= 1e6 {
        (v / 1e6, "ms")
    } else if v.abs() >= 1e3 {
        (v / 1e3, "µs")
    } else {
        (v, "ns")
    };
    format!("{} {suffix}", significant(scaled))
}

fn significant(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else if v.abs() >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}
