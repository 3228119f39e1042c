#!/usr/bin/env bash
# On a machine with a GPU and Chromium: builds the page (unless dist/ is there), then times
# every training lab on WebGPU and on the CPU fallback, one JSON line per lab and backend with
# the adapter's name (scripts/gpu-check.mjs); then the command line's benchmarks natively on
# burn's wgpu backend and on the CPU (`nnlab bench --backend wgpu|cpu`, built with the `wgpu`
# feature), one JSON line per workload and engine with the adapter's name and examples/s.
# Short by design: GPU time is scarce.
#
# Usage: scripts/gpu-check.sh [scale] [labs]   (labs: comma-separated, default all)
# Chromium uses the real GPU through Vulkan with the flags below; set NNLAB_CHROMIUM_ARGS to
# replace them (an empty value gives SwiftShader, as on machines without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.html ] || make build
export NNLAB_CHROMIUM_ARGS="${NNLAB_CHROMIUM_ARGS-"--enable-features=Vulkan --use-vulkan=native --use-angle=vulkan --ignore-gpu-blocklist --disable-vulkan-surface"}"
node scripts/gpu-check.mjs "${1:-1}" "${2:-synth,mnist,dogs-mlp,dogs-cnn}"
cargo build --release --features wgpu --bin nnlab
nnlab="${CARGO_TARGET_DIR:-target}/release/nnlab"
for backend in wgpu cpu; do
  "$nnlab" bench --backend "$backend" --format json --repeats 2 || echo "{\"backend\": \"$backend\", \"error\": \"nnlab bench failed\"}"
done
