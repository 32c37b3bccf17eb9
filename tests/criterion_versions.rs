//! The gate over every criterion version it supports, 0.3 to 0.8: one package pinned to each
//! (`fixtures/criterion-versions`, `crit-v07` importing criterion under another name), real
//! cargo, real criterion, a real git repository.

mod support;

use support::{json, output, verdicts, Demo};

const PACKAGES: [&str; 6] = [
    "crit-v03", "crit-v04", "crit-v05", "crit-v06", "crit-v07", "crit-v08",
];

/// Every package names its benchmarks alike, so each id carries its package and target.
fn id(package: &str, benchmark: &str) -> String {
    format!("{package}::speed::{benchmark}")
}

#[test]
fn every_criterion_version_is_measured_gated_green_and_a_slowdown_is_confirmed_red() {
    let fixture = Demo::criterion_versions();
    let (code, _, stderr) = output(fixture.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "baseline save failed: {stderr}");
    fixture.commit("baseline");

    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["check", "--quick", "--format", "json"]),
    );
    assert_eq!(code, 0, "no change should pass: {stdout}\n{stderr}");
    let compare = json(&stdout);
    let seen = verdicts(&compare);
    assert_eq!(seen.len(), 18, "3 benchmarks per version: {seen:?}");
    for package in PACKAGES {
        for benchmark in ["checksum/1k", "fold/64", "fold/256"] {
            let entry = support::entry(&compare, &id(package, benchmark));
            assert_ne!(entry["verdict"], "regressed", "{package}: {entry}");
            assert_ne!(entry["verdict"], "error", "{package}: {entry}");
            assert_eq!(entry["unit"], "ns", "{package}: {entry}");
        }
        // Criterion's throughput declaration is read from every version's files.
        let checksum = support::entry(&compare, &id(package, "checksum/1k"));
        assert_eq!(
            checksum["throughput"]["unit"], "bytes",
            "{package}: {checksum}"
        );
        assert_eq!(checksum["throughput"]["per_iteration"], 1024.0, "{package}");
    }

    // Same build, no rebuild: the shards.
    shards_list_every_version_and_merge_into_the_ids_of_one_run(&fixture);

    // Checksum does twice the work in every package, as a pull request: each version's
    // benchmark is measured by the rounds alone (listed in each version's form, its id
    // prefixed by the collision; criterion 0.3 only takes whole seconds) and confirmed.
    // crit-v08 is left as it was: its executable stays byte-identical to the baseline side's,
    // so it is unchanged by construction and not measured.
    fixture.git(&["checkout", "-q", "-b", "pr"]);
    let (changed, untouched) = PACKAGES.split_at(PACKAGES.len() - 1);
    for package in changed {
        let lib = format!("{}/src/lib.rs", &package["crit-".len()..]);
        fixture.edit(
            &lib,
            "pub const EXTRA_PASSES: u32 = 0;",
            "pub const EXTRA_PASSES: u32 = 1;",
        );
    }
    fixture.commit("checksum does twice the work");
    let (code, stdout, stderr) = output(
        fixture
            .perfgate()
            .args(["check", "--quick", "--format", "json", "checksum"])
            .env("GITHUB_BASE_REF", "main"),
    );
    assert_eq!(code, 3, "a 2x slowdown should fail: {stdout}\n{stderr}");
    assert!(
        stderr.contains("listed, to be measured in rounds"),
        "{stderr}"
    );
    let compare = json(&stdout);
    for package in untouched {
        let entry = support::entry(&compare, &id(package, "checksum/1k"));
        assert_eq!(entry["verdict"], "pass", "{package}: {entry}");
        assert_eq!(entry["method"], "identical", "{package}: {entry}");
    }
    for package in changed {
        let entry = support::entry(&compare, &id(package, "checksum/1k"));
        assert_eq!(entry["verdict"], "regressed", "{package}: {entry}");
        assert_eq!(entry["method"], "confirmed", "{package}: {entry}");
        let change = entry["change"].as_f64().unwrap();
        assert!((0.5..1.6).contains(&change), "{package}: change {change}");
    }
}

/// `--shard` lists every version's benchmarks (`<id>: bench` or `<id>: benchmark`), and the
/// merged shards carry the ids one unsharded run gives.
fn shards_list_every_version_and_merge_into_the_ids_of_one_run(fixture: &Demo) {
    // The merge decides on stored samples alone (`--confirm never`), so a loaded machine's
    // few-percent noise can read as a regression: what this checks is the ids.
    let runs = fixture.two_shards_merged();
    for run in &runs {
        assert!(!fixture.run_ids(run).is_empty(), "{run} measured nothing");
    }
    let mut expected: Vec<String> = PACKAGES
        .iter()
        .flat_map(|p| ["checksum/1k", "fold/64", "fold/256"].map(|b| id(p, b)))
        .collect();
    expected.sort();
    assert_eq!(fixture.run_ids("target/merged/run.json"), expected);
}
