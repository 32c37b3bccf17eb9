#!/usr/bin/env bash
# Measurements behind the harness's claims (numbers go in notes, not in timed tests):
#  1. the leak check flags a store leaking 1 KiB per 1,000 operations and passes it without the
#     leak, N runs each in quick mode;
#  2. with one 50 ms stall per second, sustained load reports the stall in its p99;
#  3. harness overhead per recorded operation and the highest open-loop rate one core drives.
set -euo pipefail
cd "$(dirname "$0")/../fixtures/demo"
runs=${RUNS:-20}
cargo bench --no-run --quiet --bench stability
cargo bench --no-run --quiet --bench stability --features leak
leaks=0; clean=0
for _ in $(seq "$runs"); do
  # Capture first: `grep -q` closing the pipe early would fail the pipeline under pipefail.
  leaking=$(cargo bench --quiet --bench stability --features leak -- --quick put_leak 2>/dev/null)
  healthy=$(cargo bench --quiet --bench stability -- --quick put_leak 2>/dev/null)
  grep -q ": LEAK" <<<"$leaking" && leaks=$((leaks + 1))
  grep -q ": no leak" <<<"$healthy" && clean=$((clean + 1))
done
echo "leak check: flagged the leaking store in $leaks/$runs runs; passed the healthy store in $clean/$runs runs"
echo "stall (one 50 ms stall per second, 5,000 ops/s for 3 s, open loop):"
cargo bench --quiet --bench stability --features stall -- store/put 2>/dev/null | grep -E "store/put/latency_p(50|99|999) |store/put/latency_max"
echo "the same run timed from each operation's actual start (what a closed loop reports):"
cargo bench --quiet --bench stability --features stall -- store/put 2>/dev/null | grep -E "store/put/service_time_p(50|99) "
cd ../..
echo "harness overhead (no-op operation):"
cargo run --quiet --release -p perfgate --example overhead 2>/dev/null | grep -E "latency_p50|throughput"
