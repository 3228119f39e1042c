// Counting a training worker's WebGPU calls, for the benchmark scripts (browser-bench.mjs,
// gpu-calls.mjs): handed to `worker.evaluate`, it wraps the WebGPU API's own methods and counts
// compute dispatches, queue submits, buffer creations, host-to-device writes, readbacks
// (mapAsync, one per buffer read) and reads (the moments the worker waits on them) from then on, in `self.nnlabGpuCalls`, and the dispatches of each kernel (cubecl
// labels a pipeline with its kernel's entry point) in `self.nnlabGpuKernels`.
export function countGpuCalls() {
  if (self.nnlabGpuCalls || !self.GPUComputePassEncoder) return;
  const calls = (self.nnlabGpuCalls = { dispatches: 0, submits: 0, buffers: 0, writes: 0, readbacks: 0, reads: 0 });
  const kernels = (self.nnlabGpuKernels = {});
  const pipelines = new WeakMap();
  const setPipeline = GPUComputePassEncoder.prototype.setPipeline;
  GPUComputePassEncoder.prototype.setPipeline = function (pipeline) {
    pipelines.set(this, pipeline.label || '(unnamed)');
    return setPipeline.call(this, pipeline);
  };
  const dispatch = GPUComputePassEncoder.prototype.dispatchWorkgroups;
  GPUComputePassEncoder.prototype.dispatchWorkgroups = function (...args) {
    const name = pipelines.get(this);
    kernels[name] = (kernels[name] ?? 0) + 1;
    return dispatch.apply(this, args);
  };
  const wrap = (proto, method, key) => {
    const original = proto[method];
    proto[method] = function (...args) {
      calls[key] += 1;
      return original.apply(this, args);
    };
  };
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', 'dispatches');
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', 'dispatches');
  wrap(GPUQueue.prototype, 'submit', 'submits');
  wrap(GPUDevice.prototype, 'createBuffer', 'buffers');
  wrap(GPUQueue.prototype, 'writeBuffer', 'writes');
  wrap(GPUBuffer.prototype, 'mapAsync', 'readbacks');
  // A transaction maps one buffer per tensor it reads, all in one go: `reads` counts the
  // moments the worker waits for the GPU (mapAsync calls issued in the same task count once).
  let reading = false;
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (...args) {
    if (!reading) {
      calls.reads += 1;
      reading = true;
      setTimeout(() => { reading = false; });
    }
    return mapAsync.apply(this, args);
  };
}
