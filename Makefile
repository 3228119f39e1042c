# nnlab: `make serve` builds the app and serves it; `make test` runs every test.
# Builds go to a target folder outside the clone, so fresh clones reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/nnlab/target
PORT ?= 8080
WASM := --target wasm32-unknown-unknown

.PHONY: serve build worker test test-native test-browser test-gpu lint lint-native bench setup-build setup-test clean

serve: build
	python3 scripts/serve.py --dir dist --port $(PORT)

setup-build:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

# The workers (all of burn: the CPU-only engine, its relaxed-SIMD build, which recompiles only
# nnlab, then the WebGPU one) first, one at a time:
# trunk would otherwise compile burn twice and leptos at once, which on 2 cores is slower.
worker: setup-build
	cargo build --release $(WASM) --bin worker --features engine
	cargo build --release $(WASM) --bin worker_relaxed --features relaxed-simd
	cargo build --release $(WASM) --bin worker_webgpu --features webgpu

build: worker
	trunk build --release
	python3 scripts/postbuild.py dist

test: setup-test
	@$(MAKE) --no-print-directory test-native
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory test-browser
	@echo "make test: all tests passed"

test-native:
	python3 scripts/import-cycles.py
	cargo test --release --features cli

test-browser:
	node --test --test-concurrency=1 e2e/*.test.mjs

# The command line's GPU backend (the `wgpu` feature) against the CPU's numbers, on a GPU or on
# Debian's software Vulkan (lavapipe), which setup installs. Not in `make test`: compiling wgpu
# natively takes about 13 minutes on 2 cores (12 min 37 s from an empty target folder).
test-gpu:
	@scripts/setup.sh gpu
	cargo test --release --features wgpu --test gpu --test cli

# CI runs lint-native (with `cargo fmt --check`); the wasm runs are here only.
lint: lint-native
	cargo fmt --check
	python3 scripts/code-shape.py
	cargo clippy --release $(WASM) --bin worker --features engine -- -D warnings
	cargo clippy --release $(WASM) --bin worker_relaxed --features relaxed-simd -- -D warnings
	cargo clippy --release $(WASM) --bin worker_webgpu --features webgpu -- -D warnings
	cargo clippy --profile app $(WASM) --bin app --features csr -- -D warnings

lint-native:
	cargo clippy --release --features cli --all-targets -- -D warnings

bench:
	cargo run --release --features cli --bin nnlab -- bench

clean:
	rm -rf dist
