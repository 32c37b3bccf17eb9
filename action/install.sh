#!/usr/bin/env bash
# The action's install step. `key`: a cache key for this action's sources (their content
# hash), as a step output. `install`: cargo install from the action's checkout into
# PERFGATE_INSTALL_ROOT unless the cache restored the binary there; puts it on PATH.
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
*)
    echo "usage: $0 key|install" >&2
    exit 2
    ;;
esac
