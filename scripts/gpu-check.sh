#!/usr/bin/env bash
# On a machine with a GPU and Chromium: builds the page (unless dist/ is there), then times
# every training lab on WebGPU and on the CPU fallback, one JSON line per lab and backend with
# the adapter's name (scripts/gpu-check.mjs). Short by design: GPU time is scarce.
#
# Usage: scripts/gpu-check.sh [scale] [labs]   (labs: comma-separated, default all)
# Chromium uses the real GPU through Vulkan with the flags below; set NNLAB_CHROMIUM_ARGS to
# replace them (an empty value gives SwiftShader, as on machines without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.html ] || make build
export NNLAB_CHROMIUM_ARGS="${NNLAB_CHROMIUM_ARGS-"--enable-features=Vulkan --use-vulkan=native --use-angle=vulkan --ignore-gpu-blocklist --disable-vulkan-surface"}"
node scripts/gpu-check.mjs "${1:-1}" "${2:-synth,mnist,dogs-mlp,dogs-cnn}"
