// Which build of the training engine this browser gets: the WebGPU one (burn's wgpu backend
// with kernel fusion) where it offers a WebGPU adapter, else a CPU-only one, a quarter of the
// download: built with relaxed SIMD where the browser validates its multiply-add (the matrix
// product's inner loop, 1.2-1.4x faster on x86-64 with FMA), else with plain SIMD. Shared by
// the worker's loader (worker_loader.js) and the service worker (sw.js), which keeps only the
// chosen build for offline use. Every build trains on the CPU too.
const NNLAB_ENGINES = { cpu: "worker", cpuRelaxed: "worker_relaxed", webgpu: "worker_webgpu" };

// Each build's wasm in bytes, [raw, gzipped]: written by scripts/postbuild.py.
const NNLAB_ENGINE_BYTES = {};

// The smallest module that uses relaxed SIMD: one function returning
// f32x4.relaxed_madd(v128.const 0, v128.const 0, v128.const 0).
const NNLAB_RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array(16).fill(0)]), // 3x v128.const 0
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x0b, // end
]);

function nnlabHasRelaxedSimd() {
  try {
    return WebAssembly.validate(NNLAB_RELAXED_SIMD_PROBE);
  } catch (_) {
    return false;
  }
}

async function nnlabEngine() {
  try {
    if (self.navigator.gpu && (await self.navigator.gpu.requestAdapter())) return NNLAB_ENGINES.webgpu;
  } catch (_) {
    // No adapter: a CPU engine, whose own probe tells the page why there is no WebGPU.
  }
  return nnlabHasRelaxedSimd() ? NNLAB_ENGINES.cpuRelaxed : NNLAB_ENGINES.cpu;
}
