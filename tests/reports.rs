//! Every report format from hand-made comparisons with fixed numbers (insta snapshots), and the
//! PR comment's promises: inert names, verdict first, failures listed, size limit kept.

use cargo_perfgate::report::{json::Json, junit::Junit, markdown::Markdown, table::Table, Render};
use perfgate_format::*;

fn machine() -> Machine {
    Machine {
        cpu_model: "Test CPU".into(),
        cores: 2,
        os: "linux".into(),
        arch: "x86_64".into(),
        rustc: "rustc 1.95.0".into(),
    }
}

fn entry(id: &str, verdict: Verdict, change: f64) -> Entry {
    Entry {
        package: "core".into(),
        target: "bench".into(),
        unit: "ns".into(),
        baseline: Some(1000.0),
        current: Some(1000.0 * (1.0 + change)),
        change: Some(change),
        change_low: Some(change - 0.01),
        change_high: Some(change + 0.01),
        p_value: Some(0.001),
        threshold: 0.05,
        ..Entry::new(id, verdict)
    }
}

fn comparison(entries: Vec<Entry>) -> Comparison {
    let mut counts = Counts {
        total: entries.len(),
        ..Counts::default()
    };
    for e in &entries {
        match e.verdict {
            Verdict::Regressed => counts.regressed += 1,
            Verdict::Pass => counts.pass += 1,
            Verdict::Improved => counts.improved += 1,
            Verdict::Warn => counts.warn += 1,
            _ => {}
        }
    }
    Comparison {
        schema: COMPARE_SCHEMA.into(),
        tool_version: "0.1.0".into(),
        verdict: if counts.regressed > 0 {
            Overall::Fail
        } else {
            Overall::Pass
        },
        counts,
        baseline: Some(BaselineRef {
            location: "git:0123456789:baselines/default.json".into(),
            commit: Some("0123456789abcdef".into()),
            provenance: Provenance {
                commit: Some("fedcba9876543210".into()),
                dirty: false,
                date: "2026-11-01T00:00:00Z".into(),
                tool_version: "0.1.0".into(),
                machine: machine(),
            },
            machine_differs: false,
            chosen_by: None,
        }),
        current_git: None,
        machine: machine(),
        method: "Fixed method text.".into(),
        warnings: vec![],
        entries,
        cost: None,
        acceptance: None,
        drift: None,
    }
}

fn sample() -> Comparison {
    let mut regressed = entry("parse/large", Verdict::Regressed, 0.31);
    regressed.method = Method::Confirmed;
    // A fraction compared in points, within its budget but past the warn level.
    let mut error_rate = entry("store/put/error_rate", Verdict::Warn, 0.0);
    error_rate.unit = "ratio".into();
    error_rate.kind = Some(Kind::Fraction);
    error_rate.baseline = Some(0.0);
    error_rate.current = Some(0.006);
    error_rate.change = None;
    error_rate.change_low = None;
    error_rate.change_high = None;
    error_rate.difference = Some(0.006);
    error_rate.note = Some("warn: past the warn level < 0.5% (actual 0.60%, budget < 1%)".into());
    error_rate.budgets = vec![BudgetCheck {
        target: "< 1%".into(),
        warn_at: Some("< 0.5%".into()),
        limit: 0.01,
        actual: 0.006,
        margin: 0.4,
        status: "warn".into(),
        note: Some("past the warn level < 0.5% (actual 0.60%, budget < 1%)".into()),
    }];
    let mut checksum = entry("checksum/1k", Verdict::Pass, 0.004);
    checksum.budgets = vec![BudgetCheck {
        target: "< 2us".into(),
        warn_at: None,
        limit: 2000.0,
        actual: 1004.0,
        margin: 0.498,
        status: "pass".into(),
        note: None,
    }];
    comparison(vec![
        regressed,
        error_rate,
        checksum,
        entry("index/build", Verdict::Improved, -0.2),
    ])
}

#[test]
fn table_snapshot() {
    insta::assert_snapshot!(Table.render(&sample()));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(Markdown { limit: 60_000 }.render(&sample()));
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!(Junit.render(&sample()));
}

#[test]
fn json_round_trips() {
    let text = Json.render(&sample());
    let back: Comparison = serde_json::from_str(&text).unwrap();
    assert_eq!(back, sample());
}

