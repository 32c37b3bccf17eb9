//! The default threshold of each harness metric, by what the metric is. A stability suite's
//! figures are single values per process whose spread between unchanged runs depends on the
//! figure: the tail of a microsecond operation's latency moves by a factor, its CPU per operation
//! by tens of percent, an error rate or an allocation count not at all. One relative threshold
//! cannot fit them all, so `Policy::threshold_of` asks here when no `[thresholds]` glob and no
//! `[components.*]` names a metric (a divan benchmark's allocation figures are asked too: counts,
//! any rise); criterion and divan times, and metrics this table does not know, take
//! `gate.threshold`. The numbers, and the A/A measurement behind each, are in the README
//! ("Default thresholds of stability metrics"; `scripts/stability-aa.sh`).

/// What a metric is, and the change it may make by default (relative; in points for a
/// fraction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MetricDefault {
    /// The class as the README and the notes name it.
    pub class: &'static str,
    pub threshold: f64,
}

/// Any rise at all: an error rate from 0, a panic.
const ANY_RISE: f64 = 0.0;

/// The classes, each with the metric names (the last segment of `suite/scenario/metric`, after
/// a phase or level prefix) it covers.
const CLASSES: &[(&str, f64, &[&str])] = &[
    (
        "error rate (any rise, in points)",
        ANY_RISE,
        &["error_rate"],
    ),
    ("panics (any rise)", ANY_RISE, &["panics"]),
    (
        "allocations per operation",
        0.25,
        &["allocations_per_op", "allocated_bytes_per_op"],
    ),
    ("throughput", 0.5, &["throughput"]),
    ("CPU per operation", 1.0, &["cpu_per_op"]),
    ("latency, centre", 1.0, &["latency_p50", "service_time_p50"]),
    (
        "latency, tail",
        5.0,
        &[
            "latency_p95",
            "latency_p99",
            "latency_mean",
            "service_time_p99",
            "window_p99",
        ],
    ),
    (
        "latency, extreme",
        20.0,
        &[
            "latency_p999",
            "latency_max",
            "degradation",
            "recovery_time",
        ],
    ),
    (
        "latency drift over a soak (points)",
        10.0,
        &["latency_drift"],
    ),
    ("heap growth over a soak (points)", 0.1, &["heap_growth"]),
    (
        "leak slope (the slope test decides: see budgets)",
        20.0,
        &["heap_growth_per_op", "heap_growth_per_op_low"],
    ),
    ("degradation breakpoint", 0.5, &["breakpoint"]),
];

/// A divan benchmark's allocation figures (`<path>/alloc_count`, `<path>/alloc_bytes`): counts
/// of one build's code, so any rise is a change.
const DIVAN_ALLOCATIONS: (&str, f64, &[&str]) = (
    "allocations per iteration, divan (any rise)",
    ANY_RISE,
    &["alloc_count", "alloc_bytes"],
);

/// The default for a divan figure: its allocation figures' (any rise); `None` for its times,
/// whatever their last path segment says (an argument may be named `throughput`).
pub(crate) fn of_divan(id: &str) -> Option<MetricDefault> {
    let (class, threshold, names) = DIVAN_ALLOCATIONS;
    let metric = id.rsplit_once('/')?.1;
    names
        .contains(&metric)
        .then_some(MetricDefault { class, threshold })
}

/// The default for a harness metric id (`suite/scenario/metric`), or `None` for a metric this
/// table does not know.
pub fn of(id: &str) -> Option<MetricDefault> {
    let metric = id.rsplit('/').next()?;
    let name = without_prefix(metric);
    CLASSES
        .iter()
        .find(|(_, _, names)| names.contains(&name))
        .map(|&(class, threshold, _)| MetricDefault { class, threshold })
}

/// A metric's name without the phase (`normal_`, `spike_`, `recovery_`) or level
/// (`level_<rate>_`) it was recorded in.
fn without_prefix(metric: &str) -> &str {
    for phase in ["normal_", "spike_", "recovery_"] {
        if let Some(rest) = metric.strip_prefix(phase) {
            if rest != "time" {
                return rest;
            }
        }
    }
    if let Some(rest) = metric.strip_prefix("level_") {
        if let Some((rate, name)) = rest.split_once('_') {
            if rate.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return name;
            }
        }
    }
    metric
}

#[cfg(test)]
mod tests {
    use super::{of, of_divan};

    #[test]
    fn a_divan_allocation_figure_fails_on_any_rise_and_a_divan_time_has_no_default() {
        assert_eq!(
            of_divan("speed::collect/alloc_count").unwrap().threshold,
            0.0
        );
        assert_eq!(
            of_divan("speed::collect/alloc_bytes").unwrap().threshold,
            0.0
        );
        assert!(of_divan("speed::collect").is_none());
        // An argument named like a harness metric is still a time.
        assert!(of_divan("speed::rate::a/throughput").is_none());
        assert!(of("speed::collect/alloc_count").is_none());
    }

    #[test]
    fn metrics_are_classed_by_name_whatever_their_phase_or_level() {
        assert_eq!(of("s/op/error_rate").unwrap().threshold, 0.0);
        assert_eq!(of("s/op_spike/spike_error_rate").unwrap().threshold, 0.0);
        assert_eq!(of("s/levels/level_5000_error_rate").unwrap().threshold, 0.0);
        assert_eq!(of("s/c/panics").unwrap().threshold, 0.0);
        let tail = of("s/op/latency_p99").unwrap();
        assert_eq!(of("s/op_spike/recovery_latency_p99"), Some(tail));
        assert_eq!(of("s/levels/level_1000.5_latency_p99"), Some(tail));
        assert_eq!(
            of("s/op_spike/recovery_time").unwrap().class,
            "latency, extreme"
        );
        assert!(of("s/op/custom_metric").is_none());
        assert!(of("s/levels/level_x_latency_p99").is_none());
        assert!(of("").is_none());
    }
}
