#!/usr/bin/env bash
# What a gate run costs on this machine, side by side in one run:
#
# 1. `cargo bench` vs `cargo perfgate` on a copy of the demo's criterion benchmarks with its
#    baseline committed, nothing changed: wall seconds of each, RUNS times, and the median ratio.
# 2. The confirm stage's cost per benchmark when 20 benchmarks of one target are re-measured
#    together: `cargo perfgate noise` (an A/A run of every benchmark against its own build) on a
#    generated target with 20 benchmarks (`--quick`: the first, stored measurement is short; the
#    rounds are the same probes as ever), for the tool at PERFGATE (default: this checkout's
#    release build) and, when BEFORE is set, for another build (e.g. one that confirms one
#    benchmark per process pair).
#
#   RUNS=5 BEFORE=/path/to/old/cargo-perfgate PARTS="1 2" scripts/cost.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
parts=${PARTS:-"1 2"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
perfgate=${PERFGATE:-$root/target/release/cargo-perfgate}
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
git_quiet() { git -c user.name=cost -c user.email=cost@localhost -c commit.gpgsign=false "$@" >/dev/null; }

part() { case " $parts " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if part 1; then
echo "== 1. cargo bench vs cargo perfgate, demo criterion benchmarks, nothing changed ($runs runs)"
demo="$work/demo"
mkdir -p "$demo"
cp -r "$root/fixtures/demo/." "$demo/"
rm -rf "$demo/target" "$demo/baselines" "$demo/perfgate.toml" "$demo/benches/stability.rs"
python3 - "$demo/Cargo.toml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('perfgate-harness = { path = "../../crates/perfgate-harness" }\n', '')
s = s.replace('[[bench]]\nname = "stability"\nharness = false\n', '')
open(p, "w").write(s)
PY
(cd "$demo" && git_quiet init -q -b main && git_quiet add -A && git_quiet commit -qm demo)
(cd "$demo" && cargo bench --no-run --quiet 2>/dev/null)
(cd "$demo" && "$perfgate" perfgate baseline save >/dev/null 2>&1 && git_quiet add -A && git_quiet commit -qm baseline)
ratios=()
printf '%-4s %12s %15s %7s\n' run "cargo bench" "cargo perfgate" ratio
for i in $(seq 1 "$runs"); do
    bench=$(cd "$demo" && seconds cargo bench --bench core)
    gate=$(cd "$demo" && seconds "$perfgate" perfgate check)
    ratio=$(echo "scale=3; $gate / $bench" | bc)
    ratios+=("$ratio")
    printf '%-4s %12.1f %15.1f %7.2f\n' "$i" "$bench" "$gate" "$ratio"
done
printf 'median ratio: %s\n' "$(printf '%s\n' "${ratios[@]}" | median)"
fi

part 2 || exit 0
echo "== 2. confirm cost per benchmark, 20 benchmarks of one target re-measured together"
batch="$work/batch"
mkdir -p "$batch/src" "$batch/benches"
cp "$root/fixtures/demo/Cargo.lock" "$batch/Cargo.lock"
cat >"$batch/Cargo.toml" <<'TOML'
[package]
name = "batch"
version = "0.1.0"
edition = "2021"

[workspace]

[dev-dependencies]
criterion = { version = "0.5", default-features = false, features = ["cargo_bench_support"] }

[[bench]]
name = "twenty"
harness = false
TOML
echo 'pub fn sum(n: u64) -> u64 { (0..n).fold(0, |a, i| a ^ std::hint::black_box(i).rotate_left(3)) }' >"$batch/src/lib.rs"
cat >"$batch/benches/twenty.rs" <<'RS'
use criterion::{criterion_group, criterion_main, Criterion};
fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("sum");
    for k in 0..20u64 {
        let n = 200 + 50 * k;
        group.bench_function(format!("{n}"), |b| b.iter(|| batch::sum(std::hint::black_box(n))));
    }
    group.finish();
}
criterion_group!(twenty, benches);
criterion_main!(twenty);
RS
(cd "$batch" && git_quiet init -q -b main && git_quiet add -A && git_quiet commit -qm batch && cargo bench --no-run --quiet 2>/dev/null)
for tool in "$perfgate" ${BEFORE:+"$BEFORE"}; do
    log="$work/noise.log"
    wall=$(cd "$batch" && seconds sh -c "'$tool' perfgate noise --quick >'$log' 2>&1")
    cp "$log" "${KEEP:-/dev/null}" 2>/dev/null || true
    # The stored measurement's own line ("twenty: 20 benchmarks in 26.1s") is not confirm time.
    measured=$( (grep -o '20 benchmarks in [0-9.]*s' "$log" || true) | head -1 | grep -o '[0-9.]*s$' | tr -d s || true)
    confirm=$(echo "$wall - ${measured:-0}" | bc)
    rounds=$( (grep -o 'over [0-9]* of [0-9]* rounds' "$log" || true) | awk '{sum += $4} END {print sum + 0}')
    printf '%s: %.1f s in all, %.1f s measuring, %.1f s confirming = %.2f s per benchmark (%s rounds over 20 benchmarks)\n' \
        "$tool" "$wall" "${measured:-0}" "$confirm" "$(echo "scale=3; $confirm / 20" | bc)" "$rounds"
done