#[test]
fn hostile_benchmark_names_render_inert() {
    let c = comparison(vec![entry(
        "a|b @team <b>bold</b>",
        Verdict::Regressed,
        0.3,
    )]);
    let md = Markdown { limit: 60_000 }.render(&c);
    let row = md.lines().find(|l| l.contains("team")).unwrap();
    let header = md.lines().find(|l| l.starts_with("| benchmark")).unwrap();
    assert_eq!(
        row.matches(" | ").count(),
        header.matches(" | ").count(),
        "the row keeps the header's cells: {row}"
    );
    assert!(!md.contains("<b>"), "no raw HTML: {md}");
    assert!(!row.contains("@team"), "no live mention: {row}");
}

#[test]
fn five_thousand_benchmarks_stay_under_the_comment_limit_with_every_regression_listed() {
    let mut entries: Vec<Entry> = (0..5_000)
        .map(|i| entry(&format!("group/bench-{i:05}"), Verdict::Pass, 0.0))
        .collect();
    for i in (0..5_000).step_by(50) {
        entries[i].verdict = Verdict::Regressed;
    }
    let c = comparison(entries);
    let md = Markdown { limit: 60_000 }.render(&c);
    assert!(
        md.chars().count() < 65_536,
        "{} characters",
        md.chars().count()
    );
    for i in (0..5_000).step_by(50) {
        assert!(
            md.contains(&format!("| group/bench-{i:05} |")),
            "regression {i} not listed"
        );
    }
    assert!(md.contains("more not shown"));
    assert!(md.starts_with("<!-- cargo-perfgate:sticky-comment -->\n## ❌ perfgate: **fail**"));
}

/// Past a thousand rows the terminal table lists every row that is not `pass` and counts the
/// `pass` rows it leaves out; up to a thousand it lists them all.
#[test]
fn a_large_comparison_lists_what_is_not_pass_and_counts_the_rest() {
    use cargo_perfgate::report::table::ALL_ROWS_UP_TO;
    let many: Vec<Entry> = (0..ALL_ROWS_UP_TO + 1)
        .map(|i| {
            let verdict = if i % 100 == 7 {
                Verdict::Regressed
            } else {
                Verdict::Pass
            };
            entry(&format!("group/bench-{i:05}"), verdict, 0.0)
        })
        .collect();
    let table = Table.render(&comparison(many));
    for i in 0..=ALL_ROWS_UP_TO {
        let listed = table.contains(&format!("group/bench-{i:05} "));
        assert_eq!(listed, i % 100 == 7, "row {i}");
    }
    assert!(
        table.contains("(991 rows with verdict `pass` not listed"),
        "{}",
        &table[table.len().saturating_sub(2_000)..]
    );

    let few: Vec<Entry> = (0..ALL_ROWS_UP_TO)
        .map(|i| entry(&format!("group/bench-{i:05}"), Verdict::Pass, 0.0))
        .collect();
    let table = Table.render(&comparison(few));
    assert!((0..ALL_ROWS_UP_TO).all(|i| table.contains(&format!("group/bench-{i:05} "))));
    assert!(!table.contains("not listed"));
}

#[test]
fn each_row_says_how_its_change_was_measured() {
    use cargo_perfgate::report::how;
    let mut stored = entry("a", Verdict::Pass, 0.01);
    assert_eq!(how(&stored), "stored");
    stored.change_low = None;
    stored.change_high = None;
    assert_eq!(how(&stored), "single run");
    assert_eq!(
        cargo_perfgate::report::format_change(&stored),
        "+1.0%",
        "a single figure shows no interval"
    );
    stored.confirmation = Some(Confirmation {
        baseline_commit: "0".repeat(40),
        rounds: 24,
        counted: 23,
        change: 0.01,
        change_low: -0.01,
        change_high: 0.02,
        confidence: 0.95,
        halves: None,
        medians: Some([1000.0, 1010.0]),
        stored_medians: None,
        p_value: 0.5,
        seconds: 3.0,
        ratios: Vec::new(),
        points: false,
        candidate_rounds: Vec::new(),
        quick: false,
        as_users_run: Vec::new(),
    });
    assert_eq!(how(&stored), "re-measured, 24 rounds");
    if let Some(c) = stored.confirmation.as_mut() {
        c.quick = true;
    }
    assert_eq!(how(&stored), "re-measured, 24 quick-suite rounds");
    // Columns whose ratio is not the row's change (each side's median over the rounds, beside
    // the median of the rounds' paired ratios) are said to be so, not left to disagree.
    stored.current = Some(1030.0);
    assert_eq!(
        how(&stored),
        "re-measured, 24 quick-suite rounds (the change is the median of the rounds' paired ratios, not the columns' ratio)"
    );
    stored.current = Some(1010.4);
    assert_eq!(
        how(&stored),
        "re-measured, 24 quick-suite rounds",
        "within the last digit shown"
    );
}

