#!/usr/bin/env bash
# The action's install step. `key`: a cache key for this action's sources (their content
# hash), as a step output. `install`: cargo install from the action's checkout into
# PERFGATE_INSTALL_ROOT unless the cache restored the binary there; puts it on PATH. `tools`:
# when the workspace (INPUT_MANIFEST_PATH's, else the current one) resolves gungraun, installs
# what its benchmarks run through: valgrind (apt on Linux) and gungraun-runner of the same
# version, into PERFGATE_TOOLS_ROOT, put on PATH.
set -euo pipefail
here="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"

case "${1:-}" in
key)
    key=$(cd "$here" && find Cargo.toml Cargo.lock src crates templates -type f -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-20)
    echo "key=$key" >>"${GITHUB_OUTPUT:-/dev/stdout}"
    ;;
install)
    root="${PERFGATE_INSTALL_ROOT:?PERFGATE_INSTALL_ROOT is not set}"
    if [ -x "$root/bin/cargo-perfgate" ]; then
        echo "cargo-perfgate: cached at $root"
    else
        cargo install --path "$here" --locked --root "$root"
    fi
    echo "$root/bin" >>"${GITHUB_PATH:-/dev/null}"
    ;;
tools)
    manifest=()
    [ -n "${INPUT_MANIFEST_PATH:-}" ] && manifest=(--manifest-path "$INPUT_MANIFEST_PATH")
    version=$(cargo metadata --format-version 1 --locked "${manifest[@]}" | python3 -c '
import json, sys
versions = sorted({p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "gungraun"})
print(versions[-1] if versions else "")')
    if [ -z "$version" ]; then
        echo "cargo-perfgate: the workspace does not use gungraun; no harness tools to install"
        exit 0
    fi
    if ! command -v valgrind >/dev/null; then
        if [ "$(uname -s)" != Linux ]; then
            echo "::error::gungraun counts through valgrind, which runs on Linux runners only" >&2
            exit 1
        fi
        sudo apt-get update -qq && sudo apt-get install -y -qq valgrind
    fi
    root="${PERFGATE_TOOLS_ROOT:?PERFGATE_TOOLS_ROOT is not set}/gungraun-runner-$version"
    if [ -x "$root/bin/gungraun-runner" ]; then
        echo "cargo-perfgate: gungraun-runner $version cached at $root"
    else
        cargo install gungraun-runner --version "$version" --locked --root "$root"
    fi
    echo "$root/bin" >>"${GITHUB_PATH:-/dev/null}"
    ;;
*)
    echo "usage: $0 key|install|tools" >&2
    exit 2
    ;;
esac
