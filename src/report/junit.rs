//! JUnit XML, one test case per compared metric, for CI systems that read test reports.

use perfgate_format::{Comparison, Overall, Verdict};

use super::{format_change, Render};

pub struct Junit;

impl Render for Junit {
    fn render(&self, comparison: &Comparison) -> String {
        let checks = comparison.entries.iter().flat_map(|e| e.budgets.iter());
        let failures = comparison
            .entries
            .iter()
            .filter(|e| e.verdict.fails_gate())
            .count()
            + checks.clone().filter(|b| b.status == "fail").count();
        let tests = comparison.entries.len() + checks.count();
        let errors = comparison
            .entries
            .iter()
            .filter(|e| e.verdict == Verdict::Error)
            .count();
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"perfgate\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
            tests
        );
        for e in &comparison.entries {
            let name = xml_escape(&e.id);
            let class = xml_escape(&format!("{}.{}", e.package, e.target));
            let detail = xml_escape(&format!(
                "{}: {}{}",
                e.verdict.as_str(),
                format_change(e),
                e.note
                    .as_deref()
                    .map(|n| format!(" — {n}"))
                    .unwrap_or_default()
            ));
            out.push_str(&format!(
                "  <testcase name=\"{name}\" classname=\"{class}\">"
            ));
            if e.verdict.fails_gate() {
                out.push_str(&format!("<failure message=\"{detail}\"/>"));
            } else if e.verdict == Verdict::Error
                || (e.verdict == Verdict::Unconfirmed && comparison.verdict == Overall::Error)
            {
                out.push_str(&format!("<error message=\"{detail}\"/>"));
            } else if e.verdict != Verdict::Pass {
                out.push_str(&format!("<system-out>{detail}</system-out>"));
            }
            out.push_str("</testcase>\n");
            for b in &e.budgets {
                let case = xml_escape(&format!("{} {}", e.id, b.target));
                let detail = xml_escape(b.note.as_deref().unwrap_or(&b.target));
                out.push_str(&format!(
                    "  <testcase name=\"{case}\" classname=\"{class}.budgets\">"
                ));
                match b.status.as_str() {
                    "fail" => out.push_str(&format!("<failure message=\"{detail}\"/>")),
                    "warn" => out.push_str(&format!("<system-out>warn: {detail}</system-out>")),
                    _ => {}
                }
                out.push_str("</testcase>\n");
            }
        }
        out.push_str("</testsuite>\n");
        out
    }
}

/// Text made safe in an XML attribute or element: markup escaped, and control characters
/// (which XML 1.0 forbids even as references) shown as `\u{…}` escapes.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}
