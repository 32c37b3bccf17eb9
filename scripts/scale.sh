#!/usr/bin/env bash
# Time and peak memory of comparing N benchmarks against a baseline and rendering every report
# format (`compare` + `report` markdown/json/junit/table), for N = 100 … 100,000.
#   scripts/scale.sh            (prints one line per N)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/cargo-perfgate"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ws/src" && cd "$work/ws"
printf '[package]\nname = "scale"\nversion = "0.1.0"\nedition = "2021"\n[workspace]\n' > Cargo.toml
touch src/lib.rs
for n in ${SIZES:-100 1000 10000 100000}; do
  python3 - "$n" <<'PY'
import json, random, sys
n = int(sys.argv[1])
random.seed(n)
def run(shift):
    benchmarks = []
    for i in range(n):
        base = 1000.0 * (1 + i % 17)
        samples = [base * shift * random.uniform(0.97, 1.03) for _ in range(20)]
        s = sorted(samples)
        benchmarks.append({"id": f"group{i % 50}/bench-{i:06}", "source": "criterion", "package": "scale",
            "target": "bench", "unit": "ns", "direction": "lower-is-better", "samples": samples,
            "summary": {"n": 20, "median": (s[9] + s[10]) / 2, "mean": sum(s) / 20, "min": s[0], "max": s[-1], "mad": 1.0}})
    return {"schema": "perfgate.run.v1", "tool_version": "0.1.0", "started": "2026-11-01T00:00:00Z", "git": None,
            "machine": {"cpu_model": "x", "cores": 2, "os": "linux", "arch": "x86_64", "rustc": "rustc"},
            "benchmarks": benchmarks, "errors": []}
json.dump(run(1.0), open("baseline.json", "w"))
json.dump(run(1.02), open("run.json", "w"))
PY
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o mem.txt "$bin" perfgate compare run.json --against baseline.json --confirm never --out-dir out > /dev/null 2>&1 || true
  mid=$(date +%s.%N)
  for f in markdown json junit table; do "$bin" perfgate report --input out/compare.json --format "$f" -o "out/report.$f" ; done
  end=$(date +%s.%N)
  printf 'N=%-7s compare+table %.2fs (peak RSS %s KiB), re-render 4 formats %.2fs, baseline file %s bytes\n' \
    "$n" "$(echo "$mid - $start" | bc)" "$(tail -1 mem.txt)" "$(echo "$end - $mid" | bc)" "$(stat -c %s baseline.json)"
done
