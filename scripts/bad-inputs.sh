#!/usr/bin/env bash
# Replays bad inputs, faults and hostile files against the built tool, as a careless user or a
# hostile pull request would bring them, and prints one row per case: the exit code, whether
# the message has the key words, and whether the tool panicked. Every row should read "good".
#
#   scripts/bad-inputs.sh            (builds target/release/cargo-perfgate first)
#   PERFGATE=/path/to/cargo-perfgate scripts/bad-inputs.sh   (another build, e.g. an older one)
#   VERBOSE=1 scripts/bad-inputs.sh   (each row followed by the first error or warning line)
#
# Cases that need real benchmarks (fail-closed confirmation, timeouts, the out-dir lock) are
# replayed by tests/fail_closed.rs and tests/hardening.rs.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PERFGATE:-}" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
fi
perfgate=${PERFGATE:-$root/target/release/cargo-perfgate}
work=$(mktemp -d)
listener_pid=
trap 'rm -rf "$work"; [ -z "$listener_pid" ] || kill "$listener_pid" 2>/dev/null' EXIT
export CI=true CARGO_TARGET_DIR="$work/ws/target"
unset GITHUB_BASE_REF GITHUB_ACTIONS GITHUB_EVENT_PATH GITHUB_TOKEN GITHUB_REPOSITORY GITHUB_STEP_SUMMARY

mkdir -p "$work/ws/src"
cd "$work/ws"
printf '[package]\nname = "scratch"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n' > Cargo.toml
: > src/lib.rs
printf '/target\n' > .gitignore
git init -q -b main
gitc() { git -c user.name=replay -c user.email=replay@localhost -c commit.gpgsign=false "$@"; }
gitc add -A && gitc commit -qm scratch

# A perfgate.run.v1 file with benchmarks given as "id:median" (30 samples each, ±1%).
run_file() {
  python3 - "$@" <<'PY'
import json, sys
out, commit = sys.argv[1], sys.argv[2]
benchmarks = []
for spec in sys.argv[3:]:
    id_, median = spec.rsplit(":", 1)
    median = float(median)
    samples = [median * (0.99 + 0.02 * i / 29) for i in range(30)]
    benchmarks.append({"id": id_, "source": "criterion", "package": "scratch", "target": "core",
        "unit": "ns", "direction": "lower-is-better", "samples": samples,
        "summary": {"n": 30, "median": median, "mean": median, "min": samples[0], "max": samples[-1], "mad": median * 0.005}})
json.dump({"schema": "perfgate.run.v1", "tool_version": "0.1.0", "started": "2026-11-01T00:00:00Z",
    "git": {"commit": commit, "dirty": False},
    "machine": {"cpu_model": "Test CPU", "cores": 2, "os": "linux", "arch": "x86_64", "rustc": "rustc 1.95.0"},
    "benchmarks": benchmarks, "errors": []}, open(out, "w"))
PY
}

rows=()
bad=0
# One row of the table; counts the bad ones.
row() {
  rows+=("$(printf '%-58s %-4s %-5s %s' "$1" "$2" "$3" "$4")")
  [ "$3" = good ] || bad=$((bad + 1))
}
# case NAME EXPECTED_EXIT KEYWORDS... -- COMMAND...: runs COMMAND, checks the exit code, that
# every keyword is in stdout+stderr (a keyword starting with ! must not be), and that nothing
# panicked.
case_() {
  local name=$1 want=$2; shift 2
  local keys=()
  while [ "$1" != "--" ]; do keys+=("$1"); shift; done
  shift
  local out code
  out=$("$@" 2>&1); code=$?
  local verdict=good why=""
  [ "$code" = "$want" ] || { verdict=bad; why="exit $code, expected $want"; }
  for k in "${keys[@]}"; do
    if [ "${k:0:1}" = "!" ]; then
      ! grep -qF -- "${k:1}" <<<"$out" || { verdict=bad; why="${why:+$why; }has \"${k:1}\""; }
    else
      grep -qF -- "$k" <<<"$out" || { verdict=bad; why="${why:+$why; }no \"$k\""; }
    fi
  done
  if grep -q "panicked" <<<"$out"; then verdict=bad; why="${why:+$why; }panicked"; fi
  row "$name" "$code" "$verdict" "$why"
  if [ "${VERBOSE:-0}" = 1 ]; then
    # The line holding the first key word, else the first error or warning line.
    local line="" k
    for k in "${keys[@]}"; do
      [ "${k:0:1}" = "!" ] && continue
      line=$(grep -m1 -F -- "$k" <<<"$out" | sed 's/^ *//' | cut -c1-400)
      break
    done
    [ -n "$line" ] || line=$(grep -m1 -E 'perfgate: (error|warning)|error:|warning' <<<"$out" | cut -c1-400)
    rows+=("      $line")
  fi
}
compare_saved() { "$perfgate" perfgate compare run.json --against baseline.json --confirm never --format json; }

