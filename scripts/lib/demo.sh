# Sourced by the measurement scripts: a copy of the demo workspace outside the repository.
#
#   demo_copy DIR criterion   the criterion benchmarks only (no harness, no stability suite)
#   demo_copy DIR whole       both suites, the harness found at this checkout's crates/
#
# The copy has no target/, no baselines/ and a Cargo.lock that already follows its manifest, so
# the first commit made of it is clean. Needs $root (the checkout).
demo_copy() {
    local dir=$1 kind=$2
    mkdir -p "$dir"
    cp -r "$root/fixtures/demo/." "$dir/"
    rm -rf "$dir/target" "$dir/baselines"
    if [ "$kind" = criterion ]; then
        rm -f "$dir/benches/stability.rs"
        python3 - "$dir/Cargo.toml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('[[bench]]\nname = "stability"\nharness = false\n', '')
s = s.replace('perfgate-harness = { path = "../../crates/perfgate-harness" }\n', '')
open(p, 'w').write(s)
PY
    else
        sed -i "s#path = \"../../crates/perfgate-harness\"#path = \"$root/crates/perfgate-harness\"#" "$dir/Cargo.toml"
    fi
    (cd "$dir" && cargo metadata --format-version 1 >/dev/null)
}
