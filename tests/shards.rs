//! Sharding: a sharded run measures each benchmark exactly once, and merging the shards judges
//! them exactly as one unsharded comparison would (Holm over all of them, not per shard).

mod support;

use std::path::PathBuf;

use cargo_perfgate::run::shard::merge_runs;
use perfgate_format::Run;
use support::{json, output, run_envelope, timing, verdicts, Demo, Scratch};

/// A reproducible pseudo-random stream (xorshift), so the test data is the same on every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A run of `n` benchmarks: every fourth slower by 10%, every seventh by 3%, some faster.
fn run_json(n: usize, shifted: bool, noise: &mut Noise) -> serde_json::Value {
    let benchmarks: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let base = 1_000.0 * (1 + i % 13) as f64;
            let factor = match (shifted, i % 4, i % 7) {
                (false, _, _) => 1.0,
                (true, 0, _) => 1.10,
                (true, _, 0) => 1.03,
                (true, 1, _) if i % 3 == 0 => 0.90,
                _ => 1.0,
            };
            let samples: Vec<f64> = (0..30)
                .map(|_| base * factor * (0.97 + 0.06 * noise.next()))
                .collect();
            let mut sorted = samples.clone();
            sorted.sort_by(f64::total_cmp);
            serde_json::json!({
                "id": format!("group{}/bench-{i:04}", i % 5), "source": "criterion",
                "package": "demo-core", "target": "core", "unit": "ns",
                "direction": "lower-is-better", "samples": samples,
                "summary": {"n": 30, "median": (sorted[14] + sorted[15]) / 2.0,
                    "mean": sorted.iter().sum::<f64>() / 30.0, "min": sorted[0],
                    "max": sorted[29], "mad": 1.0}
            })
        })
        .collect();
    support::run_envelope(benchmarks)
}

#[test]
fn merging_four_shards_gives_the_verdicts_of_one_unsharded_comparison() {
    let demo = Demo::new();
    let mut noise = Noise(0x5eed);
    demo.write(
        "baseline.json",
        &run_json(200, false, &mut noise).to_string(),
    );
    let whole = run_json(200, true, &mut noise);
    demo.write("run.json", &whole.to_string());
    let judge = ["--against", "baseline.json", "--confirm", "never"];
    let (code, unsharded, stderr) = output(
        demo.perfgate()
            .args(["compare", "run.json", "--format", "json"])
            .args(judge),
    );
    assert_eq!(code, 3, "{stderr}");

    // Four shard files, split the way `--shard` would not: merging must not care how.
    let mut shard_files = Vec::new();
    for k in 0..4 {
        let mut shard = whole.clone();
        let mine: Vec<serde_json::Value> = whole["benchmarks"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 4 == k)
            .map(|(_, b)| b.clone())
            .collect();
        shard["benchmarks"] = serde_json::Value::Array(mine);
        shard["shard"] = serde_json::json!(format!("{}/4", k + 1));
        let file = format!("shard-{}.json", k + 1);
        demo.write(&file, &shard.to_string());
        shard_files.push(file);
    }
    let (code, merged, stderr) = output(
        demo.perfgate()
            .arg("merge")
            .args(&shard_files)
            .args(["--format", "json"])
            .args(judge),
    );
    assert_eq!(code, 3, "{stderr}");

    let (unsharded, merged) = (json(&unsharded), json(&merged));
    let table = |c: &serde_json::Value| -> Vec<String> {
        c["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {}",
                    e["id"], e["verdict"], e["change"], e["p_value"]
                )
            })
            .collect()
    };
    assert_eq!(table(&unsharded), table(&merged));
    assert_eq!(unsharded["counts"], merged["counts"]);
    let regressed = verdicts(&merged)
        .iter()
        .filter(|(_, v)| v == "regressed")
        .count();
    let improved = verdicts(&merged)
        .iter()
        .filter(|(_, v)| v == "improved")
        .count();
    assert!(regressed >= 40 && improved >= 10, "{regressed} {improved}");

    // Three of four shards, or a shard that failed, is never a pass.
    let (code, _, stderr) = output(
        demo.perfgate()
            .arg("merge")
            .args(&shard_files[..3])
            .args(judge),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("4/4") && stderr.contains("missing"),
        "{stderr}"
    );
    let mut failed = json(&demo.read("shard-2.json"));
    failed["errors"] =
        serde_json::json!([{"package": "demo-core", "target": "core", "message": "panicked"}]);
    demo.write("shard-2.json", &failed.to_string());
    let (code, stdout, _) = output(
        demo.perfgate()
            .arg("merge")
            .args(&shard_files)
            .args(["--format", "json"])
            .args(judge),
    );
    assert_eq!(code, 1);
    assert_eq!(json(&stdout)["verdict"], "error");
}