run_file run.json 0123456789abcdef0123456789abcdef01234567 "a/b:1000"
run_file baseline.json 0123456789abcdef0123456789abcdef01234567 "a/b:1000"
case_ "valid saved run and baseline" 0 '"verdict": "pass"' -- compare_saved

python3 - <<'PY'
import json
b = json.load(open("baseline.json")); b["git"]["commit"] = "aéééééééé`@team <img src=x>"; json.dump(b, open("baseline.json", "w"))
PY
compare_saved > /dev/null 2>&1
case_ "report: non-ASCII provenance commit (markdown)" 0 -- "$perfgate" perfgate report --format markdown
case_ "report: non-ASCII provenance commit (table)" 0 -- "$perfgate" perfgate report --format table
case_ "comment --dry-run: the recorded commit is inert" 0 "!<img" "!@team" -- "$perfgate" perfgate comment --dry-run

run_file run.json abc "a/b:1000"
case_ "baseline save --commit, 3-character commit" 0 "measured at abc" -- "$perfgate" perfgate baseline save --from run.json --commit

rm baselines/default.json && gitc checkout -q --detach
case_ "baseline save --commit on a detached HEAD" 1 "detached" -- "$perfgate" perfgate baseline save --from run.json --commit
if [ -e baselines/default.json ]; then row "  …and nothing was written" - bad "baselines/default.json exists"
else row "  …and nothing was written" - good ""; fi
gitc checkout -q main

python3 - <<'PY'
import json
r = json.load(open("run.json"))
r["benchmarks"][0]["id"] = "evil\n::error title=owned::pwned\x1b[31m<script>"
json.dump(r, open("run.json", "w")); json.dump(r, open("baseline.json", "w"))
PY
compare_saved > /dev/null 2>&1
# The table on stdout: no escape character, no line that starts a workflow command.
table_is_inert() {
  "$perfgate" perfgate report --format table | python3 -c '
import sys
text = sys.stdin.read()
bad = "\x1b" in text or any(line.startswith("::") for line in text.splitlines())
sys.exit(1 if bad else 0)'
}
junit_is_xml() {
  "$perfgate" perfgate report --format junit | python3 -c 'import sys, xml.dom.minidom as m; m.parseString(sys.stdin.read())'
}
case_ "hostile id: no workflow command at column 0, no ESC" 0 -- table_is_inert
case_ "hostile id: JUnit is well-formed XML" 0 -- junit_is_xml

run_file run.json 0123456789abcdef0123456789abcdef01234567 "a/b:1000"
for spec in "negative sample:-5.0:outside" "1e308 sample:1e308:outside"; do
  IFS=: read -r name value key <<<"$spec"
  python3 - "$value" <<'PY'
import json, sys
b = json.load(open("run.json")); b["benchmarks"][0]["samples"][0] = float(sys.argv[1]); json.dump(b, open("baseline.json", "w"))
PY
  case_ "baseline entry with a $name" 1 "$key" "baseline.json" -- compare_saved
done
python3 - <<'PY'
import json
b = json.load(open("run.json")); b["benchmarks"][0]["summary"]["median"] = 1.0; json.dump(b, open("baseline.json", "w"))
PY
case_ "baseline summary median of 1 ns beside ~1 µs samples" 1 "does not match" -- compare_saved
python3 - <<'PY'
import json
b = json.load(open("run.json")); b["benchmarks"].append(dict(b["benchmarks"][0])); json.dump(b, open("baseline.json", "w"))
PY
case_ "baseline with a duplicate id" 1 "more than once" -- compare_saved
python3 - <<'PY'
import json
b = json.load(open("run.json")); b["benchmarks"][0]["samples"] = []; json.dump(b, open("baseline.json", "w"))
PY
case_ "baseline entry with no samples" 1 "has no samples" -- compare_saved

# The run side is checked as the baseline side is, by every reader of a run.json.
for spec in "samples:[]:has no samples" "samples:[-5.0, -4.0, -6.0]:outside (0, 1e15]" "twice::more than once" "median:1.0:does not match"; do
  IFS=: read -r field value key <<<"$spec"
  python3 - "$field" "$value" <<'PY'
import json, sys
field, value = sys.argv[1], sys.argv[2]
r = json.load(open("run.json"))
b = r["benchmarks"][0]
if field == "samples":
    b["samples"] = json.loads(value)
    if b["samples"]:
        b["summary"]["median"] = sorted(b["samples"])[1]
