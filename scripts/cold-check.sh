#!/usr/bin/env bash
# Proves a cold start, as a new user on a fresh machine meets it: a fresh clone of this
# repository's committed HEAD, built with a brand-new cargo registry cache (CARGO_HOME) and an
# empty target folder, then `make test`. Tools already on PATH (trunk, wasm-bindgen, wasm-opt,
# chromium) are reused; everything else comes from the package registries. Takes tens of minutes
# on 2 cores, so it is not part of `make test`.
#
# Usage: scripts/cold-check.sh [--target DIR] [--keep]
#   --target DIR  build into DIR (must be absent or empty), e.g. to warm $HOME/.cache/nnlab/target
#   --keep        keep the temporary clone and cargo home afterwards
# Prints one line at the end: "cold-check: PASSED|FAILED (make test exit N) in M min S s".
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
target="" keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--target DIR] [--keep]" >&2; exit 64 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-cold.XXXXXX")
[ -n "$target" ] || target="$work/target"
if [ -d "$target" ] && [ -n "$(ls -A "$target")" ]; then
  echo "cold-check: $target is not empty; a cold check needs an empty target folder" >&2
  exit 64
fi
cleanup() { [ "$keep" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

git clone --quiet "$repo" "$work/nnlab" || exit 2
export CARGO_HOME="$work/cargo-home" CARGO_TARGET_DIR="$target"
mkdir -p "$CARGO_HOME/bin"
# Tools installed during the check land in the new cargo home; existing ones stay reachable.
export PATH="$CARGO_HOME/bin:$PATH"
echo "cold-check: clone $(git -C "$work/nnlab" rev-parse --short HEAD), CARGO_HOME=$CARGO_HOME, CARGO_TARGET_DIR=$target"

start=$(date +%s)
(cd "$work/nnlab" && make test)
rc=$?
secs=$(( $(date +%s) - start ))
verdict=PASSED
[ $rc -eq 0 ] || verdict=FAILED
echo "cold-check: $verdict (make test exit $rc) in $((secs / 60)) min $((secs % 60)) s"
exit $rc
