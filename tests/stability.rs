//! Stability suites in the gate: the demo's store under the perfgate harness, with budgets.

mod support;

use support::{json, output, Demo};

fn verdict_of(compare: &serde_json::Value, id: &str) -> String {
    support::entry(compare, id)["verdict"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_leaking_store_fails_its_heap_budget_and_the_healthy_one_keeps_it() {
    let demo = Demo::with_stability();
    let (code, _, stderr) = output(demo.perfgate().args(["baseline", "save", "--quick"]));
    assert_eq!(code, 0, "{stderr}");
    demo.commit("baseline");

    let (code, stdout, stderr) = output(demo.perfgate().args([
        "check",
        "--quick",
        "--format",
        "json",
        "--bench",
        "stability",
    ]));
    assert_ne!(code, 1, "{stderr}");
    let healthy = json(&stdout);
    assert_eq!(
        verdict_of(&healthy, "store/put_leak/heap_growth_per_op_low"),
        "pass"
    );
    assert_eq!(verdict_of(&healthy, "store/put/error_rate"), "pass");
    let run = json(&std::fs::read_to_string(demo.target.join("perfgate/run.json")).unwrap());
    let ids: Vec<&str> = run["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    for expected in [
        "store/put/latency_p99",
        "store/put/throughput",
        "store/put/cpu_per_op",
        "store/put/allocations_per_op",
        "store/put_spike/degradation",
        "store/put_spike/recovery_time",
        "store/put_soak/latency_drift",
        "store/put_soak/heap_growth",
        "store/put_leak/heap_growth_per_op",
        "store/put_levels/breakpoint",
        "store/put_concurrent/panics",
    ] {
        assert!(ids.contains(&expected), "{expected} missing from {ids:?}");
    }

    let (code, stdout, stderr) = output(demo.perfgate().args([
        "check",
        "--quick",
        "--format",
        "json",
        "--bench",
        "stability",
        "--features",
        "leak",
    ]));
    assert_eq!(code, 3, "a leak must fail the gate: {stderr}");
    let leaking = json(&stdout);
    assert_eq!(
        verdict_of(&leaking, "store/put_leak/heap_growth_per_op_low"),
        "budget-fail"
    );
}
