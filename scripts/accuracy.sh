#!/usr/bin/env bash
# Accuracy of the gate on this machine: the demo's three criterion benchmarks (~1 µs CPU,
# ~50-100 µs parse, allocation-heavy index build) slowed by 0/3/5/10% at code level, the full
# gate run N times at each level, side by side with criterion's own `--baseline` verdicts on
# the same builds. Prints verdict counts and wall times.
#
#   RUNS=10 LEVELS="0 3 5 10" MODE=--quick THRESHOLD=5% CONFIRM=auto CRITERION=1 LOAD=0 scripts/accuracy.sh
#
# LOAD=1 keeps one CPU-bound process busy in the background while the gate runs (a shared CI
# runner's neighbour); SAVE_LOAD=1 does the same while the baseline is saved, so the baseline's
# phase and the gate's can differ. PR=1 runs the gate as in a pull request (GITHUB_BASE_REF=main:
# the rounds are then the measurement of every benchmark; an untracked file in the package keeps
# an unchanged level from being set aside as identical executables). Each level also prints the gate's exit codes: a
# no-change level should show only 0 (a 1 is a run that could not measure, a 3 a false alarm).
#
# AS_USERS_RUN (default 1) is `gate.as_users_run`: how many criterion benchmarks a pull request
# run (PR=1, a MODE other than --quick) also runs as `cargo bench` runs them; each level then
# prints how many pairs read beyond the rounds and how many benchmarks that made `regressed`.
#
# THRESHOLD is the gate's minimum effect (written to the copy's perfgate.toml); CRITERION=0
# skips criterion's own comparison (it costs a full criterion run per repetition); LOG=file
# appends one JSON line per benchmark and run (level, verdict, change, confirmation with its
# per-round ratios) for a closer look afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
levels=${LEVELS:-"0 3 5 10"}
mode=${MODE:---quick}
threshold=${THRESHOLD:-5%}
confirm=${CONFIRM:-auto}
with_criterion=${CRITERION:-1}
log=${LOG:-/dev/null}
. "$root/scripts/lib/measure.sh"

demo_copy "$work" criterion
rm -f "$work/perfgate.toml"
printf '[gate]\nthreshold = "%s"\nconfirm = "%s"\nas_users_run = %s\n' "$threshold" "$confirm" "${AS_USERS_RUN:-1}" > "$work/perfgate.toml"
cd "$work"
export CARGO_TARGET_DIR="$work/target" CI=true
git init -q -b main && git add -A && git -c user.name=acc -c user.email=acc@localhost commit -qm demo
[ "${SAVE_LOAD:-0}" = 1 ] && start_load
"$perfgate" perfgate baseline save $mode >/dev/null 2>&1
stop_load
git add -A && git -c user.name=acc -c user.email=acc@localhost commit -qm baseline
# criterion's own baseline of the unchanged code, for its verdicts on the same builds
cargo bench --quiet --bench core -- --save-baseline accuracy >/dev/null 2>&1

set_knobs() {
  for knob in CHECKSUM PARSE INDEX; do
    sed -i -E "s/pub const ${knob}_SLOWDOWN_PERCENT: u64 = [0-9]+;/pub const ${knob}_SLOWDOWN_PERCENT: u64 = $1;/" src/lib.rs
  done
}