elif field == "twice":
    r["benchmarks"].append(dict(b))
else:
    b["summary"]["median"] = float(value)
json.dump(r, open("edited-run.json", "w"))
PY
  case_ "run.json entry: $key" 1 "$key" "edited-run.json" "run entry" -- "$perfgate" perfgate compare edited-run.json --against baseline.json --confirm never
  rm -f baselines/default.json
  case_ "baseline save --from a run.json whose entry $key" 1 "$key" "edited-run.json" -- "$perfgate" perfgate baseline save --from edited-run.json
  if [ -e baselines/default.json ]; then row "  …and nothing was written" - bad "baselines/default.json exists"
  else row "  …and nothing was written" - good ""; fi
done
gitc checkout -q -- baselines/default.json
python3 - <<'PY'
import json
r = json.load(open("run.json"))
b = r["benchmarks"][0]
b["source"], b["unit"] = "stability", "ops/s"
b["samples"] = [-100.0, -90.0, -110.0]
b["summary"]["median"] = -100.0
json.dump(r, open("edited-run.json", "w"))
PY
case_ "run.json: a negative rate" 1 "never negative" -- "$perfgate" perfgate compare edited-run.json --against baseline.json --confirm never

cp run.json baseline.json
printf '\xef\xbb\xbf' | cat - run.json > baseline.json
case_ "baseline with a UTF-8 BOM" 0 -- compare_saved
echo '[1, 2, 3]' > baseline.json
case_ "valid JSON of another shape" 1 "valid JSON, but not" -- compare_saved
echo '{"schema": 5}' > baseline.json
case_ "\"schema\": 5" 1 '`5`' -- compare_saved
head -c 200 run.json > baseline.json
case_ "truncated baseline" 1 "corrupt or truncated" -- compare_saved
case_ "--against a missing path without .json" 1 "no file nosuchfile" -- "$perfgate" perfgate compare run.json --against nosuchfile

cp run.json baseline.json
printf '[gate]\nthreshold = 5\n' > perfgate.toml
case_ "threshold = 5 (500%)" 1 "500%" "perfgate.toml" -- compare_saved
printf '[budgets]\n"a/b" = "> 20000/s"\n' > perfgate.toml
case_ "a time metric with a throughput budget" 1 "another unit" -- compare_saved
printf '[budgets]\n"no/such/*" = "< 1ms"\n' > perfgate.toml
case_ "a budget that matches nothing" 1 "matches no benchmark" "perfgate.toml" -- compare_saved
rm perfgate.toml

mkdir -p "$work/outside" && echo 'API_TOKEN = "ghp_secret"' > "$work/outside/secrets.toml"
ln -s "$work/outside/secrets.toml" perfgate.toml
case_ "perfgate.toml symlinked outside the workspace" 1 "symlink" "!ghp_" -- "$perfgate" perfgate compare run.json --against baseline.json
rm perfgate.toml

cp Cargo.toml Cargo.toml.before
case_ "baseline log --plot Cargo.toml" 2 ".svg" -- "$perfgate" perfgate baseline log --plot Cargo.toml
if cmp -s Cargo.toml Cargo.toml.before; then row "  …and Cargo.toml is untouched" - good ""
else row "  …and Cargo.toml is untouched" - bad "overwritten"; fi

for i in 1 2; do
  run_file "shard$i.json" "$( [ $i = 1 ] && echo aaaa || echo bbbb )" "s/$i:1000"
  python3 - "shard$i.json" "$i" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["shard"] = sys.argv[2] + "/2"; json.dump(r, open(sys.argv[1], "w"))
PY
done
case_ "merge of shards of different commits" 2 "same commit" -- "$perfgate" perfgate merge shard1.json shard2.json --against baseline.json
python3 - <<'PY'
import json
for i in (1, 2):
    r = json.load(open(f"shard{i}.json"))
    r["git"]["commit"] = "cccc"
    if i == 2:
        r["machine"]["cpu_model"] = "Another CPU"
        r["git"]["dirty"] = True
    json.dump(r, open(f"shard{i}.json", "w"))
b = json.load(open("baseline.json"))
b["benchmarks"] = [dict(b["benchmarks"][0], id=f"s/{i}") for i in (1, 2)]
json.dump(b, open("shards-baseline.json", "w"))
PY
case_ "merge of shards measured on two machines" 1 "2 different machines" "Another CPU" -- "$perfgate" perfgate merge shard1.json shard2.json --against shards-baseline.json
case_ "  …and the merged run says so" 0 -- python3 -c '
import json
c = json.load(open("target/perfgate/compare.json"))
r = json.load(open("target/perfgate/run.json"))
assert c["baseline"]["machine_differs"] is True, c["baseline"]
assert r["git"]["dirty"] is True, r["git"]'

