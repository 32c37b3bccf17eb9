//! `compare.json` as written to disk and printed by `--format json`.

use perfgate_format::Comparison;

use super::Render;

pub struct Json;

impl Render for Json {
    fn render(&self, comparison: &Comparison) -> String {
        // Serialising plain data cannot fail; an empty object would be a bug worth seeing.
        let mut text = serde_json::to_string_pretty(comparison)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }
}
