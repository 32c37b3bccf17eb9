#!/usr/bin/env bash
# The action's install step. `key`: a cache key for this action's sources (their content
# hash), as a step output. `install`: unless the cache restored the binary into
# PERFGATE_INSTALL_ROOT, the release's prebuilt archive for this runner when the action is used
# at a release tag (checked against the release's SHA256SUMS: a mismatch is an error, never a
# fallback), else `cargo install` from the action's checkout; puts it on PATH. `tools`: when the
# workspace (INPUT_MANIFEST_PATH's, else the current one) resolves gungraun, installs what its
# benchmarks run through: valgrind (apt on Linux) and gungraun-runner of the same version, into
# PERFGATE_TOOLS_ROOT, put on PATH.
#
# PERFGATE_ACTION_REF is the ref the workflow named the action by (`github.action_ref`; when
# empty, the action folder's name, which the runner names after the ref). PERFGATE_RELEASE_BASE
# replaces `<repository>/releases/download` (a mirror, or a test's stand-in).
set -euo pipefail
here="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"

release="$here/scripts/release.sh"

# Installs the release's archive for this runner into $1/bin and returns 0; returns 1 (having
# said why) when there is none to take, so the caller builds from source; exits 1 when an
# archive is there but does not verify.
prebuilt() {
    local root="$1" version ref target name base tmp code expected actual ext=""
    version="$("$release" version)"
    ref="${PERFGATE_ACTION_REF:-$(basename "$here")}"
    if [ "$ref" != "v$version" ]; then
        echo "cargo-perfgate: the action is used at '$ref', not at the release tag v$version: building from source"
        return 1
    fi
    if ! target="$("$release" host-target 2>&1)"; then
        echo "cargo-perfgate: $target: building from source"
        return 1
    fi
    case "$target" in *windows*) ext=.exe ;; esac
    name="$("$release" name "$target")"
    base="${PERFGATE_RELEASE_BASE:-$("$release" repository)/releases/download}/v$version"
    tmp="$(mktemp -d)"
    code="$(curl -sSL --retry 2 -o "$tmp/SHA256SUMS" -w '%{http_code}' "$base/SHA256SUMS" || true)"
    if [ "$code" != 200 ]; then
        echo "cargo-perfgate: no release v$version to take ($base/SHA256SUMS: ${code:-unreachable}): building from source"
        return 1
    fi
    expected="$(awk -v name="$name" '$2 == name || $2 == "*" name { print $1 }' "$tmp/SHA256SUMS")"
    if [ -z "$expected" ]; then
        echo "cargo-perfgate: release v$version has no archive for $target: building from source"
        return 1
    fi
    code="$(curl -sSL --retry 2 -o "$tmp/$name" -w '%{http_code}' "$base/$name" || true)"
    if [ "$code" != 200 ]; then
        echo "cargo-perfgate: release v$version lists $name but it cannot be downloaded (${code:-unreachable}): building from source"
        return 1
    fi
    actual="$("$release" sha256 "$tmp/$name")"
    if [ "$actual" != "$expected" ]; then
        echo "::error::cargo-perfgate: $base/$name does not match the release's SHA256SUMS (expected $expected, got $actual); refusing to install it" >&2
        exit 1
    fi
    mkdir -p "$tmp/unpacked"
    if ! tar -xzf "$tmp/$name" -C "$tmp/unpacked" \
        || [ ! -f "$tmp/unpacked/${name%.tar.gz}/cargo-perfgate$ext" ]; then
        echo "::error::cargo-perfgate: $name verified but holds no ${name%.tar.gz}/cargo-perfgate$ext" >&2
        exit 1
    fi
    if ! "$tmp/unpacked/${name%.tar.gz}/cargo-perfgate$ext" perfgate --version | grep -q " $version "; then
        echo "::error::cargo-perfgate: the archive's executable does not run here or is not version $version" >&2
        exit 1
    fi
    mkdir -p "$root/bin"
    mv "$tmp/unpacked/${name%.tar.gz}/cargo-perfgate$ext" "$root/bin/"
    rm -rf "$tmp"
    echo "cargo-perfgate: installed the prebuilt v$version for $target (SHA-256 $actual, checked against SHA256SUMS)"
}

case "${1:-}" in
key)
    key=$(cd "$here" && find Cargo.toml Cargo.lock build.rs src crates templates -type f -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-20)
    echo "key=$key" >>"${GITHUB_OUTPUT:-/dev/stdout}"
    ;;
install)
    root="${PERFGATE_INSTALL_ROOT:?PERFGATE_INSTALL_ROOT is not set}"
    if [ -x "$root/bin/cargo-perfgate" ] || [ -x "$root/bin/cargo-perfgate.exe" ]; then
        echo "cargo-perfgate: cached at $root"
    elif ! prebuilt "$root"; then
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
