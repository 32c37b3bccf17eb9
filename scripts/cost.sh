#!/usr/bin/env bash
# What a gate run costs on this machine, side by side in one run:
#
# 1. `cargo bench` vs `cargo perfgate` on a copy of the demo's criterion benchmarks with its
#    baseline committed, nothing changed: wall seconds of each, RUNS times, and the median ratio.
# 2. The same as a pull request that makes all 3 of them 30% slower (3 flags confirmed).
# 3. The same on a clone of this repository at HEAD with its committed baseline, nothing changed.
# 4. The confirm stage's cost per benchmark when 20 benchmarks of one target are re-measured
#    together: `cargo perfgate noise` (an A/A run of every benchmark against its own build, all
#    of it confirm rounds) on a generated target with 20 benchmarks.
# 5. The baseline side's build with the candidate's build warm (the pull request of part 2, its
#    baseline-side target directory removed first): the cost line's "baseline side built in".
# 6. A generated target of 1,000 benchmarks (short times set in code) with 200 made 30% slower:
#    the gate's total time, its cost line and what became of the 200, with each confirm budget
#    of BUDGETS (default "20m 2m"; 20m is the default budget).
# 7. Part 1 as a pull request that changes nothing the benchmarks read (a commit outside the
#    package): every bench executable byte-identical to the baseline side's.
#
# Parts 4 and 5 run the tool at PERFGATE (default: this checkout's release build) and, when
# BEFORE is set, another build of it, e.g. the previous release.
#
#   RUNS=5 BEFORE=/path/to/old/cargo-perfgate PARTS="1 2 3 4 5 6 7" scripts/cost.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
parts=${PARTS:-"1 2 3 4 5 6 7"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
perfgate=${PERFGATE:-$root/target/release/cargo-perfgate}
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
git_quiet() { git -c user.name=cost -c user.email=cost@localhost -c commit.gpgsign=false "$@" >/dev/null; }

. "$root/scripts/lib/demo.sh"
part() { case " $parts " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# A package of its own workspace at DIR named NAME with one criterion 0.5 bench target BENCH
# (the demo's lock file), for the caller to fill in src/lib.rs and benches/BENCH.rs.
criterion_crate() {
    mkdir -p "$1/src" "$1/benches"
    cp "$root/fixtures/demo/Cargo.lock" "$1/Cargo.lock"
    echo /target >"$1/.gitignore"
    printf '%s\n' '[package]' "name = \"$2\"" 'version = "0.1.0"' 'edition = "2021"' '' '[workspace]' '' \
        '[dev-dependencies]' \
        'criterion = { version = "0.5", default-features = false, features = ["cargo_bench_support"] }' \
        '' '[[bench]]' "name = \"$3\"" 'harness = false' >"$1/Cargo.toml"
}

# RUNS runs of `cargo bench` and of `cargo perfgate check` in DIR, alternately; extra
# arguments are variables for the gate (e.g. GITHUB_BASE_REF=main).
bench_vs_gate() {
    local dir=$1 ratios=() i bench gate ratio
    shift
    printf '%-4s %12s %15s %7s\n' run "cargo bench" "cargo perfgate" ratio
    for i in $(seq 1 "$runs"); do
        bench=$(cd "$dir" && seconds cargo bench)
        gate=$(cd "$dir" && seconds env "$@" "$perfgate" perfgate check)
        ratio=$(echo "scale=3; $gate / $bench" | bc)
        ratios+=("$ratio")
        printf '%-4s %12.1f %15.1f %7.2f\n' "$i" "$bench" "$gate" "$ratio"
    done
    (cd "$dir" && env "$@" "$perfgate" perfgate check 2>&1 | grep -E '^(perfgate: (PASS|FAIL)|cost:)' || true)
    printf 'median ratio: %s\n' "$(printf '%s\n' "${ratios[@]}" | median)"
}

# The demo's criterion benchmarks with a baseline committed on main, built.
demo="$work/demo"
demo_ready() {
    [ -d "$demo/.git" ] && return 0
    demo_copy "$demo" criterion
    rm -f "$demo/perfgate.toml"
    (cd "$demo" && git_quiet init -q -b main && git_quiet add -A && git_quiet commit -qm demo)
    (cd "$demo" && cargo bench --no-run --quiet 2>/dev/null)
    (cd "$demo" && "$perfgate" perfgate baseline save >/dev/null 2>&1 && git_quiet add -A && git_quiet commit -qm baseline)
}

# A pull request branch of the demo making all three benchmarks 30% slower.
demo_slower() {
    demo_ready
    (cd "$demo" && git_quiet checkout -q -B slower main &&
        sed -i -E 's/(pub const [A-Z]+_SLOWDOWN_PERCENT: u64 = )0;/\130;/' src/lib.rs &&
        git_quiet commit -qam "30% slower" && cargo bench --no-run --quiet 2>/dev/null)
}

if part 1; then
    echo "== 1. cargo bench vs cargo perfgate, demo criterion benchmarks, nothing changed ($runs runs)"
    demo_ready
    bench_vs_gate "$demo" CI=true
fi

if part 2; then
    echo "== 2. the same, a pull request making the 3 benchmarks 30% slower ($runs runs)"
    demo_slower
    bench_vs_gate "$demo" CI=true GITHUB_BASE_REF=main
    (cd "$demo" && git_quiet checkout -q main)
fi

if part 7; then
    echo "== 7. the same as a pull request that changes no file of the package ($runs runs)"
    demo_ready
    (cd "$demo" && git_quiet checkout -q -B unchanged main)
    bench_vs_gate "$demo" CI=true GITHUB_BASE_REF=main
    (cd "$demo" && git_quiet checkout -q main)
fi

if part 3; then
    echo "== 3. cargo bench vs cargo perfgate, this repository at HEAD, nothing changed ($runs runs)"
    git clone -q "$root" "$work/self"
    (cd "$work/self" && cargo bench --no-run --quiet --locked 2>/dev/null)
    bench_vs_gate "$work/self" CI=true
fi

if part 4; then
echo "== 4. confirm cost per benchmark, 20 benchmarks of one target re-measured together"
batch="$work/batch"
criterion_crate "$batch" batch twenty
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
    [ -z "${KEEP:-}" ] || cp "$log" "$KEEP.$(basename "$tool")"
    # `noise` measures nothing before its rounds: all of its time is the confirm stage's (with a
    # no-op `cargo bench --no-run` and one `--list`).
    rounds=$( (grep -o 'over [0-9]* of [0-9]* rounds' "$log" || true) | awk '{sum += $4} END {print sum + 0}')
    printf '%s: %.1f s for 20 benchmarks = %.2f s per benchmark (%s rounds, %.3f s per benchmark-round)\n' \
        "$tool" "$wall" "$(echo "scale=3; $wall / 20" | bc)" "$rounds" "$(echo "scale=4; $wall / $rounds" | bc)"
done
fi

if part 5; then
    echo "== 5. the baseline side's build with the candidate's build warm (part 2's pull request)"
    demo_slower
    for tool in "$perfgate" ${BEFORE:+"$BEFORE"}; do
        rm -rf "$demo/target/perfgate"
        line=$(cd "$demo" && CI=true GITHUB_BASE_REF=main "$tool" perfgate check 2>&1 | grep '^cost:' || true)
        printf '%s: %s\n' "$tool" "$(echo "$line" | grep -o 'baseline side built in [0-9.]* s' || echo "$line")"
    done
    (cd "$demo" && git_quiet checkout -q main)
fi

if part 6; then
    echo "== 6. 1,000 benchmarks, 200 of them 30% slower"
    many="$work/many"
    criterion_crate "$many" many thousand
    cat >"$many/src/lib.rs" <<'RS'
/// Extra work in percent for the first `SLOWER` sizes.
pub const SLOWDOWN_PERCENT: u64 = 0;
pub const SLOWER: u64 = 200;
pub fn sum(k: u64, n: u64) -> u64 {
    let n = if k < SLOWER { n + n * std::hint::black_box(SLOWDOWN_PERCENT) / 100 } else { n };
    (0..n).fold(0, |a, i| a ^ std::hint::black_box(i).rotate_left(3))
}
RS
    cat >"$many/benches/thousand.rs" <<'RS'
use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;
fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("sum");
    // Short times set in code (criterion lets them beat the command line): 1,000 benchmarks
    // in about a minute.
    group.warm_up_time(Duration::from_millis(10)).measurement_time(Duration::from_millis(30)).sample_size(10);
    for k in 0..1000u64 {
        let n = 200 + (k % 50) * 20;
        group.bench_function(format!("{k:04}"), |b| b.iter(|| many::sum(k, std::hint::black_box(n))));
    }
    group.finish();
}
criterion_group!(thousand, benches);
criterion_main!(thousand);
RS
    (cd "$many" && cargo metadata --format-version 1 >/dev/null && git_quiet init -q -b main &&
        git_quiet add -A && git_quiet commit -qm many && cargo bench --no-run --quiet 2>/dev/null)
    (cd "$many" && "$perfgate" perfgate baseline save >/dev/null 2>&1 && git_quiet add -A && git_quiet commit -qm baseline)
    (cd "$many" && git_quiet checkout -q -b slower && sed -i 's/SLOWDOWN_PERCENT: u64 = 0/SLOWDOWN_PERCENT: u64 = 30/' src/lib.rs &&
        git_quiet commit -qam slower && cargo bench --no-run --quiet 2>/dev/null)
    bench=$(cd "$many" && seconds cargo bench)
    printf 'cargo bench: %.1f s\n' "$bench"
    for budget in ${BUDGETS:-20m 2m}; do
        log="$work/many.log"
        wall=$(cd "$many" && seconds sh -c "CI=true GITHUB_BASE_REF=main '$perfgate' perfgate check ${budget:+--confirm-budget $budget} --format json >'$work/many.json' 2>'$log'")
        printf 'cargo perfgate check%s: %.1f s\n' "${budget:+ --confirm-budget $budget}" "$wall"
        grep -E '^(perfgate: (PASS|FAIL)|cost:)' "$log" || tail -3 "$log"
        python3 - "$work/many.json" <<'PY'
import json, sys, collections
c = json.load(open(sys.argv[1]))
slower = collections.Counter(e["verdict"] for e in c["entries"] if int(e["id"].split("/")[1]) < 200)
same = collections.Counter(e["verdict"] for e in c["entries"] if int(e["id"].split("/")[1]) >= 200)
print("  the 200 slower:", dict(slower))
print("  the 800 unchanged:", dict(same))
PY
    done
fi
