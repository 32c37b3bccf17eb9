#!/usr/bin/env bash
# The stability gate at default settings, as a new user meets it: a copy of the demo's
# criterion workspace, `cargo perfgate init` (the example stability suite, the harness from this
# checkout), `baseline save`, commit, then the gate RUNS times on unchanged code. Prints each
# run's exit code, verdict counts over the suite's metrics and wall time, and the suite's own
# run time (`cargo bench --bench perfgate_stability`) for the gate-wall ratio.
#
#   RUNS=20 LOAD=0 PR=0 LOG=file.jsonl scripts/stability-defaults.sh
#
# LOAD=1 keeps one CPU-bound process busy throughout (a shared runner's neighbour). PR=1 runs
# the gate as in a pull request (GITHUB_BASE_REF=main; an untracked file in the package keeps
# the suite measured, not set aside as an identical executable). LOG appends one JSON line per
# metric and run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-20}
log=${LOG:-/dev/null}
. "$root/scripts/lib/measure.sh"

demo_copy "$work" criterion
rm -f "$work/perfgate.toml"
cd "$work"
export CARGO_TARGET_DIR="$work/target" CI=true
g() { git -c user.name=stab -c user.email=stab@localhost "$@"; }
g init -q -b main
"$perfgate" perfgate init --harness-path "$root/crates/perfgate-harness" >/dev/null
g add -A && g commit -qm "demo with perfgate init"
cargo bench --quiet --bench perfgate_stability --no-run 2>/dev/null
begun=$(date +%s.%N)
cargo bench --quiet --bench perfgate_stability >/dev/null 2>&1
suite_wall=$(echo "$(date +%s.%N) - $begun" | bc)
"$perfgate" perfgate baseline save --bench perfgate_stability >/dev/null 2>&1
g add -A && g commit -qm baseline
[ "${PR:-0}" = 1 ] && export GITHUB_BASE_REF=main && echo "measured, not set aside" > stability-note.txt
[ "${LOAD:-0}" = 1 ] && start_load
printf 'suite alone: %.1f s; load %s, pull request %s\n' "$suite_wall" "${LOAD:-0}" "${PR:-0}"
for run in $(seq "$runs"); do
  begun=$(date +%s.%N)
  code=0
  "$perfgate" perfgate check --bench perfgate_stability --format json > "$work/compare.json" 2>"$work/stderr.txt" || code=$?
  wall=$(echo "$(date +%s.%N) - $begun" | bc)
  counts=$(python3 -c "
import json, collections
entries = json.load(open('$work/compare.json'))['entries']
log = open('$log', 'a')
for e in entries:
    log.write(json.dumps({'run': $run, **e}) + '\n')
c = collections.Counter(e['verdict'] for e in entries)
bad = [e['id'] + ' ' + e['verdict'] for e in entries if e['verdict'] not in ('pass', 'improved')]
print(' '.join(f'{k}={v}' for k, v in sorted(c.items())), '|', '; '.join(bad[:6]))" 2>/dev/null || echo "no compare.json: $(tail -2 "$work/stderr.txt")")
  printf 'run %2d: exit %s, %5.1f s (%.2f× the suite): %s\n' "$run" "$code" "$wall" "$(echo "$wall / $suite_wall" | bc -l)" "$counts"
done
