//! A budget in `perfgate.toml`: an absolute limit on a metric's current value, with an
//! optional warn level on the same side, as written (`"< 20ms"`, `{ fail = "< 20ms", warn =
//! "< 15ms" }`) and as judged.

/// A budget: an absolute limit on a metric's current value.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub pattern: glob::Pattern,
    pub op: BudgetOp,
    /// Limit in the metric's unit (ns for times).
    pub limit: f64,
    /// The budget as written, for reports.
    pub text: String,
    /// The unit it was written in (`us`, `%`, `/s`, `B`, … or empty).
    pub unit: String,
    /// The warn level: a limit on the same side, in the same unit, that a value may break
    /// without failing (`warn`, not `budget-fail`).
    pub warn: Option<Level>,
}

/// A budget's warn level.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub limit: f64,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetOp {
    Below,
    Above,
}

impl Budget {
    /// Whether the budget's unit can describe a metric measured in `metric_unit`: a time budget
    /// on a throughput never applies, and must not pass silently.
    pub(crate) fn fits(&self, metric_unit: &str) -> bool {
        match self.unit.as_str() {
            "ns" | "us" | "µs" | "ms" | "s" => metric_unit == "ns",
            "%" => metric_unit == "ratio",
            "x" => matches!(metric_unit, "x" | "ratio"),
            "/s" => metric_unit.ends_with("/s"),
            "B" | "KiB" | "MiB" => metric_unit == "B",
            _ => true,
        }
    }

    /// Whether `value` keeps the budget.
    pub fn holds(&self, value: f64) -> bool {
        self.keeps(self.limit, value)
    }

    /// Whether `value` keeps `limit` on this budget's side.
    pub fn keeps(&self, limit: f64, value: f64) -> bool {
        match self.op {
            BudgetOp::Below => value < limit,
            BudgetOp::Above => value > limit,
        }
    }

    /// How far `value` is inside the limit, relative to it (`0.25`: a quarter of the limit to
    /// spare; negative: over it).
    pub fn margin(&self, value: f64) -> f64 {
        let room = match self.op {
            BudgetOp::Below => self.limit - value,
            BudgetOp::Above => value - self.limit,
        };
        room / self.limit.abs().max(f64::MIN_POSITIVE)
    }
}

/// A `[budgets]` entry as written → its budget. An error says what is wrong and which key it is
/// on (`""` for the budget, `".warn"` for its warn level); the caller adds the line.
pub(super) fn budget_from(
    pattern: glob::Pattern,
    value: &toml::Value,
) -> Result<Budget, (&'static str, String)> {
    let (fail, warn) = levels(value).map_err(|m| ("", m))?;
    let (op, limit, unit) = parse_budget(&fail).map_err(|m| ("", m))?;
    let warn = match warn {
        None => None,
        Some(text) => {
            let (warn_op, warn_limit, warn_unit) = parse_budget(&text).map_err(|m| (".warn", m))?;
            let inside = match op {
                BudgetOp::Below => warn_limit <= limit,
                BudgetOp::Above => warn_limit >= limit,
            };
            if warn_op != op || warn_unit != unit || !inside {
                return Err((
                    ".warn",
                    format!(
                        "`{}` must be on the same side and in the same unit as `{}`, and no looser",
                        text.trim(),
                        fail.trim()
                    ),
                ));
            }
            Some(Level {
                limit: warn_limit,
                text: text.trim().to_string(),
            })
        }
    };
    Ok(Budget {
        pattern,
        op,
        limit,
        text: fail.trim().to_string(),
        unit,
        warn,
    })
}

/// The fail level and the optional warn level of a budget as written.
fn levels(value: &toml::Value) -> Result<(String, Option<String>), String> {
    let text = |v: &toml::Value, key: &str| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("`{key}` must be a string like \"< 20ms\""))
    };
    match value {
        toml::Value::String(fail) => Ok((fail.clone(), None)),
        toml::Value::Table(levels) => {
            if let Some(unknown) = levels
                .keys()
                .find(|k| !matches!(k.as_str(), "fail" | "warn"))
            {
                return Err(format!(
                    "unknown key `{unknown}`: a budget table has `fail` and optionally `warn`"
                ));
            }
            let fail = levels.get("fail").ok_or(
                "a budget table needs `fail`, e.g. { fail = \"< 20ms\", warn = \"< 15ms\" }",
            )?;
            let warn = levels.get("warn").map(|w| text(w, "warn")).transpose()?;
            Ok((text(fail, "fail")?, warn))
        }
        _ => Err(
            "expected a string like \"< 20ms\" or a table { fail = \"< 20ms\", warn = \"< 15ms\" }"
                .to_string(),
        ),
    }
}

/// `"< 50us"`, `"> 20000/s"`, `"< 1%"`.
fn parse_budget(text: &str) -> Result<(BudgetOp, f64, String), String> {
    let t = text.trim();
    let (op, rest) = if let Some(r) = t.strip_prefix('<') {
        (BudgetOp::Below, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (BudgetOp::Above, r)
    } else {
        return Err(format!("`{t}` must start with < or >, e.g. \"< 50us\""));
    };
    let rest = rest.trim_start_matches('=').trim();
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at(split);
    let number: f64 = number
        .replace('_', "")
        .parse()
        .map_err(|_| format!("`{t}`: `{number}` is not a number"))?;
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "%" => 0.01,
        "x" | "" | "/s" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "`{t}`: unknown unit `{other}` (ns, us, ms, s, %, x, /s, B, KiB, MiB)"
            ))
        }
    };
    Ok((op, number * scale, unit.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_units() {
        let parsed = |t: &str| parse_budget(t).map(|(op, limit, _)| (op, limit));
        assert_eq!(parsed("< 50us").unwrap(), (BudgetOp::Below, 50_000.0));
        assert_eq!(parsed("> 20000/s").unwrap(), (BudgetOp::Above, 20_000.0));
        assert_eq!(parsed("< 1%").unwrap(), (BudgetOp::Below, 0.01));
        assert!(parse_budget("50us").is_err());
        assert!(parse_budget("< 5 parsecs").is_err());
    }
}