#[test]
fn real_shards_measure_each_benchmark_once_and_their_merge_keeps_the_confirmed_regression() {
    let demo = Demo::new();
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline");
    demo.slow_down("CHECKSUM_SLOWDOWN_PERCENT", 30);

    let mut measured = Vec::new();
    let mut files = Vec::new();
    for k in 1..=2 {
        let out = format!("shard-{k}");
        let (code, _, stderr) = output(demo.perfgate().args([
            "check",
            "--quick",
            "--shard",
            &format!("{k}/2"),
            "--out-dir",
            &out,
        ]));
        assert!(code == 0 || code == 3, "{stderr}");
        let run = json(&demo.read(&format!("{out}/run.json")));
        assert_eq!(run["shard"], format!("{k}/2"));
        for b in run["benchmarks"].as_array().unwrap() {
            measured.push(b["id"].as_str().unwrap().to_string());
        }
        files.push(format!("{out}/run.json"));
    }
    measured.sort();
    assert_eq!(
        measured,
        ["checksum/1k", "index/build", "parse/1000_lines"],
        "each benchmark in exactly one shard"
    );

    // The merge cannot re-measure; it uses the confirmation the shard's check kept in run.json.
    let (code, stdout, stderr) = output(
        demo.perfgate()
            .arg("merge")
            .args(&files)
            .args(["--format", "json"]),
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    let checksum = support::entry(&compare, "checksum/1k");
    assert_eq!(checksum["verdict"], "regressed", "{checksum}");
    assert_eq!(checksum["method"], "confirmed", "{checksum}");
}

#[test]
fn shards_of_different_commits_are_refused_and_a_dirty_shard_keeps_the_merge_dirty() {
    use cargo_perfgate::run::shard::merge_runs;
    let shard = |index: u32, commit: &str, dirty: bool| {
        let mut run = run_envelope(vec![timing(&format!("b/{index}"), 1000.0)]);
        run["shard"] = format!("{index}/2").into();
        run["git"] = serde_json::json!({"commit": commit, "dirty": dirty});
        (
            PathBuf::from(format!("shard-{index}/run.json")),
            serde_json::from_value::<perfgate_format::Run>(run).unwrap(),
        )
    };
    let err = merge_runs(&[shard(1, "aaaa", false), shard(2, "bbbb", false)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("same commit"), "{err}");
    let merged = merge_runs(&[shard(1, "aaaa", false), shard(2, "aaaa", true)]).unwrap();
    assert!(merged.git.unwrap().dirty);
}

#[test]
fn a_merge_of_shards_from_two_machines_says_so_and_trusts_no_stored_figure() {
    let scratch = Scratch::new();
    for index in 1..=2 {
        let mut run = run_envelope(vec![timing(&format!("b/{index}"), 1000.0)]);
        run["shard"] = format!("{index}/2").into();
        if index == 2 {
            run["machine"]["cpu_model"] = "Another CPU".into();
        }
        scratch.write(&format!("shard{index}.json"), &run.to_string());
    }
    scratch.write(
        "baseline.json",
        &run_envelope(vec![timing("b/1", 1000.0), timing("b/2", 1000.0)]).to_string(),
    );
    let (code, stdout, stderr) = output(scratch.perfgate().args([
        "merge",
        "shard1.json",
        "shard2.json",
        "--against",
        "baseline.json",
        "--format",
        "json",
    ]));
    // The baseline's machine is shard 1's: shard 2's stored figures are not judged.
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let compare = json(&stdout);
    assert_eq!(compare["baseline"]["machine_differs"], true, "{compare}");
    assert!(
        compare["warnings"]
            .to_string()
            .contains("2 different machines"),
        "{compare}"
    );
}

/// A run of `ids` (criterion timings around 2 ns) as shard `shard` wrote it.
fn run_with(ids: &[&str], shard: Option<&str>) -> Run {
    let benchmarks = ids.iter().map(|id| timing(id, 2.0)).collect();
    let mut run: Run = serde_json::from_value(run_envelope(benchmarks)).unwrap();
    run.shard = shard.map(Into::into);
    run
}

#[test]
fn merging_all_shards_gives_the_unsharded_benchmarks_and_a_missing_shard_is_an_error() {
    let shards: Vec<(std::path::PathBuf, Run)> = (1..=4)
        .map(|i| {
            (
                format!("s{i}.json").into(),
                run_with(
                    &[&format!("b{i}"), &format!("c{i}")],
                    Some(&format!("{i}/4")),
                ),
            )
        })
        .collect();
    let merged = merge_runs(&shards).unwrap();
    let ids: Vec<&str> = merged.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["b1", "b2", "b3", "b4", "c1", "c2", "c3", "c4"]);
    let err = merge_runs(&shards[..3]).unwrap_err().to_string();
    assert!(err.contains("4/4") && err.contains("missing"), "{err}");
}
