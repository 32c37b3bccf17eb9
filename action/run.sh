#!/usr/bin/env bash
# The action's run step: `cargo perfgate <command> <args>` from the INPUT_* variables, which
# are split on spaces and passed as arguments (never evaluated by a shell). The tool writes
# the verdict and counts to GITHUB_OUTPUT itself; its exit code is the step's.
# `should-upload`: whether compare.json is to be uploaded, as the step output `upload`.
set -euo pipefail

if [ "${1:-}" = should-upload ]; then
    upload=false
    case "${INPUT_UPLOAD:-auto}" in
    true) upload=true ;;
    auto) [ "${GITHUB_EVENT_NAME:-}" = pull_request ] && upload=true ;;
    false) ;;
    *)
        echo "::error title=cargo-perfgate::input upload must be auto, true or false, not '${INPUT_UPLOAD}'"
        exit 1
        ;;
    esac
    if [ "$upload" = true ] && [ ! -f "${COMPARE_JSON:-}" ]; then
        echo "cargo-perfgate: no compare.json to upload (the command did not write one)"
        upload=false
    fi
    echo "upload=$upload" >>"${GITHUB_OUTPUT:-/dev/stdout}"
    exit 0
fi

read -r -a command <<<"${INPUT_COMMAND:-check}"
read -r -a extra <<<"${INPUT_ARGS:-}"
args=("${command[@]}")
[ -n "${INPUT_MANIFEST_PATH:-}" ] && args+=(--manifest-path "$INPUT_MANIFEST_PATH")
[ -n "${INPUT_AGAINST:-}" ] && args+=(--against "$INPUT_AGAINST")
[ -n "${INPUT_SHARD:-}" ] && args+=(--shard "$INPUT_SHARD")
args+=("${extra[@]}")
# The binary itself, not `cargo perfgate`: cargo lets an `[alias] perfgate` in the checkout's
# .cargo/config.toml shadow an installed subcommand, and the checkout is the pull request's.
echo "cargo-perfgate perfgate ${args[*]}"
exec cargo-perfgate perfgate "${args[@]}"
