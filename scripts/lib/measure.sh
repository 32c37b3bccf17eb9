# Sourced by the measurement scripts: a scratch directory removed on exit ($work), a CPU-bound
# neighbour to switch on and off (start_load, stop_load: a shared runner's busy core), this
# checkout's release build ($perfgate) and the demo's copier (demo.sh). Needs $root.
work=$(mktemp -d)
load_pid=
start_load() { ( while :; do :; done ) & load_pid=$!; }
stop_load() { [ -z "$load_pid" ] || kill "$load_pid" 2>/dev/null || true; load_pid=; }
trap 'rm -rf "$work"; stop_load' EXIT
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
perfgate="$root/target/release/cargo-perfgate"
. "$root/scripts/lib/demo.sh"
