#!/usr/bin/env bash
# What the stability gate catches at default settings: the gauge suite (fixtures/gauge) in a
# copy of the demo, its baseline saved once at full length, then the gate run RUNS times on a
# work tree that turns all three knobs at once (a 3 µs spin per operation in `op`, a 300 µs
# slowdown after the soak's first second, an error in every 50 operations of `op_errors`), and
# RUNS times on the unchanged tree. Prints each run's exit code, wall time and the verdicts of
# the metrics each knob should move.
#
#   RUNS=5 LOAD=0 scripts/stability-catch.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
. "$root/scripts/lib/measure.sh"
demo_copy "$work" whole
cd "$work"
cp "$root/fixtures/gauge/stability.rs" benches/stability.rs
: > perfgate.toml
export CARGO_TARGET_DIR="$work/target" CI=true
g() { git -c user.name=catch -c user.email=catch@localhost "$@"; }
g init -q -b main && g add -A && g commit -qm gauge
"$perfgate" perfgate baseline save --bench stability >/dev/null 2>&1
g add -A && g commit -qm baseline
knobs() {
  sed -i -E "s/SPIN_NS: u64 = [0-9_]+/SPIN_NS: u64 = $1/; s/SOAK_SLOWS: bool = [a-z]+/SOAK_SLOWS: bool = $2/; s/ERROR_EVERY: u64 = [0-9]+/ERROR_EVERY: u64 = $3/" benches/stability.rs
}
[ "${LOAD:-0}" = 1 ] && start_load
for case in changed unchanged; do
  if [ "$case" = changed ]; then knobs 3_000 true 50; else knobs 0 false 0; fi
  for run in $(seq "$runs"); do
    begun=$(date +%s.%N)
    code=0
    "$perfgate" perfgate check --bench stability --format json > compare.json 2>/dev/null || code=$?
    wall=$(echo "$(date +%s.%N) - $begun" | bc)
    verdicts=$(python3 -c "
import json, collections
c = json.load(open('compare.json'))
v = {e['id']: e['verdict'] for e in c['entries']}
watch = ['gauge/op_errors/error_rate', 'gauge/op/latency_p50', 'gauge/op/cpu_per_op', 'gauge/op_soak/cpu_per_op', 'gauge/op_soak/latency_mean', 'gauge/op_soak/latency_p99']
counts = collections.Counter(v.values())
print(' '.join(f'{w.split(\"/\", 1)[1]}={v.get(w)}' for w in watch), '|', ' '.join(f'{k}={n}' for k, n in sorted(counts.items())))")
    printf '%-9s run %2d: exit %s, %5.1f s: %s\n' "$case" "$run" "$code" "$wall" "$verdicts"
  done
done
