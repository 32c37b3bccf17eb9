#!/usr/bin/env bash
# What the gate costs and decides on a divan fixture (fixtures/divan, or FIXTURE=divan-legacy),
# at full length (no --quick): the fixture's own `cargo bench` run, `baseline save`, then RUNS
# pull requests through the rounds (GITHUB_BASE_REF) on unchanged speed (the package touched,
# so nothing is set aside as unchanged) and RUNS with the fixture's 30% knob turned. Prints each
# run's exit code, wall time and verdict counts; LOAD=1 keeps one core busy throughout.
#
#   RUNS=10 LOAD=0 FIXTURE=divan scripts/divan-gate.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
fixture=${FIXTURE:-divan}
. "$root/scripts/lib/measure.sh"
cp -r "$root/fixtures/$fixture/." "$work/"
rm -rf "$work/target"
cd "$work"
export CARGO_TARGET_DIR="$work/target" CI=true
g() { git -c user.name=divan -c user.email=divan@localhost "$@"; }
g init -q -b main && g add -A && g commit -qm fixture
cargo bench --no-run --quiet 2>/dev/null
[ "${LOAD:-0}" = 1 ] && start_load
seconds() { local begun=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; echo "$(date +%s.%N) - $begun" | bc; }
for i in 1 2 3; do printf 'cargo bench (divan alone): %5.1f s\n' "$(seconds cargo bench --quiet)"; done
printf 'baseline save: %5.1f s\n' "$(seconds "$perfgate" perfgate baseline save)"
g add -A && g commit -qm baseline
g checkout -q -b pr
for case in unchanged slowed; do
  for run in $(seq "$runs"); do
    if [ "$case" = unchanged ]; then
      printf '\npub fn touched_%s() -> u32 { %s }\n' "$run" "$run" >> src/lib.rs
    else
      g checkout -q main -- src/lib.rs
      sed -i -E 's/EXTRA_ROUNDS: u32 = [0-9]+/EXTRA_ROUNDS: u32 = 3/' src/lib.rs
      printf '\npub fn touched_%s() -> u32 { %s }\n' "$run" "$run" >> src/lib.rs
    fi
    g commit -qam "$case $run"
    begun=$(date +%s.%N)
    code=0
    GITHUB_BASE_REF=main "$perfgate" perfgate check --format json > compare.json 2>/dev/null || code=$?
    wall=$(echo "$(date +%s.%N) - $begun" | bc)
    verdicts=$(python3 -c "
import json, collections
c = json.load(open('compare.json'))
counts = collections.Counter(e['verdict'] for e in c['entries'])
slowed = [e for e in c['entries'] if 'checksum' in e['id'] or 'mix' in e['id']]
others = [f\"{e['id'].split('::', 1)[1]}={e['verdict']}({(e.get('change') or 0) * 100:+.1f}% {e.get('method')} {(e.get('note') or '')[:160]})\" for e in c['entries'] if e not in slowed and e['verdict'] != 'pass']
print(' '.join(f'{k}={n}' for k, n in sorted(counts.items())), '|', ' '.join(f\"{e['id'].split('::', 1)[1]}={e['verdict']}({e['change'] * 100:+.1f}%)\" for e in slowed if e.get('change') is not None and '/' not in e['id']), '| others:', ' '.join(others) or '-')")
    printf '%-9s run %2d: exit %s, %5.1f s: %s\n' "$case" "$run" "$code" "$wall" "$verdicts"
  done
done