# As a pull request, a file in the package that no benchmark reads: an unchanged level is then
# measured by the rounds, not set aside as unchanged by construction (identical executables).
[ "${PR:-0}" = 1 ] && export GITHUB_BASE_REF=main && echo "measured, not set aside" > accuracy-note.txt
[ "${LOAD:-0}" = 1 ] && start_load
echo "threshold $threshold, confirm=$confirm, $runs runs per level, mode ${mode:-full}, load ${LOAD:-0} (baseline saved with load ${SAVE_LOAD:-0}), pull request ${PR:-0}"
printf '%-7s %-18s %-36s %-26s %-10s %-10s %s\n' slowdown benchmark "perfgate verdicts" "criterion --baseline" "measured" "gate wall" "confirm s/benchmark (median, n)"
for level in $levels; do
  set_knobs "$level"
  : > "$work/verdicts.txt"; : > "$work/as-users-run.txt"; : > "$work/criterion.txt"; : > "$work/walls.txt"; : > "$work/confirm-seconds.txt"; : > "$work/changes.txt"; : > "$work/exits.txt"
  for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    code=0
    "$perfgate" perfgate check $mode --format json > "$work/compare.json" 2>/dev/null || code=$?
    end=$(date +%s.%N)
    echo "$code" >> "$work/exits.txt"
    echo "$end - $start" | bc >> "$work/walls.txt"
    python3 -c "
import json
log = open('$log', 'a')
for e in json.load(open('$work/compare.json'))['entries']:
    print(e['id'], e['verdict'])
    log.write(json.dumps({'level': $level, 'threshold': '$threshold', 'confirm': '$confirm', **e}) + '\n')
    c = e.get('confirmation')
    if c:
        open('$work/confirm-seconds.txt', 'a').write('%f\n' % c['seconds'])
        open('$work/changes.txt', 'a').write('%s %f\n' % (e['id'], c['change']))
        pairs = c.get('as_users_run') or []
        if pairs:
            # one line per checked benchmark: pairs taken, pairs beyond the rounds, its verdict
            bound = (1 + c['change_high']) * (1 + e['threshold'])
            beyond = sum(1 for b, x in pairs if b > 0 and x / b > bound)
            open('$work/as-users-run.txt', 'a').write('%s %d %d %s\n' % (e['id'], len(pairs), beyond, e['verdict']))" >> "$work/verdicts.txt"
    [ "$with_criterion" = 1 ] || continue
    cargo bench --quiet --bench core -- --baseline accuracy 2>/dev/null | python3 -c "
import sys, re
bench = None
for line in sys.stdin:
    m = re.match(r'^(\S+)\s+time:', line)
    if m: bench = m.group(1)
    if bench and 'regressed' in line: print(bench, 'regressed'); bench = None
    elif bench and 'improved' in line: print(bench, 'improved'); bench = None
    elif bench and ('No change' in line or 'within noise' in line): print(bench, 'no-change'); bench = None
" >> "$work/criterion.txt"
  done
  wall=$(sort -n "$work/walls.txt" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$level%: gate exit codes $(sort "$work/exits.txt" | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
  if [ -s "$work/as-users-run.txt" ]; then
    awk '{n++; pairs += $2; beyond += $3; if ($2 == 3 && $3 == 3) fired++} END {printf "%s: as users run it: %d benchmarks checked, %d pairs, %d beyond the rounds, %d called regressed by it\n", lvl, n, pairs, beyond, fired}' lvl="$level%" "$work/as-users-run.txt"
  fi
  per_confirm=$(sort -n "$work/confirm-seconds.txt" | awk '{a[NR]=$1} END {if (NR) printf "%.2f (n=%d)", a[int((NR+1)/2)], NR; else print "-"}')
  for bench in checksum/1k parse/1000_lines index/build; do
    ours=$( (grep "^$bench " "$work/verdicts.txt" || true) | cut -d' ' -f2 | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
    theirs=$( (grep "^$bench " "$work/criterion.txt" || true) | cut -d' ' -f2 | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
    # the slowdown the knob delivered: median of the confirm stage's re-measured changes
    measured=$( (grep "^$bench " "$work/changes.txt" || true) | cut -d' ' -f2 | sort -g | awk '{a[NR]=$1} END {if (NR) printf "%+.1f%%", 100*a[int((NR+1)/2)]; else print "-"}')
    printf '%-7s %-18s %-36s %-26s %-10s %-10.1f %s\n' "$level%" "$bench" "$ours" "$theirs" "$measured" "$wall" "$per_confirm"
  done
done
