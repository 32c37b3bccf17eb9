#!/usr/bin/env bash
# Drift on the default branch, as a team meets it: commits that each make `checksum/1k` STEP%
# slower (of the original work) land one by one; each is gated as a pull request against its
# merge-base (per-change threshold), then the push to `main` runs the drift check against the
# commit that measured the committed baseline (cumulative threshold). Prints one line per commit:
# the PR's exit code and re-measured change, the drift check's exit code and change.
#
#   COMMITS=5 STEP=2 THRESHOLD=5% DRIFT=7% FILTER=checksum scripts/drift.sh
#
# Expected: every PR exits 0; the drift check exits 0 until the cumulative change crosses DRIFT,
# then 3 (an `inconclusive` near the edge exits 0: the change is too close to call there).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
commits=${COMMITS:-5}
step=${STEP:-2}
threshold=${THRESHOLD:-5%}
drift=${DRIFT:-7%}
filter=${FILTER:-checksum}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
perfgate="$root/target/release/cargo-perfgate"

. "$root/scripts/lib/demo.sh"
demo_copy "$work" criterion
printf '[gate]\nthreshold = "%s"\ndrift_threshold = "%s"\n' "$threshold" "$drift" > "$work/perfgate.toml"
cd "$work"
export CARGO_TARGET_DIR="$work/target" CI=true
g() { git -c user.name=drift -c user.email=drift@localhost "$@"; }
g init -q -b main && g add -A && g commit -qm demo
"$perfgate" perfgate baseline save --quick "$filter" >/dev/null 2>&1
g add -A && g commit -qm baseline

change_of() {
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); e=[x for x in c["entries"] if x["id"]=="checksum/1k"][0]; print("%s %+.1f%% [%+.1f%%, %+.1f%%]" % (e["verdict"], 100*e["change"], 100*(e.get("change_low") or 0), 100*(e.get("change_high") or 0)))' "$1"
}

printf '%-7s %-9s %-44s %-6s %s\n' commit slower pr drift since-baseline
for k in $(seq 1 "$commits"); do
  g checkout -q -b pr
  sed -i -E "s/pub const CHECKSUM_SLOWDOWN_PERCENT: u64 = [0-9]+;/pub const CHECKSUM_SLOWDOWN_PERCENT: u64 = $((k * step));/" src/lib.rs
  g commit -qam "step $k"
  set +e
  GITHUB_BASE_REF=main "$perfgate" perfgate check --quick --format json "$filter" >pr.json 2>/dev/null
  pr_code=$?
  set -e
  pr=$(change_of pr.json)
  g checkout -q main && g merge -q --ff-only pr && g branch -q -D pr
  set +e
  "$perfgate" perfgate check --drift --quick --format json "$filter" >drift.json 2>drift.err
  drift_code=$?
  set -e
  if [ -s drift.json ]; then since=$(change_of drift.json); else since=$(tail -1 drift.err); fi
  printf '%-7s %-9s %-44s %-6s %s\n' "$k" "+$((k * step))%" "exit $pr_code $pr" "exit $drift_code" "$since"
  rm -f pr.json drift.json drift.err
done
"$perfgate" perfgate history checksum/1k 2>/dev/null | tail -3
