// Which build of the training engine this browser gets: the WebGPU one (burn's wgpu backend
// with kernel fusion) where it offers a WebGPU adapter, else the CPU-only one, a quarter of the
// download. Shared by the worker's loader (worker_loader.js) and the service worker (sw.js),
// which keeps only the chosen build for offline use. Both builds train on the CPU too.
const NNLAB_ENGINES = { cpu: "worker", webgpu: "worker_webgpu" };

async function nnlabEngine() {
  try {
    if (self.navigator.gpu && (await self.navigator.gpu.requestAdapter())) return NNLAB_ENGINES.webgpu;
  } catch (_) {
    // No adapter: the CPU engine, whose own probe tells the page why there is no WebGPU.
  }
  return NNLAB_ENGINES.cpu;
}