#[test]
fn long_warnings_and_method_texts_cannot_push_the_comment_over_the_limit() {
    let mut c = comparison(vec![entry("a", Verdict::Regressed, 0.3)]);
    c.warnings = vec!["w".repeat(5_000); 100];
    c.method = "m".repeat(100_000);
    c.entries[0].note = Some("n".repeat(50_000));
    let md = Markdown {
        limit: cargo_perfgate::report::markdown::COMMENT_LIMIT,
    }
    .render(&c);
    assert!(md.len() <= 65_536, "{} characters", md.len());
    assert!(md.contains("more warnings"), "says what was left out");
}

#[test]
fn a_degradation_scenario_reads_as_two_curves_with_their_knees_and_a_chart() {
    let level = |rate: u32, base: f64, current: f64| Entry {
        baseline: Some(base),
        current: Some(current),
        ..entry(
            &format!("store/put_levels/level_{rate}_latency_p99"),
            Verdict::Pass,
            current / base - 1.0,
        )
    };
    let knee = Entry {
        baseline: Some(10000.0),
        current: Some(5000.0),
        unit: "ops/s".into(),
        ..entry("store/put_levels/breakpoint", Verdict::Pass, -0.5)
    };
    let comparison = comparison(vec![
        level(5000, 4000.0, 9000.0),
        level(1000, 3000.0, 3100.0),
        level(10000, 9000.0, 40000.0),
        knee,
        entry("store/put/latency_p99", Verdict::Pass, 0.0),
    ]);
    let curves = cargo_perfgate::report::curves::curves(&comparison);
    assert_eq!(curves.len(), 1);
    let curve = &curves[0];
    let rates: Vec<f64> = curve.levels.iter().map(|l| l.0).collect();
    assert_eq!(rates, [1000.0, 5000.0, 10000.0]);
    let line = cargo_perfgate::report::curves::describe(curve);
    assert!(line.contains("knee moved from 10000/s to 5000/s"), "{line}");
    assert!(
        line.contains("5000/s 4.000 µs → 9.000 µs (+125%)"),
        "{line}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(cargo_perfgate::report::curves::file_name(curve));
    cargo_perfgate::report::curves::write_svg(&path, curve).unwrap();
    assert!(path.ends_with("store_put_levels.svg"));
    assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
    let table = Table.render(&comparison);
    assert!(
        table.contains("degradation store/put_levels: knee moved"),
        "{table}"
    );
    let markdown = Markdown::comment().render(&comparison);
    assert!(markdown.contains("Degradation curves"), "{markdown}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// Every free-text field that reaches the comment is budgeted: whatever a compare.json holds
    /// (a 70,000-character location, machine, commit, warning, note, id or budget text, made
    /// of characters that escaping lengthens), the body stays within GitHub's 65,536.
    #[test]
    fn no_field_of_any_length_pushes_the_comment_over_githubs_limit(
        piece in proptest::prelude::prop_oneof![
            proptest::prelude::Just("a"), proptest::prelude::Just("<"), proptest::prelude::Just("@"),
            proptest::prelude::Just("|"), proptest::prelude::Just("é"), proptest::prelude::Just("\u{1}"),
            proptest::prelude::Just("`")
        ],
        length in 0usize..80_000,
        rows in 1usize..40,
    ) {
        let long = piece.repeat(length);
        let mut entries: Vec<Entry> = (0..rows)
            .map(|i| {
                let mut e = entry(&format!("{long}{i}"), Verdict::Regressed, 0.3);
                e.note = Some(long.clone());
                e.budgets = vec![BudgetCheck {
                    target: long.clone(),
                    warn_at: Some(long.clone()),
                    limit: 1.0,
                    actual: 2.0,
                    margin: -1.0,
                    status: "fail".into(),
                    note: Some(long.clone()),
                }];
                e.trend = vec![1.0, 2.0];
                e
            })
            .collect();
        entries.push(entry("quiet", Verdict::Pass, 0.0));
        let mut c = comparison(entries);
        c.warnings = vec![long.clone(); 30];
        c.method = long.clone();
        let b = c.baseline.as_mut().unwrap();
        b.location = long.clone();
        b.chosen_by = Some(long.clone());
        b.provenance.commit = Some(long.clone());
        b.provenance.machine.cpu_model = long.clone();
        b.provenance.machine.rustc = long.clone();
        c.machine.cpu_model = long.clone();
        let md = Markdown::comment().render(&c);
        proptest::prop_assert!(md.chars().count() <= 65_536, "{} characters", md.chars().count());
        proptest::prop_assert!(md.contains("perfgate"), "the verdict line is kept");
    }
}
