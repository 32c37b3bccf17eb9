//! What must hold for any samples: identical copies are never significant, shifted copies are
//! detected, relative change is scale invariant, the rank test is symmetric, Holm never lowers a
//! p-value.

use cargo_perfgate::stats;
use proptest::prelude::*;

fn samples() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(1.0f64..1_000.0, 10..60)
}

proptest! {
    #[test]
    fn an_identical_copy_is_never_significant_and_changes_nothing(a in samples()) {
        prop_assert!(stats::mann_whitney_p(&a, &a) > 0.5);
        prop_assert!(stats::relative_change(&a, &a).abs() < 1e-12);
    }

    #[test]
    fn a_copy_shifted_beyond_its_range_is_detected(a in samples()) {
        let spread = a.iter().cloned().fold(f64::MIN, f64::max);
        let shifted: Vec<f64> = a.iter().map(|v| v + spread + 1.0).collect();
        prop_assert!(stats::mann_whitney_p(&a, &shifted) < 0.01);
        prop_assert!(stats::relative_change(&a, &shifted) > 0.0);
    }

    #[test]
    fn relative_change_is_scale_invariant(a in samples(), b in samples(), scale in 0.001f64..1000.0) {
        let sa: Vec<f64> = a.iter().map(|v| v * scale).collect();
        let sb: Vec<f64> = b.iter().map(|v| v * scale).collect();
        let diff = stats::relative_change(&a, &b) - stats::relative_change(&sa, &sb);
        prop_assert!(diff.abs() < 1e-9);
    }

    #[test]
    fn the_rank_test_is_symmetric(a in samples(), b in samples()) {
        let diff = stats::mann_whitney_p(&a, &b) - stats::mann_whitney_p(&b, &a);
        prop_assert!(diff.abs() < 1e-12);
    }

    #[test]
    fn the_interval_contains_the_point_estimate(a in samples(), b in samples()) {
        let change = stats::relative_change(&a, &b);
        let (low, high) = stats::bootstrap_change_interval(&a, &b, 500, 1);
        prop_assert!(low <= change + 1e-9 && change <= high + 1e-9, "{low} {change} {high}");
    }

    #[test]
    fn holm_never_lowers_a_p_value(ps in prop::collection::vec(0.0f64..1.0, 1..40)) {
        let adjusted = stats::holm_adjust(&ps);
        for (p, q) in ps.iter().zip(&adjusted) {
            prop_assert!(q >= p && *q <= 1.0);
        }
    }

    #[test]
    fn signed_rank_p_is_a_probability_and_symmetric_in_sign(d in prop::collection::vec(-1.0f64..1.0, 1..30)) {
        let p = stats::wilcoxon_signed_rank_p(&d);
        let negated: Vec<f64> = d.iter().map(|x| -x).collect();
        prop_assert!((0.0..=1.0).contains(&p));
        prop_assert!((p - stats::wilcoxon_signed_rank_p(&negated)).abs() < 1e-12);
    }
}
