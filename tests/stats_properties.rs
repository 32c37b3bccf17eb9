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
    fn the_analytic_interval_contains_the_point_estimate(a in samples(), b in samples()) {
        let change = stats::relative_change(&a, &b);
        let (low, high) = stats::median_change_interval(&a, &b, 1);
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

    #[test]
    fn paired_rounds_mirror_when_the_sides_swap(d in prop::collection::vec(-0.5f64..0.5, 1..48)) {
        let read = stats::paired_rounds(&d);
        let swapped = stats::paired_rounds(&d.iter().map(|x| -x).collect::<Vec<_>>());
        prop_assert_eq!(read.counted, swapped.counted);
        prop_assert!((read.p_value - swapped.p_value).abs() < 1e-12);
        prop_assert!(((1.0 + read.change) * (1.0 + swapped.change) - 1.0).abs() < 1e-9);
        prop_assert!(read.low <= read.change && read.change <= read.high);
    }

    #[test]
    fn a_slowdown_read_from_the_other_side_is_the_same_speedup(
        d in prop::collection::vec(-0.5f64..0.5, 1..48),
        threshold in 0.005f64..0.3,
    ) {
        // Ratios mirror on the log scale: +t slower is the other side's t/(1+t) faster.
        use stats::Side;
        let negated: Vec<f64> = d.iter().map(|x| -x).collect();
        let side = stats::side_of(&stats::paired_rounds(&d), threshold);
        let faster = threshold / (1.0 + threshold) * (1.0 - 1e-9);
        let swapped = stats::side_of(&stats::paired_rounds(&negated), faster);
        if side == Side::Above {
            prop_assert_eq!(swapped, Side::Below);
        }
    }

    #[test]
    fn identical_rounds_are_never_beyond_any_threshold(n in 1usize..48, threshold in 0.001f64..0.3) {
        let read = stats::paired_rounds(&vec![0.0; n]);
        prop_assert_eq!(stats::side_of(&read, threshold), stats::Side::Inside);
    }

    #[test]
    fn median_interval_holds_the_median(values in prop::collection::vec(-1.0f64..1.0, 1..80)) {
        let (low, high) = stats::median_interval(&values);
        let median = stats::median(&values);
        prop_assert!(low <= median && median <= high, "{low} {median} {high}");
    }
}

/// Timing-like samples: log-normal around `median` with 3% spread and an occasional slow outlier.
fn timings(rng: &mut rand_chacha::ChaCha8Rng, n: usize, median: f64) -> Vec<f64> {
    use rand::Rng;
    (0..n)
        .map(|_| {
            // Sum of uniforms: close enough to normal for a spread.
            let noise: f64 = (0..12).map(|_| rng.gen::<f64>()).sum::<f64>() - 6.0;
            let outlier = if rng.gen::<f64>() < 0.03 { 1.5 } else { 1.0 };
            median * (0.03 * noise).exp() * outlier
        })
        .collect()
}

#[test]
fn the_analytic_interval_covers_no_change_about_95_percent_of_the_time_like_the_bootstrap() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let trials = 200;
    let (mut analytic, mut bootstrap) = (0, 0);
    let mut width_ratio = Vec::new();
    for trial in 0..trials {
        let a = timings(&mut rng, 100, 1000.0);
        let b = timings(&mut rng, 100, 1000.0);
        let (low, high) = stats::median_change_interval(&a, &b, trial);
        let (blow, bhigh) = stats::bootstrap_change_interval(&a, &b, 400, trial);
        analytic += usize::from(low <= 0.0 && 0.0 <= high);
        bootstrap += usize::from(blow <= 0.0 && 0.0 <= bhigh);
        width_ratio.push((high - low) / (bhigh - blow));
    }
    let coverage = analytic as f64 / trials as f64;
    eprintln!(
        "coverage: analytic {coverage}, bootstrap {}; width analytic/bootstrap median {}",
        bootstrap as f64 / trials as f64,
        stats::median(&width_ratio)
    );
    assert!(
        (0.91..=0.99).contains(&coverage),
        "analytic coverage {coverage}, bootstrap {}",
        bootstrap as f64 / trials as f64
    );
    let typical = stats::median(&width_ratio);
    assert!(
        (0.75..=1.33).contains(&typical),
        "analytic intervals are {typical}× the bootstrap's"
    );
}
