//! Every reader of outside data, fed arbitrary and mutated input: it never panics, and when it
//! refuses the input its message names the file. Mutations start from a valid document and
//! flip, insert, delete or cut bytes, so most inputs are nearly right, where parsers break.

mod support;

use std::path::Path;

use cargo_perfgate::{artifacts, baseline, config::Policy, github, history, run};
use proptest::prelude::*;
use support::{run_envelope, timing};

const CASES: u32 = 1_000;

/// A valid document and a list of byte edits applied to it, in order.
fn mutated(valid: String) -> impl Strategy<Value = String> {
    let edits = prop::collection::vec((0usize..4, any::<prop::sample::Index>(), any::<u8>()), 1..6);
    edits.prop_map(move |edits| {
        let mut bytes = valid.clone().into_bytes();
        for (kind, at, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                2 => {
                    bytes.remove(i);
                }
                _ => bytes.truncate(i),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn valid_run() -> String {
    run_envelope(vec![timing("a/b", 1000.0), timing("c", 12.5)]).to_string()
}

fn valid_baseline() -> String {
    let run: perfgate_format::Run = serde_json::from_str(&valid_run()).unwrap();
    baseline::render(&baseline::from_run(&run, "default")).unwrap()
}

fn written(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn baselines(text in prop_oneof![mutated(valid_baseline()), mutated(valid_run()), ".*"]) {
        if let Err(e) = baseline::parse(&text, "baselines/fuzz.json") {
            prop_assert!(e.to_string().contains("baselines/fuzz.json"), "{e}");
        }
    }

    #[test]
    fn run_compare_and_noise_files(text in prop_oneof![mutated(valid_run()), ".*"]) {
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path(), "fuzz.json", &text);
        let name = path.display().to_string();
        if let Err(e) = artifacts::read_run(&path) {
            prop_assert!(e.to_string().contains(&name), "{e}");
        }
        if let Err(e) = artifacts::read_comparison(&path) {
            prop_assert!(e.to_string().contains(&name), "{e}");
        }
        let noise: Result<perfgate_format::Noise, _> =
            artifacts::read_versioned(&path, "noise.json", perfgate_format::NOISE_SCHEMA);
        if let Err(e) = noise {
            prop_assert!(e.to_string().contains(&name), "{e}");
        }
    }

    /// One rule for entries, whoever reads them: a run.json, the same file read as a baseline,
    /// and its entries as a suite's results file are accepted or refused together.
    #[test]
    fn every_reader_of_entries_agrees(
        entries in prop::collection::vec(
            (
                0usize..3,
                prop_oneof![Just("criterion"), Just("stability")],
                prop_oneof![Just("ns"), Just("ops/s"), Just("ratio"), Just("B")],
                prop::collection::vec(prop_oneof![-1e3..1e6f64, Just(0.0), Just(1e300)], 0..6),
                prop::option::of(-1e3..1e6f64),
            ),
            1..4,
        )
    ) {
        let benchmarks: Vec<serde_json::Value> = entries
            .iter()
            .map(|(id, source, unit, samples, median)| {
                let mut sorted = samples.clone();
                sorted.sort_by(f64::total_cmp);
                let true_median = cargo_perfgate::stats::median(&sorted);
                let median = median.unwrap_or(if true_median.is_finite() { true_median } else { 0.0 });
                serde_json::json!({
                    "id": format!("b{id}"), "source": source, "package": "p", "target": "t",
                    "unit": unit, "samples": samples,
                    "summary": {"n": samples.len(), "median": median, "mean": median,
                        "min": 0.0, "max": 0.0, "mad": 0.0}
                })
            })
            .collect();
        let text = run_envelope(benchmarks.clone()).to_string();
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path(), "run.json", &text);
        let as_run = artifacts::read_run(&path).is_ok();
        let as_baseline = baseline::parse(&text, "baselines/run.json").is_ok();
        let results = serde_json::Value::Array(benchmarks).to_string();
        let as_results = run::stability::parse_results(&results, Path::new("r.json")).is_ok();
        prop_assert_eq!(as_run, as_baseline, "run.json vs baseline: {}", text);
        prop_assert_eq!(as_run, as_results, "run.json vs suite results: {}", text);
    }

    #[test]
    fn perfgate_toml(text in prop_oneof![
        mutated("[gate]\nthreshold = \"5%\"\nconfirm = \"auto\"\nunconfirmed = \"warn\"\nas_users_run = 3\n[thresholds]\n\"a/*\" = \"10%\"\n[budgets]\n\"a/b\" = \"< 20ms\"\n".to_string()),
        ".*",
    ]) {
        if let Err(e) = Policy::from_toml(&text, "fuzz/perfgate.toml") {
            prop_assert!(e.to_string().contains("fuzz/perfgate.toml"), "{e}");
        }
    }

    #[test]
    fn harness_results(text in prop_oneof![
        mutated(serde_json::to_string(&run_envelope(vec![timing("s/m", 3.0)])["benchmarks"]).unwrap()),
        ".*",
    ]) {
        let path = Path::new("target/perfgate/stability/fuzz.json");
        if let Err(e) = run::stability::parse_results(&text, path) {
            prop_assert!(e.contains("fuzz.json"), "{e}");
        }
    }

    #[test]
    fn criterion_list_output(text in prop_oneof![
        mutated("a/b: benchmark\nc: benchmark\n".to_string()),
        mutated("a/b: bench\n".to_string()),
        ".*",
    ]) {
        let _ = run::criterion::parse_list(&text);
    }

    #[test]
    fn github_event_payloads(text in prop_oneof![
        mutated(r#"{"pull_request":{"number":7},"workflow_run":{"head_sha":"abc","pull_requests":[{"number":3}]}}"#.to_string()),
        ".*",
    ]) {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            let _ = github::pull_request_of(&value);
        }
    }

    #[test]
    fn acceptance_and_push_events(text in prop_oneof![
        mutated(r#"{"action":"labeled","label":{"name":"perfgate:accept"},"sender":{"login":"a"},"pull_request":{"number":7,"labels":[{"name":"perfgate:accept"}]},"ref":"refs/heads/main","repository":{"default_branch":"main"}}"#.to_string()),
        ".*",
    ], event in prop_oneof![Just("pull_request".to_string()), Just("push".to_string()), ".*"]) {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(accepted) = github::acceptance_in(&event, &value, "perfgate:accept") {
                prop_assert!(event == "pull_request");
                if let Ok(accepted) = accepted {
                    prop_assert_eq!(accepted.label, "perfgate:accept");
                    prop_assert!(value["action"] == "labeled");
                }
            }
            let _ = github::default_branch_push_in(&event, "refs/heads/main", &value);
        }
    }

    #[test]
    fn history_notes(text in prop_oneof![
        mutated(format!("{}\n{}\n", history_line(), history_line())),
        ".*",
    ]) {
        let (records, skipped) = history::parse_note(&text);
        prop_assert!(records.len() + skipped <= text.lines().count());
        prop_assert!(records.iter().all(|r| r.benchmarks.iter().all(|p| p.median.is_finite())));
    }
}

/// One valid history record, as a note line.
fn history_line() -> String {
    let run: perfgate_format::Run =
        serde_json::from_value(run_envelope(vec![timing("a/b", 1000.0)])).unwrap();
    serde_json::to_string(&history::Record::of(&run).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES / 4, ..ProptestConfig::default() })]

    #[test]
    fn criterion_files(
        benchmark in prop_oneof![mutated(r#"{"group_id":"g","function_id":null,"value_str":null,"throughput":null,"full_id":"g/f","directory_name":"g_f","title":"g/f"}"#.to_string()), ".*"],
        sample in prop_oneof![mutated(r#"{"sampling_mode":"Linear","iters":[10.0,20.0,30.0],"times":[10000.0,20400.0,29700.0]}"#.to_string()), ".*"],
    ) {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("g_f/new");
        std::fs::create_dir_all(&dir).unwrap();
        written(&dir, "benchmark.json", &benchmark);
        written(&dir, "sample.json", &sample);
        if let Err(e) = run::criterion::collect(home.path()) {
            prop_assert!(e.to_string().contains("g_f/new"), "{e}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Divan's printed tree (a real one, 0.1.21: thread counts, arguments, generic types, the
    /// allocation profiler), mutated: read or refused with the line, never a panic.
    #[test]
    fn divan_trees(text in prop_oneof![
        mutated(include_str!("data/divan-0.1.21-tree.txt").to_string()),
        "[ a-z0-9.:│├╰─µ\n]{0,400}",
    ]) {
        if let Err(e) = run::divan::parse_output(&text) {
            prop_assert!(e.contains("divan output line"), "{e}");
        }
        let _ = run::divan::selector(&text);
        let _ = run::divan::duration_ns(&text);
        let _ = run::divan::bytes(&text);
    }

    /// Gungraun's summary (a real one, schema 7) and its list, mutated.
    #[test]
    fn gungraun_summaries_and_lists(
        summary in prop_oneof![
            mutated(include_str!("data/gungraun-0.20.0-summary.json").to_string()),
            ".*",
        ],
        list in prop_oneof![mutated("counts::g::f::short: benchmark\ncounts::g::v: benchmark\n".to_string()), ".*"],
    ) {
        let _ = run::gungraun::read_summary(&summary);
        if let Err(e) = run::gungraun::parse_list(&list) {
            prop_assert!(e.contains("gungraun's list, line"), "{e}");
        }
    }
}
