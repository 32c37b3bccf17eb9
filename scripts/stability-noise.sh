#!/usr/bin/env bash
# False alarms of the stability gate on this machine: the demo's stability suite (the store
# under load, spike, soak, leak, degradation and concurrency), its baseline saved once, then the
# gate run RUNS times on the same code. Flagged metrics are re-measured in quick-suite rounds
# against a build of the baseline's commit. Prints each run's verdict counts, exit code and wall
# time; a no-change run should show no `regressed` (and exit 0).
#
#   RUNS=10 MODE= OTHER_MACHINE=0 scripts/stability-noise.sh
#
# MODE=--quick runs the suite in quick mode; OTHER_MACHINE=1 marks the committed baseline as
# measured on another machine, so every flag must be re-measured here to get a verdict.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
mode=${MODE:-}
. "$root/scripts/lib/measure.sh"
demo_copy "$work" whole
cd "$work"
export CARGO_TARGET_DIR="$work/target" CI=true
g() { git -c user.name=noise -c user.email=noise@localhost "$@"; }
g init -q -b main && g add -A && g commit -qm demo
"$perfgate" perfgate baseline save $mode --bench stability >/dev/null 2>&1
if [ "${OTHER_MACHINE:-0}" = 1 ]; then
  python3 - baselines/default.json <<'PY'
import json, sys
p = sys.argv[1]
b = json.load(open(p))
b["provenance"]["machine"]["cpu_model"] = "Another CPU"
json.dump(b, open(p, "w"))
PY
fi
g add -A && g commit -qm baseline

for run in $(seq 1 "$runs"); do
  begun=$(date +%s)
  set +e
  "$perfgate" perfgate check $mode --bench stability --format json >compare.json 2>/dev/null
  code=$?
  set -e
  python3 - compare.json "$run" "$code" "$(( $(date +%s) - begun ))" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
counts = {k: v for k, v in c["counts"].items() if v and k != "total"}
confirmed = sum(1 for e in c["entries"] if e.get("method") == "confirmed")
flagged = [e["id"].split("/", 1)[1] for e in c["entries"] if e["verdict"] not in ("pass", "new")]
print(f"run {sys.argv[2]}: exit {sys.argv[3]}, {sys.argv[4]} s, {counts}, {confirmed} re-measured; not pass: {flagged}")
PY
  rm -f compare.json
done