mkdir -p target/perfgate && echo '{}' > target/perfgate/noise.json && gitc add -f target/perfgate/noise.json && gitc commit -qm noise
case_ "a noise.json the change tracks" 1 "tracked by git" -- compare_saved
gitc rm -q --cached target/perfgate/noise.json && gitc commit -qm untrack && rm target/perfgate/noise.json

gitc checkout -q -b pr && cp run.json main && gitc add main && gitc commit -qm "a file named main"
case_ "--against main with a file named main" 2 "names both" -- "$perfgate" perfgate compare run.json --against main
gitc checkout -q main

case_ "no baseline at the rev: names it, offers --from with its profile" 1 "no baseline file at git:" "baseline save --from <out-dir>/run.json --profile nosuch" -- "$perfgate" perfgate compare run.json --profile nosuch

# A killed write's temporary (its process gone) is removed by the next write at once, and a
# write's own temporary is made where `git status` does not see it.
dead=$(sh -c 'echo $$')
mkdir -p baselines && echo half > "baselines/.perfgate-write-$dead-abcdef"
case_ "baseline save after a killed one" 0 -- "$perfgate" perfgate baseline save --from run.json
if [ -e "baselines/.perfgate-write-$dead-abcdef" ]; then row "  …and the killed write's temporary is gone" - bad "still there"
else row "  …and the killed write's temporary is gone" - good ""; fi
if git status --porcelain --untracked-files=all | grep -q perfgate-write; then row "  …and git status shows no temporary" - bad "$(git status --porcelain | grep perfgate-write)"
else row "  …and git status shows no temporary" - good ""; fi
gitc checkout -q -- baselines 2>/dev/null || rm -rf baselines

compare_saved > /dev/null 2>&1
case_ "comment: bad GITHUB_REPOSITORY" 2 "GITHUB_REPOSITORY" -- env GITHUB_TOKEN=ghs_x GITHUB_REPOSITORY=not-a-repo "$perfgate" perfgate comment
case_ "comment: GITHUB_EVENT_PATH names no file" 2 "GITHUB_EVENT_PATH names" -- env GITHUB_TOKEN=ghs_x GITHUB_REPOSITORY=o/r GITHUB_EVENT_PATH=/nonexistent "$perfgate" perfgate comment
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' > "$work/port" &
listener_pid=$!
sleep 1
case_ "comment against an API that never answers" 0 "could not post" -- timeout 200 env GITHUB_TOKEN=ghs_neverPrinted GITHUB_API_URL="http://127.0.0.1:$(cat "$work/port")" "$perfgate" perfgate comment --repo o/r --pr 1
python3 -c '
import socket, threading, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
def trickle(c):
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        while True:
            c.sendall(b" "); time.sleep(1)
    except OSError:
        pass
while True:
    c, _ = s.accept(); threading.Thread(target=trickle, args=(c,), daemon=True).start()
' > "$work/slow-port" &
slow_pid=$!
sleep 1
started=$(date +%s)
case_ "comment against an API that answers a byte a second" 0 "could not post" "within 30 s" -- timeout 300 env GITHUB_TOKEN=ghs_neverPrinted GITHUB_API_URL="http://127.0.0.1:$(cat "$work/slow-port")" "$perfgate" perfgate comment --repo o/r --pr 1
took=$(( $(date +%s) - started ))
kill "$slow_pid" 2>/dev/null
if [ "$took" -le 130 ]; then row "  …and it gave up within the step's bound (took ${took} s)" - good ""
else row "  …and it gave up within the step's bound (took ${took} s)" - bad "over 130 s"; fi

# Every free-text field of compare.json that reaches the comment is budgeted.
python3 - <<'PY'
import json
c = json.load(open("target/perfgate/compare.json"))
c["baseline"]["location"] = "L" * 70000
c["baseline"]["provenance"]["machine"]["cpu_model"] = "C" * 70000
c["machine"]["cpu_model"] = "M" * 70000
c["method"] = "<" * 70000
c["warnings"] = ["@" * 5000] * 40
json.dump(c, open("huge-compare.json", "w"))
PY
comment_fits() {
  "$perfgate" perfgate comment --dry-run --input huge-compare.json | python3 -c '
import sys
body = sys.stdin.read()
print(len(body), "characters")
sys.exit(0 if len(body) <= 65536 else 1)'
}
case_ "comment body from 70,000-character fields" 0 "characters" -- comment_fits

printf '%-58s %-4s %-5s %s\n' case exit row why
printf '%s\n' "${rows[@]}"
echo "$(( ${#rows[@]} - bad )) good, $bad bad"
[ "$bad" = 0 ]
