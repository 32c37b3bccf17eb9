#!/usr/bin/env bash
# A/A spread of a stability suite's metrics on this machine: the suite run RUNS times on the
# same build, and for each metric the spread of the change between two runs (every pair of
# runs: relative for most metrics, in points for fractions), which is what stage one of the
# gate sees between a stored baseline and an unchanged run. The measurement behind the
# harness metrics' default thresholds (README, "Default thresholds of stability metrics").
#
#   RUNS=8 SUITE=example|demo|self LOAD=0 MODE= OUT=file.json scripts/stability-aa.sh
#
# SUITE=example is the suite `cargo perfgate init` writes (a mutex-guarded map insert, ~100 ns),
# SUITE=demo the demo's store suite, SUITE=self this repository's own (benches/stability.rs).
# MODE=--quick runs them shortened (as the confirm stage's
# rounds do). LOAD=1 keeps one CPU-bound process busy throughout. OUT keeps every run's values.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-8}
suite=${SUITE:-example}
mode=${MODE:-}
. "$root/scripts/lib/measure.sh"
export CARGO_TARGET_DIR="$work/target"
if [ "$suite" = self ]; then
  # This repository's own suite, built in its own target directory (shared with $perfgate).
  ln -s "$root" "$work/ws"
  export CARGO_TARGET_DIR="$root/target"
  bench=stability
elif [ "$suite" = demo ]; then
  demo_copy "$work/ws" whole
  bench=stability
else
  demo_copy "$work/ws" criterion
  (cd "$work/ws" && "$perfgate" perfgate init --harness-path "$root/crates/perfgate-harness" >/dev/null)
  bench=perfgate_stability
fi
cd "$work/ws"
cargo bench --quiet --bench "$bench" --no-run 2>/dev/null
[ "${LOAD:-0}" = 1 ] && start_load
for run in $(seq "$runs"); do
  PERFGATE_OUTPUT="$work/run-$run.json" cargo bench --quiet --bench "$bench" -- $mode >/dev/null 2>&1
done
stop_load
python3 - "$work" "$runs" "${OUT:-}" <<'PY'
import json, sys, itertools, statistics
work, runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
values = {}
units = {}
for r in range(1, runs + 1):
    for m in json.load(open(f"{work}/run-{r}.json")):
        values.setdefault(m["id"], []).append(m["summary"]["median"])
        units[m["id"]] = m["unit"]
if out:
    json.dump({"units": units, "values": values}, open(out, "w"))
print(f"{'metric':52} {'median':>12} {'p50|Δ|':>9} {'p90|Δ|':>9} {'max|Δ|':>9}")
for mid, vs in values.items():
    deltas = []
    for a, b in itertools.permutations(vs, 2):
        if units[mid] == "ratio":
            deltas.append(abs(b - a) * 100)
        elif a != 0:
            deltas.append(abs(b / a - 1) * 100)
        elif b != 0:
            deltas.append(float("inf"))
        else:
            deltas.append(0.0)
    deltas.sort()
    q = lambda p: deltas[min(len(deltas) - 1, int(p * len(deltas)))]
    suffix = " pp" if units[mid] == "ratio" else "%"
    print(f"{mid:52} {statistics.median(vs):12.4g} {q(0.5):8.1f}{suffix} {q(0.9):8.1f}{suffix} {max(deltas):8.1f}{suffix}")
PY
