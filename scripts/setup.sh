#!/usr/bin/env bash
# Installs what building and testing nnlab needs, from the package registries only, and only
# what is missing. Usage: scripts/setup.sh [build|test|gpu]
#   build: wasm32 target, trunk, wasm-bindgen-cli (the version in Cargo.lock), Debian's binaryen
#          (wasm-opt; optional), and every crate Cargo.lock names, for every target
#   test:  the above, plus Debian's chromium and the npm packages of the browser tests
#   gpu:   only Debian's Vulkan loader and lavapipe (mesa-vulkan-drivers), a software Vulkan
#          device for the native GPU backend's test (`make test-gpu`) where no GPU is present
# Every failure names what could not be installed, so it is not mistaken for a test failure.
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}

TRUNK_VERSION=0.21.14 # 0.22 needs a newer rustc than this toolchain (see toolchain notes in README)
WASM_SPLIT_VERSION=0.2.4 # leptos's wasm splitter (wasm_split_cli_support), run by scripts/postbuild.py
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

fail() {
  echo "SETUP FAILED: could not install $1." >&2
  echo "This is an installation problem, not a test failure. $2" >&2
  exit 2
}

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
apt_install() { # package...
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"; }
}

if [ "$what" = gpu ]; then
  if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1; then
    echo "setup: installing Debian's Vulkan loader and lavapipe (software Vulkan)"
    apt_install libvulkan1 mesa-vulkan-drivers || fail "libvulkan1 and mesa-vulkan-drivers (apt)" "The native GPU test needs a Vulkan device; lavapipe is Debian's software one."
  fi
  echo "setup: ready (gpu)"
  exit 0
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown || fail "the Rust wasm32 target" "Check that rustup can reach its distribution server."
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  echo "setup: installing trunk $TRUNK_VERSION from the Rust package registry (about 10 minutes on 2 cores)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked trunk --version "$TRUNK_VERSION" || fail "trunk $TRUNK_VERSION" "See the cargo output above."
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $BINDGEN_VERSION" ]; then
  echo "setup: installing wasm-bindgen-cli $BINDGEN_VERSION (must equal Cargo.lock's wasm-bindgen)"
  # Not --locked: the registry mirror lacks one locked transitive version (webpki-roots).
  cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION" || fail "wasm-bindgen-cli $BINDGEN_VERSION" "See the cargo output above."
fi
if ! cargo install --list 2>/dev/null | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  echo "setup: installing wasm-split-cli $WASM_SPLIT_VERSION (splits the page's wasm at its lazy panels; about 4 minutes on 2 cores)"
  cargo install --locked wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary ||
    fail "wasm-split-cli $WASM_SPLIT_VERSION (wasm_split_cli_support)" "See the cargo output above."
fi
grep -q "wasm_bindgen = \"$BINDGEN_VERSION\"" Trunk.toml ||
  fail "a consistent toolchain" "Trunk.toml's [tools] wasm_bindgen must equal Cargo.lock's wasm-bindgen ($BINDGEN_VERSION)."


# Every crate of every target in Cargo.lock: the page (leptos), the worker (burn on wasm32) and
# the native CLI. trunk builds offline, and the native and worker builds before it only download
# their own crates, so without this a cold machine fails at the page build. A warm cache makes
# this a no-op of a second or two.
cargo fetch --locked --quiet || fail "the crates in Cargo.lock" "cargo could not download them from the Rust package registry; see its output above."

# wasm-opt shrinks both bundles (scripts/postbuild.py). Optional: without it the build still
# works, unoptimised, and says so.
if ! command -v wasm-opt >/dev/null; then
  echo "setup: installing Debian's binaryen (wasm-opt)"
  apt_install binaryen || echo "setup: NOTICE: could not install binaryen; the wasm bundles will be built without wasm-opt (larger downloads)." >&2
fi

if [ "$what" = test ]; then
  if ! command -v chromium >/dev/null; then
    echo "setup: installing Debian's chromium"
    apt_install chromium || fail "chromium (apt)" "The browser tests need Debian's chromium package."
  fi
  if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/jsqr ]; then
    echo "setup: installing the browser-test packages (npm ci)"
    npm ci --no-audit --no-fund || fail "playwright-core and jsqr (npm)" "The browser tests drive chromium with playwright-core and decode QR codes with jsqr."
  fi
fi
echo "setup: ready ($what)"
