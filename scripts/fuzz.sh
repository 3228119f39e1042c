#!/usr/bin/env bash
# Runs the property tests of tests/parsers.rs for longer than `make test` does: round after
# round, each with a new seed and twice the cases of the last (from 1,000 up to 64,000 per
# parser), until the minutes run out; the file's two fixed tests are skipped. Prints one line
# at the end: the cases tried per parser and the failures found. A failing round's output
# (with proptest's shrunk input) is kept in a log outside the repository, named in that line.
#
#   scripts/fuzz.sh [minutes]      (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-3}
# The Makefile's target folder unless one is set, so the compiled dependencies are reused.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/nnlab/target}
log=$(mktemp -t nnlab-fuzz.XXXXXX)

# Build first, so the time budget is spent on cases, not on compiling.
cargo test --release --features cli --test parsers --no-run >/dev/null 2>&1 ||
  cargo test --release --features cli --test parsers --no-run

declare -A tried failed
cases=1000
seed=$(date +%s)
deadline=$(($(date +%s) + minutes * 60))
rounds=0
while (($(date +%s) < deadline)); do
  left=$((deadline - $(date +%s)))
  # A round that would outlast the budget is cut short; its cases are not counted.
  out=$(NNLAB_FUZZ_CASES=$cases NNLAB_FUZZ_SEED=$seed timeout "$left" \
    cargo test --release --features cli --test parsers -- --test-threads 2 --skip forged_sizes --skip checkpoints_whose 2>&1) || true
  while read -r name result; do
    tried[$name]=$((${tried[$name]:-0} + cases))
    if [[ $result != ok ]]; then
      failed[$name]=$((${failed[$name]:-0} + 1))
      printf '%s\n' "--- seed $seed, $cases cases" "$out" >>"$log"
    fi
  done < <(sed -n 's/^test \([a-z0-9_]*\) \.\.\. \(ok\|FAILED\)$/\1 \2/p' <<<"$out")
  rounds=$((rounds + 1))
  seed=$((seed + 1))
  ((cases < 64000)) && cases=$((cases * 2))
done

summary=""
failures=0
for name in $(printf '%s\n' "${!tried[@]}" | sort); do
  summary+="${summary:+, }$name ${tried[$name]}"
  failures=$((failures + ${failed[$name]:-0}))
done
if ((failures == 0)); then rm -f "$log"; where=""; else where=" (see $log)"; fi
echo "fuzz: ${minutes} min, $rounds rounds, cases per parser: ${summary:-none}; failures: $failures$where"
