#!/usr/bin/env bash
# The release's one owner of what a prebuilt archive is: its name, its layout, its checksum
# file, and which archive a machine takes. The release workflow builds and checks with it, the
# action's install step picks and verifies with it, and `[package.metadata.binstall]` in
# Cargo.toml spells the same name (a test holds the two together).
#
#   release.sh version               the tool's version, from the manifest beside this script
#   release.sh repository            its repository URL, from the same manifest
#   release.sh name TARGET           the archive's file name for a target triple
#   release.sh host-target           the triple whose archive runs here (Linux: static musl)
#   release.sh check-version TAG     exit 1 unless TAG is v<version> of all three crates
#   release.sh archive TARGET BIN DIR
#                                    packs an executable into DIR/<name> (with README, license)
#   release.sh build TARGET [DIR]    cargo build --release for TARGET (commit stamped), archived
#   release.sh sums DIR              writes DIR/SHA256SUMS over DIR's archives
#   release.sh sha256 FILE           a file's SHA-256, on Linux, macOS and Git Bash alike
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# A key of the manifest's [package] table (the first `key = "…"` line; workspace
# manifests keep [package] first).
manifest_key() {
    sed -n "s/^$1 = \"\\(.*\\)\"\$/\\1/p" "$2" | head -n 1
}

version() { manifest_key version "$root/Cargo.toml"; }

name() {
    local target="${1:?a target triple}"
    echo "cargo-perfgate-$target-v$(version).tar.gz"
}

host_target() {
    local arch
    arch="$(uname -m)"
    case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *)
        echo "no prebuilt cargo-perfgate for the $arch architecture" >&2
        return 1
        ;;
    esac
    case "$(uname -s)" in
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN*)
        [ "$arch" = x86_64 ] || {
            echo "no prebuilt cargo-perfgate for Windows on $arch" >&2
            return 1
        }
        echo "x86_64-pc-windows-msvc"
        ;;
    *)
        echo "no prebuilt cargo-perfgate for $(uname -s)" >&2
        return 1
        ;;
    esac
}

sha256() {
    if command -v sha256sum >/dev/null; then
        sha256sum "$1" | cut -d ' ' -f 1
    else
        shasum -a 256 "$1" | cut -d ' ' -f 1
    fi
}

check_version() {
    local tag="${1:?a tag}" want crate found
    want="${tag#v}"
    [ "$tag" = "v$want" ] || {
        echo "the tag $tag is not v<version>" >&2
        return 1
    }
    for crate in Cargo.toml crates/perfgate-format/Cargo.toml crates/perfgate-harness/Cargo.toml; do
        found="$(manifest_key version "$root/$crate")"
        if [ "$found" != "$want" ]; then
            echo "the tag $tag says $want, but $crate says version $found: bump the manifests or tag v$found" >&2
            return 1
        fi
    done
    echo "tag $tag matches the three crates' version $want"
}

archive() {
    local target="${1:?a target triple}" bin="${2:?an executable}" out="${3:?an output folder}"
    local file stage ext=""
    case "$target" in *windows*) ext=.exe ;; esac
    file="$(name "$target")"
    stage="$(mktemp -d)"
    mkdir -p "$stage/${file%.tar.gz}" "$out"
    cp "$bin" "$stage/${file%.tar.gz}/cargo-perfgate$ext"
    chmod 755 "$stage/${file%.tar.gz}/cargo-perfgate$ext"
    cp "$root/README.md" "$root/LICENSE-MIT" "$stage/${file%.tar.gz}/"
    tar -C "$stage" -czf "$out/$file" "${file%.tar.gz}"
    rm -rf "$stage"
    echo "$out/$file"
}

build() {
    local target="${1:?a target triple}" out="${2:-$root/target/dist}" ext=""
    case "$target" in *windows*) ext=.exe ;; esac
    (cd "$root" && PERFGATE_COMMIT="$(git rev-parse HEAD)" \
        cargo build --release --locked --target "$target" --bin cargo-perfgate)
    archive "$target" "${CARGO_TARGET_DIR:-$root/target}/$target/release/cargo-perfgate$ext" "$out"
}

sums() {
    local dir="${1:?a folder}" file
    (
        cd "$dir"
        : >SHA256SUMS.tmp
        for file in cargo-perfgate-*.tar.gz; do
            [ -e "$file" ] || {
                echo "no archives in $dir" >&2
                exit 1
            }
            echo "$(sha256 "$file")  $file" >>SHA256SUMS.tmp
        done
        mv SHA256SUMS.tmp SHA256SUMS
        cat SHA256SUMS
    )
}

case "${1:-}" in
version) version ;;
repository) manifest_key repository "$root/Cargo.toml" ;;
name) name "${2:-}" ;;
host-target) host_target ;;
check-version) check_version "${2:-}" ;;
archive) archive "${2:-}" "${3:-}" "${4:-}" ;;
build) build "${2:-}" "${3:-}" ;;
sums) sums "${2:-}" ;;
sha256) sha256 "${2:?a file}" ;;
*)
    sed -n '2,17p' "$0" >&2
    exit 2
    ;;
esac
